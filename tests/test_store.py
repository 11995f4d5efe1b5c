"""The run store on real SQLite files: ids, logs, steps, runs, concurrency."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from datamorph.errors import DataMorphError, RunNotFound
from datamorph.events import EventSink, FanOut, LogEntry, LogType, is_run_id, new_run_id, parse_timestamp
from datamorph.store import SCHEMA_VERSION, RunStore

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|\+00:00)$")


@pytest.fixture
def store(tmp_path):
    return RunStore(tmp_path / "nested" / "dir" / "runs.db")


@pytest.fixture
def run_id(store):
    rid = new_run_id()
    store.create_run(rid, prompt="daily revenue", target_table="analytics.revenue", warehouse="wh.duckdb")
    return rid


# -- run ids and entries ---------------------------------------------------------------


def test_run_id_format():
    rid = new_run_id(datetime(2025, 1, 13, 12, 34, 56, tzinfo=UTC))
    assert re.fullmatch(r"20250113_123456_[0-9a-f]{6}", rid)
    assert is_run_id(rid)


def test_run_id_is_utc():
    cet = timezone(timedelta(hours=1))
    assert new_run_id(datetime(2025, 1, 13, 13, 34, 56, tzinfo=cet)).startswith("20250113_123456_")


def test_run_ids_are_unique():
    now = datetime.now(UTC)
    ids = {new_run_id(now) for _ in range(2000)}
    # Same second for all: only the 24-bit suffix differs. Birthday bound for 2000 draws ~ 12 %,
    # so compare against the draws, not against zero collisions.
    assert len(ids) >= 1990


@pytest.mark.parametrize(
    "bad",
    [
        "20250113_123456_ABC123",
        "20250113_123456_abc12",
        "20250113-123456_abc123",
        "20251313_123456_abc123",
        "20250113_126056_abc123",
        "../20250113_123456_abc123",
        "",
        None,
        20250113,
    ],
)
def test_is_run_id_rejects(bad):
    assert not is_run_id(bad)


def test_log_entry_shape_and_types():
    assert {t.value for t in LogType} == {
        "start", "status", "info", "code", "result", "warning", "error", "end", "success",
    }  # fmt: skip
    e = LogEntry.now("code", "SQL", "generated", {"sql": "select 1"})
    d = e.to_dict()
    assert list(d) == ["timestamp", "type", "title", "description", "metadata"]
    assert d["type"] == "code" and TS_RE.match(d["timestamp"])
    assert LogEntry.from_dict(d) == e
    with pytest.raises(ValueError):
        LogEntry.now("verbose", "x")
    with pytest.raises(ValueError):
        LogEntry("2025-01-13T12:00:00.000+01:00", LogType.INFO, "x")
    LogEntry("2025-01-13T12:00:00.000+00:00", LogType.INFO, "x")  # +00:00 is fine too


# -- logs ------------------------------------------------------------------------------


def test_log_order_and_original_response_shape(store, run_id):
    types = ["start", "status", "info", "code", "result", "warning", "error", "end", "success"]
    for i, t in enumerate(types):
        seq = store.append_log(
            run_id, LogEntry.now(t, f"title {i}", f"desc {i}", {"i": i, "nested": [1, "x"]})
        )
        assert seq == i + 1
    resp = store.logs_response(run_id)
    assert list(resp) == ["run_id", "status", "log_count", "logs"]
    assert resp["run_id"] == run_id and resp["status"] == "running" and resp["log_count"] == len(types)
    assert [e["type"] for e in resp["logs"]] == types
    for i, e in enumerate(resp["logs"]):
        assert list(e) == ["timestamp", "type", "title", "description", "metadata"]
        assert e["title"] == f"title {i}" and e["description"] == f"desc {i}"
        assert e["metadata"] == {"i": i, "nested": [1, "x"]}
        assert TS_RE.match(e["timestamp"])
    assert store.logs(run_id) == resp["logs"]
    json.dumps(resp)  # serialisable as is

    store.finish_run(run_id, "completed")
    assert store.logs_response(run_id)["status"] == "completed"


def test_logs_are_per_run(store, run_id):
    other = new_run_id()
    store.create_run(other)
    store.append_log(run_id, LogEntry.now("info", "a"))
    assert store.append_log(other, LogEntry.now("info", "b")) == 1
    assert [e["title"] for e in store.logs(other)] == ["b"]
    assert store.logs_response(other)["log_count"] == 1
    assert store.logs_response(run_id)["log_count"] == 1


def test_store_is_an_event_sink_and_fanout_survives_a_failing_sink(store, run_id, caplog):
    class Broken:
        def emit(self, run_id: str, entry: LogEntry) -> None:
            raise RuntimeError("sink down")

    seen: list[tuple[str, str]] = []

    class Recorder:
        def emit(self, run_id: str, entry: LogEntry) -> None:
            seen.append((run_id, entry.title))

    assert isinstance(store, EventSink)
    fan = FanOut(Broken(), store, Recorder())
    fan.emit(run_id, LogEntry.now("info", "hello"))
    assert [e["title"] for e in store.logs(run_id)] == ["hello"]
    assert seen == [(run_id, "hello")]
    assert "sink down" in caplog.text


def test_logs_are_append_only_in_the_database(store, run_id):
    import sqlite3

    store.append_log(run_id, LogEntry.now("info", "a"))
    con = sqlite3.connect(store.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE logs SET title = 'b'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM logs")
    finally:
        con.close()


# -- steps -----------------------------------------------------------------------------


def test_step_timing(store, run_id):
    store.start_step(run_id, "plan", detail={"model": "demo"})
    time.sleep(0.06)
    duration = store.finish_step(run_id, "plan", "ok", detail={"tokens": 12})
    (step,) = store.steps(run_id)
    assert step["step"] == "plan" and step["attempt"] == 1 and step["status"] == "ok"
    assert step["duration_ms"] == duration
    assert 55 <= duration < 5000
    elapsed = parse_timestamp(step["ended_at"]) - parse_timestamp(step["started_at"])
    assert duration == round(elapsed.total_seconds() * 1000)
    assert step["detail"] == {"model": "demo", "tokens": 12}


def test_step_attempts_running_and_skipped(store, run_id):
    store.start_step(run_id, "execute")
    store.finish_step(run_id, "execute", "failed", detail={"error": "boom"})
    store.start_step(run_id, "execute", attempt=2)
    store.finish_step(run_id, "execute", "ok", attempt=2)
    store.start_step(run_id, "validate")
    store.finish_step(run_id, "publish", "skipped")  # never started
    steps = store.steps(run_id)
    assert [(s["step"], s["attempt"], s["status"]) for s in steps] == [
        ("execute", 1, "failed"),
        ("execute", 2, "ok"),
        ("validate", 1, "running"),
        ("publish", 1, "skipped"),
    ]
    assert steps[2]["ended_at"] is None and steps[2]["duration_ms"] is None
    assert steps[3]["duration_ms"] == 0
    with pytest.raises(DataMorphError, match="already started"):
        store.start_step(run_id, "execute", attempt=2)
    with pytest.raises(DataMorphError, match="already finished"):
        store.finish_step(run_id, "execute", "ok", attempt=2)
    with pytest.raises(ValueError):
        store.finish_step(run_id, "validate", "done")


# -- runs ------------------------------------------------------------------------------


def test_run_lifecycle(store, run_id):
    run = store.get_run(run_id)
    assert run["status"] == "running" and run["prompt"] == "daily revenue"
    assert run["target_table"] == "analytics.revenue" and run["warehouse"] == "wh.duckdb"
    assert TS_RE.match(run["created_at"]) and run["result"] is None

    store.update_run(run_id, target_table="analytics.revenue_v2", validation_status="pending")
    assert store.get_run(run_id)["target_table"] == "analytics.revenue_v2"
    with pytest.raises(TypeError):
        store.update_run(run_id, status="completed")

    store.finish_run(run_id, "completed", validation_status="passed", result={"rows": 42, "tables": ["a"]})
    run = store.get_run(run_id)
    assert run["status"] == "completed" and run["validation_status"] == "passed"
    assert run["result"] == {"rows": 42, "tables": ["a"]}
    assert run["updated_at"] >= run["created_at"]


def test_failed_run_keeps_error(store, run_id):
    store.finish_run(run_id, "failed", error_type="ExecutionError", error_message="no such column x")
    run = store.get_run(run_id)
    assert (run["status"], run["error_type"], run["error_message"]) == (
        "failed",
        "ExecutionError",
        "no such column x",
    )
    with pytest.raises(ValueError):
        store.finish_run(run_id, "running")


def test_create_run_validates(store, run_id):
    with pytest.raises(DataMorphError, match="already exists"):
        store.create_run(run_id)
    with pytest.raises(ValueError):
        store.create_run("not-a-run-id")


def test_list_filters_and_pagination(store):
    made = []
    for i in range(7):
        rid = new_run_id()
        store.create_run(rid, target_table="t.a" if i % 2 == 0 else "t.b")
        made.append(rid)
    store.finish_run(made[1], "completed")
    store.finish_run(made[2], "failed")
    store.finish_run(made[4], "completed")

    newest_first = list(reversed(made))
    assert [r["run_id"] for r in store.list_runs()] == newest_first
    assert [r["run_id"] for r in store.list_runs(limit=3)] == newest_first[:3]
    assert [r["run_id"] for r in store.list_runs(limit=3, offset=3)] == newest_first[3:6]
    assert [r["run_id"] for r in store.list_runs(limit=3, offset=6)] == newest_first[6:]
    assert store.list_runs(offset=10) == []
    assert [r["run_id"] for r in store.list_runs(status="completed")] == [made[4], made[1]]
    assert [r["run_id"] for r in store.list_runs(target="t.a")] == [made[6], made[4], made[2], made[0]]
    assert [r["run_id"] for r in store.list_runs(target="t.a", status="running")] == [made[6], made[0]]
    assert store.latest_run("t.b")["run_id"] == made[5]
    assert store.latest_run("t.a", status="completed")["run_id"] == made[4]
    assert store.latest_run("t.none") is None
    with pytest.raises(ValueError):
        store.list_runs(status="done")


def test_unknown_run_raises_run_not_found(store, run_id):
    missing = new_run_id()
    calls = [
        lambda: store.get_run(missing),
        lambda: store.logs(missing),
        lambda: store.logs_response(missing),
        lambda: store.append_log(missing, LogEntry.now("info", "x")),
        lambda: store.emit(missing, LogEntry.now("info", "x")),
        lambda: store.steps(missing),
        lambda: store.start_step(missing, "plan"),
        lambda: store.finish_step(missing, "plan", "ok"),
        lambda: store.finish_run(missing, "completed"),
        lambda: store.update_run(missing, target_table="x"),
    ]
    for call in calls:
        with pytest.raises(RunNotFound) as info:
            call()
        assert str(info.value) == f"no run with id {missing} (`datamorph runs` lists them)"
        assert info.value.error_type == "RunNotFound"
    assert store.logs(run_id) == []  # nothing leaked into the real run


def test_schema_version_and_reopen(tmp_path):
    import sqlite3

    path = tmp_path / "runs.db"
    first = RunStore(path)
    rid = new_run_id()
    first.create_run(rid)
    first.append_log(rid, LogEntry.now("info", "a"))
    again = RunStore(path)
    assert again.append_log(rid, LogEntry.now("info", "b")) == 2
    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        con.close()


# -- concurrency -----------------------------------------------------------------------

_WORKER = """
import sys
from datamorph.events import LogEntry
from datamorph.store import RunStore

path, run_id, worker, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = RunStore(path)
if run_id == "own":
    from datamorph.events import new_run_id
    run_id = new_run_id()
    store.create_run(run_id)
for i in range(n):
    store.append_log(run_id, LogEntry.now("info", f"w{worker}", metadata={"worker": worker, "i": i}))
print(run_id)
"""


def _spawn(path, run_id: str, worker: int, n: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(path), run_id, str(worker), str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_all(procs: list[subprocess.Popen[str]]) -> list[str]:
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(out.strip())
    return outs


def _check_run_log(logs: list[dict], workers: int, n: int) -> None:
    assert len(logs) == workers * n
    per_worker: dict[int, list[int]] = {w: [] for w in range(workers)}
    for e in logs:
        per_worker[e["metadata"]["worker"]].append(e["metadata"]["i"])
    for w in range(workers):  # every entry there, each writer's entries in its own order
        assert per_worker[w] == list(range(n))


def test_four_processes_append_to_one_run(store, run_id):
    procs = [_spawn(store.path, run_id, w, 200) for w in range(4)]
    _wait_all(procs)
    logs = store.logs(run_id)
    _check_run_log(logs, 4, 200)
    import sqlite3

    con = sqlite3.connect(store.path)
    try:
        seqs = [r[0] for r in con.execute("SELECT seq FROM logs WHERE run_id = ? ORDER BY id", (run_id,))]
    finally:
        con.close()
    assert seqs == list(range(1, 801))  # strictly increasing, no gaps, in insertion order
    assert store.logs_response(run_id)["log_count"] == 800


def test_four_processes_on_a_fresh_store(tmp_path):
    path = tmp_path / "fresh" / "runs.db"
    run_ids = _wait_all([_spawn(path, "own", w, 25) for w in range(4)])
    store = RunStore(path)
    assert sorted(r["run_id"] for r in store.list_runs()) == sorted(run_ids)
    for w, rid in enumerate(run_ids):
        logs = store.logs(rid)
        assert [e["metadata"]["i"] for e in logs] == list(range(25))
        assert {e["metadata"]["worker"] for e in logs} == {w}


def test_threads_share_one_store(store, run_id):
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(50):
                store.append_log(run_id, LogEntry.now("info", "t", metadata={"worker": worker, "i": i}))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check_run_log(store.logs(run_id), 8, 50)
