"""Golden files: spec → SQL per dialect, and the DuckDB SQL run against a hand-written query.

Each ``tests/golden/NAME.json`` holds a spec and a hand-written reference query;
``NAME.<dialect>.sql`` holds the SQL the compiler must produce. Regenerate the
SQL files with ``UPDATE_GOLDEN=1 pytest tests/test_compiler_golden.py`` and
review the diff.
"""

from __future__ import annotations

import json
import math
import os
from decimal import Decimal
from pathlib import Path

import pytest

from datamorph.compiler import compile_spec
from datamorph.spec import load_spec

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))
DIALECTS = ("duckdb", "postgres", "spark")


def _case(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", CASES)
def test_sql_matches_golden(name: str, dialect: str, fixture_catalog) -> None:
    compiled = compile_spec(load_spec(_case(name)["spec"]), fixture_catalog)
    sql = compiled.sql(dialect) + "\n"
    path = GOLDEN / f"{name}.{dialect}.sql"
    if os.environ.get("UPDATE_GOLDEN") or not path.exists():
        path.write_text(sql)
    assert sql == path.read_text()


def _norm(v):
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float):
        return round(v, 9) if not math.isnan(v) else "NaN"
    return v


def _rows(con, sql: str) -> list:
    return sorted((tuple(_norm(x) for x in r) for r in con.execute(sql).fetchall()), key=repr)


@pytest.mark.parametrize("name", CASES)
def test_duckdb_result_equals_hand_written_query(name: str, pristine_warehouse, fixture_catalog) -> None:
    import duckdb

    case = _case(name)
    compiled = compile_spec(load_spec(case["spec"]), fixture_catalog)
    con = duckdb.connect(str(pristine_warehouse), read_only=True)
    try:
        got = _rows(con, compiled.sql("duckdb"))
        want = _rows(con, case["reference_sql"])
    finally:
        con.close()
    assert got == want
    assert got, "a golden case should produce rows, or it proves little"
