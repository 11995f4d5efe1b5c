"""Shared helpers of the planner tests: a demo warehouse with extra tables, plan, and check a request."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.spec import ETLSpec

REF = dt.date(2025, 7, 1)  # the reference date relative dates count from


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
