"""Shared phrase helpers of the shape recognizers (derived, buckets, dateparts, columns, windows, dedupe, union).

Resolving a phrase to a qualified column or to a name the draft already defines, naming
things in snake_case, giving a new column a name written around it, and adding it.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError, suggestion
from datamorph.planner.draft import Draft
from datamorph.planner.recognizers.common import in_play, mark_chars, resolve_column
from datamorph.planner.refs import tables_read
from datamorph.spec import Aggregation, DerivedColumn, WindowColumn

_DETERMINERS = re.compile(r"^(?:the|a|an|its|their|his|her|each|every|all|of|that|this|those|these)\s+", re.I)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILLER = {"the", "a", "an", "its", "their", "of", "each", "every", "column", "field", "value", "number"}


def clean_phrase(phrase: str) -> str:
    """``the customer's email`` → ``customer email``: determiners and possessives off."""
    p = phrase.strip().strip(",;:.()'\"`")
    while True:
        q = _DETERMINERS.sub("", p)
        if q == p:
            break
        p = q
    return re.sub(r"'s\b", "", p).strip()


def snake(text: str) -> str:
    """A snake_case identifier from free text."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return ("c_" + s if s[:1].isdigit() else s) or "value"


def column_phrase(d: Draft, phrase: str, tables: list[str] | None = None, min_score: float = 0.0) -> str | None:
    """The qualified column ``phrase`` names (``orders.amount``), or None.

    ``min_score``: ignore weaker linker matches (``every customer`` is only a partial match of customer_id).
    """
    p = clean_phrase(phrase)
    if not p or p.lower() in _FILLER:
        return None
    if "." in p and _IDENT.match(p.split(".", 1)[1] or "-"):
        t, c = p.split(".", 1)
        if d.catalog.has_table(t) and d.catalog.table(t).has_column(c):
            d.use_table(d.catalog.table(t).name)
            return f"{d.catalog.table(t).name}.{d.catalog.table(t).column(c).name}"
    if tables is not None:
        hits = [h for h in d.linker.columns(p, tables) if h.score >= min_score]
        return f"{hits[0].table}.{hits[0].column}" if hits else None
    if min_score:
        scoped = [h for h in d.linker.columns(p, in_play(d)) if h.score >= min_score] if in_play(d) else []
        if not scoped and not [h for h in d.linker.columns(p) if h.score >= min_score]:
            return None
    m = resolve_column(d, p)
    if m is None and not min_score:
        return short_name(d, p)
    return f"{m.table}.{m.column}" if m else None


def short_name(d: Draft, phrase: str) -> str | None:
    """``the limit`` → credit_limit: the one column of a table in play whose name holds all the words."""
    words = {w.rstrip("s") for w in clean_phrase(phrase).lower().split() if len(w) > 2}
    if not words:
        return None
    found = [f"{t}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if words <= {x.rstrip("s") for x in c.name.lower().split("_")}]  # fmt: skip
    return found[0] if len(found) == 1 else None


def add_alias(d: Draft, noun: str, name: str) -> None:
    """``the label (call it rating_group)``: from now on "the label" refers to ``name``."""
    d.aliases[clean_phrase(noun).lower()] = name


def defined_name(d: Draft, phrase: str) -> str | None:
    """A name the draft defines (aggregation alias, derived, window) that ``phrase`` refers to, loosely."""
    p = clean_phrase(phrase).lower()
    if not p:
        return None
    alias = d.aliases.get(p)
    if alias:
        return alias
    key = snake(p)
    names = [*(x.name for x in d.derived), *(a.alias for a in d.aggregations), *(w.name for w in d.windows)]
    for n in names:
        if n.lower() == key:
            return n
    words = set(key.split("_")) - _FILLER
    for n in names:  # "the order count" ~ order_count, "count of orders" ~ order_count
        parts = set(n.lower().split("_"))
        stems = {w.rstrip("s") for w in words}
        if words and stems <= {x.rstrip("s") for x in parts} | {"count", "number", "total", "sum"} and (
            stems & {x.rstrip("s") for x in parts}
        ):
            return n
    defined: list[DerivedColumn | Aggregation | WindowColumn] = [*d.derived, *d.aggregations, *d.windows]
    for el in defined:  # the words that defined it
        prov = (el.provenance or "").lower()
        if prov and len(p) > 3 and (p in prov or prov in p):
            return el.alias if isinstance(el, Aggregation) else el.name
    return None


def column_error(d: Draft, phrase: str, what: str = "column") -> PlanError:
    """A PlanError quoting ``phrase`` with the nearest column names."""
    names = [c.name for t in in_play(d) or d.catalog.table_names() for c in d.catalog.table(t).columns]
    hint = suggestion(clean_phrase(phrase).replace(" ", "_"), names) or (
        f"columns are: {', '.join(names[:15])}" if names else None
    )
    return PlanError(f"no {what} matches '{phrase.strip()}'", hint=hint)


def mark_span(d: Draft, start: int, end: int) -> None:
    mark_chars(d, start, end)


def stem(column: str) -> str:
    """``hire_date`` → ``hire``, ``created_at`` → ``created``: a column's name without its date suffix."""
    bare = column.split(".")[-1]
    return re.sub(r"_(date|at|on|time|timestamp|ts|dt)$", "", bare) or bare


_NAME_BEFORE = re.compile(
    r"(?:\b(?:called|named)\s+([A-Za-z_]\w*)\s*(?:=|:|as|which\s+is|that\s+is|being|computed\s+as|calculated\s+as|"
    r"from|by)?\s*|\b([A-Za-z_]\w*)\s*(?:=|:)\s*|\b([A-Za-z_]\w*)\s+(?:(?:computed|calculated|defined)\s+)?as\s+)$",
    re.I,
)
_NAME_FOR_EACH = re.compile(
    r"(?:\b(?:compute|calculate|work\s+out|figure\s+out|derive|add|create|get|give\s+me|show|include)\s+)?"
    r"(?:(?:a|an|the)\s+)?(?:new\s+)?\b(?P<name>[A-Za-z_]\w*)\s+(?:for|of|on)\s+(?:each|every|all|the)\s+"
    r"(?P<rows>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2}?)\s*(?:,\s*)?(?:as|=|:|being|computed\s+as|calculated\s+as)\s*$",
    re.I,
)
_NAME_AFTER = re.compile(
    r"^\s*(?:,\s*)?(?:\(\s*call\s+it\s+([A-Za-z_]\w*)\s*\)|(?:as|called|named|aliased\s+as|into\s+a\s+column)\s+"
    r"([A-Za-z_]\w*))",
    re.I,
)


CONNECTIVES = frozenset({"with", "and", "as", "is", "are", "but", "plus", "or", "to", "by", "of", "for", "from", "in",
                          "computed", "calculated", "called", "named", "where", "when", "if", "then", "that", "which"})
PART_SQL = {"year": "year", "month": "month", "quarter": "quarter", "day": "day", "week": "week",
             "weekday": "dayofweek", "hour": "hour"}  # fmt: skip


def unused(d: Draft, start: int, end: int) -> bool:
    return all(not t.used for t in d.tokens.within(start, end))


def add(d: Draft, name: str, expression: str, start: int, end: int) -> None:
    if name.lower() in d.defined_names():
        raise PlanError(f"the name '{name}' is given to two new columns", hint="give each a different name")
    d.derived.append(DerivedColumn(name=name, expression=expression, provenance=d.prompt[start:end].strip()))
    mark_span(d, start, end)
    intro = _INTRO.search(d.prompt[max(0, start - 40) : start])
    if intro:  # "plus a column ...", "adding a new field ..."
        mark_span(d, start - (min(start, 40) - intro.start()), start)


_INTRO = re.compile(r"\b(?:plus|adding|add|also)\s+(?:(?:a|an|the)\s+)?(?:new\s+)?(?:(?:derived|computed|calculated|"
                    r"extra)\s+)?(?:(?:column|field)\s+)?$", re.I)  # fmt: skip


def name_around(d: Draft, start: int, end: int) -> tuple[str | None, int, int]:
    """A name given just before or after [start, end): ``X = ...``, ``... as X``, ``(call it X)``,
    ``a line_total for each order line as ...`` (the name, then the rows it is computed for)."""
    window = d.prompt[max(0, start - 90) : start]
    scoped = _NAME_FOR_EACH.search(window)
    if scoped and not is_column(d, scoped.group("name")) and d.linker.tables(scoped.group("rows")):
        return scoped.group("name"), start - (len(window) - scoped.start()), end
    before = _NAME_BEFORE.search(d.prompt[max(0, start - 60) : start])
    if before:
        name = next(g for g in before.groups() if g)
        if not (name.lower() in ("is", "it", "with", "and", "a", "the") or is_column(d, name)):
            return name, start - (len(d.prompt[max(0, start - 60) : start]) - before.start()), end
    after = _NAME_AFTER.match(d.prompt[end:])
    if after:
        return next(g for g in after.groups() if g), start, end + after.end()
    return None, start, end


def is_column(d: Draft, word: str) -> bool:
    return any(d.catalog.table(t).has_column(word) for t in in_play(d))


def date_col(d: Draft, phrase: str | None) -> str | None:
    if phrase:
        col = column_phrase(d, phrase)
        if col and family(d, col) in ("date", "timestamp"):
            return col
    dates = [f"{t}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if c.family in ("date", "timestamp")]  # fmt: skip
    return dates[0] if len(dates) == 1 else None


def family(d: Draft, col: str) -> str:
    t, c = col.split(".")
    return d.catalog.table(t).column(c).family


def drop_unreferenced(d: Draft, phrase: str, keep: str | None = None) -> None:
    """A table named only as a key ("per employee", "within each category") is not joined.

    Sources adds every table the request names; when ``phrase`` names a table that no
    qualified column of the draft uses, take it out again (making ``keep`` the base if it was).
    """
    hits = d.linker.tables(clean_phrase(phrase))
    if not hits:
        return
    table = hits[0].table
    if table == keep or table in d.required_tables:
        return
    read = tables_read([*d.filters, *d.derived, *d.aggregations, *d.having, *d.windows, *d.columns, *d.order_by,
                        *([d.dedupe] if d.dedupe else [])], d.group_by)  # fmt: skip
    if table.lower() in read:
        return
    if table in d.tables:
        d.tables.remove(table)
    elif table == d.base and keep is not None:
        d.base = keep
        if keep in d.tables:
            d.tables.remove(keep)


_ROW_SCOPE = re.compile(r"\b(?P<lead>(?:for|of|on|to)\s+(?:each|every|all(?:\s+the)?)\s+)(?P<q>[A-Za-z]\w*\s+)?$", re.I)


def mark_row_scope(d: Draft) -> None:
    """"For each web session add ...": the rows the new columns are computed for. Marks "for each" and a
    descriptive word before the table's name ("web") when it is no value of that table (then it filters)."""
    from datamorph.planner.linking import TableMatch
    from datamorph.planner.recognizers.common import mentions

    tables = {t for x in d.derived for t in re.findall(r"\b([A-Za-z_]\w*)\.[A-Za-z_]", x.expression)}
    for m in mentions(d):
        if not isinstance(m, TableMatch) or m.table not in tables or m.start < 0:
            continue
        scope = _ROW_SCOPE.search(d.prompt[max(0, m.start - 40) : m.start])
        if scope is None:
            continue
        offset = m.start - len(d.prompt[max(0, m.start - 40) : m.start])
        if scope.group("q"):
            q = scope.group("q").strip()
            if d.linker.values(q, [m.table]) or d.linker.columns(q, [m.table]):
                continue  # "for each web order": web is a value of the orders (a filter)
            mark_chars(d, offset + scope.start("q"), offset + scope.end("q"))
        mark_chars(d, offset + scope.start("lead"), offset + scope.end("lead"))
