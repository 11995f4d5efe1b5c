"""The columns a spec element reads, from its typed fields: never from a text dump of it.

A column reference is ``table.column`` or a bare name (a derived column, an aggregation alias,
a window). References sit in the fields that hold a :data:`~datamorph.spec.Ref`
(``column``, ``value_column``, ``group_by``, ``partition_by``, ``keys``) and inside the SQL
of ``expression`` fields, read with SQLGlot (``exp.Column``). Values (``Filter.value``), names,
aliases and provenance are not references: a filter value ``'pre_orders.x'`` reads no table.

>>> from datamorph.spec import Filter
>>> column_refs([Filter(column="pre_orders.amount", operator=">", value="orders.x")])
[('pre_orders', 'amount')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from datamorph.catalog import Catalog

_REF_FIELDS = frozenset({"column", "value_column", "group_by", "partition_by", "keys"})
_SKIP_FIELDS = frozenset({"value", "name", "alias", "provenance", "function", "operator", "direction", "nulls",
                          "frame", "offset", "round", "keep"})  # fmt: skip
_PLAIN_REF = re.compile(r"(?:(?P<t>[A-Za-z_]\w*)\.)?(?P<c>[A-Za-z_]\w*)")
_IDENT = re.compile(r"(?:(?P<t>[A-Za-z_]\w*)\.)?(?P<c>[A-Za-z_]\w*)")
_QUOTED = re.compile(r"'(?:[^']|'')*'")

Ref = tuple[str | None, str]  # (table or None for a bare name, column or name)


def column_refs(items: Iterable[Any], group_by: Iterable[str] = ()) -> list[Ref]:
    """Every column reference in ``items`` (spec elements, nested conditions included) and ``group_by``."""
    out: list[Ref] = []
    for item in items:
        out.extend(_walk(item))
    for g in group_by:
        out.extend(_ref(g))
    return out


def split_column(catalog: Catalog, ref: str) -> tuple[str, str]:
    """``table.column`` as (table, column) where either name may hold a dot: the split the catalog knows.

    >>> from datamorph.catalog import Catalog, ColumnInfo, TableInfo
    >>> cat = Catalog(tables={"a.b": TableInfo(name="a.b", columns=[ColumnInfo(name="x", type="INTEGER")])})
    >>> split_column(cat, "a.b.x")
    ('a.b', 'x')
    """
    parts = ref.split(".")
    for i in range(len(parts) - 1, 0, -1):
        table, column = ".".join(parts[:i]), ".".join(parts[i:])
        if catalog.has_table(table) and catalog.table(table).has_column(column):
            return table, column
    table, _, column = ref.rpartition(".")  # not in the catalog: the planner writes no dot into a column name
    return table, column


def refers_to(catalog: Catalog, table: str, other: str) -> bool:
    """``table`` holds a foreign key to ``other`` (its rows are events or parts of ``other``'s rows)."""
    return any(fk.ref_table.lower().split(".")[-1] == other.lower() for fk in catalog.table(table).foreign_keys)


def owner_table(catalog: Catalog, ref: str) -> str:
    """The table part of a ``table.column`` reference (see :func:`split_column`); a bare name as it is."""
    return split_column(catalog, ref)[0] if "." in ref else ref


def tables_read(items: Iterable[Any], group_by: Iterable[str] = ()) -> set[str]:
    """The table names (lower case) the references in ``items`` and ``group_by`` qualify columns with."""
    return {t.lower() for t, _ in column_refs(items, group_by) if t}


def names_read(items: Iterable[Any], group_by: Iterable[str] = ()) -> set[str]:
    """The referenced names (lower case), qualified ``table.column`` and bare, of ``items`` and ``group_by``."""
    return {(f"{t}.{c}" if t else c).lower() for t, c in column_refs(items, group_by)}


def _walk(item: Any) -> Iterator[Ref]:
    if isinstance(item, BaseModel):
        for field in type(item).model_fields:
            if field in _SKIP_FIELDS:
                continue
            value = getattr(item, field)
            if field in _REF_FIELDS:
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str):
                        yield from _ref(v)
            elif field == "expression" and isinstance(value, str):
                yield from _expression(value)
            else:
                yield from _walk(value)
    elif isinstance(item, (list, tuple)):
        for x in item:
            yield from _walk(x)


def _ref(text: str) -> list[Ref]:
    m = _PLAIN_REF.fullmatch(text.strip())
    if m:
        return [(m.group("t"), m.group("c"))]
    return list(_expression(text))  # filters may hold a small expression


def expression_refs(sql: str) -> tuple[Ref, ...]:
    """The column references in one SQL expression, read with SQLGlot (a table name may hold a dot)."""
    return _expression(sql)


@functools.lru_cache(maxsize=4096)
def _expression(text: str) -> tuple[Ref, ...]:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except (SqlglotError, ValueError):
        tree = None
    if tree is None:  # not SQL the compiler will take either; its identifiers, outside quoted strings
        return tuple((m.group("t"), m.group("c")) for m in _IDENT.finditer(_QUOTED.sub(" ", text)))
    return tuple(
        (c.table or None, c.name) for c in tree.find_all(exp.Column) if not isinstance(c.this, exp.Star)
    )
