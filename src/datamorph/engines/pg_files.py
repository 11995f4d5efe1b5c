"""CSV and Parquet files into PostgreSQL: ``register_file`` and ``datamorph load``.

The server cannot read the client's files, so a file is loaded: read by DuckDB (the readers
of the DuckDB engine, folders with ``union_by_name``), streamed with COPY (:mod:`pg_load`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datamorph.catalog import TableInfo
from datamorph.engines.pg_load import LoadResult, load_query, qualified
from datamorph.errors import ConfigError

if TYPE_CHECKING:
    from datamorph.engines.postgres import PostgresEngine


def _duck() -> Any:
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})


def file_query(path: str) -> tuple[str, str]:
    """(DuckDB SELECT reading the file or folder, absolute source path); ConfigError for bad input."""
    from datamorph.engines.duckdb import DuckDBEngine

    reader, source_sql, source, folder = DuckDBEngine._file_source(path)
    options = ", union_by_name = true" if folder else ""
    return f"SELECT * FROM {reader}({source_sql}{options})", source


def register_file(engine: PostgresEngine, name: str, path: str, *, persist: bool = False) -> TableInfo:
    """Load ``path`` into table ``name``: temporary (this session) or, with ``persist``, permanent."""
    from datamorph.engines.postgres import FILE_MARK

    psycopg = __import__("psycopg")
    select, source = file_query(path)
    con = engine._conn()
    existing = engine._find(con, engine.schema, name)
    temp_existing = con.execute(
        "SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND lower(relname) = lower(%s)", [name]
    ).fetchone()[0]
    if existing is not None:
        _oid, actual, kind, comment = existing
        is_file = kind == "table" and str(comment or "").startswith(FILE_MARK)
        if not (persist and is_file):
            raise ConfigError(f"the warehouse already has a {kind} called '{name}'",
                              hint="register the file under another name"
                              + (" (or pass persist to replace a registered file table)" if is_file else ""),
                              table=name)  # fmt: skip
    duck = _duck()
    try:
        with con.transaction():
            if persist and existing is not None:
                con.execute(f"DROP TABLE {qualified(existing[1], engine.schema)}".encode())
            if temp_existing:
                con.execute(f"DROP TABLE {qualified(name, 'pg_temp')}".encode())
            res = load_query(con, duck, select, name, engine.schema, temporary=not persist,
                             comment=f"{FILE_MARK} {source}")  # fmt: skip
    except psycopg.Error as e:
        from datamorph.engines.pg_sql import message

        raise ConfigError(f"cannot load '{path}': {message(e)}", path=str(path)) from e
    except Exception as e:  # DuckDB could not read the file
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(f"cannot read '{path}': {e}", hint="check that the file is a valid CSV or Parquet file",
                          path=str(path)) from e  # fmt: skip
    finally:
        duck.close()
    oid = engine._resolve(f"temp.{name}" if not persist else f"{engine.schema}.{name}")[0]
    return TableInfo(name=name, columns=engine._columns_of(oid), schema="temp" if not persist else engine.schema,
                     kind="file", row_count=res.rows, source=source)  # fmt: skip


@dataclass
class LoadPlan:
    table: str
    select: str
    source: str


def plan_load(path: str, table: str | None = None) -> list[LoadPlan]:
    """What ``datamorph load PATH [--table NAME]`` loads: a file (or, with ``--table``, a folder) as one
    table, or each file of a folder as a table named after the file."""
    p = Path(path).expanduser()
    if p.is_dir() and table is None:
        plans = []
        for f in sorted(p.iterdir()):
            low = f.name.lower()
            if f.is_file() and low.endswith((".csv", ".tsv", ".csv.gz", ".tsv.gz", ".parquet", ".pq")):
                select, source = file_query(str(f))
                plans.append(LoadPlan(f.name.split(".")[0], select, source))
        if not plans:
            raise ConfigError(f"folder '{path}' has no .csv or .parquet files", path=str(path))
        return plans
    select, source = file_query(str(p))
    return [LoadPlan(table or p.name.split(".")[0], select, source)]


def load_files(engine: PostgresEngine, path: str, table: str | None = None, *, replace: bool = False) -> list[LoadResult]:
    """Load a CSV/Parquet file or folder into permanent tables (one transaction per table), then ANALYZE them."""
    psycopg = __import__("psycopg")
    from datamorph.engines.pg_sql import message

    engine._require_writable(f"load '{path}'", ConfigError)
    plans = plan_load(path, table)
    out: list[LoadResult] = []
    duck = _duck()
    try:
        with engine._mutex:
            con = engine._conn()
            for plan in plans:
                existing = engine._find(con, engine.schema, plan.table)
                if existing is not None and not replace:
                    raise ConfigError(f"the warehouse already has a {existing[2]} called '{plan.table}'",
                                      hint="pass --replace to replace it, or --table to load under another name",
                                      table=plan.table)  # fmt: skip
                try:
                    with con.transaction():
                        if existing is not None:
                            con.execute(f"DROP TABLE {qualified(existing[1], engine.schema)}".encode())
                        out.append(load_query(con, duck, plan.select, plan.table, engine.schema))
                    con.execute(f"ANALYZE {qualified(plan.table, engine.schema)}".encode())
                except psycopg.Error as e:
                    raise ConfigError(f"loading '{plan.source}' into '{plan.table}' failed: {message(e)}",
                                      table=plan.table) from e  # fmt: skip
    finally:
        duck.close()
    return out


def load_duckdb_tables(engine: PostgresEngine, duck_path: str, tables: list[str] | None = None) -> list[LoadResult]:
    """Copy the tables of a DuckDB warehouse file (with their primary keys) into PostgreSQL, then ANALYZE.

    Used by the tests and the PostgreSQL benchmark to load the fixture and demo warehouses.
    """
    import duckdb

    duck = duckdb.connect(duck_path, read_only=True)
    out: list[LoadResult] = []
    try:
        names = [r[0] for r in duck.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                            "ORDER BY table_name").fetchall()]  # fmt: skip
        pks = {r[0]: list(r[1]) for r in duck.execute("SELECT table_name, constraint_column_names FROM "
                                                      "duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                                                      "AND schema_name = 'main'").fetchall()}  # fmt: skip
        with engine._mutex:
            con = engine._conn()
            for name in names:
                if tables is not None and name not in tables:
                    continue
                with con.transaction():
                    select = f"SELECT * FROM main.{qualified(name, None)}"
                    out.append(load_query(con, duck, select, name, engine.schema, primary_key=pks.get(name, ())))
                con.execute(f"ANALYZE {qualified(name, engine.schema)}".encode())
    finally:
        duck.close()
    return out
