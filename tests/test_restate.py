"""The restatement: what a spec builds, said back in plain English generated from the spec.

The golden table (``tests/fixtures/restate.json``: spec → expected restatement, specs for the fixture
warehouse) covers each kind of spec element; the other tests check that the text is generated (never
the request's words), and that `datamorph plan`, `datamorph run`, the run log and the HTTP API carry it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api_support import ApiServer, serving, wait_run
from tests.helpers import result_json, run_cli

from datamorph.planner.restate import restate
from datamorph.spec import load_spec

GOLDEN = json.loads((Path(__file__).parent / "fixtures" / "restate.json").read_text())
REFERENCE = dt.date(2025, 1, 1)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden(case: dict[str, Any], fixture_catalog: Any) -> None:
    assert restate(load_spec(case["spec"]), fixture_catalog) == case["restatement"]


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_specs_run_on_the_fixture_warehouse_and_the_row_count_ends_it(
    case: dict[str, Any], pristine_warehouse: Path, fixture_catalog: Any
) -> None:
    from datamorph.compiler import compile_spec
    from datamorph.engines import connect

    spec = load_spec(case["spec"])
    with connect(str(pristine_warehouse), read_only=True) as engine:
        rows = int(engine.scalar(f"SELECT count(*) FROM ({compile_spec(spec, fixture_catalog).sql(engine.dialect)}) q"))
    text = restate(spec, fixture_catalog, rows=rows)
    assert text == f"{case['restatement']}; {rows:,} row{'' if rows == 1 else 's'}"


def test_every_kind_of_element_is_in_the_golden_table() -> None:
    """The table covers each element kind, so a new kind of element needs a new golden case."""
    specs = [load_spec(c["spec"]) for c in GOLDEN]
    blocks = [b for s in specs for b in s.blocks()]
    ops = {f.operator for b in blocks for f in _filters(b.filters)}
    assert {"=", "!=", ">", ">=", "<", "<=", "in", "not_in", "between", "not_between", "is_null",
            "is_not_null", "ilike", "starts_with"} <= ops  # fmt: skip
    assert {j.join_type for b in blocks for j in b.join_conditions} == {"inner", "left", "right", "full"}
    assert {a.function for b in blocks for a in b.aggregations} == {"sum", "avg", "count", "count_distinct", "min", "max"}
    assert {"row_number", "dense_rank", "ntile", "sum", "avg", "lag", "lead", "first_value", "share"} <= {
        w.function for b in blocks for w in b.windows
    }
    assert any(b.having for b in blocks) and any(b.qualify for b in blocks) and any(b.derived_columns for b in blocks)
    assert any(b.dedupe and b.dedupe.keys for b in blocks) and any(b.dedupe and not b.dedupe.keys for b in blocks)
    assert {s.union.mode for s in specs if s.union} == {"all", "distinct"}
    assert any(s.distinct for s in specs) and any(s.limit and s.order_by for s in specs)
    assert any(s.limit and not s.order_by for s in specs)


def _filters(conds: list[Any]) -> Iterator[Any]:
    from datamorph.spec import AllOf, AnyOf, Filter, Not

    for c in conds:
        if isinstance(c, Filter):
            yield c
        elif isinstance(c, (AnyOf, AllOf)):
            yield from _filters(c.any_of if isinstance(c, AnyOf) else c.all_of)
        elif isinstance(c, Not):
            yield from _filters([c.not_])


def test_a_condition_on_rows_and_a_condition_on_the_average_read_differently(fixture_catalog: Any) -> None:
    """The misreading class "average above X" → a row filter is visible in the restatement."""
    by_name = {c["name"]: c["restatement"] for c in GOLDEN}
    assert "keeping groups whose average of employees.salary is above 50,000" in by_name["having_on_the_average"]
    assert "rows of employees where salary is above 50,000" in by_name["row_filter_not_having"]
    assert "keeping" not in by_name["row_filter_not_having"]


def test_join_kinds_say_what_happens_to_unmatched_rows(fixture_catalog: Any) -> None:
    base = {"source_tables": [{"table_name": "departments", "alias": "d"}, {"table_name": "employees", "alias": "e"}],
            "target_table": "t", "columns": ["d.department_name", "e.employee_id"]}  # fmt: skip
    said = {}
    for kind in ("inner", "left", "right", "full"):
        spec = load_spec({**base, "join_conditions": [{"left_table": "d", "right_table": "e", "join_type": kind,
                                                       "on_columns": ["department_id"]}]})  # fmt: skip
        said[kind] = restate(spec, fixture_catalog)
    assert "(inner: unmatched departments and employees rows are dropped)" in said["inner"]
    assert "(left: every departments row is kept, employees columns empty where none matches)" in said["left"]
    assert "(right: every employees row is kept, departments columns empty where none matches)" in said["right"]
    assert "(full: every departments and employees row is kept" in said["full"]


def test_names_as_the_catalog_spells_them_and_without_a_catalog_as_the_spec_does(fixture_catalog: Any) -> None:
    spec = load_spec({"source_tables": [{"table_name": "ORDERS", "alias": "o"}, {"table_name": "Customers", "alias": "c"}],
                      "target_table": "t", "join_conditions": [{"left_table": "o", "right_table": "c",
                                                                "on_columns": ["CUSTOMER_ID"]}],
                      "group_by": ["c.City"], "aggregations": [{"function": "sum", "column": "o.AMOUNT", "alias": "total"}],
                      "order_by": [{"column": "o.Order_Date", "direction": "desc"}]})  # fmt: skip
    assert restate(spec, fixture_catalog) == (
        "orders joined to customers on customer_id (inner: unmatched orders and customers rows are dropped), "
        "sum of orders.amount as total per customers.city; sorted by orders.order_date, newest first"
    )
    # a spec file read before any catalog: aliases still read as their tables
    assert restate(spec) == (
        "ORDERS joined to Customers on CUSTOMER_ID (inner: unmatched ORDERS and Customers rows are dropped), "
        "sum of ORDERS.AMOUNT as total per Customers.City; sorted by ORDERS.Order_Date, newest first"
    )


def test_groups_are_named_by_the_table_their_key_belongs_to(fixture_catalog: Any) -> None:
    spec = load_spec({"source_tables": [{"table_name": "categories", "alias": "k"}, {"table_name": "products", "alias": "p"}],
                      "target_table": "t", "join_conditions": [{"left_table": "k", "right_table": "p",
                                                                "on_columns": ["category_id"]}],
                      "group_by": ["p.category_id"], "aggregations": [{"function": "count", "alias": "n"}],
                      "having": [{"column": "n", "operator": ">=", "value": 2}]})  # fmt: skip
    text = restate(spec, fixture_catalog)
    assert text.endswith("count of rows as n per products.category_id, keeping categories whose count of rows is at least 2")
    assert restate(spec) == text  # decided from the spec alone: the same before the catalog is read
    by_id = load_spec({**spec.model_dump(by_alias=True, exclude_none=True), "group_by": ["k.category_id"]})
    assert "keeping categories whose" in restate(by_id)
    by_name = load_spec({**spec.model_dump(by_alias=True, exclude_none=True), "group_by": ["k.category_name"]})
    assert "keeping groups whose" in restate(by_name)


def test_self_join_keeps_its_aliases(fixture_catalog: Any) -> None:
    spec = load_spec({"source_tables": [{"table_name": "employees", "alias": "e"}, {"table_name": "employees", "alias": "m"}],
                      "target_table": "t", "join_conditions": [{"left_table": "e", "right_table": "m",
                                                                "on_columns": ["department_id"]}],
                      "filters": [{"column": "m.salary", "operator": ">", "value_column": "e.salary"}],
                      "columns": ["e.employee_id", {"column": "m.employee_id", "name": "richer_colleague"}]})  # fmt: skip
    text = restate(spec, fixture_catalog)
    assert text.startswith("e joined to m on department_id")
    assert "rows where m.salary is above e.salary" in text
    assert text.endswith("columns e.employee_id, m.employee_id as richer_colleague")


def test_numbers_have_separators_except_labels_and_one_row_is_singular(fixture_catalog: Any) -> None:
    spec = load_spec({"source_tables": ["orders"], "target_table": "t",
                      "filters": [{"column": "amount", "operator": ">=", "value": 12500},
                                  {"column": "order_id", "operator": "<", "value": 10000},
                                  {"expression": "year(order_date) = 2024"}],
                      "columns": ["order_id"]})  # fmt: skip
    assert restate(spec, fixture_catalog, rows=1) == (
        "rows of orders where amount is at least 12,500 and order_id is below 10000 and year(order_date) = 2024, "
        "columns order_id; 1 row"
    )
    assert restate(spec, fixture_catalog, rows=1234).endswith("; 1,234 rows")


def test_pure_and_deterministic_and_blind_to_the_description_and_provenance(fixture_catalog: Any) -> None:
    data = {**GOLDEN[0]["spec"], "description": "please give me a lean export for the board deck",
            "transformations": ["for the board deck"]}  # fmt: skip
    data["aggregations"] = [{**data["aggregations"][0], "provenance": "the mean pay"}]
    spec = load_spec(data)
    before = spec.to_json()
    first = restate(spec, fixture_catalog)
    assert first == restate(spec, fixture_catalog) == GOLDEN[0]["restatement"]
    assert spec.to_json() == before  # the spec is not changed
    for word in ("please", "lean", "export", "board", "deck", "mean", "pay"):
        assert not re.search(rf"\b{word}\b", first)


FILLER_REQUESTS = [
    "Please show me how many orders there are in each status",
    "I would like to see the total order amount for each channel, please",
    "Could you list the cancelled orders for me?",
]


@pytest.mark.parametrize("prompt", FILLER_REQUESTS)
def test_a_planned_request_is_restated_from_its_spec_not_its_words(
    prompt: str, pristine_warehouse: Path, fixture_catalog: Any
) -> None:
    from datamorph.engines import connect
    from datamorph.planner import plan_request

    with connect(str(pristine_warehouse), read_only=True) as engine:
        spec = plan_request(prompt, engine, catalog=fixture_catalog, reference_date=REFERENCE)
    text = restate(spec, fixture_catalog)
    assert prompt.lower() not in text.lower()
    for word in ("please", "show", "me", "would", "like", "see", "could", "you", "list", "for", "there"):
        assert not re.search(rf"\b{word}\b", text, re.I), (word, text)
    assert text.startswith("rows of orders")


# -- the CLI ------------------------------------------------------------------------------------------------


def test_cli_plan_shows_the_restatement(fixture_warehouse: Path, tmp_path: Path) -> None:
    prompt = "Please show me how many orders there are in each status"
    proc = run_cli("plan", prompt, "--warehouse", str(fixture_warehouse), "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    out = result_json(proc)
    assert out["restatement"] == "rows of orders, count of rows as order_count per status"
    assert out["restatement"] == restate(load_spec(out["spec"]))  # the same words with or without a catalog here
    human = run_cli("plan", prompt, "--warehouse", str(fixture_warehouse), home=tmp_path / "home")
    assert human.returncode == 0, human.stderr
    assert "understood as: rows of orders, count of rows as order_count per status" in human.stdout


def test_cli_run_result_and_log_carry_the_restatement(
    fixture_warehouse: Path, pristine_warehouse: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    proc = run_cli("run", "Could you list the cancelled orders for me?", "--warehouse", str(fixture_warehouse),
                   "--target", "cancelled_orders", "--json", home=home)  # fmt: skip
    body = result_json(proc)["body"]
    assert proc.returncode == 0, body
    assert body["restatement"] == "rows of orders where status = 'cancelled', all columns; 2 rows"
    logs = result_json(run_cli("logs", body["run_id"], "--json", home=home))["logs"]
    understood = [e for e in logs if e["title"] == "Understood as"]
    assert len(understood) == 1 and understood[0]["type"] == "info"
    assert understood[0]["description"] == "rows of orders where status = 'cancelled', all columns"
    assert understood[0]["metadata"]["restatement"] == understood[0]["description"]
    # it is written at plan time: before the sources are read
    titles = [e["title"] for e in logs]
    assert titles.index("Understood as") < titles.index("Read source schemas and samples")
    fresh = shutil.copy(pristine_warehouse, tmp_path / "fresh.duckdb")  # without the table the first run published
    human = run_cli("run", "Could you list the cancelled orders for me?", "--warehouse", str(fresh),
                    "--target", "cancelled_orders", home=home)  # fmt: skip
    assert human.returncode == 0, human.stderr
    assert "understood as: rows of orders where status = 'cancelled', all columns" in human.stdout
    assert "built: rows of orders where status = 'cancelled', all columns; 2 rows" in human.stdout


def test_a_spec_file_run_is_restated_too(fixture_warehouse: Path, tmp_path: Path) -> None:
    case = next(c for c in GOLDEN if c["name"] == "having_on_the_average")
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({**case["spec"], "target_table": "rich_departments"}))
    home = tmp_path / "home"
    proc = run_cli("run", "--spec", str(path), "--warehouse", str(fixture_warehouse), "--json", home=home)
    body = result_json(proc)["body"]
    assert proc.returncode == 0, body
    assert body["restatement"] == case["restatement"] + "; 4 rows"
    logs = result_json(run_cli("logs", body["run_id"], "--json", home=home))["logs"]
    # at plan time a spec file is restated as written (the catalog is read in the next step)
    understood = [e["description"] for e in logs if e["title"] == "Understood as"]
    assert understood == [restate(load_spec(case["spec"]))] == [case["restatement"]]


def test_a_failed_run_still_says_what_it_tried(fixture_warehouse: Path, tmp_path: Path) -> None:
    spec = {"source_tables": ["orders"], "target_table": "customers", "columns": ["order_id"]}  # a source: refused
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    proc = run_cli("run", "--spec", str(path), "--warehouse", str(fixture_warehouse), "--json", home=tmp_path / "h")
    body = result_json(proc)["body"]
    assert proc.returncode == 1 and body["status"] == "failed"
    assert body["restatement"] == "rows of orders, columns order_id"  # no row count: nothing was built


# -- the HTTP API --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(pristine_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with serving(pristine_warehouse, tmp_path_factory.mktemp("restate-api")) as srv:  # stopped cleanly after
        yield srv
    assert "Traceback" not in srv.log(), srv.log()


def test_api_plan_carries_the_restatement(server: ApiServer) -> None:
    with server.client() as client:
        planned = client.post("/api/plan", json={"prompt": "I would like to see the total order amount for each "
                                                 "channel, please"})  # fmt: skip
        assert planned.status_code == 200, planned.text
        assert planned.json()["restatement"] == "rows of orders, sum of orders.amount as total_amount per channel"
        case = GOLDEN[0]
        checked = client.post("/api/plan", json={"spec": case["spec"]})
        assert checked.status_code == 200, checked.text
        assert checked.json()["restatement"] == case["restatement"]


def test_api_runs_and_start_carry_the_restatement(server: ApiServer) -> None:
    with server.client() as client:
        started = client.post("/api/runs", json={"prompt": "Could you list the cancelled orders for me?",
                                                 "target_table": "api_cancelled"})  # fmt: skip
        assert started.status_code == 202, started.text
        run = wait_run(client, started.json()["run_id"])
        assert run["status"] == "completed", run
        assert run["result"]["body"]["restatement"] == "rows of orders where status = 'cancelled', all columns; 2 rows"
        logs = client.get(f"/get/logs/{run['run_id']}").json()["logs"]
        assert [e["description"] for e in logs if e["title"] == "Understood as"] == [
            "rows of orders where status = 'cancelled', all columns"
        ]
        resp = client.post("/start", json={"prompt": "Please show me how many orders there are in each status",
                                           "target_table": "api_status_counts"})  # fmt: skip
        assert resp.status_code == 200, resp.text
        assert resp.json()["details"]["restatement"] == "rows of orders, count of rows as order_count per status; 5 rows"


@pytest.mark.parametrize("path", sorted((Path(__file__).parent / "golden").glob("*.json")), ids=lambda p: p.stem)
def test_every_compiler_golden_spec_is_restated(path: Path, fixture_catalog: Any) -> None:
    """The compiler's golden specs (another author's specs for the same warehouse) read without error."""
    spec = load_spec(json.loads(path.read_text())["spec"])
    for catalog in (fixture_catalog, None):
        text = restate(spec, catalog)
        assert text and "\n" not in text and text == restate(spec, catalog)
