"""Spark benchmark: the demo request on DuckDB and on a local Spark warehouse, at several scales.

Usage::

    python bench/perf_spark.py [--scales 10,100] [--repeat 1]

For each scale:

1. Builds the demo warehouse into a temporary DuckDB file (untimed) and copies its tables into a
   temporary Spark warehouse folder (``spark:///...``; Parquet files plus the catalog, no Spark job).
2. Runs ``datamorph.demo.example_spec()`` through ``Orchestrator.run`` on DuckDB and on Spark (each a
   first publish into a target of its own; the median of ``--repeat`` runs after one warm-up run).
3. Prints both wall times and Spark's time split into ``session_start`` (starting the process's
   SparkSession, measured once, before the first Spark run), ``stage``, ``validate`` and ``publish``
   (the run's step timings) and ``other`` (plan, read_sources, compile, run store, artifacts).

The last line is ``ratio_spark_to_duckdb: X.X`` (Spark's median run wall time, session start excluded,
over DuckDB's, at the largest scale). The script prints figures; it asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def run_once(orch: Any, warehouse: str, target: str) -> dict[str, Any]:
    from datamorph.demo import example_spec
    from datamorph.orchestrator import RunRequest

    t0 = time.perf_counter()
    result = orch.run(RunRequest(warehouse=warehouse, spec=example_spec(), target=target))
    wall = time.perf_counter() - t0
    body = result["body"]
    if body.get("status") != "completed":
        raise SystemExit(f"the run on {warehouse} did not complete: {body.get('message')}")
    return {"wall_s": wall, "steps": {k: v / 1000 for k, v in body["step_timings_ms"].items()}, "rows": body["rows"]}


def measure(orch: Any, warehouse: str, target: str, repeat: int) -> list[dict[str, Any]]:
    """One warm-up run, then ``repeat`` measured runs, each into a new target (every run a first publish)."""
    runs = []
    for i in range(repeat + 1):
        r = run_once(orch, warehouse, f"{target}_{i}")
        if i:  # the first run warms up
            runs.append(r)
    return runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="10,100", help="comma-separated demo warehouse scales")
    ap.add_argument("--repeat", type=int, default=1, help="measured runs per engine and scale (median printed)")
    args = ap.parse_args(argv)
    from datamorph.config import Settings
    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines.spark import SparkEngine, load_duckdb_tables, session
    from datamorph.orchestrator import Orchestrator

    work = Path(tempfile.mkdtemp(prefix="dm_perf_spark_"))
    orch = Orchestrator(Settings.from_env(home=str(work / "home")))
    t0 = time.perf_counter()
    session()
    session_s = time.perf_counter() - t0
    print(f"session_start_s: {session_s:.1f}")
    ratio = None
    for scale in [float(s) for s in args.scales.split(",") if s.strip()]:
        duck = work / f"demo_{scale:g}.duckdb"
        rows = build_demo_warehouse(duck, scale=scale)
        address = f"spark://{work / f'spark_{scale:g}'}"
        t0 = time.perf_counter()
        with SparkEngine(address, create=True) as eng:
            load_duckdb_tables(eng, str(duck))
        copy_s = time.perf_counter() - t0
        print(f"scale {scale:g}: {sum(rows.values()):,} source rows; copied into Spark in {copy_s:.1f} s")
        d_runs = measure(orch, str(duck), "perf_duck", args.repeat)
        s_runs = measure(orch, address, "perf_spark", args.repeat)

        def med(runs: list[dict[str, Any]], key: str | None = None) -> float:
            return statistics.median(r["wall_s"] if key is None else r["steps"].get(key, 0.0) for r in runs)

        duck_s, spark_s = med(d_runs), med(s_runs)
        parts = {k: med(s_runs, k) for k in ("stage", "validate", "publish")}
        other = spark_s - sum(parts.values())
        print(f"scale {scale:g}: duckdb_s: {duck_s:.2f}  spark_s: {spark_s:.2f} (rows {s_runs[-1]['rows']:,}; "
              f"duckdb rows {d_runs[-1]['rows']:,})")  # fmt: skip
        print(f"scale {scale:g}: spark split: session_start {session_s:.1f} s (once per process), "
              + ", ".join(f"{k} {v:.2f} s" for k, v in parts.items()) + f", other {other:.2f} s")
        ratio = spark_s / duck_s if duck_s else None
    print(f"ratio_spark_to_duckdb: {ratio:.1f}" if ratio is not None else "ratio_spark_to_duckdb: n/a")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
