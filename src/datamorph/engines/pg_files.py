"""DuckDB warehouse files into PostgreSQL, for the tests and benchmarks.

Loading the user's CSV and Parquet files is :meth:`PostgresEngine.register_file` and
:meth:`Engine.load` (read by DuckDB through :mod:`files`, streamed with COPY by :mod:`pg_load`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datamorph.engines.base import LoadResult

if TYPE_CHECKING:
    from datamorph.engines.postgres import PostgresEngine


def load_duckdb_tables(engine: PostgresEngine, duck_path: str, tables: list[str] | None = None) -> list[LoadResult]:
    """Copy the tables of a DuckDB warehouse file into PostgreSQL (:meth:`PostgresEngine.copy_duckdb_tables`)."""
    return engine.copy_duckdb_tables(duck_path, tables)
