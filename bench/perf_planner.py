"""Planner latency: median planning time per prompt.

    python bench/perf_planner.py [--warehouse PATH] [--prompts FILE | --tasks TASKS.jsonl] [--repeat N]

Without ``--warehouse`` it builds the demo warehouse (scale 1) in a temp folder and
plans DataMorph's own prompts (``bench/prompts.txt``). ``--tasks`` reads the prompts
of a JSONL task file (one object with a ``prompt`` a line), e.g. an external accuracy
benchmark, with ``--warehouse`` pointing at its warehouse.

The catalog and the value index are built once (as a long-running process would);
each prompt is then planned ``--repeat`` times and its median kept. A prompt the
planner refuses (PlanError) counts too: refusing is part of planning. Prints one
line per prompt, then ``median_ms: X.X`` last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", help="DuckDB warehouse (default: build the demo warehouse)")
    ap.add_argument("--prompts", default=str(Path(__file__).with_name("prompts.txt")))
    ap.add_argument("--tasks", help="JSONL file whose lines have a 'prompt'")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)

    from datamorph.engines import connect
    from datamorph.errors import DataMorphError
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    if a.tasks:
        prompts = [json.loads(ln)["prompt"] for ln in Path(a.tasks).read_text().splitlines() if ln.strip()]
    else:
        prompts = [ln.strip() for ln in Path(a.prompts).read_text().splitlines()
                   if ln.strip() and not ln.startswith("#")]  # fmt: skip
    tmp = None
    warehouse = a.warehouse
    if warehouse is None:
        from datamorph.demo.warehouse import build_demo_warehouse

        tmp = tempfile.TemporaryDirectory()
        warehouse = str(Path(tmp.name) / "demo.duckdb")
        build_demo_warehouse(warehouse, scale=1)
    with connect(warehouse, read_only=True) as engine:
        t0 = time.perf_counter()
        catalog = engine.catalog()
        values = ValueIndex.build(engine, catalog)
        linker = SchemaLinker(catalog, values)
        setup_ms = (time.perf_counter() - t0) * 1000
    print(f"setup_ms: {setup_ms:.1f} (catalog + value index, once)")
    medians = []
    for p in prompts:
        times, outcome = [], "planned"
        for _ in range(max(1, a.repeat)):
            t1 = time.perf_counter()
            try:
                plan(p, catalog, linker)
            except DataMorphError as e:
                outcome = f"refused: {e.error_type}"
            times.append((time.perf_counter() - t1) * 1000)
        med = statistics.median(times)
        medians.append(med)
        print(f"{med:8.2f} ms  {outcome:<24} {p[:70]}")
    if tmp is not None:
        tmp.cleanup()
    print(f"prompts: {len(prompts)}")
    print(f"median_ms: {statistics.median(medians):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
