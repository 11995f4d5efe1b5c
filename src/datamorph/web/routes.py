"""The web page's routes: ``/`` (ask) and ``/ui/...`` (runs, tables, overview, login, static files).

Pages are rendered on the server from the API's :class:`~datamorph.api.services.Services`; the run
page's live timeline and log come from the same event stream as ``/api/runs/{id}/events``. Form
posts need the CSRF token (:mod:`datamorph.web.auth`).
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError

from datamorph.api import rest
from datamorph.api.errors import ApiError
from datamorph.api.models import RunCreate
from datamorph.api.services import Services
from datamorph.errors import DataMorphError, PlanAmbiguous
from datamorph.events import is_run_id
from datamorph.web import auth, data, views

log = logging.getLogger("datamorph.web")
router = APIRouter(include_in_schema=False)
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
PAGE_SIZE = 25


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=PackageLoader("datamorph.web", "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)  # fmt: skip
    env.globals.update(duration_text=views.duration_text, highlight_sql=views.highlight_sql, quote=quote)
    env.filters["num"] = lambda n: f"{n:,}" if isinstance(n, int) else ("—" if n is None else n)
    return env


def install(app: FastAPI) -> None:
    """Add the web page's routes and static files to ``app``."""
    static = Path(str(files("datamorph.web") / "static"))
    app.mount("/ui/static", StaticFiles(directory=str(static)), name="web-static")  # before the /ui/... catch-all
    app.include_router(router)


def _svc(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def page(request: Request, template: str, *, status: int = 200, **ctx: Any) -> HTMLResponse:
    """Render ``template`` (with the CSRF token and the navigation context) as a page.

    A page that shows an error is sent with HTTP status 200 (browsers log any other status of a page
    as a console error) and says its real status in ``X-DataMorph-Status``.
    """
    csrf, new = auth.csrf_value(request)
    svc = _svc(request)
    text = _env().get_template(template).render(
        csrf=csrf, csrf_field=auth.CSRF_FIELD, path=request.url.path, login=bool(svc.settings.api_token), **ctx)
    resp = HTMLResponse(text, headers={"Cache-Control": "no-store", "Content-Security-Policy": CSP,
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                                       "X-DataMorph-Status": str(status)})  # fmt: skip
    if new:
        auth.set_csrf_cookie(resp, csrf, request)
    return resp


def error_page(request: Request, status: int, title: str, message: str, hint: str | None = None) -> HTMLResponse:
    return page(request, "error.html", status=status, title=title, message=message, hint=hint)


async def _form(request: Request) -> tuple[dict[str, str], str | None]:
    """The posted form's fields (first value of each) and why it must be refused (CSRF), if so."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    fields: dict[str, str] = {}
    if ctype == "application/x-www-form-urlencoded":
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    return fields, auth.csrf_problem(request, fields.get(auth.CSRF_FIELD))


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def _message(e: DataMorphError) -> str:
    return f"{e.message} ({e.hint})" if e.hint else e.message


# -- login ----------------------------------------------------------------------------------------


@router.get("/ui/login")
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return page(request, "login.html", title="Log in", next=auth.safe_next(next), error=None)


@router.post("/ui/login")
async def login(request: Request) -> Response:
    form, problem = await _form(request)
    token = _svc(request).settings.api_token
    target = auth.safe_next(form.get("next"))
    if problem:
        return page(request, "login.html", status=403, title="Log in", next=target, error=problem)
    if token is None:
        return _redirect(target)
    if not auth.token_matches(form.get("token", ""), token):
        return page(request, "login.html", status=401, title="Log in", next=target,
                    error="wrong token: enter the server's DATAMORPH_API_TOKEN")  # fmt: skip
    resp = _redirect(target)
    auth.set_login_cookie(resp, token, request)
    return resp


@router.post("/ui/logout")
async def logout(request: Request) -> Response:
    _, problem = await _form(request)
    if problem:
        return error_page(request, 403, "Refused", problem)
    resp = _redirect("/ui/login")
    auth.clear_login_cookie(resp)
    return resp


# -- ask ------------------------------------------------------------------------------------------


def _ask_context(svc: Services, form: dict[str, str] | None = None) -> dict[str, Any]:
    form = form or {}
    try:
        tables = sorted(svc.catalogs.get().tables)
    except DataMorphError:
        tables = []
    return {"title": "Ask", "prompt": form.get("prompt", ""), "sources": form.get("sources", ""),
            "target": form.get("target", ""), "tables": tables, "plan": None, "ambiguity": None, "error": None,
            "spec_json": "", "recent": svc.store.list_runs(limit=5)}  # fmt: skip


@router.get("/")
def ask(request: Request) -> HTMLResponse:
    return page(request, "ask.html", **_ask_context(_svc(request)))


def _sources(text: str) -> list[str] | None:
    names = [n.strip() for n in text.replace("\n", ",").split(",") if n.strip()]
    return names or None


@router.post("/ui/plan")
async def plan(request: Request) -> HTMLResponse:
    form, problem = await _form(request)
    svc = _svc(request)
    ctx = _ask_context(svc, form)
    if problem:
        return page(request, "ask.html", status=403, **{**ctx, "error": problem})
    chosen = form.get("reading_spec") or ""
    try:
        body = RunCreate(prompt=None if chosen else (form.get("prompt") or None),
                         spec=json.loads(chosen) if chosen else None,
                         source_tables=_sources(form.get("sources", "")),
                         target_table=form.get("target") or None)  # fmt: skip
    except (ValidationError, ValueError) as e:
        return page(request, "ask.html", status=400, **{**ctx, "error": data.validation_text(e)})
    try:
        with anyio.fail_after(svc.settings.plan_timeout):
            planned = await anyio.to_thread.run_sync(rest.dry_run, body, svc, abandon_on_cancel=True)
    except TimeoutError:
        return page(request, "ask.html", status=503,
                    **{**ctx, "error": f"the plan was not ready after {svc.settings.plan_timeout:g} s; try again"})  # fmt: skip
    except PlanAmbiguous as e:
        readings = await anyio.to_thread.run_sync(data.readings, svc, body, e)
        return page(request, "ask.html", status=409, **{**ctx, "ambiguity": {"message": e.message, "hint": e.hint,
                                                                             "readings": readings}})  # fmt: skip
    except DataMorphError as e:
        return page(request, "ask.html", status=400, **{**ctx, "error": _message(e)})
    spec_json = json.dumps(planned["spec"]) if chosen else ""
    return page(request, "ask.html", **{**ctx, "plan": data.plan_view(planned, form.get("prompt", "")),
                                        "spec_json": spec_json})  # fmt: skip


@router.post("/ui/runs")
async def start_run(request: Request) -> Response:
    form, problem = await _form(request)
    svc = _svc(request)
    if problem:
        return page(request, "ask.html", status=403, **{**_ask_context(svc, form), "error": problem})
    try:
        run_id = data.submit(svc, form.get("prompt", ""), _sources(form.get("sources", "")), form.get("target") or None,
                             form.get("spec") or None)  # fmt: skip
    except (ValidationError, ValueError) as e:
        return page(request, "ask.html", status=400, **{**_ask_context(svc, form), "error": data.validation_text(e)})
    except DataMorphError as e:
        return page(request, "ask.html", status=400, **{**_ask_context(svc, form), "error": _message(e)})
    return _redirect(f"/ui/runs/{run_id}")


# -- runs -----------------------------------------------------------------------------------------


@router.get("/ui/runs")
def runs(request: Request, page_no: int = 1, status: str | None = None) -> HTMLResponse:
    svc = _svc(request)
    status = status if status in ("running", "completed", "failed", "abandoned") else None
    page_no = max(1, min(page_no, 100_000))
    rows = svc.store.list_runs(status=status, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    total = svc.store.count_runs(status=status)
    return page(request, "runs.html", title="Runs", runs=rows, total=total, page_no=page_no, status_filter=status,
                pages=max(1, -(-total // PAGE_SIZE)))  # fmt: skip


def _run_or_404(request: Request, run_id: str) -> dict[str, Any] | HTMLResponse:
    if not is_run_id(run_id):
        return error_page(request, 400, "Not a run id", f"'{run_id[:80]}' is not a run id",
                          "run ids look like 20250113_123456_abc123; see the runs list")  # fmt: skip
    try:
        return _svc(request).store.get_run(run_id)
    except DataMorphError as e:
        return error_page(request, 404, "Unknown run", _message(e), "see the runs list for the runs this server knows")


@router.get("/ui/runs/{run_id}")
async def run_page(request: Request, run_id: str) -> HTMLResponse:
    run = _run_or_404(request, run_id)
    if isinstance(run, HTMLResponse):
        return run
    svc = _svc(request)
    view = await anyio.to_thread.run_sync(data.run_view, svc, run)
    return page(request, "run.html", title=f"Run {run_id}", run=view, notice=request.query_params.get("notice"))


@router.get("/ui/runs/{run_id}/check")
async def run_check(request: Request, run_id: str) -> HTMLResponse:
    """The run page's result and check sections, fetched by the script when the run ends."""
    run = _run_or_404(request, run_id)
    if isinstance(run, HTMLResponse):
        return run
    view = await anyio.to_thread.run_sync(data.run_view, _svc(request), run)
    return page(request, "run_check.html", run=view)


@router.get("/ui/runs/{run_id}/events")
async def run_events(request: Request, run_id: str,
                     last_event_id: str | None = Header(default=None, alias="Last-Event-ID")) -> Response:  # fmt: skip
    """The run's event stream (as ``/api/runs/{id}/events``), authorised by the login cookie."""
    return await rest.run_events(run_id, request, _svc(request), last_event_id)


@router.get("/ui/runs/{run_id}/preview")
async def preview(request: Request, run_id: str, page_no: int = 1, sort: str | None = None,
                  desc: bool = False) -> HTMLResponse:  # fmt: skip
    run = _run_or_404(request, run_id)
    if isinstance(run, HTMLResponse):
        return run
    svc = _svc(request)
    try:
        rows = await anyio.to_thread.run_sync(lambda: data.preview(svc, run, page_no, sort, desc))
    except DataMorphError as e:
        return page(request, "preview.html", run_id=run_id, rows=None, error=_message(e))
    return page(request, "preview.html", run_id=run_id, rows=rows, error=None)


@router.get("/ui/runs/{run_id}/artifacts/{name}")
def artifact(request: Request, run_id: str, name: str) -> Response:
    try:
        resp = rest.get_artifact(run_id, name, _svc(request))
    except ApiError as e:
        return error_page(request, e.status_code, "No such artifact", e.message)
    except DataMorphError as e:
        return error_page(request, 404, "No such artifact", _message(e))
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@router.post("/ui/runs/{run_id}/resume")
async def resume(request: Request, run_id: str) -> Response:
    _, problem = await _form(request)
    if problem:
        return error_page(request, 403, "Refused", problem)
    run = _run_or_404(request, run_id)
    if isinstance(run, HTMLResponse):
        return run
    if run["status"] not in ("failed", "abandoned"):
        return error_page(request, 409, "Cannot resume", f"run {run_id} is {run['status']}: only a failed or "
                          "abandoned run can be resumed")  # fmt: skip
    _svc(request).runs.resume(run_id)
    return _redirect(f"/ui/runs/{run_id}?notice=" + quote("resumed from its last completed step"))


@router.post("/ui/tables/{name}/rollback")
async def rollback(request: Request, name: str) -> Response:
    form, problem = await _form(request)
    if problem:
        return error_page(request, 403, "Refused", problem)
    back = auth.safe_next(form.get("back") or f"/ui/tables/{quote(name)}")
    try:
        res = await anyio.to_thread.run_sync(rest.rollback, name, _svc(request))
    except (DataMorphError, ApiError) as e:
        msg = _message(e) if isinstance(e, DataMorphError) else e.message
        return error_page(request, 409, "Rollback refused", msg)
    sep = "&" if "?" in back else "?"
    return _redirect(f"{back}{sep}notice=" + quote(f"{res['target']} rolled back to its previous version "
                                                    f"(restored from {res['restored_from']})"))  # fmt: skip


# -- tables -----------------------------------------------------------------------------------------


@router.get("/ui/tables")
async def tables(request: Request) -> HTMLResponse:
    svc = _svc(request)
    try:
        catalog = await anyio.to_thread.run_sync(svc.catalogs.get)
    except DataMorphError as e:
        return error_page(request, 500, "Cannot read the warehouse", _message(e))
    produced = await anyio.to_thread.run_sync(data.produced_tables, svc)
    return page(request, "tables.html", title="Tables", tables=list(catalog.tables.values()), produced=produced)


@router.get("/ui/tables/{name}")
async def table(request: Request, name: str) -> HTMLResponse:
    svc = _svc(request)
    try:
        view = await anyio.to_thread.run_sync(data.table_view, svc, name)
    except ApiError as e:
        return error_page(request, e.status_code, "Unknown table", e.message, "see the tables list")
    except DataMorphError as e:
        return error_page(request, 400, "Cannot show this table", _message(e))
    return page(request, "table.html", title=name, t=view, notice=request.query_params.get("notice"))


# -- overview ---------------------------------------------------------------------------------------


@router.get("/ui/overview")
async def overview(request: Request) -> HTMLResponse:
    view = await anyio.to_thread.run_sync(data.overview_view, _svc(request))
    return page(request, "overview.html", title="Overview", o=view)


@router.get("/ui")
def ui_root() -> RedirectResponse:
    return _redirect("/")


@router.get("/ui/{rest_of_path:path}")
def not_found(request: Request, rest_of_path: str) -> HTMLResponse:
    return error_page(request, 404, "No such page", f"there is no page /ui/{rest_of_path[:200]}",
                      "use the links at the top")  # fmt: skip
