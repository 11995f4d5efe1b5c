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
is missing. The test suite runs a smaller load through :func:`run_load` (tests/test_api_load.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STEPS = ("plan", "read_sources", "compile", "stage", "validate", "publish")


@dataclass
class Kind:
    """Latencies (ms) and failures of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self, wall_s: float) -> dict[str, Any]:
        lat = sorted(self.latencies)
        return {
            "requests": len(lat) + len(self.errors),
            "errors": len(self.errors),
            "rps": round(len(lat) / wall_s, 1) if wall_s > 0 else None,
            "p50_ms": round(statistics.median(lat), 1) if lat else None,
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 1) if lat else None,
        }


def log_problems(run: dict[str, Any], logs: dict[str, Any], streamed: int) -> list[str]:
    """What is missing from a completed run's log (empty list: nothing)."""
    entries = logs["logs"]
    problems = []
    if logs["log_count"] != len(entries):
        problems.append(f"log_count {logs['log_count']} but {len(entries)} entries")
    if streamed != len(entries):
        problems.append(f"the event stream sent {streamed} entries, the log has {len(entries)}")
    if not entries or entries[0]["type"] != "start":
        problems.append("the log does not start with a start entry")
    if not entries or entries[-1]["type"] != "success":
        problems.append("the log does not end with a success entry")
    for step in run["steps"]:
        for kind in ("status", "end"):
            found = [e for e in entries if e["type"] == kind and e["metadata"].get("step") == step["step"]]
            if len(found) != 1 and step["status"] == "ok":
                problems.append(f"{len(found)} '{kind}' entries for step {step['step']}")
    if [s["step"] for s in run["steps"]] != list(STEPS):
        problems.append(f"steps {[s['step'] for s in run['steps']]}")
    return problems


async def _stream_count(client: Any, run_id: str) -> int:
    n = 0
    async with client.stream("GET", f"/api/runs/{run_id}/events") as resp:
        async for line in resp.aiter_lines():
            if line == "event: log":
                n += 1
    return n


async def _load(url: str, token: str | None, runs: int, schema_requests: int, concurrency: int,
                prompt: str, tables: list[str]) -> dict[str, Any]:  # fmt: skip
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    kinds = {"POST /api/runs": Kind(), "POST /get/schemas": Kind()}
    sem = asyncio.Semaphore(concurrency)
    run_ids: list[str] = []
    tag = time.strftime("%H%M%S")

    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=300) as client:

        async def call(kind: str, path: str, payload: dict[str, Any]) -> None:
            async with sem:
                t0 = time.perf_counter()
                try:
                    resp = await client.post(path, json=payload)
                except httpx.HTTPError as e:
                    kinds[kind].errors.append(f"{type(e).__name__}: {e}")
                    return
                ms = (time.perf_counter() - t0) * 1000
            if resp.status_code not in (200, 202):
                kinds[kind].errors.append(f"{resp.status_code}: {resp.text[:200]}")
                return
            kinds[kind].latencies.append(ms)
            if kind == "POST /api/runs":
                run_ids.append(resp.json()["run_id"])

        jobs = [call("POST /api/runs", "/api/runs", {"prompt": prompt, "target_table": f"load_{tag}_{i}"})
                for i in range(runs)]  # fmt: skip
        jobs += [call("POST /get/schemas", "/get/schemas", {"table_names": tables}) for _ in range(schema_requests)]
        # interleave runs among the schema requests so both kinds are in flight together
        step = max(1, len(jobs) // max(1, runs))
        order = [jobs[runs + i] for i in range(schema_requests)]
        for i in range(runs):
            order.insert(min(len(order), i * step), jobs[i])
        t0 = time.perf_counter()
        await asyncio.gather(*order)
        requests_s = time.perf_counter() - t0

        # every run to its end, then its log checked
        finished: dict[str, dict[str, Any]] = {}
        while len(finished) < len(run_ids):
            for run_id in run_ids:
                if run_id not in finished:
                    run = (await client.get(f"/api/runs/{run_id}")).json()
                    if run["status"] != "running":
                        finished[run_id] = run
            await asyncio.sleep(0.05)
        all_done_s = time.perf_counter() - t0
        problems: dict[str, list[str]] = {}
        entries = 0
        for run_id, run in finished.items():
            logs = (await client.get(f"/get/logs/{run_id}")).json()
            streamed = await _stream_count(client, run_id)
            entries += len(logs["logs"])
            p = ([] if run["status"] == "completed" else [f"status {run['status']}: {run.get('error_message')}"])
            p += log_problems(run, logs, streamed)
            if p:
                problems[run_id] = p

    return {
        "requests": {k: v.summary(requests_s) for k, v in kinds.items()},
        "request_errors": {k: v.errors[:5] for k, v in kinds.items() if v.errors},
        "requests_wall_s": round(requests_s, 2),
        "runs_submitted": len(run_ids),
        "runs_completed": sum(r["status"] == "completed" for r in finished.values()),
        "runs_wall_s": round(all_done_s, 2),
        "runs_per_s": round(len(finished) / all_done_s, 2) if all_done_s > 0 else None,
        "log_entries_checked": entries,
        "runs_with_missing_entries": len(problems),
        "problems": problems,
    }


def run_load(url: str, *, token: str | None = None, runs: int = 20, schema_requests: int = 500,
             concurrency: int = 50, prompt: str, tables: list[str]) -> dict[str, Any]:  # fmt: skip
    """Send the load to a running server and check every run; the figures as a dict."""
    return asyncio.run(_load(url, token, runs, schema_requests, concurrency, prompt, tables))


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
