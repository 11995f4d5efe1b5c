"""The REST API under ``/api``: runs (background, live events), artifacts, dry-run plans, tables, rollback."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse

from datamorph.api.encode import json_value, rows_json
from datamorph.api.errors import ApiError
from datamorph.api.models import RunCreate
from datamorph.api.runs import IdempotencyConflict, request_hash
from datamorph.api.services import Services, find_table, require_run_id, services
from datamorph.artifacts import check_name
from datamorph.orchestrator import RunRequest

router = APIRouter(prefix="/api", tags=["REST API"])

SSE_POLL_S = 0.1
SSE_HEARTBEAT_S = 15.0
_MEDIA = {".json": "application/json", ".sql": "text/plain; charset=utf-8", ".py": "text/x-python; charset=utf-8"}


def _links(run_id: str) -> dict[str, str]:
    base = f"/api/runs/{run_id}"
    return {"self": base, "events": f"{base}/events", "logs": f"/get/logs/{run_id}", "artifacts": f"{base}/artifacts"}


def _summary(run: dict[str, Any], state: str | None) -> dict[str, Any]:
    return {
        "run_id": run["run_id"],
        "status": run["status"],
        "state": state or run["status"],  # queued / running / completed / failed
        "prompt": run["prompt"],
        "target_table": run["target_table"],
        "validation_status": run["validation_status"],
        "error_type": run["error_type"],
        "created_at": run["created_at"],
        "updated_at": run["updated_at"],
    }


# -- runs -------------------------------------------------------------------------------------


@router.post("/runs", status_code=202, summary="Start a run in the background",
             responses={200: {"description": "The run an earlier request with this Idempotency-Key started"}})
def create_run(
    body: RunCreate,
    svc: Services = Depends(services),
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255,
                                                  description="Retrying with the same key returns the run "
                                                  "the first request started instead of a new one.")] = None,  # fmt: skip
) -> JSONResponse:
    """202 with `{"run_id", "status", "state", "links"}` and a `Location` header; the run goes on in the
    background (follow it with `GET /api/runs/{id}/events`). With an `Idempotency-Key` already used for
    the same request: 200 and that run. Used for a different request: 409."""
    from datamorph.names import check_target

    spec = None
    if body.target_table is not None:
        check_target(body.target_table)  # a bad name is a 400 (a reserved schema a 409) now, not a failed run later
    if body.spec is not None:
        from datamorph.spec import load_spec

        spec = load_spec(body.spec)  # a bad spec is a 400 now, not a failed run later
    request = RunRequest(warehouse=svc.warehouse, spec=spec, prompt=body.prompt, source_tables=body.source_tables,
                         target=body.target_table)  # fmt: skip
    key = idempotency_key.strip() if idempotency_key else None
    try:
        run_id, created = svc.runs.submit(request, idempotency_key=key or None,
                                          payload_hash=request_hash(body.model_dump()))  # fmt: skip
    except IdempotencyConflict as e:
        raise ApiError(409, "IdempotencyConflict", str(e), run_id=e.run_id) from None
    run = svc.store.get_run(run_id)
    content = {**_summary(run, svc.runs.state(run_id)), "links": _links(run_id)}
    return JSONResponse(content, status_code=202 if created else 200, headers={"Location": f"/api/runs/{run_id}"})


@router.get("/runs", summary="List runs, newest first")
def list_runs(
    svc: Services = Depends(services),
    status: Annotated[Literal["running", "completed", "failed", "abandoned"] | None, Query(description="Only this status.")] = None,
    target: Annotated[str | None, Query(max_length=255, description="Only runs writing this table.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """`{"runs": [...], "total", "limit", "offset"}`."""
    runs = svc.store.list_runs(status=status, target=target, limit=limit, offset=offset)
    return {
        "runs": [_summary(r, svc.runs.state(r["run_id"])) for r in runs],
        "total": svc.store.count_runs(status=status, target=target),
        "limit": limit,
        "offset": offset,
    }


@router.get("/runs/{run_id}", summary="One run: status, steps, result, artifacts")
def get_run(run_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    run = svc.store.get_run(require_run_id(run_id))
    return {
        **_summary(run, svc.runs.state(run_id)),
        "warehouse": run["warehouse"],
        "error_message": run["error_message"],
        "steps": svc.store.steps(run_id),
        "result": run["result"],
        "artifacts": svc.artifacts.list(run_id),
        "links": _links(run_id),
    }


@router.get(
    "/runs/{run_id}/events",
    summary="Server-sent events: the run's log entries live, then its result",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
)
async def run_events(
    run_id: str,
    request: Request,
    svc: Services = Depends(services),
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """Each log entry as `event: log` (`id` = its sequence number, `data` = the entry), then one
    `event: result` with the run's result when it has ended. Reconnect with `Last-Event-ID` to resume."""
    svc.store.get_run(require_run_id(run_id))  # 404 before the stream starts
    after = _last_event_id(last_event_id)
    return StreamingResponse(_event_stream(svc, run_id, after, request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})  # fmt: skip


_EVENT_ID = re.compile(r"[0-9]{1,19}")
_MAX_EVENT_ID = 2**63 - 1  # the run store's sequence numbers are SQLite integers


def _last_event_id(value: str | None) -> int:
    """The sequence number to resume after: 0 without the header, a 400 unless it is a whole number < 2**63."""
    if value is None or not value.strip():
        return 0
    text = value.strip()
    if not _EVENT_ID.fullmatch(text) or int(text) > _MAX_EVENT_ID:
        raise ApiError(400, "BadRequest", f"Last-Event-ID '{text[:20]}' is not an event id: send the id of the "
                       "last event received (a whole number), or no header to start from the beginning")  # fmt: skip
    return int(text)


def _sse(event: str, data: Any, id_: int | None = None) -> str:
    head = f"id: {id_}\n" if id_ is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(json_value(data))}\n\n"


async def _event_stream(svc: Services, run_id: str, after: int, request: Request) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    last_sent = loop.time()
    while True:
        entries = await run_in_threadpool(svc.store.logs_since, run_id, after)
        for seq, entry in entries:
            yield _sse("log", entry, seq)
            after = seq
        if entries:
            last_sent = loop.time()
            continue
        run = await run_in_threadpool(svc.store.get_run, run_id)
        if run["status"] != "running":
            # The orchestrator writes a run's last entry before its final status: read once more.
            for seq, entry in await run_in_threadpool(svc.store.logs_since, run_id, after):
                yield _sse("log", entry, seq)
            yield _sse("result", run["result"] or {"status": run["status"]})
            return
        if await request.is_disconnected():
            return
        if loop.time() - last_sent > SSE_HEARTBEAT_S:
            yield ": keep-alive\n\n"
            last_sent = loop.time()
        await asyncio.sleep(SSE_POLL_S)


@router.get("/runs/{run_id}/artifacts", summary="Names of a run's artifacts")
def list_artifacts(run_id: str, svc: Services = Depends(services)) -> dict[str, Any]:
    svc.store.get_run(require_run_id(run_id))
    return {"run_id": run_id, "artifacts": svc.artifacts.list(run_id)}


@router.get("/runs/{run_id}/artifacts/{name}", summary="One artifact of a run (spec.json, pipeline.sql...)",
            response_class=Response, responses={200: {"content": {"application/json": {}, "text/plain": {}}}})  # fmt: skip
def get_artifact(run_id: str, name: str, svc: Services = Depends(services)) -> Response:
    require_run_id(run_id)
    try:
        check_name(name)
    except Exception as e:
        raise ApiError(400, "BadRequest", str(e)) from None
    svc.store.get_run(run_id)
    data = svc.artifacts.get(run_id, name)
    suffix = name[name.rfind("."):] if "." in name else ""
    return Response(data, media_type=_MEDIA.get(suffix, "application/octet-stream"))


# -- plan ---------------------------------------------------------------------------------------


@router.post("/plan", summary="Dry run: the spec and the SQL for a request, nothing executed")
async def plan(body: RunCreate, svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"spec": {...}, "sql": "...", "dialect", "outputs", "restatement"}` for a prompt (planned) or a spec
    (checked); `restatement` says in plain English, generated from the spec, what the run would build.

    Planned on a worker thread, never on the event loop: other requests are answered meanwhile. A plan
    that is not ready after DATAMORPH_PLAN_TIMEOUT seconds is answered 503 (planning itself gives up with
    a 400 after DATAMORPH_PLAN_TIME_LIMIT seconds of work).
    """
    limit = svc.settings.plan_timeout
    try:
        with anyio.fail_after(limit):
            return await anyio.to_thread.run_sync(dry_run, body, svc, abandon_on_cancel=True)
    except TimeoutError:
        raise ApiError(503, "PlanTimeout", f"the plan was not ready after {limit:g} s",
                       headers={"Retry-After": "5"}) from None  # fmt: skip


def dry_run(body: RunCreate, svc: Services) -> dict[str, Any]:
    """The plan of a prompt (or the check of a spec): spec, SQL, outputs, restatement; nothing executed.

    Blocking (run it on a worker thread); also used by the web page's Plan button.
    """
    from datamorph.compiler import compile_spec
    from datamorph.planner import plan_request
    from datamorph.spec import load_spec

    with svc.pool.engine() as engine:
        catalog = engine.catalog(body.source_tables) if body.source_tables else engine.catalog()
        if body.prompt is not None:
            spec = plan_request(body.prompt, engine, catalog=catalog, target=body.target_table,
                                reference_date=svc.settings.reference_date)  # fmt: skip
        else:
            spec = load_spec(body.spec or {})
        if body.target_table:
            spec = spec.retarget(body.target_table)
        compiled = compile_spec(spec, catalog)
        sql = compiled.sql(engine.dialect)
        dialect = engine.dialect
    from datamorph.planner.restate import restate

    return {"spec": json.loads(spec.to_json()), "sql": sql, "dialect": dialect,
            "outputs": [o.name for o in compiled.outputs], "restatement": restate(spec, catalog)}  # fmt: skip


# -- tables -----------------------------------------------------------------------------------


@router.get("/tables", summary="The warehouse's tables and views")
def list_tables(svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"tables": [{"name", "kind", "rows", "columns"}]}`."""
    catalog = svc.catalogs.get()
    return {"tables": [{"name": t.name, "kind": t.kind, "rows": t.row_count, "columns": len(t.columns)}
                       for t in catalog.tables.values()]}  # fmt: skip


@router.get("/tables/{name}", summary="One table: columns, keys, row count, optional sample rows")
def get_table(
    name: str,
    svc: Services = Depends(services),
    sample: Annotated[int, Query(ge=0, le=1000, description="Random rows to include.")] = 0,
) -> dict[str, Any]:
    info = find_table(svc.catalogs.get(), name)
    out = info.to_dict()
    if sample:
        with svc.pool.engine() as engine:
            out["sample"] = rows_json(engine.sample(info.name, sample))
    return out


@router.post("/targets/{name}/rollback", summary="Restore the previous version of a published table")
def rollback(name: str, svc: Services = Depends(services)) -> dict[str, Any]:
    """`{"target", "restored_from", "replaced_version"}`; 404 for an unknown table; 409 for a table DataMorph did
    not publish (it is never replaced) or when there is nothing to roll back to; 400 for a name that is no table name."""
    from datamorph.names import check_target

    check_target(name)
    try:
        with svc.pool.engine() as engine:
            with engine.target_lock(name):
                res = engine.rollback(name)
    finally:
        svc.catalogs.invalidate()
    return {"target": res.target, "restored_from": res.restored_from, "replaced_version": res.replaced_version}
