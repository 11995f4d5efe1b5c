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
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import fingerprint

from datamorph.engines import connect
from datamorph.engines.base import Engine
from datamorph.engines.safe_query import HINT, check_query, run_query, tables_read, unique_names
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
    # system catalogs behind a CTE of the same name defined in another scope (issue 10), and however spelled
    ("SELECT name, setting FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT * FROM pg_settings) a, pg_settings",
     "table pg_settings would be read from the system catalog"),
    ("SELECT database_name, path FROM (WITH duckdb_databases AS (SELECT 1 AS x) SELECT * FROM duckdb_databases) a, "
     "duckdb_databases", "table duckdb_databases would be read from the system catalog"),
    ("SELECT schema_name, table_name FROM (WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM duckdb_tables) a, "
     "duckdb_tables", "table duckdb_tables would be read from the system catalog"),
    ('SELECT * FROM (WITH duckdb_tables AS (SELECT 1 AS x) SELECT * FROM duckdb_tables) a, "DuckDB_Tables"',
     "table duckdb_tables would be read from the system catalog"),
    ("WITH a AS (WITH duckdb_views AS (SELECT 1 AS x) SELECT * FROM duckdb_views) SELECT * FROM a, duckdb_views",
     "table duckdb_views would be read from the system catalog"),
    ("SELECT * FROM customers WHERE customer_id IN (WITH duckdb_columns AS (SELECT 1 AS x) SELECT x FROM "
     "duckdb_columns) AND EXISTS (SELECT 1 FROM duckdb_columns)", "table duckdb_columns would be read"),
    ("WITH b AS (SELECT * FROM duckdb_schemas), duckdb_schemas AS (SELECT 1 AS x) SELECT * FROM b",
     "table duckdb_schemas would be read"),  # a later CTE does not hide a table from an earlier one
    ("SELECT * FROM customers, LATERAL (WITH sqlite_master AS (SELECT 1 AS x) SELECT * FROM sqlite_master) s, "
     "sqlite_master", "table sqlite_master would be read"),
    ('SELECT * FROM "DuckDB_Tables"', "would be read from the system catalog"),
    ("SELECT * FROM DUCKDB_TABLES", "would be read from the system catalog"),
    ("SELECT * FROM main.duckdb_tables", "table main.duckdb_tables would be read from the system catalog"),
    ("SELECT * FROM system.main.duckdb_tables", "names a database"),
    ("SELECT * FROM pg_catalog.pg_settings", "is in a system schema"),
    ('SELECT * FROM "PG_CATALOG"."PG_SETTINGS"', "is in a system schema"),
    ("SELECT * FROM Pg_Settings", "would be read from the system catalog"),
    ("SELECT * FROM pg_class", "would be read from the system catalog"),
    ("SELECT * FROM pragma_database_list", "would be read from the system catalog"),
    ("SELECT * FROM information_schema.schemata", "is in a system schema"),
    ('SELECT * FROM "Information_Schema".tables', "is in a system schema"),
    ("SELECT * FROM temp.customers", "is in a system schema"),
    ("SELECT * FROM datamorph_staging.anything", "is in a system schema"),
    ('SELECT * FROM "DataMorph_History"."versions"', "is in a system schema"),
    ("WITH datamorph_history AS (SELECT 1 AS x) SELECT * FROM datamorph_history.versions", "is in a system schema"),
    ("SELECT * FROM duckdb_tables()", "function duckdb_tables is not allowed"),
    ("SELECT * FROM customers, duckdb_settings() s", "function duckdb_settings is not allowed"),
    ("SELECT error('x')", "function error is not allowed"),
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
    # issue 10: a CTE of the same name in another scope does not hide a system catalog; settings are not read
    ("SELECT name, setting FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT * FROM pg_settings) a, pg_settings",
     "table pg_settings would be read from the system catalog"),
    ("SELECT * FROM (WITH pg_stat_activity AS (SELECT 1 AS x) SELECT * FROM pg_stat_activity) a, "
     '"pg_stat_activity"', "table pg_stat_activity would be read from the system catalog"),
    ("SELECT * FROM PG_CATALOG.PG_AUTHID", "is in a system schema"),
    ('SELECT * FROM "pg_catalog"."pg_settings"', "is in a system schema"),
    ("SELECT * FROM pg_temp.anything", "is in a system schema"),
    ("SELECT * FROM datamorph_history.versions", "is in a system schema"),
    ("SELECT current_setting('data_directory')", "function current_setting is not allowed"),
    ("SELECT to_regclass('datamorph_staging.x')", "function to_regclass is not allowed"),
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
        with pytest.raises(QueryRefused):
            run_query(eng, "SELECT * FROM duckdb_tables")  # a system view, not a warehouse table
        with pytest.raises(CatalogError):
            run_query(eng, "SELECT * FROM other_schema.customers")
        # a CTE is read by its name; a schema-qualified warehouse table is found
        assert run_query(eng, "WITH c AS (SELECT 2 AS x) SELECT x FROM c").rows == [(2,)]
        assert run_query(eng, "SELECT count(*) FROM main.customers").rows == [(6,)]
        # a CTE hides a table only in its own scope: elsewhere the name must be a warehouse table
        with pytest.raises(CatalogError) as hidden:
            run_query(eng, "SELECT * FROM (WITH secret AS (SELECT 1 AS x) SELECT * FROM secret) a, secret")
        assert "unknown table 'secret'" in hidden.value.message
        with pytest.raises(CatalogError):
            run_query(eng, "WITH a AS (SELECT * FROM secret), secret AS (SELECT 1 AS x) SELECT * FROM a")
        assert run_query(eng, "SELECT count(*) FROM (WITH orders AS (SELECT 1 AS x) SELECT * FROM orders) a, "
                              "orders").rows == [(11,)]  # fmt: skip


# (query, tables it reads) per dialect: a CTE hides a table only where the CTE is visible
SCOPES: list[tuple[str, str, list[tuple[str | None, str]]]] = [
    ("duckdb", "SELECT name FROM (WITH pg_settings AS (SELECT 1 AS x) SELECT * FROM pg_settings) a, pg_settings",
     [(None, "pg_settings")]),
    ("duckdb", "WITH a AS (SELECT 1 AS x) SELECT * FROM a", []),
    ("duckdb", "WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a) SELECT * FROM b, c", [(None, "c")]),
    ("duckdb", "WITH b AS (SELECT * FROM a), a AS (SELECT 1 AS x) SELECT * FROM b", [(None, "a")]),
    ("duckdb", "WITH a AS (SELECT * FROM a) SELECT * FROM a", [(None, "a")]),
    ("duckdb", "WITH RECURSIVE a AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM a WHERE n < 3) SELECT * FROM a", []),
    ("duckdb", "SELECT * FROM t WHERE x IN (WITH t AS (SELECT 1) SELECT * FROM t)", [(None, "t")]),
    ("duckdb", "WITH c AS (SELECT 1) SELECT * FROM (SELECT * FROM c) s, (SELECT * FROM main.c) m", [("main", "c")]),
    ("duckdb", "SELECT * FROM (SELECT 1 AS x) AS s, LATERAL (SELECT * FROM s) l", [(None, "s")]),
    ("duckdb", "SELECT (WITH q AS (SELECT 1) SELECT * FROM q), * FROM q", [(None, "q")]),
    ("duckdb", 'WITH Foo AS (SELECT 1) SELECT * FROM "FOO"', []),  # DuckDB names ignore case, quoted or not
    ("postgres", 'WITH Foo AS (SELECT 1) SELECT * FROM "Foo"', [(None, "Foo")]),  # unquoted Foo is foo
    ("postgres", 'WITH "Foo" AS (SELECT 1) SELECT * FROM "Foo", foo', [(None, "foo")]),
    ("postgres", "SELECT * FROM orders o JOIN (WITH orders AS (SELECT 1 AS x) SELECT * FROM orders) p ON true",
     [(None, "orders")]),
]


@pytest.mark.parametrize(("dialect", "sql", "tables"), SCOPES)
def test_tables_are_resolved_per_scope(dialect: str, sql: str, tables: list[tuple[str | None, str]]) -> None:
    assert tables_read(sqlglot.parse_one(sql, read=dialect), dialect) == tables


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


def test_byte_limit_stops_reading_a_large_result(duck: Engine) -> None:
    """Issue 10: 30 rows of 10 MB each passed the row cap; the byte limit refuses them while reading."""
    with pytest.raises(ExecutionError) as err:
        run_query(duck, "SELECT repeat('x', 10000000) FROM range(30)", max_bytes=10_000_000)
    assert err.value.context.get("too_large") is True
    assert "query result exceeds DATAMORPH_QUERY_MAX_BYTES (10 MB): stopped reading after 1 row" in err.value.message
    assert "select fewer columns or rows" in (err.value.hint or "")
    assert run_query(duck, "SELECT count(*) FROM customers").rows == [(6,)]  # the engine is still usable
    # below the limit the rows come back; the limit counts every row returned, not one
    ok = run_query(duck, "SELECT repeat('x', 1000) AS s FROM range(5)", max_bytes=10_000)
    assert (len(ok.rows), ok.truncated) == (5, False)
    with pytest.raises(ExecutionError) as err:
        run_query(duck, "SELECT repeat('x', 1000) AS s FROM range(50)", max_bytes=10_000)
    assert "(10,000 bytes): stopped reading after 10 rows" in err.value.message
    # the row limit still applies, and a result cut by it is not refused for the rows it did not return
    cut = run_query(duck, "SELECT repeat('x', 1000) AS s FROM range(50)", max_rows=3, max_bytes=10_000)
    assert (len(cut.rows), cut.truncated) == (3, True)
    # multi-byte text counts in UTF-8 bytes
    with pytest.raises(ExecutionError):
        run_query(duck, "SELECT repeat('é', 3000) AS s", max_bytes=5_000)
    assert len(run_query(duck, "SELECT repeat('e', 3000) AS s", max_bytes=5_000).rows) == 1
    # the engine's own fetch: without max_rows, max_bytes alone also stops reading
    with pytest.raises(ExecutionError) as err:
        duck.fetch("SELECT repeat('x', 100000) FROM range(1000)", max_bytes=1_000_000)
    assert err.value.context.get("too_large") is True


def test_duplicate_output_names_are_made_unique(duck: Engine) -> None:
    """Issue 10: `SELECT 1 AS x, 2 AS x` lost a value once rows became JSON objects."""
    res = run_query(duck, "SELECT 1 AS x, 2 AS x, 3 AS x_1, 4 AS x")
    assert res.columns == ["x", "x_2", "x_1", "x_3"]
    assert res.renamed_columns == {"x_2": "x", "x_3": "x"}
    assert res.rows == [(1, 2, 3, 4)]
    assert [dict(zip(res.columns, r, strict=True)) for r in res.rows] == [{"x": 1, "x_2": 2, "x_1": 3, "x_3": 4}]
    both = run_query(duck, "SELECT c.*, o.* FROM customers c JOIN orders o ON o.customer_id <> c.customer_id "
                           "WHERE c.customer_id = 1 AND o.order_id = 105")  # fmt: skip
    assert both.renamed_columns == {"customer_id_1": "customer_id"}
    row = dict(zip(both.columns, both.rows[0], strict=True))
    assert (row["customer_id"], row["customer_id_1"]) == (1, 3)
    assert run_query(duck, "SELECT 1 AS a, 2 AS b").renamed_columns == {}
    assert unique_names(["a", "A", "a", "a_1", "a"]) == (["a", "A", "a_2", "a_1", "a_3"], {"a_2": "a", "a_3": "a"})


def test_an_error_in_a_query_is_an_execution_error(duck: Engine) -> None:
    with pytest.raises(ExecutionError) as err:
        run_query(duck, "SELECT no_such_column FROM customers")
    assert "no_such_column" in err.value.message
    assert not err.value.context.get("timed_out")


# -- every risky function of the engines' own catalogs ------------------------------------------------------

# Names that suggest files, settings, the environment, the network, other sessions or side effects.
_RISKY_NAME = re.compile(
    r"read|scan|glob|env|setting|config|file|dir|http|url|secret|extension|query|variable|sleep|pragma|^duckdb_|"
    r"^pg_|^lo_|sql|attach|s3|path|load|install|copy|export|import|checkpoint|log|stat|connection|session|"
    r"transaction|xact|txid|snapshot|advisory|lock|backend|notify|wal|replication|version|user|role|seq|val$|"
    r"sniff|metadata|arrow|parquet|csv|substrait|iceberg|delta|xml|cursor|terminate|cancel|signal|reload|rotate|"
    r"promote|backup|dblink"
)
# Each risky function is called these ways; every call must be refused unless the function is listed below.
_CALLS = ("SELECT * FROM {f}()", "SELECT * FROM {f}('x')", "SELECT * FROM {f}('x', 1)", "SELECT {f}()",
          "SELECT {f}('x')", "SELECT {f}(1, 2)")  # fmt: skip

# The risky-looking functions a query may call (they compute values only), each with a call that must run
# and its rows. A new engine function that gets through the checks and is not here fails the test.
HARMLESS_DUCKDB: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "range": ("SELECT * FROM range(3)", [(0,), (1,), (2,)]),
    "generate_series": ("SELECT * FROM generate_series(1, 3)", [(1,), (2,), (3,)]),
    "unnest": ("SELECT * FROM unnest([1, 2])", [(1,), (2,)]),
    "repeat": ("SELECT repeat('ab', 2)", [("abab",)]),
    "histogram": ("SELECT histogram(x) FROM range(2) AS t(x)", [({0: 1, 1: 1},)]),
    "json_each": ("SELECT 1", [(1,)]),  # passes the checks in a select list, where DuckDB refuses a table function
    "json_extract_path": ("SELECT json_extract_path('{\"a\": 1}', 'a') = '1'", [(True,)]),
    "json_extract_path_text": ("SELECT json_extract_path_text('{\"a\": 1}', 'a')", [("1",)]),
    "log": ("SELECT log(100)", [(2.0,)]),
    "log10": ("SELECT log10(100)", [(2.0,)]),
    "log2": ("SELECT log2(8)", [(3.0,)]),
    "url_encode": ("SELECT url_encode('a b')", [("a%20b",)]),
    "url_decode": ("SELECT url_decode('a%20b')", [("a b",)]),
    "random": ("SELECT random() BETWEEN 0 AND 1", [(True,)]),
    "uuid": ("SELECT length(CAST(uuid() AS VARCHAR))", [(36,)]),
    "gen_random_uuid": ("SELECT length(CAST(gen_random_uuid() AS VARCHAR))", [(36,)]),
    "pg_typeof": ("SELECT pg_typeof(1)", [("integer",)]),
    "transaction_timestamp": ("SELECT transaction_timestamp() IS NOT NULL", [(True,)]),
    "current_catalog": ("SELECT current_catalog() = current_database()", [(True,)]),
    "current_role": ("SELECT current_role() IS NOT NULL", [(True,)]),
    "current_user": ("SELECT current_user() IS NOT NULL", [(True,)]),
    "session_user": ("SELECT session_user() IS NOT NULL", [(True,)]),
    "version": ("SELECT version() IS NOT NULL", [(True,)]),
}
HARMLESS_POSTGRES: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
    "generate_series": ("SELECT * FROM generate_series(1, 3)", [(1,), (2,), (3,)]),
    "unnest": ("SELECT * FROM unnest(ARRAY[1, 2])", [(1,), (2,)]),
    "generate_subscripts": ("SELECT generate_subscripts(ARRAY[5, 6], 1)", [(1,), (2,)]),
    "json_each": ("SELECT count(*) FROM (SELECT json_each('{\"a\": 1, \"b\": 2}')) AS e", [(2,)]),
    "regexp_matches": ("SELECT regexp_matches('a1b2', '[0-9]', 'g')", [(["1"],), (["2"],)]),
    "regexp_split_to_table": ("SELECT regexp_split_to_table('a,b', ',')", [("a",), ("b",)]),
    "json_extract_path": ("SELECT json_extract_path('{\"a\": 1}', 'a')::text", [("1",)]),
    "json_extract_path_text": ("SELECT json_extract_path_text('{\"a\": 1}', 'a')", [("1",)]),
    "jsonb_extract_path": ("SELECT jsonb_extract_path('{\"a\": 1}', 'a')::text", [("1",)]),
    "jsonb_extract_path_text": ("SELECT jsonb_extract_path_text('{\"a\": 1}', 'a')", [("1",)]),
    "interval": ("SELECT CAST('1 day' AS INTERVAL) = INTERVAL '24 hours'", [(True,)]),
    "make_interval": ("SELECT make_interval(days => 1) = INTERVAL '1 day'", [(True,)]),
    "justify_interval": ("SELECT justify_interval(INTERVAL '30 days') = INTERVAL '1 month'", [(True,)]),
    "log": ("SELECT log(100)", [(Decimal("2.0000000000000000"),)]),
    "log10": ("SELECT log10(100)", [(Decimal("2.0000000000000000"),)]),
    "random": ("SELECT random() BETWEEN 0 AND 1", [(True,)]),
    "gen_random_uuid": ("SELECT length(gen_random_uuid()::text)", [(36,)]),
    "clock_timestamp": ("SELECT clock_timestamp() IS NOT NULL", [(True,)]),
    "statement_timestamp": ("SELECT statement_timestamp() IS NOT NULL", [(True,)]),
    "transaction_timestamp": ("SELECT transaction_timestamp() IS NOT NULL", [(True,)]),
    "timeofday": ("SELECT timeofday() IS NOT NULL", [(True,)]),
    "pg_typeof": ("SELECT pg_typeof(1)::text", [("integer",)]),
    "current_database": ("SELECT current_database() IS NOT NULL", [(True,)]),
    "current_schema": ("SELECT current_schema()", [("public",)]),
    "current_schemas": ("SELECT cardinality(current_schemas(false)) >= 1", [(True,)]),
    "current_user": ("SELECT current_user IS NOT NULL", [(True,)]),
    "session_user": ("SELECT session_user IS NOT NULL", [(True,)]),
    "version": ("SELECT version() IS NOT NULL", [(True,)]),
}


def _calls_not_refused(engine: Engine, functions: list[str]) -> dict[str, list[str]]:
    """{function: [calls that were not refused]} for every call of every function (through run_query)."""
    passed: dict[str, list[str]] = {}
    for f in functions:
        for call in _CALLS:
            sql = call.format(f=f)
            try:
                run_query(engine, sql)
            except QueryRefused:
                continue
            except ExecutionError:  # got through the checks; the engine itself rejected the call
                pass
            passed.setdefault(f, []).append(sql)
    return passed


def _check_catalog_functions(engine: Engine, functions: list[str],
                             harmless: dict[str, tuple[str, list[tuple[Any, ...]]]]) -> None:  # fmt: skip
    passed = _calls_not_refused(engine, functions)
    assert {f: calls for f, calls in passed.items() if f not in harmless} == {}
    assert set(passed) <= set(harmless)
    for f, (sql, rows) in harmless.items():
        assert run_query(engine, sql).rows == rows, f


def test_every_risky_duckdb_function_is_refused(fixture_warehouse: Path) -> None:
    """From DuckDB's own catalog: every table function, every function with side effects or volatile, and
    every function named like files, settings, the network or the environment is refused in a SELECT,
    except the few listed harmless ones, which run and change nothing."""
    before = fingerprint(fixture_warehouse)
    with connect(str(fixture_warehouse), external_access=False) as eng:
        rows = eng.fetch("SELECT function_name, list(DISTINCT function_type), bool_or(has_side_effects), "
                         "list(DISTINCT stability) FROM duckdb_functions() GROUP BY function_name").rows  # fmt: skip
        functions = sorted(name for name, types, side_effects, stability in rows
                           if {"table", "table_macro"} & set(types) or side_effects or "VOLATILE" in stability
                           or _RISKY_NAME.search(name))  # fmt: skip
        tables = {name for name, types, _, _ in rows if {"table", "table_macro"} & set(types)}
        assert len(tables) >= 100 and len(functions) >= 150
        assert {"read_csv", "read_text", "glob", "query", "query_table", "current_setting",
                "duckdb_settings", "duckdb_secrets", "parquet_scan", "sniff_csv"} <= set(functions)  # fmt: skip
        _check_catalog_functions(eng, functions, HARMLESS_DUCKDB)
    assert fingerprint(fixture_warehouse) == before


def test_every_risky_postgres_function_is_refused(pg_warehouse: Engine) -> None:
    """From PostgreSQL's pg_proc: every set-returning function, every volatile function, and every function
    named like files, settings, locks, other sessions, the network or the server is refused in a SELECT,
    except the few listed harmless ones, which run and change nothing."""
    before = _pg_fingerprint(pg_warehouse)
    rows = pg_warehouse.fetch("SELECT proname, bool_or(proretset), bool_or(provolatile = 'v') FROM pg_proc "
                              "WHERE prokind IN ('f', 'a', 'w') GROUP BY proname").rows  # fmt: skip
    functions = sorted(name for name, set_returning, volatile in rows
                       if set_returning or volatile or _RISKY_NAME.search(name))  # fmt: skip
    assert len(functions) >= 500
    assert {"pg_read_file", "pg_ls_dir", "current_setting", "set_config", "lo_import", "pg_stat_file",
            "pg_terminate_backend", "txid_current", "pg_advisory_lock", "pg_sleep", "nextval"} <= set(functions)  # fmt: skip
    _check_catalog_functions(pg_warehouse, functions, HARMLESS_POSTGRES)
    assert _pg_fingerprint(pg_warehouse) == before


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


def test_byte_limit_and_duplicate_names_on_postgres(pg_warehouse: Engine) -> None:
    """The server-side cursor is read in small batches: the limit stops reading before later rows are made."""
    with pytest.raises(ExecutionError) as err:
        run_query(pg_warehouse, "SELECT repeat('x', 10000000) FROM generate_series(1, 30)", max_bytes=10_000_000)
    assert err.value.context.get("too_large") is True
    assert "exceeds DATAMORPH_QUERY_MAX_BYTES (10 MB): stopped reading after 1 row" in err.value.message
    # every row after the 20th fails (division by zero) when PostgreSQL makes it: reading stops before that
    lazy = ("SELECT CASE WHEN i <= 20 THEN repeat('x', 1000) ELSE CAST(1 / (i - i) AS TEXT) END AS s "
            "FROM generate_series(1, 1000) AS g(i)")  # fmt: skip
    with pytest.raises(ExecutionError) as err:
        run_query(pg_warehouse, lazy, max_bytes=5_000)
    assert err.value.context.get("too_large") is True, err.value
    with pytest.raises(ExecutionError) as err:  # without the byte limit the failing rows are reached
        run_query(pg_warehouse, lazy)
    assert "division by zero" in err.value.message
    res = run_query(pg_warehouse, "SELECT 1 AS x, 2 AS x")
    assert (res.columns, res.rows, res.renamed_columns) == (["x", "x_1"], [(1, 2)], {"x_1": "x"})
    assert run_query(pg_warehouse, "SELECT count(*) FROM orders").rows == [(11,)]


@pytest.mark.parametrize(("sql", "why"), [
    ("SELECT * FROM parquet.`warehouse_files`", "reading files"),
    ("SELECT * FROM csv.`/etc/passwd`", "looks like a file path"),
    ("SELECT reflect('java.lang.System', 'exit', 1)", "calls code outside SQL"),
    ("SELECT java_method('java.lang.Runtime', 'getRuntime')", "calls code outside SQL"),
])  # fmt: skip
def test_spark_file_sources_and_java_calls_are_refused(sql: str, why: str) -> None:
    with pytest.raises(QueryRefused) as err:
        check_query(sql, "spark")
    assert why in err.value.message
    check_query("SELECT `status`, count(*) FROM orders GROUP BY `status`", "spark")  # a plain query passes
