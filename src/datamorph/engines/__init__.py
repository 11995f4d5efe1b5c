"""Engines, picked by the form of the warehouse address."""

from __future__ import annotations

from datamorph.engines.base import Engine, PublishResult, QueryResult, RollbackResult, VersionInfo


def connect(
    warehouse: str,
    *,
    create: bool = False,
    lock_timeout: float = 30.0,
    read_only: bool = False,
    external_access: bool = True,
) -> Engine:
    """Open the warehouse at ``warehouse``: a PostgreSQL URL (``postgresql://user@host:port/db``), a Spark
    warehouse folder (``spark:///ABSOLUTE/DIR``, or ``spark://HOST:PORT/DIR`` on a cluster) or a DuckDB file path.

    Raises:
        WarehouseNotFound: the path does not exist and ``create`` is false, the file is not a DuckDB
            database (an empty file, a CSV...: refused before DuckDB opens it, so it is never written),
            or the server cannot be reached.
        ConfigError: a PostgreSQL URL but psycopg is not installed (``pip install "datamorph[postgres]"``), or
            a Spark address but pyspark is not (``pip install "datamorph[spark]"``).
        ConcurrencyError: another process holds the warehouse for longer than ``lock_timeout`` seconds.

    ``external_access=False`` opens a DuckDB warehouse with file and network access disabled (no
    ``read_csv``, ``COPY``, ``ATTACH``, ``INSTALL``) except for the files that tables added with
    ``register_file(..., persist=True)`` read. Every connection of one process to one DuckDB
    file must agree on it; PostgreSQL ignores it. ``create=True`` creates a missing DuckDB file
    (``engine.created`` then says so).
    """
    if warehouse.startswith("spark://"):
        from datamorph.engines.spark import SparkEngine

        return SparkEngine(warehouse, create=create, lock_timeout=lock_timeout, read_only=read_only)
    if warehouse.startswith(("postgresql://", "postgres://")):
        from datamorph.engines.postgres import PostgresEngine

        return PostgresEngine(warehouse, create=create, lock_timeout=lock_timeout, read_only=read_only)
    from datamorph.engines.duckdb import DuckDBEngine

    return DuckDBEngine(warehouse, create=create, lock_timeout=lock_timeout, read_only=read_only,
                        external_access=external_access)  # fmt: skip


__all__ = ["Engine", "PublishResult", "QueryResult", "RollbackResult", "VersionInfo", "connect"]
