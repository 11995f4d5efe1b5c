"""The workflow: load spec → read sources → compile → stage → validate → publish.

The list of steps is plain data (:data:`STEPS`); :class:`Orchestrator` runs
them in order, times each, logs each as append-only entries through one
event sink (run store, terminal, API stream), keeps every artifact, and
publishes only after the staged result passed its tests. Any failure leaves
the target exactly as it was.

When a *remediable* step (compile, stage, validate) fails, the remediation loop
(:mod:`datamorph.remediation.loop`) diagnoses the failure, repairs the spec and the
orchestrator runs those steps again from compile, into a fresh staging table, with
versioned artifacts (``spec.v2.json``, ``pipeline.v2.sql``, ``validation.v2.json``...).

A run whose process died (marked ``abandoned`` by :func:`datamorph.recovery.sweep`) or that
failed can be continued with :meth:`Orchestrator.resume`: same run id, same log.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datamorph.artifacts import ArtifactStore, artifact_store
from datamorph.catalog import Catalog
from datamorph.compiler import CompiledSpec, compile_spec
from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.engines.base import Engine, PublishResult
from datamorph.errors import (
    DataMorphError,
    InternalError,
    ResumeRefused,
    SourceDataError,
    SpecError,
    TargetConflict,
    ValidationFailed,
)
from datamorph.events import EventSink, FanOut, LogEntry, LogType, new_run_id
from datamorph.limits import RunLimits, guard_step
from datamorph.recovery import (
    SweepResult,
    heartbeat,
    last_completed_step,
    report_from_json,
    saved_spec_version,
    sweep,
)
from datamorph.remediation.loop import REMEDIATED, RemediationState, Remediator, latest_artifact, versioned
from datamorph.remediation.suite import validation_suite
from datamorph.spec import ETLSpec, load_spec
from datamorph.store import RunStore
from datamorph.testhook import pause
from datamorph.validation import ValidationReport
from datamorph.validation.tuning import aggregate_settings, session_settings

SUCCESS_MESSAGE = "ETL pipeline executed and validated successfully"
log = logging.getLogger(__name__)


@dataclass
class RunRequest:
    """What to run: a spec (object or file), or a request in plain English (``prompt``)."""

    warehouse: str
    spec: ETLSpec | None = None
    spec_path: str | None = None
    target: str | None = None
    prompt: str | None = None
    source_tables: list[str] | None = None

    def record(self) -> dict[str, Any]:
        """What the run store keeps of the request, so a resume can plan it again (see :meth:`from_record`)."""
        return {"spec": json.loads(self.spec.to_json()) if self.spec is not None else None,
                "spec_path": os.path.abspath(self.spec_path) if self.spec_path else None,
                "source_tables": self.source_tables}  # fmt: skip

    @classmethod
    def from_record(cls, run: dict[str, Any], warehouse: str) -> RunRequest:
        """The request of a recorded run (``run`` as the run store returns it)."""
        rec = run.get("request") or {}
        return cls(warehouse=warehouse, spec=load_spec(rec["spec"]) if rec.get("spec") else None,
                   spec_path=rec.get("spec_path"), target=run.get("target_table"), prompt=run.get("prompt"),
                   source_tables=rec.get("source_tables"))  # fmt: skip


@dataclass
class RunContext:
    """What the steps produce, step by step."""

    run_id: str
    request: RunRequest
    engine: Engine | None = None
    spec: ETLSpec | None = None
    catalog: Catalog | None = None
    compiled: CompiledSpec | None = None
    sql: str | None = None
    staged: str | None = None
    staged_rows: int | None = None
    report: ValidationReport | None = None
    published: PublishResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, str] = field(default_factory=dict)
    version: int = 1  # of the spec: 1 as planned or loaded, then one more per repair
    remediation: RemediationState = field(default_factory=RemediationState)
    limits: RunLimits | None = None  # the run's deadline and memory limit, from its first step
    attempt_base: int = 0  # a resumed run numbers its step attempts after the ones already recorded
    reuse: dict[str, str] = field(default_factory=dict)  # artifacts of an earlier process of the run: name → text

    @property
    def target(self) -> str | None:
        return self.spec.target_table.name if self.spec else self.request.target


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    run: Callable[[Orchestrator, RunContext], str]  # returns a one-line description of what it did
    remediable: bool = False  # a failure here goes to the remediation loop, which re-runs from the first such step


class Orchestrator:
    """Runs requests against one warehouse with one run store and artifact store."""

    def __init__(
        self,
        settings: Settings,
        *,
        sinks: tuple[EventSink, ...] = (),
        steps: tuple[Step, ...] | None = None,
        remediator: Remediator | None = None,
    ) -> None:
        self.settings = settings
        self.steps = STEPS if steps is None else steps
        self.remediator = remediator or Remediator(max_iterations=settings.max_remediation_iterations)
        self.store = RunStore(settings.store_path)
        self.artifacts: ArtifactStore = artifact_store(settings.artifacts_location)
        self.sink = FanOut(self.store, *_configured_sinks(settings), *sinks)

    def connect(self, warehouse: str) -> Engine:
        """Open ``warehouse`` with these settings (lock timeout, DuckDB external access)."""
        return connect(warehouse, lock_timeout=self.settings.lock_timeout,
                       external_access=self.settings.duckdb_external_access)  # fmt: skip

    # -- events -------------------------------------------------------------------
    def log(self, ctx: RunContext, type_: LogType, title: str, description: str = "", **metadata: Any) -> None:
        self.sink.emit(ctx.run_id, LogEntry.now(type_, title, description, metadata))

    def put(self, ctx: RunContext, name: str, data: str | bytes) -> str:
        uri = self.artifacts.put(ctx.run_id, name, data)
        ctx.artifacts[name] = uri
        return uri

    # -- the run --------------------------------------------------------------------
    def run(self, request: RunRequest, run_id: str | None = None, *, created: bool = False) -> dict[str, Any]:
        """Run the workflow; return the result in the original response shape (never raises DataMorphError).

        ``created=True``: the run ``run_id`` is already in the run store (a queued run of the HTTP API).
        """
        if created and run_id is None:
            raise ValueError("created=True needs the run_id of the recorded run")
        self.sweep()
        ctx = RunContext(run_id or new_run_id(), request)
        if not created:
            self.store.create_run(ctx.run_id, prompt=request.prompt, target_table=request.target,
                                  warehouse=request.warehouse, request=request.record())  # fmt: skip
        else:
            self.store.update_run(ctx.run_id, request=request.record())
        self.log(ctx, LogType.START, "Starting ETL workflow", f"warehouse {request.warehouse}",
                 warehouse=request.warehouse, steps=[s.name for s in self.steps])  # fmt: skip
        with heartbeat(self.store, self.settings.heartbeat_interval):
            return self._drive(ctx, 0)

    def sweep(self) -> SweepResult:
        """Mark runs whose process is gone as abandoned and drop their staging tables (see :mod:`datamorph.recovery`)."""
        return sweep(self.store, self.settings)

    def resume(self, run_id: str, *, warehouse: str | None = None) -> dict[str, Any]:
        """Continue an abandoned or failed run from its last completed step; the result as :meth:`run` gives it.

        The run keeps its id and its log (a ``status`` entry says where it resumed). The spec the run
        saved (its newest version) is reused, and so is its compiled SQL when the sources compile to
        the same; reading the sources runs again (their schemas and the target's ownership are checked
        anew), and so do stage and validate, since an abandoned run's staging table was dropped. A run
        whose publish had committed before its process died is finished as completed without
        publishing again. ``warehouse`` overrides the one the run recorded.

        Raises:
            RunNotFound: no such run.
            ResumeRefused: the run completed, its process still runs it, or it stopped before its spec
                was saved and has no request to plan again.
        """
        self.sweep()  # a run whose process just died becomes abandoned here
        run = self.store.get_run(run_id)
        if run["status"] == "completed":
            raise ResumeRefused(f"run {run_id} has already completed; there is nothing to resume",
                                hint="start a new run with `datamorph run`", run_id=run_id)  # fmt: skip
        if run["status"] == "running":
            owner = RunStore.owner_of(run)
            raise ResumeRefused(f"run {run_id} is still running ({owner.describe() if owner else 'owner unknown'})",
                                hint="wait for it to finish, or stop its process; a run whose process is gone "
                                "is marked abandoned and can then be resumed", run_id=run_id)  # fmt: skip
        warehouse = warehouse or run.get("warehouse")
        if not warehouse:
            raise ResumeRefused(f"run {run_id} recorded no warehouse", hint="pass --warehouse", run_id=run_id)
        names = self.artifacts.list(run_id)
        version = saved_spec_version(names)
        done = last_completed_step(self.store.steps(run_id))
        request = RunRequest.from_record(run, warehouse)
        if version == 0 and not (request.prompt or request.spec or request.spec_path):
            raise ResumeRefused(f"run {run_id} stopped before it saved its spec, and its request was not recorded",
                                hint="start it again with `datamorph run`", run_id=run_id)  # fmt: skip
        if not self.store.reopen_run(run_id):
            raise ResumeRefused(f"run {run_id} was resumed by another process meanwhile", run_id=run_id)
        ctx = RunContext(run_id, request)
        ctx.artifacts = {n: self.artifacts.uri(run_id, n) for n in names}
        ctx.version = max(version, 1)
        ctx.attempt_base = self.store.last_attempt(run_id) + 1 - ctx.version
        with heartbeat(self.store, self.settings.heartbeat_interval):
            try:
                first, published, reused = self._resume_point(ctx, version)
            except DataMorphError as e:
                result = self._failure(ctx, e, None, 0.0)
                self._cleanup(ctx)
                return result
            names_ = [s.name for s in self.steps]
            resumed_from = (names_[min(names_.index(done) + 1, len(names_) - 1)] if done in names_
                            else names_[min(first, len(names_) - 1)])  # fmt: skip
            reran = names_[first:] if published is None else []
            self.log(ctx, LogType.STATUS, "Resuming the run",
                     (f"resumed at step {resumed_from}: its publish had committed before its process stopped, "
                      "nothing is published again" if published else f"resumed from step {resumed_from}"
                      + (f" (last completed: {done})" if done else "")
                      + (f"; reusing {', '.join(reused)}" if reused else "") + f"; running {', '.join(reran)}"),
                     resumed_from=resumed_from, last_completed=done, reused=reused, rerun=reran,
                     spec_version=ctx.version, warehouse=warehouse)  # fmt: skip
            return self._drive(ctx, first, published)

    def _resume_point(self, ctx: RunContext, version: int) -> tuple[int, PublishResult | None, list[str]]:
        """(index of the first step to run, the publish that had committed or None, artifacts reused)."""
        if version == 0:
            return 0, None, []  # no spec was saved: plan again from the request
        spec_name = versioned("spec.json", version)
        ctx.spec = load_spec(json.loads(self.artifacts.get_text(ctx.run_id, spec_name)))
        reused = [spec_name]
        sql_name = versioned("pipeline.sql", version)
        if sql_name in ctx.artifacts:
            ctx.reuse[sql_name] = self.artifacts.get_text(ctx.run_id, sql_name)
            reused.append(sql_name)
        if version > 1:
            ctx.remediation.status, ctx.remediation.iterations = REMEDIATED, version - 1
        ctx.engine = self.connect(ctx.request.warehouse)
        for t in ctx.engine.staging_tables():  # left over when the sweep could not reach the warehouse
            if t.run_id == ctx.run_id:
                ctx.engine.drop_staged(t.table)
        published = ctx.engine.published_version(ctx.spec.target_table.name, ctx.run_id)
        if published is not None:
            report = next((n for v in range(version, 0, -1) if (n := versioned("validation.json", v)) in ctx.artifacts),
                          None)  # fmt: skip
            ctx.report = report_from_json(self.artifacts.get_text(ctx.run_id, report)) if report else ValidationReport()
            return len(self.steps), published, reused
        # the sources are read again (catalog, target ownership), then compile (SQL reused), stage, validate
        return next((i for i, s in enumerate(self.steps) if s.name == "read_sources"), 0), None, reused

    def _drive(self, ctx: RunContext, first: int, published: PublishResult | None = None) -> dict[str, Any]:
        """Run the steps from ``self.steps[first]`` on (none when ``published``: a resumed run whose
        publish had committed) and finish the run."""
        t_run = time.perf_counter()
        step: Step | None = None
        try:
            if published is not None:
                ctx.published = published
                first = len(self.steps)
            i = first
            while i < len(self.steps):
                step = self.steps[i]
                try:
                    self._run_step(ctx, step)
                    i += 1
                except DataMorphError as e:
                    if not step.remediable:
                        raise
                    self.remediator.recover(self, ctx, step, e)  # a repaired spec, or raises
                    i = next(j for j, s in enumerate(self.steps) if s.remediable)
            result = self._success(ctx, time.perf_counter() - t_run)
        except DataMorphError as e:
            result = self._failure(ctx, e, step, time.perf_counter() - t_run)
        except Exception as e:  # a bug: the run still ends as failed, never left running
            log.error("run %s: unexpected error", ctx.run_id, exc_info=e)
            result = self._failure(ctx, InternalError.wrap(e), step, time.perf_counter() - t_run)
        finally:
            self._cleanup(ctx)
        return result

    def _run_step(self, ctx: RunContext, step: Step) -> None:
        attempt = ctx.version + ctx.attempt_base
        self.store.start_step(ctx.run_id, step.name, attempt)
        self.log(ctx, LogType.STATUS, step.title, f"step {step.name}", step=step.name, phase="start")
        pause(f"{step.name}:start", ctx.run_id)  # test hook (kill-point tests); inert unless set
        t0 = time.perf_counter()
        try:
            with guard_step(self, ctx, step.name):  # time and memory limits, sources that change under the run
                description = step.run(self, ctx)
        except Exception as e:
            ms = round((time.perf_counter() - t0) * 1000, 2)
            ctx.timings[step.name] = round(ctx.timings.get(step.name, 0) + ms, 2)
            self.store.finish_step(ctx.run_id, step.name, "failed", attempt, detail={"error": str(e)})
            raise
        ms = round((time.perf_counter() - t0) * 1000, 2)
        ctx.timings[step.name] = round(ctx.timings.get(step.name, 0) + ms, 2)
        self.store.finish_step(ctx.run_id, step.name, "ok", attempt, detail={"duration_ms": ms})
        self.log(ctx, LogType.END, step.title, description, step=step.name, phase="end", duration_ms=ms)
        pause(f"{step.name}:end", ctx.run_id)

    def _success(self, ctx: RunContext, seconds: float) -> dict[str, Any]:
        assert ctx.report is not None and ctx.published is not None
        body = self._body(ctx, seconds)
        body.update(status="completed", validation_status="pass", message=SUCCESS_MESSAGE,
                    rows=ctx.published.rows, previous_version=ctx.published.previous_version)  # fmt: skip
        result = {"statusCode": 200, "body": body}
        self._finish(ctx, result)
        # the last log entry goes first: once a run's status is final, its log is complete
        self.log(ctx, LogType.SUCCESS, "ETL Workflow Completed Successfully",
                 f"All steps completed. Data loaded to '{ctx.target}' and validated.",
                 target_table=ctx.target, validation_status="pass", rows=ctx.published.rows)  # fmt: skip
        self.store.finish_run(ctx.run_id, "completed", validation_status="pass", result=result)
        return result

    def _failure(self, ctx: RunContext, err: DataMorphError, step: Step | None, seconds: float) -> dict[str, Any]:
        validation_status = ctx.report.status if ctx.report else None
        body = self._body(ctx, seconds)
        body.update(error=True, status="failed", message=f"Workflow failed: {err}", error_type=err.error_type,
                    failed_step=step.name if step else None, validation_status=validation_status)  # fmt: skip
        if err.details():
            body["error_details"] = err.details()  # what a client can act on: the readings to choose from...
        result = {"statusCode": 500, "body": body}
        self._finish(ctx, result)
        self.log(ctx, LogType.ERROR, f"Workflow failed at {step.title if step else 'start'}", str(err),
                 error_type=err.error_type, step=step.name if step else None,
                 target_table=ctx.target, validation_status=validation_status)  # fmt: skip
        self.store.finish_run(ctx.run_id, "failed", validation_status=validation_status, result=result,
                              error_type=err.error_type, error_message=str(err))  # fmt: skip
        return result

    def _body(self, ctx: RunContext, seconds: float) -> dict[str, Any]:
        code = latest_artifact(ctx.artifacts, "pipeline.sql", ctx.version)
        rem = ctx.remediation
        body: dict[str, Any] = {
            "run_id": ctx.run_id,
            "target_table": ctx.target,
            "specs_path": latest_artifact(ctx.artifacts, "spec.json", ctx.version),
            "code_path": code,
            # the original's name for its generated Glue code: here the PySpark job script
            "glue_code_path": latest_artifact(ctx.artifacts, "pipeline.py", ctx.version),
            "remediation_status": rem.status,
            "remediation_iterations": rem.iterations,
            "remediations": [a.to_dict() for a in rem.attempts],
            "step_timings_ms": dict(ctx.timings),
            "total_ms": round(seconds * 1000, 2),
        }
        rows = ctx.published.rows if ctx.published is not None else None
        understood = _restatement(ctx.spec, ctx.catalog, rows)
        if understood:
            body["restatement"] = understood
        if ctx.report is not None:
            body["validation_summary"] = ctx.report.summary()
            body["failed_tests"] = [
                {"test_id": t.test_id, "use_case": t.use_case, "message": t.message} for t in ctx.report.failures()
            ]
        return body

    def _finish(self, ctx: RunContext, result: dict[str, Any]) -> None:
        try:
            self.put(ctx, "result.json", "")  # reserve the name so the result lists itself
            result["body"]["artifacts"] = dict(ctx.artifacts)
            self.put(ctx, "result.json", json.dumps(result, indent=2, default=str))
        except DataMorphError:
            result["body"]["artifacts"] = dict(ctx.artifacts)

    def _cleanup(self, ctx: RunContext) -> None:
        if ctx.engine is None:
            return
        try:
            if ctx.staged and ctx.published is None:
                ctx.engine.drop_staged(ctx.staged)
        finally:
            ctx.engine.close()
            ctx.engine = None


def _configured_sinks(settings: Settings) -> tuple[EventSink, ...]:
    """Log sinks the settings ask for besides the run store (a DynamoDB table)."""
    if not settings.log_table:
        return ()
    from datamorph.store_dynamodb import DynamoDBLogSink

    return (DynamoDBLogSink(settings.log_table),)


# -- the steps -------------------------------------------------------------------------


def _restatement(spec: ETLSpec | None, catalog: Catalog | None, rows: int | None = None) -> str | None:
    """What the spec builds, said back in plain English (None if it cannot be said: a run never fails on it)."""
    if spec is None:
        return None
    from datamorph.planner.restate import restate

    try:
        return restate(spec, catalog, rows=rows)
    except Exception as e:
        log.error("restating the spec failed", exc_info=e)
        return None


def _load_spec(o: Orchestrator, ctx: RunContext) -> str:
    req = ctx.request
    planned = False
    catalog: Catalog | None = None
    if req.spec is not None:
        spec = req.spec
    elif req.spec_path is not None:
        spec = load_spec(req.spec_path)
    elif req.prompt:
        from datamorph.planner import plan_request

        ctx.engine = o.connect(req.warehouse)
        catalog = ctx.engine.catalog(req.source_tables) if req.source_tables else ctx.engine.catalog()
        spec = plan_request(req.prompt, ctx.engine, catalog=catalog, target=req.target,
                            reference_date=o.settings.reference_date)  # fmt: skip
        planned = True
    else:
        raise SpecError("nothing to run: give a request or a spec file (--spec FILE)")
    if req.target:
        spec = spec.retarget(req.target)
    ctx.spec = spec
    o.store.update_run(ctx.run_id, target_table=spec.target_table.name)
    uri = o.put(ctx, "spec.json", spec.to_json())
    how = "Planned from the request" if planned else "Spec loaded"
    o.log(ctx, LogType.INFO, how, f"target {spec.target_table.name}, sources "
          f"{', '.join(spec.source_table_names())}", specs_path=uri, planned=planned,
          ignored_words=spec.ignored_words)  # fmt: skip
    understood = _restatement(spec, catalog)  # a spec file: as written (the catalog is read in the next step)
    if understood:
        o.log(ctx, LogType.INFO, "Understood as", understood, restatement=understood)
    return f"target {spec.target_table.name} from {', '.join(spec.source_table_names())}"


def _read_sources(o: Orchestrator, ctx: RunContext) -> str:
    assert ctx.spec is not None
    if ctx.engine is None:
        ctx.engine = o.connect(ctx.request.warehouse)
    sources = ctx.spec.source_table_names()
    target = ctx.spec.target_table.name
    if target.lower() in {s.lower() for s in sources}:
        raise TargetConflict(f"target '{target}' is a source table of this spec; sources are never overwritten",
                             hint="choose another --target")  # fmt: skip
    catalog = ctx.engine.catalog()
    managed = ctx.engine.is_managed(target)  # TargetConflict for a schema the engine does not write targets to
    if catalog.has_table(target) and not managed:
        raise TargetConflict(f"table '{target}' already exists and was not created by DataMorph; "
                             "DataMorph never overwrites tables it did not create",
                             hint="choose another --target")  # fmt: skip
    schemas = {}
    for name in sources:
        table = catalog.table(name)
        if table.row_count == 0:
            raise SourceDataError(f"source table '{table.name}' is empty",
                                  hint="load data into it first, or check you named the right table")  # fmt: skip
        schemas[table.name] = {
            "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in table.columns],
            "primary_key": table.primary_key,
            "row_count": table.row_count,
        }
        sample = ctx.engine.sample(table.name, o.settings.sample_rows)
        o.log(ctx, LogType.INFO, f"Source {table.name}", f"{table.row_count} rows, {len(table.columns)} columns",
              schema=schemas[table.name], sample=json.loads(json.dumps(sample.dicts()[:3], default=str)))  # fmt: skip
    ctx.catalog = catalog
    return ", ".join(f"{n} ({s['row_count']:,} rows)" for n, s in schemas.items())


def _compile(o: Orchestrator, ctx: RunContext) -> str:
    assert ctx.spec is not None and ctx.catalog is not None and ctx.engine is not None
    ctx.compiled = compile_spec(ctx.spec, ctx.catalog)
    ctx.sql = ctx.compiled.sql(ctx.engine.dialect)
    header = f"-- DataMorph run {ctx.run_id} (spec v{ctx.version}): {ctx.spec.target_table.name} ({ctx.engine.dialect})\n"
    name, text = versioned("pipeline.sql", ctx.version), header + ctx.sql + ";\n"
    uri = ctx.artifacts[name] if ctx.reuse.get(name) == text else o.put(ctx, name, text)  # a resumed run keeps its SQL
    o.log(ctx, LogType.CODE, "Generated SQL", ctx.sql, dialect=ctx.engine.dialect, code_path=uri)
    _job_script(o, ctx)
    return f"{len(ctx.compiled.outputs)} output columns"


def _job_script(o: Orchestrator, ctx: RunContext) -> None:
    """Keep the sources' catalog entries (``sources.json``, what exports compile against) and the
    PySpark job script (``pipeline.py``, the original's Glue code) of this spec version.

    A script that cannot be generated is a warning: the run itself executes the SQL.
    """
    assert ctx.spec is not None and ctx.catalog is not None and ctx.compiled is not None
    from datamorph.export.pyspark import job_script
    from datamorph.export.run_code import SOURCES_ARTIFACT, RunCode, sources_snapshot

    o.put(ctx, versioned(SOURCES_ARTIFACT, ctx.version), sources_snapshot(ctx.spec, ctx.catalog))
    code = RunCode(ctx.run_id, "running", ctx.version, ctx.spec, ctx.catalog, ctx.compiled)
    try:
        script = job_script(ctx.compiled, code.sources, header=code.header("PySpark job"))
    except Exception as e:  # a construct Spark SQL cannot express: the run goes on without the script
        log.error("run %s: generating the PySpark script failed", ctx.run_id, exc_info=e)
        o.log(ctx, LogType.WARNING, "No PySpark script", f"the PySpark job script could not be generated: {e}")
        return
    uri = o.put(ctx, versioned("pipeline.py", ctx.version), script)
    o.log(ctx, LogType.CODE, "Generated PySpark job", f"{versioned('pipeline.py', ctx.version)}: Spark SQL over "
          "temp views of the sources, sources and target as arguments", code_path=uri)  # fmt: skip


def _stage(o: Orchestrator, ctx: RunContext) -> str:
    assert ctx.engine is not None and ctx.sql is not None and ctx.spec is not None and ctx.compiled is not None
    stage_id = ctx.run_id if ctx.version == 1 else f"{ctx.run_id}_v{ctx.version}"  # a fresh table per version
    settings = aggregate_settings(ctx.engine, ctx.compiled)  # e.g. DuckDB's perfect hash aggregate
    with session_settings(ctx.engine, settings):
        ctx.staged = ctx.engine.stage(ctx.sql, ctx.spec.target_table.name, stage_id)
    if settings:
        o.log(ctx, LogType.INFO, "Engine settings for the staging query",
              ", ".join(f"{k} = {v}" for k, v in settings.items()), settings=settings)  # fmt: skip
    ctx.staged_rows = int(ctx.engine.scalar(f"SELECT COUNT(*) FROM {ctx.staged}") or 0)
    return f"{ctx.staged_rows:,} rows in {ctx.staged}"


def _validate(o: Orchestrator, ctx: RunContext) -> str:
    assert ctx.engine is not None and ctx.compiled is not None and ctx.staged is not None
    ctx.report = validation_suite(ctx.engine, ctx.compiled, ctx.staged, ctx.remediation.suite, attempt=ctx.version)
    o.put(ctx, versioned("validation.json", ctx.version), json.dumps(ctx.report.to_dict(), indent=2, default=str))
    s = ctx.report.summary()
    o.log(ctx, LogType.RESULT, f"Validation {ctx.report.status}",
          f"{s['passed']}/{s['total_tests']} tests passed, {s['warnings']} warnings, {s['failed']} failed",
          validation_status=ctx.report.status, summary=s)  # fmt: skip
    for t in ctx.report.tests:
        if t.status == "warning":
            o.log(ctx, LogType.WARNING, t.test_id, t.message or t.use_case)
    if ctx.report.status != "pass":
        first = ctx.report.failures()[0]
        raise ValidationFailed(
            f"{len(ctx.report.failures())} validation test(s) failed, e.g. {first.test_id}: {first.message}",
            hint=f"nothing was published; see {versioned('validation.json', ctx.version)}",
        )
    return f"{s['passed']}/{s['total_tests']} tests passed" + (f", {s['warnings']} warnings" if s["warnings"] else "")


def _publish(o: Orchestrator, ctx: RunContext) -> str:
    assert ctx.engine is not None and ctx.staged is not None and ctx.spec is not None
    target = ctx.spec.target_table.name
    with ctx.engine.target_lock(target):
        ctx.published = ctx.engine.publish(ctx.staged, target, ctx.run_id)
    prev = ctx.published.previous_version
    return f"{ctx.published.rows:,} rows in {target}" + (f" (previous version kept as {prev})" if prev else "")


STEPS: tuple[Step, ...] = (
    Step("plan", "Plan or load the spec", _load_spec),
    Step("read_sources", "Read source schemas and samples", _read_sources),
    Step("compile", "Compile to SQL", _compile, remediable=True),
    Step("stage", "Run into a staging table", _stage, remediable=True),
    Step("validate", "Test the staged result on every row", _validate, remediable=True),
    Step("publish", "Publish the target", _publish),
)
