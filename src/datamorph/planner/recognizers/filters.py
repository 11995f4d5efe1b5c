"""Row filters: comparisons, text matches, NULL tests, values named in the request, negation.

Runs after ``aggregates`` (which takes the conditions on measures) and
``dates``. One step per phase (in ``rules.RULES``, in this order: a later phase leaves alone the
words an earlier one took); illustrations ("(e.g. 2024-03-01)") are set aside first:

1. comparisons: "amount over 2,500", "at least 3", ">= 100", "between 10 and 20", "1,000 or more";
   said with a verb: "fee tops 30", "surpasses", "climbs above", "drops below", "went past", "falls short of",
   "at or above", "does not exceed", "is not below" (a verb of level only before a word of position:
   "dropped more than 5" is a change and is not read); without a column ("orders over 1,000") the table's
   main measure;
2. text: "email contains 'gmail'", "names starting with A", "ending with '.org'";
3. NULL tests: "without an email", "no termination date", "phone is missing", "with a discount code";
4. values the warehouse holds: "cancelled orders", "web or store channel", "status is shipped",
   negated by "not", "excluding", "other than"...; values of one column are ORed (IN);
5. states: boolean columns ("active products"), event dates used as verbs ("terminated",
   "not terminated") and "current"/"still employed"/"former" on a table with an end date
   (:mod:`filter_states`, which also keeps a restated condition once and reads "only");
shared helpers are in :mod:`filter_base`.

Words held back for the output list (``reserved``: a measure's name) are never a row condition.
"""

from __future__ import annotations

import bisect
import re
from typing import Any, cast

from lemminflect import getInflection, getLemma

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES, TableInfo
from datamorph.errors import PlanError
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import AGGREGATE_WORDS, STOPWORDS
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import beside_coined, in_play, named_table
from datamorph.planner.recognizers.filter_base import NEGATION as _NEGATION
from datamorph.planner.recognizers.filter_base import PREFIXED, Play, negatable
from datamorph.planner.recognizers.filter_base import Mention as _Mention
from datamorph.planner.recognizers.filter_base import info as _info
from datamorph.planner.recognizers.filter_base import mention_spans as _mention_spans
from datamorph.planner.recognizers.noops import example_spans
from datamorph.planner.refs import split_column
from datamorph.planner.text import Token
from datamorph.spec import Condition, Filter, Not, Operator

#: A verb of level before a word of position ("climbs above 120", "drops below 5", "went past 250", "stays under
#: 80"): the position alone says the comparison. Never before "more than"/"less than" ("dropped more than 5" is
#: a change, not a level).
_MOTION = (r"(?:climb(?:s|ed|ing)?|ris(?:e|es|ing|en)|rose|go|goes|went|gone|going|gets?|got|getting|jump(?:s|ed|ing)?|"
           r"stay(?:s|ed|ing)?|remain(?:s|ed|ing)?|fall(?:s|ing|en)?|fell|drop(?:s|ped|ping)?|dip(?:s|ped|ping)?|"
           r"sink(?:s|ing)?|sank|sunk|land(?:s|ed|ing)?|(?:come|comes|came|coming)\s+in)")
_GT = (r"more\s+than|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|over|above|exceeding|exceeds?|exceeded|"
       r"in\s+excess\s+of|upwards\s+of|surpass(?:es|ed|ing)?|outstrip(?:s|ped|ping)?|tops|topped|topping|beyond|"
       rf"{_MOTION}\s+(?:above|over|beyond|past)|>")
_GE = (r"greater\s+than\s+or\s+equal\s+to|at\s+least|no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than|"
       r"no\s+lower\s+than|not\s+lower\s+than|no\s+smaller\s+than|not\s+below|not\s+under|"
       r"reach(?:es|ed|ing)(?:\s+at\s+least)?|"
       rf"(?:{_MOTION}\s+)?at\s+or\s+(?:above|over|higher\s+than|more\s+than|greater\s+than)|(?:a\s+)?minimum\s+of|>=")
_LE = (r"less\s+than\s+or\s+equal\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|no\s+greater\s+than|not\s+over|"
       r"no\s+higher\s+than|not\s+higher\s+than|no\s+bigger\s+than|no\s+larger\s+than|not\s+above|not\s+exceeding|"
       r"(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't|never)\s+exceeds?|"
       rf"up\s+to|(?:{_MOTION}\s+)?at\s+or\s+(?:below|under|lower\s+than|less\s+than)|(?:a\s+)?maximum\s+of|<=")
_LT = (r"less\s+than|fewer\s+than|smaller\s+than|lower\s+than|under|below|beneath|"
       r"(?:falls?|fell|falling|fallen|comes?\s+up|came\s+up)\s+short\s+of|"
       rf"{_MOTION}\s+(?:below|under|beneath)|<")
_NE = r"not\s+equal(?:\s+to)?|does\s+not\s+equal|doesn't\s+equal|different\s+from|other\s+than|!=|<>"
_EQ = r"equal\s+to|equals?|exactly|==|="
#: a negation before a comparison turns it around ("is not greater than" is at most, "isn't below" at least)
_NOT = r"(?:not|isn't|aren't|wasn't|weren't|(?:does|do|did)\s+not|doesn't|don't|didn't|never)\s+"
_CMP = re.compile(
    rf"(?<![\w<>=!])(?:(?:is|are|was|were)\s+)?"
    r"(?:strictly\s+(?=(?:more|greater|bigger|larger|higher|over|above|less|fewer|smaller|lower|under|below)\b))?"
    rf"(?:(?P<ne>{_NE})|(?P<ge>{_GE})|(?P<le>{_LE})|{_NOT}(?P<ngt>{_GT})|{_NOT}(?P<nlt>{_LT})|(?P<gt>{_GT})|(?P<lt>{_LT})"
    rf"|(?P<eq>{_EQ})|(?P<between>between)|(?P<nbetween>not\s+between)|(?P<is>is|are|was|were))(?![\w<>=])\s*",
    re.IGNORECASE,
)
_SUFFIX_CMP = re.compile(
    r"^\s*(?:(?P<ge>\+|or\s+(?:more|above|higher|greater|over|bigger)|and\s+(?:above|up|over|higher))"
    r"|(?P<le>or\s+(?:less|fewer|below|lower|under|smaller)|and\s+(?:below|under|lower)))\b",
    re.IGNORECASE,
)
_TEXT_OP = re.compile(
    r"\b(?:(?P<neg>(?:does\s+not|doesn't|doesnt|do\s+not|don't|dont|not)\s+)?(?P<op>contains?|containing|includes?|including|"
    r"mentions?|mentioning|(?:starts?|starting|begins?|beginning)\s+with|(?:ends?|ending)\s+(?:with|in)|"
    r"(?:is\s+)?(?:not\s+)?like|matching|matches))\s+",
    re.IGNORECASE,
)
_NULL_BEFORE = re.compile(
    r"\b(?P<cue>(?:(?:with|has|have|having)\s+(?:no|an?\s+(?:missing|empty|blank|null|unknown))|missing|without|lacking|"
    r"no|empty|blank|null|unknown|(?P<pos>with|has|have|having|had)\s+(?:an?|any|some)))"
    r"\s+(?:(?:an?|any|the|their|its)\s+)?$",
    re.IGNORECASE,
)
_NULL_AFTER = re.compile(
    r"^\s*(?:is|are|was|were)?\s*(?:(?P<null>missing|null|empty|blank|unknown|absent|not\s+(?:set|given|provided|known|"
    r"available|recorded|filled(?:\s+in)?|populated|present))|(?P<notnull>present|known|set|given|provided|"
    r"available|recorded|populated|filled(?:\s+in)?|not\s+(?:missing|null|empty|blank)|non[- ]?(?:null|empty|blank)))\b",
    re.IGNORECASE,
)
_ARRIVED = (r"(?:came|come|comes|coming|arrived?|arrives|arriving|originat(?:ed|es|ing|e)|entered|enters|"
            r"(?:was|were|got|been)\s+(?:placed|made|booked|submitted|received|sold))\s+(?:in\s+)?")
_VALUE_LEAD = re.compile(rf"(?:\b{_ARRIVED})?\b(?:in|from|through|via|on|by|using)\s+(?:the\s+|an?\s+)?$", re.I)
_ARRIVAL = re.compile(rf"\b{_ARRIVED}(?:through|via|from|on|by|using)\s+(?:the\s+|an?\s+)?$", re.I)
_VALUE_LINK = re.compile(r"^[\s,]*(?:,|or|and|and/or|nor)?[\s,]*(?:the\s+)?$", re.IGNORECASE)
_IN_LIST = re.compile(r"\b(?:(?:is|are)\s+)?(?P<neg>not\s+)?(?:in|one\s+of|any\s+of)\s*\(", re.IGNORECASE)
_COL_TO_VALUE = re.compile(r"^\s*(?:(?:is|are|was|were|=|==|of|in|equals?|equal\s+to|being|either)\s*)*"
                           r"(?:\(|the\s+|an?\s+)?['\"\u2018\u201c]?$", re.IGNORECASE)  # fmt: skip
MONEY = re.compile(r"amount|total|price|revenue|sales|value|cost|salary|balance|spend|fee|paid|income|pay\b",
                    re.IGNORECASE)  # fmt: skip
_FILLER = frozenset({"is", "are", "was", "were", "whose", "with", "having", "has", "have", "that", "which", "where",
                     "a", "an", "the", "its", "their", "of", "total", "value"})  # fmt: skip
_IN_TOTAL = re.compile(r"\s*(?:in\s+total|in\s+all|overall|altogether|combined|all\s+together|in\s+sum|"
                       r"(?:in\s+)?(?:total|sum)\b(?!\s*[_\w]))", re.IGNORECASE)  # fmt: skip
_UNITS_AT = re.compile(r"\s*(?:dollars?|usd|eur|euros?|gbp|pounds?|bucks|units?|items?)\b", re.IGNORECASE)  # at a position
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s*cent\b|pct\b)", re.IGNORECASE)
_PERCENT_END = re.compile(r"\d\s*(?:%|percent|per\s*cent|pct)\s*$", re.IGNORECASE)
_PERCENT_NAME = re.compile(r"(?:^|_)(?:pct|percent|percentage|perc)(?:_|$)", re.IGNORECASE)


def examples(d: View) -> list[Claim]:
    """Illustrations ("(e.g. 2024-03-01)", "such as 'web'"): not conditions; no later phase reads them."""
    w = Play.of(d)
    for start, end in example_spans(cast(Any, d)):  # noops takes a Draft until its conversion; it reads the text
        w.take_free(start, end, why="an illustration, not a condition")
    return w.claims


def in_lists(d: View) -> list[Claim]:
    """``status in ('shipped', 'pending')`` / ``status not in ('a', 'b')``."""
    w = Play.of(d)
    _in_lists(w, _mention_spans(d))
    return w.claims


def comparisons(d: View) -> list[Claim]:
    """"amount over 2,500", "at least 3", "between 10 and 20", "1,000 or more"."""
    w = Play.of(d)
    spans = _mention_spans(d)
    _comparisons(w, spans)
    _suffix_comparisons(w, spans)
    _named_literals(w, spans)
    return w.claims


def text_matches(d: View) -> list[Claim]:
    """"email contains 'gmail'", "names starting with A"."""
    w = Play.of(d)
    _text_ops(w, _mention_spans(d))
    return w.claims


#: "(case-insensitive)", ", ignoring case", "in any case", "regardless of capitalisation" right after a text match
_FOLD = re.compile(
    r"\s*+[(,]?\s*+(?:\b(?:case[-\s]?insensitive(?:ly)?|not\s+case[-\s]?sensitive|(?:ignoring|regardless\s+of|whatever"
    r"|disregarding)\s+(?:the\s+)?(?:upper\s*+(?:/|and|or)?\s*+lower\s*+[-\s]?case|letter\s+case|case|capitali[sz]ation)"
    r"|(?:in\s+)?any\s+(?:case|capitali[sz]ation))\b)\s*+\)?",
    re.I,
)
_LIKE_OF = {"contains": "%{}%", "starts_with": "{}%", "ends_with": "%{}", "=": "{}"}


def case_folds(d: View) -> list[Claim]:
    """"job title contains 'engineer' (case-insensitive)": the text match said just before, compared without case
    (ILIKE). A value with a LIKE wildcard in it (% or _) is refused rather than matched loosely."""
    w = Play.of(d)
    for i, f in enumerate(d.filters):
        if not isinstance(f, Filter) or f.operator not in _LIKE_OF or not isinstance(f.value, str) or not f.provenance:
            continue
        at = d.prompt.find(f.provenance)
        m = _FOLD.match(d.prompt, at + len(f.provenance)) if at >= 0 else None
        if m is None or not w.free(m.start(), m.end()):
            continue
        if "%" in f.value or "_" in f.value:
            raise PlanError(f"'{f.provenance}' without case: the value holds a wildcard character (% or _)",
                            hint="compare it with its case, or drop the character")  # fmt: skip
        folded = f.model_copy(update={"operator": "ilike", "value": _LIKE_OF[f.operator].format(f.value)})
        filters = [folded if j == i else x for j, x in enumerate(d.filters)]
        w.take_free(m.start(), m.end(), Edit.set("filters", filters), why="the text compared without case")
    return w.claims


def null_tests(d: View) -> list[Claim]:
    """"without an email", "phone is missing", "with a discount code"."""
    w = Play.of(d)
    _null_tests(w, _mention_spans(d))
    return w.claims


def related_null_tests(d: View) -> list[Claim]:
    """"tickets without an assignee": the key pointing at that table is NULL."""
    w = Play.of(d)
    _related_null_tests(w, _mention_spans(d))
    return w.claims


def values(d: View) -> list[Claim]:
    """Values the warehouse holds: "cancelled orders", "web or store channel", "status is not shipped"."""
    w = Play.of(d)
    _values(w, _mention_spans(d))
    return w.claims


def non_values(d: View) -> list[Claim]:
    """"non-cancelled orders"."""
    w = Play.of(d)
    _non_values(w)
    return w.claims


# ------------------------------------------------------------------------------------------------
# helpers


def _column_before(d: View, spans: list[_Mention], pos: int) -> tuple[_Mention | None, int]:
    """The column mention ending right before ``pos`` (filler words between), and where its words start."""
    k = pos
    while True:
        prev = d.prompt[:k].rstrip()
        w = re.search(r"([A-Za-z']+)$", prev)
        if w and w.group(1).lower() in _FILLER and not any(s.start <= w.start() < s.end for s in spans):
            k = w.start()
            continue
        break
    end = len(d.prompt[:k].rstrip())
    for s in reversed(spans):
        if s.end == end and isinstance(s.m, ColumnMatch):
            return s, s.start
        if s.end == end and isinstance(s.m, TableMatch):
            return s, s.start
    return None, pos


def main_measure(d: Draft | View, table: TableInfo, words: str) -> str:
    """The column a bare number is compared with: the table's only measure, or its only money-like one."""
    measures = [c.name for c in table.columns if c.family in NUMERIC_FAMILIES and not _is_key(table, c.name)]
    if len(measures) == 1:
        return measures[0]
    money = [c for c in measures if MONEY.search(c)]
    if len(money) == 1:
        return money[0]
    whole = [c for c in money if _WHOLE_VALUE.search(c)]
    if len(whole) == 1:
        return whole[0]  # "orders over $500": the order's amount, not its shipping fee (a named part of it)
    raise PlanError(f"'{words.strip()}': compared with which column of {table.name}?",
                    hint=f"name it, e.g. '{(money or measures or ['amount'])[0]} {words.strip()}'")  # fmt: skip


#: the name of a row's whole value among its money columns: the amount, total or price (not a fee, cost or tax)
_WHOLE_VALUE = re.compile(r"(?:^|_)(?:amount|total|value|price)$", re.I)


def _is_key(table: TableInfo, name: str) -> bool:
    low = name.lower()
    return low == "id" or low.endswith(("_id", "_key", "_code", "_no", "_number")) or low in (
        p.lower() for p in table.primary_key
    )


def _column_of(d: View, hit: _Mention | None, words: str) -> str:
    if hit is not None and isinstance(hit.m, ColumnMatch):
        return f"{hit.m.table}.{hit.m.column}"
    table = hit.m.table if hit is not None else d.base
    if table is None:
        raise PlanError(f"'{words.strip()}': compared with which column?", hint="name the column")
    return f"{table}.{main_measure(d, d.catalog.table(table), words)}"


# ------------------------------------------------------------------------------------------------
# 1. comparisons


def _operand(w: Play, pos: int) -> tuple[object, int] | None:
    """The literal starting at ``pos``: a number, a quoted text or a date; and where it ends."""
    prompt = w.view.prompt
    items = w.view.tokens.items
    i = bisect.bisect_left(items, pos, key=lambda t: t.start)  # the first token at or after pos (no walk, no copy)
    if i >= len(items):
        return None
    t = items[i]
    if w.held(t) or t.kind not in ("number", "quoted", "date"):
        return None
    end = t.end
    if t.kind == "number" and (p := _PERCENT.match(prompt, end)):
        end = p.end()
    if u := _UNITS_AT.match(prompt, end):
        end = u.end()
    return t.value, end


_OPERATORS: dict[str, Operator] = {"ne": "!=", "ge": ">=", "le": "<=", "gt": ">", "lt": "<", "eq": "=",
                                   "ngt": "<=", "nlt": ">=",  # "not greater than", "isn't below": turned around
                                   "between": "between", "nbetween": "not_between", "is": "="}  # fmt: skip


def _comparisons(w: Play, spans: list[_Mention]) -> None:
    d = w.view
    for m in _CMP.finditer(d.prompt):
        if not w.open(m.start(), m.end()):
            continue
        op = next(k for k, v in m.groupdict().items() if v)
        got = _operand(w, m.end())
        if got is None:
            continue
        value, end = got
        if op in ("between", "nbetween"):
            rest = re.match(r"\s*(?:and|to|-)\s*", d.prompt[end:])
            hi = _operand(w, end + rest.end()) if rest else None
            if hi is None:
                continue
            value, end = [value, hi[0]], hi[1]
        operator = _OPERATORS[op]
        if op in ("eq", "is", "ne"):
            listed = _alternatives(w, value, end)
            if listed is not None:
                (value, end), operator = listed, "not_in" if op == "ne" else "in"
        _compare(w, spans, m.start(), end, operator, value)


_MAX_ALTERNATIVES = 50  # values of one list (each is found by a walk over the words: keep the walks few)
_ALTERNATIVE = re.compile(r"\s*(?P<sep>,\s*or\s+|,\s*|or\s+)")


def _alternatives(w: Play, first: object, end: int) -> tuple[list[object], int] | None:
    """"grade is 2 or 3", "size is 'S', 'M' or 'L'": literals of the same kind after the first one, the
    last joined by "or" — a list of values, up to that last one. None when no "or" joins them ("rank is 2,
    3 rows..." is not a list)."""
    if isinstance(first, list):
        return None
    values: list[object] = [first]
    kept, stop = 1, end
    while len(values) < _MAX_ALTERNATIVES and (sep := _ALTERNATIVE.match(w.view.prompt, end)) is not None:
        got = _operand(w, sep.end())
        if got is None or type(got[0]) is not type(first):
            break
        values.append(got[0])
        end = got[1]
        if "or" in sep.group("sep"):
            kept, stop = len(values), end
    return (values[:kept], stop) if kept > 1 else None


def _named_literals(w: Play, spans: list[_Mention]) -> None:
    """"tickets with priority 'high'", "(ticket priority 'high' or 'urgent')": a quoted value right after the
    column it is a value of, with no comparison word between — an equality (a list when joined by "or")."""
    d = w.view
    ordered = sorted(spans, key=lambda s: s.end)
    ends = [s.end for s in ordered]
    for t in d.tokens.items:
        if t.kind not in ("quoted", "number") or w.held(t):
            continue
        k = bisect.bisect_right(ends, t.start)  # the mention ending last before the value (by bisection)
        hit = ordered[k - 1] if k else None
        if hit is None or not isinstance(hit.m, ColumnMatch) or not _right_after(d, hit, t):
            continue
        value, end, operator = t.value, t.end, "="
        listed = _alternatives(w, value, end)
        if listed is not None:
            (value, end), operator = listed, "in"
        _compare(w, spans, t.start, end, cast(Operator, operator), value)


_COUNTING = re.compile(r"\s*(?:%|[A-Za-z]+)", re.IGNORECASE)
_JOINING = STOPWORDS | {"or", "but", "only", "except", "excluding", "sorted", "ordered"}


def _right_after(d: View, hit: _Mention, t: Token) -> bool:
    """The value follows its column with nothing between: a quoted text ("priority 'high'"), or a number
    after a numeric column, alone or after "of" ("rooms with capacity 40", "a rating of 5") and not
    followed by a word ("round the fee 2 decimals", "score 3 times" are not values)."""
    between = d.prompt[hit.end : t.start].strip().lower()
    if t.kind == "quoted":
        return not between
    if between not in ("", "of") or not isinstance(t.value, (int, float)) or isinstance(t.value, bool):
        return False
    if not isinstance(hit.m, ColumnMatch) or _info(d, hit.m.table, hit.m.column).family not in NUMERIC_FAMILIES:
        return False
    after = _COUNTING.match(d.prompt, t.end)
    return after is None or after.group(0).strip().lower() in _JOINING


def _suffix_comparisons(w: Play, spans: list[_Mention]) -> None:
    """"1,000 or more", "5+", "3 and above"."""
    for t in w.view.tokens.items:
        if w.held(t) or t.kind != "number":
            continue
        s = _SUFFIX_CMP.match(w.view.prompt[t.end :])
        if s is not None:
            _compare(w, spans, t.start, t.end + s.end(), ">=" if s.group("ge") else "<=", t.value)


def _compare(w: Play, spans: list[_Mention], start: int, end: int, operator: Operator, value: object) -> None:
    """The condition of the comparison in ``[start, end)`` on the column named before it."""
    d = w.view
    hit, col_start = _column_before(d, spans, start)
    if _taken(w, hit):
        return  # "average salary above 50,000": the column word is a measure's; a row filter would misread it
    if _IN_TOTAL.match(d.prompt, end):
        return  # "spent more than $500 in total": a condition on a sum, never on each row
    named = hit.m.table if hit is not None and isinstance(hit.m, TableMatch) else None
    gap = hit.end if hit is not None and isinstance(hit.m, ColumnMatch) else col_start
    if any(t.low in AGGREGATE_WORDS and not w.held(t) for t in d.tokens.within(gap, start)):
        return  # "drivers whose trips total more than 150 km": a condition on an aggregate, never on each row
    if named and hit is not None and re.match(r"\s*(?:is|are|was|were)\b", d.prompt[hit.end : end], re.I) and (
            _measure_before(d, col_start)):  # fmt: skip
        return  # "whose total quantity over completed orders is more than 60": the rows of a measure, not a row's value
    if (hit is None or named) and (unit := _unit_after(w, spans, end)) is not None:
        hit, end = unit, unit.end  # "trips over 60 km", "at least 3 seats": the column named as the unit
        col_start = min(col_start, start)
    if hit is not None and isinstance(hit.m, ColumnMatch) and d.base and hit.m.table != d.base and _PRICE_VERB.search(
            d.prompt, 0, hit.end) and _VERB_PLACE.search(d.prompt, max(0, hit.start - 40), hit.start):  # fmt: skip
        col_start = hit.end  # "orders that ... cost more than 200": the orders' price, no products.cost
        hit = None
    words = d.prompt[col_start:end]
    column = _column_of(d, hit, words)
    if (hit is None or named) and (verb := _PRICE_VERB.search(d.prompt, 0, col_start)) and _PRICED.search(
            split_column(d.catalog, column)[1]):
        col_start = verb.start()  # "visits that cost at least $100": the money verb names the money column
        words = d.prompt[col_start:end]
    if _PERCENT_END.search(words):
        value = _percent(d, column, value, words)
    _check_value(d, column, value, words)
    doubt = None if named and hit is not None and hit.m.table == named else _shared_column(d, hit, column, words)
    edits = [Edit.add("filters", Filter(column=column, operator=operator, value=value, provenance=words.strip()))]
    w.take_free(col_start, end, *edits, *([Edit.add("doubts", doubt)] if doubt else []), why="a comparison")


def _percent(d: View, column: str, value: object, words: str) -> object:
    """A number said in percent ("over 10%", "at least 15 percent") on the column's own scale: as written when the
    column's name says percent (``excess_pct``) or its values go past 1, a hundredth of it when its values are
    fractions (0 to 1: ``commission_rate`` 0.10); refused when the scale cannot be told (no values read)."""
    table, col = split_column(d.catalog, column)
    if _PERCENT_NAME.search(col) or _info(d, table, col).family == "integer":
        return value
    index = d.linker.value_index
    span = index.range_of(table, col) if index is not None else None
    if span is None:
        raise PlanError(f"'{words.strip()}': is {column} a fraction (0.1 for 10%) or a percentage (10)?",
                        hint=f"compare with the stored number, e.g. '{col} over 0.1'")  # fmt: skip
    if span[0] < -1 or span[1] > 1:
        return value

    def scaled(v: object) -> object:
        return round(v / 100, 10) if isinstance(v, (int, float)) and not isinstance(v, bool) else v

    return [scaled(v) for v in value] if isinstance(value, list) else scaled(value)


def _measure_before(d: View, pos: int) -> bool:
    """A measure the plan computes is said earlier in the clause that ends at ``pos`` (no comma or full stop
    between): a table named there is the measure's rows, and a comparison after it is the measure's."""
    clause = max(d.prompt.rfind(c, 0, pos) for c in ".;:!?\n,") + 1
    text = d.prompt[clause:pos].lower()
    return any(a.provenance and a.provenance.strip().lower() in text for a in d.aggregations)


#: A verb of price right before a bare comparison: "rooms that cost under 90", "plans charging over 20".
_PRICE_VERB = re.compile(r"\b(?:costs?|costing|charges?|charging|charged|priced|earns?|earning|earned|pays?|paying|paid)"
                         r"\s*$", re.IGNORECASE)
#: the place of a verb: after a relative pronoun or a conjunction ("that cost", "which charge", "and cost")
_VERB_PLACE = re.compile(r"\b(?:that|which|who|and|or)\s+(?:(?:also|still|each|all|both)\s+)?$", re.IGNORECASE)
_PRICED = re.compile(rf"{MONEY.pattern}|rate|wage|charge|tariff", re.IGNORECASE)  # columns a price verb may name


def _unit_after(w: Play, spans: list[_Mention], end: int) -> _Mention | None:
    """A numeric column of a table in play named right after the number, as its unit ("over 60 km",
    "at least 3 seats", "under 2 nights"): the column compared, when no column is named before."""
    d = w.view
    at = len(d.prompt) - len(d.prompt[end:].lstrip())
    for s in spans:
        if s.start == at and isinstance(s.m, ColumnMatch) and s.m.table in in_play(d) and w.open(s.start, s.end):
            return s if _info(d, s.m.table, s.m.column).family in NUMERIC_FAMILIES else None
    return None


def _taken(w: Play, hit: _Mention | None) -> bool:
    """The column words before a comparison already belong to another clause (a measure: "average
    salary", "total fine"): the comparison binds to that clause, never to the rows' column."""
    return hit is not None and isinstance(hit.m, ColumnMatch) and not w.open(hit.start, hit.end)


def _shared_column(d: View, hit: _Mention | None, column: str, words: str) -> Doubt | None:
    """"rent over 100" where two tables of the plan both have a rent the word names as well: the linker's
    pick is the plan, the other is a reading checked on the warehouse (planner/ambiguity.py keeps the
    candidates among the plan's tables). A table word just before the column ("stall rent", "stalls
    with rent") settles it."""
    if hit is None or not isinstance(hit.m, ColumnMatch):
        return None
    before = [t for t in d.tokens.items if t.end <= hit.start and t.kind == "word"]
    while before and before[-1].low in ("the", "its", "their", "a", "an", "of"):
        before.pop()
    if before and before[-1].low in ("with", "whose", "having", "where", "that", "which") and len(before) > 1:
        before.pop()  # "stalls with rent over 100", "markets whose rent is over 100"
    if before and named_table(d, before[-1].text) == hit.m.table:
        return None
    best = d.linker.columns(d.prompt[hit.start : hit.end])  # the spec's tables decide which are readings
    top = next((c.score for c in best if (c.table, c.column) == (hit.m.table, hit.m.column)), hit.m.score)
    family = _info(d, hit.m.table, hit.m.column).family
    others = tuple(dict.fromkeys(f"{c.table}.{c.column}" for c in best if c.table != hit.m.table and c.score >= top
                                 and _info(d, c.table, c.column).family == family))  # fmt: skip
    return Doubt("column_table", words.strip(), column, others) if others else None


def _check_value(d: View, column: str, value: object, words: str) -> None:
    table, col = split_column(d.catalog, column)
    fam = _info(d, table, col).family
    values = value if isinstance(value, list) else [value]
    numeric = all(isinstance(v, (int, float)) for v in values)
    if fam in NUMERIC_FAMILIES and not numeric or fam == "text" and numeric and not isinstance(value, str):
        if fam == "text" and numeric:
            return  # a code stored as text compared with a number: let the compiler say
        raise PlanError(f"'{words.strip()}': {column} is {fam}, not comparable with {values[0]!r}")
    if fam in ("date", "timestamp") and numeric and not isinstance(value, str):  # "ordered more than 5 (times)"
        raise PlanError(f"'{words.strip()}': {column} is a {fam}, compared with the number {values[0]!r}",
                        hint="a count of rows is said 'more than 5 orders'; a date 'after 2024-01-31'")  # fmt: skip


# ------------------------------------------------------------------------------------------------
# 2. text matches


def _text_ops(w: Play, spans: list[_Mention]) -> None:
    d = w.view
    for m in _TEXT_OP.finditer(d.prompt):
        if not w.open(m.start(), m.end()):
            continue
        word = m.group("op").lower()
        if any(h.score >= 0.9 for h in d.linker.tables(word)[:1]):
            continue  # "the most expensive matches among ...": a table's name, not a text match
        toks = [t for t in d.tokens.items if t.start >= m.end()]
        if not toks or w.held(toks[0]):
            continue
        tok = toks[0]
        if tok.kind != "quoted" and (word.startswith(("includ", "mention", "like", "is")) or tok.kind != "word"):
            continue
        hit, col_start = _column_before(d, spans, m.start())
        if hit is None or not isinstance(hit.m, ColumnMatch):
            continue
        text = str(tok.value if tok.kind == "quoted" else tok.text)
        op: Operator
        if word.startswith(("start", "begin")):
            op = "starts_with"
        elif word.startswith(("end",)):
            op = "ends_with"
        elif "like" in word or word.startswith("match"):
            op = "like" if "%" in text or "_" in text else "contains"
        else:
            op = "contains"
        negated = bool(m.group("neg")) or "not" in word.split()
        column = f"{hit.m.table}.{hit.m.column}"
        words = d.prompt[col_start : tok.end].strip()
        cond: Condition = Filter(column=column, operator=op, value=text)
        if negated:
            cond = Not(not_=cond, provenance=words)
        else:
            cond.provenance = words
        w.take_free(col_start, tok.end, Edit.add("filters", cond), why="a text match")


# ------------------------------------------------------------------------------------------------
# 3. NULL tests


def _null_tests(w: Play, spans: list[_Mention]) -> None:
    d = w.view
    for s in spans:
        if not isinstance(s.m, ColumnMatch) or not w.open(s.start, s.end):
            continue
        column = f"{s.m.table}.{s.m.column}"
        if s.m.column.lower() in (k.lower() for k in d.catalog.table(s.m.table).primary_key):
            continue  # a table's own key is never empty: "account ids missing from accounts" is no NULL test
        after = _NULL_AFTER.match(d.prompt[s.end :])
        if after is not None:
            op: Operator = "is_null" if after.group("null") else "is_not_null"
            end = s.end + after.end()
            cond = Filter(column=column, operator=op, provenance=d.prompt[s.start : end])
            w.take_free(s.start, end, Edit.add("filters", cond), why="a NULL test")
            continue
        before = _NULL_BEFORE.search(d.prompt, back(s.start), s.start)
        if before is None or not w.open(before.start(), s.start):
            continue
        if before.group("pos") and _followed_by_condition(w, s.end):
            continue
        op = "is_not_null" if before.group("pos") else "is_null"
        end = s.end
        kind = _KIND_NOUN.match(d.prompt, end)  # "has a shipped_on date": the column's kind said after it
        if kind and kind.group(1).lower() in _KIND_NOUNS.get(d.catalog.table(s.m.table).column(s.m.column).family, ()):
            end = kind.end()
        cond = Filter(column=column, operator=op, provenance=d.prompt[before.start() : end])
        w.take_free(before.start(), end, Edit.add("filters", cond), why="a NULL test")


_KIND_NOUN = re.compile(r"\s+(date|day|time|timestamp|value|number|amount|text)\b", re.I)
_KIND_NOUNS = {"date": ("date", "day"), "timestamp": ("date", "time", "timestamp"), "integer": ("value", "number"),
               "decimal": ("value", "number", "amount"), "float": ("value", "number", "amount"), "text": ("value", "text")}  # fmt: skip


def _related_null_tests(w: Play, spans: list[_Mention]) -> None:
    """"tickets without an assignee": the key pointing at that table is NULL ("with a category": NOT NULL)."""
    d = w.view
    for s in spans:
        if not isinstance(s.m, TableMatch) or s.m.table in w.in_play()[:1]:
            continue
        before = _NULL_BEFORE.search(d.prompt, back(s.start), s.start)
        if before is None or not w.open(before.start(), s.start):
            continue
        if before.group("pos") and _followed_by_condition(w, s.end):
            continue
        if before.group("cue").lower().startswith("no") and _subject_of_verb(d, s.end):
            continue  # "plans that no organization subscribes to": no such row did it, not an empty key of another table
        key = _key_to(w, s.m.table)
        if key is None:
            continue
        op: Operator = "is_not_null" if before.group("pos") else "is_null"
        edits = [Edit.add("filters", Filter(column=key, operator=op, provenance=d.prompt[before.start() : s.end]))]
        if op == "is_null" and s.m.table in w.tables:
            edits.append(w.drop(s.m.table))  # no row to join: the table was named only to say it is missing
        w.take_free(before.start(), s.end, *edits, why="a related row is missing")


_AUXILIARY = frozenset({"has", "have", "had", "did", "does", "do", "ever", "is", "are", "was", "were", "will", "would",
                        "can", "could"})  # fmt: skip


def _subject_of_verb(d: View, end: int) -> bool:
    """The table word ending at ``end`` is the subject of a verb after it ("no organization subscribes to", "no
    customer has ordered"): a clause about what those rows did, not "with no X" of the rows asked for."""
    import lemminflect

    nxt = [t for t in d.tokens.items if t.start >= end][:1]
    if not nxt or nxt[0].kind != "word":
        return False
    low = nxt[0].low
    lemmas = lemminflect.getAllLemmas(low)
    return low in _AUXILIARY or "VERB" in lemmas and "NOUN" not in lemmas


def _key_to(w: Play, table: str) -> str | None:
    """The column of a table in play that points at ``table`` (a foreign key, not the row's own key)."""
    d = w.view
    for t in w.in_play():
        if t == table:
            continue
        try:
            edges = d.linker.join_path([t, table])
        except Exception:  # noqa: BLE001 - no path: not a key
            continue
        if len(edges) != 1:
            continue
        e = edges[0]
        col = e.left_column if e.left_table == t else e.right_column
        if col.lower() not in (p.lower() for p in d.catalog.table(t).primary_key) and not _own_key(d, t, col):
            return f"{t}.{col}"
    return None


def _own_key(d: View, table: str, column: str) -> bool:
    """``accounts.account_id`` (or ``id``): the row's own key, even where no primary key is declared. It
    is what a related table points at, so it is never NULL for a missing related row ("accounts with
    no deals" is an anti join, not ``account_id IS NULL``)."""
    low = column.lower()
    stem = re.sub(r"_?(?:id|key|code|no|number)$", "", low)
    return low == "id" or bool(stem) and named_table(d, stem) == table


def _followed_by_condition(w: Play, pos: int) -> bool:
    """'with a discount code of X' / 'with amount over 5' is not a presence test."""
    nxt = [t for t in w.view.tokens.items if t.start >= pos and t.kind != "punct"][:2]
    return bool(nxt) and (w.explained(nxt[0]) and nxt[0].low not in ("and", "or") or nxt[0].kind in ("number", "quoted", "op")
                          or nxt[0].low in ("of", "is", "=", "equal", "equals", "like"))  # fmt: skip


# ------------------------------------------------------------------------------------------------
# 4. values named in the request


def _in_play_value(d: View, s: _Mention) -> _Mention:
    """A value the linker found in a table not in play, when a table in play holds it too ("pending
    transactions": transactions.status, not orders.status)."""
    play = in_play(d)
    if not isinstance(s.m, ValueMatch) or not play or s.m.table in play:
        return s
    hits = [v for v in d.linker.values(s.m.text or d.prompt[s.start : s.end], play) if v.score >= s.m.score - 0.05]
    return _Mention(s.start, s.end, hits[0]) if hits else s


def _values(w: Play, spans: list[_Mention]) -> None:
    d = w.view
    vals = [_in_play_value(d, s) for s in spans if isinstance(s.m, ValueMatch) and w.open(s.start, s.end)
            and not (" " not in d.prompt[s.start : s.end].strip() and beside_coined(d, s.start, s.end))]  # "hire_year, hires"
    vals = [s for s in vals if not _foreign_state(d, s)]
    i = 0
    while i < len(vals):
        group = [vals[i]]
        while i + 1 < len(vals):
            nxt = vals[i + 1]
            gap = d.prompt[group[-1].end : nxt.start]
            first, other = group[0].m, nxt.m
            assert isinstance(first, ValueMatch) and isinstance(other, ValueMatch)  # _in_play_value keeps values
            same = (other.table, other.column) == (first.table, first.column)
            if same and _VALUE_LINK.match(gap) and w.open(group[-1].end, nxt.start):
                group.append(nxt)
                i += 1
            else:
                break
        i += 1
        _value_condition(w, spans, group)


def _foreign_state(d: View, s: _Mention) -> bool:
    """A state of another table's rows said of the rows in play: "inactive accounts" where only products have
    is_active, "open accounts" where 'open' is an invoice status and accounts have a status of their own. A
    yes/no value, or a value of a column the base has too, describes the rows it is said of; a table the
    request does not name is never joined for it (the word is read as the base's state, or refused)."""
    m = s.m
    play = in_play(d)
    if not isinstance(m, ValueMatch) or not play or m.table in play:
        return False
    base = d.catalog.table(play[0])
    return isinstance(m.value, bool) or base.has_column(m.column)


def _value_condition(w: Play, spans: list[_Mention], group: list[_Mention]) -> None:
    d = w.view
    first = group[0].m
    assert isinstance(first, ValueMatch)
    key = (first.table, first.column)
    column = f"{first.table}.{first.column}"
    start, end = group[0].start, group[-1].end
    if not _reachable(d, first.table):
        return  # "Gold report: tickets per technician": 'gold' of a supplier table nothing joins to tickets
    values = list(dict.fromkeys(s.m.value for s in group if isinstance(s.m, ValueMatch)))
    # the column named after ("web or store channels"), with "in the"/"through the" before the values
    for s in spans:
        if _names_column(d, s, key) and s.start >= end:
            if re.match(r"^(?:\s*|-)$", d.prompt[end : s.start]) and w.open(s.start, s.end):  # or "corporate-segment"
                end = s.end
                lead = _VALUE_LEAD.search(d.prompt, back(start), start)
                if lead and w.open(lead.start(), start):
                    start = lead.start()
            break
    if start == group[0].start:  # "came in via web", "that arrived through the store": how the row came to be
        lead = _ARRIVAL.search(d.prompt, back(start), start)
        if lead and w.open(lead.start(), start):
            start = lead.start()
    ones = re.match(r"^\s+ones?\b", d.prompt[end:], re.IGNORECASE)  # "cancelled ones"
    if ones:
        end += ones.end()
    neg = _NEGATION.search(d.prompt, back(start), start)
    negated = neg is not None and w.open(neg.start(), start)
    if negated and neg is not None:
        start = neg.start()
    # the column named before ("status is shipped", "channel not in web, store")
    for s in reversed(spans):
        if _names_column(d, s, key) and s.end <= start:
            if _COL_TO_VALUE.match(d.prompt[s.end : start]) and w.open(s.start, s.end):
                start = s.start
            break
    close = re.match(r"^\s*\)", d.prompt[end:])
    if close:
        end += close.end()
    cond = _value_filter(column, values, negated, d.prompt[start:end].strip())
    edits = [Edit.add("filters", cond)] + ([w.use(first.table)] if w.base is None else [])
    said = any(_names_column(d, s, key) and start <= s.start and s.end <= end for s in spans)  # "status shipped"
    word = d.prompt[group[0].start : group[0].end].strip().lower()
    state = event_state(d, word, column) if len(values) == 1 and not said else None
    if state is not None:
        edits.append(Edit.add("doubts", state))
    w.take_free(start, end, *edits, why="a value the warehouse holds")


def _reachable(d: View, table: str) -> bool:
    """``table`` is in play, or joins to the tables in play by foreign keys (a value of a table nothing joins
    cannot narrow the rows asked for)."""
    play = in_play(d)
    return not play or table in play or d.linker.joinable([*play, table])


def event_state(d: View | Draft, word: str, column: str) -> Doubt | None:
    """"orders that were shipped": the value 'shipped' of the status, or a shipped_date that is filled? A past
    participle that is a value of one column and names an event date of the same table is both; the
    value is the plan, the date a reading checked on the warehouse (planner/ambiguity.py)."""
    table = column.split(".", 1)[0]
    lemma = (getLemma(word, upos="VERB") or ("",))[0]
    if " " in word or lemma == word or word not in (getInflection(lemma, tag="VBN") or ()):
        return None  # not a past participle ("paid", "shipped")
    for cm in d.linker.columns(word, [table])[:1]:
        if cm.score >= 0.7 and _info(d, cm.table, cm.column).family in TEMPORAL_FAMILIES:
            return Doubt("state", word, column, (f"{cm.table}.{cm.column}",))
    return None


def _names_column(d: View, s: _Mention, key: tuple[str, str]) -> bool:
    """Whether the column mention ``s`` names the column ``key`` of the values: the linker's pick, or as
    well (nearly as sure) when the words name a column of the values' table too ("tier gold": the linker
    read "tier" as another table's tier, the gold is this table's)."""
    if not isinstance(s.m, ColumnMatch):
        return False
    if (s.m.table, s.m.column) == key:
        return True
    hits = d.linker.columns(d.prompt[s.start : s.end], [key[0]])
    return any((c.table, c.column) == key and c.score >= s.m.score - 0.05 for c in hits)


def _value_filter(column: str, values: list[object], negated: bool, words: str) -> Filter:
    if len(values) == 1 and isinstance(values[0], bool):
        return Filter(column=column, operator="=", value=values[0] != negated, provenance=words)
    if len(values) == 1:
        return Filter(column=column, operator="!=" if negated else "=", value=values[0], provenance=words)
    return Filter(column=column, operator="not_in" if negated else "in", value=values, provenance=words)


def _non_values(w: Play) -> None:
    """"non-cancelled orders", "unpaid invoices", "inactive accounts": a value the linker did not see because
    of its prefix, negated. "un"/"in" only before a participle or an adjective of four letters or more
    ("unpaid", "unshipped", "inactive"; never "invoice" as "voice"). A participle that also names an event
    date of the table ("unpaid": status 'paid', or no paid_on) is a doubt checked on the warehouse."""
    d = w.view
    for m in PREFIXED.finditer(d.prompt):
        word = (m.group("word") or m.group("word2")).lower()
        if not w.open(m.start(), m.end()) or m.group("pre") and not negatable(word):
            continue
        hits = [v for v in d.linker.values(word, in_play(d) or None) if v.score >= 0.88]
        if hits:
            v = hits[0]
            column = f"{v.table}.{v.column}"
            cond = _value_filter(column, [v.value], True, m.group(0))
            state = event_state(d, word, column) if not isinstance(v.value, bool) else None
            w.take_free(m.start(), m.end(), Edit.add("filters", cond), *([Edit.add("doubts", state)] if state else []),
                        why="a value, negated by its prefix")


def _in_lists(w: Play, spans: list[_Mention]) -> None:
    """``status in ('shipped', 'pending')`` / ``status not in ('a', 'b')``: literals in parentheses."""
    d = w.view
    for m in _IN_LIST.finditer(d.prompt):
        close = d.prompt.find(")", m.end())
        if close < 0 or not w.open(m.start(), close + 1):
            continue
        lits = [t for t in d.tokens.overlapping(m.end(), close) if t.kind in ("quoted", "number", "date", "word")]
        if not lits or any(t.kind == "word" and t.low not in ("or", "and") for t in lits):
            continue
        values = [t.value for t in lits if t.kind != "word"]
        hit, col_start = _column_before(d, spans, m.start())
        if hit is None or not isinstance(hit.m, ColumnMatch):
            continue
        column = f"{hit.m.table}.{hit.m.column}"
        cond = Filter(column=column, operator="not_in" if m.group("neg") else "in", value=values,
                      provenance=d.prompt[col_start : close + 1])  # fmt: skip
        w.take_free(col_start, close + 1, Edit.add("filters", cond), why="a list of values")


