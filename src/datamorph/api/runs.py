"""Runs started through the API: a bounded worker pool, queued/running state, idempotency keys.

A run is recorded in the run store the moment it is submitted (so its id can
be looked up at once), then waits for one of ``settings.workers`` worker
threads. A run that fails, even with an unexpected exception, is recorded as
failed with an ``error`` log entry; it never takes the server down.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from datamorph.config import Settings
from datamorph.events import LogEntry, LogType, new_run_id
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.store import RunStore

log = logging.getLogger("datamorph.api")


class IdempotencyConflict(Exception):
    """An idempotency key already used for a different request."""

    def __init__(self, key: str, run_id: str) -> None:
        super().__init__(f"Idempotency-Key '{key}' was already used for a different request (run {run_id}); "
                         "use a new key for a new request")  # fmt: skip
        self.key = key
        self.run_id = run_id


def request_hash(payload: dict[str, Any]) -> str:
    """A stable hash of a run request, to tell a retried request from a different one with the same key."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class RunManager:
    """Starts runs on a bounded pool of worker threads and knows which are queued or running."""

    def __init__(self, settings: Settings, store: RunStore) -> None:
        self.settings = settings
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="datamorph-run")
        self._lock = threading.Lock()
        self._queued: set[str] = set()
        self._running: set[str] = set()
        self._futures: dict[str, Future[dict[str, Any]]] = {}
        self._closed = False
        self.on_finish: Callable[[str], None] | None = None  # called with the run id when a run has ended

    # -- submitting -------------------------------------------------------------------
    def submit(
        self, request: RunRequest, *, idempotency_key: str | None = None, payload_hash: str = ""
    ) -> tuple[str, bool]:
        """Record and queue a run; ``(run_id, created)``. With a key already used: that run, ``created`` False.

        Raises IdempotencyConflict when the key was used for a different request (``payload_hash`` differs).
        """
        run_id = new_run_id()
        if idempotency_key is not None:
            existing = self.store.create_run_once(
                run_id, idempotency_key, payload_hash,
                prompt=request.prompt, target_table=request.target, warehouse=request.warehouse,
            )  # fmt: skip
            if existing is not None:
                old_id, old_hash = existing
                if old_hash != payload_hash:
                    raise IdempotencyConflict(idempotency_key, old_id)
                return old_id, False
        else:
            self.store.create_run(run_id, prompt=request.prompt, target_table=request.target,
                                  warehouse=request.warehouse)  # fmt: skip
        with self._lock:
            if self._closed:
                self._abandon(run_id, "the server was shutting down before the run started")
                return run_id, True
            self._queued.add(run_id)
            self._futures[run_id] = self._pool.submit(self._work, run_id, request)
        return run_id, True

    def resume(self, run_id: str) -> None:
        """Queue the resumption of a failed or abandoned run (same run id, same log; see Orchestrator.resume).

        A resumption the orchestrator refuses (the run completed or is running meanwhile) is logged here
        and changes nothing.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the server is shutting down")
            if run_id in self._queued or run_id in self._running:
                return
            self._queued.add(run_id)
            self._futures[run_id] = self._pool.submit(self._resume_work, run_id)

    def _resume_work(self, run_id: str) -> dict[str, Any]:
        from datamorph.errors import ResumeRefused

        with self._lock:
            self._queued.discard(run_id)
            self._running.add(run_id)
        try:
            return Orchestrator(self.settings).resume(run_id)
        except ResumeRefused as e:
            log.warning("run %s not resumed: %s", run_id, e)
            return {}
        except BaseException as e:  # a bug: record it, keep the server up
            log.exception("resumed run %s crashed", run_id)
            return self._abandon(run_id, f"internal error: {type(e).__name__}: {e}", error_type="InternalError")
        finally:
            with self._lock:
                self._running.discard(run_id)
                self._futures.pop(run_id, None)
            if self.on_finish is not None:
                self.on_finish(run_id)

    def future(self, run_id: str) -> Future[dict[str, Any]] | None:
        """The future of a run this server started and has not finished."""
        with self._lock:
            return self._futures.get(run_id)

    def state(self, run_id: str) -> str | None:
        """``queued`` or ``running`` for a run this server is handling, else None (see the run store)."""
        with self._lock:
            if run_id in self._queued:
                return "queued"
            if run_id in self._running:
                return "running"
        return None

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"queued": len(self._queued), "running": len(self._running), "workers": self.settings.workers}

    # -- working ----------------------------------------------------------------------
    def _work(self, run_id: str, request: RunRequest) -> dict[str, Any]:
        with self._lock:
            self._queued.discard(run_id)
            self._running.add(run_id)
        try:
            return Orchestrator(self.settings).run(request, run_id, created=True)
        except BaseException as e:  # a bug: record it, keep the server up
            log.exception("run %s crashed", run_id)
            return self._abandon(run_id, f"internal error: {type(e).__name__}: {e}", error_type="InternalError")
        finally:
            with self._lock:
                self._running.discard(run_id)
                self._futures.pop(run_id, None)
            if self.on_finish is not None:
                self.on_finish(run_id)

    def _abandon(self, run_id: str, message: str, error_type: str = "Cancelled") -> dict[str, Any]:
        """Record a run that ended without the orchestrator: an error entry, then status failed."""
        body = {"error": True, "status": "failed", "run_id": run_id, "message": f"Workflow failed: {message}",
                "error_type": error_type}  # fmt: skip
        result = {"statusCode": 500, "body": body}
        try:
            self.store.append_log(run_id, LogEntry.now(LogType.ERROR, "Workflow failed", message,
                                                       {"error_type": error_type}))  # fmt: skip
            if self.store.get_run(run_id)["status"] == "running":
                self.store.finish_run(run_id, "failed", result=result, error_type=error_type, error_message=message)
        except Exception:
            log.exception("could not record the end of run %s", run_id)
        return result

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking runs; queued runs are recorded as cancelled; running ones finish when ``wait``."""
        with self._lock:
            self._closed = True
            cancelled = []
            for run_id in list(self._queued):
                fut = self._futures.get(run_id)
                if fut is not None and fut.cancel():
                    self._queued.discard(run_id)
                    self._futures.pop(run_id, None)
                    cancelled.append(run_id)
        for run_id in cancelled:
            self._abandon(run_id, "the server stopped before the run started")
        self._pool.shutdown(wait=wait)
