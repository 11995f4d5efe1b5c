"""Window columns: ranks, row numbers, running totals, and top N per group (window + qualify).

"rank the users by signup date within each country, most expensive first",
"number the rows per customer by order date", "running total of amount per
customer ordered by order date", "top 3 products by unit price in each category".

Three steps (top N per group, ranks and row numbers, running totals), each returning claims. A
phrase starts on words no claim explains (a table's name is no ranking verb); what it then reads
("by unit price", "most expensive first") is claimed whether or not another claim explains it too.
The tables a column brings in (or a key leaves out), the filters it adds or replaces, and the new
window are edits of the window's claim; :class:`_State` is what the draft will be once they apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES
from datamorph.errors import PlanError
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, Pending, View, edit_only
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.linking import ColumnMatch
from datamorph.planner.recognizers.common import RenamedMatch, on_words, written_column
from datamorph.planner.recognizers.derived import clean_phrase, column_error, defined_name, snake, stem
from datamorph.planner.recognizers.derivekit import _FILLER as _NO_COLUMN
from datamorph.planner.recognizers.derivekit import short_name
from datamorph.planner.refs import column_refs, owner_table, split_column, tables_read
from datamorph.planner.text import Token, parse_number
from datamorph.spec import Condition, DerivedColumn, Filter, OrderItem, WindowColumn

_NUM = r"\d[\d,]*|one|two|three|four|five|six|seven|eight|nine|ten|twenty"
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
              "ten": 10, "twenty": 20}  # fmt: skip
#: the words before a window's partition: "per region", "within each shop"; after "in", "for" or "among" only with
#: "each", "every"... ("in 2024", "among open accounts", "for Leeds" say which rows, not groups)
_GROUP = (r"(?:(?:within|per|inside|across)\s+(?:(?:each|every|the\s+same|their|its|a)\s+)?"
          r"|(?:in|among|for)\s+(?:each|every|the\s+same|their|its)\s+)")
_END = (r"(?=\s*(?:[,.;:!?(]|$|\b(?:most|highest|lowest|least|cheapest|largest|smallest|biggest|newest|oldest|"
        r"earliest|latest|descending|ascending|desc|asc|with|using|via|so|and|where|called|named|as|then|from|sorted|ordered)\b))")  # fmt: skip
_RANK = re.compile(
    r"\b(?P<verb>dense[\s_-]?rank(?:ing|ed)?|rank(?:ing|ed)?|number(?:ing|ed)?)\s+(?:the\s+|all\s+|each\s+|of\s+)?"
    r"(?P<what>[\w' ]{0,30}?)\s*\b(?:by|on|according\s+to|based\s+on|in\s+order\s+of)\s+(?:their\s+|its\s+|the\s+)?"
    rf"(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?)(?:\s+(?:{_GROUP})(?P<part>[\w ]+?))?{_END}",
    re.I,
)
_COUNT_NOUN = re.compile(r"numbers?\s+of\b", re.I)
_RANK_PART_FIRST = re.compile(
    rf"\b(?P<verb>dense[\s_-]?rank(?:ing|ed)?|rank(?:ing|ed)?|number(?:ing|ed)?)\s+(?:the\s+)?(?P<what>[\w ]{{0,30}}?)"
    rf"\s+{_GROUP}(?P<part>[\w]+(?:\s+\w+)?)\s+(?:by|on|according\s+to|based\s+on)\s+(?:their\s+|its\s+|the\s+)?"
    rf"(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?){_END}",
    re.I,
)
_DESC = re.compile(r"\b(?:highest|largest|biggest|most|top|best|newest|latest)(?:\s+[A-Za-z_]\w*){0,2}?\s*=\s*(?:1|one)\b|"
                   r"\b(?:most(?:\s+\w+)?|highest|largest|biggest|top|best|newest|latest|most\s+recent)\s+first\b|"
                   r"\bdescending\b|\bdesc\b|\bfrom\s+(?:highest|largest|most)\s+to\s+\w+", re.I)  # fmt: skip
_ASC = re.compile(r"\b(?:lowest|smallest|least|fewest|oldest|earliest|first|cheapest)(?:\s+[A-Za-z_]\w*){0,2}?\s*=\s*(?:1|one)\b|"
                  r"\b(?:least(?:\s+\w+)?|lowest|smallest|cheapest|oldest|earliest|fewest)\s+first\b|\bascending\b|"
                  r"\basc\b|\bfrom\s+(?:lowest|smallest|least)\s+to\s+\w+", re.I)  # fmt: skip
_DENSE = re.compile(r"\b(?:no|without(?:\s+any)?|never\s+(?:a|any))\s+gaps?\b|\bdense(?:ly)?\b|\bconsecutive\s+ranks?\b", re.I)
_SKIP = re.compile(r"\b(?:ties?\s+)?share\s+(?:a|the)\s+(?:same\s+)?rank(?:\s+and\s+(?:skip|leave\s+gaps)"
                   r"(?:\s+(?:the\s+)?next(?:\s+ones?|\s+ranks?)?)?|\s*,?\s*(?:and\s+)?then\s+(?:a|the)\s+gaps?)?\b|"
                   r"\bties?\s+share\b|"
                   r"\bskip(?:ping)?\s+(?:the\s+)?next(?:\s+ranks?)?\b|\bwith\s+(?:a\s+)?gaps?\b", re.I)  # fmt: skip
# "using DENSE_RANK", "with RANK()", "via row_number": the SQL function named outright
_FN_NAMED = re.compile(r"\b(?:(?:using|with|via|as|by)\s+(?:an?\s+|the\s+)?(?:sql\s+|standard\s+)?)?"
                       r"(?P<fn>dense_rank|row_number|rank)(?:\s*\(\s*\))?(?=\W|$)", re.I)
_ROWNUM = re.compile(r"\bnumber(?:ing|ed)?\b|\brow\s+numbers?\b|\bsequence\s+numbers?\b", re.I)
_NAME_AFTER = re.compile(r"^\s*,?\s*(?:\(\s*call\s+it\s+(\w+)\s*\)|(?:called|named|as)\s+([A-Za-z_]\w*))", re.I)

_RUNNING = re.compile(
    r"\b(?:a\s+|the\s+)?(?P<kind>running|cumulative)\s+(?P<fn>total|sum|balance|count|number|average|avg)?\s*"
    r"(?:of\s+(?:the\s+)?)?(?P<what>(?!(?:per|for|by|within|in|over|across|ordered|sorted)\b)[\w.]+"
    r"(?:\s+(?!(?:per|for|by|within|in|over|across|ordered|sorted)\b)[\w.]+)?)?(?=\s*(?:\bper\b|\bfor\b|\bby\b|\bwithin\b|\bin\b|"
    r"\bordered\b|\bover\b|\bsorted\b|\bacross\b|[,.;(]|$|\bcalled\b|\bas\b|\bnamed\b|\bwhere\b))",
    re.I,
)
_PARTITION = re.compile(r"\b(?:per|for\s+each|for\s+every|within\s+each|within|in\s+each|by\s+each|across\s+each)\s+"
                        r"(?P<p>[A-Za-z_]\w*(?:\s+(?!(?:by|ordered|sorted|then|over|in|where|and|with|called|as|from)\b)"
                        r"[A-Za-z_]\w*)?)", re.I)  # fmt: skip
_ORDER = re.compile(r"\b(?:ordered\s+by|sorted\s+by|in\s+order\s+of|order\s+by|over|by)\s+(?:the\s+)?"
                    r"(?P<o>[A-Za-z_][\w.]*(?:\s+(?!(?:then|and|desc|asc|where|called|as|per|for)\b)[A-Za-z_]\w*)?)(?:\s*,?\s*(?:then|and\s+then|and)\s+(?:by\s+)?"
                    r"(?:the\s+)?(?P<o2>[A-Za-z_][\w.]*(?:\s+[A-Za-z_]\w*)?))?", re.I)  # fmt: skip
_SIGNED = re.compile(r"\b(?P<plus>\w+?)s?\s+(?:add|count\s+as\s+positive|increase)\w*"
                     r"(?:\s+(?:the\s+|their\s+|its\s+)?(?!and\b|it\b|them\b)(?P<col>[A-Za-z_]\w*))?\s*(?:,|and|;)\s*(?:the\s+)?"
                     r"(?P<minus>\w+?)s?\s+(?:subtract|count\s+as\s+negative|decrease|reduce)\w*(?:\s+it)?\b", re.I)  # fmt: skip
_TOP = re.compile(
    rf"\b(?:the\s+)?(?P<dir>top|bottom|first|highest|lowest|best|worst)\s+(?P<n>{_NUM})\s+(?P<what>[\w ]{{0,30}}?)\s+"
    r"(?:by|on|in\s+terms\s+of|based\s+on|with\s+the\s+(?P<adj>highest|lowest|largest|smallest|most|least))\s+"
    rf"(?:their\s+|its\s+|the\s+)?(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?)\s+{_GROUP}(?P<part>[\w]+(?:\s+\w+)?){_END}",
    re.I,
)


# "the 5 highest-scoring players in each league by points", "the 2 biggest transfers per account by amount": the count
# first, the partition before "by" (``adj``: never set here; the superlative is ``dir``)
_TOP_COUNT_FIRST = re.compile(
    rf"\b(?:the\s+)?(?P<n>{_NUM})\s+(?P<dir>top|best|worst|highest|lowest|biggest|largest|smallest|greatest|cheapest|"
    r"newest|latest|oldest|earliest|longest|shortest|most\s+recent)"
    r"(?:-[A-Za-z]+)?\s+(?P<what>[\w ]{0,30}?)\s+(?:(?:within|per|in|for|across)\s+(?:each|every)|per)\s+"
    r"(?P<part>[\w]+(?:\s+\w+)?)\s+(?:by|on|in\s+terms\s+of|based\s+on)\s+(?:their\s+|its\s+|the\s+)?"
    rf"(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?)(?P<adj>(?!x)x)?{_END}",
    re.I,
)
# "top 2 rentals per bike by km", "the top 3 tickets in each queue by fee": the number after the
# top word, the partition before "by"
_TOP_GROUP_FIRST = re.compile(
    rf"\b(?:the\s+)?(?P<dir>top|bottom|first|highest|lowest|best|worst)\s+(?P<n>{_NUM})\s+(?P<what>[\w ]{{0,30}}?)\s+"
    r"(?:(?:within|per|in|for|across)\s+(?:each|every)|per)\s+(?P<part>[\w]+(?:\s+\w+)?)\s+"
    r"(?:by|on|in\s+terms\s+of|based\s+on)\s+(?:their\s+|its\s+|the\s+)?"
    rf"(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?)(?P<adj>(?!x)x)?{_END}",
    re.I,
)
# "which employees are in the top 2 of their department by rating?", "products that rank among the top 3 in
# their category for unit_price": the rows' place within their group (the rows named before the verb)
_TOP_OF_GROUP = re.compile(
    rf"\b(?:are|is|rank|ranks|ranked|come|comes|fall|falls|sit|sits)\s+(?:in|among|within)\s+(?:the\s+)?"
    rf"(?P<dir>top|bottom|first|highest|lowest|best|worst)\s+(?P<n>{_NUM})\s+(?:of|in|within|for)\s+(?:their|its|each|the\s+same)\s+"
    r"(?P<part>[A-Za-z_]\w*(?:\s+(?!by\b|for\b|on\b|in\b)[A-Za-z_]\w*)?)\s+(?:by|for|on|in\s+terms\s+of|based\s+on)\s+"
    rf"(?:their\s+|its\s+|the\s+)?(?P<by>\w+(?:\.\w+)?(?:\s+\w+(?:\.\w+)?)?)(?P<what>)(?P<adj>(?!x)x)?{_END}",
    re.I,
)
# "ties go to the lower id", "ties broken by the earlier hire_date", "break ties by the higher score": a second
# order key, after the measure
TIE_BREAK = re.compile(
    r"\b(?:(?:with\s+|and\s+)?ties?\s+(?:are\s+|get\s+)?(?:broken|settled|resolved|decided)\s+(?:by|on|using|with)|"
    r"ties?\s+go(?:es)?\s+to|break(?:ing)?\s+ties\s+(?:by|on|with|using))\s+(?:the\s+)?"
    r"(?P<dir>lower|lowest|smaller|smallest|higher|highest|larger|largest|bigger|biggest|earlier|earliest|later|latest|"
    r"older|oldest|newer|newest)\s+(?P<col>[A-Za-z_]\w*)",
    re.I,
)
TIE_ASC = frozenset({"lower", "lowest", "smaller", "smallest", "earlier", "earliest", "older", "oldest"})


# A superlative that says which column it orders by through what it means: a date ("the 3 newest", "the most
# recently hired"), a price ("the cheapest"), an amount ("the largest") or a length ("the longest")
_SUP_WORD = (r"(?:most|least)\s+recently\s+[a-z]+|(?:most|least)\s+recent|newest|latest|oldest|earliest|cheapest|"
             r"(?:most|least)\s+expensive|priciest|costliest|largest|biggest|smallest|longest|shortest")
_SUP_ROWS = r"(?P<what>[A-Za-z_]\w*(?:\s+(?!(?:per|in|for|of|within|from|on|at|across|each|every)\b)[A-Za-z_]\w*)?)"
_EACH = r"(?:per|(?:in|for|of|within|from|on|at|across)\s+(?:each|every))"
# "the 3 newest products in each category", "the cheapest product per category", "the largest transaction of each
# account" (no "by <column>" after the group: that is :data:`_TOP_COUNT_FIRST`'s)
_TOP_SUP = re.compile(rf"\b(?:the\s+)?(?:(?P<n>{_NUM})\s+)?(?P<dir>{_SUP_WORD})\s+{_SUP_ROWS}\s+{_EACH}\s+"
                      rf"(?P<part>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?){_END}", re.I)  # fmt: skip
# "each department's 5 most recently hired employees"
_TOP_SUP_OWNER = re.compile(rf"\b(?:each|every)\s+(?P<part>[A-Za-z_]\w*)'s?\s+(?:(?P<n>{_NUM})\s+)?(?P<dir>{_SUP_WORD})\s+"
                            rf"{_SUP_ROWS}{_END}", re.I)  # fmt: skip
# "for every customer, their 2 most recent orders": the group said first
_TOP_SUP_LEAD = re.compile(rf"\b(?:for|in|within)\s+(?:each|every)\s+(?P<part>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s*,\s*"
                           r"(?:(?:show|list|give|return|get|find)\s+(?:me\s+)?)?(?:the|their|its)\s+"
                           rf"(?:(?P<n>{_NUM})\s+)?(?P<dir>{_SUP_WORD})\s+{_SUP_ROWS}{_END}", re.I)  # fmt: skip
_SUP_DATES = frozenset({"newest", "latest", "oldest", "earliest", "recent"})
_SUP_ASC = frozenset({"least", "oldest", "earliest", "cheapest", "smallest", "shortest"})
_PRICE_PARTS = frozenset({"price"})
_AMOUNT_PARTS = frozenset({"amount", "total", "value", "revenue", "balance", "salary", "sales", "mrr"})
_FEE_PARTS = frozenset({"fee", "cost"})
_LENGTH_PARTS = frozenset({"duration", "length", "minutes", "min", "mins", "hours", "seconds", "sec", "secs"})


def top_n_rows(d: View) -> list[Claim]:
    """"top 2 orders per customer by amount": the top N rows of each group by a column of the rows themselves,
    read before the aggregates (which would read "per customer ... by amount" as a total per customer, and keep
    the 2 customers with the highest)."""
    s = _State.of(d)
    if TIE_BREAK.search(d.prompt):
        return []  # (the tie clause is held until after the aggregates: read with it, by :func:`top_n`)
    for rx in (_TOP, _TOP_COUNT_FIRST, _TOP_GROUP_FIRST):
        for m in rx.finditer(d.prompt):
            if not (_unused(s, m.start(), m.end("n")) and _unused(s, m.start("dir"), m.end("dir"))):
                continue
            rows = _rows_table(d, m.group("what"))
            column = _ref_or_none(s, m.group("by"))
            if rows is None or column is None or split_column(d.catalog, column)[0] != rows:
                continue  # "top 3 stores by revenue per region": a measure, read by the aggregates first
            if _one_column(d, m.start("by"), m.end("part")):
                continue
            _top_n(s, m)
    return s.done()


def _rows_table(d: View, what: str | None) -> str | None:
    from datamorph.planner.recognizers.phrases import table_of

    return table_of(d, what) if what else None  # type: ignore[arg-type]


def top_n(d: View) -> list[Claim]:
    """"top 3 products by unit price in each category": a rank window and a qualify filter."""
    s = _State.of(d)
    for rx in (_TOP, _TOP_COUNT_FIRST, _TOP_OF_GROUP, _TOP_GROUP_FIRST):
        for m in rx.finditer(d.prompt):
            if _unused(s, m.start(), m.end("n")) and _unused(s, m.start("dir"), m.end("dir")):
                if _one_column(d, m.start("by"), m.end("part")):
                    continue  # "top 3 plans by price per seat": price_per_seat, not a price for each seat count
                _top_n(s, m)
    for rx in (_TOP_SUP, _TOP_SUP_OWNER, _TOP_SUP_LEAD):
        for m in rx.finditer(d.prompt):
            if _unused(s, m.start("dir"), m.end("dir")) and (not m.group("n") or _unused(s, m.start("n"), m.end("n"))):
                _top_sup(s, m)
    return s.done()


def _one_column(d: View, start: int, end: int) -> bool:
    """The words from the order to the group name one column whole ("price per seat" → price_per_seat)."""
    if start < 0 or end <= start:
        return False
    phrase = d.prompt[start:end]
    return any(h.score >= 0.9 and h.text.strip().lower() == phrase.strip().lower() for h in d.linker.columns(phrase)[:1])


def _tie_break(d: _State, start: int, order: str) -> list[OrderItem]:
    """The second order key a tie-break phrase gives in the sentence from ``start`` or the next one."""
    stop = _sentence_end(d, start)
    later = [x for x in _later_sentences(d, stop)[:1]]
    stop = _sentence_end(d, later[0]) if later else stop
    for x in TIE_BREAK.finditer(d.prompt, start, stop):
        if not _free_at(d, x.start()):
            continue
        ref = _ref(d, x.group("col"))
        if ref == order:
            continue
        d.mark(x.start(), x.end(), "how ties are broken")
        return [OrderItem(column=ref, direction="asc" if x.group("dir").lower() in TIE_ASC else "desc")]
    return []


def rank(d: View) -> list[Claim]:
    """"rank the users by signup date within each country", "number the rows per customer by date"."""
    s = _State.of(d)
    for m in _RANK_BY.finditer(d.prompt):  # "rank the stores by the total of their sales": a measure's words
        measure = _measure_at(s, m.end())
        if measure is not None and _unused(s, m.start("verb"), m.end("verb")):
            _rank(s, m, measure)
    for m in _RANK_THEM.finditer(d.prompt):  # "keep the teams above 10 wins, then rank them": by the one measure
        measures = [a.alias for a in s.view.aggregations]
        if len(measures) == 1 and _unused(s, m.start("verb"), m.end()):
            _rank(s, m, (measures[0], m.end()))
    owned = {x.end() for x in _SEQ.finditer(d.prompt) if x.group("what3")}  # "each X's rows numbered by ...": sequence's
    for rx in (_RANK_PART_FIRST, _RANK, _RANK_BARE):
        for m in rx.finditer(d.prompt):
            if _unused(s, m.start("verb"), m.end("verb")) and m.end("verb") not in owned:
                if _COUNT_NOUN.match(d.prompt, m.start("verb")):
                    continue  # "number of employees hired by department": a count, not the verb "number"
                if rx is _RANK_BARE and _ref_or_none(s, m.group("by")) is None:
                    continue
                _rank(s, m)
    return s.done()


# "highest = 1", "best month = 1", "the smallest account = 1": which row is ranked first, not a filter "= 1"
_RANK_ONE = re.compile(r"\b(?:highest|largest|biggest|most|top|best|newest|latest|lowest|smallest|least|fewest|oldest|"
                       r"earliest|first|cheapest)(?:\s+[A-Za-z_]\w*){0,2}?\s*=\s*(?:1|one)\b", re.I)  # fmt: skip
_RANK_WORD = re.compile(r"\b(?:(?:dense[\s_-]?)?rank(?:s|ed|ing)?|row_number|numbered)\b", re.I)


def rank_one(d: View) -> list[Claim]:
    """"rank the teams by points, highest = 1": in a sentence that ranks, "<superlative> [noun] = 1" says which
    row is ranked first (read by :func:`rank` as the direction); claimed before the comparisons read "= 1" as a
    condition on a column. Without a rank word in the sentence, the words are left to the others."""
    s = _State.of(d)
    for m in _RANK_ONE.finditer(d.prompt):
        start = _sentence_start(s, m.start())
        if _RANK_WORD.search(d.prompt, start, _sentence_end(s, m.end())) and d.free(m.start(), m.end()):
            s.claims.append(on_words(d, m.start(), m.end(), why="which row ranks first"))
    return s.done()


_RANK_BY = re.compile(r"\b(?P<verb>dense[\s_-]?rank(?:ed)?|rank(?:ed)?)\s+(?:the\s+|all\s+|those\s+|these\s+)?"
                      r"(?P<what>[A-Za-z_]+(?:\s+[A-Za-z_]+)?)\s+(?:by|on|according\s+to|based\s+on)\s+"
                      r"(?:their\s+|its\s+|the\s+)?(?P<by>)(?P<part>)", re.I)  # fmt: skip


# "rank them", "rank those", "rank the remaining ones": the groups the request made, by its one measure
_RANK_THEM = re.compile(r"\b(?P<verb>dense[\s_-]?rank|rank)\s+(?P<what>them|those|these|the\s+rest|"
                        r"the\s+remaining\s+(?:ones|groups|rows))\b(?=\s*(?:[^\w\s]|$))"
                        r"(?P<by>)(?P<part>)", re.I)  # fmt: skip


def _order_owner(s: _State, order: str) -> str | None:
    """The table whose rows the rank's order reads: a column's table, or the table an aggregation it names
    aggregates (a name the request defined is no table)."""
    agg = next((a for a in s.view.aggregations if a.alias.lower() == order.lower()), None)
    if agg is None or "." in order:
        return owner_table(s.catalog, order)
    return _owner(agg.column, agg.expression)


def _measure_at(s: _State, pos: int) -> tuple[str, int] | None:
    """The aggregation whose words (its provenance) are written at ``pos``, and where they end."""
    text = s.prompt[pos:].lower()
    for a in s.view.aggregations:
        prov = re.sub(r"^(?:the|their|its)\s+", "", (a.provenance or "").strip().lower())
        if prov and text.startswith(prov) and re.match(r"\W|$", text[len(prov) : len(prov) + 1]):
            return a.alias, pos + len(prov)
    return None


def sequence(d: View) -> list[Claim]:
    """"number each patient's visits in time order", "number the loans of every member chronologically":
    a row number per owner, counting up from the first row (after ``rank``, which reads "number ... by X")."""
    s = _State.of(d)
    for m in _SEQ.finditer(d.prompt):
        if m.group("part6") is not None:  # "a row number per customer": read by rank when "by X" follows
            if _free_at(s, m.start() + m.group(0).lower().index("number")):
                _sequence(s, m)
        elif _free_at(s, m.start()) or m.group("what4") and _free_at(s, m.end() - 1):  # (table words: sources')
            _sequence(s, m)
    return s.done()


def previous(d: View) -> list[Claim]:
    """"the grade of the same student's previous record (ordered by taken_on)", "each reading's value on the
    meter's next row": lag / lead of a column per owner, in the order the request gives."""
    s = _State.of(d)
    for m in _PREV.finditer(d.prompt):
        if s.free(m.start("dir"), m.end("dir")):
            _previous(s, m)
    for m in _PREV_COLUMN.finditer(d.prompt):
        second = m.group("dir2") is not None
        if s.free(m.start("dir2" if second else "dir"), m.end("dir2" if second else "dir")):
            _previous(s, RenamedMatch(m, {"dir": "dir2", "col": "col2", "owner": "owner2"} if second else {}))
    return s.done()


def running(d: View) -> list[Claim]:
    """"running total of amount per customer ordered by order date"."""
    s = _State.of(d)
    for m in _RUNNING.finditer(d.prompt):
        if _unused(s, m.start("kind"), m.end("kind")):
            _running(s, m)
    return s.done()


#: "Group by the port as stored": the partition of a window, said again as a grouping
_PARTITION_SAID = re.compile(r"\b(?:group(?:ed|ing)?|partition(?:ed|ing)?|split)\s+(?:them\s+|the\s+rows\s+)?by\s+"
                             r"(?:the\s+|their\s+|its\s+)?(?P<c>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)", re.I)  # fmt: skip


def partition_said(d: View) -> list[Claim]:
    """A grouping said of the rows a window already splits ("rank ... in each port. Group by the port as
    stored"): it restates the window's partition, and adds nothing. Only when
    the request groups nothing (no measure) and the column is a partition key of a window."""
    s = _State.of(d)
    if d.group_by or d.aggregations or not d.windows:
        return []
    keys = {k.lower() for w in d.windows for k in w.partition_by}
    for m in _PARTITION_SAID.finditer(d.prompt):
        if not _unused(s, m.start(), m.start("c")):
            continue
        words = m.group("c").split()
        for n in range(len(words), 0, -1):
            phrase = " ".join(words[:n])
            if words[n - 1].lower() in STOPWORDS:
                continue  # "the port_code on the voyage": the column, not "on"
            ref = _column_phrase(s, phrase, _in_play(s) or None)
            if ref and ref.lower() in keys:
                s.mark(m.start(), m.start("c") + len(phrase), "the window's partition, said again")
                break
    return s.done()


@dataclass
class _State(Pending):
    """One step's claims, and the draft as it will be once they apply (tables, windows, filters).

    ``edits`` are the changes to the draft's fields not yet in a claim: they go with the next
    window (:meth:`add_window`), or alone at the end (:meth:`done`). ``released``: the starts of
    the words a claim of this step un-marks.
    """

    base: str | None = None
    tables: list[str] = field(default_factory=list)
    windows: list[WindowColumn] = field(default_factory=list)
    filters: list[Condition] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    released: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, v: View) -> _State:
        return cls(v, base=v.base, tables=list(v.tables), windows=list(v.windows), filters=list(v.filters))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    def use(self, table: str) -> None:
        """Bring ``table`` in (as ``Draft.use_table``)."""
        if self.base is None:
            self.base = table
        elif table != self.base and table not in self.tables:
            self.tables.append(table)
        self.edits.append(Edit.use_table(table))

    def defined_names(self) -> set[str]:
        return ({x.name.lower() for x in self.view.derived} | {a.alias.lower() for a in self.view.aggregations}
                | {w.name.lower() for w in self.windows})  # fmt: skip

    def mark(self, start: int, end: int, why: str) -> None:
        """Claim the words lying in [start, end), explained by another claim or not."""
        self.claims.append(on_words(self.view, start, end, over=True, why=why))

    def add_window(self, window: WindowColumn, start: int, end: int, *more: Edit) -> None:
        """Claim the window's words with the window, ``more`` and the pending field edits."""
        self.claims.append(on_words(self.view, start, end, *self.edits, Edit.add("windows", window), *more,
                                    over=True, why=f"window {window.name}"))  # fmt: skip
        self.edits.clear()
        self.windows.append(window)

    def done(self) -> list[Claim]:
        if self.edits:
            self.claims.append(edit_only(*self.edits, why="window phrases"))
            self.edits.clear()
        return self.claims


_PART_BEFORE = re.compile(r"\b(?:within|per|for|in|across)\s+(?:each|every|a|the\s+same)\s+(?P<p>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)"
                          r"\s*,?\s*(?:we\s+)?$", re.I)  # fmt: skip
# "Rank current salaries from highest to lowest": what is ranked is the measure itself
_RANK_BARE = re.compile(
    r"\b(?P<verb>dense[\s_-]?rank|rank)\s+(?:the\s+|all\s+)?(?:current\s+|active\s+)?(?P<what>)"
    r"(?P<by>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)(?P<part>(?!x)x)?(?=\s*(?:\([^)]*\)\s*)?,?\s*(?:from\s+(?:highest|largest|"
    r"most|biggest|lowest|smallest|least)\s+to|(?:highest|largest|biggest|lowest|smallest)\s+first|in\s+(?:descending|"
    r"ascending)\s+order|descending|ascending))", re.I)  # fmt: skip
# the partition inside the ranked rows' words: "orders per customer", "products inside their category", "the
# employees of each department", "each department's employees" (the owner's possessive)
_WHAT_PART = re.compile(r"(?:^|\s)(?:per\s+(?:each\s+|every\s+)?|within\s+(?:each\s+|every\s+|the\s+|their\s+|its\s+|the\s+same\s+)?|"
                        r"(?:in|inside|among)\s+(?:each|every|their|its|the\s+same)\s+|across\s+(?:each\s+|every\s+|the\s+)?|"
                        r"(?:for|of)\s+(?:each|every|the\s+same)\s+)(?P<p>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s*$", re.I)  # fmt: skip
_WHAT_OWNER = re.compile(r"^\s*(?:(?:the\s+)?(?:each|every)\s+)?(?P<p>[A-Za-z_]\w*)'s?\s+(?P<rows>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s*$",
                         re.I)  # fmt: skip
_WHAT_FILLER = frozenset({"the", "all", "each", "every", "of", "a", "an", "rows", "records", "entries", "its", "their", "them",
                          "those", "these", "rest", "remaining", "ones", "groups"})
_TIES = re.compile(
    r"\b(?:(?:[A-Za-z_]\w*\s+){0,2}(?:with|having|that\s+have)\s+(?:the\s+)?same\s+[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?|ties|"
    r"tied\s+[A-Za-z_]\w*|equal\s+[A-Za-z_]\w*)\s+(?:should\s+)?(?:share|get|receive|take|have)\s+(?:a|the)\s+(?:same\s+)?"
    r"(?:rank|position|place)"
    r"|\b(?:and\s+)?(?:the\s+)?(?:following|next)\s+(?:rank|ranks|position|positions|number)\s+(?:is|are)\s+(?:then\s+)?"
    r"(?:skipped|left\s+out|omitted)"
    r"|\(?\s*\b(?:standard|plain|regular|ordinary|normal|sql)\s+rank(?:ing)?\b\s*\)?"
    r"|(?P<dense>\(?\s*\b(?:and\s+)?(?:with\s+)?no\s+(?:rank\s+)?gaps?(?:\s+(?:afterwards|after\s+ties))?\s*\)?"
    r"|\bdense\s+rank(?:ing)?\b)",
    re.I,
)


def _sentence_start(d: _State, pos: int) -> int:
    ends = [m.end() for m in re.finditer(r"[.;!?](?:\s|$)|\n", d.prompt[:pos])]
    return ends[-1] if ends else 0


def _explained(s: _State, t: Token) -> bool:
    """A claim explains ``t`` (shared or not), and this step did not release it; or this step claimed it."""
    return t.used and t.start not in s.released or any(a < t.end and t.start < b for c in s.claims for a, b in c.spans)


def _free_at(s: _State, pos: int) -> bool:
    """No claim explains the word at ``pos``."""
    return not any(_explained(s, t) for t in s.view.tokens.overlapping(pos, pos + 1) if t.start <= pos < t.end)


def _unused(s: _State, start: int, end: int) -> bool:
    """No claim explains a word lying in [start, end)."""
    return not any(_explained(s, t) for t in s.view.tokens.within(start, end))


def _in_play(s: _State) -> list[str]:
    return [t for t in [s.base, *s.tables] if t]


def _column_phrase(s: _State, phrase: str, tables: list[str] | None = None, min_score: float = 0.0) -> str | None:
    """``derived.column_phrase`` on the step's state: a table the column brings in is :meth:`_State.use`."""
    p = clean_phrase(phrase)
    if not p or p.lower() in _NO_COLUMN:
        return None
    written = written_column(s.catalog, p)
    if written:
        s.use(written[0])
        return written[1]
    if tables is not None:
        hits = [h for h in s.linker.columns(p, tables) if h.score >= min_score]
        if hits and _exact_elsewhere(s, p, hits[0]):
            return None
        return f"{hits[0].table}.{hits[0].column}" if hits else None
    if min_score:
        scoped = [h for h in s.linker.columns(p, _in_play(s)) if h.score >= min_score] if _in_play(s) else []
        if not scoped and not [h for h in s.linker.columns(p) if h.score >= min_score]:
            return None
    m = _resolve(s, p)
    if m is None and not min_score:
        return short_name(s, p)  # type: ignore[arg-type]
    return f"{m.table}.{m.column}" if m else None


def _exact_elsewhere(s: _State, phrase: str, hit: ColumnMatch) -> bool:
    """``phrase`` is a column's exact name in another table than the nearest match's ("ordered by
    transaction_date" over orders: that column, not order_date)."""
    return hit.column.lower() != phrase.lower() and any(s.catalog.table(t).has_column(phrase)
                                                        for t in s.catalog.table_names())  # fmt: skip


def _resolve(s: _State, phrase: str) -> ColumnMatch | None:
    """The best column for ``phrase``: among the tables in play first, then anywhere (bringing its table in)."""
    if _in_play(s):
        hits = s.linker.columns(phrase, _in_play(s))
        if hits and not _exact_elsewhere(s, phrase, hits[0]):
            return hits[0]
    hits = s.linker.columns(phrase)
    if hits:
        s.use(hits[0].table)
        return hits[0]
    return None


def _drop_unreferenced(s: _State, phrase: str, keep: str | None = None) -> None:
    """``derived.drop_unreferenced`` on the step's state: a table named only as a key ("per employee") is not
    joined; when it is the base, ``keep`` becomes the base."""
    hits = s.linker.tables(clean_phrase(phrase))
    if not hits:
        return
    table = hits[0].table
    if table == keep or table in s.required_tables:
        return
    read = tables_read([*s.filters, *s.derived, *s.aggregations, *s.having, *s.windows, *s.columns, *s.order_by,
                        *([s.dedupe] if s.dedupe else [])], s.group_by)  # fmt: skip
    if table.lower() in read:
        return
    if table in s.tables:
        s.tables.remove(table)
        s.edits.append(Edit.remove("tables", table))
    elif table == s.base and keep is not None:
        s.base = keep
        s.edits.append(Edit.set("base", keep))
        if keep in s.tables:
            s.tables.remove(keep)
            s.edits.append(Edit.remove("tables", keep))


def _sentence_end(d: _State, pos: int) -> int:
    m = re.compile(r"[.;!?](?:\s|$)|\n").search(d.prompt, pos)
    return m.start() if m else len(d.prompt)


def _ref(d: _State, phrase: str, key: bool = False, keep: str | None = None) -> str:
    words = phrase.split()
    for k in range(len(words), 0, -1):  # "customer by" → "customer"
        part = " ".join(words[:k])
        if key:
            fk = _entity_key(d, part, keep)
            if fk:
                _drop_unreferenced(d, part, keep)
                return fk
        ref = defined_name(d, part) or _column_phrase(d, part, _in_play(d) or None) or _column_phrase(d, part)  # type: ignore[arg-type]
        if ref is None and key:
            ref = _column_phrase(d, part + " id", _in_play(d) or None)
        if ref and key and "." in ref:  # "per department": the rows' own key column, not the named table's
            named = d.linker.tables(part)
            table, bare = split_column(d.catalog, ref)
            if named and getattr(named[0], "table", named[0]) == table:
                own = [t for t in _in_play(d) if t != table and d.catalog.table(t).has_column(bare)]
                if own:
                    ref = f"{own[0]}.{d.catalog.table(own[0]).column(bare).name}"
        if ref:
            if key:
                _drop_unreferenced(d, part, keep)
            return ref
    from datamorph.planner.recognizers.dates import TIME_WORDS, date_by_stem

    if not key and words and words[-1].lower() in TIME_WORDS:
        found = date_by_stem(d.view, phrase, _in_play(d))  # "by pickup time" → picked_up_at
        if found is not None:
            return found
    raise column_error(d, phrase)  # type: ignore[arg-type]


def _ref_or_none(d: _State, phrase: str) -> str | None:
    """A numeric or date column the phrase names outright (what a bare "rank X" ranks by), else None."""
    hits = [h for h in d.linker.columns(phrase, _in_play(d) or None) if h.score >= 0.85]
    if not hits or d.catalog.table(hits[0].table).column(hits[0].column).family in ("text", "boolean", "other"):
        return None
    return f"{hits[0].table}.{hits[0].column}"


def _entity_key(d: _State, phrase: str, keep: str | None) -> str | None:
    """"within each region": the ranked rows' foreign key to the named table (products.category_id)."""
    named = d.linker.tables(phrase)
    if not named or named[0].score < 0.85:
        return None
    entity = named[0].table
    rows = [keep] if keep else [t for t in _in_play(d) if t != entity]
    for t in rows:
        if not t or t == entity or not d.catalog.has_table(t):
            continue
        for fk in d.catalog.table(t).foreign_keys:
            if fk.ref_table.lower() == entity.lower() and len(fk.columns) == 1:
                return f"{d.catalog.table(t).name}.{fk.columns[0]}"
    return None


def _family(d: _State, ref: str) -> str:
    if "." not in ref:
        return "other"
    t, c = split_column(d.catalog, ref)
    return d.catalog.table(t).column(c).family


def _direction(d: _State, start: int, end: int, ref: str) -> tuple[str, int]:
    window = d.prompt[start:end]
    for rx, direction in ((_DESC, "desc"), (_ASC, "asc")):
        m = rx.search(window)
        if m:
            _drop_filters_within(d, start + m.start(), start + m.end())  # "highest = 1" is no filter "= 1"
            d.mark(start + m.start(), start + m.end(), "the direction")
            return direction, start + m.end()
    # ranking reads best-first: largest numbers on top, earliest dates on top
    return ("asc" if _family(d, ref) in ("date", "timestamp", "text") else "desc"), start


def _name(d: _State, end: int, default: str) -> tuple[str, int]:
    m = _NAME_AFTER.match(d.prompt[end:])
    if m:
        return (m.group(1) or m.group(2)), end + m.end()
    name, i = default, 2
    while name.lower() in d.defined_names():
        name, i = f"{default}_{i}", i + 1
    return name, end


def _one_per_row(d: _State, rows: str, owner: str) -> bool:
    """``owner``'s rows hang on ``rows`` directly: the same table, one references the other; not two tables that
    only share a third."""
    refs = _refs(d, rows, owner)
    return rows == owner or (owner.lower(), rows) in refs or (rows.lower(), owner) in refs


def _many_per_row(d: _State, rows: str, owner: str) -> bool:
    """``owner`` references ``rows`` and not the other way: each of ``rows`` may have many ``owner`` rows
    ("rank employees by salary" where salaries keep a history: each employee ranked once per salary row)."""
    refs = _refs(d, rows, owner)
    return rows != owner and (rows.lower(), owner) in refs and (owner.lower(), rows) not in refs


def _refs(d: _State, *tables: str) -> set[tuple[str, str]]:
    """(referenced table, referencing table) for each foreign key of ``tables``."""
    return {(fk.ref_table.lower(), t) for t in tables for fk in d.catalog.table(t).foreign_keys}


def _check_what(d: _State, m: re.Match[str], inner: re.Match[str] | None, owner: str | None) -> None:
    """The words between the verb and "by" name the ranked rows (and their partition): a word there that
    names no table and that no claim explains ("rank orders inside each channel" when "inside" was not read)
    is refused, never swallowed by the window's claim."""
    if m.re.groupindex.get("what") is None or not m.group("what"):
        return
    a, b = m.span("what")
    part = (a + inner.start("p"), a + inner.end("p")) if inner else (b, b)
    rows = a + inner.start("rows") if inner and "rows" in inner.re.groupindex else None
    words = [t for t in d.view.tokens.within(a, b) if not (
        t.kind == "punct" or t.low.rstrip("'s") in _WHAT_FILLER or part[0] <= t.start < part[1]
        or inner and t.start >= a + inner.start() and not (rows is not None and t.start >= rows))]  # fmt: skip
    heads = [(i, d.linker.tables(" ".join(t.text.removesuffix("'s") for t in words[i:]))) for i in range(len(words))]
    first, ranked = next(((i, h[0].table) for i, h in heads if h and h[0].score >= 0.85), (len(words), None))
    if ranked and owner and not _one_per_row(d, ranked, owner):  # "number each shop's purchases by starts_at"
        raise PlanError(f"'{d.prompt[m.start() : m.end()].strip()}' ranks {ranked} by a column of {owner}",
                        hint=f"rank them by a column of {ranked}")  # fmt: skip
    if ranked and owner and m.re in (_RANK, _RANK_PART_FIRST, _RANK_BARE) and _many_per_row(d, ranked, owner):
        raise PlanError(f"'{d.prompt[m.start() : m.end()].strip()}': each {ranked} row has many {owner} rows, so "
                        f"each would be ranked once per {owner} row",
                        hint=f"rank by one value per {ranked} row (its latest, its total ...), or rank the {owner} "
                             "rows themselves")  # fmt: skip
    for t in words[:first]:  # (the words from ``first`` on name the ranked rows: "order items")
        named = d.linker.tables(t.text.removesuffix("'s"))
        if t.used or named and named[0].score >= 0.85:
            continue
        raise PlanError(f"'{d.prompt[m.start() : m.end()].strip()}': could not tell what '{t.text}' says about "
                        "the ranked rows", hint="say e.g. 'rank the orders by amount within each channel'")  # fmt: skip


def _rank(d: _State, m: re.Match[str], measure: tuple[str, int] | None = None) -> None:
    """The rank window ``m`` reads; ``measure``: the aggregation it ranks by and where its words end (when the
    words after "by" are that measure's: "rank the stores by the total of their sales")."""
    verb = m.group("verb").lower()
    m_end = measure[1] if measure else m.end()
    sentence_end = _sentence_end(d, m_end)
    rest = d.prompt[m_end : sentence_end]
    if verb.startswith("number"):
        function = "row_number"
    elif verb.startswith("dense") or _DENSE.search(d.prompt):
        function = "dense_rank"
    else:
        function = "rank"
    for x in _FN_NAMED.finditer(rest):  # the function written as in SQL (upper-case or snake_case) decides
        if x.group("fn").isupper() or "_" in x.group("fn"):
            function = x.group("fn").lower()
            d.mark(m_end + x.start(), m_end + x.end(), "the window function named")
    for rx in (_DENSE, _SKIP, _ROWNUM):
        for x in rx.finditer(rest):
            if not (rx is _ROWNUM and function != "row_number"):
                d.mark(m_end + x.start(), m_end + x.end(), "how ties rank")
    for x in _TIES.finditer(d.prompt, m_end):  # ties described in a later sentence
        _drop_sign_filters(d, x.start(), x.end())  # "the following rank is skipped" is no status filter
        if not _free_at(d, x.end() - 1):
            continue
        if x.group("dense") and function == "rank" and not verb.startswith("number"):
            function = "dense_rank"
        d.mark(x.start(), x.end(), "how ties rank")
    order = measure[0] if measure else _ref(d, m.group("by"))
    partition = [_ref(d, m.group("part"), key=True, keep=_order_owner(d, order))] if m.group("part") else []
    inner = _WHAT_PART.search(m.group("what") or "") or _WHAT_OWNER.match(m.group("what") or "")
    if not partition and inner:  # "row number per customer by order date", "each department's employees"
        partition = [_ref(d, inner.group("p"), key=True, keep=_order_owner(d, order))]
    _check_what(d, m, inner if partition else None, _order_owner(d, order) if "." in order else None)
    row = re.compile(r"\brow\s+$", re.I).search(d.prompt, back(m.start()), m.start())
    if row and function == "row_number":
        d.mark(row.start(), m.start(), "row number")
    lead = _PART_BEFORE.search(d.prompt[_sentence_start(d, m.start()) : m.start()])
    if not partition and lead:  # "Within every region, rank the stores by floor area"
        partition = [_ref(d, lead.group("p"), key=True, keep=_order_owner(d, order))]
        lead_start = _sentence_start(d, m.start()) + lead.start()
        d.mark(lead_start, m.start(), "the partition, said first")
    direction, dir_end = _direction(d, m_end, sentence_end, order)
    if function == "row_number" and dir_end == m_end and verb.startswith("number"):
        direction = "asc"  # a sequence number counts up: "number the orders by date", "row number by id"
    if m.group("what") and not inner:
        _column_phrase(d, m.group("what"))  # "rank the products" names the table
    default = "row_number" if function == "row_number" else f"{stem(order)}_rank"
    name, end = _name(d, m_end, default)
    if end == m_end and dir_end > m_end and _NAME_AFTER.match(d.prompt[dir_end:]):
        name, after = _name(d, dir_end, default)  # "by unit price, most expensive first, as price_rank"
        d.mark(dir_end, after, "the name")
    window = WindowColumn(name=name, function=function, partition_by=partition,  # type: ignore[arg-type]
                          order_by=[OrderItem(column=order, direction=direction),  # type: ignore[arg-type]
                                    *_tie_break(d, m.start(), order)],
                          provenance=d.prompt[m.start() : end])  # fmt: skip
    d.add_window(window, m.start(), end)


_SEQ = re.compile(
    r"\bnumber(?:ing)?\s+(?:each|every|the)\s+(?P<part>[A-Za-z_]\w*)'s\s+(?P<what>[A-Za-z_]\w*(?:\s+(?!in\b|by\b|"
    r"from\b|chronologically\b)[A-Za-z_]\w*)?)"
    r"|\bnumber(?:ing)?\s+(?:the\s+)?(?P<what2>[A-Za-z_]\w*(?:\s+(?!of\b|for\b)[A-Za-z_]\w*)?)\s+(?:of|for)\s+"
    r"(?:each|every|the\s+same)\s+(?P<part2>[A-Za-z_]\w*)"
    # "each doctor's appointments numbered chronologically": the participle after the rows
    r"|\b(?:each|every)\s+(?P<part3>[A-Za-z_]\w*)'s\s+(?P<what3>[A-Za-z_]\w*(?:\s+(?!numbered\b)[A-Za-z_]\w*)?)\s+"
    r"numbered\b"
    # "give every order of a customer a sequence number", "assign row numbers to each user's sessions"
    r"|\b(?:give|assign)\s+(?:each|every)\s+(?P<what4>[A-Za-z_]\w*)\s+of\s+(?:a|an|each|every|its|their|the\s+same)\s+"
    r"(?P<part4>[A-Za-z_]\w*)\s+(?:a|an|its|their)\s+(?:sequence|row|serial)\s+number\b"
    r"|\b(?:give|assign)\s+(?:a\s+)?(?:sequence|row|serial)\s+numbers?\s+to\s+(?:each|every)\s+(?P<part5>[A-Za-z_]\w*)'s\s+"
    r"(?P<what5>[A-Za-z_]\w*(?:\s+(?!in\b|by\b|from\b|chronologically\b)[A-Za-z_]\w*)?)"
    # "orders with a row number per customer, newest first": the request's rows, numbered per owner
    r"|\b(?:a\s+|the\s+)?(?:row|sequence)\s+numbers?\s+(?:per|for\s+each|for\s+every|within\s+each|in\s+each)\s+"
    r"(?P<part6>[A-Za-z_]\w*)(?P<what6>)",
    re.I,
)


def _seq_slot(m: re.Match[str], slot: str) -> str:
    """The words of ``slot`` ("what" / "part") in whichever form of :data:`_SEQ` matched."""
    return next((m.group(f"{slot}{i}") for i in ("", "2", "3", "4", "5", "6") if m.group(f"{slot}{i}")), "")
# the table's one date, counted up ("in time order") or down ("newest first", "from latest to earliest")
_IN_TIME = re.compile(r"\s*,?\s*(?:in\s+(?:time|date|chronological)\s+order|chronologically|"
                      r"from\s+(?:the\s+)?(?:oldest|earliest|first)\s+to\s+(?:the\s+)?(?:newest|latest|last|most\s+recent)|"
                      r"(?P<desc>(?:the\s+)?(?:newest|latest|most\s+recent|last)\s+(?:one\s+)?first|"
                      r"from\s+(?:the\s+)?(?:newest|latest|most\s+recent|last)\s+to\s+(?:the\s+)?(?:oldest|earliest|first)|"
                      r"in\s+reverse\s+(?:time|date|chronological)\s+order|reverse[\s-]chronologically))\b", re.I)  # fmt: skip
# "number each user's sessions by started_at[, then session_id]": the order right after the rows
_BY_ORDER = re.compile(r"\s*,?\s*(?:by|on)\s+(?:the\s+|their\s+|its\s+)?(?P<o>[A-Za-z_][\w.]*)(?:\s*,?\s*(?:and\s+)?"
                       r"then\s+(?:by\s+)?(?:the\s+|their\s+|its\s+)?(?P<o2>[A-Za-z_][\w.]*))?(?P<o3>(?!x)x)?", re.I)  # fmt: skip
_DIR_AFTER = re.compile(r"\s*,?\s*(?:(?P<desc>(?:the\s+)?(?:newest|latest|most\s+recent|last|highest|largest)\s+first|"
                        r"descending|desc)|(?:the\s+)?(?:oldest|earliest|first|lowest|smallest)\s+first|ascending|asc)\b",
                        re.I)  # fmt: skip
_SEQ_ORDER = re.compile(r"\b(?:order(?:ed)?|sort(?:ed)?)\s+by\s+(?:the\s+)?(?P<o>[A-Za-z_][\w.]*)"
                        r"(?:\s*,\s*(?:and\s+)?(?:then\s+)?(?:by\s+)?|\s+(?:and\s+)?then\s+(?:by\s+)?)"
                        r"(?:the\s+)?(?P<o2>[A-Za-z_][\w.]*)|\b(?:order(?:ed)?|sort(?:ed)?)\s+by\s+(?:the\s+)?"
                        r"(?P<o3>[A-Za-z_][\w.]*)", re.I)  # fmt: skip
_FIRST_IS_ONE = re.compile(r"\s*,?\s*(?:where|with)\s+(?:1|one)\s+(?:is|being|for)\s+(?:the|their|its|his|her)\s+"
                           r"(?P<w>first|earliest|oldest|latest|newest|last|most\s+recent)\b(?:\s+[A-Za-z_]\w*)?",
                           re.I)  # fmt: skip
_AS_STORED = re.compile(r"\b(?:grouped|partitioned)\s+by\s+(?:its\s+|their\s+|the\s+)?(?P<c>[A-Za-z_]\w*)"
                        r"(?:\s+as\s+stored)?", re.I)  # fmt: skip


_PREV = re.compile(
    r"(?:\b(?:look\s+up|fetch|get|show|give|find|take)\s+)?\b(?:the\s+)?(?P<col>[A-Za-z_]\w*)\s+(?:of|on|from|in)\s+"
    r"(?:the\s+|each\s+)?(?:same\s+)?(?P<owner>[A-Za-z_]\w*)'s\s+(?P<dir>previous|prior|preceding|next|following)\s+"
    r"(?P<noun>[A-Za-z_]\w*)\b",
    re.I,
)
#: "the tenant's previous moved_in", "the previous rent of the same flat": a column of the owner's
#: previous row, said without the rows' noun
_PREV_COLUMN = re.compile(
    r"(?:\b(?:the|their|its)\s+(?:same\s+)?(?P<owner>[A-Za-z_]\w*)'s\s+(?P<dir>previous|prior|preceding|next|following)\s+"
    r"(?P<col>[A-Za-z_]\w*)|\b(?:the|their|its)\s+(?P<dir2>previous|prior|preceding|next|following)\s+(?P<col2>[A-Za-z_]\w*)"
    r"\s+(?:of|for)\s+the\s+same\s+(?P<owner2>[A-Za-z_]\w*))(?P<noun>)\b",
    re.I,
)
_HAS_PREVIOUS = re.compile(r"\b(?:only\s+)?(?:the\s+)?(?:records?|rows?|entries|ones)\s+(?:that|which)\s+(?:have|has)\s+"
                           r"(?:a|an)\s+(?P<dir>previous|prior|preceding|next|following)\s+(?:one|record|row|entry)\b",
                           re.I)  # fmt: skip


def _owner_key(d: _State, owner: str, table: str) -> str | None:
    """The column of ``table`` that holds the key of the table ``owner`` names (a foreign key, or a column
    with the name of that table's one-column primary key)."""
    fk = _entity_key(d, owner, table)
    if fk:
        return fk
    named = d.linker.tables(owner)
    if not named or named[0].table == table:
        return None
    pk = d.catalog.table(named[0].table).primary_key
    info = d.catalog.table(table)
    return f"{info.name}.{info.column(pk[0]).name}" if len(pk) == 1 and info.has_column(pk[0]) else None


def _order_of_previous(d: _State, end: int, stop: int, rows: str) -> tuple[re.Match[str] | None, tuple[int, int]] | None:
    """Where the order of a previous / next value is said: "ordered by X[, then Y]" in the sentence (or the
    next), "by X" or "(by X)" right after the phrase, or "in time order" (the match None: the rows' one date)."""
    paren = re.match(r"\s*\(", d.prompt[end:])
    by = _BY_ORDER.match(d.prompt, end + (paren.end() if paren else 0))
    if by is not None and d.free(by.start(), by.end()):
        return by, (by.start(), by.end())
    timed = _IN_TIME.match(d.prompt, end)
    if timed is not None and not timed.group("desc") and d.free(timed.start(), timed.end()):
        from datamorph.planner.recognizers.dates import main_date_column

        if main_date_column(d.catalog.table(rows), timed.group(0)) is not None:
            return None, (timed.start(), timed.end())
    later = next((x for x in _SEQ_ORDER.finditer(d.prompt, end) if d.free(x.start(), x.end())), None)
    if later is None or later.start() >= stop + 2:
        return None
    return later, (later.start(), later.end())


def _previous(d: _State, m: re.Match[str] | RenamedMatch) -> None:
    col_words = m.group("col")
    if col_words.lower() in _NO_COLUMN:
        return
    hits = [h for h in d.linker.columns(col_words, _in_play(d) or None) if h.score >= 0.85]
    noun = m.group("noun").lower()
    if noun and noun not in ("record", "row", "entry", "one", "line"):  # "the meter's previous reading": the rows' table
        named = d.linker.tables(noun)
        hits = [h for h in hits if named and named[0].score >= 0.85 and h.table == named[0].table]
    keyed = [h for h in hits if _owner_key(d, m.group("owner"), h.table)]  # the rows that hold the owner's key
    if not keyed:
        return
    rows = keyed[0].table
    hits = keyed
    column = f"{rows}.{hits[0].column}"
    stop = _sentence_end(d, m.end())
    said = _order_of_previous(d, m.end(), stop, rows)
    if said is None:
        raise PlanError(f"'{m.group(0).strip()}': previous in which order?",
                        hint="say e.g. 'ordered by started_on, then id'")  # fmt: skip
    d.use(rows)
    partition = [_owner_key(d, m.group("owner"), rows) or ""]
    _drop_unreferenced(d, m.group("owner"), keep=rows)
    later, order_words = said
    if later is None:  # "in time order": the table's one date
        from datamorph.planner.recognizers.dates import main_date_column

        col = main_date_column(d.catalog.table(rows), d.prompt[order_words[0] : order_words[1]])
        order = [OrderItem(column=f"{d.catalog.table(rows).name}.{col or ''}", direction="asc")]
    else:
        order = [OrderItem(column=_ref(d, later.group(g)), direction="asc") for g in ("o", "o2", "o3") if later.group(g)]
    d.mark(*order_words, "the order")
    _drop_unreferenced(d, "order")
    for x in _AS_STORED.finditer(d.prompt, m.end()):
        if d.free(x.start(), x.end()) and _ref(d, x.group("c")) == partition[0]:
            d.mark(x.start(), x.end(), "the partition, restated")
    function = "lag" if m.group("dir").lower() in ("previous", "prior", "preceding") else "lead"
    name, end = _name(d, m.end(), f"{'previous' if function == 'lag' else 'next'}_{hits[0].column}")
    window = WindowColumn(name=name, function=function, column=column, partition_by=partition, order_by=order,  # type: ignore[arg-type]
                          provenance=d.prompt[m.start() : end])  # fmt: skip
    more: list[Edit] = []
    has = _HAS_PREVIOUS.search(d.prompt, end)
    info = d.catalog.table(rows)
    never_null = not info.column(hits[0].column).nullable or list(info.primary_key) == [hits[0].column]
    if has and d.free(has.start(), has.end()) and never_null and (
            has.group("dir").lower() in ("next", "following")) == (function == "lead"):
        # "only rows that have a previous one": the value looked up is there (it is never NULL in a row that
        # exists; for a column that may be NULL the two differ, and the words stay unread)
        more.append(Edit.add("qualify", Filter(column=name, operator="is_not_null", provenance=has.group(0))))
        d.mark(has.start(), has.end(), "rows that have one")
    d.add_window(window, m.start(), end, *more)


def _sequence(d: _State, m: re.Match[str]) -> None:
    what = _seq_slot(m, "what")
    if m.group("part6") is not None:  # the rows are the request's
        if d.base is None:
            return
        rows = d.base
    else:
        named = d.linker.tables(what)
        if not named or named[0].score < 0.85:
            return
        rows = named[0].table
    end = m.end()
    order: list[OrderItem] = []
    timed = _IN_TIME.match(d.prompt, end)
    by = None if timed else _BY_ORDER.match(d.prompt, end)
    if timed:
        end = timed.end()
    stop = _sentence_end(d, end)
    later = next((x for x in _SEQ_ORDER.finditer(d.prompt, end) if d.free(x.start(), x.end())), None)
    if by is not None:
        later = by
    if not timed and (later is None or later.start() >= stop):
        return  # numbered in which order?
    saved = (d.base, list(d.tables), len(d.edits))
    d.use(rows)
    partition = [_ref(d, _seq_slot(m, "part"), key=True, keep=rows)]
    if partition[0].rsplit(".", 1)[0].lower() != rows.lower():
        d.base, d.tables = saved[0], saved[1]  # the numbered rows hold no key of the owner: not read here
        del d.edits[saved[2] :]
        return
    if later is not None and (later.start() < stop or timed):
        for g in ("o", "o2", "o3"):
            if later.group(g):
                order.append(OrderItem(column=_ref(d, later.group(g)), direction="asc"))
        d.mark(later.start(), later.end(), "the order")
        _drop_unreferenced(d, "order")  # "order by" names no orders table
    elif timed:
        from datamorph.planner.recognizers.dates import main_date_column

        col = main_date_column(d.catalog.table(rows), timed.group(0))
        if col is None:
            return
        order = [OrderItem(column=f"{d.catalog.table(rows).name}.{col}", direction="desc" if timed.group("desc") else "asc")]
    if later is by and by is not None:
        end = by.end()
        said = _DIR_AFTER.match(d.prompt, end)
        if said:
            if said.group("desc"):
                order = [order[0].model_copy(update={"direction": "desc"}), *order[1:]]
            d.mark(said.start(), said.end(), "the direction")
            end = said.end()
    first = _FIRST_IS_ONE.search(d.prompt, end)
    if first and d.free(first.start(), first.end()):
        if first.group("w").lower() not in ("first", "earliest", "oldest"):
            order = [o.model_copy(update={"direction": "desc"}) for o in order]
        d.mark(first.start(), first.end(), "which row is number 1")
    for x in _AS_STORED.finditer(d.prompt, end):
        if d.free(x.start(), x.end()) and _ref(d, x.group("c")) == partition[0]:
            d.mark(x.start(), x.end(), "the partition, restated")
    name, end = _name(d, end, "row_number")
    window = WindowColumn(name=name, function="row_number", partition_by=partition, order_by=order,
                          provenance=d.prompt[m.start() : end])  # fmt: skip
    d.add_window(window, m.start(), end)


def _running(d: _State, m: re.Match[str]) -> None:
    sentence_end = _sentence_end(d, m.end())
    rest = d.prompt[m.end() : sentence_end]
    fn_word = (m.group("fn") or "total").lower()
    function = {"count": "count", "number": "count", "average": "avg", "avg": "avg"}.get(fn_word, "sum")
    what = m.group("what")
    if _over_series(d, m, function, what):
        return
    column: str | None = None
    expression: str | None = None
    named = d.linker.tables(what) if what else []
    cols = d.linker.columns(what) if what else []
    rows = bool(named) and named[0].score >= 0.85 and not (cols and cols[0].score >= named[0].score)
    if what and function == "count" and rows:
        d.use(named[0].table)  # "running count of orders": count rows
    elif what and not rows:
        column = _ref(d, what)
    elif function != "count" and (sig := _SIGNED.search(rest)) and sig.group("col"):
        if rows:
            d.use(named[0].table)  # "running balance of transactions: credits add the amount, ..."
        column = _signed_ref(d, sig)  # "running stock ...: receipts increase the quantity, shipments reduce it"
    elif function != "count":
        # "running total of payments": of which of their columns (never the table's key)
        raise PlanError(f"'{m.group(0).strip()}' does not say of which column", hint="e.g. 'running total of amount'")
    signed = _SIGNED.search(rest)
    if signed and column:
        expression = _signed(d, column, signed.group("plus"), signed.group("minus"))
        if expression:
            column = None
            a, b = m.end() + signed.start(), m.end() + signed.end()
            _drop_sign_filters(d, a, b)
            d.mark(a, b, "signs")
    partition: list[str] = []
    order: list[OrderItem] = []
    used_until = m.end()
    owner = _owner(column, expression)
    _row_scope(d, m.end(), sentence_end, owner or d.base)
    for p in _PARTITION.finditer(rest):
        if not _free_at(d, m.end() + p.start()):
            continue
        partition.append(_ref(d, p.group("p"), key=True, keep=owner_table(d.catalog, column or "") or None))
        d.mark(m.end() + p.start(), m.end() + p.end(), "the partition")
        used_until = max(used_until, m.end() + p.end())
    taken = [(p.start(), p.end()) for p in _PARTITION.finditer(rest)]
    for o in _ORDER.finditer(rest):
        if any(a <= o.start() < b for a, b in taken) or not _unused(d, m.end() + o.start(), m.end() + o.end()):
            continue
        for g in ("o", "o2"):
            if o.group(g):
                ref = _ref(d, o.group(g))
                desc = re.match(r"\s+(?:desc|descending)\b", rest[o.end(g) :], re.I)
                order.append(OrderItem(column=ref, direction="desc" if desc else "asc"))
        d.mark(m.end() + o.start(), m.end() + o.end(), "the order")
        used_until = max(used_until, m.end() + o.end())
        break
    if not order:
        order, used_until = _order_in_words(d, m.end(), sentence_end, owner or d.base, used_until)
    partition = _said_later(d, sentence_end, owner, partition, order)
    for x in _FRAME_NOTE.finditer(d.prompt, m.start()):
        if _free_at(d, x.start()) and _free_at(d, x.end() - 1):
            d.mark(x.start() + 1, x.end() - 1, "the frame")  # the output list reads the parentheses around it
    if not order:
        raise PlanError(f"'{m.group(0).strip()}' needs an order", hint="say e.g. 'ordered by order_date'")
    base = {"sum": "running_total", "count": "running_count", "avg": "running_average"}[function]
    if fn_word == "balance":
        base = "running_balance"
    name, end = _name(d, m.end(), base)
    window = WindowColumn(name=name, function=function, column=column, expression=expression,  # type: ignore[arg-type]
                          partition_by=partition, order_by=order, frame="running",
                          provenance=d.prompt[m.start() : max(end, used_until)].strip())  # fmt: skip
    d.add_window(window, m.start(), end)


# "in order_date order", "in time order", "chronologically", "oldest first": the order of a running value in words
_IN_ORDER = re.compile(r"\b(?:in\s+(?:the\s+)?(?P<o>(?!time\b|date\b|chronological\b|reverse\b)[A-Za-z_]\w*)\s+order|"
                       r"(?P<t>in\s+(?:time|date|chronological)\s+order|chronologically|(?:the\s+)?(?:oldest|earliest)\s+first|"
                       r"from\s+(?:the\s+)?(?:oldest|earliest|first)\s+to\s+(?:the\s+)?(?:newest|latest|last)))\b",
                       re.I)  # fmt: skip


def _order_in_words(d: _State, start: int, stop: int, table: str | None, used: int) -> tuple[list[OrderItem], int]:
    """The order a running value is said in without "ordered by": a column "in X order", or the rows' table's
    one date ("in time order"; a table with several dates is asked about)."""
    from datamorph.planner.recognizers.dates import main_date_column

    for x in _IN_ORDER.finditer(d.prompt, start, stop):
        if not _unused(d, x.start(), x.start() + 2):
            continue
        if x.group("o"):
            ref = _ref(d, x.group("o"))
        else:
            col = main_date_column(d.catalog.table(table), x.group(0)) if table else None
            if col is None:
                continue
            ref = f"{d.catalog.table(table).name}.{col}"
        d.mark(x.start(), x.end(), "the order")
        return [OrderItem(column=ref, direction="asc")], max(used, x.end())
    return [], used


def _over_series(d: _State, m: re.Match[str], function: str, what: str | None) -> bool:
    """"number of users per month of created_at with a cumulative count", "monthly order counts and their running
    total": a running sum of the request's one measure over its period series (ordered by the period, the other
    group keys partitioning it). False when the request has no such series (read as a running value of rows)."""
    from datamorph.planner.recognizers.derivekit import Work
    from datamorph.planner.recognizers.series import _series_key

    measures = d.view.aggregations
    said = {(a.provenance or "").strip().lower() for a in measures}
    if what and what.lower() not in ("it", "them", "its", "their", "that", "this") and not any(
            p == what.lower() or p.endswith(f" {what.lower()}") for p in said):  # fmt: skip
        return False  # (the measure named by its own words: "cumulative revenue by month", the sum of revenue)
    key = _series_key(Work(d.view)) if measures else None
    if key is None or len(measures) != 1 or function == "avg":
        return False
    if function == "count" and measures[0].function not in ("count", "count_distinct"):
        return False  # "a cumulative count" of a summed measure: which count?
    order, _unit, partition = key
    name, end = _name(d, m.end(), f"running_{measures[0].alias}")
    window = WindowColumn(name=name, function="sum", column=measures[0].alias, partition_by=partition,
                          order_by=[OrderItem(column=order, direction="asc")], frame="running",
                          provenance=d.prompt[m.start() : end].strip())  # fmt: skip
    d.add_window(window, m.start(), end)
    return True


def _said_later(d: _State, sentence_end: int, owner: str | None, partition: list[str],
                order: list[OrderItem]) -> list[str]:  # fmt: skip
    """The partition and order given in the sentences after the window's ("Within an account, order by date
    and then id."): the partition (``partition`` if one was given already), the order added to ``order``."""
    for sentence in _later_sentences(d, sentence_end):
        found = False
        lead = _LATER_PARTITION.match(d.prompt, sentence)
        if lead:
            ref = _ref(d, lead.group("p"), key=True, keep=owner)
            if partition and ref not in partition:
                break  # a different grouping: not this window's
            partition = partition or [ref]
            d.mark(lead.start(), lead.end(), "the partition, said later")
            found = True
        later = _LATER_ORDER.search(d.prompt, lead.end() if lead else sentence, _sentence_end(d, sentence))
        if later and not order:
            for g in ("o", "o2"):
                if later.group(g):
                    order.append(OrderItem(column=_ref(d, later.group(g)), direction="asc"))
            d.mark(later.start(), later.end(), "the order, said later")
            _drop_unreferenced(d, later.group("verb"))  # "order by" names no orders table
            found = True
        if not found:
            break
    return partition


def _owner(column: str | None, expression: str | None) -> str | None:
    """The table of the first column the summed column or expression reads (from its references)."""
    read = column_refs([DerivedColumn(name="x", expression=expression)]) if expression else []
    if column:
        read = column_refs([OrderItem(column=column)])
    return next((t for t, _ in read if t), None)


_SCOPE = re.compile(r"\b(?:over|across|using|on)\s+(?:the\s+)?(?:only\s+)?(?P<v>[A-Za-z_]\w*)\s+(?P<t>[A-Za-z_]\w*)"
                    r"(?:\s+only)?\b", re.I)  # fmt: skip
_LATER_PARTITION = re.compile(r"\s*(?:within|per|for\s+each|in\s+each|for\s+every)\s+(?:an?\s+|each\s+|every\s+|the\s+)?"
                              r"(?P<p>[A-Za-z_]\w*)\s*,?", re.I)  # fmt: skip
_LATER_ORDER = re.compile(r"\b(?P<verb>order|sort)(?:ed)?\s+(?:it\s+|them\s+|the\s+rows\s+|rows\s+)?by\s+(?:the\s+)?"
                          r"(?P<o>[A-Za-z_][\w.]*)(?:\s*,?\s*(?:and\s+)?(?:then\s+)?(?:by\s+)?(?:the\s+)?(?P<o2>[A-Za-z_][\w.]*))?",
                          re.I)  # fmt: skip
_FRAME_NOTE = re.compile(
    r"\(\s*(?:i\.?e\.?,?\s*)?(?:the\s+)?(?:running\s+)?(?:balance|total|sum|count|value|amount)\s+(?:right\s+|just\s+|"
    r"immediately\s+)?(?:after|including|up\s+to(?:\s+and\s+including)?|as\s+of|at)\s+(?:that|this|the|each)\s+"
    r"[A-Za-z_]\w*(?:\s+is\s+applied)?\s*\)",
    re.I,
)


def _signed_ref(d: _State, sig: re.Match[str]) -> str:
    """The summed column of a signed clause: in the table whose rows hold the signs ('credit' / 'debit')."""
    signs = {v.table for v in d.linker.values(sig.group("plus"), _in_play(d) or None)}
    for hit in d.linker.columns(clean_phrase(sig.group("col")), _in_play(d) or None):
        if hit.table in signs:
            return f"{hit.table}.{hit.column}"
    return _ref(d, sig.group("col"))


def _later_sentences(d: _State, end: int) -> list[int]:
    """Where each sentence after ``end`` starts."""
    return [m.end() for m in re.finditer(r"[.;!?](?:\s+|$)", d.prompt) if m.start() >= end and m.end() < len(d.prompt)]


def _row_scope(s: _State, start: int, end: int, table: str | None) -> None:
    """"running balance ... over posted transactions only": the rows summed are those with that value."""
    if not table:
        return
    for x in _SCOPE.finditer(s.prompt, start, end):
        named = s.linker.tables(x.group("t"))
        if not named or named[0].table != table or not _free_at(s, x.start()):
            continue
        hits = [h for h in s.linker.values(x.group("v"), [table]) if h.score >= 0.85]
        if not hits:
            continue
        ref = f"{hits[0].table}.{hits[0].column}"
        if not any(isinstance(f, Filter) and f.column == ref and f.value == hits[0].value for f in s.filters):
            scope = Filter(column=ref, operator="=", value=hits[0].value, provenance=x.group(0))
            s.filters.append(scope)
            s.edits.append(Edit.add("filters", scope))
        s.mark(x.start(), x.end(), "the rows summed")


def _drop_sign_filters(s: _State, start: int, end: int) -> None:
    """"credits add and debits subtract" names values, but as signs, not as row filters: filters (which
    run first) may have read "credits" / "debits" as ``direction = 'credit'``; those readings go, and
    their words are released for the recognizer that reads them as something else."""
    inside = [t for t in s.tokens.within(start, end)]
    words = {t.low for t in inside}
    keep = [f for f in s.filters if not (isinstance(f, Filter) and f.operator == "="
                                         and (f.provenance or "").lower() in words)]  # fmt: skip
    if len(keep) != len(s.filters):
        s.filters = keep
        s.edits.append(Edit.set("filters", keep))
        kept = {w for f in keep for w in (f.provenance or "").lower().split()}
        freed = [t for t in inside if t.low in words - kept]
        s.released.update(t.start for t in freed)
        if freed:
            s.claims.append(edit_only(Edit.release(*((t.start, t.end) for t in freed)), why="signs, not filters"))


def _drop_filters_within(s: _State, start: int, end: int) -> None:
    """Filters read from words inside [start, end) ("= 1" of "highest = 1"), which say a rank's direction:
    they go, and their words are released."""
    text = s.prompt[start:end].lower()
    keep = [f for f in s.filters if not (isinstance(f, Filter) and (f.provenance or "").strip()
                                         and (f.provenance or "").strip().lower() in text)]  # fmt: skip
    if len(keep) == len(s.filters):
        return
    s.filters = keep
    s.edits.append(Edit.set("filters", keep))
    freed = [t for t in s.tokens.within(start, end) if t.used]
    s.released.update(t.start for t in freed)
    if freed:
        s.claims.append(edit_only(Edit.release(*((t.start, t.end) for t in freed)), why="a direction, not a filter"))


def _signed(d: _State, column: str, plus: str, minus: str) -> str | None:
    """``credits add, debits subtract`` → CASE on the column holding 'credit' / 'debit' (from the data)."""
    table = owner_table(d.catalog, column)
    pos = d.linker.values(plus, [table])
    neg = d.linker.values(minus, [table])
    for p in pos:
        for n in neg:
            if p.column == n.column and p.value != n.value:
                ref = f"{p.table}.{p.column}"
                val = str(p.value).replace("'", "''")
                return f"CASE WHEN {ref} = '{val}' THEN {column} ELSE -{column} END"
    return None


def _top_n(d: _State, m: re.Match[str]) -> None:
    raw = m.group("n").lower()
    n = _NUM_WORDS.get(raw) or int(parse_number(raw))
    order = _ref(d, m.group("by"))
    partition = [_ref(d, m.group("part"), key=True, keep=owner_table(d.catalog, order))]
    word = re.sub(r"\s+", " ", (m.group("adj") or m.group("dir")).lower())
    if word in _SUP_DATES | {"most recent"} and _family(d, order) not in ("date", "timestamp"):
        raise PlanError(f"'{m.group(0).strip()}': '{word}' does not order by {order}", hint="say 'the top N ... by <column>'")
    if word in ("top", "first", "highest", "best", "largest", "most", "biggest", "greatest", "newest", "latest",
                "most recent", "longest"):  # fmt: skip
        direction = "desc" if _family(d, order) not in ("date", "timestamp") or word != "first" else "asc"
    else:
        direction = "asc" if word != "last" else "desc"
    if m.group("what"):
        _column_phrase(d, m.group("what"))
    _keep_top(d, m, n, OrderItem(column=order, direction=direction), partition)  # type: ignore[arg-type]


def _top_sup(d: _State, m: re.Match[str]) -> None:
    """"the 3 newest products in each category": the rows ``what`` names, ordered by the column the superlative
    means (:func:`_implied_order`), the first N (one when no number is said) kept per group. "the newest product
    in each category" (no number, a date) is left to the de-duplication (one row per key)."""
    from datamorph.planner.recognizers.phrases import table_of

    rows = table_of(d, m.group("what"))  # type: ignore[arg-type]
    sup = re.sub(r"\s+", " ", m.group("dir").lower())
    if rows is None or not m.group("n") and m.re is not _TOP_SUP_LEAD and sup.split()[-1] in _SUP_DATES:
        return
    n = _NUM_WORDS.get(m.group("n").lower()) or int(parse_number(m.group("n"))) if m.group("n") else 1
    item = _implied_order(d, rows, sup, d.prompt[m.start() : m.end()].strip(), m.group("what"), m.group("part"))
    if rows not in _in_play(d):
        d.use(rows)
    _keep_top(d, m, n, item, [_ref(d, m.group("part"), key=True, keep=rows)])


def _implied_order(d: _State, table: str, sup: str, words: str, what: str, part: str) -> OrderItem:
    """The column of ``table`` a superlative means and its direction: a date word → the table's main date (the
    verb's date: "most recently hired" → hire_date), a price word → its one price (else its one amount, else
    its one fee or cost), "largest"/"smallest" → its one amount, "longest"/"shortest" → its one length. Two
    candidates or none: refused (say the column)."""
    from datamorph.planner.recognizers.dates import main_date_column, verb_column

    info, parts = d.catalog.table(table), sup.split()
    direction = "asc" if parts[0] in _SUP_ASC else "desc"
    hint = f"name the column: 'the {'bottom' if direction == 'asc' else 'top'} N {what} by <column> in each {part}'"
    if "recently" in parts:
        col = verb_column(d.view, parts[-1], [table])
        if col is None:
            raise PlanError(f"'{words}': which date of {table} is '{parts[-1]}'?", hint=hint)
        return OrderItem(column=col, direction=direction)  # type: ignore[arg-type]
    if parts[-1] in _SUP_DATES:
        try:
            date = main_date_column(info, words)
        except PlanError:  # two dates, none the table's own: which one?
            dates = ", ".join(c.name for c in info.columns if c.family in TEMPORAL_FAMILIES)
            raise PlanError(f"'{words}': which date of {table}? ({dates})", hint=hint) from None
        if date is None:
            raise PlanError(f"'{words}': {table} has no date", hint=hint)
        return OrderItem(column=f"{info.name}.{date}", direction=direction)  # type: ignore[arg-type]
    if parts[-1] in ("expensive", "cheapest", "priciest", "costliest"):
        tiers = [_PRICE_PARTS, _AMOUNT_PARTS, _FEE_PARTS]
    elif parts[-1] in ("longest", "shortest"):
        tiers = [_LENGTH_PARTS]
    else:
        tiers = [_AMOUNT_PARTS]
    for names in tiers:
        cols = [c.name for c in info.columns if c.family in NUMERIC_FAMILIES and c.name not in info.primary_key
                and names & set(c.name.lower().split("_"))]  # fmt: skip
        if len(cols) > 1:
            raise PlanError(f"'{words}': '{sup}' by which column of {table}? ({', '.join(cols)})", hint=hint)
        if cols:
            return OrderItem(column=f"{info.name}.{cols[0]}", direction=direction)  # type: ignore[arg-type]
    raise PlanError(f"'{words}': which column of {table} does '{sup}' order by?", hint=hint)


def _keep_top(d: _State, m: re.Match[str], n: int, item: OrderItem, partition: list[str]) -> None:
    """The window numbering the rows per ``partition`` by ``item`` (ties broken as said, kept with "including
    ties"), the first ``n`` kept; its claim spans ``m`` and the name after it."""
    order = item.column
    ties = re.search(r"\b(?:including|with|keeping)\s+ties\b", d.prompt[m.end() : _sentence_end(d, m.end())], re.I)
    if ties:
        d.mark(m.end() + ties.start(), m.end() + ties.end(), "ties kept")
    name, end = _name(d, m.end(), f"{stem(order)}_rank" if "." in order else f"{snake(order)}_rank")
    window = WindowColumn(name=name, function="rank" if ties else "row_number", partition_by=partition,
                          order_by=[item, *_tie_break(d, m.start(), order)],  # fmt: skip
                          provenance=d.prompt[m.start() : end])  # fmt: skip
    keep = Filter(column=name, operator="<=", value=n, provenance=d.prompt[m.start() : end])
    d.add_window(window, m.start(), end, Edit.add("qualify", keep))
