"""A source whose columns change under a run fails it cleanly: SchemaChanged naming the table and the
column, nothing published, the target as it was, the run recorded failed.

Two moments: after ``datamorph plan`` produced a spec that runs later (the spec records the columns it
reads), and between reading the sources and staging (another connection alters the table while the run
is under way; the ALTER runs at that exact point through a step inserted after ``compile``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import fingerprint, result_json, run_cli

from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.orchestrator import STEPS, Orchestrator, RunRequest, Step
from datamorph.spec import load_spec

TARGET = "customer_totals"
SPEC = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"}],
    "target_table": TARGET,
}
REQUEST = "total amount per customer from orders, only orders whose customer exists"

CHANGES = {  # DuckDB and PostgreSQL spell these the same
    "dropped": ("ALTER TABLE orders DROP COLUMN amount", "column 'amount' of source table 'orders' was dropped or renamed"),
    "renamed": ("ALTER TABLE orders RENAME COLUMN amount TO amount_usd",
                "column 'amount' of source table 'orders' was dropped or renamed"),
    "retyped": ("ALTER TABLE orders ALTER COLUMN amount TYPE VARCHAR",
                "column 'amount' of source table 'orders' changed type from"),
    "table renamed": ("ALTER TABLE orders RENAME TO orders_old", "source table 'orders' was dropped or renamed"),
}  # fmt: skip


def _alter(url: str, sql: str) -> None:
    """Run ``sql`` through a connection of its own: another PostgreSQL client, or another DuckDB session
    (one process holds a DuckDB file, so the other session lives in this one)."""
    if url.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute(sql.encode())
        return
    with connect(url) as other:
        other.fetch(sql)


def _with_alter_before_stage(url: str, sql: str) -> tuple[Step, ...]:
    """The workflow with one more step after compile: another connection runs ``sql`` on the warehouse."""

    def alter(_o: Orchestrator, _ctx: Any) -> str:
        _alter(url, sql)
        return "someone else altered a source"

    out: list[Step] = []
    for s in STEPS:
        out.append(s)
        if s.name == "compile":
            out.append(Step("alter", "A concurrent ALTER", alter))
    return tuple(out)


def _assert_schema_changed(orch: Orchestrator, res: dict[str, Any], needle: str, step: str) -> None:
    body = res["body"]
    assert res["statusCode"] == 500 and body["error_type"] == "SchemaChanged", body.get("message")
    assert needle in body["message"] and "nothing was published" in body["message"]
    assert body["failed_step"] == step and body["remediation_iterations"] == 0
    run = orch.store.get_run(body["run_id"])
    assert run["status"] == "failed" and run["error_type"] == "SchemaChanged"


# -- DuckDB ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_spec_planned_before_a_source_changed_fails_on_duckdb(change: str, fixture_warehouse: Path,
                                                                 tmp_path: Path) -> None:  # fmt: skip
    home = tmp_path / "home"
    planned = run_cli("plan", REQUEST, "-w", str(fixture_warehouse), "-t", TARGET, "--json", home=home)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    spec = result_json(planned)["spec"]
    assert spec["source_schemas"]["orders"]["amount"] == "DECIMAL(12,2)"
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec))
    assert run_cli("run", "--spec", str(spec_file), "-w", str(fixture_warehouse), "--json", home=home).returncode == 0
    before = fingerprint(fixture_warehouse)[TARGET]

    sql, needle = CHANGES[change]
    _alter(str(fixture_warehouse), sql)
    proc = run_cli("run", "--spec", str(spec_file), "-w", str(fixture_warehouse), "--json", home=home)
    assert proc.returncode == 1
    body = result_json(proc)["body"]
    assert body["error_type"] == "SchemaChanged", body["message"]
    assert needle in body["message"] and "plan the request again" in body["message"]
    assert body["failed_step"] == "read_sources"
    assert fingerprint(fixture_warehouse)[TARGET] == before  # not replaced
    shown = run_cli("show", body["run_id"], "--json", home=home)
    assert result_json(shown)["run"]["status"] == "failed"


@pytest.mark.parametrize("change", ["dropped", "renamed", "retyped"])
def test_a_source_changed_between_reading_and_staging_fails_on_duckdb(change: str, fixture_warehouse: Path,
                                                                      tmp_path: Path) -> None:  # fmt: skip
    home = tmp_path / "home"
    assert Orchestrator(Settings(home=home)).run(RunRequest(str(fixture_warehouse), load_spec(SPEC)))["statusCode"] == 200
    before = fingerprint(fixture_warehouse)[TARGET]
    sql, needle = CHANGES[change]
    orch = Orchestrator(Settings(home=home), steps=_with_alter_before_stage(str(fixture_warehouse), sql))
    res = orch.run(RunRequest(str(fixture_warehouse), load_spec(SPEC)))
    _assert_schema_changed(orch, res, needle, "stage")
    assert "after the run read it" in res["body"]["message"]
    after = fingerprint(fixture_warehouse)
    assert after[TARGET] == before
    with connect(str(fixture_warehouse), read_only=True) as eng:
        assert eng.scalar("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'datamorph_staging'") == 0


def test_a_column_the_spec_does_not_read_may_change(fixture_warehouse: Path, tmp_path: Path) -> None:
    """Only the columns the SQL reads count: dropping another one changes nothing."""
    orch = Orchestrator(Settings(home=tmp_path / "home"),
                        steps=_with_alter_before_stage(str(fixture_warehouse), "ALTER TABLE orders DROP COLUMN channel"))  # fmt: skip
    res = orch.run(RunRequest(str(fixture_warehouse), load_spec(SPEC)))
    assert res["statusCode"] == 200, res["body"].get("message")


# -- PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.fixture
def pg_url(pg_database: Any, pristine_warehouse: Path) -> str:
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    _server, _name, url = pg_database
    with PostgresEngine(url) as eng:
        load_duckdb_tables(eng, str(pristine_warehouse))
    return url


def _pg_target(url: str) -> list[tuple[Any, ...]]:
    with connect(url) as eng:
        return sorted(eng.fetch(f"SELECT * FROM {TARGET}").rows)


@pytest.mark.parametrize("change", ["dropped", "retyped"])
def test_a_source_changed_between_reading_and_staging_fails_on_postgres(change: str, pg_url: str,
                                                                        tmp_path: Path) -> None:  # fmt: skip
    home = tmp_path / "home"
    assert Orchestrator(Settings(home=home)).run(RunRequest(pg_url, load_spec(SPEC)))["statusCode"] == 200
    before = _pg_target(pg_url)
    sql, needle = CHANGES[change]
    orch = Orchestrator(Settings(home=home), steps=_with_alter_before_stage(pg_url, sql))
    res = orch.run(RunRequest(pg_url, load_spec(SPEC)))
    _assert_schema_changed(orch, res, needle, "stage")
    assert _pg_target(pg_url) == before
    with connect(pg_url) as eng:
        assert eng.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'datamorph_staging'") == 0


def test_a_spec_planned_before_a_source_changed_fails_on_postgres(pg_url: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    planned = run_cli("plan", REQUEST, "-w", pg_url, "-t", TARGET, "--json", home=home)
    assert planned.returncode == 0, planned.stdout + planned.stderr
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(result_json(planned)["spec"]))
    _alter(pg_url, CHANGES["renamed"][0])
    proc = run_cli("run", "--spec", str(spec_file), "-w", pg_url, "--json", home=home)
    body = result_json(proc)["body"]
    assert proc.returncode == 1 and body["error_type"] == "SchemaChanged", body["message"]
    assert CHANGES["renamed"][1] in body["message"]
    with connect(pg_url) as eng:
        assert eng.scalar(f"SELECT count(*) FROM pg_tables WHERE tablename = '{TARGET}'") == 0
