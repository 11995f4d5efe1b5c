"""What each page needs, read from the API's services: plans, runs, previews, tables, the overview."""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from sqlglot import exp

from datamorph.api.encode import json_value
from datamorph.api.errors import ApiError
from datamorph.api.models import RunCreate
from datamorph.api.services import Services, find_table
from datamorph.errors import DataMorphError, PlanAmbiguous
from datamorph.web import views

log = logging.getLogger("datamorph.web")
PREVIEW_ROWS = 20
VIOLATING_ROWS = 5


def validation_text(e: ValidationError | ValueError) -> str:
    """A form's validation error as one sentence."""
    if isinstance(e, ValidationError):
        parts = []
        for err in e.errors():
            where = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            parts.append(f"{where}: {msg}" if where else msg)
        return "; ".join(parts) or "the form is not valid"
    return str(e)


# -- ask ------------------------------------------------------------------------------------------


def plan_view(planned: dict[str, Any], prompt: str) -> dict[str, Any]:
    spec = planned["spec"]
    return {
        "restatement": planned["restatement"],
        "ignored_words": spec.get("ignored_words") or [],
        "notes": spec.get("transformations") or [],
        "spec_text": json.dumps(spec, indent=2),
        "sql": planned["sql"],
        "dialect": planned["dialect"],
        "outputs": planned["outputs"],
        "prompt_html": views.highlight_prompt(prompt, spec) if prompt else None,
    }


def readings(svc: Services, body: RunCreate, e: PlanAmbiguous) -> list[dict[str, Any]]:
    """The readings a :class:`PlanAmbiguous` lists, each with its spec (JSON) when it can be rebuilt."""
    listed = [dict(r) for r in e.context.get("readings") or []]
    try:
        specs = _reading_specs(svc, body, str(e.context.get("words") or ""))
    except DataMorphError:
        specs = {}
    for r in listed:
        r["spec_json"] = specs.get(str(r.get("description")), "")
    return listed


def _reading_specs(svc: Services, body: RunCreate, words: str) -> dict[str, str]:
    """Plans the request again and returns the spec of each reading of the doubt about ``words``."""
    from datamorph.planner.ambiguity import choices
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    if body.prompt is None:
        return {}
    with svc.pool.engine() as engine:
        catalog = engine.catalog(body.source_tables) if body.source_tables else engine.catalog()
        linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
        doubts: list[Any] = []
        spec = plan(body.prompt, catalog, linker, target=body.target_table,
                    reference_date=svc.settings.reference_date, doubts=doubts)  # fmt: skip
    out: dict[str, str] = {}
    for choice in choices(spec, doubts):
        if choice.doubt.words == words:
            out.update({r.description: r.spec.to_json() for r in choice.readings})
    return out


def submit(svc: Services, prompt: str, sources: list[str] | None, target: str | None, spec_json: str | None) -> str:
    """Start a run of the form's request (with the reading the user picked, if any); its run id."""
    from datamorph.names import check_target
    from datamorph.orchestrator import RunRequest
    from datamorph.spec import load_spec

    RunCreate(prompt=prompt or None, source_tables=sources, target_table=target)  # the API's checks of the form
    if target is not None:
        check_target(target)
    spec = load_spec(json.loads(spec_json)) if spec_json else None
    request = RunRequest(warehouse=svc.warehouse, prompt=prompt.strip(), spec=spec, source_tables=sources, target=target)
    run_id, _ = svc.runs.submit(request)
    return run_id


# -- a run ----------------------------------------------------------------------------------------


def run_view(svc: Services, run: dict[str, Any]) -> dict[str, Any]:
    """Everything the run page shows of ``run`` (as the run store returns it)."""
    run_id = run["run_id"]
    names = svc.artifacts.list(run_id)
    steps = svc.store.steps(run_id)
    result = run.get("result") or {}
    body = result.get("body") or {}
    report = _latest_json(svc, run_id, names, "validation")
    spec_versions = views.versions(names, "spec")
    spec = _read_json(svc, run_id, spec_versions[-1][1]) if spec_versions else None
    prompt = run.get("prompt") or ""
    tests = [_test_row(t) for t in (report or {}).get("tests", [])]
    if run["status"] != "running":
        pipeline = views.versions(names, "pipeline", "sql")
        _add_violating_rows(svc, tests, _read_text(svc, run_id, pipeline[-1][1]) if pipeline else None)
    return {
        "id": run_id,
        "status": run["status"],
        "state": svc.runs.state(run_id) or run["status"],
        "prompt": prompt,
        "prompt_html": views.highlight_prompt(prompt, spec) if prompt and spec else None,
        "target": run.get("target_table") or body.get("target_table"),
        "validation_status": run.get("validation_status"),
        "rows": body.get("rows") if isinstance(body.get("rows"), int) else None,
        "message": body.get("message") or run.get("error_message"),
        "error_type": run.get("error_type"),
        "created_at": run.get("created_at"),
        "updated_at": run.get("updated_at"),
        "restatement": body.get("restatement"),
        "timeline": views.timeline(steps),
        "logs": svc.store.logs(run_id),
        "tests": tests,
        "summary": (report or {}).get("summary"),
        "remediations": _remediations(svc, run_id, body, spec_versions),
        "artifacts": names,
        "can_resume": run["status"] in ("failed", "abandoned") and svc.runs.state(run_id) is None,
        "can_rollback": run["status"] == "completed" and _managed(svc, run.get("target_table")),
        "ended": run["status"] != "running",
    }


def _read_json(svc: Services, run_id: str, name: str) -> Any:
    try:
        return json.loads(svc.artifacts.get_text(run_id, name))
    except (DataMorphError, ValueError, OSError):
        return None


def _read_text(svc: Services, run_id: str, name: str) -> str | None:
    try:
        return svc.artifacts.get_text(run_id, name)
    except (DataMorphError, OSError, UnicodeDecodeError):
        return None


def _latest_json(svc: Services, run_id: str, names: list[str], base: str) -> Any:
    found = views.versions(names, base)
    return _read_json(svc, run_id, found[-1][1]) if found else None


def _test_row(t: dict[str, Any]) -> dict[str, Any]:
    kind = t.get("kind")
    actual = t.get("actual_result")
    violating = actual if kind == "violations" and isinstance(actual, int) else None
    return {"id": t.get("test_id"), "category": t.get("category"), "use_case": t.get("use_case"),
            "type": "model" if t.get("validation_type") == "llm" or str(t.get("test_id", "")).startswith("differential")
            else "rule", "status": t.get("status"), "violating": violating, "expected": t.get("expected_result"),
            "actual": actual if violating is None else None, "message": t.get("message") or "",
            "query": t.get("query") or "", "kind": kind, "rows": None, "rows_note": None}  # fmt: skip


def _add_violating_rows(svc: Services, tests: list[dict[str, Any]], pipeline_sql: str | None) -> None:
    """A few of the violating rows of each failed counting test.

    A run drops its staging table when it ends, so the rows are recomputed: the test's query with the
    staging table replaced by the run's SQL (its newest version) over the sources as they are now.
    """
    failed = [t for t in tests if t["status"] in ("fail", "error") and t["violating"]]
    if not failed:
        return
    with svc.pool.engine() as engine:
        for t in failed[:5]:
            sql = _rows_query(t["query"], engine.dialect, pipeline_sql)
            if sql is None:
                t["rows_note"] = "the violating rows cannot be listed for this test (only their count is kept)"
                continue
            try:
                res = engine.fetch(sql, max_rows=VIOLATING_ROWS, timeout_s=5)
            except DataMorphError as e:
                t["rows_note"] = f"the violating rows could not be recomputed: {e.message}"
                continue
            t["rows"] = {"columns": list(res.columns), "rows": [[json_value(v) for v in r] for r in res.rows]}


def _rows_query(count_sql: str, dialect: str, pipeline_sql: str | None) -> str | None:
    """``SELECT COUNT(*) FROM staged WHERE ...`` as ``SELECT * FROM (run's SQL) WHERE ... LIMIT n``, or None
    for another shape of query (or without the run's SQL)."""
    import sqlglot

    from datamorph.engines.base import STAGING_SCHEMA

    if not pipeline_sql:
        return None
    try:
        tree = sqlglot.parse_one(count_sql, read=dialect)
        pipeline = sqlglot.parse_one(pipeline_sql.strip().rstrip(";"), read=dialect)
    except sqlglot.errors.ParseError:
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1 or tree.args.get("group"):
        return None
    only = tree.expressions[0]
    if not (isinstance(only, exp.Count) and isinstance(only.this, exp.Star)) or not isinstance(pipeline, exp.Query):
        return None
    for node in pipeline.walk():
        node.comments = None  # the artifact's header comment says which run wrote it: not part of the query
    staged = [t for t in tree.find_all(exp.Table) if t.db.lower() == STAGING_SCHEMA]
    if not staged:
        return None
    for table in staged:
        table.replace(exp.Subquery(this=pipeline.copy(), alias=exp.TableAlias(
            this=exp.to_identifier(table.alias_or_name, quoted=True))))  # fmt: skip
    return tree.select(exp.Star(), append=False).limit(VIOLATING_ROWS).sql(dialect=dialect)


def _remediations(svc: Services, run_id: str, body: dict[str, Any],
                  spec_versions: list[tuple[int, str]]) -> list[dict[str, Any]]:  # fmt: skip
    """Each remediation iteration with the diff of the spec it produced against the one before."""
    texts = {}
    for _, name in spec_versions:
        try:
            texts[name] = svc.artifacts.get_text(run_id, name)
        except (DataMorphError, OSError):
            continue
    out = []
    attempts = body.get("remediations") or []
    for i, a in enumerate(attempts):
        after_name = str(a.get("spec_path", "")).rsplit("/", 1)[-1]
        idx = next((k for k, (_, n) in enumerate(spec_versions) if n == after_name), i + 1)
        before = spec_versions[idx - 1][1] if 0 < idx <= len(spec_versions) else None
        after = spec_versions[idx][1] if idx < len(spec_versions) else None
        diff = (views.spec_diff(texts[before], texts[after], before, after)
                if before in texts and after in texts else [])  # fmt: skip
        out.append({**a, "diff": diff})
    return out


def _managed(svc: Services, target: str | None) -> bool:
    if not target:
        return False
    try:
        with svc.pool.engine() as engine:
            return bool(engine.is_managed(target)) and len(engine.history(target)) > 0
    except DataMorphError:
        return False


def preview(svc: Services, run: dict[str, Any], page_no: int, sort: str | None, desc: bool) -> dict[str, Any]:
    """A page of the rows the run published (the target's current contents), sorted by one column."""
    target = run.get("target_table")
    if run["status"] != "completed" or not target:
        raise DataMorphError("this run published no rows", hint="only a completed run has a preview")
    try:
        info = find_table(svc.catalogs.get(), target)
    except ApiError as e:
        raise DataMorphError(e.message) from None
    columns = info.column_names()
    sort = sort if sort in columns else None
    page_no = max(1, min(int(page_no), 1_000_000))
    table = exp.Table(this=exp.to_identifier(info.name, quoted=True),
                      db=exp.to_identifier(info.schema, quoted=True) if info.schema not in ("main", "public") else None)  # fmt: skip
    query = exp.select("*").from_(table)
    if sort:
        query = query.order_by(exp.Ordered(this=exp.column(sort, quoted=True), desc=desc, nulls_first=False))
    query = query.limit(PREVIEW_ROWS).offset((page_no - 1) * PREVIEW_ROWS)
    with svc.pool.engine() as engine:
        res = engine.fetch(query.sql(dialect=engine.dialect), max_rows=PREVIEW_ROWS, timeout_s=10)
        holder, restored = publisher(engine, info.name)
    total = info.row_count
    return {"columns": list(res.columns), "rows": [[json_value(v) for v in r] for r in res.rows], "page": page_no,
            "sort": sort, "desc": desc, "total": total, "target": target,
            "pages": max(1, -(-(total or 0) // PREVIEW_ROWS)),
            "replaced_by": holder if holder != run["run_id"] else None, "restored": restored}  # fmt: skip


# -- tables ---------------------------------------------------------------------------------------


def publisher(engine: Any, target: str) -> tuple[str | None, str]:
    """Who wrote what ``target`` holds now: ``(run_id, "")`` for a run's publish, ``(None, note)`` when
    a rollback restored it (the note says from which version), ``(None, "")`` otherwise."""
    from datamorph.engines.base import MANAGED_MARK

    try:
        note = (engine.table_note(target) or "").removeprefix(MANAGED_MARK).strip()
    except (DataMorphError, NotImplementedError):
        return None, ""
    if note.startswith("published by run "):
        return note.removeprefix("published by run ").strip() or None, ""
    return None, note if "rollback" in note else ""


def produced_tables(svc: Services) -> set[str]:
    """Names of the tables a completed run of this run store published."""
    return {r["target_table"] for r in svc.store.list_runs(status="completed", limit=500) if r.get("target_table")}


def table_view(svc: Services, name: str) -> dict[str, Any]:
    """A table's schema, keys, row count, sample and (for tables DataMorph produced) lineage."""
    info = find_table(svc.catalogs.get(), name)
    with svc.pool.engine() as engine:
        sample = engine.sample(info.name, 10)
        managed = engine.is_managed(info.name) if info.kind == "table" else False
        history = engine.history(info.name) if managed else []
        holder, restored = publisher(engine, info.name) if managed else (None, "")
    runs = svc.store.list_runs(target=info.name, limit=20)
    sources: list[str] = []
    latest = next((r for r in runs if r["run_id"] == holder), None) if holder else None
    if latest is None and holder:
        try:
            latest = svc.store.get_run(holder)
        except DataMorphError:
            latest = None
    if latest is None:  # restored by a rollback: the sources of the newest run that wrote it
        latest = next((r for r in runs if r["status"] == "completed"), None)
    if latest is not None:
        names = svc.artifacts.list(latest["run_id"])
        spec = _latest_json(svc, latest["run_id"], names, "spec")
        if spec:
            from datamorph.spec import load_spec

            try:
                sources = load_spec(spec).source_table_names()
            except DataMorphError:
                sources = []
    return {"info": info, "d": info.to_dict(), "sample": {"columns": list(sample.columns),
            "rows": [[json_value(v) for v in r] for r in sample.rows]}, "runs": runs, "sources": sources,
            "latest": latest, "holder": holder, "restored": restored, "managed": managed,
            "versions": len(history)}  # fmt: skip


# -- overview -------------------------------------------------------------------------------------


def overview_view(svc: Services, limit: int = 300) -> dict[str, Any]:
    runs = svc.store.list_runs(limit=limit)
    steps = {r["run_id"]: svc.store.steps(r["run_id"]) for r in runs}
    o = views.overview(runs, steps)
    o["day_chart"] = views.stacked_day_chart(o["per_day"][-30:])
    o["step_chart"] = views.bar_chart([(name, round(ms)) for name, ms, _ in o["medians"]], unit=" ms")
    o["limit"] = limit
    return o
