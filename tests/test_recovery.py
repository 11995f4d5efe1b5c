"""Runs that outlive their process: abandoned runs are found by the next command, their staging
tables dropped; `datamorph resume` continues them; `datamorph gc` prunes history and orphaned
staging tables. Real processes killed with SIGKILL, real DuckDB files and a real PostgreSQL server."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import result_json, run_cli

from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.events import LogEntry, LogType, new_run_id
from datamorph.owner import Owner, process_start
from datamorph.recovery import heartbeat, sweep
from datamorph.store import SCHEMA_VERSION, RunStore

TARGET = "customer_order_summary"
SPEC = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": {"name": TARGET},
    "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "inner", "on_columns": ["customer_id"]}],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount", "group_by": ["c.customer_id"]}],
    "filters": [{"column": "total_amount", "operator": ">", "value": 1000}],
}
EXPECTED = [(1, 1150.5), (3, 1540.0), (4, 1025.99)]


def _spec(tmp_path: Path, body: dict[str, Any] = SPEC) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(body))
    return path


def _kill_at(point: str, spec: Path, warehouse: Path | str, home: Path) -> str:
    """Start `datamorph run --spec`, SIGKILL it where the test hook pauses at ``point``; its run id."""
    marker = home.parent / f"paused-{point.replace(':', '-')}.json"
    env = {**os.environ, "DATAMORPH_HOME": str(home), "DATAMORPH_TEST_PAUSE_AT": point,
           "DATAMORPH_TEST_PAUSE_FILE": str(marker)}  # fmt: skip
    env.pop("DATAMORPH_WAREHOUSE", None)
    proc = subprocess.Popen([sys.executable, "-m", "datamorph", "run", "--spec", str(spec), "-w", str(warehouse),
                             "--json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, f"the run ended before {point}"
            assert time.monotonic() < deadline, f"the run never reached {point}"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    return str(json.loads(marker.read_text())["run_id"])


def _staging(warehouse: Path | str) -> list[str]:
    with connect(str(warehouse), read_only=True) as eng:
        return [r[0] for r in eng.fetch("SELECT table_name FROM information_schema.tables "
                                        "WHERE table_schema = 'datamorph_staging'").rows]  # fmt: skip


def _rows(warehouse: Path | str, table: str = TARGET) -> list[tuple[Any, float]]:
    with connect(str(warehouse), read_only=True) as eng:
        return sorted((r[0], float(r[1])) for r in eng.fetch(f'SELECT * FROM "{table}"').rows)


def _show(run_id: str, home: Path) -> dict[str, Any]:
    proc = run_cli("show", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    return dict(result_json(proc))


# -- abandoned runs --------------------------------------------------------------------------------


def test_a_killed_run_is_abandoned_by_the_next_command_and_its_staging_dropped(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    run_id = _kill_at("validate:start", _spec(tmp_path), fixture_warehouse, home)
    assert len(_staging(fixture_warehouse)) == 1  # what the killed process left
    shown = _show(run_id, home)  # the next command
    assert shown["run"]["status"] == "abandoned"
    assert shown["run"]["error_type"] == "Abandoned"
    assert f"pid {shown['run']['owner_pid']}" in shown["run"]["error_message"]
    assert "is gone" in shown["run"]["error_message"]
    assert [s["status"] for s in shown["steps"]][-1] == "failed"  # the step it died in
    assert _staging(fixture_warehouse) == []
    logs = json.loads(run_cli("logs", run_id, "--json", home=home).stdout)
    assert logs["status"] == "abandoned"
    assert logs["logs"][-1]["type"] == "error" and "is gone" in logs["logs"][-1]["description"]
    human = run_cli("show", run_id, home=home)
    assert "abandoned" in human.stdout and f"datamorph resume {run_id}" in human.stdout


def test_runs_of_a_live_process_stay_running(tmp_path) -> None:
    home = tmp_path / "home"
    store = RunStore(home / "runs.db")
    mine = new_run_id()
    store.create_run(mine, warehouse=str(tmp_path / "w.duckdb"))  # owned by this (live) test process
    listed = json.loads(run_cli("runs", "--json", home=home).stdout)
    assert [(r["run_id"], r["status"]) for r in listed] == [(mine, "running")]


def test_a_reused_pid_is_not_taken_for_the_owner(tmp_path) -> None:
    """Same host, the pid is alive but belongs to a process that started at another time."""
    if process_start(os.getpid()) is None:
        pytest.skip("no /proc here: process start times cannot be read")
    home = tmp_path / "home"
    store = RunStore(home / "runs.db")
    rid = new_run_id()
    store.create_run(rid)
    with sqlite3.connect(home / "runs.db") as con:
        con.execute("UPDATE runs SET owner_started = 'another-boot:1' WHERE run_id = ?", (rid,))
    assert store.get_run(rid)["owner_pid"] == os.getpid()
    sweep(store, Settings(home=home))
    assert store.get_run(rid)["status"] == "abandoned"


def test_a_run_on_another_host_is_abandoned_when_its_heartbeat_is_stale(tmp_path) -> None:
    home = tmp_path / "home"
    store = RunStore(home / "runs.db")
    fresh, stale = new_run_id(), new_run_id()
    for rid in (fresh, stale):
        store.create_run(rid)
    with sqlite3.connect(home / "runs.db") as con:
        con.execute("UPDATE runs SET owner_host = 'elsewhere.example'")
        con.execute("UPDATE runs SET heartbeat_at = '2020-01-01T00:00:00.000Z' WHERE run_id = ?", (stale,))
    res = sweep(store, Settings(home=home, heartbeat_timeout=60))
    assert res.abandoned == [stale]
    assert store.get_run(fresh)["status"] == "running"
    assert "no heartbeat since 2020-01-01" in store.get_run(stale)["error_message"]


def test_the_heartbeat_thread_stamps_running_runs(tmp_path) -> None:
    store = RunStore(tmp_path / "runs.db")
    rid = new_run_id()
    store.create_run(rid)
    with sqlite3.connect(tmp_path / "runs.db") as con:
        con.execute("UPDATE runs SET heartbeat_at = '2020-01-01T00:00:00.000Z'")
    with heartbeat(store, 0.05):
        deadline = time.monotonic() + 10
        while store.get_run(rid)["heartbeat_at"].startswith("2020") and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not store.get_run(rid)["heartbeat_at"].startswith("2020")
    assert store.beat(Owner.current()) == 1


V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    prompt TEXT, target_table TEXT, warehouse TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    validation_status TEXT, result_json TEXT, error_type TEXT, error_message TEXT);
CREATE INDEX runs_by_created ON runs (created_at);
CREATE TABLE logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL REFERENCES runs (run_id), seq INTEGER NOT NULL,
    timestamp TEXT NOT NULL, type TEXT NOT NULL, title TEXT NOT NULL, description TEXT NOT NULL,
    metadata_json TEXT NOT NULL, UNIQUE (run_id, seq));
CREATE TABLE steps (
    run_id TEXT NOT NULL REFERENCES runs (run_id), step TEXT NOT NULL, attempt INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')), started_at TEXT NOT NULL,
    ended_at TEXT, duration_ms INTEGER, detail_json TEXT, PRIMARY KEY (run_id, step, attempt));
CREATE TRIGGER logs_no_update BEFORE UPDATE ON logs BEGIN SELECT RAISE(ABORT, 'logs are append-only'); END;
INSERT INTO runs VALUES ('20240101_000000_aaaaaa', 'completed', 'p', 't', 'w.duckdb', '2024-01-01T00:00:00.000Z',
    '2024-01-01T00:00:01.000Z', 'pass', '{"statusCode": 200}', NULL, NULL);
INSERT INTO runs VALUES ('20240102_000000_bbbbbb', 'running', 'p', 't', 'w.duckdb', '2024-01-02T00:00:00.000Z',
    '2024-01-02T00:00:01.000Z', NULL, NULL, NULL, NULL);
INSERT INTO logs (run_id, seq, timestamp, type, title, description, metadata_json)
    VALUES ('20240102_000000_bbbbbb', 1, '2024-01-02T00:00:00.000Z', 'start', 'Starting', '', '{}');
"""


def test_a_version_1_run_store_is_migrated(tmp_path) -> None:
    path = tmp_path / "runs.db"
    con = sqlite3.connect(path)
    con.executescript(V1_SCHEMA)
    con.close()
    store = RunStore(path)
    old = store.get_run("20240101_000000_aaaaaa")
    assert old["status"] == "completed" and old["result"] == {"statusCode": 200} and old["owner_pid"] is None
    res = sweep(store, Settings(home=tmp_path))  # a v1 'running' run with no sign of life for long: abandoned
    assert res.abandoned == ["20240102_000000_bbbbbb"]
    assert [e["type"] for e in store.logs("20240102_000000_bbbbbb")] == ["start", "error"]
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE logs SET title = 'x'")
    store.append_log("20240101_000000_aaaaaa", LogEntry.now(LogType.INFO, "still writable"))


# -- resume --------------------------------------------------------------------------------------


def test_resume_a_run_killed_in_validate(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    run_id = _kill_at("validate:start", _spec(tmp_path), fixture_warehouse, home)
    proc = run_cli("resume", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = result_json(proc)["body"]
    assert body["run_id"] == run_id and body["status"] == "completed" and body["validation_status"] == "pass"
    assert _rows(fixture_warehouse) == EXPECTED
    assert _staging(fixture_warehouse) == []
    logs = json.loads(run_cli("logs", run_id, "--json", home=home).stdout)
    assert logs["status"] == "completed"
    types = [e["type"] for e in logs["logs"]]
    assert types.count("start") == 1 and types[-1] == "success"
    resumed = next(e for e in logs["logs"] if e["metadata"].get("resumed_from"))
    assert resumed["type"] == "status"
    assert resumed["metadata"]["resumed_from"] == "validate" and resumed["metadata"]["last_completed"] == "stage"
    assert "spec.json" in resumed["metadata"]["reused"] and "pipeline.sql" in resumed["metadata"]["reused"]
    assert "resumed from step validate" in resumed["description"]


def test_resume_a_run_killed_after_its_publish_committed(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    spec = _spec(tmp_path)
    assert run_cli("run", "--spec", str(spec), "-w", str(fixture_warehouse), home=home).returncode == 0
    run_id = _kill_at("publish:end", spec, fixture_warehouse, home)
    with connect(str(fixture_warehouse), read_only=True) as eng:
        versions = len(eng.history(TARGET))
    proc = run_cli("resume", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = result_json(proc)["body"]
    assert body["status"] == "completed" and body["rows"] == len(EXPECTED)
    assert body["previous_version"] is not None
    with connect(str(fixture_warehouse), read_only=True) as eng:
        assert len(eng.history(TARGET)) == versions  # not published a second time
        assert eng.history(TARGET)[0].run_id == run_id
    assert _rows(fixture_warehouse) == EXPECTED
    steps = _show(run_id, home)["steps"]
    assert [s["step"] for s in steps].count("publish") == 1  # the resume ran no step


def test_resume_a_run_killed_inside_the_publish_transaction(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    run_id = _kill_at("publish:commit", _spec(tmp_path), fixture_warehouse, home)
    with connect(str(fixture_warehouse), read_only=True) as eng:
        assert not eng.catalog().has_table(TARGET)  # the transaction never committed
    proc = run_cli("resume", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _rows(fixture_warehouse) == EXPECTED


def test_resume_a_run_killed_before_it_saved_its_spec(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    run_id = _kill_at("plan:start", _spec(tmp_path), fixture_warehouse, home)
    proc = run_cli("resume", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _rows(fixture_warehouse) == EXPECTED


def test_resume_refuses_a_completed_run(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    done = run_cli("run", "--spec", str(_spec(tmp_path)), "-w", str(fixture_warehouse), "--json", home=home)
    run_id = result_json(done)["body"]["run_id"]
    proc = run_cli("resume", run_id, home=home)
    assert proc.returncode == 1
    assert f"run {run_id} has already completed" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert _show(run_id, home)["run"]["status"] == "completed"


def test_resume_refuses_a_run_whose_process_is_alive(tmp_path) -> None:
    home = tmp_path / "home"
    rid = new_run_id()
    RunStore(home / "runs.db").create_run(rid, warehouse=str(tmp_path / "w.duckdb"))  # this process runs it
    proc = run_cli("resume", rid, home=home)
    assert proc.returncode == 1
    assert f"run {rid} is still running (pid {os.getpid()}" in proc.stderr
    assert RunStore(home / "runs.db").get_run(rid)["status"] == "running"


def test_resume_a_failed_run_after_the_cause_is_fixed(fixture_warehouse, tmp_path) -> None:
    import duckdb

    home = tmp_path / "home"
    con = duckdb.connect(str(fixture_warehouse))
    con.execute(f"CREATE TABLE {TARGET} (x INTEGER)")  # a table DataMorph did not create: the run must fail
    con.close()
    failed = run_cli("run", "--spec", str(_spec(tmp_path)), "-w", str(fixture_warehouse), "--json", home=home)
    body = result_json(failed)["body"]
    assert failed.returncode == 1 and body["error_type"] == "TargetConflict"
    con = duckdb.connect(str(fixture_warehouse))
    con.execute(f"DROP TABLE {TARGET}")
    con.close()
    proc = run_cli("resume", body["run_id"], "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _rows(fixture_warehouse) == EXPECTED


def test_serve_marks_abandoned_runs_at_start(fixture_warehouse, tmp_path) -> None:
    pytest.importorskip("fastapi")
    from tests.api_support import start_api

    home = tmp_path / "home"
    run_id = _kill_at("stage:end", _spec(tmp_path), fixture_warehouse, home)
    server = start_api(fixture_warehouse, home)
    try:
        with server.client() as client:
            assert client.get(f"/get/logs/{run_id}").json()["status"] == "abandoned"
    finally:
        server.stop()
    assert _staging(fixture_warehouse) == []


# -- gc ----------------------------------------------------------------------------------------------


def _publish_versions(warehouse: str, target: str, n: int, rows: int = 150_000) -> list[str]:
    """Publish ``n`` versions of ``target`` straight through the engine; their run ids."""
    run_ids = []
    with connect(warehouse, create=True) as eng:
        for k in range(n):
            rid = new_run_id()
            sql = (f"SELECT i, md5(CAST(i * {k + 1} AS VARCHAR)) AS a, md5(CAST(i + {k} AS VARCHAR)) AS b, {k} AS k "
                   f"FROM range({rows}) t(i)" if eng.dialect == "duckdb" else
                   f"SELECT i, md5((i * {k + 1})::text) AS a, {k} AS k FROM generate_series(1, {rows}) AS t(i)")  # fmt: skip
            eng.publish(eng.stage(sql, target, rid), target, rid)
            run_ids.append(rid)
    return run_ids


def test_gc_prunes_history_and_shrinks_the_duckdb_file(tmp_path) -> None:
    warehouse = str(tmp_path / "w.duckdb")
    run_ids = _publish_versions(warehouse, "big", 6)
    with connect(warehouse) as eng:
        assert len(eng.history("big")) == 5
        content = eng.fetch("SELECT count(*), sum(k), min(a) FROM big").rows
    size = os.path.getsize(warehouse)
    proc = run_cli("gc", "--warehouse", warehouse, "--keep", "2", "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    res = result_json(proc)
    assert len(res["versions_dropped"]) == 3
    assert {v["run_id"] for v in res["versions_dropped"]} == set(run_ids[1:4])  # archived by runs 2..4
    assert res["size_before"] == size and res["size_after"] < size * 0.75 and res["compacted"] is True
    assert os.path.getsize(warehouse) == res["size_after"]
    with connect(warehouse) as eng:
        assert [v.run_id for v in eng.history("big")] == run_ids[5:3:-1]
        assert eng.fetch("SELECT count(*), sum(k), min(a) FROM big").rows == content
        assert eng.is_managed("big")
        restored = eng.rollback("big")  # rollback still has what it needs
        assert eng.scalar("SELECT max(k) FROM big") == 4
        assert restored.restored_from.endswith('big__v5"') or restored.restored_from.endswith("big__v5")
    again = result_json(run_cli("gc", "--warehouse", warehouse, "--keep", "0", "--json", home=tmp_path / "home"))
    with connect(warehouse) as eng:
        assert len(eng.history("big")) == 1  # keep 0 still keeps the version a rollback restores
    assert len(again["versions_dropped"]) == 2
    human = run_cli("gc", "--warehouse", warehouse, home=tmp_path / "home")
    assert "nothing to remove" in human.stdout and "MB" in human.stdout


def test_gc_drops_orphaned_staging_tables_only(tmp_path) -> None:
    home = tmp_path / "home"
    warehouse = str(tmp_path / "w.duckdb")
    store = RunStore(home / "runs.db")
    live, finished = new_run_id(), new_run_id()
    store.create_run(live, warehouse=warehouse)  # this process: running
    store.create_run(finished, warehouse=warehouse)
    store.finish_run(finished, "failed", error_message="x")
    young_unknown, old_unknown = new_run_id(), "20200101_000000_abcdef"
    with connect(warehouse, create=True) as eng:
        for rid in (live, finished, young_unknown, old_unknown):
            eng.stage("SELECT 1 AS x", "t", rid)
    proc = run_cli("gc", "--warehouse", warehouse, "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    dropped = result_json(proc)["staging_dropped"]
    assert sorted(dropped) == sorted(f'datamorph_staging.t__{r}' for r in (finished, old_unknown))
    assert sorted(_staging(warehouse)) == sorted(f"t__{r}" for r in (live, young_unknown))



def test_gc_and_resume_on_postgres(pg_database, tmp_path) -> None:
    from tests.killpoints import build_postgres

    _server, _name, url = pg_database
    run_ids = _publish_versions(url, "big", 4, rows=20_000)
    proc = run_cli("gc", "--warehouse", url, "--keep", "1", "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    res = result_json(proc)
    assert len(res["versions_dropped"]) == 2 and res["size_after"] <= res["size_before"]
    with connect(url) as eng:
        assert [v.run_id for v in eng.history("big")] == [run_ids[3]]
        eng.rollback("big")
        assert eng.scalar("SELECT max(k) FROM big") == 2
        assert len(eng.history("big")) == 2  # the kept version, and the one the rollback archived
        assert eng.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'datamorph_history'") == 3  # + versions
    build_postgres(url, tmp_path)
    home = tmp_path / "home2"
    run_id = _kill_at("validate:start", _spec(tmp_path), url, home)
    assert _show(run_id, home)["run"]["status"] == "abandoned"
    assert _staging(url) == []
    proc = run_cli("resume", run_id, "--json", home=home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _rows(url) == EXPECTED
