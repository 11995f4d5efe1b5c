"""Plan every request of a task file and print what the planner made of each: the compiled SQL or the error.

A check that a change to the planner changed nothing it did not mean to: run it before and after,
then ``--compare`` the two outputs. Only planning runs (no staging, no validation), against a
read-only copy of the warehouse the tasks are written for.

    python bench/plan_corpus.py --tasks TASKS.jsonl --warehouse W.duckdb --out before.jsonl
    python bench/plan_corpus.py --tasks TASKS.jsonl --warehouse W.duckdb --out after.jsonl --compare before.jsonl

The task file is JSON lines with ``id`` and ``prompt`` (and optionally ``target``). Prints one
line per request that changed, then ``planned: N, refused: M, changed: K``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from pathlib import Path

REF = dt.date(2026, 6, 30)


def plan_all(tasks: list[dict[str, str]], warehouse: str) -> list[dict[str, str]]:
    from datamorph.compiler import compile_spec
    from datamorph.engines import connect
    from datamorph.errors import DataMorphError
    from datamorph.planner import plan_request

    tmp = Path(tempfile.mkdtemp(prefix="dm-corpus-")) / "w.duckdb"
    shutil.copy(warehouse, tmp)
    eng = connect(str(tmp))
    out = []
    try:
        catalog = eng.catalog()
        for t in tasks:
            try:
                spec = plan_request(t["prompt"], eng, catalog=catalog, target=t.get("target") or "result",
                                    reference_date=REF)  # fmt: skip
                out.append({"id": t["id"], "sql": compile_spec(spec, catalog).sql("duckdb")})
            except DataMorphError as e:
                out.append({"id": t["id"], "error": f"{type(e).__name__}: {e.message}"})
            except Exception as e:  # noqa: BLE001 - a planner crash is a finding, reported with the others
                out.append({"id": t["id"], "error": f"CRASH {type(e).__name__}: {e}"})
    finally:
        eng.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", required=True)
    ap.add_argument("--warehouse", required=True, help="a DuckDB file (copied; never written)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--compare", default=None, help="an earlier --out to compare with")
    a = ap.parse_args(argv)
    tasks = [json.loads(line) for line in Path(a.tasks).read_text().splitlines() if line.strip()]
    rows = plan_all(tasks, a.warehouse)
    Path(a.out).write_text("".join(json.dumps(r) + "\n" for r in rows))
    changed = 0
    if a.compare:
        before = {r["id"]: r for r in map(json.loads, Path(a.compare).read_text().splitlines())}
        for r in rows:
            old = before.get(r["id"])
            if old != r:
                changed += 1
                was = (old or {}).get("sql") or (old or {}).get("error")
                now = r.get("sql") or r.get("error")
                print(f"CHANGED {r['id']}\n  before: {str(was)[:300]}\n  after:  {str(now)[:300]}")
    planned = sum("sql" in r for r in rows)
    crashed = sum(r.get("error", "").startswith("CRASH") for r in rows)
    print(f"planned: {planned}, refused: {len(rows) - planned}, crashed: {crashed}, changed: {changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
