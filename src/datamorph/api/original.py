"""The original system's database API, same requests and response shapes.

``POST /start``, ``POST /get/schemas``, ``POST /get/data``, ``POST /execute/query``,
``GET /get/logs/{run_id}``, ``GET /health``. Success bodies carry ``"status": "success"``;
errors use the API's one error shape (400 bad input, 404 unknown, 500 server error).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from datamorph import __version__
from datamorph.api.encode import rows_json
from datamorph.api.errors import ApiError, error_body, status_for_type
from datamorph.api.models import DataRequest, QueryRequest, SchemasRequest, StartRequest
from datamorph.api.services import Services, find_table, require_run_id, services
from datamorph.errors import ExecutionError
from datamorph.orchestrator import RunRequest

router = APIRouter(tags=["original API"])


async def run_to_end(svc: Services, request: RunRequest) -> tuple[str, dict[str, Any]]:
    """Start a run on the worker pool and wait for its result."""
    run_id, _ = svc.runs.submit(request)
    fut = svc.runs.future(run_id)
    if fut is not None:
        result = await asyncio.wrap_future(fut)
    else:  # finished before we looked
        result = svc.store.get_run(run_id)["result"]
    return run_id, result


def result_response(run_id: str, result: dict[str, Any]) -> JSONResponse:
    """A run result as the original API answered it: 200 with status success, or the error shape."""
    body = result.get("body") or {}
    if result.get("statusCode") == 200:
        return JSONResponse({"status": "success", "run_id": run_id, "message": body.get("message"), "details": body})
    status = status_for_type(body.get("error_type"))
    return JSONResponse(
        error_body(status, body.get("error_type") or "Error", body.get("message") or "Workflow failed",
                   run_id=run_id, details=body),  # fmt: skip
        status_code=status,
    )


@router.post("/start", summary="Run a request in plain English and return its result")
async def start(body: StartRequest, svc: Services = Depends(services)) -> JSONResponse:
    """Plans, compiles, stages, validates and publishes; answers when the run has ended.

    200: `{"status": "success", "run_id", "message", "details": <result body>}` (`details.restatement`
    says in plain English what was built, with its row count). A run that fails
    answers in the error shape with `run_id` and `details` (400 for a request that cannot be planned,
    409 for a target conflict, 500 for a failed execution or validation).
    """
    request = RunRequest(warehouse=svc.warehouse, prompt=body.prompt, source_tables=body.source_tables,
                         target=body.target_table)  # fmt: skip
    run_id, result = await run_to_end(svc, request)
    return result_response(run_id, result)


@router.post("/get/schemas", summary="Columns, keys and row counts of tables")
def get_schemas(body: SchemasRequest, svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"status": "success", "schemas": {table: {table, kind, rows, primary_key, columns, foreign_keys}}}`."""
    catalog = svc.catalogs.get()
    tables = [find_table(catalog, n) for n in body.table_names] if body.table_names else list(catalog.tables.values())
    return {"status": "success", "schemas": {t.name: t.to_dict() for t in tables}}


@router.post("/get/data", summary="Random sample rows of tables")
def get_data(body: DataRequest, svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"status": "success", "limit": N, "data": {table: [row, ...]}}`: up to `limit` random rows per table."""
    catalog = svc.catalogs.get()
    tables = [find_table(catalog, n) for n in body.table_names]
    with svc.pool.engine() as engine:
        data = {t.name: rows_json(engine.sample(t.name, body.limit)) for t in tables}
    return {"status": "success", "limit": body.limit, "data": data}


@router.post("/execute/query", summary="Run one read-only SELECT")
def execute_query(body: QueryRequest, svc: Services = Depends(services)) -> dict[str, Any]:
    """Exactly one read-only `SELECT` / `WITH ... SELECT`; anything else is refused (400).

    Rows are limited to DATAMORPH_QUERY_MAX_ROWS (`truncated` tells) and time to DATAMORPH_QUERY_TIMEOUT;
    a result larger than DATAMORPH_QUERY_MAX_BYTES is refused (413) as soon as reading passes the limit.
    Output columns with the same name are renamed `x_1`, `x_2`... (`renamed_columns`: new name → name).
    Queries use their own DATAMORPH_QUERY_CONNECTIONS connections: when all are busy, 503 with Retry-After.
    """
    from datamorph.engines.safe_query import run_query

    s = svc.settings
    with svc.query_pool.engine() as engine:
        try:
            res = run_query(engine, body.query, max_rows=s.query_max_rows, timeout_s=s.query_timeout,
                            max_bytes=s.query_max_bytes)  # fmt: skip
        except ExecutionError as e:  # the user's SQL failed: bad input, not a server error
            if e.context.get("too_large"):
                raise ApiError(413, "ResultTooLarge", str(e)) from None
            raise ApiError(400, e.error_type, str(e)) from None
    return {"status": "success", "columns": res.columns, "data": rows_json(res), "row_count": len(res.rows),
            "truncated": res.truncated, "renamed_columns": res.renamed_columns}  # fmt: skip


@router.get("/get/logs/{run_id}", summary="A run's log entries")
def get_logs(run_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"run_id", "status", "log_count", "logs": [{timestamp, type, title, description, metadata}]}`.

    The last entry of a finished run has type `success` (metadata: `target_table`, `validation_status`)
    or `error` (its description says why).
    """
    return svc.store.logs_response(require_run_id(run_id))


@router.api_route("/health", methods=["GET", "HEAD"], summary="Is the server up and the warehouse reachable (no token needed)")
def health(svc: Services = Depends(services)) -> JSONResponse:
    try:
        with svc.pool.engine() as engine:
            engine.scalar("SELECT 1")
            name = engine.name
    except Exception as e:  # any failure means unhealthy, never a 500
        body = {"status": "unhealthy", "version": __version__, "message": f"warehouse unreachable ({type(e).__name__})"}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "healthy", "version": __version__, "engine": name, "runs": svc.runs.counts()})
