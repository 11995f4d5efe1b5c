"""The run store reuses one SQLite connection per thread, safely."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest

from datamorph.events import LogEntry, new_run_id
from datamorph.store import RunStore


@pytest.fixture
def store(tmp_path):  # type: ignore[no-untyped-def]
    s = RunStore(tmp_path / "runs.db")
    yield s
    s.close()


def _log(store: RunStore, run_id: str, title: str) -> int:
    return store.append_log(run_id, LogEntry.now("info", title))


def test_one_connection_per_thread_is_reused(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    for i in range(20):
        _log(store, rid, f"e{i}")
    assert len(store._open) == 1
    seen: list[int] = []
    t = threading.Thread(target=lambda: seen.append(_log(store, rid, "from a thread")))
    t.start()
    t.join()
    assert seen == [21]
    assert len(store._open) == 2
    assert [e["title"] for e in store.logs(rid)][-2:] == ["e19", "from a thread"]


def test_no_transaction_is_left_open_between_operations(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    _log(store, rid, "a")
    assert not store._open[0].in_transaction
    # another connection can take the write lock at once
    other = sqlite3.connect(tmp_path / "runs.db", timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_nested_operation_gets_its_own_connection(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    with store._tx() as con:
        assert con.in_transaction
        assert store.get_run(rid)["run_id"] == rid  # would fail on the same connection ("within a transaction")
    assert len(store._open) == 1


def test_a_closed_connection_is_replaced(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    store._local.con.close()
    assert _log(store, rid, "kept") == 1
    assert len(store._open) == 1


class _FailingOnce(sqlite3.Connection):
    fail = True

    def execute(self, sql, *args):  # type: ignore[no-untyped-def, override]
        if self.fail and sql.startswith("BEGIN"):
            _FailingOnce.fail = False
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, *args)


def test_a_connection_that_failed_is_replaced(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    bad = sqlite3.connect(store.path, isolation_level=None, factory=_FailingOnce, check_same_thread=False)
    store._local.con.close()
    store._open[:] = [bad]
    store._local.con = bad
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _log(store, rid, "lost")
    assert store._local.con is None and store._open == []
    assert _log(store, rid, "kept") == 1
    assert [e["title"] for e in store.logs(rid)] == ["kept"]


def test_close_and_reuse(store) -> None:  # type: ignore[no-untyped-def]
    rid = new_run_id()
    store.create_run(rid)
    store.close()
    assert store._open == []
    assert _log(store, rid, "after close") == 1
    assert len(store._open) == 1


def _child(path: str, run_id: str, q) -> None:  # type: ignore[no-untyped-def]
    store = _CHILD_STORE if _CHILD_STORE is not None else RunStore(path)
    q.put([store.append_log(run_id, LogEntry.now("info", f"child {i}")) for i in range(3)])


_CHILD_STORE: RunStore | None = None


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_forked_child_does_not_use_the_parents_connection(store) -> None:  # type: ignore[no-untyped-def]
    global _CHILD_STORE
    rid = new_run_id()
    store.create_run(rid)
    _log(store, rid, "parent 1")  # the parent now has a cached connection
    parent_con = store._local.con
    _CHILD_STORE = store  # the child inherits this very object
    try:
        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=_child, args=(str(store.path), rid, q))
        p.start()
        seqs = q.get(timeout=60)
        p.join(60)
    finally:
        _CHILD_STORE = None
    assert p.exitcode == 0
    assert seqs == [2, 3, 4]
    assert store._local.con is parent_con
    assert _log(store, rid, "parent 2") == 5
    assert [e["title"] for e in store.logs(rid)] == ["parent 1", "child 0", "child 1", "child 2", "parent 2"]
