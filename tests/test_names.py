"""One rule for target names at every entry point; spec identifiers checked on load; the planner's "into X";
a bug inside a run ends it as failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from datamorph.errors import SpecError, TargetConflict
from datamorph.names import RESERVED_SCHEMAS, check_target, identifier_problem, is_keyword
from datamorph.spec import ETLSpec, load_spec

BASE: dict[str, Any] = {"source_tables": [{"table_name": "orders"}]}


@pytest.mark.parametrize("name", ["orders_summary", "t1", "_x", "a$b", "main.report", "public.report", "x" * 63])
def test_valid_targets(name: str) -> None:
    assert check_target(name) == name
    assert load_spec({**BASE, "target_table": name}).target_table.name == name


@pytest.mark.parametrize("name", ["datamorph_history.versions", "datamorph_staging.t", "DATAMORPH_HISTORY.x",
                                  "information_schema.tables", "pg_catalog.pg_class", "pg_temp_3.t", "pg_toast.t",
                                  "system.t", "temp.t", '"datamorph_history".versions'])  # fmt: skip
def test_reserved_schemas_are_a_conflict(name: str) -> None:
    with pytest.raises(TargetConflict, match="reserved schema"):
        check_target(name)
    with pytest.raises(TargetConflict):
        load_spec({**BASE, "target_table": {"name": name}})
    with pytest.raises(TargetConflict):
        load_spec({**BASE, "target_table": "ok"}).retarget(name)


@pytest.mark.parametrize(("name", "needle"), [
    ("", "empty"), ("   ", "empty"), ("table", "SQL keyword"), ("SELECT", "SQL keyword"), ("into", "SQL keyword"),
    ("a b", "not a valid table name"), ("1abc", "not a valid table name"), ('x"; drop table y; --', "not a valid"),
    ("naïve", "not a valid"), ("a.b.c", "more than one qualifier"), ("x" * 64, "64 characters is too long"),
    ("x" * 10_000, "10,000 characters is too long"), ("a\x00b", "control character U+0000"),
    ("a\nb", "control character U+000A"), ("x.", "not a valid"),
])  # fmt: skip
def test_bad_targets_are_one_line_spec_errors(name: str, needle: str) -> None:
    with pytest.raises(SpecError) as err:
        check_target(name)
    assert needle in str(err.value) and "\n" not in str(err.value) and len(str(err.value)) < 300
    with pytest.raises(SpecError, match="target_table.name"):
        load_spec({**BASE, "target_table": {"name": name}})


def test_reserved_schemas_cover_the_engines_own() -> None:
    from datamorph.engines.base import INTERNAL_SCHEMAS

    assert INTERNAL_SCHEMAS <= RESERVED_SCHEMAS
    assert is_keyword("Table") and not is_keyword("deals")


@pytest.mark.parametrize(("where", "patch"), [
    ("filters.0.column", {"filters": [{"column": "a\x00b", "operator": "=", "value": 1}]}),
    ("group_by.0", {"group_by": [""], "aggregations": [{"function": "count", "alias": "n"}]}),
    ("aggregations.0.alias", {"aggregations": [{"function": "count", "alias": "x" * 300}]}),
    ("source_tables.0.table_name", {"source_tables": [{"table_name": "ord\x1bers"}]}),
    ("order_by.0.column", {"order_by": [{"column": "\n"}]}),
    ("join_conditions.0.on_columns.0.left", {"source_tables": ["orders", "customers"], "join_conditions": [
        {"left_table": "orders", "right_table": "customers", "on_columns": [{"left": "a\x00", "right": "b"}]}]}),
])  # fmt: skip
def test_spec_identifiers_are_checked_on_load(where: str, patch: dict[str, Any]) -> None:
    with pytest.raises(SpecError) as err:
        load_spec({**BASE, "target_table": "t", **patch})
    assert where in str(err.value)


def test_odd_but_printable_identifiers_load() -> None:
    odd = ['stage" OR 1=1 --', "a/*b*/c", "Order Date", "名前", "semi;colon"]
    assert all(identifier_problem(n) is None for n in odd)
    spec = load_spec({**BASE, "target_table": "t", "filters": [{"column": n, "operator": "=", "value": 1} for n in odd]})
    assert isinstance(spec, ETLSpec)


def test_a_filter_column_that_does_not_tokenize_fails_the_run_cleanly(fixture_warehouse: Path, dm_home: Path) -> None:
    """The remediation loop re-parses a failing column; an unterminated quote is a SpecError, not a crash."""
    from datamorph.config import Settings
    from datamorph.orchestrator import Orchestrator, RunRequest
    from datamorph.store import RunStore

    settings = Settings.from_env(home=dm_home, warehouse=str(fixture_warehouse))
    spec = load_spec({**BASE, "target_table": "t", "filters": [{"column": 'stage" OR 1=1 --', "operator": "=",
                                                                 "value": 1}]})  # fmt: skip
    result = Orchestrator(settings).run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))
    body = result["body"]
    assert body["status"] == "failed" and body["error_type"] in ("CompileError", "SpecError"), body
    assert "unknown column" in body["message"]
    assert RunStore(settings.store_path).get_run(body["run_id"])["status"] == "failed"


def test_an_unexpected_exception_inside_a_run_records_it_failed(fixture_warehouse: Path, dm_home: Path) -> None:
    from datamorph.config import Settings
    from datamorph.orchestrator import STEPS, Orchestrator, RunRequest, Step
    from datamorph.store import RunStore

    def broken(o: Any, ctx: Any) -> str:
        return {}["a bug"]  # type: ignore[no-any-return]  # KeyError: what a bug in a step looks like

    settings = Settings.from_env(home=dm_home, warehouse=str(fixture_warehouse))
    steps = (*STEPS[:2], Step("broken", "A step with a bug", broken), *STEPS[2:])
    spec = load_spec({**BASE, "target_table": "t"})
    result = Orchestrator(settings, steps=steps).run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))
    body = result["body"]
    assert result["statusCode"] == 500 and body["status"] == "failed"
    assert body["error_type"] == "InternalError" and body["failed_step"] == "broken"
    assert "KeyError" in body["message"] and "\n" not in body["message"]
    store = RunStore(settings.store_path)
    run = store.get_run(body["run_id"])
    assert run["status"] == "failed" and run["error_type"] == "InternalError"
    assert {s["step"]: s["status"] for s in store.steps(body["run_id"])}["broken"] == "failed"
    last = store.logs_response(body["run_id"])["logs"][-1]
    assert last["type"] == "error" and "KeyError" in last["description"]


# -- the planner's "into X" ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Any:
    import duckdb

    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("crm") / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE deals (deal_id INTEGER PRIMARY KEY, stage VARCHAR, amount DECIMAL(12,2), owner VARCHAR)")
    con.execute("INSERT INTO deals VALUES (1, 'won', 100, 'ana'), (2, 'lost', 50, 'bo'), (3, 'won', 70, 'ana')")
    con.close()
    engine = connect(str(path), read_only=True)
    yield engine
    engine.close()


def _plan(engine: Any, prompt: str, **kw: Any) -> ETLSpec:
    from datamorph.planner import plan_request

    return plan_request(prompt, engine, **kw)


@pytest.mark.parametrize(("prompt", "target"), [
    ("won deals into table won_deals", "won_deals"),
    ("won deals into the table called won_deals", "won_deals"),
    ("won deals into a new table named won_deals", "won_deals"),
    ("won deals, save it as won_deals", "won_deals"),
    ("won deals into won_deals", "won_deals"),
    ("won deals into the table", "result"),
    ("won deals into table table", "result"),
])  # fmt: skip
def test_keywords_and_filler_are_never_the_target(crm: Any, prompt: str, target: str) -> None:
    spec = _plan(crm, prompt)
    assert spec.target_table.name == target
    assert spec.source_table_names() == ["deals"]


@pytest.mark.parametrize("prompt", ["won deals into table deals", "won deals, save it as deals",
                                    "won deals into a table called deals"])  # fmt: skip
def test_a_stated_target_that_is_a_source_is_refused(crm: Any, prompt: str) -> None:
    with pytest.raises(TargetConflict, match="'deals', which is a source table"):
        _plan(crm, prompt)
    assert _plan(crm, prompt, target="won_deals").target_table.name == "won_deals"  # --target decides


@pytest.mark.parametrize(("target", "error"), [("datamorph_history.versions", TargetConflict), ("table", SpecError),
                                               ("a b", SpecError)])  # fmt: skip
def test_the_planner_checks_a_given_target_first(crm: Any, target: str, error: type) -> None:
    with pytest.raises(error):
        _plan(crm, "won deals", target=target)
