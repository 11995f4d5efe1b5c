"""The ``datamorph`` command line (Typer + Rich).

Heavy modules (DuckDB, SQLGlot, pydantic) are imported inside the commands so
that ``datamorph --help`` starts fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape as _e

if TYPE_CHECKING:
    from datamorph.config import Settings
    from datamorph.engines.base import Engine
    from datamorph.events import LogEntry
    from datamorph.store import RunStore

app = typer.Typer(
    name="datamorph",
    help="Turn a data request into a validated table in your warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state: dict[str, Any] = {"debug": False}

WarehouseOpt = Annotated[
    str | None,
    typer.Option("--warehouse", "-w", envvar="DATAMORPH_WAREHOUSE",
                 help="Warehouse: a DuckDB file path, a postgresql:// URL or spark:///DIR. Env: DATAMORPH_WAREHOUSE."),  # fmt: skip
]
HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", envvar="DATAMORPH_HOME", help="Folder for runs and artifacts (default ./.datamorph)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print only the result as one JSON object.")]


@app.callback()
def _main(debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False) -> None:
    _state["debug"] = debug


def main() -> None:
    """Entry point: every failure is one line on stderr (with --json: one JSON object on stdout), exit 1.

    A command line that does not parse exits 2; ``--debug`` shows the traceback instead.
    """
    import logging

    from datamorph.errors import DataMorphError, InternalError

    args = sys.argv[1:]
    _state["json"] = "--json" in args
    _state["debug"] = "--debug" in args
    # tracebacks that DataMorph logs (an unexpected error inside a run) reach the terminal only with --debug
    logging.getLogger("datamorph").addHandler(logging.StreamHandler() if _state["debug"] else logging.NullHandler())
    try:
        code = app(standalone_mode=False)
    except DataMorphError as e:
        if _state["debug"]:
            raise
        _fail(str(e), error_type=e.error_type)
    except Exception as e:
        if _state["debug"]:
            raise
        usage = _usage_error(e)
        if usage is not None:
            if not usage:  # the help was printed instead (no arguments)
                raise SystemExit(2) from None
            _fail(usage, code=2, error_type="UsageError")
        if type(e).__name__ == "Abort":
            _fail("aborted", error_type="Aborted")
        _fail(str(InternalError.wrap(e)), error_type="InternalError")
    raise SystemExit(code if isinstance(code, int) else 0)


def _usage_error(e: Exception) -> str | None:
    """The one-line message of a command line that does not parse (a Click usage error), else None."""
    if not (callable(getattr(e, "format_message", None)) and isinstance(getattr(e, "exit_code", None), int)):
        return None
    message = str(e.format_message())  # type: ignore[attr-defined]
    ctx = getattr(e, "ctx", None)
    path = getattr(ctx, "command_path", None)
    return f"{message} (see `{path} --help`)" if message and path else message


def _fail(message: str, code: int = 1, *, error_type: str = "UsageError") -> NoReturn:
    """Print ``message`` as one line (a JSON object on stdout with --json) and exit with ``code``."""
    message = " ".join(line.strip() for line in message.splitlines() if line.strip()) or error_type
    if _state.get("json"):
        sys.stdout.write(json.dumps({"error": True, "error_type": error_type, "message": message}) + "\n")
    else:
        err.print(f"[bold red]error:[/] {_e(message)}", markup=True, soft_wrap=True)
    raise SystemExit(code)


def _settings(home: Path | None = None, warehouse: str | None = None) -> Settings:
    from datamorph.config import Settings

    return Settings.from_env(home=home, warehouse=warehouse)


def _store(home: Path | None = None) -> RunStore:
    """The run store, after marking runs whose process is gone as abandoned (see datamorph.recovery)."""
    from datamorph.recovery import sweep
    from datamorph.store import RunStore

    settings = _settings(home=home)
    store = RunStore(settings.store_path)
    sweep(store, settings)
    return store


def _warehouse(settings: Settings) -> str:
    if not settings.warehouse:
        _fail("no warehouse given (pass --warehouse PATH or set DATAMORPH_WAREHOUSE)", error_type="ConfigError")
    return settings.warehouse


def _engine(warehouse: str | None, *, read_only: bool = True) -> Engine:
    from datamorph.engines import connect

    settings = _settings(warehouse=warehouse)
    return connect(_warehouse(settings), lock_timeout=settings.lock_timeout, read_only=read_only)


# -- progress -------------------------------------------------------------------------


class TerminalProgress:
    """An event sink that shows each step with a spinner, then its time."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Any = None

    def emit(self, run_id: str, entry: LogEntry) -> None:
        meta = entry.metadata
        kind = entry.type.value
        if kind == "start":
            self.console.print(f"[bold]run {run_id}[/]")
        elif kind == "status" and meta.get("phase") == "start":
            self._stop()
            self._status = self.console.status(f"{_e(entry.title)}…", spinner="dots")
            self._status.start()
        elif kind == "end" and meta.get("phase") == "end":
            self._stop()
            self.console.print(f"[green]✓[/] {_e(f'{entry.title:<40}')} [dim]{meta.get('duration_ms', 0):>9.1f} ms[/]"
                               f"  {_e(entry.description)}")  # fmt: skip
        elif kind == "error":
            self._stop()
            self.console.print(f"[red]✗[/] {_e(entry.title)}: {_e(entry.description)}")
        elif kind == "warning":
            self.console.print(f"[yellow]![/] {_e(entry.title)}: {_e(entry.description)}")
        elif kind == "status" and meta.get("resumed_from"):
            self.console.print(f"[cyan]↻[/] {_e(entry.description)}")
        elif kind == "info" and meta.get("repairer"):
            self.console.print(f"[cyan]↻[/] {_e(entry.title)}")
        elif kind == "info" and meta.get("restatement"):
            self._stop()
            self.console.print(f"[bold]understood as:[/] {_e(str(meta['restatement']))}")

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None


def _execute(request: Any, *, json_out: bool, home: Path | None, preview: bool = True) -> None:
    from datamorph.orchestrator import Orchestrator

    settings = _settings(home=home, warehouse=request.warehouse)
    sinks = () if json_out else (TerminalProgress(out),)
    result = Orchestrator(settings, sinks=sinks).run(request)
    _report_result(result, settings, json_out=json_out, preview=preview)


def _report_result(result: dict[str, Any], settings: Settings, *, json_out: bool, preview: bool) -> NoReturn:
    """Print a run's result (JSON or human) and exit 0 when it completed, 1 otherwise."""
    body = result["body"]
    ok = result["statusCode"] == 200 and body.get("status") == "completed" and body.get("validation_status") == "pass"
    if json_out:
        sys.stdout.write(json.dumps(result, default=str) + "\n")
    else:
        _print_result(result, settings, preview=preview and ok)
    raise SystemExit(0 if ok else 1)


def _print_result(result: dict[str, Any], settings: Settings, *, preview: bool) -> None:
    from rich.table import Table

    body = result["body"]
    report_path = body.get("artifacts", {}).get("validation.json")
    if report_path and Path(report_path).exists():
        report = json.loads(Path(report_path).read_text())
        t = Table(title="Validation (every row)", title_justify="left")
        for col in ("test", "category", "status", "result"):
            t.add_column(col)
        colors = {"pass": "green", "fail": "red", "warning": "yellow", "error": "magenta"}
        for test in report["tests"]:
            st = test["status"]
            shown = test["message"] or _short(test["actual_result"])
            t.add_row(_e(test["use_case"]), _e(test["category"]), f"[{colors.get(st, 'white')}]{_e(st)}[/]", _e(shown))
        out.print(t)
    if preview and body.get("target_table"):
        _preview(body["target_table"], settings)
    if body.get("restatement") and body.get("status") == "completed":
        out.print(f"[bold]built:[/] {_e(body['restatement'])}")
    if body.get("status") == "completed":
        out.print(f"[bold green]completed[/] {_e(body['target_table'])}: {body.get('rows', 0):,} rows, "
                  f"validation {body['validation_status']}, {body['total_ms']:.0f} ms (run {body['run_id']})")  # fmt: skip
    else:
        out.print(f"[bold red]failed[/] {_e(body['message'])}")
        out.print(f"[dim]run {body['run_id']}: `datamorph logs {body['run_id']}`; nothing was published[/]")
    for name, uri in body.get("artifacts", {}).items():
        out.print(f"  [dim]{_e(f'{name:<16}')}[/] {_e(uri)}")


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, list):
        return f"{len(value)} columns"
    return "" if value is None else str(value)


def _preview(target: str, settings: Settings, rows: int = 10) -> None:
    from sqlglot import exp

    from datamorph.engines import connect

    with connect(_warehouse(settings), lock_timeout=settings.lock_timeout) as engine:
        table = exp.to_table(target, dialect=engine.dialect).sql(dialect=engine.dialect, identify=True)
        res = engine.fetch(f"SELECT * FROM {table}", max_rows=rows)
    _table(res, title=f"{target} (first {rows} rows)")


def _table(res: Any, title: str | None = None) -> None:
    from rich.table import Table

    t = Table(title=_e(title) if title else None, title_justify="left")
    for c in res.columns:
        t.add_column(_e(c))
    for r in res.rows:
        t.add_row(*["NULL" if v is None else _e(str(v)) for v in r])
    out.print(t)


# -- commands -------------------------------------------------------------------------


@app.command()
def demo(
    scale: Annotated[float, typer.Option(help="Size of the sample warehouse: 1 ≈ 10k orders.")] = 1.0,
    warehouse: Annotated[Path | None, typer.Option("--warehouse", "-w", help="Where to build it "
                                                   "(default HOME/demo.duckdb).")] = None,  # fmt: skip
    force: Annotated[bool, typer.Option("--force", help="Replace the file even if `datamorph demo` did not "
                                        "build it (its tables are lost).")] = False,  # fmt: skip
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Build a sample warehouse and run the example request end to end.

    An existing file is replaced only if `datamorph demo` built it and it holds nothing else, or with --force."""
    from datamorph.demo import EXAMPLE_PROMPT
    from datamorph.demo.warehouse import build_demo_warehouse, check_replaceable
    from datamorph.orchestrator import RunRequest

    settings = _settings(home=home)
    path = warehouse or settings.home / "demo.duckdb"
    if not force:
        check_replaceable(path)  # never replaces a file the demo did not build
    path.parent.mkdir(parents=True, exist_ok=True)
    if not json_out:
        out.print(f"[bold]Building the sample warehouse[/] at {_e(str(path))} (scale {scale:g})…")
    rows = build_demo_warehouse(path, scale=scale, force=force)
    if not json_out:
        out.print("  " + ", ".join(f"{t} {n:,}" for t, n in sorted(rows.items())))
        out.print(f"[bold]Request:[/] {EXAMPLE_PROMPT}")
    _execute(RunRequest(warehouse=str(path), prompt=EXAMPLE_PROMPT, target="customer_order_summary"),
             json_out=json_out, home=home)  # fmt: skip


SourceOpt = Annotated[
    list[str] | None,
    typer.Option("--source", help="Only use this source table (repeat for several)."),
]


@app.command()
def run(
    prompt: Annotated[str | None, typer.Argument(help="The request in plain English.")] = None,
    spec: Annotated[Path | None, typer.Option("--spec", "-s", help="ETL spec file (JSON) instead of a request.")] = None,
    warehouse: WarehouseOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target table name.")] = None,
    source: SourceOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Plan (or load) a spec, compile, stage, validate on every row, publish."""
    from datamorph.orchestrator import RunRequest

    if spec is None and not (prompt and prompt.strip()):
        _fail("nothing to run: give a request in quotes, or --spec FILE")
    if spec is not None and prompt:
        _fail("give either a request or --spec FILE, not both")
    if target is not None:
        from datamorph.names import check_target

        check_target(target)
    settings = _settings(home=home, warehouse=warehouse)
    request = RunRequest(warehouse=_warehouse(settings), spec_path=str(spec) if spec else None, target=target,
                         prompt=prompt, source_tables=source or None)  # fmt: skip
    _execute(request, json_out=json_out, home=home)


@app.command()
def plan(
    prompt: Annotated[str, typer.Argument(help="The request in plain English.")],
    warehouse: WarehouseOpt = None,
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target table name.")] = None,
    source: SourceOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Dry run: print the spec and the SQL for a request; runs nothing."""
    from datamorph.compiler import compile_spec
    from datamorph.names import check_target

    if target is not None:
        check_target(target)
    from datamorph.planner import plan_request

    settings = _settings(warehouse=warehouse)
    with _engine(warehouse) as engine:
        catalog = engine.catalog(source) if source else engine.catalog()
        spec = plan_request(prompt, engine, catalog=catalog, target=target, reference_date=settings.reference_date)
        sql = compile_spec(spec, catalog).sql(engine.dialect)
    from datamorph.planner.restate import restate

    understood = restate(spec, catalog)
    if json_out:
        sys.stdout.write(json.dumps({"spec": json.loads(spec.to_json()), "sql": sql, "restatement": understood}) + "\n")
        return
    from rich.syntax import Syntax

    out.print(f"[bold]understood as:[/] {_e(understood)}")
    out.print("[bold]spec[/]")
    out.print(Syntax(spec.to_json(), "json", word_wrap=True))
    out.print("[bold]sql[/]")
    out.print(Syntax(sql, "sql", word_wrap=True))
    if spec.ignored_words:
        out.print(f"[bold]set aside[/] (words that carry no meaning for the query): "
                  f"{_e(', '.join(spec.ignored_words))}")  # fmt: skip


@app.command()
def runs(
    status: Annotated[str | None, typer.Option(help="Only runs with this status.")] = None,
    target: Annotated[str | None, typer.Option(help="Only runs into this target.")] = None,
    limit: Annotated[int, typer.Option(help="How many.")] = 20,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List recent runs, newest first."""
    from rich.table import Table

    items = _store(home).list_runs(status=status, target=target, limit=limit)
    if json_out:
        sys.stdout.write(json.dumps([_run_summary(r) for r in items], default=str) + "\n")
        return
    t = Table()
    t.add_column("run id", no_wrap=True, min_width=22)
    for c in ("status", "validation", "target"):
        t.add_column(c)
    t.add_column("created", no_wrap=True)
    for r in items:
        t.add_row(r["run_id"], r["status"], r.get("validation_status") or "", _e(r.get("target_table") or ""),
                  r["created_at"])  # fmt: skip
    out.print(t if items else "no runs yet")


def _run_summary(r: dict[str, Any]) -> dict[str, Any]:
    return {k: r.get(k) for k in ("run_id", "status", "validation_status", "target_table", "created_at",
                                  "error_type", "error_message")}  # fmt: skip


@app.command()
def show(run_id: str, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Show one run: status, steps and their times, artifacts."""
    from rich.table import Table

    store = _store(home)
    run_ = store.get_run(run_id)
    steps = store.steps(run_id)
    if json_out:
        sys.stdout.write(json.dumps({"run": run_, "steps": steps}, default=str) + "\n")
        return
    out.print(f"[bold]{run_id}[/]  {run_['status']}  validation {run_.get('validation_status') or '-'}  "
              f"target {_e(run_.get('target_table') or '-')}")  # fmt: skip
    if run_.get("error_message"):
        out.print(f"[red]{run_.get('error_type')}: {_e(run_['error_message'])}[/]")
    if run_["status"] in ("abandoned", "failed"):
        out.print(f"[dim]`datamorph resume {run_id}` continues it from its last completed step[/]")
    t = Table(title="steps", title_justify="left")
    for c in ("step", "status", "ms"):
        t.add_column(c)
    for s in steps:
        t.add_row(s["step"], s["status"], str(s.get("duration_ms") or ""))
    out.print(t)
    body = (run_.get("result") or {}).get("body", {})
    for name, uri in body.get("artifacts", {}).items():
        out.print(f"  [dim]{_e(f'{name:<16}')}[/] {_e(uri)}")


@app.command()
def logs(run_id: str, home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Print a run's log entries."""
    resp = _store(home).logs_response(run_id)
    if json_out:
        sys.stdout.write(json.dumps(resp, default=str) + "\n")
        return
    colors = {"error": "red", "success": "green", "warning": "yellow", "code": "cyan"}
    for e in resp["logs"]:
        c = colors.get(e["type"], "white")
        out.print(f"[dim]{e['timestamp']}[/] [{c}]{e['type']:<8}[/] [bold]{_e(e['title'])}[/] {_e(e['description'])}")


ExactOpt = Annotated[bool, typer.Option("--exact", help="Exact row counts (PostgreSQL estimates big tables).")]


@app.command()
def tables(warehouse: WarehouseOpt = None, exact: ExactOpt = False, json_out: JsonOpt = False) -> None:
    """List the warehouse's tables and views with row counts."""
    from rich.table import Table

    with _engine(warehouse) as engine:
        cat = engine.catalog(exact=exact)
    items: list[dict[str, Any]] = [{"name": t.name, "kind": t.kind, "rows": t.row_count, "columns": len(t.columns)}
             for t in cat.tables.values()]  # fmt: skip
    if json_out:
        sys.stdout.write(json.dumps(items) + "\n")
        return
    t = Table()
    for c in ("table", "kind", "rows", "columns"):
        t.add_column(c)
    for i in items:
        t.add_row(_e(i["name"]), i["kind"], f"{i['rows']:,}" if i["rows"] is not None else "", str(i["columns"]))
    out.print(t)


@app.command()
def schema(table: str, warehouse: WarehouseOpt = None, exact: ExactOpt = False, json_out: JsonOpt = False) -> None:
    """Show a table's columns, types, keys and row count."""
    from rich.table import Table

    with _engine(warehouse) as engine:
        info = engine.catalog(exact=exact).table(table)
    if json_out:
        sys.stdout.write(json.dumps(info.to_dict()) + "\n")
        return
    t = Table(title=_e(f"{info.name} ({info.row_count:,} rows)" if info.row_count is not None else info.name),
              title_justify="left")  # fmt: skip
    for heading in ("column", "type", "nullable", "key"):
        t.add_column(heading)
    for c in info.columns:
        keys = ["PK"] if c.name in info.primary_key else []
        keys += [f"→ {f.ref_table}.{f.ref_columns[0]}{' (inferred)' if f.inferred else ''}"
                 for f in info.foreign_keys if f.columns == (c.name,)]  # fmt: skip
        t.add_row(_e(c.name), _e(c.type), "yes" if c.nullable else "no", _e(" ".join(keys)))
    out.print(t)


@app.command()
def sample(
    table: str,
    warehouse: WarehouseOpt = None,
    limit: Annotated[int, typer.Option(help="How many random rows.")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Show random sample rows of a table."""
    with _engine(warehouse) as engine:
        engine.catalog([table])
        res = engine.sample(table, limit)
    if json_out:
        sys.stdout.write(json.dumps(res.dicts(), default=str) + "\n")
        return
    _table(res, title=f"{table} (random {limit} rows)")


DelimiterOpt = Annotated[str | None, typer.Option("--delimiter", help="CSV field delimiter, e.g. ';' or '\\t' "
                                                 "(default: detected).")]  # fmt: skip
HeaderOpt = Annotated[bool | None, typer.Option("--header/--no-header", help="Whether the CSV files' first line "
                                                "names the columns (default: detected).")]  # fmt: skip
QuoteOpt = Annotated[str | None, typer.Option("--quote", help="CSV quote character; '' for none (default: detected).")]
EncodingOpt = Annotated[str | None, typer.Option("--encoding", help="CSV encoding: utf-8 (default), utf-16 or latin-1.")]


def _loading(warehouse: str | None):  # type: ignore[no-untyped-def]
    """The warehouse to load files into, created if it is a new DuckDB path (removed again if the load fails)."""
    from datamorph.engines.loader import open_for_loading

    settings = _settings(warehouse=warehouse)
    return open_for_loading(_warehouse(settings), lock_timeout=settings.lock_timeout)


@app.command()
def register(
    name: Annotated[str, typer.Argument(help="Table name to give the file(s).")],
    path: Annotated[Path, typer.Argument(help="A CSV or Parquet file, or a folder of them.")],
    warehouse: WarehouseOpt = None,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    quote: QuoteOpt = None,
    encoding: EncodingOpt = None,
) -> None:
    """Register a CSV or Parquet file (or folder) as a source table (a view over the files).

    Creates the DuckDB warehouse if it does not exist. `datamorph serve` may read exactly the
    files of registered tables.
    """
    from datamorph.engines.files import CsvOptions

    options = CsvOptions.of(delimiter, header, quote, encoding)
    with _loading(warehouse) as engine:
        info = engine.register_file(name, str(path), persist=True, options=options)
        if getattr(engine, "created", False):
            out.print(f"created warehouse {engine.path}")
    out.print(f"[green]✓[/] {info.name}: {len(info.columns)} columns, {info.row_count or 0:,} rows from {path}")


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="A CSV or Parquet file, or a folder of them.")],
    warehouse: WarehouseOpt = None,
    table: Annotated[str | None, typer.Option("--table", "-t", help="Table name (default: the file's name); "
                                              "with a folder, load all its files into this one table.")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a table of that name.")] = False,
    delimiter: DelimiterOpt = None,
    header: HeaderOpt = None,
    quote: QuoteOpt = None,
    encoding: EncodingOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Load CSV or Parquet files into warehouse tables (PostgreSQL: COPY; DuckDB: CREATE TABLE AS).

    Creates the DuckDB warehouse if it does not exist. CSV files whose header or delimiter looks
    broken are refused with the reason; --delimiter, --header/--no-header, --quote and --encoding
    override what is detected.
    """
    from datamorph.engines.files import CsvOptions
    from datamorph.engines.loader import load_path

    options = CsvOptions.of(delimiter, header, quote, encoding)
    with _loading(warehouse) as engine:
        loaded = load_path(engine, str(path), table, replace=replace, options=options)
        created = engine.path if getattr(engine, "created", False) else None
    if created and not json_out:
        out.print(f"created warehouse {created}")
    if json_out:
        res: dict[str, Any] = {"tables": [{"table": t.table, "rows": t.rows, "columns": len(t.columns)} for t in loaded]}
        if created:
            res["created_warehouse"] = created
        sys.stdout.write(json.dumps(res) + "\n")
        return
    for t in loaded:
        out.print(f"[green]✓[/] {t.table}: {len(t.columns)} columns, {t.rows:,} rows")


@app.command()
def rollback(target: str, warehouse: WarehouseOpt = None, json_out: JsonOpt = False) -> None:
    """Restore the previous version of a published target (only a table DataMorph published)."""
    from datamorph.names import check_target

    check_target(target)
    with _engine(warehouse, read_only=False) as engine:
        with engine.target_lock(target):
            res = engine.rollback(target)
    if json_out:
        sys.stdout.write(json.dumps({"target": res.target, "restored_from": res.restored_from,
                                     "replaced_version": res.replaced_version}) + "\n")  # fmt: skip
        return
    out.print(f"[green]✓[/] {_e(res.target)} restored from {_e(res.restored_from)}; "
              f"the replaced version is kept as {res.replaced_version}")  # fmt: skip


@app.command()
def resume(
    run_id: Annotated[str, typer.Argument(help="The run to continue (see `datamorph runs`).")],
    warehouse: Annotated[str | None, typer.Option("--warehouse", "-w", help="Warehouse to use instead of the "
                                                  "one the run recorded.")] = None,  # fmt: skip
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Continue an abandoned or failed run from its last completed step (same run id, same log)."""
    from datamorph.orchestrator import Orchestrator
    from datamorph.store import RunStore

    recorded = RunStore(_settings(home=home).store_path).get_run(run_id).get("warehouse")
    settings = _settings(home=home, warehouse=warehouse or recorded)
    sinks = () if json_out else (TerminalProgress(out),)
    result = Orchestrator(settings, sinks=sinks).resume(run_id, warehouse=warehouse)
    _report_result(result, settings, json_out=json_out, preview=True)


@app.command()
def gc(
    warehouse: WarehouseOpt = None,
    keep: Annotated[int | None, typer.Option("--keep", min=0, help="History versions to keep per target "
                                             "(env DATAMORPH_HISTORY_KEEP, default 5).")] = None,  # fmt: skip
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Prune old history versions and orphaned staging tables; say what was removed."""
    from datamorph.recovery import collect_garbage
    from datamorph.store import RunStore

    settings = _settings(home=home, warehouse=warehouse)
    res = collect_garbage(RunStore(settings.store_path), settings, _warehouse(settings), keep=keep)
    if json_out:
        sys.stdout.write(json.dumps(res.to_dict(), default=str) + "\n")
        return
    for r in res.abandoned:
        out.print(f"[yellow]![/] run {r} abandoned: its process is gone")
    for v in res.versions:
        out.print(f"[green]✓[/] dropped version {v['table']} ({v['rows'] if v['rows'] is not None else '?'} rows, "
                  f"archived {v['archived_at']})")  # fmt: skip
    for t in res.staging:
        out.print(f"[green]✓[/] dropped staging table {t}")
    if not (res.versions or res.staging):
        out.print("nothing to remove")
    if res.size_before is not None and res.size_after is not None:
        out.print(f"size {_mb(res.size_before)} → {_mb(res.size_after)}" + (" (file rewritten)" if res.compacted else ""))


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB"


@app.command()
def serve(
    warehouse: WarehouseOpt = None,
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but 127.0.0.1/localhost exposes "
                                      "the API to the network: set DATAMORPH_API_TOKEN then.")] = "127.0.0.1",  # fmt: skip
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Runs executed at once (env DATAMORPH_WORKERS, "
                                                "default 2).")] = None,  # fmt: skip
    home: HomeOpt = None,
) -> None:
    """Serve the HTTP API (original endpoints + REST API, docs at /docs) and the web page (/) over a warehouse."""
    from datamorph.config import Settings

    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401  (the web page's templates)
        import uvicorn  # noqa: F401
    except ImportError:
        _fail('the HTTP API needs FastAPI, uvicorn and Jinja2: pip install "datamorph[api]"')
    settings = Settings.from_env(home=home, warehouse=warehouse, workers=workers)
    _warehouse(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_token:
        err.print(f"[bold yellow]warning:[/] listening on {host} without DATAMORPH_API_TOKEN: anyone who can reach "
                  "this address can run requests and read your tables", markup=True)  # fmt: skip
    from datamorph.api.app import serve as run_server

    err.print(f"DataMorph API on http://{host}:{port} (web page: /, docs: /docs); warehouse {settings.warehouse}; "
              f"{settings.workers} run worker(s){'; token required' if settings.api_token else ''}")  # fmt: skip
    run_server(settings, host=host, port=port)


@app.command()
def export(
    run_id: Annotated[str, typer.Argument(help="The run whose code to export (see `datamorph runs`).")],
    format_: Annotated[str, typer.Option("--format", "-f", help="sql, pyspark, glue or dbt.")] = "sql",
    dialect: Annotated[str | None, typer.Option("--dialect", help="SQL dialect of sql and dbt exports (duckdb, "
                                                "postgres, snowflake, ...; default: the run's warehouse).")] = None,  # fmt: skip
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder to write into (default: the current folder; "
                                                 "for dbt ./<target>_dbt).")] = None,  # fmt: skip
    submit: Annotated[bool, typer.Option("--submit", help="glue: upload the script to S3 and start a Glue job run "
                                         "(needs the aws extra).")] = False,  # fmt: skip
    s3: Annotated[str | None, typer.Option("--s3", envvar="DATAMORPH_GLUE_S3", help="--submit: where to upload the "
                                           "script, s3://bucket/prefix. Env: DATAMORPH_GLUE_S3.")] = None,  # fmt: skip
    role: Annotated[str | None, typer.Option("--role", envvar="DATAMORPH_GLUE_ROLE", help="--submit: the IAM role "
                                             "the Glue job runs as. Env: DATAMORPH_GLUE_ROLE.")] = None,  # fmt: skip
    job_name: Annotated[str | None, typer.Option("--job-name", help="--submit: the Glue job's name (default "
                                                 "datamorph-<target>).")] = None,  # fmt: skip
    job_args: Annotated[list[str] | None, typer.Option("--job-arg", help="--submit: a job argument KEY=VALUE for the "
                                                       "run, e.g. source_orders=s3://b/orders/ (repeat).")] = None,  # fmt: skip
    warehouse: Annotated[str | None, typer.Option("--warehouse", "-w", help="Read the sources' schemas here when the "
                                                  "run kept no sources.json (older runs).")] = None,  # fmt: skip
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Export a run's code: SQL for a dialect, a PySpark or AWS Glue job script, or a dbt project."""
    from datamorph.artifacts import artifact_store
    from datamorph.export import check_format, export_code, load_run_code

    fmt = check_format(format_)
    if submit and fmt != "glue":
        _fail("--submit goes with --format glue")
    if submit and not (s3 and role):
        _fail("--submit needs --s3 s3://bucket/prefix and --role ARN (or DATAMORPH_GLUE_S3 and DATAMORPH_GLUE_ROLE)",
              error_type="ConfigError")  # fmt: skip
    settings = _settings(home=home)
    code = load_run_code(_store(home), artifact_store(settings.artifacts_location), run_id, warehouse=warehouse)
    out_path = out_dir or (Path(f"{code.target.split('.')[-1]}_dbt") if fmt == "dbt" else Path("."))
    arguments: dict[str, str] = {}
    if submit:
        from datamorph.export.glue import job_arguments
        from datamorph.export.pyspark import argument_names

        arguments = job_arguments(job_args or [], [*argument_names(code.sources).values(), "target"])
    res = export_code(code, fmt, out_path, dialect=dialect)
    if submit:
        from datamorph.export.glue import submit_glue_job

        assert s3 is not None and role is not None
        res.submission = submit_glue_job(
            Path(res.files[0]), run_id, s3_location=s3, role=role, arguments=arguments,
            job_name=job_name or f"datamorph-{code.target.split('.')[-1]}", description=code.header("AWS Glue job"),
        ).to_dict()
    if json_out:
        sys.stdout.write(json.dumps(res.to_dict()) + "\n")
        return
    if not res.validated:
        err.print(f"[bold yellow]warning:[/] run {run_id} is {_e(code.status)}: this code did not pass its tests",
                  markup=True)  # fmt: skip
    out.print(f"[green]✓[/] {_e(fmt)} export of run {run_id} ({_e(res.target)}, {_e(res.dialect)}):")
    for f in res.files:
        out.print(f"  {_e(f)}")
    if res.submission:
        s = res.submission
        out.print(f"[green]✓[/] Glue job {_e(s['job_name'])} {'created' if s['created'] else 'updated'} "
                  f"({_e(s['script_uri'])}); run {_e(s['job_run_id'])} started")  # fmt: skip


@app.command("spec-schema")
def spec_schema() -> None:
    """Print the JSON Schema of the ETL spec."""
    from datamorph.spec import spec_json_schema

    sys.stdout.write(json.dumps(spec_json_schema(), indent=2) + "\n")


if __name__ == "__main__":
    main()
