"""Boolean columns defined by a comparison: a name, "true when", and a condition on the row.

- "shipped_late = true when shipped_at is after promised_at, otherwise false"
- "is_premium (true if the plan is 'pro')", "big_spender: yes when total is over 500"
- "a column called overdrawn that is true when balance is less than 0"

The condition compares a column with another column, a number, a quoted value or a data value of
that column ("status is closed"), or tests it for missing ("closed_date is empty"). "otherwise
false" makes a row whose comparison is unknown (a missing value) false as well, as said; without
it the column is the comparison itself (unknown stays NULL). A condition the recognizer cannot
read in full is left alone (the words then make the plan fail, quoted).
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES
from datamorph.planner.claims import Claim, View
from datamorph.planner.recognizers.derivekit import Work, add, column_phrase, family, in_play
from datamorph.planner.text import parse_number

_FLAG = re.compile(
    r"(?<![\w.])(?:(?:called|named)\s+)?(?P<name>[A-Za-z_]\w*)\s*(?:=|:|\(|-|,|(?:which|that)\s+is|is)\s*"
    r"(?:set\s+to\s+)?(?:true|yes)\s+(?:when|if|whenever|where)\s+(?P<cond>[^,;.()]{1,160}?)"
    r"(?:\s*,?\s*(?:and\s+)?(?:otherwise|else|or)\s+(?P<else>false|no)\b|(?=\s*(?:[,;.()]|$)))(?P<close>\s*\))?",
    re.I,
)
_OP = re.compile(
    r"\s+(?:"
    r"(?P<ge>is\s+on\s+or\s+after|is\s+at\s+least|at\s+least|>=|is\s+no\s+less\s+than)"
    r"|(?P<le>is\s+on\s+or\s+before|is\s+at\s+most|at\s+most|<=|is\s+no\s+more\s+than)"
    r"|(?P<gt>(?:is\s+|comes\s+|falls\s+)?(?:later\s+than|after)|(?:is\s+)?(?:greater|more|higher|larger|bigger)\s+than"
    r"|exceeds|is\s+over|is\s+above|>)"
    r"|(?P<lt>(?:is\s+|comes\s+|falls\s+)?(?:earlier\s+than|before)|(?:is\s+)?(?:less|lower|smaller|fewer)\s+than"
    r"|is\s+under|is\s+below|<)"
    r"|(?P<ne>is\s+not|isn't|does\s+not\s+equal|differs\s+from|!=|<>)"
    r"|(?P<eq>equals|is\s+equal\s+to|is\s+the\s+same\s+as|==|=|is)"
    r")\s+",
    re.I,
)
_NULL = re.compile(r"^(?P<c>.+?)\s+(?:is|are)\s+(?P<not>not\s+)?(?:missing|null|empty|blank|unknown|not\s+set)$", re.I)
_SET = re.compile(r"^(?P<c>.+?)\s+(?:is|are)\s+(?:set|present|filled\s+in|recorded|known|not\s+null)$", re.I)
_SYMBOL = {"ge": ">=", "le": "<=", "gt": ">", "lt": "<", "ne": "!=", "eq": "="}
_NOT_NAMES = frozenset({"it", "is", "value", "flag", "column", "field", "and", "or", "the", "a", "an", "row", "rows"})


def rule(v: View) -> list[Claim]:
    """The boolean columns the request defines by a condition."""
    d = Work(v)
    for m in _FLAG.finditer(d.prompt):
        name = m.group("name")
        if name.lower() in _NOT_NAMES or not d.free(m.start("name"), m.end()):
            continue
        if any(d.catalog.table(t).has_column(name) for t in in_play(d)):
            continue  # "status = true when ...": a column of the rows is no new name
        cond = _condition(d, m.group("cond").strip())
        if cond is None:
            continue
        expr = f"coalesce({cond}, FALSE)" if m.group("else") else cond
        add(d, name, expr, m.start(), m.end())
    return d.claims()


def _condition(d: Work, text: str) -> str | None:
    """SQL for ``text`` ("paid_at is after due_at", "plan is 'pro'", "closed_date is empty"), or None."""
    nm = _NULL.match(text)
    if nm:
        col = column_phrase(d, nm.group("c"), min_score=0.8)
        return f"{col} IS {'NOT ' if nm.group('not') else ''}NULL" if col else None
    sm = _SET.match(text)
    if sm:
        col = column_phrase(d, sm.group("c"), min_score=0.8)
        return f"{col} IS NOT NULL" if col else None
    op = _OP.search(text)
    if op is None:
        return None
    symbol = _SYMBOL[next(k for k, x in op.groupdict().items() if x)]
    left = column_phrase(d, text[: op.start()], min_score=0.8)
    if left is None:
        return None
    right = _operand(d, text[op.end() :].strip(), left)
    return f"{left} {symbol} {right}" if right else None


def _operand(d: Work, raw: str, left: str) -> str | None:
    """The right side of a comparison with ``left``: a number, a quoted value, a column of the same kind,
    or a value of ``left``'s data."""
    kind = family(d, left)
    if re.fullmatch(r"-?\d[\d,]*(?:\.\d+)?", raw):
        return str(parse_number(raw)) if kind in NUMERIC_FAMILIES else None
    if len(raw) > 1 and raw[0] == raw[-1] and raw[0] in "'\"":
        return "'" + raw[1:-1].replace("'", "''") + "'" if kind not in NUMERIC_FAMILIES else None
    col = column_phrase(d, raw, min_score=0.8)
    if col is not None:
        other = family(d, col)
        same = (kind == other or {kind, other} <= NUMERIC_FAMILIES or {kind, other} <= TEMPORAL_FAMILIES)
        return col if same else None
    table = left.rsplit(".", 1)[0]
    hits = [h for h in d.linker.values(raw, [table]) if h.score >= 0.85 and f"{h.table}.{h.column}" == left]
    if hits:
        return "'" + str(hits[0].value).replace("'", "''") + "'"
    return None
