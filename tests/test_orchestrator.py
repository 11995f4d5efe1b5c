"""The workflow in-process: steps, logs, artifacts, and write–audit–publish under a faulty compiler."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from tests.helpers import fingerprint

from datamorph.config import Settings
from datamorph.events import is_run_id
from datamorph.orchestrator import STEPS, Orchestrator, RunRequest, Step, _compile
from datamorph.spec import load_spec

EXAMPLE = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": "customer_order_summary",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"}],
    "having": [{"column": "total_amount", "operator": ">", "value": 1000}],
}


@pytest.fixture
def orch(tmp_path: Path) -> Orchestrator:
    return Orchestrator(Settings(home=tmp_path / "home", lock_timeout=10))


def test_success_has_the_original_response_shape(orch, fixture_warehouse) -> None:
    res = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE)))
    assert res["statusCode"] == 200
    body = res["body"]
    for key in ("status", "run_id", "target_table", "specs_path", "glue_code_path", "validation_status", "message"):
        assert key in body
    assert body["status"] == "completed" and body["validation_status"] == "pass"
    assert body["message"] == "ETL pipeline executed and validated successfully"
    assert is_run_id(body["run_id"])
    assert [s["step"] for s in orch.store.steps(body["run_id"])] == [s.name for s in STEPS]
    assert all(s["status"] == "ok" for s in orch.store.steps(body["run_id"]))
    report = json.loads(Path(body["artifacts"]["validation.json"]).read_text())
    assert report["validation_status"] == "pass" and report["summary"]["total_tests"] >= 6


def _wrong_compile(o, ctx) -> str:  # type: ignore[no-untyped-def]
    """A compiler fault: the HAVING clause is lost."""
    desc = _compile(o, ctx)
    ctx.compiled.query.set("having", None)
    ctx.sql = ctx.compiled.sql("duckdb")
    return desc


def test_a_wrong_result_is_never_published(tmp_path, fixture_warehouse) -> None:
    good = Orchestrator(Settings(home=tmp_path / "home"))
    assert good.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE)))["statusCode"] == 200
    before = fingerprint(fixture_warehouse)
    steps = tuple(Step(s.name, s.title, _wrong_compile) if s.name == "compile" else s for s in STEPS)
    faulty = Orchestrator(Settings(home=tmp_path / "home"), steps=steps)
    res = faulty.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE)))
    body = res["body"]
    assert res["statusCode"] == 500 and body["error"] is True
    assert body["error_type"] == "ValidationFailed" and body["validation_status"] == "fail"
    assert body["failed_step"] == "validate"
    assert any(t["test_id"] == "transformation_having_1" for t in body["failed_tests"])
    assert fingerprint(fixture_warehouse) == before  # target untouched, staging dropped
    import duckdb

    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    leftovers = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'datamorph_staging'").fetchone()
    con.close()
    assert leftovers == (0,)
    logs = faulty.store.logs(body["run_id"])
    assert logs[-1]["type"] == "error" and "validation" in logs[-1]["description"]
    assert Path(body["artifacts"]["validation.json"]).exists()


def test_step_events_reach_every_sink(orch, fixture_warehouse, tmp_path) -> None:
    seen = []

    class Sink:
        def emit(self, run_id, entry) -> None:  # type: ignore[no-untyped-def]
            seen.append(entry.type.value)

    o = Orchestrator(Settings(home=tmp_path / "h2"), sinks=(Sink(),))
    o.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE)))
    assert seen[0] == "start" and seen[-1] == "success"
    assert seen.count("end") == len(STEPS)
    assert "code" in seen and "result" in seen


def test_target_override_and_invalid_name(orch, fixture_warehouse) -> None:
    res = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE), target="big_spenders"))
    assert res["body"]["target_table"] == "big_spenders"
    bad = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=load_spec(EXAMPLE), target="drop table x"))
    assert bad["statusCode"] == 500 and "not a valid table name" in bad["body"]["message"]


def test_steps_are_plain_data() -> None:
    assert [s.name for s in STEPS] == ["plan", "read_sources", "compile", "stage", "validate", "publish"]
    assert replace(STEPS[0], title="x").name == "plan"


def test_stage_uses_the_perfect_hash_aggregate_and_gives_the_same_rows(orch, tmp_path) -> None:
    """Keys spanning more than DuckDB's default perfect-hash range: the staging query runs with the
    raised threshold (logged), and the published rows equal the hand-written query's."""
    import duckdb

    from datamorph.demo import example_spec

    path = tmp_path / "wide.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE customers (customer_id BIGINT PRIMARY KEY, name VARCHAR)")
    con.execute("INSERT INTO customers SELECT i, 'c' || i FROM range(1, 20001) t(i)")
    con.execute("CREATE TABLE orders (order_id BIGINT PRIMARY KEY, customer_id BIGINT, amount DECIMAL(10,2))")
    con.execute("INSERT INTO orders SELECT i, 1 + (i * 7919) % 20000, (i % 997) + 0.5 FROM range(1, 60001) t(i)")
    con.close()
    result = orch.run(RunRequest(warehouse=str(path), spec=example_spec(), target="wide_totals"))
    assert result["statusCode"] == 200, result
    logs = orch.store.logs(result["body"]["run_id"])
    tuned = [e for e in logs if e["title"] == "Engine settings for the staging query"]
    assert tuned and int(tuned[0]["metadata"]["settings"]["perfect_ht_threshold"]) > 12
    con = duckdb.connect(str(path), read_only=True)
    try:
        got = sorted(con.execute("SELECT * FROM wide_totals").fetchall())
        want = sorted(con.execute(
            "SELECT c.customer_id, sum(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
            "GROUP BY c.customer_id HAVING sum(o.amount) > 1000").fetchall())  # fmt: skip
    finally:
        con.close()
    assert got == want and len(got) > 1000
