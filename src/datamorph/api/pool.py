"""A small pool of warehouse connections for the API's read endpoints.

Each engine holds one connection and serialises its own use, so requests
borrow one engine each: up to ``size`` requests read the warehouse at once;
the rest wait up to ``wait_s`` seconds (0: not at all) and are then answered
503 with a ``Retry-After`` header (:class:`~datamorph.api.errors.Overloaded`).
The API keeps two pools: one for the query endpoint (DATAMORPH_QUERY_CONNECTIONS,
no waiting) and one for the other endpoints, so slow queries never take the
connections the rest of the API needs (runs open their own). On DuckDB every
connection is opened with external access disabled (see
:func:`datamorph.engines.connect`); the runs the API starts open theirs the
same way, as DuckDB requires within one process.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from datamorph.api.errors import ApiError, Overloaded
from datamorph.config import Settings
from datamorph.engines import Engine, connect
from datamorph.errors import ConcurrencyError, DataMorphError


class EnginePool:
    """Up to ``size`` engines over one warehouse, opened on first use and reused."""

    def __init__(self, settings: Settings, warehouse: str, size: int = 4, wait_s: float = 1.0, *,
                 retry_after_s: int = 1, purpose: str = "warehouse connections") -> None:  # fmt: skip
        self.settings = settings
        self.warehouse = warehouse
        self.size = size
        self.wait_s = wait_s
        self.retry_after_s = retry_after_s
        self.purpose = purpose
        self._idle: queue.LifoQueue[Engine] = queue.LifoQueue()
        self._opened = 0
        self._lock = threading.Lock()
        self._closed = False

    def _open(self) -> Engine:
        eng = connect(self.warehouse, lock_timeout=self.settings.lock_timeout,
                      external_access=self.settings.duckdb_external_access)  # fmt: skip
        if eng.dialect == "duckdb":
            # DuckDB's allocator keeps what a query freed (a large result: hundreds of MB) in its caches;
            # its background threads hand it back to the system within seconds
            eng.fetch("SET allocator_background_threads = true")
        return eng

    @contextmanager
    def engine(self) -> Iterator[Engine]:
        """Borrow an engine; it goes back to the pool afterwards (or is closed if it broke)."""
        if self._closed:
            raise ConcurrencyError("the server is shutting down", hint="retry against a running server")
        eng = self._take()
        broken = False
        try:
            yield eng
        except (DataMorphError, ApiError):
            raise
        except BaseException:
            broken = True  # an unexpected failure may have left the connection in a bad state
            raise
        finally:
            self._give_back(eng, broken)

    def _take(self) -> Engine:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            can_open = self._opened < self.size
            if can_open:
                self._opened += 1
        if can_open:
            try:
                return self._open()
            except BaseException:
                with self._lock:
                    self._opened -= 1
                raise
        try:
            if self.wait_s > 0:
                return self._idle.get(timeout=self.wait_s)
            return self._idle.get_nowait()
        except queue.Empty:
            raise Overloaded(f"the server is busy: all {self.size} {self.purpose} are in use; retry after "
                             f"{self.retry_after_s} s (Retry-After)", self.retry_after_s) from None  # fmt: skip

    def _give_back(self, eng: Engine, broken: bool) -> None:
        if broken or self._closed:
            with self._lock:
                self._opened -= 1
            eng.close()
            return
        self._idle.put(eng)

    def close(self) -> None:
        """Close the idle engines; engines in use are closed when they come back."""
        self._closed = True
        while True:
            try:
                eng = self._idle.get_nowait()
            except queue.Empty:
                break
            with self._lock:
                self._opened -= 1
            eng.close()
