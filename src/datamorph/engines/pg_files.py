"""CSV and Parquet files into PostgreSQL: ``register_file`` and ``datamorph load``.

The server cannot read the client's files, so a file is loaded: read by DuckDB (the readers
and CSV checks of :mod:`files`, shared with the DuckDB engine), streamed with COPY (:mod:`pg_load`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datamorph.catalog import TableInfo
from datamorph.engines.files import CsvOptions, file_reader, plan_load, read_error, read_sql
from datamorph.engines.pg_load import LoadResult, load_query, qualified
from datamorph.errors import ConfigError, DataMorphError

if TYPE_CHECKING:
    from datamorph.engines.postgres import PostgresEngine


def register_file(engine: PostgresEngine, name: str, path: str, *, persist: bool = False,
                  options: CsvOptions | None = None) -> TableInfo:  # fmt: skip
    """Load ``path`` into table ``name``: temporary (this session) or, with ``persist``, permanent."""
    from datamorph.engines.files import FILE_MARK

    psycopg = __import__("psycopg")
    select, source = read_sql(path, options)  # checks every CSV file first
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
    duck = file_reader()
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
        if isinstance(e, DataMorphError):
            raise
        raise read_error(e, source) from e
    finally:
        duck.close()
    oid = engine._resolve(f"temp.{name}" if not persist else f"{engine.schema}.{name}")[0]
    return TableInfo(name=name, columns=engine._columns_of(oid), schema="temp" if not persist else engine.schema,
                     kind="file", row_count=res.rows, source=source)  # fmt: skip


def load_files(engine: PostgresEngine, path: str, table: str | None = None, *, replace: bool = False,
               options: CsvOptions | None = None) -> list[LoadResult]:  # fmt: skip
    """Load a CSV/Parquet file or folder into permanent tables (one transaction per table), then ANALYZE them.

    Every CSV file is checked before the first table is written (:func:`files.check_csv`).
    """
    import duckdb

    psycopg = __import__("psycopg")
    from datamorph.engines.pg_sql import message

    engine._require_writable(f"load '{path}'", ConfigError)
    plans = plan_load(path, table, options)
    out: list[LoadResult] = []
    duck = file_reader()
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
                except duckdb.Error as e:  # a bad line past the sniffer's sample; the transaction rolled back
                    raise read_error(e, plan.source) from e
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
