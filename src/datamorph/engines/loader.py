"""``datamorph load`` and ``register``: CSV/Parquet files into warehouse tables, on any engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from datamorph.engines.base import Engine
from datamorph.engines.files import CsvOptions, plan_load, read_error
from datamorph.engines.pg_load import LoadResult, qualified
from datamorph.errors import ConfigError


@contextmanager
def open_for_loading(warehouse: str, *, lock_timeout: float = 30.0) -> Iterator[Engine]:
    """The warehouse to load files into, created when it is a DuckDB path that does not exist yet.

    ``engine.created`` tells whether it was created here. A warehouse created here is removed again
    when the load fails, so a failed first load leaves nothing behind; an existing file is never
    created over, removed or rewritten (:class:`DuckDBEngine` refuses files that are not DuckDB).
    """
    from datamorph.engines import connect

    engine = connect(warehouse, create=True, lock_timeout=lock_timeout)
    created = bool(getattr(engine, "created", False))
    try:
        yield engine
    except BaseException:
        engine.close()
        if created:
            for p in (Path(warehouse).expanduser(), Path(f"{Path(warehouse).expanduser()}.wal")):
                p.unlink(missing_ok=True)
        raise
    engine.close()


def load_path(engine: Engine, path: str, table: str | None = None, *, replace: bool = False,
              options: CsvOptions | None = None) -> list[LoadResult]:  # fmt: skip
    """Load a file (or a folder: one table per file, or all into ``table``) into permanent tables.

    Every CSV file is checked before the first table is written (:func:`files.check_csv`); ``options``
    override what DuckDB's sniffer guesses. PostgreSQL streams the rows with COPY; DuckDB creates
    the table from its own file readers. An existing table of the same name is an error unless ``replace``.
    """
    import duckdb

    from datamorph.engines.pg_files import load_files

    if engine.name == "postgres":
        return load_files(engine, path, table, replace=replace, options=options)  # type: ignore[arg-type]
    if engine.name != "duckdb":
        raise ConfigError(f"`datamorph load` does not support the {engine.name} engine")
    duck: Any = engine
    duck._require_writable(f"load '{path}'", ConfigError)
    plans = plan_load(path, table, options)
    out: list[LoadResult] = []
    for plan in plans:
        found = duck._find(plan.table)
        if found is not None and not replace:
            raise ConfigError(f"the warehouse already has a {found[0]} called '{plan.table}'",
                              hint="pass --replace to replace it, or --table to load under another name",
                              table=plan.table)  # fmt: skip
        try:
            with duck._mutex, duck._transaction():
                if found is not None and found[0] == "view":
                    duck._rows(f"DROP VIEW {qualified(plan.table, 'main')}")
                duck._rows(f"CREATE OR REPLACE TABLE {qualified(plan.table, 'main')} AS {plan.select}")
        except duckdb.Error as e:  # e.g. a bad line past the sniffer's sample; nothing was written
            raise read_error(e, plan.source) from e
        cols = duck.table_columns(f"main.{plan.table}")
        rows = int(duck.scalar(f"SELECT count(*) FROM {qualified(plan.table, 'main')}") or 0)
        out.append(LoadResult(plan.table, rows, [(c.name, c.type) for c in cols]))
    return out
