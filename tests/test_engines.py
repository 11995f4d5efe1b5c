"""Engine contract tests against real warehouses: DuckDB files, a real PostgreSQL server and a local Spark session.

The generic tests use the ``engine`` / ``warehouse`` fixtures, which are
parametrized over ``IMPLEMENTATIONS``: adding an engine means adding a
warehouse builder and an opener below. DuckDB-only behaviour (file locks,
missing or foreign files, extension settings) is tested at the end;
PostgreSQL-only behaviour is in ``test_postgres.py``.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from datamorph.engines import connect
from datamorph.engines.base import HISTORY_SCHEMA, STAGING_SCHEMA, Engine
from datamorph.engines.duckdb import DuckDBEngine
from datamorph.errors import (
    CatalogError,
    ConcurrencyError,
    ConfigError,
    ExecutionError,
    PublishError,
    RollbackError,
    TableNotFound,
    TargetConflict,
    WarehouseNotFound,
)

# Spark's tests share the process's one SparkSession: one xdist worker runs them all
IMPLEMENTATIONS = ["duckdb", "postgres", pytest.param("spark", marks=pytest.mark.xdist_group("spark"))]

# how each engine names the default schema and a DECIMAL(12,2) column
DEFAULT_SCHEMA = {"duckdb": "main", "postgres": "public", "spark": "default"}
DECIMAL_12_2 = {"duckdb": "DECIMAL(12,2)", "postgres": "numeric(12,2)", "spark": "decimal(12,2)"}


def sql_for(engine: Engine, sql: str) -> str:
    """A statement written for DuckDB (double-quoted names) in the engine's dialect (Spark: backticks)."""
    import sqlglot

    return sql if engine.dialect != "spark" else sqlglot.transpile(sql, read="duckdb", write="spark")[0]


def _duckdb() -> Any:
    import duckdb

    return duckdb


# Portable-ish SQL: every engine's builder runs these statements.
SEED_SQL = [
    "CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
    "balance DECIMAL(12,2), signup DATE)",
    "INSERT INTO customers SELECT i, 'customer ' || i, i * 10.25, DATE '2024-01-01' + CAST(i AS INTEGER) "
    "FROM generate_series(1, 20) AS g(i)",
    # no declared key: orders.customer_id -> customers.customer_id must be inferred from names
    "CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, amount DECIMAL(12,2), status VARCHAR)",
    "INSERT INTO orders SELECT i, 1 + i % 20, i * 1.5, CASE WHEN i % 3 = 0 THEN 'open' ELSE 'shipped' END "
    "FROM generate_series(1, 200) AS g(i)",
    "CREATE TABLE order_items (item_id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders(order_id), "
    "qty INTEGER NOT NULL)",
    "INSERT INTO order_items SELECT i, 1 + i % 200, 1 + i % 5 FROM generate_series(1, 50) AS g(i)",
    'CREATE TABLE "Order Details" (id INTEGER PRIMARY KEY, "select" VARCHAR, "Qty" INTEGER)',
    "INSERT INTO \"Order Details\" VALUES (1, 'a', 3), (2, 'b', 4), (3, NULL, 5)",
    "CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100",
    # leftovers of earlier runs that must never show up in the catalog
    f"CREATE SCHEMA {STAGING_SCHEMA}",
    f"CREATE TABLE {STAGING_SCHEMA}.leftover__r0 AS SELECT 1 AS x",
    f"CREATE SCHEMA {HISTORY_SCHEMA}",
    f"CREATE TABLE {HISTORY_SCHEMA}.old__v1 AS SELECT 1 AS x",
]


def build_duckdb_warehouse(tmp_path: Path) -> str:
    path = tmp_path / "warehouse.duckdb"
    con = _duckdb().connect(str(path))
    try:
        for stmt in SEED_SQL:
            con.execute(stmt)
    finally:
        con.close()
    return str(path)


@pytest.fixture(scope="session")
def pg_seeded(pg_server: Any) -> str:
    """A template database holding SEED_SQL; each test gets a copy (CREATE DATABASE ... TEMPLATE)."""
    import psycopg

    url = pg_server.create_database("dm_seed")
    with psycopg.connect(url, autocommit=True) as con:
        for stmt in SEED_SQL:
            con.execute(stmt)
    return "dm_seed"


_PG_COPIES = iter(range(1, 1_000_000))


def _pg_opener(url: str, **kwargs: Any) -> Engine:
    from datamorph.engines.postgres import PostgresEngine

    return PostgresEngine(url, **kwargs)


def _spark_opener(address: str, **kwargs: Any) -> Engine:
    from datamorph.engines.spark import SparkEngine

    return SparkEngine(address, **kwargs)


def build_spark_warehouse(tmp_path: Path) -> str:
    """SEED_SQL's tables and view copied from a DuckDB file into a Spark warehouse folder."""
    from datamorph.engines.spark import SparkEngine, load_duckdb_tables

    address = f"spark://{tmp_path / 'spark_warehouse'}"
    with SparkEngine(address, create=True) as eng:
        load_duckdb_tables(eng, build_duckdb_warehouse(tmp_path))
    return address


OPENERS: dict[str, Callable[..., Engine]] = {"duckdb": DuckDBEngine, "postgres": _pg_opener, "spark": _spark_opener}


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def warehouse(impl: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    if impl == "duckdb":
        yield build_duckdb_warehouse(tmp_path)
        return
    if impl == "spark":
        yield build_spark_warehouse(tmp_path)
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_seeded")
    name = f"dm_engine_{next(_PG_COPIES)}"
    url = server.create_database(name, template=template)
    yield url
    server.drop_database(name)


@pytest.fixture
def open_engine(impl: str, warehouse: str) -> Iterator[Callable[..., Engine]]:
    opened: list[Engine] = []

    def _open(**kwargs: Any) -> Engine:
        eng = OPENERS[impl](warehouse, **kwargs)
        opened.append(eng)
        return eng

    yield _open
    for eng in opened:
        eng.close()


@pytest.fixture
def engine(open_engine: Callable[..., Engine]) -> Engine:
    return open_engine()


def write_file(path: Path, fmt: str, first_id: int = 1, rows: int = 5) -> Path:
    """Write a small CSV or Parquet file with DuckDB's COPY."""
    con = _duckdb().connect()
    try:
        target = str(path).replace("'", "''")
        con.execute(
            f"COPY (SELECT i AS id, 'name ' || i AS label, i * 2.5 AS score "
            f"FROM range({first_id}, {first_id + rows}) AS r(i)) TO '{target}' (FORMAT {fmt})"
        )
    finally:
        con.close()
    return path


# -- catalog --------------------------------------------------------------------------


def test_catalog_columns_types_and_nullability(engine: Engine) -> None:
    cat = engine.catalog()
    customers = cat.table("customers")
    assert customers.kind == "table"
    assert customers.schema == DEFAULT_SCHEMA[engine.name]
    assert customers.column_names() == ["customer_id", "name", "balance", "signup"]
    assert customers.column("balance").type == DECIMAL_12_2[engine.name]
    assert customers.column("balance").family == "decimal"
    assert customers.column("signup").family == "date"
    assert customers.column("name").nullable is False
    assert customers.column("customer_id").nullable is False  # primary key
    assert customers.column("balance").nullable is True


def test_catalog_primary_and_foreign_keys(engine: Engine) -> None:
    cat = engine.catalog()
    assert cat.table("customers").primary_key == ["customer_id"]
    assert cat.table("Order Details").primary_key == ["id"]

    declared = [fk for fk in cat.table("order_items").foreign_keys if not fk.inferred]
    assert [(fk.columns, fk.ref_table.lower(), fk.ref_columns) for fk in declared] == [
        (("order_id",), "orders", ("order_id",))
    ]
    inferred = [fk for fk in cat.table("orders").foreign_keys if fk.inferred]
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in inferred] == [
        (("customer_id",), "customers", ("customer_id",))
    ]


def test_catalog_row_counts_and_views(engine: Engine) -> None:
    cat = engine.catalog()
    assert cat.table("customers").row_count == 20
    assert cat.table("orders").row_count == 200
    assert cat.table("Order Details").row_count == 3
    view = cat.table("big_orders")
    assert view.kind == "view"
    assert view.row_count == engine.scalar("SELECT count(*) FROM orders WHERE amount > 100")
    assert view.column("amount").type == DECIMAL_12_2[engine.name]

    no_counts = engine.catalog(row_counts=False)
    assert all(t.row_count is None for t in no_counts.tables.values())


def test_catalog_excludes_internal_schemas(engine: Engine) -> None:
    engine.stage("SELECT * FROM customers", "customer_copy", "r1")
    names = {n.lower() for n in engine.catalog().table_names()}
    assert names == {"customers", "orders", "order_items", "order details", "big_orders"}
    assert not any("__" in n for n in names)


def test_catalog_restricted_to_named_tables(engine: Engine) -> None:
    cat = engine.catalog(["orders", "CUSTOMERS"])
    assert sorted(cat.table_names()) == ["customers", "orders"]
    assert cat.table("orders").row_count == 200
    # inference still runs on the restricted set
    assert any(fk.inferred for fk in cat.table("orders").foreign_keys)

    with pytest.raises(CatalogError) as err:
        engine.catalog(["custmers"])
    assert "unknown table 'custmers'" in err.value.message
    assert "customers" in (err.value.hint or "")


def test_quoted_names(engine: Engine) -> None:
    details = engine.catalog().table("order details")
    assert details.column_names() == ["id", "select", "Qty"]
    res = engine.sample("Order Details", 10)
    assert res.columns == ["id", "select", "Qty"]
    assert len(res.rows) == 3
    assert engine.table_columns("main.Order Details")[1].name == "select"

    staged = engine.stage(
        sql_for(engine, 'SELECT "select", "Qty" FROM "Order Details" WHERE "Qty" > 3'), "Order Details Copy", "r-1"
    )
    assert [c.name for c in engine.table_columns(staged)] == ["select", "Qty"]
    out = engine.publish(staged, "Order Details Copy", "r-1")
    assert out.rows == 2
    assert engine.fetch(sql_for(engine, 'SELECT "select" FROM "Order Details Copy" ORDER BY "Qty"')).rows == [
        ("b",), (None,)]


# -- fetch / sample / table_columns -----------------------------------------------------


def test_fetch_rows_params_and_truncation(engine: Engine) -> None:
    res = engine.fetch("SELECT customer_id, name FROM customers WHERE customer_id <= ? ORDER BY 1", [3])
    assert res.columns == ["customer_id", "name"]
    assert res.rows == [(1, "customer 1"), (2, "customer 2"), (3, "customer 3")]
    assert res.truncated is False
    assert res.dicts()[0] == {"customer_id": 1, "name": "customer 1"}

    cut = engine.fetch("SELECT order_id FROM orders ORDER BY 1", max_rows=5)
    assert cut.rows == [(1,), (2,), (3,), (4,), (5,)]
    assert cut.truncated is True
    exact = engine.fetch("SELECT order_id FROM orders WHERE order_id <= 5", max_rows=5)
    assert exact.truncated is False
    assert engine.scalar("SELECT count(*) FROM orders") == 200


def test_fetch_error_carries_sql_and_engine_message(engine: Engine) -> None:
    sql = "SELECT nope FROM customers"
    with pytest.raises(ExecutionError) as err:
        engine.fetch(sql)
    assert err.value.context["sql"] == sql
    assert "nope" in err.value.message
    assert "\n" not in err.value.message


def test_sample_size_and_randomness(engine: Engine) -> None:
    res = engine.sample("orders", 10)
    assert len(res.rows) == 10
    assert res.columns == ["order_id", "customer_id", "amount", "status"]
    assert len({r[0] for r in res.rows}) == 10
    assert len(engine.sample("customers", 100).rows) == 20  # never more than the table has
    draws = {tuple(sorted(r[0] for r in engine.sample("orders", 10).rows)) for _ in range(5)}
    assert len(draws) > 1  # five identical samples of 10 out of 200 would be a broken sampler


def test_sample_unknown_table(engine: Engine) -> None:
    with pytest.raises(CatalogError) as err:
        engine.sample("ordrs")
    assert "orders" in (err.value.hint or "")


def test_table_columns_of_staging_table(engine: Engine) -> None:
    staged = engine.stage("SELECT customer_id, balance * 2 AS doubled FROM customers", "doubled", "r1")
    assert staged.startswith(f"{STAGING_SCHEMA}.")
    cols = engine.table_columns(staged)
    assert [c.name for c in cols] == ["customer_id", "doubled"]
    assert cols[1].family == "decimal"
    with pytest.raises(CatalogError):
        engine.table_columns(f"{STAGING_SCHEMA}.nothing_here")


# -- write–audit–publish ----------------------------------------------------------------


def _ids(engine: Engine, table: str) -> list[int]:
    return [r[0] for r in engine.fetch(f"SELECT customer_id FROM {table} ORDER BY 1").rows]


def test_stage_publish_history_and_rollback_toggle(engine: Engine) -> None:
    assert engine.history("top_customers") == []

    s1 = engine.stage("SELECT * FROM customers WHERE customer_id <= 3", "top_customers", "run1")
    first = engine.publish(s1, "top_customers", "run1")
    assert (first.target, first.rows, first.previous_version) == ("top_customers", 3, None)
    assert _ids(engine, "top_customers") == [1, 2, 3]
    with pytest.raises(CatalogError):
        engine.table_columns(s1)  # the staging table is gone after publish

    s2 = engine.stage("SELECT * FROM customers WHERE customer_id > 15", "top_customers", "run2")
    assert _ids(engine, "top_customers") == [1, 2, 3]  # staging never touches the target
    second = engine.publish(s2, "top_customers", "run2")
    assert second.rows == 5
    assert second.previous_version is not None
    assert second.previous_version.startswith(f"{HISTORY_SCHEMA}.")
    assert _ids(engine, "top_customers") == [16, 17, 18, 19, 20]
    assert _ids(engine, second.previous_version) == [1, 2, 3]

    hist = engine.history("top_customers")
    assert [(v.table, v.run_id, v.rows) for v in hist] == [(second.previous_version, "run2", 3)]
    assert hist[0].created_at

    back = engine.rollback("top_customers")
    assert back.restored_from == second.previous_version
    assert back.replaced_version is not None
    assert _ids(engine, "top_customers") == [1, 2, 3]
    assert _ids(engine, back.replaced_version) == [16, 17, 18, 19, 20]

    again = engine.rollback("top_customers")  # toggles back
    assert again.restored_from == back.replaced_version
    assert _ids(engine, "top_customers") == [16, 17, 18, 19, 20]

    hist = engine.history("top_customers")
    assert len(hist) == 3
    assert hist[0].table == again.replaced_version  # newest first
    assert [v.rows for v in hist] == [3, 5, 3]
    assert len({v.table for v in hist}) == 3
    # the published target is an ordinary table in the catalog; history/staging are not
    names = {n.lower() for n in engine.catalog().table_names()}
    assert "top_customers" in names
    assert not any(n.startswith("top_customers__") for n in names)


def test_is_managed_marks_published_tables_only(engine: Engine) -> None:
    assert not engine.is_managed("customers")  # a source table
    assert not engine.is_managed("big_orders")  # a view
    assert not engine.is_managed("no_such_table")
    staged = engine.stage("SELECT * FROM customers", "managed_copy", "r1")
    assert not engine.is_managed("managed_copy")
    engine.publish(staged, "managed_copy", "r1")
    assert engine.is_managed("managed_copy")
    assert engine.is_managed("MANAGED_COPY")
    engine.publish(engine.stage("SELECT 1 AS x", "managed_copy", "r2"), "managed_copy", "r2")
    engine.rollback("managed_copy")
    assert engine.is_managed("managed_copy")
    assert not engine.is_managed("customers")


def test_publish_over_an_existing_table_keeps_it_in_history(engine: Engine) -> None:
    staged = engine.stage("SELECT * FROM customers WHERE customer_id % 2 = 0", "customers", "r9")
    out = engine.publish(staged, "customers", "r9")
    assert out.rows == 10
    assert out.previous_version is not None
    assert engine.scalar(f"SELECT count(*) FROM {out.previous_version}") == 20
    engine.rollback("customers")
    assert engine.scalar("SELECT count(*) FROM customers") == 20


def test_publish_failing_mid_transaction_rolls_back_everything(engine: Engine) -> None:
    if engine.name == "spark":
        pytest.skip("Spark enforces no foreign keys: nothing fails inside its publish transaction")
    # orders is referenced by a declared foreign key, so replacing it fails after it was archived
    staged = engine.stage("SELECT * FROM orders WHERE status = 'open'", "orders", "r9")
    with pytest.raises(PublishError) as err:
        engine.publish(staged, "orders", "r9")
    assert "orders" in err.value.message
    assert "order_items" in err.value.message  # the engine's own reason
    assert "unchanged" in (err.value.hint or "")
    assert engine.scalar("SELECT count(*) FROM orders") == 200
    assert engine.history("orders") == []
    with pytest.raises(CatalogError):
        engine.table_columns(f"{HISTORY_SCHEMA}.orders__v1")  # the archive copy was rolled back
    assert [c.name for c in engine.table_columns(staged)][:1] == ["order_id"]  # staged table kept for a retry
    engine.drop_staged(staged)


def test_failed_publish_leaves_target_unchanged(engine: Engine) -> None:
    s1 = engine.stage("SELECT * FROM customers WHERE customer_id <= 4", "report", "r1")
    engine.publish(s1, "report", "r1")
    before = engine.fetch("SELECT * FROM report ORDER BY customer_id").rows

    s2 = engine.stage("SELECT * FROM customers", "report", "r2")
    engine.drop_staged(s2)  # the staged table vanishes between stage and publish
    with pytest.raises(PublishError) as err:
        engine.publish(s2, "report", "r2")
    assert "report" in err.value.message
    assert "does not exist" in err.value.message
    assert engine.fetch("SELECT * FROM report ORDER BY customer_id").rows == before
    assert engine.history("report") == []  # the archive copy was rolled back too
    assert {n.lower() for n in engine.catalog().table_names()} >= {"report"}


def test_publish_refuses_to_replace_a_view(engine: Engine) -> None:
    staged = engine.stage("SELECT * FROM orders", "big_orders", "r1")
    with pytest.raises(PublishError) as err:
        engine.publish(staged, "big_orders", "r1")
    assert "view" in err.value.message
    assert engine.catalog().table("big_orders").kind == "view"
    engine.drop_staged(staged)


def test_rollback_without_history(engine: Engine) -> None:
    engine.publish(engine.stage("SELECT 1 AS x", "fresh_target", "r1"), "fresh_target", "r1")
    with pytest.raises(RollbackError) as err:
        engine.rollback("fresh_target")
    assert "no earlier version" in err.value.message
    assert err.value.hint
    assert isinstance(err.value, ExecutionError)


def test_rollback_refuses_tables_datamorph_does_not_manage(engine: Engine) -> None:
    with pytest.raises(TargetConflict, match="'customers' was not created by DataMorph"):
        engine.rollback("customers")  # a source table
    # DataMorph's t1 (with history) dropped, then a table t1 made by hand: rollback must not replace it
    for run in ("r1", "r2"):
        engine.publish(engine.stage(f"SELECT '{run}' AS v", "t1", run), "t1", run)
    assert len(engine.history("t1")) == 1
    _execute(engine, "DROP TABLE t1")
    _execute(engine, "CREATE TABLE t1 AS SELECT 'mine' AS v")
    with pytest.raises(TargetConflict, match="'t1' was not created by DataMorph"):
        engine.rollback("t1")
    assert engine.fetch("SELECT v FROM t1").rows == [("mine",)]
    assert len(engine.history("t1")) == 1
    # dropped and not re-created: restoring DataMorph's own earlier version destroys nothing
    _execute(engine, "DROP TABLE t1")
    engine.rollback("t1")
    assert engine.fetch("SELECT v FROM t1").rows == [("r1",)]


def test_rollback_of_an_unknown_table(engine: Engine) -> None:
    with pytest.raises(TableNotFound, match="unknown table 'custmers'") as err:
        engine.rollback("custmers")
    assert "did you mean 'customers'" in str(err.value)
    with pytest.raises(TargetConflict, match="reserved schema"):
        engine.rollback("datamorph_history.versions")


def _execute(engine: Engine, sql: str) -> None:
    """Run a statement through the engine's own connection (a user's hand-made change). Spark's session
    catalog lives only as long as the process, so there a hand-made table goes through the engine."""
    if engine.name == "spark":
        import sqlglot
        from sqlglot import exp

        from datamorph.engines.spark import SparkEngine

        assert isinstance(engine, SparkEngine)
        tree = sqlglot.parse_one(sql, read="duckdb")
        table = tree.find(exp.Table)
        assert isinstance(tree, exp.Drop | exp.Create) and table is not None
        if isinstance(tree, exp.Drop):
            engine.drop_table(table.name)
        else:
            engine.create_table(table.name, tree.expression.sql(dialect="spark"))
        return
    engine._conn().execute(sql)  # type: ignore[attr-defined]  # PostgreSQL: an autocommit connection


def test_drop_staged_ignores_missing_tables(engine: Engine) -> None:
    staged = engine.stage("SELECT 1 AS x", "tmp_target", "r1")
    engine.drop_staged(staged)
    engine.drop_staged(staged)
    engine.drop_staged(f"{STAGING_SCHEMA}.never_existed__r0")
    with pytest.raises(ExecutionError):
        engine.drop_staged("main.customers")  # only staging tables may be dropped
    assert engine.scalar("SELECT count(*) FROM customers") == 20


def test_stage_error_is_an_execution_error(engine: Engine) -> None:
    with pytest.raises(ExecutionError) as err:
        engine.stage("SELECT missing_col FROM customers", "broken", "r1")
    assert err.value.context["sql"] == "SELECT missing_col FROM customers"
    assert "missing_col" in err.value.message


# -- files ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_register_single_file(engine: Engine, tmp_path: Path, fmt: str) -> None:
    path = write_file(tmp_path / f"scores.{fmt}", fmt)
    info = engine.register_file("scores", str(path))
    assert info.kind == "file"
    assert info.row_count == 5
    assert info.column_names() == ["id", "label", "score"]
    assert info.source == str(path.resolve())
    cat = engine.catalog()
    assert cat.table("scores").kind == "file"
    assert cat.table("scores").row_count == 5
    assert engine.scalar("SELECT sum(id) FROM scores") == 15


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_register_folder(engine: Engine, tmp_path: Path, fmt: str) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    write_file(folder / f"a.{fmt}", fmt, first_id=1, rows=4)
    write_file(folder / f"b.{fmt}", fmt, first_id=5, rows=6)
    (folder / "README.txt").write_text("ignored")
    info = engine.register_file("parts", str(folder))
    assert info.row_count == 10
    assert engine.scalar("SELECT count(DISTINCT id) FROM parts") == 10


def test_register_file_errors(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        engine.register_file("x", str(tmp_path / "missing.csv"))
    assert "does not exist" in err.value.message and err.value.hint

    (tmp_path / "data.xlsx").write_text("nope")
    with pytest.raises(ConfigError) as err:
        engine.register_file("x", str(tmp_path / "data.xlsx"))
    assert "unsupported" in err.value.message and err.value.hint

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError) as err:
        engine.register_file("x", str(empty))
    assert "no .csv or .parquet" in err.value.message

    mixed = tmp_path / "mixed"
    mixed.mkdir()
    write_file(mixed / "a.csv", "csv")
    write_file(mixed / "b.parquet", "parquet")
    with pytest.raises(ConfigError) as err:
        engine.register_file("x", str(mixed))
    assert "mixes" in err.value.message

    good = write_file(tmp_path / "good.csv", "csv")
    with pytest.raises(ConfigError) as err:
        engine.register_file("customers", str(good))  # would shadow a warehouse table
    assert "already has a table" in err.value.message
    assert engine.scalar("SELECT count(*) FROM customers") == 20


def test_register_file_persisted_survives_reopen(open_engine: Callable[..., Engine], tmp_path: Path) -> None:
    path = write_file(tmp_path / "kept.parquet", "parquet", rows=7)
    first = open_engine()
    first.register_file("kept", str(path), persist=True)
    first.register_file("session_only", str(path))
    first.close()

    second = open_engine()
    cat = second.catalog()
    assert cat.table("kept").row_count == 7
    assert not cat.has_table("session_only")


# -- locking ------------------------------------------------------------------------------


def test_target_lock_serialises_threads(open_engine: Callable[..., Engine]) -> None:
    a, b = open_engine(), open_engine(lock_timeout=0.1)
    events: list[str] = []
    held = threading.Event()

    def writer() -> None:
        with a.target_lock("report"):
            held.set()
            time.sleep(0.4)
            events.append("a-done")

    t = threading.Thread(target=writer)
    t.start()
    assert held.wait(5)
    with pytest.raises(ConcurrencyError) as err:
        with b.target_lock("REPORT"):
            pass
    assert "report" in err.value.message.lower()
    with b.target_lock("other_target"):  # other targets are free
        events.append("other")
    with a.target_lock("report"):  # waits for the writer (a's timeout is long)
        events.append("a-again")
    t.join()
    assert events == ["other", "a-done", "a-again"]


# -- DuckDB only -----------------------------------------------------------------------------


def test_missing_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    with pytest.raises(WarehouseNotFound) as err:
        DuckDBEngine(path)
    assert err.value.message == f"warehouse file '{path}' does not exist"
    # the hint points at the command that creates a warehouse from the user's files, never at `demo`
    # (which builds a sample warehouse at the path it is given)
    assert "datamorph load FILE_OR_FOLDER --warehouse PATH" in err.value.hint and "demo" not in err.value.hint
    assert not path.exists()
    with pytest.raises(WarehouseNotFound):
        connect(str(path))


def test_create_new_warehouse(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.duckdb"
    with connect(str(path), create=True) as eng:
        assert eng.catalog().tables == {}
    assert path.exists()


def test_file_that_is_not_a_duckdb_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("just some text, not a database\n" * 50)
    with pytest.raises(WarehouseNotFound) as err:
        DuckDBEngine(path)
    assert "not a DuckDB database" in err.value.message
    assert err.value.hint


def test_extensions_are_never_downloaded(engine: Engine) -> None:
    if engine.name != "duckdb":
        pytest.skip("DuckDB setting")
    assert engine.fetch(
        "SELECT current_setting('autoinstall_known_extensions'), current_setting('autoload_known_extensions')"
    ).rows == [(False, False)]


def test_read_only_engine_refuses_writes(warehouse: str, impl: str) -> None:
    if impl != "duckdb":
        pytest.skip("DuckDB read-only mode")
    with DuckDBEngine(warehouse, read_only=True) as eng:
        assert eng.scalar("SELECT count(*) FROM customers") == 20
        with pytest.raises(ExecutionError) as err:
            eng.stage("SELECT 1 AS x", "t", "r1")
        assert "read-only" in err.value.message


_HOLDER = """
import sys, time
import duckdb
con = duckdb.connect(sys.argv[1])
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.mark.slow
def test_second_process_waits_for_the_file_lock(tmp_path: Path) -> None:
    path = build_duckdb_warehouse(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, path, "2.0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready", holder.stderr.read() if holder.stderr else ""
        start = time.monotonic()
        with pytest.raises(ConcurrencyError) as err:
            DuckDBEngine(path, lock_timeout=0.5)
        gave_up = time.monotonic() - start
        assert 0.5 <= gave_up < 1.9
        assert path in err.value.message
        assert "another DataMorph run or program" in err.value.message
        assert err.value.hint

        with DuckDBEngine(path, lock_timeout=10) as eng:  # waits until the holder lets go
            waited = time.monotonic() - start
            assert eng.scalar("SELECT count(*) FROM customers") == 20
        assert waited > 1.0
        assert holder.wait(timeout=10) == 0
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_load_files_into_duckdb(tmp_path: Path) -> None:
    """`datamorph load` also works on a DuckDB warehouse (CREATE TABLE AS from DuckDB's readers)."""
    from datamorph.engines.loader import load_path

    path = build_duckdb_warehouse(tmp_path)
    csv = write_file(tmp_path / "scores.csv", "csv", rows=4)
    with DuckDBEngine(path) as eng:
        loaded = load_path(eng, str(csv))
        assert [(t.table, t.rows) for t in loaded] == [("scores", 4)]
        assert eng.catalog().table("scores").kind == "table"
        with pytest.raises(ConfigError) as err:
            load_path(eng, str(csv))
        assert "already has a table" in err.value.message
        assert load_path(eng, str(csv), "customers_copy", replace=True)[0].rows == 4
