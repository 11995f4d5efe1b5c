"""What the endpoints share: settings, the warehouse pool, the run store, the run manager, artifacts."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class Services:
    settings: Settings
    warehouse: str
    pool: EnginePool
    store: RunStore
    runs: RunManager
    artifacts: ArtifactStore

    def close(self) -> None:
        self.runs.shutdown(wait=True)
        self.pool.close()
        self.store.close()


def services(request: Request) -> Services:
    """FastAPI dependency: the app's shared services."""
    return request.app.state.services  # type: ignore[no-any-return]


def find_table(catalog: Catalog, name: str) -> TableInfo:
    """The catalog's table ``name``, or a 404 in the API's error shape (with did-you-mean)."""
    try:
        return catalog.table(name)
    except CatalogError as e:
        raise ApiError(404, "TableNotFound", str(e)) from None


def check_run_id(run_id: str) -> str:
    """``run_id`` if it has the run id format, else a 400."""
    if not is_run_id(run_id):
        raise ApiError(400, "BadRequest", f"'{run_id[:80]}' is not a run id (they look like 20250113_123456_abc123)")
    return run_id
