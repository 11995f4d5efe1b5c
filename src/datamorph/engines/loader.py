"""``datamorph load``: CSV/Parquet files into warehouse tables, on any engine."""

from __future__ import annotations

from typing import Any

from datamorph.engines.base import Engine
from datamorph.engines.pg_load import LoadResult, qualified
from datamorph.errors import ConfigError


def load_path(engine: Engine, path: str, table: str | None = None, *, replace: bool = False) -> list[LoadResult]:
    """Load a file (or a folder: one table per file, or all into ``table``) into permanent tables.

    PostgreSQL streams the rows with COPY; DuckDB creates the table from its own file readers.
    An existing table of the same name is an error unless ``replace``.
    """
    from datamorph.engines.pg_files import load_files, plan_load

    if engine.name == "postgres":
        return load_files(engine, path, table, replace=replace)  # type: ignore[arg-type]
    if engine.name != "duckdb":
        raise ConfigError(f"`datamorph load` does not support the {engine.name} engine")
    duck: Any = engine
    duck._require_writable(f"load '{path}'", ConfigError)
    out: list[LoadResult] = []
    for plan in plan_load(path, table):
        found = duck._find(plan.table)
        if found is not None and not replace:
            raise ConfigError(f"the warehouse already has a {found[0]} called '{plan.table}'",
                              hint="pass --replace to replace it, or --table to load under another name",
                              table=plan.table)  # fmt: skip
        if found is not None and found[0] == "view":
            duck._rows(f"DROP VIEW {qualified(plan.table, 'main')}")
        try:
            duck._rows(f"CREATE OR REPLACE TABLE {qualified(plan.table, 'main')} AS {plan.select}")
        except Exception as e:
            raise ConfigError(f"loading '{plan.source}' into '{plan.table}' failed: {e}", table=plan.table) from e
        cols = duck.table_columns(f"main.{plan.table}")
        rows = int(duck.scalar(f"SELECT count(*) FROM {qualified(plan.table, 'main')}") or 0)
        out.append(LoadResult(plan.table, rows, [(c.name, c.type) for c in cols]))
    return out
