"""Measures: the aggregate phrases of a request ("how many orders", "total amount", "average salary").

Used by :mod:`aggregates`. A :class:`Measure` is one aggregate the request asks
for, with the character span of its words, before it becomes a spec
:class:`~datamorph.spec.Aggregation`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.lexicon import (
    NUMBER_PATTERN,
    OPERATOR_WORDS,
    STOPWORDS,
    lemmas,
    normalize,
    split_identifier,
)
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.dates import main_date_column
from datamorph.planner.recognizers.phrases import (
    BOUNDARY,
    NUMERIC,
    TEMPORAL,
    column_of,
    default_alias,
    derived_at,
    family,
    is_key,
    name_after,
    name_before,
    of_table,
    owner_after,
    planned,
    singular,
    table_of,
    text_of,
    through,
    tokens_before,
    tokens_from,
    value_conditions,
)
from datamorph.planner.recognizers.sources import rows_owner_at
from datamorph.planner.refs import expression_refs, owner_table, split_column
from datamorph.planner.text import Token, find_words
from datamorph.spec import Filter

_PREFIX = [
    (r"\b(?:the\s+)?(?:total\s+)?(?:number|count|counts|no\.?|#|num)\s+of\s+(?:the\s+|all\s+)?(?:distinct|unique|different|separate)\s+"
     r"|\bhow\s+many\s+(?:distinct|unique|different|separate)\s+"
     r"|\b(?:distinct|unique)\s+(?:count|number)\s+of\s+(?:the\s+)?"
     r"|\bcount\s+(?:the\s+)?(?:distinct|unique|different)\s+", "count_distinct"),
    (r"\b(?:the\s+)?(?:total\s+)?(?:number|count|counts|no\.?|#|num)\s+of\s+(?:the\s+|all\s+)?"
     r"|\bhow\s+many\s+(?:of\s+the\s+)?|\b(?:count(?:ing)?|tall(?:y|ying))\s+(?:up\s+)?(?:the\s+|all\s+)?(?=[a-z])"
     r"|\b(?:the\s+|a\s+)?tally\s+of\s+(?:the\s+|all\s+)?", "count"),
    (r"\b(?:the\s+)?(?:sum|total|totals|sums)\s+of\s+(?:the\s+|all\s+)?|\badd(?:ing)?\s+up\s+(?:the\s+|all\s+)?"
     r"|\b(?:sum|summing|totalling|totaling|combined|cumulated|overall)\s+(?:the\s+|all\s+)?"
     r"|\b(?:the\s+)?total\s+(?!number\b|count\b)", "sum"),
    (r"\b(?:the\s+)?(?:average|avg|mean|averaged)\s+(?:of\s+)?(?:the\s+|all\s+)?", "avg"),
    (r"\b(?:the\s+)?(?:minimum|min|lowest|smallest|earliest|oldest|first)\s+(?:of\s+)?(?:the\s+)?", "min"),
    (r"\b(?:the\s+)?(?:maximum|max|highest|largest|biggest|greatest|latest|newest|most\s+recent|last)\s+"
     r"(?:of\s+)?(?:the\s+)?", "max"),
]  # fmt: skip
PREFIX = [(re.compile(p, re.I), f) for p, f in _PREFIX]
# "order count", "employee counts": what is counted comes first.
POSTFIX_COUNT = re.compile(r"\b(?P<w>[a-z_]+(?:\s+[a-z_]+)?)\s+(?:counts?|counted|tall(?:y|ies|ied))\b(?!\s+of\b)", re.I)
# "amount in total", "revenue summed over lines", "salary averaged".
POSTFIX = re.compile(
    r"\s*(?P<w>in\s+total|summed|totall?ed|added\s+up|averaged)(?:\s+(?:over|across)\s+(?:all\s+)?(?:the\s+)?"
    r"(?P<over>[a-z_]+))?\b", re.I)  # fmt: skip
_PAIR = re.compile(r"(?:and|&|,|/)\s+(?:the\s+)?(?:max|maximum|min|minimum|average|avg|mean|total|sum|highest|"
                   r"lowest)\s+(?:of\s+)?(?:the\s+)?", re.I)  # fmt: skip
# "with the most trips", "who have the fewest loans": a count of the rows of the table named (the order is
# the ordering recognizer's)
#: the words that tie a thing to the rows it is ranked by: "with", "that have", "placed", "received"
HAVE = r"(?:with|having|(?:(?:who|that|which)\s+)?(?:have|has|had|placed|made|received|got|booked))"
MOST_ROWS = re.compile(rf"\b{HAVE}\s+the\s+(?:most|fewest|least)\s+(?P<w>[A-Za-z_]\w*)", re.I)
#: "with the most completed appointments": data values before the rows counted (left to the row filters)
_VALUES_THEN = re.compile(r"\s+(?P<w>[A-Za-z_]\w*)", re.I)
# a number of rows asked for before the noun: "the 5 drivers", "top three members"
_RANKED_BEFORE = re.compile(rf"\b{NUMBER_PATTERN}\s+"
                            r"(?:[A-Za-z_]+\s+){1,3}$", re.I)  # fmt: skip
# one thing asked for: a singular noun after "the"/"which" ("the browser", "which traffic source")
_ONE_BEFORE = re.compile(r"\b(?:the|which|what)\s+(?:[A-Za-z_]+\s+)?(?P<h>[A-Za-z_]+)\s+$", re.I)


_TOP_LATER = re.compile(rf"\btop\s+{NUMBER_PATTERN}\b", re.I)


def top_later(prompt: str, pos: int) -> bool:
    """A "top N" follows in the sentence ("doctors with the most visits this year, top 5"): how many is said."""
    stop = re.search(r"[.;!?](?:\s|$)", prompt[pos:])
    return _TOP_LATER.search(prompt, pos, pos + stop.start() if stop else len(prompt)) is not None


def one_ranked(prompt: str, pos: int) -> bool:
    """The words before ``pos`` ask for one thing ("the browser with the fewest sessions", "which doctor has the
    most appointments"): the group with the most rows, not an unsaid number of them."""
    m = _ONE_BEFORE.search(prompt, max(0, pos - 40), pos)
    return m is not None and m.group("h").lower() not in ("one", "ones", "those", "these") and \
        singular(m.group("h")) == m.group("h").lower()
HEADCOUNT = re.compile(r"\bhead\s*-?\s*counts?\b", re.I)
#: "sessions (the count)", "with a count per browser", "plus the row count": a count said with no rows named
#: (nor "of ..." after it) counts the rows the request is about
_BARE_COUNT = re.compile(r"\b(?:the|a|its|their)\s+(?:row\s+)?count\b(?!\s+of\b|\s*-\w)", re.I)
_SUPERLATIVE = {"lowest", "smallest", "highest", "largest", "biggest", "greatest", "first", "last", "oldest",
                "newest", "latest", "earliest", "most"}  # fmt: skip
_ORDER_CONTEXT = re.compile(
    rf"(?:\b(?:with|has|have|had|having|earns?|earning|by|top|bottom)\s+(?:the\s+)?(?:{NUMBER_PATTERN}\s+)?"
    rf"|\bthe\s+{NUMBER_PATTERN}\s+"
    rf"|\b(?:which|what)\s+{NUMBER_PATTERN}\s+(?:[A-Za-z_]+\s+){{1,2}}[A-Za-z]+\s+(?:the\s+)?)$", re.I)  # fmt: skip
_ROW_PICK = frozenset({"first", "last", "oldest", "newest", "latest", "earliest", "most"})
# "daily orders", "weekly sessions": a table's rows counted per period, when a moving or running window over
# that series follows in the sentence ("... with a 7-day rolling average"); alone, the rows themselves
_PERIOD_ROWS = re.compile(r"\b(?:daily|weekly|monthly|quarterly|yearly|annual)\s+(?P<w>[A-Za-z_]+)\b", re.I)
_SERIES_WINDOW = re.compile(r"\b(?:moving|rolling|trailing|running|cumulative)\b", re.I)
_WINDOW_CONTEXT = re.compile(r"\b(?:running|cumulative|rolling|moving|trailing)\s+$", re.I)


#: "how many | of each?", "how many | in each group", "how many | there are of each": a count of the rows the
#: request named, per the groups it names ("by status").
_OF_EACH = re.compile(r"(?:(?:are\s+)?there\s+(?:are\s+)?)?(?:of|in|for|per)\s+(?:each|every)(?:\s+(?:one|of\s+them|group|kind|"
                      r"type|value|category))?\b(?=\s*(?:[?.!,;:)]|$))", re.I)  # fmt: skip


@dataclass
class Measure:
    """One aggregate the request asks for."""

    function: str
    column: str | None  # qualified column, a defined name, or None for count(*)
    alias: str
    start: int
    end: int
    table: str | None = None  # the table whose rows are aggregated
    expression: str | None = None
    conds: list[Filter] = field(default_factory=list)
    named: bool = False  # the alias comes from the request
    entity: bool = False  # counts rows of ``table`` (count(*) or count(key) when outer-joined)
    round: int | None = None

    def key(self) -> tuple[object, ...]:
        rows = self.table if self.entity and self.column is None else None  # count(*) of sailors is not of voyages
        return (self.function, self.column, self.expression, rows, tuple(c.model_dump_json() for c in self.conds))


#: a comparison right before "the average": the average is what rows or groups are compared with, no measure
_COMPARED_WITH = re.compile(r"\b(?:above|over|below|under|than|at\s+least|at\s+most)\s+(?:the\s+)?(?:overall\s+)?$", re.I)
#: a negation right before "count": a verb of leaving rows out ("don't count", "shouldn't count"), not a measure
_NOT_COUNTED = re.compile(r"(?:\b(?:do|does|did|should|must|will|would|need)\s+not|n't|\bnever|\bnot)\s*$", re.I)


def skip_trigger(d: Work, start: int, fn: str, word: str, rest: str) -> bool:
    """Superlatives that sort ("with the highest total"), running totals and the like are not measures."""
    before = d.prompt[max(0, start - 30) : start]
    if _WINDOW_CONTEXT.search(before):
        # "cumulative count of customers by signup month": the count per month is a measure (run up by windows)
        return not (_RUNNING_WORD.search(before) and _PERIOD_SERIES.match(rest))
    if fn == "count" and _NOT_COUNTED.search(before):
        return True  # "don't count invoices whose ...": those rows are left out, nothing is counted
    if fn == "avg" and _COMPARED_WITH.search(before):
        return True  # "customers below the average of those totals": what is compared with (versus.groups)
    first = word.strip().split()[0].lower() if word.strip() else ""
    if first == "the":
        first = word.strip().split()[1].lower() if len(word.split()) > 1 else ""
    if first in ("first", "last") and re.match(r"\s*(?:day|week|month|quarter|of)\b", rest, re.I):
        return True  # "the first day of the month": a date, not a minimum
    if first in _SUPERLATIVE:
        if re.match(r"\s*(?:[A-Za-z_]\w*\s*){0,2}?=\s*(?:1|one)\b", rest):
            return True  # "rank the stores by sales, biggest store = 1": which row ranks first
        if _ORDER_CONTEXT.search(before) or re.match(
            r"\s*(?:total|sum|average|avg|mean|number|count)\b", rest, re.I
        ):
            return True
    return False


# -- reading measures -------------------------------------------------------------------------------


def find(d: Work) -> list[Measure]:
    """Every measure phrase of the request, in text order (their words taken)."""
    found: list[Measure] = []
    for m in HEADCOUNT.finditer(d.prompt):
        rows = rows_owner_at(d.view, m.start(), m.end())  # "grade headcount": the people of that column's table
        table = rows or table_of(d, "employees") or table_of(d, "staff") or d.base
        headcount = Measure("count", None, "headcount", m.start(), m.end(), table=table, entity=True)
        found.append(_named(d, headcount))
    for rx, fn in PREFIX:
        for m in rx.finditer(d.prompt):
            if planned(d, m.start(), m.end()) or any(f.start <= m.start() < f.end for f in found):
                continue
            rest = d.prompt[m.end() :]
            if skip_trigger(d, m.start(), fn, m.group(0), rest):
                continue
            them = _OF_THEM.match(rest) if fn == "count" and found else None
            meas = target(d, fn, m.start(), m.end() + them.end()) if them else target(d, fn, m.start(), m.end())
            if them and meas is not None and meas.table != found[-1].table:
                meas = None  # "number of users and how many of them verified ...": a count of the same rows
            pair = _PAIR.match(rest)
            if meas is None and pair:  # "min and max unit price": both read what follows the second
                later = target(d, fn, m.start(), m.end() + pair.end())
                if later is not None:
                    meas = Measure(fn, later.column, later.alias, m.start(), m.end(), table=later.table,
                                   expression=later.expression, conds=later.conds)  # fmt: skip
            each = _OF_EACH.match(rest) if meas is None and fn == "count" and d.base is not None else None
            if each is not None:  # "appointments by status - how many of each?": the rows named before, per group
                meas = Measure("count", None, default_alias("count", None, d.base, []), m.start(), m.end() + each.end(),
                               table=d.base, entity=True)  # fmt: skip
            if meas is not None:
                found.append(_named(d, meas))
    for m in MOST_ROWS.finditer(d.prompt):  # "the drivers with the most trips": the count of trips
        if planned(d, m.start("w"), m.end("w")) or any(f.start <= m.start("w") < f.end for f in found):
            continue
        if not _RANKED_BEFORE.search(d.prompt, max(0, m.start() - 60), m.start()) and not one_ranked(d.prompt, m.start()) \
                and not (top_later(d.prompt, m.end()) and m.group(0).lower().split()[-2] == "most"):
            continue  # "customers with the most orders" with no number: which customers is not said
        start, word = m.start("w"), m.group("w")
        for _ in range(2):  # "the most completed appointments": the rows are the word after the values
            nxt = _VALUES_THEN.match(d.prompt, start + len(word))
            if table_of(d, word) is not None or nxt is None or not d.linker.values(word) or table_of(d, word):
                break
            start, word = nxt.start("w"), nxt.group("w")
        meas = target(d, "count", start, start)
        if meas is not None and meas.entity and table_of(d, word) is not None:
            found.append(_named(d, meas))
    for m in POSTFIX_COUNT.finditer(d.prompt):
        if planned(d, m.start(), m.end()):
            continue
        words = m.group("w")
        if any(w.lower() in _NEGATIONS for w in words.split()):
            continue  # "sessions not counted": not a count of them
        if _count_is_verb(d, m.end()):
            continue  # "for every department count the employees": 'count' is the verb, its object follows
        table = table_of(d, words) or table_of(d, words.split()[-1])
        if table is None:
            continue
        w_start = m.start("w") if table_of(d, words) else m.start("w") + words.rfind(words.split()[-1])
        meas = Measure("count", None, default_alias("count", None, table, []), w_start, m.end(), table=table,
                       entity=True)  # fmt: skip
        found.append(_named(d, meas))
    for m in _PERIOD_ROWS.finditer(d.prompt):  # "daily orders with a 7-day rolling average": a series of counts
        stop = re.search(r"[.;!?](?:\s|$)", d.prompt[m.end() :])
        sentence = d.prompt[m.end() : m.end() + stop.start() if stop else len(d.prompt)]
        table = table_of(d, m.group("w"))
        if table is None or not _SERIES_WINDOW.search(sentence) or planned(d, m.start("w"), m.end("w")):
            continue
        if any(f.start <= m.start("w") < f.end for f in found):
            continue
        found.append(_named(d, Measure("count", None, default_alias("count", None, table, []), m.start("w"),
                                       m.end("w"), table=table, entity=True)))  # fmt: skip
    for m in POSTFIX.finditer(d.prompt):
        if planned(d, m.start("w"), m.end("w")):
            continue
        before = tokens_before(d, m.start(), 4)
        meas = _postfix_target(d, m, before)
        if meas is not None:
            found.append(_named(d, meas))
    if not any(f.function == "count" for f in found):  # else "rank them by the count" names that count
        found.extend(_bare_count(d, found))
    if not found:
        found.extend(_rows_per(d))
    if not found:
        found.extend(_bare_flows(d) or _ranked_flows(d))
    found.sort(key=lambda x: x.start)
    return found


def _bare_count(d: Work, found: list[Measure]) -> list[Measure]:
    """"sessions (the count)", "with a count per browser": with no other count in the request, a count said
    with no rows named counts the rows the request is about (its base)."""
    for m in _BARE_COUNT.finditer(d.prompt):
        if d.base is None or planned(d, m.start(), m.end()) or any(f.start < m.end() and m.start() < f.end for f in found):
            continue
        return [_named(d, Measure("count", None, default_alias("count", None, d.base, []), m.start(), m.end(),
                                  table=d.base, entity=True))]  # fmt: skip
    return []


_VERB_OBJECT = re.compile(r"\s+(?:the|all|up|how|those|these|them|their|its|each|every|distinct|unique|different)\b"
                          r"|\s+(?P<w>[A-Za-z_]+)", re.I)  # fmt: skip


def _count_is_verb(d: Work, end: int) -> bool:
    """'count' followed by its object (a determiner, or a word naming a table): the verb, not "X count"."""
    m = _VERB_OBJECT.match(d.prompt, end)
    if m is None:
        return False
    return m.group("w") is None or table_of(d, m.group("w")) is not None


#: Nouns of a quantity that adds up ("revenue by channel", "spend per customer", "monthly sales"): said bare
#: before a grouping, the sum of the column they name. Not a price, a rate or a score ("price by category" is
#: no sum: refused).
_FLOWS = frozenset({"revenue", "revenues", "sales", "spend", "spending", "turnover", "gmv", "income", "amount",
                    "amounts", "quantity", "quantities", "units", "fees", "costs", "takings", "billings", "totals"})
_BARE_FLOW = re.compile(r"(?:\b(?P<period>daily|weekly|monthly|quarterly|yearly|annual)\s+)?"
                        r"\b(?P<w>(?:[A-Za-z_]+\s+)??[A-Za-z_]+)"
                        r"(?(period)(?=\s|[,.;:!?]|$)|(?=\s+(?:by|per|for\s+each|for\s+every|in\s+each)\s))", re.I)


_FLOW_AFTER = re.compile(r"\b(?:of|running|cumulative|rolling|moving|trailing|total|sum|average|avg|mean|median|"
                         r"max|maximum|min|minimum|highest|lowest|count|number)\s+(?:the\s+)?$", re.I)


_RUNNING_WORD = re.compile(r"running|cumulative", re.I)
#: what a running count or total measures, then a grouping by a period ("of customers by signup month")
_PERIOD_SERIES = re.compile(r"(?:\s*(?:total|sum|count|number))?(?:\s*of)?\s*(?:the\s+)?(?:[A-Za-z_]+\s+){1,2}?"
                            r"(?:by|per|for\s+each|in\s+each)\s+(?:the\s+)?(?:[A-Za-z_]+\s+)?"
                            r"(?:day|week|month|quarter|year)s?\b", re.I)  # fmt: skip
#: a grouping by a period right after a flow ("by day", "per month", "for each week")
_PERIOD_AFTER = re.compile(r"\s+(?:by|per|for\s+each|for\s+every|in\s+each)\s+(?:the\s+)?"
                           r"(?:day|week|month|quarter|year|date)s?\b", re.I)  # fmt: skip


def _bare_flows(d: Work) -> list[Measure]:
    """ "revenue by channel", "order revenue per customer", "monthly sales": a quantity that adds up, named bare
    before a grouping (or after a period adjective), is its sum (only when the request names no other measure)."""
    out: list[Measure] = []
    for m in _BARE_FLOW.finditer(d.prompt):
        words, end = m.group("w").split(), m.end("w")
        nxt = re.match(r"\s+([A-Za-z_]+)\b", d.prompt[end:]) if m.group("period") and len(words) == 1 else None
        if nxt is not None and words[0].lower() not in _FLOWS and nxt.group(1).lower() in _FLOWS:
            words, end = [*words, nxt.group(1)], end + nxt.end()  # "monthly order totals for 2025"
        if words[-1].lower() not in _FLOWS:
            continue
        start = m.start("w")
        run_up = len(words) == 2 and bool(_RUNNING_WORD.fullmatch(words[0])) and bool(_PERIOD_AFTER.match(d.prompt, end))
        if run_up:
            start += len(words[0]) + 1  # "cumulative revenue by month": the sum per month, run up by windows
        elif len(words) == 2 and _FLOW_AFTER.match(f"{words[0]} "):
            continue  # "average sales per store", "running revenue per customer": another reader's measure
        owner = table_of(d, words[0]) if len(words) == 2 else None  # "parcel totals": the parcels' total
        if len(words) == 2 and owner is None and (words[0].lower() in STOPWORDS or column_of(d, " ".join(words)) is None):
            start += len(words[0]) + 1  # "completed revenue": the column is the last word's
        phrase = d.prompt[start:end]
        if planned(d, start, end) or not d.free(start, end):
            continue
        if not run_up and _FLOW_AFTER.search(d.prompt, max(0, start - 40), start):
            continue  # "running total of amount by ...", "the average amount per ...": another reader's measure
        col = column_of(d, words[-1], [owner]) if owner is not None else column_of(d, phrase)
        if col is None or family(d, col) not in NUMERIC or (owner is not None and owner_table(d.catalog, col) != owner):
            continue
        out.append(_named(d, _column_measure(d, "sum", start, end, col)))
        break  # one bare measure: a second is a list the other readers must read
    return out


#: "top 5 products by units sold", "the 3 biggest shops by revenue": a quantity that adds up, after the "by" of a
#: ranking of things, is its sum per thing (the verb after it says only that the rows are sales)
_RANKED_FLOW = re.compile(rf"\b(?:top|bottom|best|worst|biggest|largest|leading|{NUMBER_PATTERN})\s+(?:[A-Za-z_]+\s+){{1,3}}?"
                          r"by\s+(?:(?:the|their|its|total)\s+)?(?P<w>(?:[A-Za-z_]+\s+)??[A-Za-z_]+)"
                          r"(?:\s+(?P<v>sold|ordered|bought|purchased|shipped|booked|billed|paid|collected|earned|generated))?"
                          r"(?=\s*(?:[,.;:!?()]|$))", re.I)  # fmt: skip


#: words that say the rows ranked are the rows themselves, not groups of them ("the 20 biggest individual orders")
INDIVIDUAL_WORDS = frozenset({"individual", "single", "separate", "one-off", "specific"})


def _ranked_flows(d: Work) -> list[Measure]:
    """The sum of the column a flow noun names, said after the "by" of a ranking ("top 5 products by units sold"),
    when the column is of another table than the things ranked: their rows' quantities added up per thing (the
    things' own column is an order of its own, read by the ordering)."""
    for m in _RANKED_FLOW.finditer(d.prompt):
        words = m.group("w").split()
        if words[-1].lower() not in _FLOWS or planned(d, m.start("w"), m.end()) or not d.free(m.start("w"), m.end()):
            continue
        ranked = d.prompt[m.start() : m.start("w")].split()[:-1]  # (without "by")
        if any(w.lower() in INDIVIDUAL_WORDS or w.lower() == "each" for w in ranked):
            continue  # "the ten biggest individual order items by quantity": the rows themselves
        things = next((t for k in range(len(ranked)) if (t := table_of(d, " ".join(ranked[k:]))) is not None), None)
        if things is None or any(h.score >= 0.8 for h in d.linker.columns(m.group("w"), [things])):
            continue  # "top 5 orders by amount": the things' own column, an order of its own
        first = set(d.linker.neighbors(things)) - {things}
        second = {n2 for n in first for n2 in d.linker.neighbors(n)} - first - {things}
        col = None
        for ring in (first, second):  # the nearest rows first: "customers by revenue" is their orders', not further
            hits = [h for h in d.linker.columns(m.group("w"), sorted(ring)) if h.score >= 0.8] if ring else []
            if hits:
                col = f"{hits[0].table}.{hits[0].column}" if len(hits) == 1 or hits[1].score < hits[0].score else None
                break
        if col is None or family(d, col) not in NUMERIC:
            continue
        return [_named(d, _column_measure(d, "sum", m.start("w"), m.end(), col))]
    return []


#: "loans per member", "repairs per engineer in 2023": a table's rows counted per group, said as the head of
#: a sentence (or after a request verb) when the request names no other measure.
_ROWS_PER = re.compile(r"(?:^|[.;:!?]\s+|\b(?:show|list|give\s+me|get|return)\s+)(?:the\s+)?"
                       r"(?P<w>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?:(?:in|during|for)\s+\d{4}\s+)?per\s+(?!cent\b)", re.I)  # fmt: skip


def _rows_per(d: Work) -> list[Measure]:
    out: list[Measure] = []
    for m in _ROWS_PER.finditer(d.prompt):
        words, start = m.group("w"), m.start("w")
        new = _NEW_ROWS.match(words)
        if any(w.lower() in OPERATOR_WORDS for w in words[new.end() if new else 0 :].split()):
            continue  # "first session per user", "parcel totals per zone": a pick or another measure
        table = table_of(d, words)
        if new:  # "new members per month": counted when they started (the groups are periods of that date)
            table = table_of(d, words[new.end() :]) if _PERIOD_NEXT.match(d.prompt, m.end()) else None
            table = table if table and _starts_rows(d, table) else None
        if table is None and " " in words and d.linker.values(words.split()[0]):  # "kept visits per vet"
            start = m.start("w") + words.rfind(" ") + 1
            table = table_of(d, d.prompt[start : m.end("w")])
        event = _event_noun(d, words) if table is None and _PERIOD_NEXT.match(d.prompt, m.end()) else None
        if event is not None and not planned(d, start, m.end("w")) and d.free(start, m.end("w")):
            # "hires per year", "signups per month": the rows whose date the noun names, counted by that date
            out.append(_named(d, Measure("count", event, default_alias("count", event, None, []), start, m.end("w"),
                                         table=owner_table(d.catalog, event))))  # fmt: skip
            continue
        if table is None or planned(d, start, m.end("w")) or not d.free(start, m.end("w")):
            continue
        meas = Measure("count", None, default_alias("count", None, table, []), start, m.end("w"), table=table,
                       entity=True)  # fmt: skip
        out.append(_named(d, meas))
    return out


def _event_noun(d: Work, words: str) -> str | None:
    """The one date column a plural noun names ("hires" → hire_date, "signups" → signup_date), if any."""
    if " " in words or singular(words) == words.lower() or d.linker.values(words):
        return None  # (a data value too, "hires" as a salary change's reason: which rows is not said)
    one = singular(words)
    hits = [h for h in d.linker.columns(words)[:2]
            if d.catalog.table(h.table).column(h.column).family in TEMPORAL_FAMILIES
            and (h.score >= 0.85 and any(p[:4] == one[:4] for p in h.column.lower().split("_"))
                 or one in h.column.lower().split("_"))]  # fmt: skip  (its own word: never a synonym)
    if len(hits) != 1:
        return None
    return f"{hits[0].table}.{hits[0].column}"


#: "number of users and how many of them verified their email": the rows just counted, in a state
_OF_THEM = re.compile(r"(?:of\s+)?(?:them|those|these)\s+", re.I)
_NEW_ROWS = re.compile(r"(?:brand[\s-]+)?new\s+", re.I)
_PERIOD_NEXT = re.compile(r"(?:the\s+|each\s+|every\s+)?(?:day|week|month|quarter|year)\b", re.I)
_ENDS = re.compile(r"(?:^|_)(?:end|ended|ends|close|closed|terminat\w*|cancel\w*|ship\w*|deliver\w*|paid|due|expir\w*|"
                   r"return\w*|resolv\w*|churn\w*|left|last)(?:_|$)", re.I)  # fmt: skip


def _starts_rows(d: Work, table: str) -> bool:
    """The date of ``table`` (the one a period groups its rows by) records when a row began, not when it ended."""
    try:
        col = main_date_column(d.catalog.table(table), table)
    except PlanError:
        return False
    return col is not None and not _ENDS.search(col)


def _named(d: Work, meas: Measure) -> Measure:
    after = name_after(d, meas.end)
    if after:
        meas.alias, meas.end, meas.named = after[0], after[1], True
    else:
        before = name_before(d, meas.start)
        if before:
            meas.alias, meas.start, meas.named = before[0], before[1], True
        elif (word := _word_note(d, meas)) is not None:
            meas.alias, meas.end, meas.named = word[0], word[1], True
        else:
            _paren_named(d, meas)
    d.take(meas.start, meas.end)
    return meas


_WORD_NOTE = re.compile(r"\s*\(\s*(?P<n>[A-Za-z]+)\s*\)")


def _word_note(d: Work, meas: Measure) -> tuple[str, int] | None:
    """ "their number of refunds (refunds)", "the count of late loans (late)": one word in parentheses right after a
    measure, a word of the measure's own words (or its singular or plural), is the name it is given."""
    m = _WORD_NOTE.match(d.prompt, meas.end)
    if m is None or not d.free(m.start("n"), m.end("n")):
        return None
    own = {f for t in d.tokens.within(meas.start, meas.end) if t.kind == "word" for f in lemmas(t.low)}
    word = m.group("n")
    return (word.lower(), m.end()) if lemmas(word.lower()) & own and word.lower() not in _NOT_NAME_WORDS else None


_NOT_NAME_WORDS = frozenset({"the", "a", "an", "of", "number", "count", "total", "sum", "average", "avg", "many", "much"})


# "by lifetime net spend (sum of amount over settled invoices)": the words after "by" and before a parenthesised
# definition name the measure it defines (and sort by it), not a column named like them
_NEGATIONS = frozenset({"not", "no", "non", "excluding", "except", "without", "un", "never"})
_PAREN_NAME = re.compile(r"\b(?:by|of|on)\s+(?P<p>(?:[A-Za-z_]\w*[\s-]+){0,3}?[A-Za-z_]\w*)\s*\(\s*$", re.I)


def _paren_named(d: Work, meas: Measure) -> None:
    """The measure defined inside parentheses takes the words before them: its name is the one of those words an
    output list repeats (else the last word); a word that is a value of the measured rows is a condition on them;
    the measured table's name is part of the name; any other word is left to the others (a date, a number...)."""
    window = d.prompt[max(0, meas.start - 60) : meas.start]
    m = _PAREN_NAME.search(window)
    close = d.prompt.find(")", meas.end)
    if m is None or close < 0 or "(" in d.prompt[meas.end : close] or not meas.table:
        return
    base = meas.start - len(window)
    inside = d.tokens.within(base + m.start("p"), base + m.end("p"))
    words = [t for t in inside if t.kind == "word"]
    if any(t.kind not in ("word", "punct") and t.text != "-" or t.low in _NEGATIONS or t.low.startswith("non") for t in inside):
        return  # a number, a date, a negation ("non-refunded spend (...)") is more than a name: left to the others
    named = column_of(d, text_of(d, words)) if words else None
    if not words or not all(d.free(t.start, t.end) or table_of(d, t.text) for t in words) or named and (
            named.lower() != (meas.column or "").lower()):
        return  # the words name another column: "by fee (sum of amount ...)" is read as written; "by revenue
        # (sum of amount ...)" where revenue would be the amount names the sum (the amount is summed either way)
    conds: list[Filter] = []
    taken = [words[-1]]
    for t in words[:-1]:
        hits = [h for h in d.linker.values(t.text, [meas.table]) if h.score >= 0.85]
        if hits:
            conds.append(Filter(column=f"{hits[0].table}.{hits[0].column}", operator="=", value=hits[0].value,
                                provenance=t.text))  # fmt: skip
            taken.append(t)
        elif table_of(d, t.text) == meas.table:
            taken.append(t)
    listed = {t.low for t in d.tokens.items if t.kind == "word" and (t.start > close or t.end < base + m.start("p"))}
    names = [w.low for w in reversed(words)]
    alias = next((w for w in names if w in listed and not column_of(d, w) and not table_of(d, w)), None)
    meas.alias, meas.named = (alias, True) if alias else (re.sub(r"\W+", "_", words[-1].low), meas.named)
    meas.conds = [*meas.conds, *(c for c in conds if c not in meas.conds)]
    meas.start = base + m.start("p")
    for t in taken:
        d.take(t.start, t.end)


def target(d: Work, fn: str, start: int, pos: int) -> Measure | None:
    """What the measure at ``start`` (trigger words up to ``pos``) aggregates."""
    dn = derived_at(d, pos, pos + 80)
    if dn is not None:
        dc = next(x for x in d.derived if x.name == dn)
        low = d.prompt.lower()
        dstart = find_words(low, (dc.provenance or "").lower())
        if dstart >= 0 and not d.prompt[pos:dstart].strip():
            return _over_derived(d, fn, start, dstart + len(dc.provenance or ""), dn)
    arith = _arithmetic(d, fn, start, pos)
    if arith is not None:
        return arith
    flag = _flag_phrase(d, fn, pos)
    if flag is not None:
        return _flag_count(d, fn, start, flag[0], flag[1], flag[2], flag[3])
    words = tokens_from(d, pos)
    if not words:
        return None
    for n in range(len(words), 0, -1):
        head = words[:n]
        phrase = text_of(d, head)
        tail_end = head[-1].end
        counting = fn in ("count", "count_distinct")
        table = table_of(d, phrase)
        col = None if counting and table else column_of(d, phrase)
        if fn in ("min", "max") and table is not None and col is not None and not _names_the_column(d, col, phrase):
            col = None  # "the biggest customers": rows of a table, no column of theirs (not max(customer_id))
        if fn == "sum" and table is not None and col is not None and _identifier(col) and re.match(
                r"\s*(?:the\s+)?total\b", d.prompt[start:pos], re.I) and not _SHARE_OF.search(
                d.prompt, max(0, start - 40), start):  # fmt: skip
            col = None  # "total cleanings": the rows of cleanings counted, never a sum of cleaning_id
        owner = owner_after(d, tail_end) if col else None  # "the amount of every transaction"
        if owner and col and owner != owner_table(d.catalog, col):
            col = column_of(d, phrase, [owner]) or col
        if table is not None and col is None:
            if counting or fn == "sum" and re.match(r"\s*(?:the\s+)?total\b", d.prompt[start:pos], re.I):
                return _entity_measure(d, fn, start, tail_end, table, [])
            continue
        counted = counted_rows(d, head) if counting and col is not None else None
        if counted is not None and column_of(d, text_of(d, counted[1])) != col:
            continue  # "patients seen": a table's name and a word near a column's ("sex") do not name that column
        if col is not None and counting and family(d, col) == "boolean":
            if counted is not None and not _names_flag(d, counted[1], col):
                continue  # "users verified their (email)": a part of the flag's name is not the flag
            return _flag_count(d, fn, start, tail_end, col, head, counted[0] if counted else None)
        if col is not None:
            if fn in ("sum", "avg") and family(d, col) not in NUMERIC:
                if fn == "sum" and family(d, col) == "other":
                    pass
                else:
                    continue
            row_pick = start_word(d, start) in _ROW_PICK
            if fn in ("min", "max") and row_pick and (family(d, col) not in TEMPORAL or table is not None):
                return None  # "the most recent salary", "first order per customer": a row per group, not a measure
            return _column_measure(d, fn, start, tail_end, col)
        if n == 1 and counting and (kind := _rows_of_kind(d, head[0])) is not None:
            return _entity_measure(d, fn, start, tail_end, kind[0], kind[1])  # "how many refunds"
        # "cancelled orders": values of the table named last
        if n >= 2:
            table = table_of(d, words[n - 1].text)
            if table is not None and fn in ("count", "count_distinct"):
                conds = value_conditions(d, words[: n - 1], table)
                if conds:
                    return _entity_measure(d, fn, start, tail_end, table, conds)
            if fn in ("sum", "avg", "min", "max"):  # "total canceled mrr": values of the column's own rows, then it
                valued = _valued_column(d, fn, start, head)
                if valued is not None:
                    return valued
    return None


def _valued_column(d: Work, fn: str, start: int, head: list[Token]) -> Measure | None:
    """``head`` is values of a table, then a number column of it ("canceled mrr", "refunded invoice amount"): the
    column aggregated over the rows with those values."""
    for k in range(1, len(head)):
        col = column_of(d, text_of(d, head[k:]))
        if col is None or family(d, col) not in NUMERIC:
            continue
        conds = value_conditions(d, head[:k], owner_table(d.catalog, col))
        if conds:
            meas = _column_measure(d, fn, start, head[-1].end, col)
            meas.conds = conds + meas.conds
            meas.alias = default_alias(fn, col, meas.table, meas.conds)
            return meas
    return None


def _names_the_column(d: Work, col: str, phrase: str) -> bool:
    """``phrase`` names a table and ``col`` is the column it names too ("the highest salaries" → salary, "current
    pay" → salary), not a column whose name only begins with the table's word ("orders" → order_date, "customers" →
    customer_id: the phrase's words a part of the column's)."""
    words = {normalize(w) for w in re.findall(r"[A-Za-z]+", phrase) if w.lower() not in ("the", "all", "of")}
    return not words < {normalize(w) for w in split_identifier(split_column(d.catalog, col)[1])}


def _rows_of_kind(d: Work, word: Token) -> tuple[str, list[Filter]] | None:
    """ "how many refunds", "the number of withdrawals": a plural noun whose singular is a data value of one column
    of one table names that table's rows of that kind (the count of transactions whose type is 'refund'); not
    when the word also names a column ("hires" ~ hire_date: the rows of another table may be meant)."""
    forms = lemmas(word.low)
    if not any(len(f) < len(word.low) for f in forms) or table_of(d, word.text) is not None:
        return None
    hits = [v for v in d.linker.values(word.text) if v.score >= 0.9]
    if len({(v.table, v.column) for v in hits}) != 1 or any(h.score >= 0.7 for h in d.linker.columns(word.text)):
        return None
    conds = value_conditions(d, [word], hits[0].table)
    return (hits[0].table, conds) if conds else None


def counted_rows(d: Work, head: list[Token]) -> tuple[str, list[Token]] | None:
    """ "customers opted in to marketing": the table whose rows are counted, named by the first words of a counted
    phrase, and the words after it (None when the phrase does not open with a table's name)."""
    for k in (2, 1):
        if len(head) > k:
            table = table_of(d, text_of(d, head[:k]))
            if table is not None:
                return table, head[k:]
    return None


_RELATIVE = frozenset({"who", "that", "which"})  # "customers who opted in": the flag's words may open with these
_FLAG_WORDS = 8  # "customers who opted in to the newsletter": a flag's words may run longer than a column's


def _flag_phrase(d: Work, fn: str, pos: int) -> tuple[int, str, list[Token], str] | None:
    """ "how many patrons opted in to the newsletter": the counted table's name, then words that name one of its
    yes/no columns as a whole. Where the words end, the column, the words and the table."""
    if fn not in ("count", "count_distinct"):
        return None
    words = _words_from(d, pos, _FLAG_WORDS)
    counted = counted_rows(d, words)
    if counted is None:
        return None
    table, rest = counted
    for n in range(len(rest), 0, -1):
        if rest[n - 1].low in BOUNDARY or rest[0].low in BOUNDARY - _RELATIVE:
            continue  # "... the newsletter per (tier)": the flag's words end before a boundary word
        col = column_of(d, text_of(d, rest[:n]), [table])
        if col is not None and family(d, col) == "boolean" and _names_flag(d, rest[:n], col):
            return rest[n - 1].end, col, words[: len(words) - len(rest) + n], table
    return None


def _words_from(d: Work, pos: int, limit: int) -> list[Token]:
    """The word tokens from ``pos`` up to punctuation or another recognizer's words (small words included: a flag's
    name may hold them, "opted in to the newsletter")."""
    out: list[Token] = []
    for t in d.tokens.items:
        if t.end <= pos:
            continue
        if t.kind != "word" or planned(d, t.start, t.end) or len(out) >= limit:
            break
        out.append(t)
    return out


_FLAG_SCORE = 0.85  # the linker's score for a column's whole name or a synonym, not a part of it (see linking.py)


def _names_flag(d: Work, words: list[Token], col: str) -> bool:
    """The words name the yes/no column ``col`` as a whole ("opted in to marketing", "auto renew")."""
    phrase = text_of(d, words)
    hits = d.linker.columns(phrase, [owner_table(d.catalog, col)])
    return any(f"{h.table}.{h.column}".lower() == col.lower() and h.score >= _FLAG_SCORE for h in hits)


def _flag_count(d: Work, fn: str, start: int, end: int, col: str, head: list[Token], table: str | None) -> Measure:
    """A count of a yes/no column: the rows where it is true ("how many customers opted in to marketing"), when
    the counted rows are named; else (or when the words negate it) what is counted is not said."""
    owner = owner_table(d.catalog, col)
    bare = col.split(".")[-1]
    if fn == "count_distinct" and table is None:
        return _column_measure(d, fn, start, end, col)  # "the number of distinct is_active values": 2 at most
    negated = any(t.low in _NEGATIONS or t.low.startswith("non") or t.low.endswith("n't") for t in head)
    if table is None or negated or table.lower() != owner.lower():
        raise PlanError(
            f"'{text_of(d, head)}' counts the yes/no column {col}: the rows where it is true, false, or not empty?",
            hint=f"say which rows are counted, e.g. 'how many {owner} have {bare} true' or 'the number of {owner} "
            f"where {bare} is false'")  # fmt: skip
    cond = Filter(column=col, operator="=", value=True, provenance=text_of(d, head))
    meas = _entity_measure(d, fn, start, end, table, [cond])
    meas.alias = f"{bare}_count" if fn == "count" else f"{bare}_{default_alias(fn, meas.column, None, [])}"
    return meas


def start_word(d: Work, start: int) -> str:
    w = [t.low for t in d.tokens.items if t.start >= start][:2]
    return w[1] if w and w[0] == "the" and len(w) > 1 else (w[0] if w else "")


def _entity_measure(d: Work, fn: str, start: int, end: int, table: str, conds: list[Filter]) -> Measure:
    """count of rows of ``table`` ("orders"), or of distinct rows it refers to ("distinct customers")."""
    d.use_table(table)
    end, more = _trailing_values(d, end, table)
    conds = conds + more
    if fn == "count_distinct":
        key = entity_key(d, table)
        return Measure("count_distinct", key, default_alias("count_distinct", key, table, conds), start, end,
                       table=owner_table(d.catalog, key), conds=conds)  # fmt: skip
    fn = "count"
    return Measure(
        fn, None, default_alias(fn, None, table, conds), start, end, table=table, conds=conds, entity=True
    )


def _trailing_values(d: Work, end: int, table: str) -> tuple[int, list[Filter]]:
    """ "orders that were cancelled", "orders cancelled": values right after the counted noun."""
    m = re.match(
        r"\s*(?:(?:(?:that|which|who)\s+)?(?:were|are|was|is|got|have\s+been|has\s+been)\s+|being\s+)?",
        d.prompt[end:],
        re.I,
    )
    words = tokens_from(d, end + (m.end() if m else 0), 2)
    for n in range(len(words), 0, -1):
        conds = value_conditions(d, words[:n], table)
        if conds:
            return words[n - 1].end, conds
    return end, []


def entity_key(d: Work, table: str) -> str:
    """The column that identifies rows of ``table`` from the tables in play: a foreign key to it, else its key."""
    info = d.catalog.table(table)
    for t in d.in_play():
        if t.lower() == table.lower():
            continue
        for fk in d.catalog.table(t).foreign_keys:
            if fk.ref_table.lower() == table.lower() and len(fk.columns) == 1:
                return f"{d.catalog.table(t).name}.{fk.columns[0]}"
    pk = info.primary_key[0] if info.primary_key else info.columns[0].name
    return f"{info.name}.{pk}"


def _column_measure(d: Work, fn: str, start: int, end: int, col: str) -> Measure:
    if fn == "count" and _quantity(d, col, d.prompt[start:end]):
        fn = "sum"  # "number of nights": a column that holds a number of nights is added up, not its rows counted
    table = owner_table(d.catalog, col)
    d.use_table(table)
    end, conds = of_table(d, end, table)
    end = through(d, end)
    return Measure(fn, col, default_alias(fn, col, table, conds), start, end, table=table, conds=conds)


#: "the percent of (the total visits)": a share of a total, read by the ratios
_SHARE_OF = re.compile(r"\b(?:percent(?:age)?|share|fraction|proportion|ratio|part)\s+of\s+(?:the\s+)?$", re.I)


def _identifier(col: str) -> bool:
    """A column named as an identifier (``id``, ``cleaning_id``, ``order_key``): never a quantity to add up."""
    name = col.split(".")[-1].lower()
    return name in ("id", "key") or name.endswith(("_id", "_key"))


def _quantity(d: Work, col: str, words: str) -> bool:
    """``col`` is a whole-number column named by a plural noun the words say ("beds", "units", "nights"): it holds
    how many of those each row has."""
    table, name = owner_table(d.catalog, col), col.split(".")[-1]
    if not d.catalog.has_table(table) or d.catalog.table(table).column(name).family != "integer":
        return False
    last = name.lower().split("_")[-1]
    said = {w.lower() for w in re.findall(r"[A-Za-z]+", words)}
    return last.endswith("s") and singular(last) != last and last in said and not last.endswith(("ids", "keys"))


def _over_derived(d: Work, fn: str, start: int, end: int, name: str) -> Measure:
    return Measure(fn, name, default_alias(fn, name, None, []), start, end, table=None)


def _postfix_target(d: Work, m: re.Match[str], before: list[Token]) -> Measure | None:
    fn = "avg" if m.group("w").lower().startswith("aver") else "sum"
    end = m.end()
    over = m.group("over")
    if (
        over
        and table_of(d, over) is None
        and over.lower() not in ("lines", "rows", "records", "items", "entries")
    ):
        end = m.end("w")
    low = d.prompt.lower()
    for dc in d.derived:  # "pay = hours x hourly rate, summed over rows"
        prov = (dc.provenance or "").lower()
        i = find_words(low, prov)
        if i >= 0 and not d.prompt[i + len(prov) : m.start()].strip(" ,"):
            lead = re.search(r"\b(?:where|with|and|given|using)\s+$", d.prompt[:i], re.I)  # "where revenue = ..."
            meas = _over_derived(d, fn, lead.start() if lead else i, end, dc.name)
            if any(t.kind == "word" and t.low == dc.name.lower() for t in d.tokens.items):  # the request names it
                meas.alias, meas.named = dc.name, True
            return meas
    for n in range(len(before), 0, -1):
        phrase = text_of(d, before[-n:])
        col = column_of(d, phrase)
        if col is not None and family(d, col) in NUMERIC and not (is_key(d, col) and table_of(d, phrase)):
            return Measure(  # ("3,000 sessions in total" counts sessions: no sum of session_id)
                fn, col, default_alias(fn, col, None, []), before[-n].start, end, table=owner_table(d.catalog, col)
            )
    return None


_ARITH_END = re.compile(
    r"\s*(?:[,;.?!()]|\b(?:per|by|for|in|each|every|and|with|where|as|called|named|rounded|"
    r"grouped|across|from|over|sorted|ordered|only|then|into|which|that|including)\b|$)",
    re.I,
)


_MAX_INLINE_CHARS = 300


def _arithmetic(d: Work, fn: str, start: int, pos: int) -> Measure | None:
    """ "sum of quantity times unit price": an expression written inline after the trigger."""
    if fn in ("count", "count_distinct"):
        return None
    from datamorph.planner.recognizers.derived import parse_arithmetic

    window = min(len(d.prompt), pos + _MAX_INLINE_CHARS + 40)  # (not the whole rest, for each trigger)
    m = _ARITH_END.search(d.prompt, pos, window)
    if m is None or m.end() == window < len(d.prompt) and not d.prompt[m.start() : m.end()].strip():
        return None  # no end in sight: no inline expression is that long
    text = d.prompt[pos : m.start()]
    if len(text) > _MAX_INLINE_CHARS:
        return None
    if not re.search(r"\b(?:times|x|multiplied|divided|plus|minus)\b|[*/+×-]", text, re.I):
        return None
    parsed = parse_arithmetic(d.as_draft(), text)  # brings its columns' tables into the scratch
    if parsed is None:
        return None
    sql, names = parsed
    end = pos + len(text.rstrip())
    table = next((t for t, _ in expression_refs(sql) if t), None)
    alias = default_alias(
        fn, "_".join(n for n in names if n not in ("times", "per", "plus", "minus")), None, []
    )
    return Measure(fn, None, alias, start, end, table=table, expression=sql)


# -- the working state of the aggregate recognizers ------------------------------------------


@dataclass
class Ratio:
    name: str
    expression: str
    start: int
    end: int
    measures: list[Measure]  # numerator, denominator (or the measure whose share of the total is taken)
    scale: float
    total_share: bool
    round: int | None = None
    named: bool = False
    formula: bool = False  # written as "name = numerator / denominator"
    per_row: bool = False  # "revenue per customer (by country)": a measure per counted row, on no scale


@dataclass
class Ctx:
    measures: list[Measure] = field(default_factory=list)
    keys: list[tuple[str, str | None]] = field(
        default_factory=list
    )  # (qualified column or derived name, entity table)
    having: list[tuple[Measure, str, object, str]] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    ratio_having: list[tuple[Ratio, str, object, str]] = field(default_factory=list)  # "whose no-show rate is > 10%"
    preserve: bool = False
    period_formats: dict[str, str] = field(default_factory=dict)  # "months shown as 'Mar 2024'": unit -> example
    period_names: dict[str, str] = field(default_factory=dict)  # "the month ... in a column called period_start"
    # words read here (start, end, their table or an "entity:<table>" group key)
    spans: list[tuple[int, int, str | None]] = field(default_factory=list)

    def add(self, m: Measure) -> Measure:
        for old in self.measures:
            if old.key() == m.key():
                if m.named and not old.named and "_" in m.alias:  # "with that total quantity as units_sold"
                    old.alias, old.named = m.alias, True
                return old
        self.measures.append(m)
        return m
