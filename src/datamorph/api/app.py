"""The FastAPI application: the original endpoints, the REST API, one error shape, token and body limits.

``create_app(settings)`` builds it over ``settings.warehouse``; ``datamorph serve``
runs it with uvicorn. DuckDB warehouses are opened with external access
disabled for the whole process (``settings.duckdb_external_access`` is forced
off), so neither a run nor a query can read or write other files.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from datamorph import __version__
from datamorph.api import original, rest
from datamorph.api.errors import COMMON_RESPONSES, ApiError, error_body, status_for, validation_message
from datamorph.api.guard import Guard
from datamorph.api.pool import EnginePool
from datamorph.api.runs import RunManager
from datamorph.api.services import Services
from datamorph.artifacts import artifact_store
from datamorph.config import Settings
from datamorph.errors import ConfigError, DataMorphError
from datamorph.recovery import Sweeper
from datamorph.store import RunStore

log = logging.getLogger("datamorph.api")

DESCRIPTION = """Turn a plain-English data request into a validated table in your warehouse.

* **Original API** (`/start`, `/get/schemas`, `/get/data`, `/execute/query`, `/get/logs/{run_id}`,
  `/health`): the request and response shapes of the system DataMorph replaces.
* **REST API** (`/api/...`): background runs with live server-sent events, artifacts, dry-run plans,
  tables, rollback.
* **Web page** (`/`, `/ui/...`): ask, watch, check and browse in a browser (not listed here).

Every error has one shape: `{"error": true, "status_code", "error_type", "message"}` (plus `run_id`,
`details` where useful). When the server has a token (DATAMORPH_API_TOKEN), every endpoint but
`/health` needs `Authorization: Bearer <token>`.
"""


def create_app(settings: Settings) -> FastAPI:
    """The API over ``settings.warehouse`` (ConfigError without one)."""
    if not settings.warehouse:
        raise ConfigError("no warehouse given", hint="pass --warehouse PATH_OR_URL or set DATAMORPH_WAREHOUSE")
    settings = settings.model_copy(update={"duckdb_external_access": False})
    warehouse = settings.warehouse
    assert warehouse is not None

    store = RunStore(settings.store_path)
    svc = Services(
        settings=settings,
        warehouse=warehouse,
        pool=EnginePool(settings, warehouse, size=max(2, min(8, settings.workers * 2))),
        store=store,
        runs=RunManager(settings, store),
        artifacts=artifact_store(settings.artifacts_location),
    )
    with svc.pool.engine():  # fail now, not at the first request, if the warehouse cannot be opened
        pass

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sweeper = Sweeper(store, settings)  # runs whose process died: abandoned, staging dropped; then periodically
        sweeper.start()
        yield
        sweeper.stop()
        svc.close()

    app = FastAPI(title="DataMorph", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  responses=COMMON_RESPONSES)  # fmt: skip
    app.state.services = svc
    app.include_router(original.router)
    app.include_router(rest.router)
    from datamorph.web.routes import install as install_web

    install_web(app)  # the web page at / and /ui/...
    _install_error_handlers(app)
    app.add_middleware(Guard, token=settings.api_token, max_body=settings.max_body_bytes)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DataMorphError)
    async def _datamorph(request: Request, e: DataMorphError) -> JSONResponse:
        status = status_for(e)
        run_id = e.context.get("run_id") if isinstance(e.context.get("run_id"), str) else None
        return JSONResponse(error_body(status, e.error_type, str(e), run_id=run_id, details=e.details()),
                            status_code=status)  # fmt: skip

    @app.exception_handler(ApiError)
    async def _api(request: Request, e: ApiError) -> JSONResponse:
        return JSONResponse(error_body(e.status_code, e.error_type, e.message, **e.extra),
                            status_code=e.status_code, headers=e.headers)  # fmt: skip

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, e: RequestValidationError) -> JSONResponse:
        errors = list(e.errors())
        body = await request.body() if any(x.get("type") == "json_invalid" for x in errors) else None
        message, details = validation_message(errors, body)
        return JSONResponse(error_body(422, "RequestValidationError", message, details=details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        names = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed"}
        message = str(e.detail)
        if e.status_code == 404 and message == "Not Found":
            message = f"no endpoint {request.method} {request.url.path} (see /docs)"
        elif e.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}"
        return JSONResponse(error_body(e.status_code, names.get(e.status_code, "HTTPError"), message),
                            status_code=e.status_code, headers=getattr(e, "headers", None))  # fmt: skip

    @app.exception_handler(Exception)
    async def _bug(request: Request, e: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body(500, "InternalError", f"internal server error ({type(e).__name__}); "
                                       "the server log has the details"), status_code=500)  # fmt: skip


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Run the API with uvicorn until interrupted."""
    import uvicorn

    app = create_app(settings)
    # keep-alive longer than clients usually hold idle connections, so a reused one is rarely closed under them
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30, timeout_keep_alive=75)


__all__: list[Any] = ["create_app", "serve"]
