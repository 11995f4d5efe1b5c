"""What the endpoints share: settings, the warehouse pool, the run store, the run manager, artifacts."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

from fastapi import Request

from datamorph.api.errors import ApiError
from datamorph.api.pool import EnginePool
from datamorph.api.runs import RunManager
from datamorph.artifacts import ArtifactStore
from datamorph.catalog import Catalog, TableInfo
from datamorph.config import Settings
from datamorph.errors import CatalogError
from datamorph.events import is_run_id
from datamorph.store import RunStore


class CatalogCache:
    """The warehouse catalog, read once and kept until a run or a rollback of this server may have changed it.

    A DuckDB file is held by the server alone, so only its own publishes and rollbacks change the
    catalog: they call :meth:`invalidate`. Other programs can change a PostgreSQL database at any time,
    so there the catalog is also re-read after ``ttl_s`` seconds.
    """

    def __init__(self, pool: EnginePool, ttl_s: float | None) -> None:
        self.pool = pool
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._refresh = threading.Lock()
        self._catalog: Catalog | None = None
        self._read_at = 0.0
        self._generation = 0

    def cached(self) -> Catalog | None:
        """The catalog if a fresh one is at hand (no I/O), else None."""
        with self._lock:
            fresh = self.ttl_s is None or time.monotonic() - self._read_at < self.ttl_s
            return self._catalog if fresh else None

    def get(self) -> Catalog:
        catalog = self.cached()
        if catalog is not None:
            return catalog
        with self._refresh:  # one reader at a time; the others then find its result
            catalog = self.cached()
            if catalog is not None:
                return catalog
            with self._lock:
                generation = self._generation
            t0 = time.monotonic()
            with self.pool.engine() as engine:
                catalog = engine.catalog()
            with self._lock:
                if generation == self._generation:  # nothing changed while we read
                    self._catalog, self._read_at = catalog, t0
        return catalog

    def invalidate(self, *_: object) -> None:
        with self._lock:
            self._generation += 1
            self._catalog = None


@dataclass
class Services:
    settings: Settings
    warehouse: str
    pool: EnginePool
    store: RunStore
    runs: RunManager
    artifacts: ArtifactStore
    catalogs: CatalogCache = field(init=False)
    query_pool: EnginePool = field(init=False)  # the query endpoint's own connections, never waited for

    def __post_init__(self) -> None:
        postgres = self.warehouse.startswith(("postgresql://", "postgres://"))
        self.catalogs = CatalogCache(self.pool, ttl_s=2.0 if postgres else None)
        self.runs.on_finish = self.catalogs.invalidate
        self.query_pool = EnginePool(
            self.settings, self.warehouse, size=self.settings.query_connections, wait_s=0,
            retry_after_s=math.ceil(min(self.settings.query_timeout, 5.0)),
            purpose="query connections (DATAMORPH_QUERY_CONNECTIONS)",
        )  # fmt: skip

    def close(self) -> None:
        self.runs.shutdown(wait=True)
        self.pool.close()
        self.query_pool.close()
        self.store.close()


def services(request: Request) -> Services:
    """FastAPI dependency: the app's shared services."""
    return request.app.state.services


def find_table(catalog: Catalog, name: str) -> TableInfo:
    """The catalog's table ``name``, or a 404 in the API's error shape (with did-you-mean)."""
    try:
        return catalog.table(name)
    except CatalogError as e:
        raise ApiError(404, "TableNotFound", str(e)) from None


def require_run_id(run_id: str) -> str:
    """``run_id`` if it has the run id format, else a 400."""
    if not is_run_id(run_id):
        raise ApiError(400, "BadRequest", f"'{run_id[:80]}' is not a run id (they look like 20250113_123456_abc123)")
    return run_id
