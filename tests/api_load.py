"""The API load the load test and `bench/perf_api.py` send: concurrent runs among schema requests.

:func:`run_load` sends, against a running `datamorph serve`, ``runs`` ``POST /api/runs`` (each into its
own target) interleaved with ``schema_requests`` ``POST /get/schemas``, at most ``concurrency`` in
flight; then waits for every run and checks that no log entry is missing (:func:`log_problems`: every
step recorded in the run store has its ``status`` and ``end`` entries, the log starts with ``start``
and ends with ``success``, and the run's event stream delivers exactly ``log_count`` entries). It
returns the counts, latencies and problems as a dict; it asserts nothing and measures no limit.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

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
