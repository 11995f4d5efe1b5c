"""Sources that change under a run: columns dropped, renamed or retyped after they were read.

A spec is compiled against the catalog of one moment. Two moments can drift apart:

* the spec was planned earlier (``datamorph plan``, a saved ``spec.json``) and a source changed
  before it runs: the planner records the columns the spec reads (``ETLSpec.source_schemas``, from
  :func:`read_columns`) and :func:`check_planned` compares them with the catalog the run reads;
* a source changes while the run is under way, between reading the sources and staging:
  :func:`check_unchanged` compares the columns the compiled SQL reads with the warehouse now.

Either way the run stops with :class:`~datamorph.errors.SchemaChanged`, naming the table and the
column, before anything is published. Only the columns the spec reads count, and their types by
family (integer, decimal, text, date...): a column added, one the spec does not read dropped, or
``DECIMAL(12,2)`` planned on DuckDB and ``numeric(12,2)`` read on PostgreSQL change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from datamorph.catalog import Catalog, type_family
from datamorph.errors import CatalogError, SchemaChanged

if TYPE_CHECKING:
    from datamorph.compiler import CompiledSpec
    from datamorph.engines.base import Engine
    from datamorph.spec import ETLSpec

Columns = dict[str, dict[str, str]]  # table -> {column: type}


def read_columns(compiled: CompiledSpec) -> Columns:
    """The source columns the compiled SQL reads, with their types: ``{table: {column: type}}``."""
    out: Columns = {}
    for block in compiled.blocks:
        by_ref = {s.ref: s.table for s in block.scope.sources}
        for col in block.query.find_all(exp.Column):
            table = by_ref.get(col.table)
            if table is not None and table.has_column(col.name):
                info = table.column(col.name)
                out.setdefault(table.name, {})[info.name] = info.type
    return out


def check_planned(spec: ETLSpec, catalog: Catalog) -> None:
    """Raise SchemaChanged when a column the spec was planned against is gone or has another type."""
    if spec.source_schemas:
        _compare(spec.source_schemas, lambda table: catalog.table(table).columns, "the spec was planned",
                 "plan the request again (or update the spec) against the new schema")  # fmt: skip


def check_unchanged(engine: Engine, compiled: CompiledSpec) -> None:
    """Raise SchemaChanged when a column the compiled SQL reads changed in the warehouse since it was read."""
    _compare(read_columns(compiled), engine.table_columns, "the run read it",
             "run again: it will read the new schema")  # fmt: skip


def _compare(expected: Columns, current_columns, since: str, todo: str) -> None:  # type: ignore[no-untyped-def]
    for table, columns in expected.items():
        try:
            now = {c.name.lower(): c for c in current_columns(table)}
        except CatalogError:
            raise SchemaChanged(f"source table '{table}' was dropped or renamed after {since}",
                                hint=f"nothing was published; {todo}", table=table) from None  # fmt: skip
        for name, typ in columns.items():
            col = now.get(name.lower())
            if col is None:
                raise SchemaChanged(f"column '{name}' of source table '{table}' was dropped or renamed after {since}",
                                    hint=f"nothing was published; {todo}", table=table, column=name)  # fmt: skip
            if type_family(col.type) != type_family(typ):  # by family: engines spell types differently
                raise SchemaChanged(f"column '{name}' of source table '{table}' changed type from {typ} to {col.type} "
                                    f"after {since}", hint=f"nothing was published; {todo}", table=table,
                                    column=name, old_type=typ, new_type=col.type)  # fmt: skip
