"""The run store: runs, their logs and step timings in one SQLite file.

Several processes and threads may use one store at once: the file is in WAL
mode, every operation is one short transaction with a 30 s busy timeout, and
writes take the write lock up front (``BEGIN IMMEDIATE``), so a log entry's
``seq`` is always one more than the last one of its run.

Each thread keeps its own connection to the file and reuses it from one
operation to the next (a run writes dozens of log entries; opening a
connection for each, and checkpointing the WAL each time the last one
closes, cost more than the writes). Outside an operation a connection holds
no transaction and no lock. A forked child opens its own connections; a
connection that hit a SQLite error is dropped and replaced.

Each run records its owner process (host, pid, start time) and a heartbeat, so that a run whose
process died can be told from one that is still going (:mod:`datamorph.recovery` marks it
``abandoned``). Schema version 2 added those; a version 1 file is migrated when it is opened.
"""

from __future__ import annotations

import atexit
import json
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from datamorph.errors import ConfigError, DataMorphError, RunNotFound
from datamorph.events import LogEntry, LogType, is_run_id, parse_timestamp, utc_now_iso
from datamorph.owner import Owner

SCHEMA_VERSION = 2
BUSY_TIMEOUT_S = 30.0
RUN_STATUSES = ("running", "completed", "failed", "abandoned")
STEP_STATUSES = ("running", "ok", "failed", "skipped")
UPDATABLE_FIELDS = frozenset(
    {"prompt", "target_table", "warehouse", "validation_status", "result", "error_type", "error_message", "request"}
)

# Version 2: status 'abandoned'; the owner process of a run (host, pid, start time), its heartbeat,
# whether the staging tables of an abandoned run still wait to be dropped, and the request (spec file,
# sources) so that a run can be resumed before it saved its spec.
_RUNS_COLUMNS = """    run_id TEXT PRIMARY KEY,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'abandoned')),
    prompt TEXT,
    target_table TEXT,
    warehouse TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    validation_status TEXT,
    result_json TEXT,
    error_type TEXT,
    error_message TEXT,
    owner_host TEXT,
    owner_pid INTEGER,
    owner_started TEXT,
    heartbeat_at TEXT,
    cleanup_pending INTEGER NOT NULL DEFAULT 0,
    request_json TEXT"""
_RUNS_INDEXES = """CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created_at);
CREATE INDEX IF NOT EXISTS runs_by_target ON runs (target_table, created_at);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status)"""
_V1_COLUMNS = ("run_id, status, prompt, target_table, warehouse, created_at, updated_at, validation_status, "
               "result_json, error_type, error_message")  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
{RUNS_COLUMNS}
);
{RUNS_INDEXES}
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    seq INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    UNIQUE (run_id, seq)
);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL REFERENCES runs (run_id),
    step TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'skipped')),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    duration_ms INTEGER,
    detail_json TEXT,
    PRIMARY KEY (run_id, step, attempt)
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    key TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS logs_no_update BEFORE UPDATE ON logs
BEGIN SELECT RAISE(ABORT, 'logs are append-only'); END;
CREATE TRIGGER IF NOT EXISTS logs_no_delete BEFORE DELETE ON logs
BEGIN SELECT RAISE(ABORT, 'logs are append-only'); END;
""".replace("{RUNS_COLUMNS}", _RUNS_COLUMNS).replace("{RUNS_INDEXES}", _RUNS_INDEXES + ";")


def _set_wal(con: sqlite3.Connection, timeout: float = 30.0) -> str:
    """Switch a store to WAL mode. Two processes creating a store at once can both try: SQLite then
    answers 'database is locked' at once for one of them (the busy handler does not cover the
    journal-mode change), so retry until the other has finished."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            return str(con.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _entry(row: sqlite3.Row) -> dict[str, Any]:
    """A ``logs`` row as a log entry in the original shape."""
    return {
        "timestamp": row["timestamp"],
        "type": row["type"],
        "title": row["title"],
        "description": row["description"],
        "metadata": _loads(row["metadata_json"]),
    }


_STORES: weakref.WeakSet[RunStore] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Close every cached connection at exit (SQLite then checkpoints and removes the WAL)."""
    for store in list(_STORES):
        store.close()


def _migrate(con: sqlite3.Connection, version: int) -> None:
    """Bring a store of schema ``version`` up to :data:`SCHEMA_VERSION` (inside the caller's transaction).

    1 → 2: SQLite cannot change a CHECK constraint in place, so the runs table is rebuilt (the
    documented create-copy-drop-rename procedure) with the new status and the owner columns.
    Runs keep their data; their owner is unknown (see :mod:`datamorph.recovery`).
    """
    if version == 1:
        con.execute(f"CREATE TABLE runs_v2 (\n{_RUNS_COLUMNS}\n)")
        con.execute(f"INSERT INTO runs_v2 ({_V1_COLUMNS}) SELECT {_V1_COLUMNS} FROM runs")
        con.execute("DROP TABLE runs")
        con.execute("ALTER TABLE runs_v2 RENAME TO runs")
        for stmt in _RUNS_INDEXES.split(";\n"):
            con.execute(stmt)
        broken = con.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise ConfigError(f"run store migration to schema version 2 found {len(broken)} dangling row(s)",
                              hint="restore the store from a backup, or use another --store")  # fmt: skip
    con.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))


def _not_found(run_id: str) -> RunNotFound:
    return RunNotFound(f"no run with id {run_id}", hint="`datamorph runs` lists them", run_id=run_id)


class RunStore:
    """Runs, logs and steps in the SQLite file at ``path`` (created on first use)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()  # .con, .pid: this thread's cached connection
        self._open: list[sqlite3.Connection] = []  # every cached connection, for close()
        _STORES.add(self)

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # -- connections ---------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread=False only so close() may close it from another thread at exit;
        # a cached connection is otherwise used by the thread that opened it alone.
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA synchronous = NORMAL")
        return con

    def _cached(self) -> sqlite3.Connection | None:
        """This thread's open connection (opened on first use), or None when it is already in use."""
        loc = self._local
        con: sqlite3.Connection | None = getattr(loc, "con", None)
        if con is not None and loc.pid != os.getpid():
            con = None  # inherited through fork: never touch the parent's connection
        if con is not None:
            try:
                if con.in_transaction:
                    return None  # a nested operation on this thread: it gets a connection of its own
                return con
            except sqlite3.ProgrammingError:  # closed under us
                self._discard(con)
        con = self._connect()
        loc.con, loc.pid = con, os.getpid()
        with self._lock:
            self._open.append(con)
        return con

    def _discard(self, con: sqlite3.Connection) -> None:
        if getattr(self._local, "con", None) is con:
            self._local.con = None
        with self._lock:
            if con in self._open:
                self._open.remove(con)
        try:
            con.close()
        except sqlite3.Error:
            pass

    def close(self) -> None:
        """Close the cached connections (the store reopens one on next use)."""
        with self._lock:
            cons, self._open = self._open, []
        self._local = threading.local()
        for con in cons:
            try:
                con.close()
            except sqlite3.Error:
                pass

    def _ensure_schema(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = self._connect()
            try:
                mode = _set_wal(con)
                if str(mode).lower() != "wal":
                    raise ConfigError(f"run store {self.path} cannot use WAL mode (got {mode})")
                con.execute("PRAGMA foreign_keys = OFF")  # a migration rebuilds the runs table
                con.execute("BEGIN IMMEDIATE")
                for stmt in _SCHEMA.split(";\n"):
                    if stmt.strip():
                        con.execute(stmt)
                row = con.execute("SELECT MAX(version) FROM schema_version").fetchone()
                if row[0] is None:
                    con.execute("INSERT INTO schema_version (version) VALUES (?)", (SCHEMA_VERSION,))
                elif row[0] > SCHEMA_VERSION:
                    raise ConfigError(
                        f"run store {self.path} has schema version {row[0]}; "
                        f"this DataMorph knows up to {SCHEMA_VERSION}",
                        hint="upgrade DataMorph or use another --store",
                    )
                elif row[0] < SCHEMA_VERSION:
                    _migrate(con, int(row[0]))
                con.execute("COMMIT")
            except BaseException:
                if con.in_transaction:
                    con.execute("ROLLBACK")
                raise
            finally:
                con.close()
            self._ready = True

    @contextmanager
    def _tx(self, *, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection; writes hold the write lock from the start."""
        if not self._ready:
            self._ensure_schema()
        cached = self._cached()
        con = cached if cached is not None else self._connect()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield con
            con.execute("COMMIT")
        except BaseException as e:
            try:
                if con.in_transaction:
                    con.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if cached is not None and isinstance(e, sqlite3.Error):
                self._discard(con)
            raise
        finally:
            if cached is None:
                con.close()

    @staticmethod
    def _require_run(con: sqlite3.Connection, run_id: str) -> sqlite3.Row:
        row = con.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise _not_found(run_id)
        return row

    @staticmethod
    def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
        d = dict(row)
        d["result"] = _loads(d.pop("result_json"))
        d["request"] = _loads(d.pop("request_json", None))
        return d

    # -- runs ----------------------------------------------------------------------

    def create_run(
        self,
        run_id: str,
        *,
        prompt: str | None = None,
        target_table: str | None = None,
        warehouse: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Record a new run in status ``running`` and return it (``request``: what a resume needs to plan it again)."""
        with self._tx(write=True) as con:
            self._insert_run(con, run_id, prompt, target_table, warehouse, request)
            return self._run_dict(self._require_run(con, run_id))

    def create_run_once(
        self,
        run_id: str,
        key: str,
        request_hash: str,
        *,
        prompt: str | None = None,
        target_table: str | None = None,
        warehouse: str | None = None,
    ) -> tuple[str, str] | None:
        """Like :meth:`create_run`, unless the idempotency ``key`` was used before: then nothing is created
        and ``(run_id, request_hash)`` of the earlier run is returned. One transaction, so two requests with
        one key create one run."""
        with self._tx(write=True) as con:
            row = con.execute("SELECT run_id, request_hash FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return str(row["run_id"]), str(row["request_hash"])
            now = self._insert_run(con, run_id, prompt, target_table, warehouse)
            con.execute(
                "INSERT INTO idempotency_keys (key, run_id, request_hash, created_at) VALUES (?, ?, ?, ?)",
                (key, run_id, request_hash, now),
            )
            return None

    @staticmethod
    def _insert_run(
        con: sqlite3.Connection,
        run_id: str,
        prompt: str | None,
        target_table: str | None,
        warehouse: str | None,
        request: dict[str, Any] | None = None,
    ) -> str:
        """Insert a ``running`` run; its creation time."""
        if not is_run_id(run_id):
            raise ValueError(f"{run_id!r} is not a run id (expected e.g. 20250113_123456_abc123)")
        now = utc_now_iso()
        me = Owner.current()
        try:
            con.execute(
                "INSERT INTO runs (run_id, status, prompt, target_table, warehouse, created_at, updated_at, owner_host,"
                " owner_pid, owner_started, heartbeat_at, request_json) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, prompt, target_table, warehouse, now, now, me.host, me.pid, me.started, now,
                 None if request is None else _dumps(request)),  # fmt: skip
            )
        except sqlite3.IntegrityError:
            raise DataMorphError(f"run {run_id} already exists", run_id=run_id) from None
        return now

    def get_run(self, run_id: str) -> dict[str, Any]:
        """The run's row as a dict (``result`` decoded from JSON); RunNotFound if unknown."""
        with self._tx() as con:
            return self._run_dict(self._require_run(con, run_id))

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set some of: prompt, target_table, warehouse, validation_status, result, error_type, error_message."""
        unknown = set(fields) - UPDATABLE_FIELDS
        if unknown:
            raise TypeError(f"update_run() cannot set {sorted(unknown)}; allowed: {sorted(UPDATABLE_FIELDS)}")
        for name in ("result", "request"):
            if name in fields:
                fields[f"{name}_json"] = _dumps(fields.pop(name))
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            sets = ", ".join(f"{k} = ?" for k in fields)
            con.execute(
                f"UPDATE runs SET {sets}{', ' if sets else ''}updated_at = ? WHERE run_id = ?",
                (*fields.values(), utc_now_iso(), run_id),
            )

    def finish_run(
        self,
        run_id: str,
        status: str,
        *,
        validation_status: str | None = None,
        result: Any = None,
        error_type: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Mark the run ``completed`` or ``failed``; the other fields are set when given."""
        if status not in ("completed", "failed"):
            raise ValueError(f"a run finishes as 'completed' or 'failed', not {status!r}")
        fields: dict[str, Any] = {
            "validation_status": validation_status,
            "result": result,
            "error_type": error_type,
            "error_message": error_message,
        }
        given = {k: v for k, v in fields.items() if v is not None}
        if "result" in given:
            given["result_json"] = _dumps(given.pop("result"))
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            sets = "".join(f", {k} = ?" for k in given)
            con.execute(
                f"UPDATE runs SET status = ?, updated_at = ?{sets} WHERE run_id = ?",
                (status, utc_now_iso(), *given.values(), run_id),
            )

    def list_runs(
        self,
        *,
        status: str | None = None,
        target: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Runs newest first, optionally only one status and/or one target table."""
        if limit < 0 or offset < 0:
            raise ValueError("limit and offset must not be negative")
        where, args = self._run_filters(status, target)
        sql = "SELECT * FROM runs" + where + " ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?"
        with self._tx() as con:
            return [self._run_dict(r) for r in con.execute(sql, (*args, limit, offset))]

    @staticmethod
    def _run_filters(status: str | None, target: str | None) -> tuple[str, list[Any]]:
        if status is not None and status not in RUN_STATUSES:
            raise ValueError(f"run status must be one of {RUN_STATUSES}, not {status!r}")
        where, args = [], []
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if target is not None:
            where.append("target_table = ?")
            args.append(target)
        return (" WHERE " + " AND ".join(where) if where else ""), args

    def latest_run(self, target: str, *, status: str | None = None) -> dict[str, Any] | None:
        """The newest run writing ``target`` (optionally with ``status``), or None."""
        runs = self.list_runs(status=status, target=target, limit=1)
        return runs[0] if runs else None

    # -- logs ----------------------------------------------------------------------

    def append_log(self, run_id: str, entry: LogEntry) -> int:
        """Append ``entry`` to the run's log; returns its ``seq`` (1, 2, 3... per run)."""
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            return self._append(con, run_id, entry)

    @staticmethod
    def _append(con: sqlite3.Connection, run_id: str, entry: LogEntry) -> int:
        seq = con.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM logs WHERE run_id = ?", (run_id,)).fetchone()[0]
        con.execute(
            "INSERT INTO logs (run_id, seq, timestamp, type, title, description, metadata_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, seq, entry.timestamp, entry.type.value, entry.title, entry.description, _dumps(entry.metadata)),
        )
        return int(seq)

    def emit(self, run_id: str, entry: LogEntry) -> None:
        """:class:`~datamorph.events.EventSink` interface: same as :meth:`append_log`."""
        self.append_log(run_id, entry)

    @staticmethod
    def _log_dicts(con: sqlite3.Connection, run_id: str) -> list[dict[str, Any]]:
        rows = con.execute(
            "SELECT timestamp, type, title, description, metadata_json FROM logs"
            " WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [_entry(r) for r in rows]

    def logs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's log entries in order, each in the original entry shape."""
        with self._tx() as con:
            self._require_run(con, run_id)
            return self._log_dicts(con, run_id)

    def logs_since(self, run_id: str, after: int = 0, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """``(seq, entry)`` of the run's entries with ``seq > after``, oldest first, at most ``limit``."""
        with self._tx() as con:
            self._require_run(con, run_id)
            rows = con.execute(
                "SELECT seq, timestamp, type, title, description, metadata_json FROM logs"
                " WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (run_id, int(after), int(limit)),
            ).fetchall()
        return [(int(r["seq"]), _entry(r)) for r in rows]

    def count_runs(self, *, status: str | None = None, target: str | None = None) -> int:
        """How many runs :meth:`list_runs` would page through with these filters."""
        where, args = self._run_filters(status, target)
        with self._tx() as con:
            return int(con.execute("SELECT COUNT(*) FROM runs" + where, args).fetchone()[0])

    def logs_response(self, run_id: str) -> dict[str, Any]:
        """The body of ``GET /get/logs/{run_id}``: run_id, status, log_count, logs."""
        with self._tx() as con:
            run = self._require_run(con, run_id)
            logs = self._log_dicts(con, run_id)
        return {"run_id": run_id, "status": run["status"], "log_count": len(logs), "logs": logs}

    # -- steps ---------------------------------------------------------------------

    def start_step(
        self, run_id: str, step: str, attempt: int = 1, detail: dict[str, Any] | None = None
    ) -> None:
        """Record that ``step`` (attempt ``attempt``) started now."""
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            try:
                con.execute(
                    "INSERT INTO steps (run_id, step, attempt, status, started_at, detail_json)"
                    " VALUES (?, ?, ?, 'running', ?, ?)",
                    (run_id, step, attempt, utc_now_iso(), None if detail is None else _dumps(detail)),
                )
            except sqlite3.IntegrityError:
                raise DataMorphError(
                    f"step {step!r} attempt {attempt} of run {run_id} was already started",
                    hint=f"use attempt={attempt + 1} for a retry",
                    run_id=run_id,
                    step=step,
                ) from None

    def finish_step(
        self,
        run_id: str,
        step: str,
        status: str,
        attempt: int = 1,
        detail: dict[str, Any] | None = None,
    ) -> int:
        """End a step as ok/failed/skipped; returns ``duration_ms``.

        ``detail`` is merged into the detail given at start. A step that was
        never started (typically a skipped one) is recorded with duration 0.
        """
        if status not in ("ok", "failed", "skipped"):
            raise ValueError(f"a step finishes as 'ok', 'failed' or 'skipped', not {status!r}")
        now = utc_now_iso()
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            row = con.execute(
                "SELECT status, started_at, detail_json FROM steps WHERE run_id = ? AND step = ? AND attempt = ?",
                (run_id, step, attempt),
            ).fetchone()
            if row is None:
                merged = detail
                started_at, duration = now, 0
            else:
                if row["status"] != "running":
                    raise DataMorphError(
                        f"step {step!r} attempt {attempt} of run {run_id} already finished as {row['status']}",
                        run_id=run_id,
                        step=step,
                    )
                started_at = row["started_at"]
                delta = parse_timestamp(now) - parse_timestamp(started_at)
                duration = max(0, round(delta.total_seconds() * 1000))
                old = _loads(row["detail_json"])
                merged = {**(old or {}), **detail} if detail is not None else old
            detail_json = None if merged is None else _dumps(merged)
            if row is None:
                con.execute(
                    "INSERT INTO steps"
                    " (run_id, step, attempt, status, started_at, ended_at, duration_ms, detail_json)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, step, attempt, status, started_at, now, duration, detail_json),
                )
            else:
                con.execute(
                    "UPDATE steps SET status = ?, ended_at = ?, duration_ms = ?, detail_json = ?"
                    " WHERE run_id = ? AND step = ? AND attempt = ?",
                    (status, now, duration, detail_json, run_id, step, attempt),
                )
            return duration

    def steps(self, run_id: str) -> list[dict[str, Any]]:
        """The run's steps in the order they started (then by attempt)."""
        with self._tx() as con:
            self._require_run(con, run_id)
            rows = con.execute(
                "SELECT * FROM steps WHERE run_id = ? ORDER BY started_at, rowid", (run_id,)
            ).fetchall()
        out = []
        for r in rows:
            d = dict(r)
            d["detail"] = _loads(d.pop("detail_json"))
            out.append(d)
        return out

    # -- owners, heartbeats, abandoned runs ---------------------------------------------

    @staticmethod
    def owner_of(run: dict[str, Any]) -> Owner | None:
        """The process recorded as running ``run`` (None for runs recorded before owners were)."""
        if run.get("owner_host") is None or run.get("owner_pid") is None:
            return None
        return Owner(str(run["owner_host"]), int(run["owner_pid"]), run.get("owner_started"))

    def beat(self, owner: Owner) -> int:
        """Heartbeat: mark every ``running`` run of ``owner`` alive now; how many there are."""
        with self._tx(write=True) as con:
            cur = con.execute(
                "UPDATE runs SET heartbeat_at = ? WHERE status = 'running' AND owner_host = ? AND owner_pid = ?"
                " AND owner_started IS ?",
                (utc_now_iso(), owner.host, owner.pid, owner.started),
            )
            return int(cur.rowcount)

    def running_runs(self) -> list[dict[str, Any]]:
        """Every run in status ``running``, oldest first."""
        with self._tx() as con:
            rows = con.execute("SELECT * FROM runs WHERE status = 'running' ORDER BY created_at, rowid").fetchall()
        return [self._run_dict(r) for r in rows]

    def abandon_run(self, run_id: str, owner: Owner | None, reason: str) -> bool:
        """Record that ``run_id`` was abandoned by its process ``owner``: status ``abandoned``, its running
        steps failed, an ``error`` log entry with ``reason``, its staging tables marked for dropping.

        One transaction, and only while the run is still ``running`` with that owner, so two processes
        sweeping at once (or a resume taking the run over) never record it twice. True if recorded.
        """
        host, pid, started = (owner.host, owner.pid, owner.started) if owner else (None, None, None)
        now = utc_now_iso()
        with self._tx(write=True) as con:
            cur = con.execute(
                "UPDATE runs SET status = 'abandoned', updated_at = ?, error_type = 'Abandoned', error_message = ?,"
                " cleanup_pending = 1 WHERE run_id = ? AND status = 'running' AND owner_host IS ? AND owner_pid IS ?"
                " AND owner_started IS ?",
                (now, reason, run_id, host, pid, started),
            )
            if cur.rowcount != 1:
                return False
            con.execute(
                "UPDATE steps SET status = 'failed', ended_at = ?, detail_json = ? WHERE run_id = ? AND status = 'running'",
                (now, _dumps({"error": reason}), run_id),
            )
            self._append(con, run_id, LogEntry.now(LogType.ERROR, "Run abandoned", reason, {
                "error_type": "Abandoned", "owner": owner.describe() if owner else None}))  # fmt: skip
            return True

    def pending_cleanups(self) -> list[dict[str, Any]]:
        """Abandoned runs whose staging tables have not been dropped yet."""
        with self._tx() as con:
            rows = con.execute("SELECT * FROM runs WHERE cleanup_pending = 1 ORDER BY created_at, rowid").fetchall()
        return [self._run_dict(r) for r in rows]

    def cleanup_done(self, run_ids: list[str]) -> None:
        """The staging tables of these runs are gone."""
        with self._tx(write=True) as con:
            con.executemany("UPDATE runs SET cleanup_pending = 0 WHERE run_id = ?", [(r,) for r in run_ids])

    def reopen_run(self, run_id: str, from_statuses: tuple[str, ...] = ("abandoned", "failed")) -> bool:
        """Make this process the owner of ``run_id`` again and its status ``running`` (for a resume).

        Only from one of ``from_statuses``, in one transaction: of two processes resuming one run, one wins.
        """
        me = Owner.current()
        now = utc_now_iso()
        marks = ", ".join("?" for _ in from_statuses)
        with self._tx(write=True) as con:
            self._require_run(con, run_id)
            cur = con.execute(
                "UPDATE runs SET status = 'running', updated_at = ?, heartbeat_at = ?, owner_host = ?, owner_pid = ?,"
                " owner_started = ?, validation_status = NULL, result_json = NULL, error_type = NULL,"
                f" error_message = NULL, cleanup_pending = 0 WHERE run_id = ? AND status IN ({marks})",
                (now, now, me.host, me.pid, me.started, run_id, *from_statuses),
            )
            return cur.rowcount == 1

    def last_attempt(self, run_id: str) -> int:
        """The highest step attempt number recorded for the run (0 before any step)."""
        with self._tx() as con:
            return int(con.execute("SELECT COALESCE(MAX(attempt), 0) FROM steps WHERE run_id = ?",
                                   (run_id,)).fetchone()[0])  # fmt: skip
