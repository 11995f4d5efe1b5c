"""Load benchmark of the HTTP API: concurrent runs and schema requests against a real `datamorph serve`.

Usage::

    python bench/perf_api.py [--runs 20] [--schema-requests 500] [--concurrency 50] [--scale 1]
                             [--workers 2] [--warehouse PATH]

It builds the demo warehouse at ``--scale`` in a temporary folder (unless ``--warehouse``), starts
``datamorph serve`` on a free 127.0.0.1 port (a separate process, as users run it) and, from this
process, sends at once ``--runs`` ``POST /api/runs`` (the example request, each into its own target)
and ``--schema-requests`` ``POST /get/schemas``, at most ``--concurrency`` in flight. Then it waits for
every run and checks that it completed and that no log entry is missing: every step recorded in the
run store has its ``status`` and ``end`` entries, the log starts with ``start`` and ends with
``success``, and the server-sent event stream of the run delivers exactly ``log_count`` entries.

It prints, per kind of request, the count, errors, requests/s and p50/p99 latency in ms, then the run
throughput and the checks. Exit code 1 if any request failed, any run did not complete or any entry
is missing. The load itself lives in tests/api_load.py; the test suite runs a smaller one
(tests/test_api_load.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--schema-requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--scale", type=float, default=1.0, help="demo warehouse scale (1: 10k orders)")
    ap.add_argument("--workers", type=int, default=2, help="the server's run workers (DATAMORPH_WORKERS)")
    ap.add_argument("--warehouse", type=Path, help="an existing demo warehouse (a copy is used)")
    args = ap.parse_args(argv)

    import shutil

    from tests.api_load import run_load
    from tests.api_support import start_api

    from datamorph.demo import EXAMPLE_PROMPT

    with tempfile.TemporaryDirectory(prefix="dm-perf-api-") as tmp:
        warehouse = Path(tmp) / "demo.duckdb"
        if args.warehouse:
            shutil.copy(args.warehouse, warehouse)
        else:
            from datamorph.demo.warehouse import build_demo_warehouse

            t0 = time.perf_counter()
            build_demo_warehouse(warehouse, scale=args.scale)
            print(f"build_s: {time.perf_counter() - t0:.2f} (scale {args.scale:g})")
        server = start_api(warehouse, Path(tmp) / "home", env={"DATAMORPH_WORKERS": str(args.workers)})
        try:
            report = run_load(server.url, runs=args.runs, schema_requests=args.schema_requests,
                              concurrency=args.concurrency, prompt=EXAMPLE_PROMPT,
                              tables=["customers", "orders"])  # fmt: skip
        finally:
            server.stop()
    for kind, s in report["requests"].items():
        print(f"{kind:<20} requests {s['requests']:>4}  errors {s['errors']}  rps {s['rps']}  "
              f"p50_ms {s['p50_ms']}  p99_ms {s['p99_ms']}")  # fmt: skip
    print(f"requests_wall_s: {report['requests_wall_s']}")
    print(f"runs: {report['runs_completed']}/{report['runs_submitted']} completed in {report['runs_wall_s']} s "
          f"({report['runs_per_s']} runs/s, {args.workers} workers)")  # fmt: skip
    print(f"log_entries_checked: {report['log_entries_checked']}  runs_with_missing_entries: "
          f"{report['runs_with_missing_entries']}")  # fmt: skip
    if report["request_errors"] or report["problems"]:
        print(json.dumps({"request_errors": report["request_errors"], "problems": report["problems"]}, indent=2))
    ok = (not report["request_errors"] and not report["problems"]
          and report["runs_completed"] == report["runs_submitted"] == args.runs)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
