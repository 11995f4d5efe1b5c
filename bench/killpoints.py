"""Kill-point benchmark: SIGKILL `datamorph run` many times and count what is left behind.

    python bench/killpoints.py --engine duckdb --kills 50
    python bench/killpoints.py --engine postgres --kills 15     # starts a throw-away server
    python bench/killpoints.py --engine spark --kills 10        # a local Spark warehouse folder

Kills alternate between the step boundaries (where the test hook DATAMORPH_TEST_PAUSE_AT stops the
run) and random points; after each, the next command must leave no run `running` (stuck) and no
staging table (orphans), the target must be exactly the old or the new version, the sources
unchanged, and `datamorph resume` (or a new run) must complete. The harness is tests/killpoints.py.
Prints one line per kill on stderr, then on stdout exactly:

    kills: N, clean: N, stuck: 0, orphans: 0
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the harness lives in tests/

from tests.killpoints import (  # noqa: E402
    BOUNDARIES,
    KillHarness,
    build_duckdb,
    build_postgres,
    build_spark,
    summary,
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", choices=("duckdb", "postgres", "spark"), default="duckdb")
    ap.add_argument("--kills", type=int, default=50, help="kills to make (runs that ended first do not count)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix=f"dm_killpoints_{args.engine}_"))
    server = None
    if args.engine == "postgres":
        from tests.pg import start_server

        server = start_server()
        warehouse = build_postgres(server.create_database("dm_killpoints"), work)
    elif args.engine == "spark":
        warehouse = build_spark(work)
    else:
        warehouse = build_duckdb(work / "warehouse.duckdb")
    try:
        harness = KillHarness(warehouse, work, seed=args.seed, timeout=900 if args.engine == "spark" else 180)
        harness.prepare()
        cycles = []
        t0 = time.monotonic()
        i = 0
        while sum(c.killed for c in cycles) < args.kills:
            point = BOUNDARIES[(i // 2) % len(BOUNDARIES)] if i % 2 == 0 else None
            c = harness.cycle(point, recover="resume" if (i // 2) % 3 else "run")
            cycles.append(c)
            i += 1
            print(f"[{len(cycles):3d}] {'killed' if c.killed else 'ended first'}: {c.describe()}", file=sys.stderr)
        print(f"{time.monotonic() - t0:.0f} s, {len(cycles)} runs started; warehouse {warehouse}", file=sys.stderr)
        gc = harness.cli("gc", "--warehouse", warehouse, "--json")
        if gc.returncode == 0:
            res = json.loads(gc.stdout)
            print(f"datamorph gc: {len(res['versions_dropped'])} history versions and {len(res['staging_dropped'])} "
                  f"staging tables dropped; size {res['size_before']:,} -> {res['size_after']:,} bytes", file=sys.stderr)
        else:
            print(f"datamorph gc failed: {gc.stderr.strip()}", file=sys.stderr)
        print(summary(cycles))
        killed = [c for c in cycles if c.killed]
        return 0 if all(c.clean for c in killed) else 1
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
