"""Ratios and shares: "percentage of orders cancelled per channel", "what share of all orders does each
channel have", "fraction of accounts closed"; their scale (percent or 0-1) and rounding.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.recognizers import measures as ms
from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.derived import snake
from datamorph.planner.recognizers.measures import Ctx, Ratio

_RATIO = re.compile(
    r"\b(?:the\s+|what\s+)?(?P<w>share|percentage|percent|proportion|fraction|ratio|rate|pct|%)\s+of\s+"
    r"(?P<all>(?:all\s+|the\s+|total\s+)*)", re.I)  # fmt: skip
_PERCENT = re.compile(r"(?:,\s*)?\(?\b(?:as\s+(?:a\s+)?|in\s+|expressed\s+(?:as|in)\s+(?:a\s+)?)(?:percentages?|percent|%)\)?"
                      r"|\(\s*%\s*\)|\b(?:in|as)\s+%"
                      r"|\(?\b(?:on|as|using)\s+(?:a\s+)?0\s*(?:-|to|–)\s*100\s+(?:scale|range)\)?"
                      r"|\(?\b(?:between|from)\s+0\s+(?:and|to)\s+100\)?"
                      r"|(?:\b(?:x|times|multiplied\s+by)|[*×])\s*100\b", re.I)  # fmt: skip
_UNIT_RANGE = re.compile(
    r"\(?\s*(?:(?:as|on)\s+(?:a\s+)?(?:number|value|decimal|fraction|proportion|scale)\s+(?:of\s+)?)?"
    r"(?:between\s+|from\s+)?0(?:\.0)?\s*(?:-|to|and|–)\s*1(?:\.0)?(?:\s+(?:scale|range))?\s*(?=[,;)]|\s|$)\)?",
    re.I,
)  # fmt: skip
# "late_rate = late deliveries / all deliveries (for that courier) x 100": a named formula of two counts
_FORMULA = re.compile(
    r"\b(?P<name>[A-Za-z_]\w*)\s*(?:=|:|\bis\b|\bas\b)\s*(?P<num>[^=/,;.()]{1,100}?)\s*(?:/|÷|\bdivided\s+by\b|\bout\s+of\b)"
    r"\s*(?P<den>[^,;.()]{1,100}?)(?=\s*(?:[,;.()]|$|\bx\b|\btimes\b|\*|×|\bmultiplied\b|\brounded\b|\bround\b))", re.I)  # fmt: skip
# "share of all tickets that fall under each priority"
_FROM_EACH = re.compile(r"^\s*(?:that|which|who)\s+(?:comes?|came|are|were|is|was|belongs?|falls?|fell)\s+"
                        r"(?:from|in|into|to|under|with)\s+(?=(?:each|every|the\s+same)\b)", re.I)  # fmt: skip
_RD = r"(?:rounded|round(?:ing|ed)?)"
#: what is rounded, said between "round" and "to": "round it / them / the average / all of them to 2 decimals"
_OBJ = r"(?:(?:it|them|this|that|these|those|everything|both|all(?:\s+of\s+them)?|the\s+[a-z_]+(?:\s+[a-z_]+)?)\s+)?"
ROUND = re.compile(
    rf"(?:,\s*)?\(?\s*(?:{_RD}\s+{_OBJ})?(?:(?:to|with|at)\s+)?(?P<n>(?<!\d)\d++|zero|no|one|two|"
    r"three|four|five|six)\s+(?:decimal\s+places?|decimal\s+digits?|decimals?|dp|digits?\s+after\s+the\s+"
    rf"(?:decimal\s+)?point|places?)\)?|(?:,\s*)?\b{_RD}\s+{_OBJ}to\s+(?:the\s+)?nearest\s+(?P<w>whole\s+"
    rf"number|integer|cent|unit|hundredth|tenth)s?\b|(?:,\s*)?\b{_RD}\s+{_OBJ}to\s+(?:whole\s+(?:numbers?|dollars|"
    r"euros|pounds|units)|integers?)", re.I)  # fmt: skip
_NUMS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "whole number": 0, "integer": 0, "unit": 0, "cent": 2, "hundredth": 2, "tenth": 1}  # fmt: skip
_DOES_HAVE = re.compile(r"\b(?:does|do)\s+(?:each|every)\s+(?P<g>[a-z_]+(?:\s+[a-z_]+)?)\s+(?:have|get|take|"
                        r"account\s+for|make\s+up|represent)\b", re.I)  # fmt: skip


_TIMES_100 = re.compile(r"^\s*(?:\)\s*)?(?:\bx\b|\btimes\b|\bmultiplied\s+by\b|[*×])\s*100\b", re.I)


def _formulas(d: Work, ctx: Ctx) -> None:
    """ "late_pct = late deliveries / all deliveries of that courier x 100"."""
    for m in _FORMULA.finditer(d.prompt):
        if ph.d_has(d, m.group("name")):
            continue
        parts = []
        for g in ("num", "den"):
            got = next((x for x in ctx.measures if m.start(g) <= x.start < m.end(g)), None)
            if got is None:
                got = ms.target(d, "count", m.start(g), m.start(g))
            if got is None:
                break
            got.end = min(got.end, m.end(g))  # "all orders x 100": the scale is not part of the count
            parts.append(got)
        if len(parts) != 2:
            continue
        for x in parts:
            if x in ctx.measures:
                ctx.measures.remove(x)
        end = parts[1].end
        scale = _TIMES_100.match(d.prompt[end:])  # "... / all orders x 100": the formula's last words
        r = Ratio(m.group("name"), "", m.start(), end + (scale.end() if scale else 0), parts, 1.0, False, named=True,
                  formula=True)  # fmt: skip
        d.take(m.start(), parts[0].end)
        d.take(m.start("den"), parts[1].end)
        d.take(m.end("num"), m.start("den"))
        ctx.ratios.append(r)


# "cancelled orders as a percent of all orders (of that channel)": the rows of a kind over all rows
_AS_SHARE = re.compile(r"\bas\s+(?:a\s+)?(?P<w>percent(?:age)?|share|fraction|proportion)\s+of\s+"
                       r"(?P<all>(?:all\s+|the\s+|total\s+)*)", re.I)  # fmt: skip
_SAME_GROUP = re.compile(r"^\s*(?:(?:of|in|for|within)\s+(?:that|the\s+same|its|their|each)\s+[A-Za-z_]+"
                         r"(?:\s+[A-Za-z_]+)?)", re.I)  # fmt: skip


def _kind_over_all(d: Work, ctx: Ctx) -> None:
    """"reversed payments as a percent of all payments": the rows with the values before over every row of
    the same table after; "of that type" after it restates the grouping. Only when both sides name the
    same table and the first names values of it (else not this shape)."""
    for m in _AS_SHARE.finditer(d.prompt):
        if any(r.start <= m.start() < r.end for r in ctx.ratios):
            continue
        after = ph.tokens_from(d, m.end(), 3)
        den_table = next((t for n in range(len(after), 0, -1) if (t := ph.table_of(d, ph.text_of(d, after[:n])))), None)
        if den_table is None:
            continue
        den_end = next(after[n - 1].end for n in range(len(after), 0, -1)
                       if ph.table_of(d, ph.text_of(d, after[:n])) == den_table)  # fmt: skip
        before = [t for t in d.tokens.within(max(0, m.start() - 80), m.start()) if t.kind == "word"][-4:]
        while before and not d.free(before[0].start, before[-1].end):
            before = before[1:]
        if len(before) < 2 or ph.table_of(d, before[-1].text) != den_table:
            continue
        conds = None
        for k in range(len(before) - 1):
            conds = ph.value_conditions(d, before[k:-1], den_table)
            if conds:
                before = before[k:]
                break
        if not conds:
            continue
        start = before[0].start
        num = ms._entity_measure(d, "count", start, before[-1].end, den_table, conds)
        den = ms._entity_measure(d, "count", m.start(), den_end, den_table, [])
        same = _SAME_GROUP.match(d.prompt[den_end:])
        end = den_end + (same.end() if same else 0)
        r = Ratio("", "", start, end, [num, den], 100.0 if m.group("w").lower().startswith("percent") else 1.0, False)
        d.take(start, end)
        ctx.ratios.append(r)


_NAMED_RATE = re.compile(r"\b(?P<w>[A-Za-z]{4,})\s+(?:rate|ratio|share|percentage)\b", re.I)


def _rate_names(d: Work, ctx: Ctx) -> None:
    """"Cancellation rate per channel: cancelled orders as a percent of ...": the words that name a ratio by
    the value it counts (same stem as one of its numerator's values), said apart from its definition."""
    values = {str(c.value).lower() for r in ctx.ratios for c in r.measures[0].conds if isinstance(c.value, str)}
    for m in _NAMED_RATE.finditer(d.prompt):
        w = m.group("w").lower()
        if any(r.start <= m.start() < r.end for r in ctx.ratios) or not d.free(m.start(), m.end()):
            continue
        if any(len(v) >= 5 and w[:5] == v[:5] for v in values):
            d.take(m.start(), m.end())


def find(d: Work, ctx: Ctx) -> None:
    """Ratios and shares of the request, into ``ctx.ratios`` (their words taken)."""
    _formulas(d, ctx)
    _kind_over_all(d, ctx)
    for m in _RATIO.finditer(d.prompt):
        if any(r.start <= m.start() < r.end for r in ctx.ratios):
            continue
        if any(ph.inside_a_name(d, t) for t in d.tokens.within(m.start("w"), m.end("w"))):
            continue  # "the hourly rate of each tutor": a column's name (hourly_rate), not a ratio
        word = m.group("w").lower()
        over = next((x for x in ctx.measures if m.start("all") <= x.start <= m.end() + 1), None)
        if over is not None:  # "share of total revenue": a measure's share of the grand total
            ctx.measures.remove(over)
            r = Ratio("", "", m.start(), over.end, [over], 1.0, True)
        else:
            r = _ratio_of_words(d, m)
        if word in ("percentage", "percent", "pct", "%"):
            r.scale = 100.0
        d.take(r.start, r.end)
        filler = _FROM_EACH.match(d.prompt[r.end :])
        if filler:
            d.take(r.end, r.end + filler.end())
        named = ph.name_after(d, r.end) or ph.name_before(d, r.start)
        if named:
            r.name, r.named = named[0], True
            d.take(min(r.start, named[1]), max(r.end, named[1]))
        ctx.ratios.append(r)
    if ctx.ratios:
        _scales_and_names(d, ctx)
        _rate_names(d, ctx)


def _scales_and_names(d: Work, ctx: Ctx) -> None:
    """The scale the request asks for ("as a percentage", "0-1"), and a name for each unnamed ratio."""
    _merge_restated(ctx)
    for rx, scale in ((_PERCENT, 100.0), (_UNIT_RANGE, 1.0)):
        for m in rx.finditer(d.prompt):
            for r in ctx.ratios:
                r.scale = scale if scale == 100.0 or r.scale != 100.0 else r.scale
            d.take(m.start(), m.end())
            ctx.spans.append((m.start(), m.end(), None))
    for m in _DOES_HAVE.finditer(d.prompt):
        d.take(m.start(), m.start("g"))
        d.take(m.end("g"), m.end())
    for r in ctx.ratios:
        if not r.name:
            kind = "pct" if r.scale == 100.0 else {"percentage": "share", "percent": "share"}.get(
                d.prompt[r.start : r.end].split()[0].lower(), "share")  # fmt: skip
            what = "_".join(snake(str(c.value)) for c in r.measures[0].conds) if not r.total_share else ""
            r.name = f"{what}_{kind}" if what else f"{kind}_of_total"
            r.name = r.name if r.scale == 100.0 or kind != "pct" else r.name.replace("pct", "share")


def _ratio_of_words(d: Work, m: re.Match[str]) -> Ratio:
    """ "share of cancelled orders", "percentage of revenue": what the ratio counts or sums, read after it."""
    start, end = m.start(), m.end()
    total = bool(re.search(r"\b(?:all|total)\b", m.group("all"), re.I))
    words = ph.tokens_from(d, end, 4)
    meas = None
    for n in range(len(words), 0, -1):
        phrase = ph.text_of(d, words[:n])
        table = ph.table_of(d, phrase)
        if table is None and n >= 2 and ph.table_of(d, words[n - 1].text):
            table = ph.table_of(d, words[n - 1].text)
            conds = ph.value_conditions(d, words[: n - 1], table or "")
            if conds:
                meas = ms._entity_measure(d, "count", start, words[n - 1].end, table or "", conds)
                break
            continue
        if table is not None:
            meas = ms._entity_measure(d, "count", start, words[n - 1].end, table, [])
            break
        col = ph.column_of(d, phrase)
        if col is not None and ph.family(d, col) in ph.NUMERIC:
            meas = ms._column_measure(d, "sum", start, words[n - 1].end, col)
            break
    if meas is None:
        raise PlanError(f"'{d.prompt[start:end + 20].strip()}': share of what?",
                        hint="name what is counted, e.g. 'share of orders that were cancelled'")  # fmt: skip
    if meas.conds and not total:
        base = ms.Measure(meas.function, meas.column, ph.default_alias(meas.function, meas.column, meas.table, []),
                          meas.start, meas.end, table=meas.table, entity=meas.entity)  # fmt: skip
        return Ratio("", "", start, meas.end, [meas, base], 1.0, False)
    return Ratio("", "", start, meas.end, [meas], 1.0, True)


def _key(r: Ratio) -> tuple[object, ...]:
    return (r.total_share, *(m.key() for m in r.measures))


def _merge_restated(ctx: Ctx) -> None:
    """ "What fraction of deliveries arrive late per courier? ... late_rate = late / all deliveries": one ratio
    asked as a question and defined as a formula is one measure (the formula's name, the question's scale)."""
    kept: list[Ratio] = []
    for r in ctx.ratios:
        same = next((k for k in kept if _key(k) == _key(r)), None)
        if same is None:
            kept.append(r)
            continue
        if r.named and not same.named:
            same.name, same.named = r.name, True
        same.scale = max(same.scale, r.scale)
        if r.formula and not same.formula:  # the formula's words describe the column
            same.start, same.end, same.formula = r.start, r.end, True
    ctx.ratios[:] = kept


def rounding(d: Work, ctx: Ctx) -> None:
    for m in ROUND.finditer(d.prompt):
        raw = (m.group("n") or m.group("w") or "whole number").lower()
        digits = (
            int(raw) if raw.isdigit() else _NUMS.get(raw.replace("s", "") if raw.endswith("s") else raw, 0)
        )
        items: list[ms.Measure | Ratio] = [
            *ctx.ratios,
            *(x for x in ctx.measures if x.function not in ("count", "count_distinct")),
        ]
        if not items:
            continue
        before = [x for x in items if x.start < m.start()]
        target = max(before, key=lambda x: x.start) if before else min(items, key=lambda x: x.start)
        target.round = digits
        d.take(m.start(), m.end())
