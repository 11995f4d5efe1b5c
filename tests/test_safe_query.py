"""The read-only query endpoint's core (``engines/safe_query.py``) against real warehouses.

Hostile statements go through ``run_query`` against a real DuckDB warehouse opened with external
access disabled, and against a real PostgreSQL server (as a superuser, so that a file-reading
function that slipped through would really read): every one must raise ``QueryRefused`` naming
what was refused, and every table must be unchanged (row count and an order-independent
checksum) and no file may appear. Legitimate queries must run and return the right rows; the row
limit and the time limit must hold, and the engine must stay usable after a stopped query.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import fingerprint

from datamorph.engines import connect
from datamorph.engines.base import Engine
from datamorph.engines.safe_query import HINT, check_query, run_query
from datamorph.errors import CatalogError, ConfigError, ExecutionError, QueryRefused

# (statement, part of the refusal message). ``{tmp}`` is a fresh folder that must stay empty.
HOSTILE_DUCKDB: list[tuple[str, str]] = [
    # DDL and DML
    ("DROP TABLE customers", "DROP statements are refused"),
    ("drop table if exists orders", "DROP statements are refused"),
    ("DELETE FROM orders", "DELETE statements are refused"),
    ("delete from orders where true", "DELETE statements are refused"),
    ("INSERT INTO categories VALUES (99, 'sneaky')", "INSERT statements are refused"),
    ("INSERT INTO categories SELECT 98, 'x'", "INSERT statements are refused"),
    ("UPDATE orders SET amount = 0", "UPDATE statements are refused"),
    ("MERGE INTO categories c USING (SELECT 10 AS category_id) s ON c.category_id = s.category_id "
     "WHEN MATCHED THEN DELETE", "MERGE statements are refused"),  # fmt: skip
    ("TRUNCATE orders", "TRUNCATE statements are refused"),
    ("CREATE TABLE sneaky AS SELECT * FROM customers", "CREATE statements are refused"),
    ("CREATE OR REPLACE TABLE customers AS SELECT 1 AS x", "CREATE statements are refused"),
    ("CREATE VIEW v AS SELECT 1", "CREATE statements are refused"),
    ("CREATE MACRO leak(p) AS getenv(p)", "CREATE statements are refused"),
    ("ALTER TABLE customers ADD COLUMN x INTEGER", "ALTER statements are refused"),
    ("ALTER TABLE orders RENAME TO orders_old", "ALTER statements are refused"),
    ("WITH d AS (DELETE FROM orders RETURNING *) SELECT * FROM d", "DELETE inside a query is refused"),
    ("WITH x AS (SELECT 1) INSERT INTO categories SELECT 97, 'y'", "INSERT statements are refused"),
    # more than one statement, comment and whitespace tricks
    ("SELECT 1; DROP TABLE customers", "holds 2 statements (SELECT; DROP)"),
    ("SELECT * FROM customers;DELETE FROM orders", "holds 2 statements (SELECT; DELETE)"),
    ("SELECT 1 -- harmless?\n; DROP TABLE orders", "holds 2 statements (SELECT; DROP)"),
    ("SELECT 1 /* ; */ ; /* */ DELETE FROM orders", "holds 2 statements (SELECT; DELETE)"),
    ("SELECT 1;\u00a0DROP TABLE customers", "holds 2 statements"),
    ("SELECT 1;;", "holds 2 statements (SELECT; an empty statement)"),
    ("SELECT 1; -- nothing here", "holds 2 statements (SELECT; an empty statement)"),
    ("DROP TABLE orders; SELECT 1", "holds 2 statements (DROP; SELECT)"),
    ("-- only a comment", "the query is empty"),
    ("   ;  ", "the query is empty"),
    # database, file and extension commands
    ("ATTACH '{tmp}/other.duckdb' AS other", "ATTACH statements are refused"),
    ("attach ':memory:' as m", "ATTACH statements are refused"),
    ("DETACH fixture", "DETACH statements are refused"),
    ("COPY customers TO '{tmp}/out.csv'", "COPY statements are refused"),
    ("COPY (SELECT * FROM customers) TO '{tmp}/out.parquet' (FORMAT parquet)", "COPY statements are refused"),
    ("COPY customers FROM '{tmp}/in.csv'", "COPY statements are refused"),
    ("EXPORT DATABASE '{tmp}/dump'", "EXPORT statements are refused"),
    ("IMPORT DATABASE '{tmp}/dump'", "IMPORT statements are refused"),
    ("INSTALL httpfs", "INSTALL statements are refused"),
    ("LOAD httpfs", "LOAD statements are refused"),
    ("FORCE INSTALL httpfs", "FORCE statements are refused"),
    ("PRAGMA enable_profiling", "PRAGMA statements are refused"),
    ("PRAGMA show_tables", "PRAGMA statements are refused"),
    ("SET enable_external_access = true", "SET statements are refused"),
    ("SET GLOBAL threads = 1", "SET statements are refused"),
    ("RESET threads", "RESET statements are refused"),
    ("CALL pragma_version()", "CALL statements are refused"),
    ("CHECKPOINT", "CHECKPOINT statements are refused"),
    ("FORCE CHECKPOINT", "FORCE statements are refused"),
    ("VACUUM", "VACUUM statements are refused"),
    ("BEGIN TRANSACTION", "BEGIN statements are refused"),
    ("USE memory", "USE statements are refused"),
    ("SUMMARIZE customers", "SUMMARIZE statements are refused"),
    ("VALUES (1)", "VALUES statements are refused"),
    # files and the network through functions, in FROM, in subqueries and CTEs
    ("SELECT * FROM read_csv('/etc/passwd')", "function read_csv is not allowed in queries (it reads files)"),
    ("SELECT * FROM read_csv_auto('/etc/passwd')", "function read_csv_auto is not allowed"),
    ("SeLeCt * FrOm ReAd_CsV('/etc/passwd')", "function read_csv is not allowed"),
    ('SELECT * FROM "read_csv"(\'/etc/passwd\')', "function read_csv is not allowed"),
    ("SELECT * FROM main.read_csv('/etc/passwd')", "function read_csv is not allowed"),
    ("SELECT * FROM read_parquet('{tmp}/x.parquet')", "function read_parquet is not allowed"),
    ("SELECT * FROM parquet_scan('{tmp}/x.parquet')", "function parquet_scan is not allowed"),
    ("SELECT * FROM read_json_auto('{tmp}/x.json')", "function read_json_auto is not allowed"),
    ("SELECT * FROM read_ndjson_objects('{tmp}/x.json')", "function read_ndjson_objects is not allowed"),
    ("SELECT content FROM read_text('/etc/passwd')", "function read_text is not allowed"),
    ("SELECT * FROM read_blob('/etc/hostname')", "function read_blob is not allowed"),
    ("SELECT * FROM glob('/etc/*')", "function glob is not allowed"),
    ("SELECT * FROM sniff_csv('/etc/passwd')", "function sniff_csv is not allowed"),
    ("SELECT * FROM read_csv('https://example.com/x.csv')", "function read_csv is not allowed"),
    ("WITH f AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM f", "function read_csv is not allowed"),
    ("SELECT * FROM customers WHERE customer_id IN (SELECT 1 FROM read_text('/etc/passwd'))",
     "function read_text is not allowed"),  # fmt: skip
    ("SELECT (SELECT content FROM read_blob('/etc/passwd'))", "function read_blob is not allowed"),
    ("SELECT 1 UNION ALL SELECT count(*) FROM read_csv('/etc/passwd')", "function read_csv is not allowed"),
    ("SELECT * FROM customers, LATERAL (SELECT * FROM read_text('/etc/passwd'))", "function read_text"),
    ("SELECT * FROM customers c JOIN read_csv('/etc/passwd') p ON true", "function read_csv is not allowed"),
    ("SELECT * FROM '/etc/passwd'", "reading the file '/etc/passwd' is not allowed"),
    ("SELECT * FROM 'customers'", "reading the file 'customers' is not allowed"),
    ("SELECT * FROM customers JOIN 's3://bucket/x.parquet' x ON true", "reading the file"),
    ('SELECT * FROM "{tmp}/x.csv"', "looks like a file path"),
    ('SELECT * FROM "data.parquet"', "looks like a file path"),
    ("SELECT * FROM query('SELECT * FROM read_csv(''/etc/passwd'')')", "function query is not allowed in queries "
     "(it runs SQL text)"),  # fmt: skip
    ("SELECT * FROM query_table('customers')", "function query_table is not allowed"),
    ("SELECT getenv('HOME')", "function getenv is not allowed in queries (it reads settings"),
    ("SELECT 'HOME'.getenv()", "function getenv is not allowed"),
    ("SELECT current_setting('threads')", "function current_setting is not allowed"),
    ("SELECT * FROM duckdb_secrets()", "function duckdb_secrets is not allowed"),
    ("SELECT * FROM duckdb_settings()", "function duckdb_settings is not allowed"),
    ("SELECT * FROM pragma_database_size()", "function pragma_database_size is not allowed"),
    ("SELECT nextval('some_sequence')", "function nextval is not allowed"),
    ("SELECT setseed(0.5)", "function setseed is not allowed"),
    ("SELECT my_macro(1)", "function my_macro is not allowed in queries (it is not a known read-only function)"),
    # writes and locks dressed as SELECT, system catalogs, parameters
    ("SELECT * INTO sneaky FROM customers", "SELECT ... INTO is not allowed"),
    ("SELECT * FROM customers FOR UPDATE", "FOR UPDATE/FOR SHARE is not allowed"),
    ("SELECT * FROM information_schema.tables", "is in a system schema"),
    ("SELECT * FROM pg_catalog.pg_class", "is in a system schema"),
    ("SELECT * FROM datamorph_history.versions", "is in a system schema"),
    ("SELECT * FROM other.main.customers", "names a database"),
    ("SELECT * FROM customers WHERE customer_id = ?", "query parameters"),
    ("SELECT * FROM customers WHERE customer_id = $1", "query parameters"),
]

HOSTILE_POSTGRES: list[tuple[str, str]] = [
    ("DROP TABLE customers", "DROP statements are refused"),
    ("DROP TABLE orders CASCADE", "DROP statements are refused"),
    ("DELETE FROM orders", "DELETE statements are refused"),
    ("INSERT INTO categories VALUES (99, 'sneaky')", "INSERT statements are refused"),
    ("UPDATE orders SET amount = 0", "UPDATE statements are refused"),
    ("TRUNCATE orders", "TRUNCATE statements are refused"),
    ("CREATE TABLE sneaky AS SELECT * FROM customers", "CREATE statements are refused"),
    ("ALTER TABLE customers DROP COLUMN email", "ALTER statements are refused"),
    ("GRANT ALL ON customers TO PUBLIC", "GRANT statements are refused"),
    ("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql", "CREATE statements are refused"),
    ("DO $$ BEGIN DELETE FROM orders; END $$", "DO statements are refused"),
    ("WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d", "DELETE inside a query is refused"),
    ("WITH u AS (UPDATE orders SET amount = 0 RETURNING 1) SELECT * FROM u", "UPDATE inside a query is refused"),
    ("SELECT 1; DROP TABLE customers", "holds 2 statements (SELECT; DROP)"),
    ("select 1 -- x\n;delete from orders", "holds 2 statements (SELECT; DELETE)"),
    ("SELECT 1; COMMIT", "holds 2 statements (SELECT; COMMIT)"),
    ("COMMIT", "COMMIT statements are refused"),
    ("BEGIN", "BEGIN statements are refused"),
    ("COPY customers TO '{tmp}/out.csv'", "COPY statements are refused"),
    ("COPY customers FROM PROGRAM 'id'", "COPY statements are refused"),
    ("COPY (SELECT 1) TO PROGRAM 'touch {tmp}/pwned'", "COPY statements are refused"),
    ("SET statement_timeout = 0", "SET statements are refused"),
    ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", "SET statements are refused"),
    ("RESET ALL", "RESET statements are refused"),
    ("VACUUM customers", "VACUUM statements are refused"),
    ("ANALYZE customers", "ANALYZE statements are refused"),
    ("LOCK TABLE customers", "LOCK statements are refused"),
    ("PREPARE p AS DELETE FROM orders", "PREPARE statements are refused"),
    ("LISTEN chan", "LISTEN statements are refused"),
    ("CALL some_procedure()", "CALL statements are refused"),
    ("SELECT pg_read_file('/etc/passwd')", "function pg_read_file is not allowed in queries (it reads files)"),
    ("SELECT PG_READ_FILE('/etc/passwd', 0, 100)", "function pg_read_file is not allowed"),
    ("SELECT pg_catalog.pg_read_file('/etc/passwd')", "function pg_read_file is not allowed"),
    ("SELECT pg_read_binary_file('/etc/passwd')", "function pg_read_binary_file is not allowed"),
    ("SELECT * FROM pg_ls_dir('.')", "function pg_ls_dir is not allowed"),
    ("SELECT * FROM customers CROSS JOIN LATERAL pg_ls_dir('.') f", "function pg_ls_dir is not allowed"),
    ("SELECT (pg_stat_file('postgresql.conf')).size", "function pg_stat_file is not allowed"),
    ("SELECT lo_import('/etc/passwd')", "function lo_import is not allowed"),
    ("SELECT lo_export(1, '{tmp}/x')", "function lo_export is not allowed"),
    ("SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)", "function dblink is not allowed"),
    ("SELECT set_config('statement_timeout', '0', false)", "function set_config is not allowed"),
    ("SELECT pg_sleep(5)", "function pg_sleep is not allowed"),
    ("SELECT pg_advisory_lock(1)", "function pg_advisory_lock is not allowed"),
    ("SELECT nextval('customers_seq')", "function nextval is not allowed"),
    ("SELECT setval('customers_seq', 1)", "function setval is not allowed"),
    ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity", "function pg_terminate_backend is not allowed"),
    ("SELECT pg_cancel_backend(1)", "function pg_cancel_backend is not allowed"),
    ("SELECT query_to_xml('DELETE FROM orders RETURNING 1', true, false, '')", "function query_to_xml is not allowed"),
    ("SELECT txid_current()", "function txid_current is not allowed"),
    ("SELECT pg_notify('c', 'x')", "function pg_notify is not allowed"),
    ("SELECT * INTO sneaky FROM customers", "SELECT ... INTO is not allowed"),
    ("SELECT * FROM customers FOR UPDATE", "FOR UPDATE/FOR SHARE is not allowed"),
    ("SELECT * FROM orders FOR SHARE", "FOR UPDATE/FOR SHARE is not allowed"),
    ("SELECT * FROM pg_catalog.pg_authid", "is in a system schema"),
    ("SELECT usename, query FROM pg_stat_activity", "would be read from the system catalog"),
    ("SELECT * FROM information_schema.tables", "is in a system schema"),
    ("SELECT * FROM '/etc/passwd'", "reading the file '/etc/passwd' is not allowed"),
]


def _fill(sql: str, tmp: Path) -> str:
    return sql.replace("{tmp}", str(tmp))


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{i:02d}-" + "".join(ch if ch.isalnum() else "_" for ch in sql[:40]) for i, (sql, _) in enumerate(cases)]


def test_enough_distinct_hostile_statements() -> None:
    assert len({s for s, _ in HOSTILE_DUCKDB}) == len(HOSTILE_DUCKDB) >= 25
    assert len({s for s, _ in HOSTILE_POSTGRES}) == len(HOSTILE_POSTGRES) >= 25


def test_fingerprint_sees_a_change(fixture_warehouse: Path) -> None:
    """The unchanged-tables check below can fail: a real write changes the fingerprint."""
    import duckdb

    before = fingerprint(fixture_warehouse)
    con = duckdb.connect(str(fixture_warehouse))
    try:
        con.execute("UPDATE orders SET amount = amount + 1 WHERE order_id = 101")
    finally:
        con.close()
    assert fingerprint(fixture_warehouse) != before


# -- DuckDB: every hostile statement is refused and changes nothing ------------------------------------


@pytest.mark.parametrize(("sql", "message"), HOSTILE_DUCKDB, ids=_ids(HOSTILE_DUCKDB))
def test_hostile_statement_is_refused_on_duckdb(fixture_warehouse: Path, tmp_path: Path, sql: str, message: str) -> None:
    tmp = tmp_path / "files"
    tmp.mkdir()
    before = fingerprint(fixture_warehouse)
    with connect(str(fixture_warehouse), external_access=False) as eng:
        with pytest.raises(QueryRefused) as err:
            run_query(eng, _fill(sql, tmp))
        assert message in err.value.message
        assert err.value.hint == HINT
        assert run_query(eng, "SELECT count(*) FROM orders").rows == [(11,)]  # still usable
    assert fingerprint(fixture_warehouse) == before
    assert list(tmp.iterdir()) == []


def test_check_query_alone_refuses_and_names_what() -> None:
    for sql, message in HOSTILE_DUCKDB:
        with pytest.raises(QueryRefused) as err:
            check_query(_fill(sql, Path("/tmp")), "duckdb")
        assert message in err.value.message, sql
    tree = check_query("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "duckdb")
    assert tree.sql(dialect="duckdb") == "WITH x AS (SELECT 1 AS a) SELECT a FROM x"


def test_a_warehouse_open_with_external_access_is_refused(fixture_warehouse: Path) -> None:
    with connect(str(fixture_warehouse)) as eng:  # external access on (the CLI's default)
        with pytest.raises(ConfigError) as err:
            run_query(eng, "SELECT count(*) FROM customers")
        assert "external access disabled" in err.value.message
        assert "external_access=False" in (err.value.hint or "")


def test_unknown_and_system_tables(fixture_warehouse: Path) -> None:
    with connect(str(fixture_warehouse), external_access=False) as eng:
        with pytest.raises(CatalogError) as cat_err:
            run_query(eng, "SELECT * FROM custmers")
        assert "unknown table 'custmers'" in cat_err.value.message
        assert "customers" in (cat_err.value.hint or "")
        with pytest.raises(CatalogError):
            run_query(eng, "SELECT * FROM duckdb_tables")  # a system view, not a warehouse table
        with pytest.raises(CatalogError):
            run_query(eng, "SELECT * FROM other_schema.customers")
        # a CTE is read by its name; a schema-qualified warehouse table is found
        assert run_query(eng, "WITH c AS (SELECT 2 AS x) SELECT x FROM c").rows == [(2,)]
        assert run_query(eng, "SELECT count(*) FROM main.customers").rows == [(6,)]


# -- legitimate queries ----------------------------------------------------------------------------------

# (query, expected rows) on the fixture warehouse; the same text runs on DuckDB and PostgreSQL.
LEGIT_PORTABLE: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("SELECT c.first_name, sum(o.amount) AS total FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
     "WHERE o.status = 'completed' GROUP BY c.first_name HAVING sum(o.amount) > 500 ORDER BY total DESC",
     [("Ada", Decimal("1150.50")), ("Edsger", Decimal("710.00"))]),
    ("WITH per AS (SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id) "
     "SELECT customer_id, n FROM per WHERE n >= 3 ORDER BY customer_id", [(1, 3), (4, 3)]),
    ("SELECT order_id, row_number() OVER (PARTITION BY customer_id ORDER BY order_date) AS rn, "
     "sum(amount) OVER (PARTITION BY customer_id ORDER BY order_date) AS running FROM orders "
     "WHERE customer_id = 4 ORDER BY order_id",
     [(107, 1, Decimal("300.00")), (108, 2, Decimal("1010.00")), (109, 3, Decimal("1025.99"))]),
    ("SELECT customer_id, CASE WHEN email IS NULL THEN 'none' ELSE 'has' END AS e FROM customers ORDER BY 1",
     [(1, "has"), (2, "none"), (3, "has"), (4, "has"), (5, "has"), (6, "none")]),
    ("SELECT CAST(amount AS INTEGER), EXTRACT(YEAR FROM order_date), CAST(order_date AS VARCHAR) "
     "FROM orders WHERE order_id = 102", [(901, 2024, "2024-02-11")]),
    ("SELECT CAST(date_trunc('month', order_date) AS DATE) AS m, count(*) FROM orders "
     "WHERE order_date >= DATE '2024-05-01' AND order_date < DATE '2024-05-01' + INTERVAL '1 month' GROUP BY 1",
     [(dt.date(2024, 5, 1), 3)]),
    ("SELECT city FROM customers WHERE segment = 'corporate' UNION SELECT location FROM departments "
     "WHERE department_id = 1 ORDER BY 1", [("Berlin",), ("Boston",), ("Manchester",)]),
    ("SELECT first_name FROM customers WHERE customer_id IN (SELECT customer_id FROM orders "
     "WHERE status = 'cancelled') ORDER BY 1", [("Alan",), ("Grace",)]),
    ("SELECT first_name FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o "
     "WHERE o.customer_id = c.customer_id) ORDER BY 1", [("Barbara",), ("Donald",)]),
    ("SELECT order_id FROM orders ORDER BY order_id LIMIT 3", [(101,), (102,), (103,)]),
    ("SELECT order_id FROM orders ORDER BY order_id LIMIT 2 OFFSET 9", [(110,), (111,)]),
    ("SELECT cat.category_name, count(p.product_id) FROM categories cat LEFT JOIN products p "
     "ON p.category_id = cat.category_id GROUP BY cat.category_name ORDER BY 1",
     [("Empty", 0), ("Garden", 1), ("Tools", 2), ("Toys", 1)]),
    ("SELECT upper(first_name) || ' ' || lower(last_name), length(first_name), coalesce(email, '-') "
     "FROM customers WHERE customer_id = 2", [("ALAN turing", 4, "-")]),
    ("SELECT count(DISTINCT session_id), min(viewed_at) < max(viewed_at) FROM page_views", [(3, True)]),
    ("SELECT status, count(*) FILTER (WHERE amount > 100) FROM orders GROUP BY status "
     "HAVING count(*) > 1 ORDER BY status", [("cancelled", 1), ("completed", 4)]),
    ("SELECT sum(x) FROM generate_series(1, 10) AS g(x)", [(55,)]),
    ("/* a comment */ SELECT 1 AS one -- and another", [(1,)]),
    ("SELECT 1 AS one;", [(1,)]),
    ("(SELECT 2 AS two)", [(2,)]),
]

LEGIT_DUCKDB: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("SELECT sum(x) FROM range(1, 11) AS r(x)", [(55,)]),
    ("SELECT x FROM unnest([3, 1, 2]) AS t(x) ORDER BY x", [(1,), (2,), (3,)]),
    ("SELECT * EXCLUDE (email, city, segment, signup_date, last_name) FROM customers WHERE customer_id < 3 "
     "ORDER BY ALL", [(1, "Ada"), (2, "Alan")]),
    ("SELECT segment, count(*) FROM customers GROUP BY ALL ORDER BY ALL",
     [("consumer", 3), ("corporate", 2), ("small_business", 1)]),
    ("SELECT list_transform([1, 2, 3], lambda x: x * 2), [1, 2, 3][2], {'a': 7}.a", [([2, 4, 6], 2, 7)]),
    ("SELECT first_name FROM customers QUALIFY row_number() OVER (ORDER BY signup_date DESC) = 1", [("Donald",)]),
    ("SELECT strftime(order_date, '%Y-%m'), datediff('day', DATE '2024-01-01', order_date) FROM orders "
     "WHERE order_id = 101", [("2024-01", 4)]),
    ("SELECT 'x' ILIKE 'X', 'abc' LIKE 'a%', regexp_matches('abc', 'b'), hash(1) = hash(1)", [(True, True, True, True)]),
    ("FROM categories SELECT category_name WHERE category_id = 40", [("Empty",)]),
]

LEGIT_POSTGRES: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("SELECT DISTINCT ON (customer_id) customer_id, order_id FROM orders WHERE customer_id IN (1, 4) "
     "ORDER BY customer_id, order_date DESC", [(1, 111), (4, 109)]),
    ("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) FROM orders WHERE customer_id = 4", [(300.0,)]),
    ("SELECT x FROM unnest(ARRAY[3, 1, 2]) AS t(x) ORDER BY x", [(1,), (2,), (3,)]),
    ("SELECT first_name::text || '!' FROM customers WHERE customer_id = 1", [("Ada!",)]),
    ("SELECT count(*) FROM customers c, LATERAL (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id "
     "LIMIT 1) s", [(4,)]),
    ("SELECT current_setting('statement_timeout') IS NOT NULL", [(True,)]),
]


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """One DuckDB fixture warehouse, opened as the query endpoint opens it, for read-only tests."""
    from tests.conftest import build_fixture_warehouse

    path = build_fixture_warehouse(tmp_path_factory.mktemp("safe_query") / "fixture.duckdb")
    with connect(str(path), external_access=False) as eng:
        yield eng


@pytest.mark.parametrize(("sql", "rows"), LEGIT_PORTABLE + LEGIT_DUCKDB)
def test_legitimate_queries_run_on_duckdb(duck: Engine, sql: str, rows: list[tuple[Any, ...]]) -> None:
    res = run_query(duck, sql)
    assert res.rows == rows
    assert res.truncated is False
    assert res.rows == duck.fetch(sql).rows  # what runs (regenerated from the checked tree) means the same


def test_row_limit(duck: Engine) -> None:
    res = run_query(duck, "SELECT order_id FROM orders ORDER BY order_id", max_rows=4)
    assert (res.rows, res.truncated, res.columns) == ([(101,), (102,), (103,), (104,)], True, ["order_id"])
    res = run_query(duck, "SELECT order_id FROM orders", max_rows=11)
    assert (len(res.rows), res.truncated) == (11, False)
    res = run_query(duck, "SELECT order_id FROM orders", max_rows=10)
    assert (len(res.rows), res.truncated) == (10, True)
    res = run_query(duck, "SELECT * FROM range(100000000)", max_rows=5)
    assert (len(res.rows), res.truncated) == (5, True)


def test_time_limit_stops_a_slow_query_on_duckdb(duck: Engine) -> None:
    slow = "SELECT sum(a.range * b.range) FROM range(100000000) AS a, range(100000000) AS b"
    with pytest.raises(ExecutionError) as err:
        run_query(duck, slow, timeout_s=0.5)
    assert "query stopped after 0.5 s" in err.value.message
    assert "DATAMORPH_QUERY_TIMEOUT" in (err.value.hint or "")
    assert run_query(duck, "SELECT count(*) FROM customers").rows == [(6,)]  # the engine is still usable
    # the engine's own fetch reports the same, and a limit that is not reached changes nothing
    with pytest.raises(ExecutionError) as err:
        duck.fetch(slow, timeout_s=0.3)
    assert err.value.context.get("timed_out") is True
    assert duck.fetch("SELECT 42", timeout_s=30).rows == [(42,)]


def test_an_error_in_a_query_is_an_execution_error(duck: Engine) -> None:
    with pytest.raises(ExecutionError) as err:
        run_query(duck, "SELECT no_such_column FROM customers")
    assert "no_such_column" in err.value.message
    assert not err.value.context.get("timed_out")


# -- property: random compositions of allowed constructs are accepted and run -----------------------------

_COLUMNS = {"orders": ["order_id", "customer_id", "amount", "status", "order_date"],
            "customers": ["customer_id", "first_name", "city", "segment", "signup_date"]}  # fmt: skip
_NUMERIC = {"order_id", "customer_id", "amount"}


@st.composite
def _queries(draw: st.DrawFn) -> str:
    table = draw(st.sampled_from(sorted(_COLUMNS)))
    cols = draw(st.lists(st.sampled_from(_COLUMNS[table]), min_size=1, max_size=3, unique=True))
    num = draw(st.sampled_from(sorted(_NUMERIC & set(_COLUMNS[table]))))
    grouped = draw(st.booleans())
    if grouped:
        agg = draw(st.sampled_from(["count(*)", f"sum({num})", f"max({num})", f"avg({num})", "count(DISTINCT 1)"]))
        select = ", ".join(cols) + f", {agg} AS agg"
    else:
        exprs = [draw(st.sampled_from([c, f"upper(CAST({c} AS VARCHAR))", f"coalesce(CAST({c} AS VARCHAR), '-')",
                                       f"CASE WHEN {c} IS NULL THEN 0 ELSE 1 END"])) for c in cols]  # fmt: skip
        if draw(st.booleans()):
            exprs.append(f"row_number() OVER (ORDER BY {num})")
        select = ", ".join(exprs)
    sql = f"SELECT {select} FROM {table}"
    conds = draw(st.lists(st.sampled_from([f"{num} > {draw(st.integers(0, 200))}", f"{num} IS NOT NULL",
                                           f"{num} BETWEEN 1 AND 500", f"{num} IN (1, 2, 101)",
                                           f"{num} IN (SELECT customer_id FROM customers)"]),
                          max_size=2))  # fmt: skip
    if conds:
        sql += " WHERE " + draw(st.sampled_from([" AND ", " OR "])).join(conds)
    if grouped:
        sql += " GROUP BY " + ", ".join(cols)
        if draw(st.booleans()):
            sql += " HAVING count(*) >= 1"
    if draw(st.booleans()):
        sql += " ORDER BY 1"
    if draw(st.booleans()):
        sql += f" LIMIT {draw(st.integers(0, 20))}"
    wrap = draw(st.sampled_from(["plain", "cte", "subquery", "union"]))
    if wrap == "cte":
        sql = f"WITH q AS ({sql}) SELECT * FROM q"
    elif wrap == "subquery":
        sql = f"SELECT * FROM ({sql}) AS s"
    elif wrap == "union":
        sql = f"({sql}) UNION ALL ({sql})"
    return sql


def test_random_compositions_of_allowed_constructs_are_accepted(duck: Engine) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_queries())
    def check(sql: str) -> None:
        res = run_query(duck, sql, max_rows=1000)
        direct = duck.fetch(sql).rows
        if " LIMIT " in sql:  # which rows a LIMIT keeps may depend on ties
            assert len(res.rows) == len(direct)
        else:
            assert sorted(map(repr, res.rows)) == sorted(map(repr, direct))

    check()


# -- PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.fixture
def pg_warehouse(pg_database: Any, pristine_warehouse: Path) -> Iterator[Engine]:
    """The fixture warehouse loaded into a fresh PostgreSQL database (the suite's server, as superuser)."""
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    _server, _name, url = pg_database
    with PostgresEngine(url) as eng:
        load_duckdb_tables(eng, str(pristine_warehouse))
        eng.fetch("SELECT 1")  # loaded and readable
        yield eng


def _pg_fingerprint(eng: Engine) -> dict[str, Any]:
    """{table: (row count, md5 of the sorted rows)} of every table in public, and the sequences and settings."""
    names = [r[0] for r in eng.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").rows]
    out: dict[str, Any] = {n: tuple(eng.fetch(f'SELECT count(*), md5(string_agg(t::text, \'|\' ORDER BY t::text)) '
                                              f'FROM "{n}" t').rows[0]) for n in names}  # fmt: skip
    out["__objects__"] = eng.fetch("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace").rows
    out["__large_objects__"] = eng.fetch("SELECT count(*) FROM pg_largeobject_metadata").rows
    return out


def test_hostile_statements_are_refused_on_postgres(pg_warehouse: Engine, tmp_path: Path) -> None:
    tmp = tmp_path / "files"
    tmp.mkdir()
    tmp.chmod(0o777)  # the server could write here if a COPY slipped through
    before = _pg_fingerprint(pg_warehouse)
    assert len(before) > 5
    wrong: list[str] = []
    for sql, message in HOSTILE_POSTGRES:
        try:
            run_query(pg_warehouse, _fill(sql, tmp))
            wrong.append(f"ran: {sql}")
        except QueryRefused as e:
            if message not in e.message or e.hint != HINT:
                wrong.append(f"{sql}: {e}")
        except Exception as e:  # noqa: BLE001 - any other outcome is a failure to report
            wrong.append(f"{sql}: {type(e).__name__}: {e}")
    assert wrong == []
    assert _pg_fingerprint(pg_warehouse) == before
    assert list(tmp.iterdir()) == []
    assert run_query(pg_warehouse, "SELECT count(*) FROM orders").rows == [(11,)]


def test_legitimate_queries_run_on_postgres(pg_warehouse: Engine) -> None:
    for sql, rows in LEGIT_PORTABLE + LEGIT_POSTGRES:
        res = run_query(pg_warehouse, sql)
        assert (sql, res.rows, res.truncated) == (sql, rows, False)
    res = run_query(pg_warehouse, "SELECT order_id FROM orders ORDER BY order_id", max_rows=3)
    assert (res.rows, res.truncated) == ([(101,), (102,), (103,)], True)
    res = run_query(pg_warehouse, "SELECT order_id FROM orders", max_rows=11)
    assert (len(res.rows), res.truncated) == (11, False)
    with pytest.raises(CatalogError):
        run_query(pg_warehouse, "SELECT * FROM custmers")


def test_time_limit_stops_a_slow_query_on_postgres(pg_warehouse: Engine) -> None:
    slow = "SELECT count(*) FROM generate_series(1, 100000) AS a CROSS JOIN generate_series(1, 100000) AS b"
    with pytest.raises(ExecutionError) as err:
        run_query(pg_warehouse, slow, timeout_s=0.5)
    assert "query stopped after 0.5 s" in err.value.message
    assert "DATAMORPH_QUERY_TIMEOUT" in (err.value.hint or "")
    assert run_query(pg_warehouse, "SELECT count(*) FROM customers").rows == [(6,)]
