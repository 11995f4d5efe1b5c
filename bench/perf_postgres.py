"""PostgreSQL benchmark: the example request through the whole pipeline vs. the same query by hand.

Usage::

    python bench/perf_postgres.py --scale S [--repeat N] [--url postgresql://...]

1. Starts a throw-away PostgreSQL server the way the tests do (``tests/pg.py``; as root it runs
   as the ``postgres`` OS user), unless ``--url`` names an existing, empty database.
2. Builds the demo warehouse at ``--scale`` into a temporary DuckDB file and loads it into
   PostgreSQL with DataMorph's loader (COPY, primary keys, ANALYZE); both times are printed.
3. Runs ``datamorph.demo.example_spec()`` through ``Orchestrator.run`` on PostgreSQL into
   ``perf_pg_customer_order_summary`` (dropped before each run, so each run is a first publish):
   a warm-up, then the median of ``--repeat`` runs, alternating with
4. the hand-written ``CREATE TABLE ... AS SELECT`` of the same result in the same database
   (its own connection, autocommit; the table is dropped after each run, untimed).

Prints the pipeline's step times and, last, ``ratio: X.XX`` = median pipeline wall time /
median hand-written time. Asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # for tests/pg.py, the shared server helper

TARGET = "perf_pg_customer_order_summary"
HAND_WRITTEN_SQL = (
    "CREATE TABLE hand_written AS SELECT c.customer_id, sum(o.amount) AS total_amount "
    "FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
    "GROUP BY c.customer_id HAVING sum(o.amount) > 1000"
)


def execute(url: str, *statements: str) -> float:
    """Run statements in autocommit mode on a connection of our own; return the seconds they took."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        t0 = time.perf_counter()
        for s in statements:
            con.execute(s.encode())
        return time.perf_counter() - t0


def pipeline_once(orch: Any, url: str) -> dict[str, Any]:
    from datamorph.demo import example_spec
    from datamorph.orchestrator import RunRequest

    execute(url, f'DROP TABLE IF EXISTS public."{TARGET}"')
    t0 = time.perf_counter()
    result = orch.run(RunRequest(warehouse=url, spec=example_spec(), target=TARGET))
    wall = time.perf_counter() - t0
    body = result["body"]
    if result["statusCode"] != 200:
        raise SystemExit(f"pipeline failed: {body.get('message')}")
    return {"wall_ms": wall * 1000, "steps": body["step_timings_ms"], "rows": body.get("rows"),
            "validation": body.get("validation_summary", {})}  # fmt: skip


def hand_written_once(url: str) -> float:
    execute(url, "DROP TABLE IF EXISTS hand_written")
    ms = execute(url, HAND_WRITTEN_SQL) * 1000
    execute(url, "DROP TABLE hand_written")
    return ms


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="demo warehouse scale (1 = ~10k orders)")
    p.add_argument("--repeat", type=int, default=3, help="measured runs of each (median is printed)")
    p.add_argument("--url", help="an existing, empty PostgreSQL database instead of a throw-away server")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")

    from datamorph.config import Settings
    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine
    from datamorph.orchestrator import Orchestrator

    server = None
    with tempfile.TemporaryDirectory(prefix="dm_perf_pg_") as tmp:
        try:
            if args.url:
                url = args.url
            else:
                from tests.pg import start_server

                t0 = time.perf_counter()
                server = start_server()
                url = server.create_database("bench")
                print(f"server_start_s: {time.perf_counter() - t0:.2f} (PostgreSQL, port {server.port})")
            duck = Path(tmp) / "demo.duckdb"
            t0 = time.perf_counter()
            build_demo_warehouse(str(duck), scale=args.scale)
            print(f"build_s: {time.perf_counter() - t0:.2f} (DuckDB demo warehouse, scale {args.scale:g})")
            t0 = time.perf_counter()
            with PostgresEngine(url) as eng:
                loaded = load_duckdb_tables(eng, str(duck))
            rows = sum(t.rows for t in loaded)
            print(f"load_s: {time.perf_counter() - t0:.2f} ({len(loaded)} tables, {rows:,} rows via COPY)")

            orch = Orchestrator(Settings(home=Path(tmp) / "home"))
            pipeline_once(orch, url)  # warm-ups
            hand_written_once(url)
            runs, hand = [], []
            for _ in range(args.repeat):
                runs.append(pipeline_once(orch, url))
                hand.append(hand_written_once(url))
            last = runs[-1]
            v = last["validation"]
            print(f"result_rows: {last['rows']:,}; validation: {v.get('passed')}/{v.get('total_tests')} tests passed")
            for step in last["steps"]:
                print(f"step_{step}_ms: {statistics.median(r['steps'][step] for r in runs):.1f}")
            wall = statistics.median(r["wall_ms"] for r in runs)
            walls = ", ".join(f"{r['wall_ms']:.0f}" for r in runs)
            print(f"pipeline_total_ms: {wall:.1f} (runs: {walls})")
            hw = statistics.median(hand)
            print(f"hand_written_ms: {hw:.1f} (runs: {', '.join(f'{h:.0f}' for h in hand)})")
            print(f"ratio: {wall / hw:.2f}")
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
