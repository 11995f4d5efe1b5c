"""Aggregations: measures, grouping, conditions on measures (having), zero rows and ratios.

"How many orders per status?", "total amount by customer, only customers above 1,000",
"departments whose average salary is above 100,000", "number of employees in each
department, including departments with none", "percentage of orders cancelled in each
channel (2 decimals)", "what share of all orders does each channel have".

Measures are read by :mod:`measures`; this module groups them, attaches the conditions
on them and turns them into spec aggregations (plus derived columns for ratios, which
the compiler computes after aggregation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datamorph.errors import PlanError
from datamorph.planner.draft import Draft
from datamorph.planner.recognizers import measures as ms
from datamorph.planner.recognizers.common import in_play
from datamorph.planner.recognizers.dates import main_date_column
from datamorph.planner.recognizers.derived import snake
from datamorph.spec import Aggregation, DerivedColumn, Filter

_GROUP = re.compile(
    r"\b(?:per|by|for\s+(?:each|every|every\s+single)|in\s+each|of\s+each|within\s+each|across|grouped\s+by|"
    r"group(?:ed)?\s+(?:it\s+|them\s+)?by|broken\s+down\s+by|break\s*down\s+by|breakdown\s+by|split\s+by|"
    r"each)\s+(?:the\s+|their\s+|its\s+|each\s+|every\s+|individual\s+)?", re.I)  # fmt: skip
_BY_NOT_GROUP = re.compile(
    r"\b(?:sort|sorted|order|ordered|rank|ranked|ranking|placed|made|created|hired|managed|owned|partition|"
    r"partitioned|dedupe|deduplicate|deduplicated|unique|followed|top\s+\d+|bottom\s+\d+|then|filtered|multiplied|"
    r"divided|increase|increased|decrease|decreased|round|rounded|sorting|ordering|descending|ascending)\s+$",
    re.I)  # fmt: skip
_LEVEL = re.compile(r"\b(?P<w>[a-z_]+)\s*-\s*level\b", re.I)
_DATE_UNITS = {"year": "year", "month": "month", "quarter": "quarter", "week": "week", "day": "day",
               "date": "day", "years": "year", "months": "month", "quarters": "quarter", "weeks": "week",
               "days": "day"}  # fmt: skip
_DATE_OF = re.compile(r"^\s*(?:of|in)\s+(?:the\s+)?(?P<c>[a-z_]+(?:\s+[a-z_]+)?)", re.I)
_NAMES = re.compile(r"^\s*(?:names?\b|,?\s*(?:with|and|showing|plus)\s+(?:their|its|the)\s+names?\b)", re.I)
_MORE_KEYS = re.compile(r"^\s*(?:,|and|&|then(?:\s+by)?|,\s*and)\s+(?:by\s+|per\s+|the\s+)?", re.I)

_CMP = re.compile(
    r"(?P<op>more\s+than|greater\s+than|higher\s+than|larger\s+than|bigger\s+than|over|above|exceed(?:s|ing|ed)?|"
    r"in\s+excess\s+of|at\s+least|no\s+(?:less|fewer)\s+than|a\s+minimum\s+of|fewer\s+than|less\s+than|lower\s+than|"
    r"smaller\s+than|under|below|at\s+most|no\s+more\s+than|a\s+maximum\s+of|exactly|equal\s+to|equals|between|"
    r">=|<=|>|<|=|==)\s*(?:of\s+)?$", re.I)  # fmt: skip
_OPS = [(r"at\s+least|no\s+(?:less|fewer)|a\s+minimum|>=", ">="), (r"at\s+most|no\s+more|a\s+maximum|<=", "<="),
        (r"fewer|less|lower|smaller|under|below|<", "<"), (r"exactly|equal|=", "="), (r"between", "between"),
        (r".", ">")]  # fmt: skip
_OR_MORE = re.compile(
    r"^\s*(?:\+|or\s+(?P<d>more|above|greater|higher|over|fewer|less|below|under|lower))", re.I
)
_LINK = re.compile(
    r"(?:\b(?:with|having|who|that|which|whose|where|and)\s+)?(?:(?:have|has|had|placed|made|got|received|"
    r"ordered|bought|purchased|been|appear(?:s|ed)?|used|appearing|sold|contain(?:s|ing)?|included)\s+)*"
    r"(?:(?:in|on|across)\s+)?(?:(?:a|an|the|their|its)\s+)?$", re.I)  # fmt: skip
_VERB_GAP = re.compile(r"^\s*(?:(?:is|are|was|were|be|of|comes?\s+to|came\s+to|adds?\s+up\s+to|totals?|"
                       r"amounts?\s+to|reaches|reached|that\s+is|which\s+is)\s+)*$", re.I)  # fmt: skip
_ONLY = re.compile(r"\b(?:only|just|keep|show|list)?\s*(?:(?:the\s+)?(?:ones|those|groups|them)\s+)?$", re.I)

_ZERO = [re.compile(p, re.I) for p in (
    r"\(?\b(?:and\s+)?(?:including|include|incl\.?|even|also\s+(?:show|list|include)|keep(?:ing)?|show(?:ing)?|"
    r"list(?:ing)?)\s+(?:the\s+|all\s+|any\s+)?(?:ones|those|[a-z_]+)?\s*(?:with|that\s+have|who\s+have|having|"
    r"without|that\s+had|who\s+had|that\s+has)\s+(?:no|zero|none|nobody|no\s+one|0|not\s+any|nothing)\b"
    r"(?:\s+(?!and\b|or\b|per\b|by\b)[a-z_]+)?\)?",
    r"\b(?:who|that|which)\s+(?:never|have\s+not|haven't|did\s+not|didn't|do\s+not|don't|has\s+not|hasn't)"
    r"(?:\s+(?:any|a|an|placed|made|had|ordered|bought)\b)*\s+[a-z_]+",
    r"\b(?:with|having|that\s+have|who\s+have)\s+(?:nobody|no\s+one|none|no\s+[a-z_]+|zero\s+[a-z_]+)",
    r"\b(?:even\s+(?:if|when|those|ones)|including\s+(?:those|ones)|also)\s+(?:they\s+|it\s+)?(?:have|has|had|with)?\s*"
    r"(?:none|no\s+[a-z_]+|zero(?:\s+[a-z_]+)?|nobody)",
    r"\b(?:must|should|need\s+to|have\s+to|ought\s+to)?\s*(?:still\s+)?(?:appear|show(?:\s+up)?|be\s+(?:listed|"
    r"included|shown|kept|present|there)|stay|remain)(?:\s+(?:with|as)\s+(?:a\s+)?(?:count\s+of\s+)?(?:0|zero))?",
    r"\(?\b(?:show(?:ing)?|as|display(?:ed)?|with|count(?:ed)?\s+as|listed\s+with)\s+(?:a\s+)?(?:0|zero)"
    r"(?:\s+(?:for\s+(?:them|those|these)|count|instead))?\s*\)?",
    r"\b(?:every|all)\s+(?:the\s+)?(?=[a-z_]+)",
)]  # fmt: skip
_ZERO_SIGNAL = re.compile(r"\b(?:none|nobody|no\s+one|zero|never|no\s+[a-z_]+|without\s+any|show\s+0|with\s+0|as\s+0)\b",
                          re.I)  # fmt: skip

_RATIO = re.compile(
    r"\b(?:the\s+|what\s+)?(?P<w>share|percentage|percent|proportion|fraction|ratio|rate|pct|%)\s+of\s+"
    r"(?P<all>(?:all\s+|the\s+|total\s+)*)", re.I)  # fmt: skip
_PERCENT = re.compile(r"(?:,\s*)?\(?\b(?:as\s+(?:a\s+)?|in\s+|expressed\s+(?:as|in)\s+(?:a\s+)?)(?:percentages?|percent|%)\)?"
                      r"|\(\s*%\s*\)|\b(?:in|as)\s+%", re.I)  # fmt: skip
_UNIT_RANGE = re.compile(
    r"\(?\s*(?:between\s+)?0(?:\.0)?\s*(?:-|to|and|–)\s*1(?:\.0)?\s*(?=[,;)]|\s|$)\)?", re.I
)
_ROUND = re.compile(
    r"(?:,\s*)?\(?\s*(?:(?:rounded|round(?:ing)?|to|with|at)\s+)?(?:(?:to|with|at)\s+)?(?P<n>\d+|zero|no|one|two|"
    r"three|four|five|six)\s+(?:decimal\s+places?|decimal\s+digits?|decimals?|dp|digits?\s+after\s+the\s+"
    r"(?:decimal\s+)?point|places?)\)?|(?:,\s*)?\b(?:rounded|round(?:ed)?)\s+to\s+(?:the\s+)?nearest\s+(?P<w>whole\s+"
    r"number|integer|cent|unit|hundredth|tenth)s?\b|(?:,\s*)?\b(?:rounded|round(?:ed)?)\s+to\s+(?:whole\s+numbers?|"
    r"integers?)", re.I)  # fmt: skip
_NUMS = {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "whole number": 0, "integer": 0, "unit": 0, "cent": 2, "hundredth": 2, "tenth": 1}  # fmt: skip
_DOES_HAVE = re.compile(r"\b(?:does|do)\s+(?:each|every)\s+(?P<g>[a-z_]+(?:\s+[a-z_]+)?)\s+(?:have|get|take|"
                        r"account\s+for|make\s+up|represent)\b", re.I)  # fmt: skip


@dataclass
class _Ratio:
    name: str
    expression: str
    start: int
    end: int
    measures: list[ms.Measure]  # numerator, denominator (or the measure whose share of the total is taken)
    scale: float
    total_share: bool
    round: int | None = None
    named: bool = False


@dataclass
class _Ctx:
    measures: list[ms.Measure] = field(default_factory=list)
    keys: list[tuple[str, str | None]] = field(
        default_factory=list
    )  # (qualified column or derived name, entity table)
    having: list[tuple[ms.Measure, str, object, str]] = field(default_factory=list)
    ratios: list[_Ratio] = field(default_factory=list)
    preserve: bool = False

    def add(self, m: ms.Measure) -> ms.Measure:
        for old in self.measures:
            if old.key() == m.key():
                return old
        self.measures.append(m)
        return m


def recognize(d: Draft) -> None:
    """Find the measures, groups, having conditions, zero-row wishes and ratios of the request."""
    if d.base is None:
        return
    ctx = _Ctx()
    _find_measures(d, ctx)
    _ratios(d, ctx)
    _identifier_names(d, ctx)
    if not ctx.measures and not ctx.ratios and not _has_count_condition(d):
        return
    _zero_rows(d, ctx)
    _groups(d, ctx)
    _having(d, ctx)
    if not ctx.measures and not ctx.ratios:
        return
    _rounding(d, ctx)
    _finish(d, ctx)


# -- measures and ratios ------------------------------------------------------------------------------


def _find_measures(d: Draft, ctx: _Ctx) -> None:
    for m in ms.find(d):
        ctx.add(m)


def _has_count_condition(d: Draft) -> bool:
    """ "customers with more than 3 orders": a condition on a count, with no other measure word."""
    for t in d.tokens.items:
        if t.kind == "number" and not t.used and _CMP.search(d.prompt[max(0, t.start - 40) : t.start]):
            nxt = ms.tokens_from(d, t.end, 2)
            if nxt and (
                ms.table_of(d, nxt[0].text) or nxt[0].low in ("times", "distinct", "different", "unique")
            ):
                return True
    return False


def _ratios(d: Draft, ctx: _Ctx) -> None:
    for m in _RATIO.finditer(d.prompt):
        word, total = m.group("w").lower(), bool(re.search(r"\b(?:all|total)\b", m.group("all"), re.I))
        start, end = m.start(), m.end()
        over = next((x for x in ctx.measures if m.start("all") <= x.start <= end + 1), None)
        if over is not None:  # "share of total revenue": a measure's share of the grand total
            ctx.measures.remove(over)
            r = _Ratio("", "", start, over.end, [over], 1.0, True)
        else:
            words = ms.tokens_from(d, end, 4)
            meas = None
            for n in range(len(words), 0, -1):
                phrase = ms.text_of(d, words[:n])
                table = ms.table_of(d, phrase)
                if table is None and n >= 2 and ms.table_of(d, words[n - 1].text):
                    table = ms.table_of(d, words[n - 1].text)
                    conds = ms.value_conditions(d, words[: n - 1], table or "")
                    if conds:
                        meas = ms._entity_measure(d, "count", start, words[n - 1].end, table or "", conds)
                        break
                    continue
                if table is not None:
                    meas = ms._entity_measure(d, "count", start, words[n - 1].end, table, [])
                    break
                col = ms.column_of(d, phrase)
                if col is not None and ms.family(d, col) in ms.NUMERIC:
                    meas = ms._column_measure(d, "sum", start, words[n - 1].end, col)
                    break
            if meas is None:
                raise PlanError(f"'{d.prompt[start:end + 20].strip()}': share of what?",
                                hint="name what is counted, e.g. 'share of orders that were cancelled'")  # fmt: skip
            if meas.conds and not total:
                base = ms.Measure(meas.function, meas.column, ms.default_alias(meas.function, meas.column, meas.table, []),
                                  meas.start, meas.end, table=meas.table, entity=meas.entity)  # fmt: skip
                r = _Ratio("", "", start, meas.end, [meas, base], 1.0, False)
            else:
                r = _Ratio("", "", start, meas.end, [meas], 1.0, True)
        if word in ("percentage", "percent", "pct", "%"):
            r.scale = 100.0
        ms.mark(d, r.start, r.end)
        named = ms.name_after(d, r.end) or ms.name_before(d, r.start)
        if named:
            r.name, r.named = named[0], True
            ms.mark(d, min(r.start, named[1]), max(r.end, named[1]))
        ctx.ratios.append(r)
    if not ctx.ratios:
        return
    for rx, scale in ((_PERCENT, 100.0), (_UNIT_RANGE, 1.0)):
        for m in rx.finditer(d.prompt):
            for r in ctx.ratios:
                r.scale = scale if scale == 100.0 or r.scale != 100.0 else r.scale
            ms.mark(d, m.start(), m.end())
    for m in _DOES_HAVE.finditer(d.prompt):
        ms.mark(d, m.start(), m.start("g"))
        ms.mark(d, m.end("g"), m.end())
    for r in ctx.ratios:
        if not r.name:
            kind = "pct" if r.scale == 100.0 else {"percentage": "share", "percent": "share"}.get(
                d.prompt[r.start : r.end].split()[0].lower(), "share")  # fmt: skip
            what = "_".join(ms.snake(str(c.value)) for c in r.measures[0].conds) if not r.total_share else ""
            r.name = f"{what}_{kind}" if what else f"{kind}_of_total"
            r.name = r.name if r.scale == 100.0 or kind != "pct" else r.name.replace("pct", "share")


# -- zero rows -------------------------------------------------------------------------------------------


def _zero_rows(d: Draft, ctx: _Ctx) -> None:
    low = d.prompt
    for sig in _ZERO_SIGNAL.finditer(low):
        text = sig.group(0).lower()
        if text.startswith(("no ", "without")):
            noun = text.split()[-1]
            if noun in ("one",) or ms.table_of(d, noun) is None:
                continue
        left = max(low.rfind(".", 0, sig.start()), low.rfind(";", 0, sig.start()), 0)
        right = min([i for i in (low.find(".", sig.end()), low.find(";", sig.end())) if i >= 0] or [len(low)])
        ctx.preserve = True
        for rx in _ZERO:
            for m in rx.finditer(low, left, right):
                if m.group(0).strip():
                    ms.mark(d, m.start(), m.end())
        ms.mark(d, sig.start(), sig.end())


# -- groups ------------------------------------------------------------------------------------------------


def _groups(d: Draft, ctx: _Ctx) -> None:
    for m in _GROUP.finditer(d.prompt):
        word = m.group(0).split()[0].lower()
        if word == "by" and _BY_NOT_GROUP.search(d.prompt[max(0, m.start() - 25) : m.start()]):
            continue
        if any(ms.blocked(d, t) for t in d.tokens.items if m.start() <= t.start < m.end()):
            continue
        pos, first = m.end(), True
        while True:
            found = _key_at(d, ctx, pos)
            if found is None:
                break
            key, end = found
            if key not in ctx.keys:
                ctx.keys.append(key)
            ms.mark(d, m.start() if first else pos, end)
            first = False
            more = _MORE_KEYS.match(d.prompt[end:])
            if not more:
                break
            pos = end + more.end()
            ms.mark(d, end, pos)
    for m in _LEVEL.finditer(d.prompt):
        table = ms.table_of(d, m.group("w"))
        if table is not None and (m.group("w"), table) not in ctx.keys:
            ctx.keys.append(("", table))
            ms.mark(d, m.start(), m.end())
    for m in re.finditer(r"\b(monthly|yearly|annual|annually|quarterly|weekly|daily)\b", d.prompt, re.I):
        unit = {"monthly": "month", "yearly": "year", "annual": "year", "annually": "year", "quarterly": "quarter",
                "weekly": "week", "daily": "day"}[m.group(1).lower()]  # fmt: skip
        key = _date_key(d, ctx, unit, None, unit)
        if key is not None:
            ctx.keys.append(key)
            ms.mark(d, m.start(), m.end())


def _key_at(d: Draft, ctx: _Ctx, pos: int) -> tuple[tuple[str, str | None], int] | None:
    words = ms.tokens_from(d, pos, 4)
    if not words:
        dn = ms.derived_at(d, pos, pos + 2)
        return None if dn is None else ((dn, None), pos)
    dn = ms.derived_at(d, words[0].start, words[0].end)
    if dn is not None:
        return (dn, None), words[0].end
    for n in range(len(words), 0, -1):
        phrase = ms.text_of(d, words[:n])
        if any(
            re.match(r"^(?:total|sum|average|avg|mean|count|number|max|min|highest|lowest)$", w.low)
            for w in words[:n]
        ):
            continue
        if words[n - 1].low in _DATE_UNITS and n <= 2:
            of = _DATE_OF.match(d.prompt[words[n - 1].end :])
            col_words = of.group("c") if of else (ms.text_of(d, words[: n - 1]) if n == 2 else None)
            key = _date_key(d, ctx, _DATE_UNITS[words[n - 1].low], col_words, snake(phrase))
            if key is not None:
                return key, words[n - 1].end + (of.end() if of else 0)
        table = ms.table_of(d, phrase)
        if table is not None:
            end = words[n - 1].end
            names = _NAMES.match(d.prompt[end:])
            if names:
                name_col = _name_column(d, table)
                if name_col:
                    return (name_col, table), end + names.end()
            return ("", table), end
        col = ms.column_of(d, phrase)
        if col is not None:
            d.use_table(col.split(".")[0])
            return (col, col.split(".")[0]), words[n - 1].end
    return None


def _name_column(d: Draft, table: str) -> str | None:
    info = d.catalog.table(table)
    names = [
        c.name for c in info.columns if c.name.lower() in ("name", f"{ms.singular(table)}_name", "title")
    ]
    return f"{info.name}.{names[0]}" if names else None


def _date_key(d: Draft, ctx: _Ctx, unit: str, col_words: str | None, name: str) -> tuple[str, None] | None:
    col = ms.column_of(d, col_words) if col_words else None
    if col is not None and ms.family(d, col) not in ms.TEMPORAL:
        col = ms.column_of(d, f"{col_words} date")
    if col is None:
        tables = [m.table for m in ctx.measures if m.table] + in_play(d)
        for t in tables:
            found = main_date_column(d.catalog.table(t), name)
            if found:
                col = f"{d.catalog.table(t).name}.{found}"
                break
    if col is None or ms.family(d, col) not in ms.TEMPORAL:
        return None
    expr = f"year({col})" if unit == "year" else f"CAST(date_trunc('{unit}', {col}) AS DATE)"
    if name in d.defined_names():
        return name, None
    d.derived.append(DerivedColumn(name=name, expression=expr, provenance=name.replace("_", " ")))
    return name, None


# -- conditions on measures --------------------------------------------------------------------------------


def _op_of(text: str) -> str:
    return next(op for pat, op in _OPS if re.search(pat, text, re.I))


def _having(d: Draft, ctx: _Ctx) -> None:
    toks = d.tokens.items
    for i, t in enumerate(toks):
        if t.kind != "number" or t.used or ms.blocked(d, t) or not isinstance(t.value, (int, float)):
            continue
        window = d.prompt[max(0, t.start - 40) : t.start]
        cm = _CMP.search(window)
        after = _OR_MORE.match(d.prompt[t.end :])
        if cm is None and after is None:
            continue
        op_start = t.start - len(window) + cm.start() if cm else t.start
        op = _op_of(cm.group("op")) if cm else ("<=" if after and after.group("d") and
                                                   re.match(r"fewer|less|below|under|lower", after.group("d")) else ">=")  # fmt: skip
        value: object = t.value
        end = t.end + (after.end() if after else 0)
        if op == "between":
            m2 = re.match(r"\s*(?:and|to|-)\s*", d.prompt[t.end :])
            nxt = toks[i + 1 : i + 3]
            two = next((x for x in nxt if x.kind == "number"), None)
            if m2 is None or two is None:
                continue
            value, end = [t.value, two.value], two.end
        meas, subject_start = _count_noun(d, ctx, end, op_start)
        if meas is not None:
            end = meas.end
        else:
            meas, subject_start = _subject_measure(d, ctx, op_start)
        if meas is None:
            continue
        if not ctx.keys:
            _subject_group(d, ctx, subject_start, meas)
        lead = re.search(
            r"\b(?:(?:only|just|keep|show|list|return)\s+)+(?:(?:the|those|ones)\s+)?$",
            d.prompt[:subject_start],
            re.I,
        )
        subject_start = lead.start() if lead else subject_start
        ctx.having.append((meas, op, value, d.prompt[subject_start:end].strip()))
        ms.mark(d, subject_start, end)


def _count_noun(d: Draft, ctx: _Ctx, end: int, op_start: int) -> tuple[ms.Measure | None, int]:
    """ "with more than 15 orders", "used in over 1,000 sessions", "ordered at least 3 times"."""
    words = ms.tokens_from(d, end, 3)
    distinct = bool(words) and words[0].low in ("distinct", "different", "unique", "separate")
    if distinct:
        words = words[1:]
    table = None
    stop = end
    for n in range(len(words), 0, -1):
        table = ms.table_of(d, ms.text_of(d, words[:n]))
        if table is not None:
            stop = words[n - 1].end
            break
    if table is None and words and words[0].low == "times":
        group_tables = {k[1] for k in ctx.keys if k[1]}
        table = next((m.table for m in ctx.measures if m.entity and m.table), None) or next(
            (t for t in in_play(d) if t not in group_tables), None)  # fmt: skip
        stop = words[0].end
    if table is None:
        return None, op_start
    link = _LINK.search(d.prompt[:op_start])
    subject_start = link.start() if link and link.group(0).strip() else op_start
    meas = ms._entity_measure(d, "count_distinct" if distinct else "count", end, stop, table, [])
    meas.start = end
    return ctx.add(meas), subject_start


def _subject_group(d: Draft, ctx: _Ctx, subject_start: int, meas: ms.Measure) -> None:
    """ "customers with more than 3 orders", "departments whose average salary...": the subject is the group."""
    before = ms.tokens_before(d, subject_start, 2)
    if not before:
        return
    owner = ms.table_of(d, ms.text_of(d, before)) or ms.table_of(d, before[-1].text)
    if owner is not None and owner != meas.table:
        ctx.keys.append(("", owner))
        d.use_table(owner)


def _subject_measure(d: Draft, ctx: _Ctx, op_start: int) -> tuple[ms.Measure | None, int]:
    """ "whose average salary is above", "with total > 1000", "only customers above 1,000"."""
    for m in sorted(ctx.measures, key=lambda x: -x.end):
        if m.end <= op_start and _VERB_GAP.match(d.prompt[m.end : op_start]):
            link = _LINK.search(d.prompt[: m.start])
            return m, link.start() if link and link.group(0).strip() else m.start
    before = d.prompt[max(0, op_start - 40) : op_start]
    bare = re.search(r"\b(?:a\s+|the\s+|their\s+|its\s+)?(?:combined\s+|overall\s+|grand\s+)?(?P<w>total|sum|average|"
                     r"avg|mean|count|number|maximum|max|minimum|min)\s*(?:(?:is|was|of|comes\s+to)\s+)*$", before, re.I)  # fmt: skip
    if bare:
        fn = {"total": "sum", "sum": "sum", "average": "avg", "avg": "avg", "mean": "avg", "count": "count",
              "number": "count", "maximum": "max", "max": "max", "minimum": "min", "min": "min"}[bare.group("w").lower()]  # fmt: skip
        cands = [
            m for m in ctx.measures if m.function == fn or fn == "count" and m.function == "count_distinct"
        ]
        if len(cands) == 1:
            start = op_start - len(before) + bare.start()
            link = _LINK.search(d.prompt[:start])
            return cands[0], link.start() if link and link.group(0).strip() else start
        return None, op_start
    mtables = {m.table for m in ctx.measures}
    group_tables = {k[1] for k in ctx.keys if k[1] and (not k[0] or k[1] not in mtables)}
    link = _LINK.search(d.prompt[:op_start])
    subj = ms.tokens_before(d, link.start() if link and link.group(0).strip() else op_start, 3)
    words = [
        w
        for w in subj
        if w.low not in ("only", "just", "the", "those", "ones", "keep", "groups", "show", "list")
    ]
    if (
        len(ctx.measures) == 1
        and subj
        and (not words or ms.table_of(d, ms.text_of(d, words)) in group_tables)
    ):
        return ctx.measures[0], subj[0].start
    return None, op_start


# -- rounding and names ----------------------------------------------------------------------------------


def _rounding(d: Draft, ctx: _Ctx) -> None:
    for m in _ROUND.finditer(d.prompt):
        raw = (m.group("n") or m.group("w") or "whole number").lower()
        digits = (
            int(raw) if raw.isdigit() else _NUMS.get(raw.replace("s", "") if raw.endswith("s") else raw, 0)
        )
        items: list[ms.Measure | _Ratio] = [
            *ctx.ratios,
            *(x for x in ctx.measures if x.function not in ("count", "count_distinct")),
        ]
        if not items:
            continue
        before = [x for x in items if x.start < m.start()]
        target = max(before, key=lambda x: x.start) if before else min(items, key=lambda x: x.start)
        target.round = digits
        ms.mark(d, m.start(), m.end())


_AGG_PARTS = {"count": "count", "cnt": "count", "n": "count", "num": "count", "number": "count", "total": "sum",
              "sum": "sum", "avg": "avg", "average": "avg", "mean": "avg", "min": "min", "max": "max"}  # fmt: skip


_CALLED = re.compile(
    r"\b(?:called|named|aliased(?:\s+as)?|labell?ed)\s+[`'\"]?(?P<n>[A-Za-z_]\w*)[`'\"]?", re.I
)


def _identifier_names(d: Draft, ctx: _Ctx) -> None:
    """Names in an output list ("customer_id, order_count and avg_amount") that name a measure."""
    unnamed = [m for m in ctx.measures if not m.named] + [r for r in ctx.ratios if not r.named]  # type: ignore[list-item]
    called = [m for m in _CALLED.finditer(d.prompt) if not any(
        t.used for t in d.tokens.items if m.start() <= t.start < m.end())]  # fmt: skip
    if len(unnamed) == 1 and len(called) == 1 and not ms.d_has(d, called[0].group("n")):
        item = unnamed[0]
        if isinstance(item, ms.Measure):
            item.alias, item.named = called[0].group("n"), True
        else:
            item.name, item.named = called[0].group("n"), True
        ms.mark(d, called[0].start(), called[0].end())
    for t in d.tokens.items:
        if t.used or t.kind != "word" or "_" not in t.text or d.catalog.has_table(t.text):
            continue
        if any(info.has_column(t.text) for info in d.catalog.tables.values()):
            continue
        parts = t.low.split("_")
        fns = [_AGG_PARTS[p] for p in parts if p in _AGG_PARTS]
        rest = " ".join(p for p in parts if p not in _AGG_PARTS)
        if any(p in ("pct", "percent", "percentage", "share", "rate", "ratio", "fraction") for p in parts):
            unnamed = [r for r in ctx.ratios if not r.named]
            if len(unnamed) == 1:
                unnamed[0].name, unnamed[0].named = t.text, True
                t.used = True
            continue
        if len(fns) != 1:
            continue
        fn = fns[0]
        same = [m for m in ctx.measures if not m.named and (m.function == fn or fn == "count" and m.entity)]
        match = [m for m in same if not rest or set(ms.singular(w) for w in rest.split()) &
                 set(ms.singular(w) for w in m.alias.split("_"))]  # fmt: skip
        if len(match) == 1 or len(same) == 1 and not match:
            chosen = match[0] if match else same[0]
            chosen.alias, chosen.named = t.text, True
            t.used = True
            continue
        if rest:
            table = ms.table_of(d, rest)
            col = None if table else ms.column_of(d, rest)
            if table and fn == "count":
                meas = ms._entity_measure(d, "count", t.start, t.end, table, [])
            elif col:
                meas = ms._column_measure(d, fn, t.start, t.end, col)
            else:
                continue
            meas.alias, meas.named = t.text, True
            ctx.add(meas)
            t.used = True


# -- into the draft -------------------------------------------------------------------------------------------


def _pk(d: Draft, table: str) -> str:
    info = d.catalog.table(table)
    return f"{info.name}.{info.primary_key[0] if info.primary_key else info.columns[0].name}"


def _fk_target(d: Draft, col: str) -> str | None:
    t, c = col.split(".", 1)
    for fk in d.catalog.table(t).foreign_keys:
        if len(fk.columns) == 1 and fk.columns[0].lower() == c.lower():
            return d.catalog.table(fk.ref_table).name
    return None


def _group_keys(d: Draft, ctx: _Ctx, mtables: list[str]) -> tuple[list[str], str | None]:
    keys: list[str] = []
    anchor: str | None = None
    for col, table in ctx.keys:
        if col and "." in col and ctx.preserve and anchor is None:
            owner = col.split(".")[0]
            ref = _fk_target(d, col)
            if owner in mtables and ref and ref not in mtables:
                col, owner = _pk(d, ref), ref
            anchor = owner
        if col:
            keys.append(col)
            continue
        assert table is not None
        if ctx.preserve and anchor is None:
            anchor = table
            keys.append(_pk(d, table))
            continue
        key = None
        for mt in mtables:
            if mt.lower() == table.lower():
                key = _pk(d, table)
                break
            fk = next((f for f in d.catalog.table(mt).foreign_keys if f.ref_table.lower() == table.lower()
                       and len(f.columns) == 1), None)  # fmt: skip
            if fk is not None:
                key = f"{d.catalog.table(mt).name}.{fk.columns[0]}"
                break
        keys.append(key or ms.entity_key(d, table))
    return list(dict.fromkeys(keys)), anchor


def _count_arg(d: Draft, m: ms.Measure, anchor: str | None, used: set[str]) -> tuple[str, str | None]:
    """count(*) in general; count(key) when the counted table is outer-joined; distinct when joins fan out."""
    if not m.entity or not m.table:
        return m.function, m.column
    fanout = any(fk.ref_table.lower() == m.table.lower() for t in used if t.lower() != m.table.lower()
                 for fk in d.catalog.table(t).foreign_keys)  # fmt: skip
    if fanout:
        return "count_distinct", _pk(d, m.table)
    if anchor is not None and m.table.lower() != anchor.lower():
        return "count", _pk(d, m.table)
    return "count", None


def _literal(v: object) -> str:
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def _agg_sql(fn: str, arg: str | None, conds: list[Filter]) -> str:
    cond = " AND ".join(f"{c.column} = {_literal(c.value)}" for c in conds)
    inner = arg or ("1" if cond else "*")
    if cond:
        inner = f"CASE WHEN {cond} THEN {arg or 1} END"
    if fn == "count_distinct":
        return f"count(DISTINCT {inner})"
    return f"{fn}({inner})"


def _finish(d: Draft, ctx: _Ctx) -> None:
    all_measures = [*ctx.measures, *(m for r in ctx.ratios for m in r.measures)]
    mtables = list(dict.fromkeys(m.table for m in all_measures if m.table))
    keys, anchor = _group_keys(d, ctx, mtables)
    if ctx.preserve:
        if anchor is None or all(t == anchor for t in mtables):
            anchor = None
        else:
            d.preserve_base = True
            if d.base != anchor:
                old = d.base
                d.base = anchor
                d.tables = [t for t in d.tables if t != anchor] + (
                    [old] if old and old not in d.tables else []
                )
    used = set(in_play(d)) | set(mtables) | {k.split(".")[0] for k in keys if "." in k}
    for t in used:
        d.use_table(t)
    if not ctx.ratios and not d.preserve_base and ctx.measures:
        first = [c.model_dump_json() for c in ctx.measures[0].conds]
        if first and all([c.model_dump_json() for c in m.conds] == first for m in ctx.measures):
            d.filters.extend(ctx.measures[0].conds)
            for m in ctx.measures:
                m.conds = []
    names = d.defined_names()
    aggs: list[Aggregation] = []
    for m in ctx.measures:
        fn, col = _count_arg(d, m, anchor, used)
        expr = m.expression
        if col and "." not in col:
            col, expr = _fold_derived(d, col)
        alias = m.alias
        n = 2
        while alias.lower() in names:
            alias, n = f"{m.alias}_{n}", n + 1
        names.add(alias.lower())
        m.alias = alias
        aggs.append(Aggregation(function=fn, column=col, expression=expr, alias=alias, filter=list(m.conds),  # type: ignore[arg-type]
                                round=m.round, provenance=d.prompt[m.start : m.end].strip()))  # fmt: skip
    d.group_by.extend(k for k in keys if k not in d.group_by)
    d.aggregations.extend(aggs)
    for meas, op, value, words in ctx.having:
        d.having.append(Filter(column=meas.alias, operator=op, value=value, provenance=words))  # type: ignore[arg-type]
    for r in ctx.ratios:
        refs = []
        for m in r.measures:
            same = next((x for x in ctx.measures if x.key() == m.key()), None)
            if same is not None:
                refs.append(same.alias)
            else:
                fn, col = _count_arg(d, m, anchor, used)
                refs.append(_agg_sql(fn, col, m.conds))
        scale = "100.0" if r.scale == 100.0 else "1.0"
        if r.total_share:
            expr = f"{scale} * {refs[0]} / nullif(sum({refs[0]}) OVER (), 0)"
        else:
            expr = f"{scale} * {refs[0]} / nullif({refs[1]}, 0)"
        if r.round is not None:
            expr = f"round({expr}, {r.round})"
        name = r.name if r.name.lower() not in names else f"{r.name}_ratio"
        names.add(name.lower())
        d.derived.append(
            DerivedColumn(name=name, expression=expr, provenance=d.prompt[r.start : r.end].strip())
        )
    if not ctx.measures and ctx.ratios and not keys:
        raise PlanError("a share needs groups to compare: say per what, e.g. 'per channel'")


def _fold_derived(d: Draft, name: str) -> tuple[str | None, str | None]:
    """Aggregate a derived column's expression directly, dropping the column if nothing else uses it."""
    dc = next((x for x in d.derived if x.name.lower() == name.lower()), None)
    if dc is None:
        return name, None
    others = [
        x for x in d.derived if x is not dc and re.search(rf"\b{re.escape(dc.name)}\b", x.expression, re.I)
    ]
    if others:
        return name, None
    d.derived.remove(dc)
    return None, dc.expression
