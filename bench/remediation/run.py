"""Fault-injection suite for the remediation loop: broken specs that should heal.

Each case (``cases/NN_name.json``) holds a broken ``spec``, the ``fault`` class, optional
``setup_sql`` (run on the case's copy of the demo warehouse first, e.g. a lookup table
with duplicate rows) and ``expected_sql``, the hand-written query for the correct table.
Every case runs through the real orchestrator on a fresh copy of the demo warehouse
(``build_demo_warehouse(path, scale=1)``); the published table is compared with the
expected query's result (order-insensitive, numbers within a small tolerance).

Per case: ``repaired`` (published and equal), ``not repaired`` (the run failed: nothing
published) or ``wrongly passed`` (published, but the table is wrong), with the remediation
iterations. Then the median iterations of the repaired cases, and as the last line
``repaired: N/M wrongly_passed: K``.

Run: ``python bench/remediation/run.py [-k SUBSTRING] [-v]``.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

CASES = Path(__file__).parent / "cases"
REL_TOL = 1e-6
ABS_TOL = 1e-6


def load_cases(pattern: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(CASES.glob("*.json")):
        if pattern and pattern not in path.stem:
            continue
        out.append((path.stem, json.loads(path.read_text())))
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    return v


def _sort_key(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple((0, "") if v is None else (1, round(v, 4)) if isinstance(v, (int, float)) and not isinstance(v, bool)
                 else (2, str(v)) for v in row)  # fmt: skip


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        if math.isinf(a) or math.isinf(b):
            return a == b
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def compare_tables(con: Any, target: str, expected_sql: str) -> str | None:
    """None when ``target`` holds the expected rows, else what differs."""
    cur = con.execute(f'SELECT * FROM "{target}"')
    got_cols = [d[0].lower() for d in cur.description]
    got = cur.fetchall()
    cur = con.execute(expected_sql)
    want_cols = [d[0].lower() for d in cur.description]
    want = cur.fetchall()
    if sorted(got_cols) != sorted(want_cols):
        return f"columns {got_cols} != expected {want_cols}"
    order = [got_cols.index(c) for c in want_cols]
    got_rows = sorted((tuple(_plain(r[i]) for i in order) for r in got), key=_sort_key)
    want_rows = sorted((tuple(_plain(v) for v in r) for r in want), key=_sort_key)
    if len(got_rows) != len(want_rows):
        return f"{len(got_rows)} rows != expected {len(want_rows)}"
    for g, w in zip(got_rows, want_rows, strict=True):
        if not all(_same_value(a, b) for a, b in zip(g, w, strict=True)):
            return f"row {g} != expected {w}"
    return None


def run_case(name: str, case: dict[str, Any], pristine: Path, work: Path) -> dict[str, Any]:
    import duckdb

    from datamorph.config import Settings
    from datamorph.orchestrator import Orchestrator, RunRequest
    from datamorph.spec import load_spec

    folder = work / name
    folder.mkdir(parents=True)
    warehouse = folder / "warehouse.duckdb"
    shutil.copy(pristine, warehouse)
    if case.get("setup_sql"):
        con = duckdb.connect(str(warehouse))
        try:
            for sql in case["setup_sql"]:
                con.execute(sql)
        finally:
            con.close()
    spec = load_spec(case["spec"])
    t0 = time.perf_counter()
    orch = Orchestrator(Settings(home=folder / "home", lock_timeout=10))
    result = orch.run(RunRequest(warehouse=str(warehouse), spec=spec))
    seconds = time.perf_counter() - t0
    body = result["body"]
    out = {"name": name, "fault": case.get("fault"), "iterations": body.get("remediation_iterations", 0),
           "remediation_status": body.get("remediation_status"), "seconds": seconds,
           "message": body.get("message"), "remediations": body.get("remediations", [])}  # fmt: skip
    if result["statusCode"] != 200:
        out["outcome"] = "not repaired"
        return out
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        diff = compare_tables(con, spec.target_table.name, case["expected_sql"])
    finally:
        con.close()
    out["outcome"] = "repaired" if diff is None else "wrongly passed"
    out["diff"] = diff
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="pattern", help="only cases whose name contains this")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the repairs and failure messages")
    args = parser.parse_args(argv)

    from datamorph.demo.warehouse import build_demo_warehouse

    cases = load_cases(args.pattern)
    results = []
    with tempfile.TemporaryDirectory(prefix="dm-remediation-") as tmp:
        work = Path(tmp)
        pristine = work / "demo.duckdb"
        build_demo_warehouse(pristine, scale=1)
        for name, case in cases:
            r = run_case(name, case, pristine, work)
            results.append(r)
            print(f"{name:<40} {r['fault']:<24} {r['outcome']:<15} iterations={r['iterations']} "
                  f"({r['remediation_status']}, {r['seconds']:.2f}s)")  # fmt: skip
            if args.verbose or r["outcome"] == "wrongly passed":
                for a in r["remediations"]:
                    print(f"    v{a['iteration'] + 1}: {a['explanation']}")
                if r["outcome"] != "repaired":
                    print(f"    {r.get('diff') or r['message']}")
    repaired = [r for r in results if r["outcome"] == "repaired"]
    wrong = [r for r in results if r["outcome"] == "wrongly passed"]
    median = statistics.median(r["iterations"] for r in repaired) if repaired else 0
    print(f"median iterations (repaired cases): {median:g}")
    print(f"repaired: {len(repaired)}/{len(results)} wrongly_passed: {len(wrong)}")
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
