"""What the warehouse holds: tables, columns, types, keys, row counts.

Engines fill a :class:`Catalog`; the compiler, planner and validation read it.
Lookups are case-insensitive and fail with a did-you-mean suggestion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from datamorph.errors import CatalogError, suggestion

TypeFamily = Literal["integer", "decimal", "float", "text", "boolean", "date", "timestamp", "time", "other"]

_FAMILY_PATTERNS: list[tuple[str, TypeFamily]] = [
    (r"^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT[248]|"
     r"SERIAL|BIGSERIAL|SMALLSERIAL|LONG|SHORT|BYTE)\b", "integer"),
    (r"^(DECIMAL|NUMERIC)", "decimal"),
    (r"^(DOUBLE|FLOAT|REAL|FLOAT[48])", "float"),
    (r"^(VARCHAR|TEXT|CHAR|STRING|CHARACTER|BPCHAR|NAME|UUID|ENUM)", "text"),
    (r"^(BOOLEAN|BOOL)", "boolean"),
    (r"^DATE$", "date"),
    (r"^(TIMESTAMP|DATETIME)", "timestamp"),
    (r"^TIME\b", "time"),
]  # fmt: skip


def type_family(sql_type: str) -> TypeFamily:
    """The logical family of an engine's type name (``DECIMAL(12,2)`` → ``decimal``)."""
    t = sql_type.strip().upper()
    for pattern, fam in _FAMILY_PATTERNS:
        if re.match(pattern, t):
            return fam
    return "other"


NUMERIC_FAMILIES = frozenset({"integer", "decimal", "float"})
TEMPORAL_FAMILIES = frozenset({"date", "timestamp"})


def compatible(expected: TypeFamily, actual: TypeFamily) -> bool:
    """Whether a column of family ``actual`` can stand where ``expected`` was expected."""
    if expected == actual or "other" in (expected, actual):
        return True
    if expected in NUMERIC_FAMILIES and actual in NUMERIC_FAMILIES:
        return True
    return expected in TEMPORAL_FAMILIES and actual in TEMPORAL_FAMILIES


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    nullable: bool = True

    @property
    def family(self) -> TypeFamily:
        return type_family(self.type)


@dataclass(frozen=True)
class ForeignKey:
    """``table.columns`` reference ``ref_table.ref_columns``; ``inferred`` when guessed from names."""

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    inferred: bool = False


@dataclass
class TableInfo:
    name: str
    columns: list[ColumnInfo]
    schema: str = "main"
    kind: Literal["table", "view", "file"] = "table"
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    row_count: int | None = None
    source: str | None = None  # file path for registered CSV/Parquet

    def column(self, name: str) -> ColumnInfo:
        """The column called ``name`` (case-insensitive) or a CatalogError with a suggestion."""
        low = name.lower()
        for c in self.columns:
            if c.name.lower() == low:
                return c
        raise CatalogError(
            f"unknown column '{name}' in {self.name}",
            hint=suggestion(name, self.column_names()) or f"columns are: {', '.join(self.column_names())}",
            table=self.name,
            column=name,
        )

    def has_column(self, name: str) -> bool:
        low = name.lower()
        return any(c.name.lower() == low for c in self.columns)

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: table, kind, rows, primary_key, columns, foreign_keys."""
        return {
            "table": self.name,
            "kind": self.kind,
            "rows": self.row_count,
            "primary_key": list(self.primary_key),
            "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in self.columns],
            "foreign_keys": [{"columns": list(f.columns), "ref_table": f.ref_table, "ref_columns": list(f.ref_columns),
                              "inferred": f.inferred} for f in self.foreign_keys],  # fmt: skip
        }


@dataclass
class Catalog:
    """The tables of one warehouse, keyed by lower-case name."""

    tables: dict[str, TableInfo] = field(default_factory=dict)
    dialect: str = "duckdb"

    @classmethod
    def of(cls, tables: Iterable[TableInfo], dialect: str = "duckdb") -> Catalog:
        cat = cls({t.name.lower(): t for t in tables}, dialect)
        cat.infer_foreign_keys()
        return cat

    def table(self, name: str) -> TableInfo:
        """The table called ``name`` (``schema.name`` accepted) or a CatalogError with a suggestion."""
        key = name.lower()
        if key in self.tables:
            return self.tables[key]
        bare = key.split(".")[-1]
        if bare in self.tables:
            return self.tables[bare]
        raise CatalogError(
            f"unknown table '{name}'",
            hint=suggestion(name, self.table_names())
            or (f"tables are: {', '.join(self.table_names())}" if self.tables else "the warehouse has no tables"),
            table=name,
        )

    def has_table(self, name: str) -> bool:
        key = name.lower()
        return key in self.tables or key.split(".")[-1] in self.tables

    def table_names(self) -> list[str]:
        return [t.name for t in self.tables.values()]

    def infer_foreign_keys(self) -> None:
        """Add join keys guessed from names: ``orders.customer_id`` → ``customers.customer_id`` or ``customers.id``.

        A guess is added only when the referenced column is the table's single-column
        primary key, or the table has no declared key and the column is named like one.
        """
        by_stem: dict[str, TableInfo] = {}
        for t in self.tables.values():
            for stem in _stems(t.name):
                by_stem.setdefault(stem, t)
        for t in self.tables.values():
            declared = {fk.columns for fk in t.foreign_keys}
            for c in t.columns:
                m = re.match(r"^(.+?)_?id$", c.name, re.I)
                if not m or (c.name,) in declared:
                    continue
                ref = by_stem.get(m.group(1).lower().rstrip("_"))
                if ref is None or ref is t:
                    continue
                ref_col = _key_column(ref, c.name)
                if ref_col is not None:
                    t.foreign_keys.append(ForeignKey((c.name,), ref.name, (ref_col,), inferred=True))
        self._infer_by_key_name()

    def _infer_by_key_name(self) -> None:
        """A column named exactly as one other table's declared primary key, where the names do not share a
        stem (``memberships.club_ref`` → ``clubs_registry.club_ref``; ``org_id`` → organizations): a key to it."""
        owners: dict[str, list[TableInfo]] = {}
        for t in self.tables.values():
            if len(t.primary_key) == 1 and t.primary_key[0].lower() != "id":
                owners.setdefault(t.primary_key[0].lower(), []).append(t)
        for t in self.tables.values():
            linked = {fk.columns[0].lower() for fk in t.foreign_keys if len(fk.columns) == 1}
            own = [p.lower() for p in t.primary_key]
            for c in t.columns:
                refs = owners.get(c.name.lower(), [])
                if len(refs) != 1 or refs[0] is t or c.name.lower() in linked or c.name.lower() in own:
                    continue
                ref = refs[0]
                t.foreign_keys.append(ForeignKey((c.name,), ref.name, (ref.column(c.name).name,), inferred=True))


def _stems(table_name: str) -> set[str]:
    """Names a key column could use for a table: customers → customer, categories → category."""
    n = table_name.lower()
    out = {n}
    if n.endswith("ies"):
        out.add(n[:-3] + "y")
    if n.endswith("ses") or n.endswith("xes"):
        out.add(n[:-2])
    if n.endswith("s"):
        out.add(n[:-1])
    return out


def _key_column(ref: TableInfo, fk_name: str) -> str | None:
    pk = [p.lower() for p in ref.primary_key]
    for cand in (fk_name, "id"):
        if not ref.has_column(cand):
            continue
        real = ref.column(cand).name
        if pk == [real.lower()] or not pk:
            return real
    return None
