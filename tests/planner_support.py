"""Shared helpers of the planner tests: a demo warehouse with extra tables, plan, and check a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.spec import ETLSpec

REF = dt.date(2025, 7, 1)  # the reference date relative dates count from

#: Web analytics and finance tables the demo warehouse lacks (users, sessions, page_views with duplicate
#: rows, accounts, transactions), with primary keys so the linker infers the joins.
WEB_FINANCE_SQL = """
CREATE TABLE users (user_id INTEGER PRIMARY KEY, username VARCHAR, country VARCHAR, created_at TIMESTAMP, plan VARCHAR);
INSERT INTO users VALUES
  (1, 'ana', 'PT', '2024-03-05 08:15:00', 'free'), (2, 'bo', 'SE', '2024-11-30 23:59:00', 'pro'),
  (3, 'cy', 'US', '2025-01-02 00:00:01', 'free'), (4, 'di', 'DE', '2025-02-14 12:00:00', NULL);
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY, user_id INTEGER, started_at TIMESTAMP, ended_at TIMESTAMP,
                       device_type VARCHAR, browser VARCHAR, traffic_source VARCHAR);
INSERT INTO sessions VALUES
  (10, 1, '2024-12-31 23:50:00', '2025-01-01 00:10:00', 'mobile', 'safari', 'ads'),
  (11, 1, '2025-01-15 09:00:00', '2025-01-15 09:30:00', 'desktop', 'chrome', 'organic'),
  (12, 2, '2025-03-01 18:20:00', '2025-03-01 18:25:00', 'desktop', 'firefox', 'email'),
  (13, 3, '2025-06-30 07:00:00', NULL, 'tablet', 'chrome', 'organic');
CREATE TABLE page_views (view_id INTEGER, session_id INTEGER, page_url VARCHAR, viewed_at TIMESTAMP,
                         time_on_page_sec INTEGER);
INSERT INTO page_views VALUES
  (1, 10, '/home', '2024-12-31 23:51:00', 30), (1, 10, '/home', '2024-12-31 23:51:00', 30),
  (2, 10, '/cart', '2024-12-31 23:55:00', 12), (3, 11, '/home', '2025-01-15 09:01:00', 5),
  (3, 11, '/home', '2025-01-15 09:01:00', 5), (3, 11, '/home', '2025-01-15 09:01:00', 5),
  (4, 12, '/pricing', '2025-03-01 18:21:00', NULL), (4, 12, '/pricing', '2025-03-01 18:21:00', NULL),
  (5, 13, '/home', '2025-06-30 07:01:00', 40);
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id BIGINT, account_type VARCHAR, status VARCHAR,
                       opened_date DATE, closed_date DATE, credit_limit DECIMAL(12,2));
INSERT INTO accounts VALUES
  (100, 1, 'checking', 'open', '2023-01-10', NULL, 15000), (200, 2, 'savings', 'open', '2023-05-01', NULL, NULL),
  (300, 3, 'credit', 'closed', '2022-02-02', '2024-12-31', 10000), (400, 4, 'credit', 'open', '2024-07-07', NULL, 2500),
  (500, 5, 'checking', 'frozen', '2024-09-09', NULL, 9999.99);
CREATE TABLE transactions (transaction_id INTEGER PRIMARY KEY, account_id INTEGER, transaction_date DATE,
                           transaction_type VARCHAR, direction VARCHAR, amount DECIMAL(12,2), status VARCHAR);
INSERT INTO transactions VALUES
  (1, 100, '2025-01-01', 'deposit', 'credit', 500, 'posted'), (2, 100, '2025-01-02', 'card', 'debit', 120, 'posted'),
  (3, 100, '2025-01-02', 'refund', 'credit', 40, 'pending'), (4, 200, '2025-01-01', 'deposit', 'credit', 1000, 'posted'),
  (5, 200, '2025-01-05', 'transfer', 'debit', 250, 'posted'), (6, 100, '2025-01-07', 'card', 'debit', 80, 'posted'),
  (7, 200, '2025-01-05', 'fee', 'debit', 5, 'reversed'), (8, 400, '2025-02-01', 'card', 'debit', 60, 'posted'),
  (9, 100, '2025-01-02', 'deposit', 'credit', 10, 'posted');
"""


def planner_engine(tmp_path_factory: pytest.TempPathFactory, extra_sql: str = "", scale: float = 0.05) -> Iterator[Any]:
    """A demo warehouse (plus ``extra_sql``) opened as an engine, closed afterwards."""
    import duckdb

    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("w") / "w.duckdb"
    build_demo_warehouse(path, scale=scale)
    if extra_sql:
        con = duckdb.connect(str(path))
        con.execute(extra_sql)
        con.close()
    eng = connect(str(path))
    yield eng
    eng.close()


def sql_engine(tmp_path_factory: pytest.TempPathFactory, name: str, sql: str) -> Iterator[Any]:
    """A DuckDB warehouse built from ``sql`` (statements) in a fresh folder, opened as an engine, closed afterwards."""
    import duckdb

    from datamorph.engines import connect

    path = tmp_path_factory.mktemp(name) / f"{name}.duckdb"
    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    eng = connect(str(path))
    yield eng
    eng.close()


def sorted_rows(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    """The rows ``sql`` returns on ``engine``, in a fixed order (for comparing results)."""
    return sorted(engine.fetch(sql).rows, key=repr)


def plan(engine: Any, prompt: str) -> ETLSpec:
    from datamorph.planner import plan_request

    return plan_request(prompt, engine, reference_date=REF)


def row_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if v is None else f"{v}" for v in row)


def check(engine: Any, prompt: str, expected_sql: str, columns: list[str] | None = None) -> ETLSpec:
    """Plan, compile and run ``prompt``; its rows (and column names) equal ``expected_sql``'s."""
    spec = plan(engine, prompt)
    res = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb"))
    want = engine.fetch(expected_sql)
    assert sorted(res.rows, key=row_key) == sorted(want.rows, key=row_key), spec.to_json()
    if columns is not None:
        assert res.columns == columns, spec.to_json()
    return spec


def same_rows_on_postgres(engine: Any, url: str, setup_sql: str, prompt: str) -> None:
    """Plan ``prompt`` on ``engine`` (DuckDB), load ``setup_sql`` into the PostgreSQL database at ``url``, and
    check that the plan's SQL gives the same rows on both (numbers compared to 6 decimals, the rest as text)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(setup_sql)
    compiled = compile_spec(plan(engine, prompt), engine.catalog())
    duck = engine.fetch(compiled.sql("duckdb")).rows
    with psycopg.connect(url) as con:
        pg = con.execute(compiled.sql("postgres")).fetchall()

    def norm(rows: list[Any]) -> list[tuple[Any, ...]]:
        return sorted((tuple(None if v is None else round(float(v), 6) if isinstance(v, int | float) or
                             type(v).__name__ == "Decimal" else str(v) for v in r) for r in rows), key=repr)  # fmt: skip

    assert norm(pg) == norm(duck)

