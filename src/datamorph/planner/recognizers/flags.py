"""Boolean columns defined by a comparison: a name, "true when", and a condition on the row.

- "shipped_late = true when shipped_at is after promised_at, otherwise false" (or "..., false otherwise")
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

from sqlglot import exp

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES, TypeFamily
from datamorph.compiler.conditions import compile_condition
from datamorph.errors import DataMorphError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.common import named_table
from datamorph.planner.recognizers.derivekit import Work, add, column_phrase, family, in_play, snake
from datamorph.planner.text import parse_number
from datamorph.spec import Condition, DerivedColumn, OutputColumn

_FLAG = re.compile(
    r"(?<![\w.])(?:(?:called|named)\s+)?(?P<name>[A-Za-z_]\w*)\s*(?:=|:|\(|-|,|(?:which|that)\s+is|is)\s*"
    r"(?:set\s+to\s+)?(?:true|yes)\s+(?:when|if|whenever|where)\s+(?P<cond>[^,;.()]{1,160}?)"
    r"(?:\s*,?\s*(?:and\s+)?(?:otherwise|else|or)\s+(?P<else>false|no)\b|\s*,?\s*(?:and\s+)?(?P<else2>false|no)\s+"
    r"(?:otherwise|else|if\s+not|in\s+(?:all\s+)?other\s+cases|for\s+(?:the\s+rest|everything\s+else|all\s+others))\b"
    r"|(?=\s*(?:[,;.()]|$)))(?P<close>\s*\))?",
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
        expr = f"coalesce({cond}, FALSE)" if m.group("else") or m.group("else2") else cond
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


# --- "whether ..." ----------------------------------------------------------------------------------------------

#: "whether ...", "(a column | a yes/no flag) (called X) (saying | showing | indicating | that says | for) whether|if
#: ...": a yes/no value asked for each row. "if" only after such a column noun ("orders, if shipped" is no flag).
_WHETHER_LEAD = re.compile(
    r"(?P<noun>\b(?:(?:a|an|one)\s+)?(?:(?:yes/no|yes-or-no|yes-no|true/false|boolean)\s+)?(?:column|flag|field|indicator)"
    r"\s+(?:(?:called|named)\s+(?P<name>[A-Za-z_]\w*)\s+)?"
    r"(?:(?:that\s+|which\s+)?(?:says|shows|indicates|tells|marks)|saying|showing|indicating|telling|marking|for)\s+)?"
    r"\b(?P<w>whether|if)\b"
    # "a flag for amounts over 500", "an indicator of orders placed on a weekend": the clause right after
    r"|(?P<noun2>\b(?:(?:a|an|one)\s+)?(?:(?:yes/no|yes-or-no|yes-no|true/false|boolean)\s+)?(?:flag|indicator)"
    r"\s+(?:(?:called|named)\s+(?P<name2>[A-Za-z_]\w*)\s+)?(?:for|of|on|marking)\s+(?:the\s+)?)(?P<w2>)"
    # "flag orders over 500 (as large)": the verb, the rows, then the clause
    r"|(?P<verb>\bflag(?:ging)?\s+(?:the\s+|all\s+|any\s+|those\s+)?(?P<rows>[A-Za-z_]+)\s+"
    r"(?:(?:that|which|who|whose)\s+(?:are\s+|is\s+|were\s+|was\s+)?|with\s+)?)(?P<w3>)",
    re.I,
)
#: "flag orders over 500 as large": the name the flag is given after the clause
_AS_NAME = re.compile(r"\s+as\s+(?:(?:a|an)\s+)?['\"]?(?P<name>[A-Za-z_]\w*)['\"]?\s*(?=[,.;:!?()]|$)", re.I)
#: what comes before a bare "whether" that adds it to each row: "orders and whether ...", "with whether", ", whether"
#: ("regardless of whether", "depending on whether", "tell me whether" are no value of a row)
_WHETHER_JOINS = re.compile(r"(?:\b(?:and|with|plus|including|showing|indicating|saying|marking|telling)|\b(?:along|together)"
                            r"\s+with|,)\s*$", re.I)  # fmt: skip
#: a clause that asks about the rows together ("whether any order ...", "whether there are ..."): no row's value
_WHETHER_ALL = re.compile(r"\s*(?:any|all|there|some|none|every|each\s+of)\b", re.I)
#: the end of a "whether" clause: punctuation, or the next "and whether"
_CLAUSE_END = re.compile(r"[,.;:!?()]|\s+and\s+(?:whether|if)\b|$", re.I)
#: words of the clause that do not name the condition
_NAME_SKIP = frozenset(
    "they it he she the a an their its his her each one this that was were is are be been being has have had do does "
    "did there any those these ones".split()
)


def whether(v: View) -> list[Claim]:
    """A condition said in a "whether ..." clause is a yes/no value shown for each row, not a filter on the rows:
    "orders and whether they were cancelled", "customers with a column saying whether the amount is over 500",
    "a flag called big indicating if the fee is above 200". The condition recognizers have read the clause as one
    row filter; it becomes ``CASE WHEN <condition> THEN TRUE ELSE FALSE END`` (a row whose value is missing does
    not meet the condition: FALSE, as a filter would have left it out), named as said ("called X") or by the
    clause's words ("is_cancelled", "amount_over_500"), and the rows are kept. Left alone (the guard in
    :func:`datamorph.planner.draft._check_whether_clauses` then refuses): a clause read as anything but exactly one
    filter, a condition on another table's columns (its join would drop rows), and a request with measures."""
    d = Work(v)
    if d.aggregations or d.group_by or d.base is None:
        return d.claims()
    for m in _WHETHER_LEAD.finditer(d.prompt):
        said = m.group("noun2") or m.group("verb")  # (no "whether": a flag's noun or verb says it)
        if not said and not m.group("noun") and (m.group("w").lower() == "if" or not _WHETHER_JOINS.search(
                d.prompt, 0, m.start())):  # fmt: skip
            continue
        if m.group("verb") and named_table(d, m.group("rows")) != d.base:
            continue  # "flag orders over 500": the rows are the base's
        if _WHETHER_ALL.match(d.prompt, m.end()):
            continue
        lead = (m.start(), m.start("rows")) if m.group("verb") else (m.start(), m.end())
        if not d.free(*lead):
            continue
        end = _CLAUSE_END.search(d.prompt, m.end())
        start, stop = m.start("rows") if m.group("verb") else m.end(), end.start() if end else len(d.prompt)
        named = _AS_NAME.search(d.prompt, start, stop) if m.group("verb") else None
        if named is not None:
            stop = named.start()
        conds = [c for c in d.filters if _said_within(d.prompt, c.provenance, start, stop)]
        if len(conds) != 1 or not _only_filters_within(v, start, stop):
            continue
        cond = conds[0]
        sql = _condition_sql(d, cond)
        if sql is None:
            continue
        name = m.group("name") or m.group("name2") or (named and f"is_{named.group('name').lower()}") or _name_from(
            d, d.prompt[m.end() : stop])  # fmt: skip  ("flag orders over 500": named by the clause after the rows)
        if name is None:
            continue
        col = DerivedColumn(name=name, expression=f"CASE WHEN {sql} THEN TRUE ELSE FALSE END",
                            provenance=d.prompt[m.start() : stop].strip())  # fmt: skip
        edits = [Edit.remove("filters", cond), Edit.add("derived", col)]
        if d.columns:
            edits.append(Edit.add("columns", OutputColumn(column=name)))
        d.filters = [c for c in d.filters if c is not cond]
        d.derived.append(col)
        spans = [lead] + ([(named.start(), named.end())] if named is not None else [])
        d.take(tuple(spans), *edits, over=False, why="a yes/no value for each row, not a filter")
    return d.claims()


def _said_within(prompt: str, said: str | None, start: int, stop: int) -> bool:
    """The words ``said`` (a condition's provenance) are written within ``[start, stop)``."""
    if not said or not said.strip():
        return False
    at = prompt.lower().find(said.strip().lower(), start)
    return at >= 0 and at + len(said.strip()) <= stop


def _only_filters_within(v: View, start: int, stop: int) -> bool:
    """Every claim on words of ``[start, stop)`` lies within it and only adds filters (or names the base table)."""
    for r in v.records:
        if not any(a < stop and b > start for a, b in r.spans):
            continue
        if any(a < start or b > stop for a, b in r.spans):
            return False
        if any(not (e.startswith(("filters + ", "doubts + ")) or e == f"table {v.base}") for e in r.edits):
            return False
    return _no_other_reading(v, start, stop)


def _no_other_reading(v: View, start: int, stop: int) -> bool:
    """No doubt on the clause's words has a reading the moved condition would lose (the readings of a doubt are
    built on the spec's filters, :mod:`datamorph.planner.ambiguity`): only a column word whose other tables are
    not in play is let through."""
    tables = {t.lower() for t in in_play(v)}
    for doubt in v.doubts:
        if not _said_within(v.prompt, doubt.words, start, stop):
            continue
        if doubt.kind != "column_table" or any(o.split(".", 1)[0].lower() in tables for o in doubt.others):
            return False
    return True


def _condition_sql(d: Work, cond: Condition) -> str | None:
    """``cond`` as SQL over the base table's columns (the compiler's reading of a condition), or None when it reads
    another table's columns or a name the request defined."""
    base = d.catalog.table(d.base)

    def names(ref: str) -> tuple[exp.Expr, TypeFamily]:
        table, _, column = ref.rpartition(".")
        if table.lower() not in ("", base.name.lower()) or not base.has_column(column):
            raise _Elsewhere(ref)
        return exp.column(column, table=base.name), base.column(column).family

    def trees(tree: exp.Expr) -> exp.Expr:
        for c in tree.find_all(exp.Column):
            if c.table.lower() != base.name.lower() or not base.has_column(c.name):
                raise _Elsewhere(c.sql())
        return tree

    try:
        return compile_condition(cond, names, trees).sql(dialect="duckdb")
    except (_Elsewhere, DataMorphError):
        return None


class _Elsewhere(Exception):
    """A condition reads a column that is not the base table's."""


def _name_from(d: Work, clause: str) -> str | None:
    """A column name from the clause's words: "they were cancelled" → is_cancelled, "the amount is over 500" →
    amount_over_500, "they have a phone" → has_phone; "_flag" added when that is a column's or a new name already."""
    words = [w for w in re.findall(r"[a-z0-9]+", clause.lower())]
    has = any(w in ("has", "have", "had") for w in words[:3])
    kept = [w for w in words if w not in _NAME_SKIP][:5]
    if not kept:
        return None
    name = snake(" ".join(kept))
    if has:
        name = "has_" + name
    elif len(kept) == 1 and not name.startswith(("is_", "has_")):
        name = "is_" + name
    if any(d.catalog.table(t).has_column(name) for t in in_play(d)) or name.lower() in d.defined_names():
        name += "_flag"
    return name
