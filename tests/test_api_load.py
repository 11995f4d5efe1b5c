"""A bounded load on a real server: 20 concurrent runs among 500 concurrent schema requests.

Every request must succeed, every run must complete, and no log entry may be missing (each step's
status and end entries, start first, success last, and the event stream delivering every entry).
The load is tests/api_load.py; `bench/perf_api.py` sends the same load and prints the figures
(requests/s, p50/p99); this test asserts correctness only, never timings.
"""

from __future__ import annotations

from pathlib import Path

from tests.api_load import STEPS, log_problems, run_load
from tests.api_support import start_api

from datamorph.demo import EXAMPLE_PROMPT


def test_concurrent_runs_and_schema_requests(tmp_path: Path) -> None:
    from datamorph.demo.warehouse import build_demo_warehouse

    warehouse = tmp_path / "demo.duckdb"
    build_demo_warehouse(warehouse, scale=0.2)
    srv = start_api(warehouse, tmp_path / "home", env={"DATAMORPH_WORKERS": "2"})
    try:
        report = run_load(srv.url, runs=20, schema_requests=500, concurrency=50, prompt=EXAMPLE_PROMPT,
                          tables=["customers", "orders"])  # fmt: skip
    finally:
        code = srv.stop()
    assert report["request_errors"] == {}, report
    assert report["requests"]["POST /get/schemas"]["requests"] == 500
    assert report["runs_submitted"] == report["runs_completed"] == 20, report
    assert report["problems"] == {}, report
    assert report["log_entries_checked"] >= 20 * 15
    assert code == 0 and "Traceback" not in srv.log(), srv.log()


def test_log_check_notices_a_missing_entry() -> None:
    """The load test's log check is not blind: drop one entry and it is reported."""
    entries = [{"type": "start", "metadata": {}}]
    for step in STEPS:
        entries += [{"type": "status", "metadata": {"step": step}}, {"type": "end", "metadata": {"step": step}}]
    entries.append({"type": "success", "metadata": {}})
    run = {"steps": [{"step": s, "status": "ok"} for s in STEPS]}
    assert log_problems(run, {"log_count": len(entries), "logs": entries}, len(entries)) == []
    broken = entries[:6] + entries[7:]  # the 'end' entry of compile lost
    problems = log_problems(run, {"log_count": len(broken), "logs": broken}, len(broken))
    assert "0 'end' entries for step compile" in problems
    assert log_problems(run, {"log_count": len(entries), "logs": entries}, len(entries) - 1)
