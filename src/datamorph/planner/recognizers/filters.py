"""Row filters: comparisons, text matches, NULL tests, values named in the request, negation.

Runs after ``aggregates`` (which takes the conditions on measures) and
``dates``. In order:

1. comparisons: "amount over 2,500", "at least 3", ">= 100", "between 10 and 20", "1,000 or more";
   without a column ("orders over 1,000") the table's main measure;
2. text: "email contains 'gmail'", "names starting with A", "ending with '.org'";
3. NULL tests: "without an email", "no termination date", "phone is missing", "with a discount code";
4. values the warehouse holds: "cancelled orders", "web or store channel", "status is shipped",
   negated by "not", "excluding", "other than"...; values of one column are ORed (IN);
5. states: boolean columns ("active products"), event dates used as verbs ("terminated",
   "not terminated") and "current"/"still employed"/"former" on a table with an end date
   (:mod:`filter_states`, which also keeps a restated condition once and reads "only");
shared helpers are in :mod:`filter_base`.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, TableInfo
from datamorph.errors import PlanError
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.budget import back
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import in_play
from datamorph.planner.recognizers.filter_base import NEGATION as _NEGATION
from datamorph.planner.recognizers.filter_base import Mention as _Mention
from datamorph.planner.recognizers.filter_base import condition_tokens as condition_tokens
from datamorph.planner.recognizers.filter_base import free as _free
from datamorph.planner.recognizers.filter_base import info as _info
from datamorph.planner.recognizers.filter_base import mark as _mark
from datamorph.planner.recognizers.filter_base import mention_spans as _mention_spans
from datamorph.planner.recognizers.filter_base import tokens_in as _tokens_in
from datamorph.planner.recognizers.filter_states import boolean_phrases, dedupe, only, states
from datamorph.planner.recognizers.noops import example_spans
from datamorph.spec import Condition, Filter, Not, Operator

_GT = r"more\s+than|greater\s+than|bigger\s+than|larger\s+than|higher\s+than|over|above|exceeding|exceeds?|in\s+excess\s+of|upwards\s+of|>"  # noqa: E501
_GE = r"greater\s+than\s+or\s+equal\s+to|at\s+least|no\s+less\s+than|not\s+less\s+than|no\s+fewer\s+than|(?:a\s+)?minimum\s+of|>="  # noqa: E501
_LE = r"less\s+than\s+or\s+equal\s+to|at\s+most|no\s+more\s+than|not\s+more\s+than|no\s+greater\s+than|not\s+over|up\s+to|(?:a\s+)?maximum\s+of|<="  # noqa: E501
_LT = r"less\s+than|fewer\s+than|smaller\s+than|lower\s+than|under|below|beneath|<"
_NE = r"not\s+equal(?:\s+to)?|does\s+not\s+equal|doesn't\s+equal|different\s+from|other\s+than|!=|<>"
_EQ = r"equal\s+to|equals?|exactly|==|="
_CMP = re.compile(
    rf"(?<![\w<>=!])(?:(?:is|are|was|were)\s+)?(?:(?P<ne>{_NE})|(?P<ge>{_GE})|(?P<le>{_LE})|(?P<gt>{_GT})|(?P<lt>{_LT})"
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
_NON = re.compile(r"\bnon\s*-?\s*(?P<word>[A-Za-z_]{3,})\b", re.IGNORECASE)
_IN_LIST = re.compile(r"\b(?:(?:is|are)\s+)?(?P<neg>not\s+)?(?:in|one\s+of|any\s+of)\s*\(", re.IGNORECASE)
_COL_TO_VALUE = re.compile(r"^\s*(?:(?:is|are|was|were|=|==|of|in|equals?|equal\s+to|being|either)\s*)*"
                           r"(?:\(|the\s+|an?\s+)?$", re.IGNORECASE)  # fmt: skip
_MONEY = re.compile(r"amount|total|price|revenue|sales|value|cost|salary|balance|spend|fee|paid|income|pay\b",
                    re.IGNORECASE)  # fmt: skip
_FILLER = frozenset({"is", "are", "was", "were", "whose", "with", "having", "has", "have", "that", "which", "where",
                     "a", "an", "the", "its", "their", "of", "total", "value"})  # fmt: skip
_UNITS = re.compile(r"^\s*(?:dollars?|usd|eur|euros?|gbp|pounds?|bucks|units?|items?)\b", re.IGNORECASE)


def recognize(d: Draft) -> None:
    """Add the row filters the request states (see the module docstring for the order)."""
    for start, end in example_spans(d):  # illustrations ("(e.g. 2024-03-01)", "such as 'web'"): not conditions
        _mark(d, start, end)
    before = {id(t) for t in d.tokens.items if t.used}
    spans = _mention_spans(d)
    _in_lists(d, spans)
    _comparisons(d, spans)
    _text_ops(d, spans)
    boolean_phrases(d, spans)
    _null_tests(d, spans)
    _related_null_tests(d, spans)
    _values(d, spans)
    _non_values(d)
    states(d, spans)
    dedupe(d)
    cond = {id(t) for t in d.tokens.items if t.used and id(t) not in before} | condition_tokens(d)
    only(d, cond)


# ------------------------------------------------------------------------------------------------
# helpers


def _column_before(d: Draft, spans: list[_Mention], pos: int) -> tuple[_Mention | None, int]:
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


def main_measure(d: Draft, table: TableInfo, words: str) -> str:
    """The column a bare number is compared with: the table's only measure, or its only money-like one."""
    measures = [c.name for c in table.columns if c.family in NUMERIC_FAMILIES and not _is_key(table, c.name)]
    if len(measures) == 1:
        return measures[0]
    money = [c for c in measures if _MONEY.search(c)]
    if len(money) == 1:
        return money[0]
    raise PlanError(f"'{words.strip()}': compared with which column of {table.name}?",
                    hint=f"name it, e.g. '{(money or measures or ['amount'])[0]} {words.strip()}'")  # fmt: skip


def _is_key(table: TableInfo, name: str) -> bool:
    low = name.lower()
    return low == "id" or low.endswith(("_id", "_key", "_code", "_no", "_number")) or low in (
        p.lower() for p in table.primary_key
    )


def _column_of(d: Draft, hit: _Mention | None, words: str) -> str:
    if hit is not None and isinstance(hit.m, ColumnMatch):
        return f"{hit.m.table}.{hit.m.column}"
    table = hit.m.table if hit is not None else d.base
    if table is None:
        raise PlanError(f"'{words.strip()}': compared with which column?", hint="name the column")
    return f"{table}.{main_measure(d, d.catalog.table(table), words)}"


# ------------------------------------------------------------------------------------------------
# 1. comparisons


def _operand(d: Draft, pos: int) -> tuple[object, int] | None:
    """The literal starting at ``pos``: a number, a quoted text or a date; and where it ends."""
    for t in d.tokens.items:
        if t.start < pos:
            continue
        if t.used or t.kind not in ("number", "quoted", "date"):
            return None
        end = t.end
        if t.kind == "number" and (p := re.match(r"^\s*%", d.prompt[end:])):
            end += p.end()
        if u := _UNITS.match(d.prompt[end:]):
            end += u.end()
        return t.value, end
    return None


def _comparisons(d: Draft, spans: list[_Mention]) -> None:
    for m in _CMP.finditer(d.prompt):
        if not _free(d, m.start(), m.end()):
            continue
        op = next(k for k, v in m.groupdict().items() if v)
        got = _operand(d, m.end())
        if got is None:
            continue
        value, end = got
        if op in ("between", "nbetween"):
            rest = re.match(r"\s*(?:and|to|-)\s*", d.prompt[end:])
            hi = _operand(d, end + rest.end()) if rest else None
            if hi is None:
                continue
            value, end = [value, hi[0]], hi[1]
        hit, col_start = _column_before(d, spans, m.start())
        if _taken(d, hit):
            continue  # "average salary above 50,000": the column word is a measure's; a row filter would misread it
        words = d.prompt[col_start:end]
        column = _column_of(d, hit, words)
        _check_value(d, column, value, words)
        _shared_column(d, hit, column, words)
        operators: dict[str, Operator] = {"ne": "!=", "ge": ">=", "le": "<=", "gt": ">", "lt": "<", "eq": "=",
                                          "between": "between", "nbetween": "not_between", "is": "="}  # fmt: skip
        operator = operators[op]
        d.filters.append(Filter(column=column, operator=operator, value=value, provenance=words.strip()))
        _mark(d, col_start, end)
    # "1,000 or more", "5+", "3 and above"
    for t in d.tokens.items:
        if t.used or t.kind != "number":
            continue
        s = _SUFFIX_CMP.match(d.prompt[t.end :])
        if s is None:
            continue
        end = t.end + s.end()
        hit, col_start = _column_before(d, spans, t.start)
        if _taken(d, hit):
            continue
        words = d.prompt[col_start:end]
        column = _column_of(d, hit, words)
        _check_value(d, column, t.value, words)
        _shared_column(d, hit, column, words)
        d.filters.append(Filter(column=column, operator=">=" if s.group("ge") else "<=", value=t.value,
                                provenance=words.strip()))  # fmt: skip
        _mark(d, col_start, end)


def _taken(d: Draft, hit: _Mention | None) -> bool:
    """The column words before a comparison already belong to another clause (a measure: "average
    salary", "total fine"): the comparison binds to that clause, never to the rows' column."""
    return hit is not None and isinstance(hit.m, ColumnMatch) and not _free(d, hit.start, hit.end)


def _shared_column(d: Draft, hit: _Mention | None, column: str, words: str) -> None:
    """"rent over 100" where two tables of the plan both have a rent the word names as well: the linker's
    pick is the plan, the other is a reading checked on the warehouse (planner/ambiguity.py keeps the
    candidates among the plan's tables). A table word just before the column ("stall rent", "stalls
    with rent") settles it."""
    if hit is None or not isinstance(hit.m, ColumnMatch):
        return
    before = [t for t in d.tokens.items if t.end <= hit.start and t.kind == "word"]
    while before and before[-1].low in ("the", "its", "their", "a", "an", "of"):
        before.pop()
    if before and before[-1].low in ("with", "whose", "having", "where", "that", "which") and len(before) > 1:
        before.pop()  # "stalls with rent over 100", "markets whose rent is over 100"
    if before and _table_named(d, before[-1].text) == hit.m.table:
        return
    best = d.linker.columns(d.prompt[hit.start : hit.end])  # the spec's tables decide which are readings
    top = next((c.score for c in best if (c.table, c.column) == (hit.m.table, hit.m.column)), hit.m.score)
    family = _info(d, hit.m.table, hit.m.column).family
    others = tuple(dict.fromkeys(f"{c.table}.{c.column}" for c in best if c.table != hit.m.table and c.score >= top
                                 and _info(d, c.table, c.column).family == family))  # fmt: skip
    if others:
        d.doubts.append(Doubt("column_table", words.strip(), column, others))


def _table_named(d: Draft, word: str) -> str | None:
    hits = d.linker.tables(word)
    return hits[0].table if hits and hits[0].score >= 0.85 else None


def _check_value(d: Draft, column: str, value: object, words: str) -> None:
    table, col = column.split(".", 1)
    fam = _info(d, table, col).family
    values = value if isinstance(value, list) else [value]
    numeric = all(isinstance(v, (int, float)) for v in values)
    if fam in NUMERIC_FAMILIES and not numeric or fam == "text" and numeric and not isinstance(value, str):
        if fam == "text" and numeric:
            return  # a code stored as text compared with a number: let the compiler say
        raise PlanError(f"'{words.strip()}': {column} is {fam}, not comparable with {values[0]!r}")


# ------------------------------------------------------------------------------------------------
# 2. text matches


def _text_ops(d: Draft, spans: list[_Mention]) -> None:
    for m in _TEXT_OP.finditer(d.prompt):
        if not _free(d, m.start(), m.end()):
            continue
        word = m.group("op").lower()
        toks = [t for t in d.tokens.items if t.start >= m.end()]
        if not toks or toks[0].used:
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
        d.filters.append(cond)
        _mark(d, col_start, tok.end)


# ------------------------------------------------------------------------------------------------
# 3. NULL tests


def _null_tests(d: Draft, spans: list[_Mention]) -> None:
    for s in spans:
        if not isinstance(s.m, ColumnMatch) or not _free(d, s.start, s.end):
            continue
        column = f"{s.m.table}.{s.m.column}"
        after = _NULL_AFTER.match(d.prompt[s.end :])
        if after is not None:
            op: Operator = "is_null" if after.group("null") else "is_not_null"
            end = s.end + after.end()
            d.filters.append(Filter(column=column, operator=op, provenance=d.prompt[s.start : end]))
            _mark(d, s.start, end)
            continue
        before = _NULL_BEFORE.search(d.prompt, back(s.start), s.start)
        if before is None or not _free(d, before.start(), s.start):
            continue
        if before.group("pos") and _followed_by_condition(d, s.end):
            continue
        op = "is_not_null" if before.group("pos") else "is_null"
        d.filters.append(Filter(column=column, operator=op, provenance=d.prompt[before.start() : s.end]))
        _mark(d, before.start(), s.end)


def _related_null_tests(d: Draft, spans: list[_Mention]) -> None:
    """"products without a category": the key pointing at that table is NULL ("with a category": NOT NULL)."""
    for s in spans:
        if not isinstance(s.m, TableMatch) or s.m.table in in_play(d)[:1]:
            continue
        before = _NULL_BEFORE.search(d.prompt, back(s.start), s.start)
        if before is None or not _free(d, before.start(), s.start):
            continue
        if before.group("pos") and _followed_by_condition(d, s.end):
            continue
        key = _key_to(d, s.m.table)
        if key is None:
            continue
        op: Operator = "is_not_null" if before.group("pos") else "is_null"
        d.filters.append(Filter(column=key, operator=op, provenance=d.prompt[before.start() : s.end]))
        _mark(d, before.start(), s.end)
        if op == "is_null" and s.m.table in d.tables:
            d.tables.remove(s.m.table)  # no row to join: the table was named only to say it is missing


def _key_to(d: Draft, table: str) -> str | None:
    """The column of a table in play that points at ``table`` (a foreign key, not the row's own key)."""
    for t in in_play(d):
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


def _own_key(d: Draft, table: str, column: str) -> bool:
    """``accounts.account_id`` (or ``id``): the row's own key, even where no primary key is declared. It
    is what a related table points at, so it is never NULL for a missing related row ("accounts with
    no deals" is an anti join, not ``account_id IS NULL``)."""
    low = column.lower()
    stem = re.sub(r"_?(?:id|key|code|no|number)$", "", low)
    return low == "id" or bool(stem) and _table_named(d, stem) == table


def _followed_by_condition(d: Draft, pos: int) -> bool:
    """'with a discount code of X' / 'with amount over 5' is not a presence test."""
    nxt = [t for t in d.tokens.items if t.start >= pos and t.kind != "punct"][:2]
    return bool(nxt) and (nxt[0].used and nxt[0].low not in ("and", "or") or nxt[0].kind in ("number", "quoted", "op")
                          or nxt[0].low in ("of", "is", "=", "equal", "equals", "like"))  # fmt: skip


# ------------------------------------------------------------------------------------------------
# 4. values named in the request


def _in_play_value(d: Draft, s: _Mention) -> _Mention:
    """A value the linker found in a table not in play, when a table in play holds it too ("pending
    transactions": transactions.status, not orders.status)."""
    play = in_play(d)
    if not isinstance(s.m, ValueMatch) or not play or s.m.table in play:
        return s
    hits = [v for v in d.linker.values(s.m.text or d.prompt[s.start : s.end], play) if v.score >= s.m.score - 0.05]
    return _Mention(s.start, s.end, hits[0]) if hits else s


def _values(d: Draft, spans: list[_Mention]) -> None:
    vals = [_in_play_value(d, s) for s in spans if isinstance(s.m, ValueMatch) and _free(d, s.start, s.end)]
    i = 0
    while i < len(vals):
        group = [vals[i]]
        while i + 1 < len(vals):
            nxt = vals[i + 1]
            gap = d.prompt[group[-1].end : nxt.start]
            first, other = group[0].m, nxt.m
            assert isinstance(first, ValueMatch) and isinstance(other, ValueMatch)  # _in_play_value keeps values
            same = (other.table, other.column) == (first.table, first.column)
            if same and _VALUE_LINK.match(gap) and _free(d, group[-1].end, nxt.start):
                group.append(nxt)
                i += 1
            else:
                break
        i += 1
        _value_condition(d, spans, group)


def _value_condition(d: Draft, spans: list[_Mention], group: list[_Mention]) -> None:
    first = group[0].m
    assert isinstance(first, ValueMatch)
    key = (first.table, first.column)
    column = f"{first.table}.{first.column}"
    start, end = group[0].start, group[-1].end
    values = list(dict.fromkeys(s.m.value for s in group if isinstance(s.m, ValueMatch)))
    # the column named after ("web or store channels"), with "in the"/"through the" before the values
    for s in spans:
        if isinstance(s.m, ColumnMatch) and (s.m.table, s.m.column) == key and s.start >= end:
            if re.match(r"^\s*$", d.prompt[end : s.start]) and _free(d, s.start, s.end):
                end = s.end
                lead = _VALUE_LEAD.search(d.prompt, back(start), start)
                if lead and _free(d, lead.start(), start):
                    start = lead.start()
            break
    if start == group[0].start:  # "came in via web", "that arrived through the store": how the row came to be
        lead = _ARRIVAL.search(d.prompt, back(start), start)
        if lead and _free(d, lead.start(), start):
            start = lead.start()
    ones = re.match(r"^\s+ones?\b", d.prompt[end:], re.IGNORECASE)  # "cancelled ones"
    if ones:
        end += ones.end()
    neg = _NEGATION.search(d.prompt, back(start), start)
    negated = neg is not None and _free(d, neg.start(), start)
    if negated and neg is not None:
        start = neg.start()
    # the column named before ("status is shipped", "channel not in web, store")
    for s in reversed(spans):
        if isinstance(s.m, ColumnMatch) and (s.m.table, s.m.column) == key and s.end <= start:
            if _COL_TO_VALUE.match(d.prompt[s.end : start]) and _free(d, s.start, s.end):
                start = s.start
            break
    close = re.match(r"^\s*\)", d.prompt[end:])
    if close:
        end += close.end()
    _add_value_filter(d, column, values, negated, d.prompt[start:end].strip())
    if d.base is None:
        d.use_table(first.table)
    _mark(d, start, end)


def _add_value_filter(d: Draft, column: str, values: list[object], negated: bool, words: str) -> None:
    if len(values) == 1 and isinstance(values[0], bool):
        d.filters.append(Filter(column=column, operator="=", value=values[0] != negated, provenance=words))
    elif len(values) == 1:
        d.filters.append(Filter(column=column, operator="!=" if negated else "=", value=values[0], provenance=words))
    else:
        d.filters.append(Filter(column=column, operator="not_in" if negated else "in", value=values, provenance=words))


def _non_values(d: Draft) -> None:
    """"non-cancelled orders": a value the linker did not see because of its prefix."""
    for m in _NON.finditer(d.prompt):
        if not _free(d, m.start(), m.end()):
            continue
        hits = [v for v in d.linker.values(m.group("word"), in_play(d) or None) if v.score >= 0.88]
        if hits:
            v = hits[0]
            _add_value_filter(d, f"{v.table}.{v.column}", [v.value], True, m.group(0))
            _mark(d, m.start(), m.end())


def _in_lists(d: Draft, spans: list[_Mention]) -> None:
    """``status in ('shipped', 'pending')`` / ``status not in ('a', 'b')``: literals in parentheses."""
    for m in _IN_LIST.finditer(d.prompt):
        close = d.prompt.find(")", m.end())
        if close < 0 or not _free(d, m.start(), close + 1):
            continue
        lits = [t for t in _tokens_in(d, m.end(), close) if t.kind in ("quoted", "number", "date", "word")]
        if not lits or any(t.kind == "word" and t.low not in ("or", "and") for t in lits):
            continue
        values = [t.value for t in lits if t.kind != "word"]
        hit, col_start = _column_before(d, spans, m.start())
        if hit is None or not isinstance(hit.m, ColumnMatch):
            continue
        column = f"{hit.m.table}.{hit.m.column}"
        d.filters.append(Filter(column=column, operator="not_in" if m.group("neg") else "in", value=values,
                                provenance=d.prompt[col_start : close + 1]))  # fmt: skip
        _mark(d, col_start, close + 1)


