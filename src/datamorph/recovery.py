"""Runs that outlive their process: heartbeats, the sweep for abandoned runs, garbage collection.

* Every run records the process that runs it (:class:`~datamorph.owner.Owner`) and, while it runs,
  a heartbeat (:func:`heartbeat`: a daemon thread that stamps the runs of this process every
  ``heartbeat_interval`` seconds).
* :func:`sweep` is called by every command that opens the run store (the CLI, the orchestrator,
  ``datamorph serve`` at start and then periodically). It marks ``running`` runs whose process is
  gone as ``abandoned`` with an ``error`` log entry — on this host when the process id is dead or
  now belongs to a process that started at another time, for another host when the heartbeat is
  older than ``heartbeat_timeout`` — and drops their staging tables in their warehouse. A
  warehouse that cannot be opened now (another process holds the DuckDB file) is tried again at
  the next sweep.
* :func:`collect_garbage` (``datamorph gc``) prunes history versions beyond the newest ``keep`` per
  target and drops staging tables of runs that are not running, then lets the engine give the
  space back (DuckDB: CHECKPOINT, and a rewrite of the file when much of it is free).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.engines.base import Engine
from datamorph.errors import ConcurrencyError, DataMorphError
from datamorph.events import parse_timestamp
from datamorph.owner import Owner
from datamorph.store import RunStore
from datamorph.validation.model import TestCase, ValidationReport

log = logging.getLogger(__name__)

SWEEP_LOCK_TIMEOUT = 1.0  # seconds a sweep waits for a warehouse held by another process (then: next sweep)


# -- heartbeat -----------------------------------------------------------------------------


class _Beater:
    """One daemon thread per (process, run store) that stamps this process's running runs."""

    def __init__(self, store: RunStore, interval: float) -> None:
        self.store = store
        self.interval = interval
        self.users = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="datamorph-heartbeat", daemon=True)

    def _loop(self) -> None:
        me = Owner.current()
        while not self.stop.wait(self.interval):
            try:
                self.store.beat(me)
            except Exception:  # a busy or vanished store: the next beat tries again
                log.warning("heartbeat for %s failed", self.store.path, exc_info=True)


_BEATERS: dict[tuple[int, str], _Beater] = {}
_BEATERS_LOCK = threading.Lock()


@contextmanager
def heartbeat(store: RunStore, interval: float) -> Iterator[None]:
    """Keep the heartbeat of this process's running runs in ``store`` going for the duration.

    One thread serves all the runs of a process (nested and concurrent uses share it); it stops
    when the last user leaves.
    """
    import os

    key = (os.getpid(), str(store.path.resolve()))
    with _BEATERS_LOCK:
        beater = _BEATERS.get(key)
        if beater is None:
            beater = _BEATERS[key] = _Beater(store, interval)
            beater.thread.start()
        beater.users += 1
    try:
        yield
    finally:
        with _BEATERS_LOCK:
            beater.users -= 1
            if beater.users == 0:
                beater.stop.set()
                _BEATERS.pop(key, None)


# -- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepResult:
    abandoned: list[str] = field(default_factory=list)  # runs marked abandoned by this sweep
    dropped: list[str] = field(default_factory=list)  # staging tables dropped
    pending: list[str] = field(default_factory=list)  # abandoned runs whose staging tables wait for a next sweep


def gone_reason(run: dict[str, Any], timeout_s: float, now: datetime | None = None) -> str | None:
    """Why the process running ``run`` is gone, or None while it may still be running it."""
    owner = RunStore.owner_of(run)
    now = now or datetime.now(UTC)
    last = run.get("heartbeat_at") or run.get("updated_at")
    stale = last is None or now - parse_timestamp(str(last)) > timedelta(seconds=timeout_s)
    if owner is None:  # recorded before runs had owners
        return f"no process has reported on the run since {last}" if stale else None
    if owner.on_this_host():
        return None if owner.alive() else f"the process that ran it ({owner.describe()}) is gone"
    if stale:
        return f"its process ({owner.describe()}) has sent no heartbeat since {last}"
    return None


def sweep(store: RunStore, settings: Settings, *, open_engine: Callable[[str], Engine] | None = None) -> SweepResult:
    """Mark runs whose process is gone as abandoned and drop the staging tables of abandoned runs.

    Never raises for a warehouse it cannot clean now: those runs stay pending for the next sweep.
    """
    result = SweepResult()
    for run in store.running_runs():
        reason = gone_reason(run, settings.heartbeat_timeout)
        if reason is None:
            continue
        message = (f"{reason}; its staging tables are dropped; "
                   f"`datamorph resume {run['run_id']}` continues it")  # fmt: skip
        if store.abandon_run(run["run_id"], RunStore.owner_of(run), message):
            result.abandoned.append(run["run_id"])
    pending = store.pending_cleanups()
    by_warehouse: dict[str, set[str]] = {}
    for run in pending:
        by_warehouse.setdefault(run.get("warehouse") or "", set()).add(run["run_id"])
    opener = open_engine or (lambda w: _open(w, settings))
    for warehouse, run_ids in by_warehouse.items():
        done = _drop_staging_of(warehouse, run_ids, opener, result)
        if done:
            store.cleanup_done(sorted(run_ids))
        else:
            result.pending.extend(sorted(run_ids))
    return result


def _open(warehouse: str, settings: Settings, lock_timeout: float = SWEEP_LOCK_TIMEOUT) -> Engine:
    return connect(warehouse, lock_timeout=min(settings.lock_timeout, lock_timeout),
                   external_access=settings.duckdb_external_access)  # fmt: skip


def _drop_staging_of(
    warehouse: str, run_ids: set[str], opener: Callable[[str], Engine], result: SweepResult
) -> bool:
    """Drop the staging tables of ``run_ids`` in ``warehouse``; False when it should be tried again later."""
    if not warehouse:
        return True  # the run never named a warehouse: it cannot have staged anything
    try:
        engine = opener(warehouse)
    except ConcurrencyError:
        return False  # held by another process now; the next sweep tries again
    except DataMorphError as e:  # gone, unreachable, not a database: nothing we can drop
        log.warning("cannot open %s to drop staging tables of %s: %s", warehouse, sorted(run_ids), e)
        return True
    try:
        for t in engine.staging_tables():
            if t.run_id in run_ids:
                engine.drop_staged(t.table)
                result.dropped.append(t.table)
    except DataMorphError as e:
        log.warning("dropping staging tables of %s in %s failed: %s", sorted(run_ids), warehouse, e)
        return False
    finally:
        engine.close()
    return True


# -- resuming -------------------------------------------------------------------------------------


def saved_spec_version(artifact_names: list[str]) -> int:
    """The newest spec version a run saved (``spec.json`` is 1, ``spec.v3.json`` 3), 0 for none."""
    found = [1 if n == "spec.json" else int(n[6:-5]) for n in artifact_names
             if n == "spec.json" or (n.startswith("spec.v") and n.endswith(".json") and n[6:-5].isdigit())]  # fmt: skip
    return max(found, default=0)


def last_completed_step(steps: list[dict[str, Any]]) -> str | None:
    """The step a run completed last (its newest step record that ended ok), or None."""
    return next((str(s["step"]) for s in reversed(steps) if s["status"] == "ok"), None)


def report_from_json(text: str) -> ValidationReport:
    """A validation report read back from its artifact."""
    data = json.loads(text)
    known = set(TestCase.__dataclass_fields__)
    tests = [TestCase(**{k: v for k, v in t.items() if k in known}) for t in data.get("tests", [])]
    return ValidationReport(tests=tests, duration_ms=data.get("duration_ms", 0.0), attempt=data.get("attempt", 1))


# -- garbage collection ------------------------------------------------------------------------


@dataclass
class GcResult:
    warehouse: str
    versions: list[dict[str, Any]] = field(default_factory=list)  # history versions dropped
    staging: list[str] = field(default_factory=list)  # staging tables dropped
    abandoned: list[str] = field(default_factory=list)  # runs the sweep marked abandoned
    size_before: int | None = None
    size_after: int | None = None
    compacted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"warehouse": self.warehouse, "versions_dropped": self.versions, "staging_dropped": self.staging,
                "runs_abandoned": self.abandoned, "size_before": self.size_before, "size_after": self.size_after,
                "compacted": self.compacted}  # fmt: skip


def collect_garbage(store: RunStore, settings: Settings, warehouse: str, *, keep: int | None = None) -> GcResult:
    """Prune history versions of every target in ``warehouse`` to the newest ``keep`` (default
    ``settings.history_keep``) and drop the staging tables of runs that are not running.

    A staging table whose run this store does not know is left alone while its run id is younger
    than ``heartbeat_timeout`` (it may belong to a run recorded in another store).
    """
    keep = settings.history_keep if keep is None else keep
    out = GcResult(warehouse, abandoned=sweep(store, settings).abandoned)
    running = {r["run_id"] for r in store.running_runs()}
    young = datetime.now(UTC) - timedelta(seconds=settings.heartbeat_timeout)
    with connect(warehouse, lock_timeout=settings.lock_timeout,
                 external_access=settings.duckdb_external_access) as engine:  # fmt: skip
        out.size_before = engine.storage_size()
        cleaned: set[str] = set()
        for t in engine.staging_tables():
            if t.run_id in running or (t.run_id is not None and not _known(store, t.run_id)
                                       and _run_started(t.run_id) > young):  # fmt: skip
                continue
            engine.drop_staged(t.table)
            out.staging.append(t.table)
            if t.run_id is not None and t.run_id not in cleaned and _known(store, t.run_id):
                cleaned.add(t.run_id)
        out.versions = [{"table": v.table, "run_id": v.run_id, "archived_at": v.created_at, "rows": v.rows}
                        for v in engine.prune_history(keep)]  # fmt: skip
        out.compacted = engine.compact()
        out.size_after = engine.storage_size()
    if cleaned:
        store.cleanup_done(sorted(cleaned))
    return out


def _known(store: RunStore, run_id: str) -> bool:
    try:
        store.get_run(run_id)
    except DataMorphError:
        return False
    return True


def _run_started(run_id: str) -> datetime:
    return datetime.strptime(run_id[:15], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)



class Sweeper:
    """For a long-lived process (``datamorph serve``): sweeps the run store now and then every
    ``heartbeat_interval`` seconds in a daemon thread, and keeps the heartbeat of this process's runs
    (queued ones included) going meanwhile."""

    def __init__(self, store: RunStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="datamorph-sweeper", daemon=True)

    def start(self) -> SweepResult | None:
        """Sweep once now, then start the thread; the result of the first sweep (None if it failed)."""
        first = self._sweep_once()
        self._thread.start()
        return first

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _sweep_once(self) -> SweepResult | None:
        try:
            self.store.beat(Owner.current())
            result = sweep(self.store, self.settings)
        except Exception:  # keep serving; the next sweep tries again
            log.warning("sweeping the run store %s failed", self.store.path, exc_info=True)
            return None
        if result.abandoned:
            log.warning("runs abandoned by their process: %s", ", ".join(result.abandoned))
        return result

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_interval):
            self._sweep_once()
