"""Ratios and shares: "percentage of orders cancelled per channel", "what share of all orders does each
channel have", "fraction of accounts closed"; their scale (percent or 0-1) and rounding.

Two kinds: the rows in a state over all the rows (of each group, or one value with no group) — "what part of
the transactions stays pending", "what fraction of all orders were cancelled" (a state said after the rows:
"all cancelled orders" is the other kind), "cancelled orders over all orders, times 100", "Out of every
invoice, which fraction is void?", "late = late / every delivery with that courier * 100" (the formula's
"that courier" groups) —; and each group's share of the grand total — "the percent of all sessions each
browser accounts for" ("accounts" is a verb there, no table), "how the sessions divide among device types".
The scale comes from the words: a percentage (percent, "x 100", "in percent"), or a fraction (share,
fraction, proportion, part, portion, rate, "as a fraction", "0 to 1": x 100 only where a percent is said); a
spread that says neither ("how do orders split across channels": counts too?), or a request that says both, is
refused. A rate may be named by the state it counts ("no-show rate per doctor", "cancellation percentage by
channel") and compared ("doctors whose no-show rate is above 10%": a condition on the ratio, per the subject).
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.lexicon import NON_SCHEMA_WORDS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers import groups
from datamorph.planner.recognizers import measures as ms
from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.derived import snake
from datamorph.planner.recognizers.measures import Ctx, Ratio
from datamorph.planner.refs import owner_table
from datamorph.planner.text import Token
from datamorph.spec import Filter

#: "share of", "what part of", "which portion of": a ratio's words ("part" only after what/which: "part of" is common)
_RATIO = re.compile(
    r"\b(?:the\s+|what\s+|which\s+)?(?P<w>share|percentage|percent|proportion|fraction|ratio|rate|pct|%|portion|"
    r"(?<=what\s)part|(?<=which\s)part)\s+of\s+(?P<all>(?:all\s+|the\s+|total\s+)*)", re.I)  # fmt: skip
#: the verb a scale may be said with: "given as a percentage", "expressed as a fraction from 0 to 1"
_GIVEN = r"(?:(?:given|shown|expressed|reported|presented|written|displayed|returned|stated)\s+)?"
_PERCENT = re.compile(rf"(?:,\s*)?\(?\b{_GIVEN}(?:as\s+(?:a\s+)?|in\s+)(?:percentages?|percent|%)\)?"
                      r"|\(\s*%\s*\)|\b(?:in|as)\s+%"
                      r"|\(?\b(?:on|as|using)\s+(?:a\s+)?0\s*(?:-|to|–)\s*100\s+(?:scale|range)\)?"
                      r"|\(?\b(?:between|from)\s+0\s+(?:and|to)\s+100\)?|\(\s*0\s*(?:-|to|–)\s*100\s*%?\s*\)"
                      r"|(?:\b(?:x|times|multiplied\s+by)|[*×])\s*100\b", re.I)  # fmt: skip
_UNIT_RANGE = re.compile(
    rf"\(?\s*(?:\b{_GIVEN}(?:as|on)\s+(?:a\s+)?(?:number|value|decimal|fraction|proportion|scale)\s+(?:of\s+)?)?"
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


#: a verb that opens an output list (a formula in it is an item: the columns recognizer reads its words)
_LIST_VERB = re.compile(r"\b(?:return|show|list|give\s+me|output|select|display|include|columns?)\b", re.I)
_LEAD = re.compile(r"(?:(?:all|every|each|the|total)\s+)+", re.I)
_TIMES_100 = re.compile(r"^\s*(?:\)\s*)?(?:\bx\b|\btimes\b|\bmultiplied\s+by\b|[*×])\s*100\b", re.I)


def _sum_of_key(d: Work, x: ms.Measure) -> bool:
    """ "total sessions" read as a sum of session_id: a table's rows named, not a number to add up."""
    return x.function == "sum" and bool(x.column) and "." in str(x.column) and ph.is_key(d, str(x.column))


def _formulas(d: Work, ctx: Ctx) -> None:
    """ "late_pct = late deliveries / all deliveries of that courier x 100"."""
    for m in _FORMULA.finditer(d.prompt):
        if ph.d_has(d, m.group("name")):
            continue
        parts = []
        for g in ("num", "den"):
            got = next((x for x in ctx.measures if m.start(g) <= x.start < m.end(g)), None)
            if got is not None and _sum_of_key(d, got):  # "/ total transactions": the rows, not a sum of their ids
                ctx.measures.remove(got)
                got = None
            if got is None:
                lead = _LEAD.match(d.prompt, m.start(g))  # "every transaction": ("every" ends a phrase elsewhere)
                got = ms.target(d, "count", m.start(g), lead.end() if lead else m.start(g))
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
        if parts[1].entity and parts[1].table:  # "... / every transaction with that direction": the group's words
            grouped = _same_group(d, ctx, end, parts[1].table)
            if _LIST_VERB.search(re.split(r"[.;!?]\s", d.prompt[: m.start()])[-1]):
                d.take(end, grouped)  # "Return channel and rate = a / b in that channel": the item ends at b
            else:
                end = grouped
        scale = _TIMES_100.match(d.prompt[end:])  # "... / all orders (of the channel) x 100": the formula's last words
        r = Ratio(m.group("name"), "", m.start(), end + (scale.end() if scale else 0), parts, 1.0, False, named=True,
                  formula=True)  # fmt: skip
        d.take(m.start(), parts[0].end)
        d.take(m.start("den"), end)
        d.take(m.end("num"), m.start("den"))
        ctx.ratios.append(r)


# "cancelled orders as a percent of all orders (of that channel)": the rows of a kind over all rows
# "cancelled orders over all orders", "no-shows out of every appointment": the same, said as a division
_AS_SHARE = re.compile(r"\b(?:as\s+(?:a\s+)?(?P<w>percent(?:age)?|share|fraction|proportion)\s+of|"
                       r"(?P<div>over|out\s+of|divided\s+by|relative\s+to))\s+"
                       r"(?P<all>(?:all\s+|the\s+|total\s+|every\s+)*)", re.I)  # fmt: skip
_SAME_GROUP = re.compile(r"\s*(?:of|in|for|within|with|from|on|at)\s+(?P<det>that|the\s+same|its|their|each|the|this)\s+"
                         r"(?P<g>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)", re.I)  # fmt: skip


def _same_group(d: Work, ctx: Ctx, end: int, table: str) -> int:
    """ "(all orders) of that channel", "(every transaction) with that direction": the group restated after a
    denominator; it groups by that column of the counted table (where nothing else says so). Where it ends."""
    m = _SAME_GROUP.match(d.prompt, end)
    if m is None:
        return end
    words = ph.tokens_from(d, m.start("g"), 2)
    if any(ph.value_conditions(d, [t], table) for t in words):
        return end  # "of the web channel": a value, not the group
    for n in range(len(words), 0, -1):
        phrase = ph.text_of(d, words[:n])
        col = ph.column_of(d, phrase, [table])
        if col is None or ph.family(d, col) in ph.NUMERIC and not ph.is_key(d, col):
            continue
        key = (col, table)
        if key not in ctx.keys:
            ctx.keys.append(key)
        return words[n - 1].end
    det = m.group("det").lower()
    # "of each channel" (the groups read it), "of the same type" (a group said elsewhere): words only
    return m.end() if det != "the" and det != "this" else end


#: what may lie between a count and "as a share of": nothing, or its group ("how many ... per channel, as a ...")
_GROUP_GAP = re.compile(r"[\s,]*(?:(?:per|by|for\s+(?:each|every)|in\s+each|within\s+each)\s+[A-Za-z_]+(?:\s+[A-Za-z_]+)?"
                        r"[\s,]*)?", re.I)  # fmt: skip


def _count_before(d: Work, ctx: Ctx, pos: int, table: str) -> tuple[int, ms.Measure] | None:
    """The rows a share counts, said before "as a fraction of" / "over": a count of the table's rows with
    values ("how many of the accounts are closed, as a fraction of ..."), else values and the table's name
    ("reversed payments as a percent of ...")."""
    for x in ctx.measures:
        if x.entity and x.conds and x.table == table and x.end <= pos and _GROUP_GAP.fullmatch(d.prompt, x.end, pos):
            ctx.measures.remove(x)
            return x.start, x
    before = [t for t in d.tokens.within(max(0, pos - 80), pos) if t.kind == "word"][-4:]
    while before and not d.free(before[0].start, before[-1].end):
        before = before[1:]
    if len(before) < 2 or ph.table_of(d, before[-1].text) != table:
        return None
    for k in range(len(before) - 1):
        conds = ph.value_conditions(d, before[k:-1], table)
        if conds:
            start = before[k].start
            return start, ms._entity_measure(d, "count", start, before[-1].end, table, conds)
    return None


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
        found = _count_before(d, ctx, m.start(), den_table)
        if found is None:
            continue
        start, num = found
        den = ms._entity_measure(d, "count", m.start(), den_end, den_table, [])
        end = _same_group(d, ctx, den_end, den_table)
        pct = (m.group("w") or "").lower().startswith("percent")
        r = Ratio("", "", start, end, [num, den], 100.0 if pct else 1.0, False)
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


#: the verb of a group's share, said after it: "(the percent of all sessions) each browser accounts for", "(the
#: share of total revenue) it makes up", "that every channel represents" ("accounts" is a verb here, no table)
_SHARE_VERB = re.compile(
    r"\s*(?:that\s+|which\s+)?(?:(?:each|every)\s+(?P<g>[A-Za-z_]+(?:\s+[A-Za-z_]+){0,2}?)|it|they|this|that)\s+"
    r"(?P<v>accounts?\s+for|makes?\s+up|represents?|contributes?|takes?\s+up|covers?)\b", re.I)  # fmt: skip


def _share_verbs(d: Work, ctx: Ctx) -> None:
    """ "the percent of all sessions each browser accounts for", "what share of orders does each channel account
    for": the verb of a share of the total (the group after "each" is left to the groups; "it" is the group said
    before). A table its words name ("accounts") leaves play."""
    for r in ctx.ratios:
        m = _SHARE_VERB.match(d.prompt, r.end) if r.total_share else None
        if m is None or not d.free(m.start("v"), m.end("v")):
            continue
        d.take(m.start("v") if m.group("g") else m.start(), m.end("v"))
        _verb_not_table(d, ctx, m.start("v"), m.end("v"))
    for m in _DOES_HAVE.finditer(d.prompt):
        d.take(m.start(), m.start("g"))
        d.take(m.end("g"), m.end())
        _verb_not_table(d, ctx, m.end("g"), m.end())


def _verb_not_table(d: Work, ctx: Ctx, start: int, end: int) -> None:
    """Words of a verb that name a table ("account for"): no table of the request. A column a share adds up was
    looked for with that table in play ("share of total amount does each channel account for": whose amount?):
    refused when several tables have a column of that name and the request names none of them elsewhere."""
    ctx.spans.append((start, end, None))  # (the table leaves play where nothing else names it)
    if not any(isinstance(x, TableMatch) and start <= x.start < end for x in d.mentions):
        return
    elsewhere = {x.table.lower() for x in d.mentions if isinstance(x, TableMatch) and not start <= x.start < end}
    for x in (x for r in ctx.ratios for x in r.measures):
        if not x.column or "." not in x.column or owner_table(d.catalog, x.column).lower() in elsewhere:
            continue
        bare = x.column.rsplit(".", 1)[1]
        if sum(1 for t in d.catalog.tables.values() if t.has_column(bare)) > 1:
            raise PlanError(f"'{d.prompt[x.start : x.end].strip()}': {x.column}, read with '{d.prompt[start:end]}' "
                            f"as a table?", hint="name the table whose column it is, e.g. 'the total order amount'")  # fmt: skip


def find(d: Work, ctx: Ctx) -> None:
    """Ratios and shares of the request, into ``ctx.ratios`` (their words taken)."""
    _formulas(d, ctx)
    _per_row(d, ctx)
    _kind_over_all(d, ctx)
    _out_of_all(d, ctx)
    unscaled = _spread(d, ctx)  # (ratios whose words say no scale: the request must)
    _of_the_whole(d, ctx)
    for m in _RATIO.finditer(d.prompt):
        if any(r.start <= m.start() < r.end for r in ctx.ratios) or ph.planned(d, m.start("w"), m.end("w")):
            continue  # (a share of a row's group is a window, planned before: windows.partitions)
        if any(ph.inside_a_name(d, t) for t in d.tokens.within(m.start("w"), m.end("w"))):
            continue  # "the hourly rate of each tutor": a column's name (hourly_rate), not a ratio
        word = m.group("w").lower()
        over = next((x for x in ctx.measures if m.start("all") <= x.start <= m.end() + 1), None)
        if over is not None:
            ctx.measures.remove(over)
        pair = _a_to_b(d, m) if word == "ratio" and over is None else None
        if pair is not None:  # "ratio of cancelled to completed orders": one count over the other
            r = pair
        elif over is not None and not (over.entity and over.conds or _sum_of_key(d, over)):
            # "share of total revenue": of the grand total ("of the total sessions" counts them: no sum of keys)
            r = Ratio("", "", m.start(), over.end, [over], 1.0, True)
        else:  # "fraction of all orders were cancelled": which of the rows, read from the words
            r = _ratio_of_words(d, m, ctx)
        if word in ("percentage", "percent", "pct", "%"):
            r.scale = 100.0
        if word == "rate":  # "the rate of cancelled orders": a fraction or a percentage, as the request says
            unscaled.append(r)
        d.take(r.start, r.end)
        filler = _FROM_EACH.match(d.prompt[r.end :])
        if filler:
            d.take(r.end, r.end + filler.end())
        named = ph.name_after(d, r.end) or ph.name_before(d, r.start)
        if named:
            r.name, r.named = named[0], True
            d.take(min(r.start, named[1]), max(r.end, named[1]))
        ctx.ratios.append(r)
    unscaled += _state_rates(d, ctx)
    if ctx.ratios:
        said = _scales_and_names(d, ctx)
        unscaled = [r for r in unscaled if not _scale_by_comparison(d, r)]
        for r in unscaled:
            if not said and not r.formula and r in ctx.ratios:
                raise PlanError(f"'{d.prompt[r.start : r.end].strip()}': as a fraction (0-1) or as a percentage?",
                                hint="say which, e.g. 'as a percentage' or 'as a fraction from 0 to 1'")  # fmt: skip
        _share_verbs(d, ctx)
        _rate_names(d, ctx)


#: a ratio's word after the state it counts: "no-show rate", "cancellation percentage" ("rate of ..." is another shape)
_STATE_RATE = re.compile(r"\b(?P<w>rate|percentage|percent|share|proportion|fraction|ratio)s?\b(?!\s+of\b)", re.I)


def _state_values(d: Work, words: list[Token]) -> list[Filter]:
    """The values (of any table) the words before a rate name: the words themselves ("no-show", "void"), else one
    value sharing the first five letters of the last word ("cancellation" → cancelled, "return" → returned)."""
    phrase = ph.text_of(d, words)
    hits = [h for h in d.linker.values(phrase) if ph._covers(h, phrase) and h.score >= 0.85]
    if hits:
        best = max(h.score for h in hits)
        return [Filter(column=f"{h.table}.{h.column}", operator="=", value=h.value, provenance=phrase)
                for h in hits if h.score == best]  # fmt: skip
    word = words[-1].low
    if len(words) > 1 or len(word) < 5 or not word.isalpha() or ph.column_of(d, word) or ph.table_of(d, word):
        return []
    index = d.linker.value_index
    out = []
    for table, column in index.columns() if index is not None else ():
        for v in index.values_of(table, column) if index is not None else ():
            if isinstance(v, str) and len(v) >= 5 and re.fullmatch(r"[A-Za-z]+", v) and v.lower()[:5] == word[:5]:
                out.append(Filter(column=f"{table}.{column}", operator="=", value=v, provenance=phrase))
    return out


def _rows_of(d: Work, start: int, end: int, found: list[Filter]) -> list[Filter]:
    """The one table whose rows a rate counts, among the tables of the values found: the one the rest of the
    request names (else a neighbour of those); several, or none with several candidates, is asked."""
    tables = list(dict.fromkeys(owner_table(d.catalog, f.column) for f in found))
    said = {m.table for m in d.mentions if not (start <= m.start < end)} | set(d.in_play())
    near = {nb for t in said for nb in d.linker.neighbors(t)}
    for pool in (said, near):
        hit = [t for t in tables if t in pool]
        if len(hit) == 1:
            return [f for f in found if owner_table(d.catalog, f.column) == hit[0]]
        if hit:
            break
    return found if len(tables) == 1 else []


def _scale_by_comparison(d: Work, r: Ratio) -> bool:
    """A rate compared with a percentage ("no-show rate above 10%": in percent) or with a fraction ("under 0.05"):
    the number says the scale the request speaks in."""
    m = _RATE_CMP.match(d.prompt, r.end)
    if m is None:
        return False
    if m.group("pct"):
        r.scale = 100.0
        return True
    if float(m.group("n")) < 1:
        r.scale = 1.0
        return True
    return False


def _state_rates(d: Work, ctx: Ctx) -> list[Ratio]:
    """ "no-show rate per doctor", "cancellation percentage by channel": the rows in that state over all the rows
    (of each group); the state is a value of the rows' table said by its word or a form of it. Returns the ones
    said as a "rate" (their scale is the request's to say)."""
    rates: list[Ratio] = []
    for m in _STATE_RATE.finditer(d.prompt):
        if any(r.start <= m.start() < r.end for r in ctx.ratios) or not d.free(m.start(), m.end()):
            continue
        if any(ph.inside_a_name(d, t, before=True) for t in d.tokens.within(m.start(), m.end())):
            continue  # "hourly rate": a column's name
        before = [t for t in d.tokens.items if t.end <= m.start() and m.start() - t.end < 30][-3:]
        joined: list[Token] = []  # the word right before, and one joined to it by a hyphen ("no-show")
        for t in reversed(before):
            if t.kind == "word" and (not joined or d.prompt[t.end : joined[0].start] == "-"):
                joined.insert(0, t)
            elif t.text != "-" or not joined:
                break
        if not joined or d.prompt[joined[-1].end : m.start()].strip() or not d.free(joined[0].start, joined[-1].end):
            continue
        if len(joined) == 1 and (joined[0].low in ph.BOUNDARY or joined[0].low in NON_SCHEMA_WORDS):
            continue  # "(as a) percent", "in percent": no state
        found = _state_values(d, joined)
        if not found:
            continue
        start, end = joined[0].start, joined[-1].end
        conds = _rows_of(d, start, end, found)
        if len(conds) != 1:
            tables = sorted({owner_table(d.catalog, f.column) for f in found})
            raise PlanError(f"'{d.prompt[start : m.end()]}': the share of which rows ({', '.join(tables)}) in which "
                            f"state?", hint="name the rows and their value, e.g. 'the share of orders that were "
                            "cancelled'")  # fmt: skip
        table = owner_table(d.catalog, conds[0].column)
        if any((c.column, c.value) == (conds[0].column, conds[0].value) for r in ctx.ratios for c in r.measures[0].conds):
            continue  # "Return rate per shop: returned parcels as a share of ...": its name (_rate_names)
        num = ms._entity_measure(d, "count", start, end, table, conds)
        den = ms._entity_measure(d, "count", start, end, table, [])
        word = m.group("w").lower()
        r = Ratio(f"{snake(ph.text_of(d, joined))}_{word}", "", start, m.end(), [num, den],
                  100.0 if word.startswith("percent") else 1.0, False)  # fmt: skip
        d.take(start, m.end())
        ctx.ratios.append(r)
        if word == "rate":
            rates.append(r)
    return rates


_RATE_CMP = re.compile(
    r"\s*(?:(?:is|was|are|were|comes\s+to|stands\s+at|of)\s+)?(?P<op>more\s+than|greater\s+than|higher\s+than|over|above|"
    r"exceed(?:s|ing|ed)?|at\s+least|less\s+than|lower\s+than|under|below|at\s+most|no\s+more\s+than|"
    r"no\s+less\s+than)\s+(?P<n>\d+(?:\.\d+)?)\s*(?P<pct>%|percent\b|per\s+cent\b|pct\b)?", re.I)  # fmt: skip
_RATE_OPS = {"at least": ">=", "no less than": ">=", "at most": "<=", "no more than": "<=", "less than": "<",
             "lower than": "<", "under": "<", "below": "<"}  # fmt: skip
_RATE_LINK = re.compile(r"\b(?:whose|where\s+(?:the|their|its)|with\s+(?:a|an)|(?:that|which|who)\s+(?:have|has)\s+"
                        r"(?:a|an)|having\s+(?:a|an))\s+$", re.I)  # fmt: skip


def per_row_keys(d: Work, ctx: Ctx) -> None:
    """ "orders per customer for each country": the "per customer" of a per-row ratio is no group of its own."""
    for r in (r for r in ctx.ratios if r.per_row):
        for s in [s for s in ctx.spans if r.start <= s[0] < r.end and (s[2] or "").startswith("entity:")]:
            ctx.spans.remove(s)
            key = ("", str(s[2]).split(":", 1)[1])
            if key in ctx.keys and not any(e == s[2] for _, _, e in ctx.spans):
                ctx.keys.remove(key)


def conditions(d: Work, ctx: Ctx) -> None:
    """ "doctors whose no-show rate is above 10%", "channels with a return rate under 0.05": a condition on a
    ratio (kept in ``ctx.ratio_having``); the subject before the link is the group. The number is on the ratio's
    scale: "10%" of a fraction is 0.1; a bare number above 1 compared with a fraction is asked."""
    from datamorph.planner.recognizers import having  # (it imports nothing of this module)

    for r in ctx.ratios:
        m = _RATE_CMP.match(d.prompt, r.end)
        if m is None or not d.free(m.start("op"), m.end()):
            continue
        value = float(m.group("n"))
        value = int(value) if value.is_integer() else value
        if r.scale == 1.0 and m.group("pct"):
            value = round(value / 100, 10)
        elif r.scale == 1.0 and value > 1 or r.scale == 100.0 and not m.group("pct") and value < 1:
            raise PlanError(f"'{d.prompt[r.start : m.end()].strip()}': {m.group('n')} on which scale?",
                            hint="write it as a percentage ('10%') or as a fraction ('0.1')")  # fmt: skip
        op = next((o for w, o in _RATE_OPS.items() if re.fullmatch(w.replace(" ", r"\s+"), m.group("op"), re.I)), ">")
        link = _RATE_LINK.search(d.prompt, max(0, r.start - 30), r.start)
        start = link.start() if link else r.start
        having._subject_group(d, ctx, start, r.measures[0], restate=bool(ctx.keys))
        ctx.ratio_having.append((r, op, value, d.prompt[start : m.end()].strip()))
        d.take(start, m.end())


#: "(revenue) per customer, by country": a measure over one row of a table, then the groups it is taken in
_PER_ONE = re.compile(r"\s+per\s+(?:single\s+)?(?P<e>[A-Za-z_]+)(?=\s*,?\s*(?:by|for\s+(?:each|every)|in\s+each|"
                      r"within\s+each|per|across|broken\s+down\s+by|split\s+by)\b)", re.I)  # fmt: skip


def _per_row(d: Work, ctx: Ctx) -> None:
    """ "revenue per customer by country", "orders per customer for each country", "amount per transaction by
    direction": the measure over the number of distinct rows of the table said after "per" (itself, or the one
    its rows refer to), in each group said next. Only a sum or a count of all rows; the table's name in the
    singular ("per customers" is not this)."""
    for x in list(ctx.measures):
        m = _PER_ONE.match(d.prompt, x.end)
        word = m.group("e") if m else ""
        table = ph.table_of(d, word) if m and d.free(m.start("e"), m.end("e")) else None
        if m is None or table is None or ph.singular(word) != word.lower() or x.function not in ("sum", "count"):
            continue
        if x.conds or not x.table or x.function == "count" and not x.entity:
            continue
        if x.table == table:
            den = ms._entity_measure(d, "count", m.start("e"), m.end("e"), table, [])
        else:
            den = ms._entity_measure(d, "count_distinct", m.start("e"), m.end("e"), table, [])
            if owner_table(d.catalog, str(den.column)) != x.table:
                continue  # no reference from the measured rows to that table: not read
        ctx.measures.remove(x)
        r = Ratio(f"{x.alias}_per_{snake(word)}", "", x.start, m.end(), [x, den], 1.0, False, per_row=True)
        d.take(x.start, m.end())
        ctx.ratios.append(r)


#: "(in percent,) as fractions", "as a proportion": the 0-1 scale said in words ("as a fraction of ..." is a ratio)
_AS_FRACTION = re.compile(rf"(?:,\s*)?\(?\b{_GIVEN}(?:as|in)\s+(?:a\s+)?(?:fractions?|proportions?)\b(?!\s+of\b)\)?",
                          re.I)  # fmt: skip


def _scales_and_names(d: Work, ctx: Ctx) -> bool:
    """The scale the request asks for ("as a percentage", "0-1"), and a name for each unnamed ratio. Whether
    the request says a scale (a percentage and a 0-1 value both is no answer: refused)."""
    _merge_restated(ctx)
    found: dict[float, list[re.Match[str]]] = {
        100.0: list(_PERCENT.finditer(d.prompt)),
        1.0: [*_UNIT_RANGE.finditer(d.prompt), *_AS_FRACTION.finditer(d.prompt)],
    }
    if found[1.0] and (found[100.0] or any(r.scale == 100.0 for r in ctx.ratios)):
        raise PlanError(f"'{found[1.0][0].group(0).strip(' ,()')}' and a percentage: which scale?",
                        hint="say one: 'as a percentage (0-100)' or 'as a fraction (0-1)'")  # fmt: skip
    for scale, matches in found.items():
        for m in matches:
            for r in ctx.ratios:
                r.scale = r.scale if r.per_row else scale if scale == 100.0 or r.scale != 100.0 else r.scale
            d.take(m.start(), m.end())
            ctx.spans.append((m.start(), m.end(), None))
    for r in ctx.ratios:
        if not r.name:
            kind = "pct" if r.scale == 100.0 else {"percentage": "share", "percent": "share"}.get(
                d.prompt[r.start : r.end].split()[0].lower(), "share")  # fmt: skip
            what = "_".join(("not_" if c.operator == "!=" else "") + snake(
                str(c.value) if c.value is not None and not isinstance(c.value, bool)
                else c.provenance or c.column.split(".")[-1])  # "students", not "true"
                for c in r.measures[0].conds) if not r.total_share else ""  # fmt: skip
            r.name = f"{what}_{kind}" if what else f"{kind}_of_total"
            r.name = r.name if r.scale == 100.0 or kind != "pct" else r.name.replace("pct", "share")
    return bool(found[100.0] or found[1.0])


_WORD = r"(?P<w>share|percentage|percent|proportion|fraction|portion|part|pct)"
#: "Out of all orders, what share were returned?": the rows first, then the ratio and their state
_OUT_OF = re.compile(r"\b(?:out\s+of|of|among)\s+(?:(?:all|every|the|total)\s+)*(?P<t>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)"
                     rf"\s*,\s*(?:what|which)\s+{_WORD}\b", re.I)  # fmt: skip


def _out_of_all(d: Work, ctx: Ctx) -> None:
    """ "Out of every invoice, which fraction is void?": the rows in a state over all the rows named first."""
    for m in _OUT_OF.finditer(d.prompt):
        table = ph.table_of(d, m.group("t"))
        said = state_after(d, m.end(), table) if table else None
        if table is None or said is None or any(r.start <= m.start() < r.end for r in ctx.ratios):
            continue
        end, conds = said
        num = ms._entity_measure(d, "count", m.start(), end, table, conds)
        den = ms._entity_measure(d, "count", m.start(), m.end("t"), table, [])
        scale = 100.0 if m.group("w").lower().startswith(("percent", "pct")) else 1.0
        d.take(m.start(), end)
        ctx.ratios.append(Ratio("", "", m.start(), end, [num, den], scale, False))


#: "how the sessions divide among device types", "how are orders split across channels": each group's share
#: of all the rows (a count per group too: the request must say the scale)
_SPREAD = re.compile(
    r"\bhow\s+(?:(?:do|does|did|are|is|were|was)\s+)?(?:the\s+|all\s+)?(?P<t>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+"
    r"(?:(?:are|is|were|was|get|gets|got)\s+)?(?:divided(?:\s+up)?|divides?(?:\s+up)?|split(?:\s+up)?|"
    r"spread(?:\s+out)?|distributed|broken\s+down|break\s+down|fall|falls|shared\s+out)\s+"
    r"(?:among|amongst|across|over|between|by|into)\s+(?:the\s+|all\s+|their\s+|its\s+)?", re.I)  # fmt: skip


def _spread(d: Work, ctx: Ctx) -> list[Ratio]:
    """ "how the sessions divide among device types (in percent)": each group's share of the total count."""
    out = []
    for m in _SPREAD.finditer(d.prompt):
        table = ph.table_of(d, m.group("t"))
        found = groups._key_at(d, ctx, m.end()) if table else None
        if table is None or found is None or not d.free(m.start(), m.end()):
            continue
        key, end = found
        if not _linked(d, table, key[1]):
            continue  # "how do visits split across channels" (a column of another table): not read
        if key not in ctx.keys:
            ctx.keys.append(key)
        ctx.spans.append((m.end(), end, None if key[0] else f"entity:{key[1]}"))
        meas = ms._entity_measure(d, "count", m.start("t"), m.end("t"), table, [])
        r = Ratio("", "", m.start(), end, [meas], 1.0, True)
        d.take(m.start(), end)
        ctx.ratios.append(r)
        out.append(r)
    return out


def _linked(d: Work, table: str, other: str | None) -> bool:
    """``other`` is ``table`` or a table one of its rows refers to (or that refers to it)."""
    if other is None or other.lower() == table.lower():
        return other is not None
    a, b = d.catalog.table(table), d.catalog.table(other)
    return any(fk.ref_table.lower() == b.name.lower() for fk in a.foreign_keys) or any(
        fk.ref_table.lower() == a.name.lower() for fk in b.foreign_keys)  # fmt: skip


#: "each source's part of the whole", "its share of the total": a share of the grand total, what of is said
#: elsewhere (the rows being spread, or the one measure asked)
_OF_WHOLE = re.compile(r"\b(?:(?:each|every)\s+(?P<g>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)'s\s+|its\s+|their\s+)?"
                       rf"(?:the\s+)?{_WORD}\s+of\s+the\s+(?:whole|total|grand\s+total|overall\s+total)\b"
                       r"(?=\s*(?:[,.;:!?()]|$|as\b|in\b|to\b|rounded\b|per\b|by\b|for\b))", re.I)  # fmt: skip


def _of_the_whole(d: Work, ctx: Ctx) -> None:
    """ "How are sessions spread over sources? Each source's part of the whole as a percentage": the share
    asked again (the same ratio); "number of orders per channel and each channel's share of the total": a
    share of that one measure."""
    for m in _OF_WHOLE.finditer(d.prompt):
        if any(r.start <= m.start() < r.end for r in ctx.ratios):
            continue
        if m.group("g"):
            found = groups._key_at(d, ctx, m.start("g"))
            if found is None or found[0] not in ctx.keys:
                continue  # "each X's": only the group already read
        shares = [r for r in ctx.ratios if r.total_share]
        if len(shares) == 1:
            r = shares[0]
        elif not ctx.ratios and len(ctx.measures) == 1:
            r = Ratio("", "", m.start(), m.end(), [ctx.measures[0]], 1.0, True)
            ctx.ratios.append(r)
        else:
            continue
        if m.group("w").lower().startswith(("percent", "pct")):
            r.scale = 100.0
        d.take(m.start(), m.end())


_SUBJECTS = frozenset({"it", "they", "them", "this", "these", "those", "he", "she", "we", "you"})


#: "fraction of each doctor's visits": the group said as the owner of the counted rows
_OWNER_GROUP = re.compile(r"\s*(?:each|every)\s+(?P<g>[A-Za-z_]+)(?:'s|s'|’s)\s+", re.I)


#: "ratio of cancelled to completed orders", "ratio of web orders to store orders": two kinds of one table's rows
_TO = re.compile(r"\s+to\s+", re.I)


def _a_to_b(d: Work, m: re.Match[str]) -> Ratio | None:
    """ "ratio of cancelled to completed orders": the count of the rows of the first kind over the count of the
    second, both kinds being data values of the table named after the second (the first may name it too:
    "web orders to store orders"). None unless each side is such values, and nothing else."""
    first = ph.tokens_from(d, m.end(), 3)
    cut = _TO.match(d.prompt, first[-1].end) if first else None
    k = len(first)
    while cut is None and k > 1:  # the first side ends where " to " follows
        k -= 1
        cut = _TO.match(d.prompt, first[k - 1].end)
    if cut is None:
        return None
    first = first[:k]
    second = ph.tokens_from(d, cut.end(), 4)
    for n in range(len(second), 1, -1):
        table = ph.table_of(d, second[n - 1].text)
        den_conds = ph.value_conditions(d, second[: n - 1], table) if table is not None else None
        if table is None or not den_conds:
            continue
        words = first[:-1] if len(first) > 1 and ph.table_of(d, first[-1].text) == table else first
        num_conds = ph.value_conditions(d, words, table)
        if not num_conds:
            return None
        num = ms._entity_measure(d, "count", m.start(), first[-1].end, table, num_conds)
        den = ms._entity_measure(d, "count", cut.end(), second[n - 1].end, table, den_conds)
        name = snake(f"{ph.text_of(d, words)} to {ph.text_of(d, second[: n - 1])} ratio")
        return Ratio(name, "", m.start(), den.end, [num, den], 1.0, False)
    return None


def _kind_alone(d: Work, word: str) -> tuple[str, Filter] | None:
    """A kind of rows said without their table ("students", "refunds"): the true/false column it names, or else
    the one column whose data value it is: in the tables in play first, else in the warehouse's."""
    for tables in (d.in_play(), [t.name for t in d.catalog.tables.values()]):
        found = [(t, Filter(column=col, operator="=", value=True, provenance=word)) for t in tables
                 if (col := ph.state_word(d, word, t)) is not None]  # fmt: skip
        if not found and tables:  # "rate of refunds": a value of one table's column ("refund")
            hits = [h for h in d.linker.values(word, tables) if h.score >= 0.9 and not isinstance(h.value, bool)]
            best = [h for h in hits if h.score >= hits[0].score] if hits else []
            if len({(h.table, h.column) for h in best}) == 1:
                h = best[0]
                found = [(h.table, Filter(column=f"{h.table}.{h.column}", operator="=", value=h.value,
                                          provenance=word))]  # fmt: skip
        if found:
            return (d.catalog.table(found[0][0]).name, found[0][1]) if len(found) == 1 else None
    return None


#: "(share of) each channel in (the) total (revenue)": the group, then what its share is of
_EACH_IN = re.compile(r"\s*(?:each|every)\s+(?P<g>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+(?:in|of|to)\s+(?:the\s+)?"
                      r"(?:total|overall|all)\s+", re.I)  # fmt: skip
#: the rows a kind is a share of, said after it: "students among (all) members"
_AMONG_ROWS = re.compile(r"\s+(?:among|amongst|of|in|from)\s+(?:the\s+|all\s+|our\s+)?(?P<t>[A-Za-z_]\w*)", re.I)


def _ratio_of_words(d: Work, m: re.Match[str], ctx: Ctx | None = None) -> Ratio:
    """ "share of cancelled orders", "percentage of revenue": what the ratio counts or sums, read after it.

    A state said after the counted rows ("fraction of all orders that were cancelled", "what part of the
    transactions stays pending") is what the ratio counts among them: those rows over all of them (with
    "all" too: "all cancelled orders" is a share of the total, "all orders that were cancelled" is not)."""
    start, end = m.start(), m.end()
    total = bool(re.search(r"\b(?:all|total)\b", m.group("all"), re.I))
    each = _EACH_IN.match(d.prompt, end)
    if each and ctx is not None and (found := groups._key_at(d, ctx, each.start("g"))) is not None:
        if found[0] not in ctx.keys:  # "the share of each channel in total revenue": per channel, of the grand total
            ctx.keys.append(found[0])
        end, total = each.end(), True
    owner = _OWNER_GROUP.match(d.prompt, end)
    if owner and ctx is not None and ph.table_of(d, owner.group("g")) is not None:
        found = groups._key_at(d, ctx, owner.start("g"))
        if found is not None:  # "fraction of each doctor's visits ...": per doctor, the visits counted
            if found[0] not in ctx.keys:
                ctx.keys.append(found[0])
            end = owner.end()
    words = ph.tokens_from(d, end, 4)
    cut = next((i for i, t in enumerate(words) if t.low in _SUBJECTS), len(words))  # "... sessions it accounts for"
    words = words[:cut]
    meas, noun_end, before = None, end, []
    for n in range(len(words), 0, -1):
        phrase = ph.text_of(d, words[:n])
        table = ph.table_of(d, phrase)
        if table is None and n >= 2 and ph.table_of(d, words[n - 1].text):
            table = ph.table_of(d, words[n - 1].text)
            conds = ph.value_conditions(d, words[: n - 1], table or "")
            if conds:
                meas = ms._entity_measure(d, "count", start, words[n - 1].end, table or "", conds)
                noun_end, before = words[n - 1].end, conds
                break
            continue
        if table is not None:
            while n > 1 and ph.table_of(d, ph.text_of(d, words[: n - 1])) == table:
                n -= 1  # "appointments (end up as no-shows)": the table's own words, the state's verb after them
            meas = ms._entity_measure(d, "count", start, words[n - 1].end, table, [])
            noun_end = words[n - 1].end
            break
        col = ph.column_of(d, phrase)
        if col is not None and ph.family(d, col) in ph.NUMERIC:
            meas = ms._column_measure(d, "sum", start, words[n - 1].end, col)
            break
    among = _AMONG_ROWS.match(d.prompt, words[-1].end) if words and meas is None else None
    if among is not None and (table := ph.table_of(d, among.group("t"))) is not None:
        conds = ph.value_conditions(d, words, table)  # "share of students among members": a kind of those rows
        if conds:
            meas = ms._entity_measure(d, "count", start, among.end(), table, conds)
            noun_end, before = among.end(), conds
    if meas is None and 0 < len(words) <= 2 and (kind := _kind_alone(d, ph.text_of(d, words))) is not None:
        table, cond = kind  # "percentage of students per town": the one table with a true/false column for it
        meas = ms._entity_measure(d, "count", start, words[-1].end, table, [cond])
        noun_end, before = words[-1].end, [cond]
    if meas is None:
        raise PlanError(f"'{d.prompt[start:end + 20].strip()}': share of what?",
                        hint="name what is counted, e.g. 'share of orders that were cancelled'")  # fmt: skip
    if meas.entity and meas.table and meas.end == noun_end:
        said = state_after(d, noun_end, meas.table) or _state_after_group(d, noun_end, meas.table)
        if said is not None:
            meas.end, meas.conds = said[0], [*meas.conds, *said[1]]
    after = meas.entity and len(meas.conds) > len(before)
    if meas.conds and (not total or after):
        kept = before if after else []  # "share of web orders that were cancelled": of the web orders
        base = ms.Measure(meas.function, meas.column, ph.default_alias(meas.function, meas.column, meas.table, kept),
                          meas.start, meas.end, table=meas.table, conds=kept, entity=meas.entity)  # fmt: skip
        return Ratio("", "", start, meas.end, [meas, base], 1.0, False)
    return Ratio("", "", start, meas.end, [meas], 1.0, True)


#: the verb that says the state of the counted rows: "(that) were cancelled", "stays pending", "ends up as a
#: no-show", "comes back returned", "gets reversed", "turned out void"
_STATE_VERB = re.compile(
    r"\s*(?:(?:that|which|who)\s+)?(?:(?:still\s+)?(?:were|are|was|is|have\s+been|has\s+been|had\s+been|being|"
    r"got|gets?|getting|stay(?:s|ed|ing)?|remain(?:s|ed|ing)?|end(?:s|ed|ing)?\s+(?:up(?:\s+as|\s+in)?|in|as)|"
    r"result(?:s|ed|ing)?\s+in|wind(?:s|ing)?\s+up|wound\s+up|come(?:s)?\s+back|coming\s+back|"
    r"came\s+back|turn(?:s|ed|ing)?\s+out(?:\s+to\s+be)?|(?:is|are|was|were)\s+(?:left|still)|"
    r"(?:is|are|was|were)\s+marked(?:\s+as)?)\s+)(?:(?:as|an?|being|still)\s+)*", re.I)  # fmt: skip


def state_after(d: Work, end: int, table: str, filtered: bool = False) -> tuple[int, list[Filter]] | None:
    """Values of ``table`` said as the state of its rows right after them ("transactions stay pending"):
    where the words end and the conditions (None when no value of the table follows a state verb).
    ``filtered``: the value words may be a row filter's (read as a condition on the rows before)."""
    m = _STATE_VERB.match(d.prompt, end)
    if m is None:
        return None
    toks = [t for t in d.tokens.items if m.end() <= t.start < m.end() + 40]
    words: list[Token] = []
    for t in toks:  # "no-show": words joined by a hyphen are one value's words
        if len(words) >= 3 or not (t.kind == "word" and (filtered or d.free(t.start, t.end)) or t.text == "-" and words):
            break
        if t.kind == "word":
            words.append(t)
    for n in range(len(words), 0, -1):
        conds = ph.value_conditions(d, words[:n], table)
        if conds:
            return words[n - 1].end, conds
    return _state_filter(d, m.end(), table)


def _state_filter(d: Work, at: int, table: str) -> tuple[int, list[Filter]] | None:
    """"invoices (that) were paid late": a row condition another reading made of the words right after the state
    verb ("paid late": paid_on after due_on) is the state counted, not a filter on the rows: moved to the count."""
    for f in d.filters:
        if not isinstance(f, Filter) or not f.provenance:
            continue
        where = d.prompt.find(f.provenance, at, at + 80)
        prov = f.provenance
        if where >= 0 and not d.prompt[at:where].strip() and owner_table(d.catalog, f.column) == table:
            d.filters.remove(f)
            return where + len(prov), [f]
    return None


#: the group said between the rows a share counts and their state: "share of van deliveries per zone that were
#: late" (the state is what the share counts within each group, not a condition on the rows before it)
_GROUP_THEN_STATE = re.compile(r"[\s,]*(?:per|by|for\s+(?:each|every)|in\s+each|within\s+each)\s+"
                               r"[A-Za-z_]+(?:\s+[A-Za-z_]+)?[\s,]*(?=(?:that|which|who)\b)", re.I)  # fmt: skip


def _state_after_group(d: Work, end: int, table: str) -> tuple[int, list[Filter]] | None:
    """The state of the counted rows said after their group; a row filter read on its words is that state."""
    m = _GROUP_THEN_STATE.match(d.prompt, end)
    said = state_after(d, m.end(), table, filtered=True) if m else None
    if m is None or said is None:
        return None
    words = d.prompt[m.end() : said[0]].lower()
    held = [f for f in d.filters if isinstance(f, Filter) and (f.provenance or "").lower() in words
            and any((f.column, f.value) == (c.column, c.value) for c in said[1])]  # fmt: skip
    if not d.free(m.end(), said[0]) and not held:
        return None  # its words are another reading's
    for f in held:
        d.filters.remove(f)
    return said


def _key(r: Ratio) -> tuple[object, ...]:
    """What a ratio computes (the words its conditions were read from aside: "gets cancelled" is "cancelled")."""
    return (r.total_share, *((*m.key()[:-1], tuple((c.column, c.operator, str(c.value)) for c in m.conds))
                             for m in r.measures))  # fmt: skip


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


_OVERALL = re.compile(r"(?:,\s*)?\b(?P<o>overall|altogether|for\s+the\s+whole\s+table)\b", re.I)


def rounding(d: Work, ctx: Ctx) -> None:
    """The rounding of the measures and ratios ("to 2 decimals"); "overall" of ratios over no group."""
    for m in _OVERALL.finditer(d.prompt) if ctx.ratios else ():
        if not ctx.keys and not ctx.measures and not d.group_by and d.free(m.start(), m.end()):
            d.take(m.start(), m.end())  # "the percentage of orders returned, overall": one value
        elif ctx.keys and not any("overall" in k.lower() for k, _ in ctx.keys) and any(
                s <= m.start("o") < e for s, e, _ in ctx.spans):  # fmt: skip
            raise PlanError(f"'{m.group('o')}' and groups: one value or one per group?",
                            hint="say 'per X' for one row per group, or leave it out for one value")
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
