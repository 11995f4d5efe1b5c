"""Planning is bounded: linear patterns, a time limit, never blocking the server; tables come from the typed spec."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from datamorph.engines import connect
from datamorph.planner import plan_request
from datamorph.planner.refs import column_refs, names_read, tables_read
from datamorph.spec import Aggregation, AnyOf, DerivedColumn, ExpressionCondition, Filter, OutputColumn


@pytest.fixture(scope="module")
def prefixed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tables whose names end with another table's name: orders / pre_orders, items / line_items."""
    import duckdb

    path = tmp_path_factory.mktemp("prefixed") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount DOUBLE, status VARCHAR)")
    con.execute("CREATE TABLE pre_orders (pre_order_id INTEGER PRIMARY KEY, order_id INTEGER, amount DOUBLE)")
    con.execute("CREATE TABLE items (item_id INTEGER PRIMARY KEY, quantity INTEGER, label VARCHAR)")
    con.execute("CREATE TABLE line_items (line_item_id INTEGER PRIMARY KEY, item_id INTEGER, quantity INTEGER)")
    con.execute("INSERT INTO orders VALUES (1, 5, 'open'), (2, 0.5, 'done')")
    con.execute("INSERT INTO pre_orders VALUES (1, 1, 3), (2, 2, 0.2)")
    con.execute("INSERT INTO items VALUES (1, 4, 'a'), (2, 1, 'b')")
    con.execute("INSERT INTO line_items VALUES (1, 1, 2), (2, 2, 1)")
    con.close()
    return path


# -- tables and columns come from the spec's fields, not from text --------------------------------


@pytest.mark.parametrize(
    ("prompt", "table", "column"),
    [
        ("pre orders with amount over 1", "pre_orders", "amount"),
        ("line items with quantity over 1", "line_items", "quantity"),
        ("orders with amount over 1", "orders", "amount"),
    ],
)
def test_a_table_whose_name_ends_another_reads_only_itself(prefixed_warehouse: Path, prompt: str, table: str,
                                                           column: str) -> None:  # fmt: skip
    with connect(str(prefixed_warehouse), read_only=True) as engine:
        spec = plan_request(prompt, engine)
    assert [t.table_name for t in spec.source_tables] == [table]
    assert spec.join_conditions == []
    assert [(f.column, f.operator, f.value) for f in spec.filters] == [(f"{table}.{column}", ">", 1)]  # type: ignore[union-attr]


def test_refs_read_typed_fields_not_values() -> None:
    items = [
        Filter(column="pre_orders.amount", operator="=", value="orders.amount"),  # a value names no table
        AnyOf(any_of=[Filter(column="line_items.quantity", operator=">", value=1),
                      ExpressionCondition(expression="pre_orders.amount > 'items.x'")]),  # fmt: skip
        OutputColumn(column="total", name="items_total"),  # a bare name: an alias, no table
    ]
    assert column_refs(items) == [("pre_orders", "amount"), ("line_items", "quantity"), ("pre_orders", "amount"),
                                  (None, "total")]  # fmt: skip
    assert tables_read(items) == {"pre_orders", "line_items"}


def test_refs_read_expressions_and_nested_filters() -> None:
    agg = Aggregation(function="sum", expression="line_items.quantity * items.quantity", alias="qty",
                      filter=[Filter(column="orders.status", operator="=", value="open")])  # fmt: skip
    derived = DerivedColumn(name="share", expression="qty / total_qty")
    assert tables_read([agg], group_by=["pre_orders.order_id"]) == {"line_items", "items", "orders", "pre_orders"}
    assert names_read([derived]) == {"qty", "total_qty"}
    assert "share" not in names_read([derived])  # what an element defines is not what it reads


def test_a_qualified_column_splits_where_the_catalog_has_the_table() -> None:
    from datamorph.catalog import Catalog, ColumnInfo, TableInfo
    from datamorph.planner.refs import owner_table, split_column

    cat = Catalog(tables={"sales.eu": TableInfo(name="sales.eu", columns=[ColumnInfo(name="net", type="INTEGER")]),
                          "sales": TableInfo(name="sales", columns=[ColumnInfo(name="eu.net", type="INTEGER")]),
                          "stock": TableInfo(name="stock", columns=[ColumnInfo(name="qty", type="INTEGER")])})  # fmt: skip
    assert split_column(cat, "sales.eu.net") == ("sales.eu", "net")  # the longest table the catalog has
    assert split_column(cat, "stock.qty") == ("stock", "qty")
    assert owner_table(cat, "stock.qty") == "stock" and owner_table(cat, "qty") == "qty"
    assert split_column(cat, "gone.x.y") == ("gone.x", "y")  # unknown: the planner writes no dot into a column


# -- time: whitespace, a time limit, step counts that grow linearly --------------------------------

ISSUE_PROMPT = "count of orders per status " + " " * 2000 + "x"  # planned in 41 s before (a cubic pattern)


@pytest.fixture(scope="module")
def fixture_linker(pristine_warehouse: Path):  # type: ignore[no-untyped-def]
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    with connect(str(pristine_warehouse), read_only=True) as engine:
        catalog = engine.catalog()
        linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
    plan("total amount per customer", catalog, linker)  # the word lists load once: not a step of any request
    return catalog, linker


def _steps(fixture_linker: Any, prompt: str) -> tuple[int, str]:
    """Planning ``prompt``: the number of function calls made (Python and C: a count of steps, not time)."""
    from datamorph.errors import PlanError
    from datamorph.planner.rules import plan

    catalog, linker = fixture_linker
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        count += 1

    sys.setprofile(profile)
    try:
        plan(prompt, catalog, linker)
        outcome = "planned"
    except PlanError as e:
        outcome = e.message
    finally:
        sys.setprofile(None)
    return count, outcome


def test_the_issue_request_is_refused_for_its_word_not_its_length(fixture_linker: Any) -> None:
    _steps(fixture_linker, "count of orders per status x")  # warm up: word lists load once per process
    steps, outcome = _steps(fixture_linker, ISSUE_PROMPT)
    assert outcome.startswith("could not understand 'x'")
    short, _ = _steps(fixture_linker, "count of orders per status x")
    assert steps < 2 * short + 20_000  # the 2,000 spaces cost next to nothing


def test_runs_of_spaces_are_squeezed_but_quoted_values_kept() -> None:
    from datamorph.planner.budget import squeezed

    text, tokens = squeezed("orders  where   status is 'on    hold'\n\n  by  day")
    assert text == "orders where status is 'on hold'\nby day"
    assert [t.value for t in tokens.items if t.kind == "quoted"] == ["on    hold"]


def test_planning_past_its_time_limit_is_a_plan_error(fixture_linker: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from datamorph.errors import PlanError
    from datamorph.planner.rules import plan

    catalog, linker = fixture_linker
    monkeypatch.setenv("DATAMORPH_PLAN_TIME_LIMIT", "0.000001")
    with pytest.raises(PlanError, match="took too long to plan"):
        plan("total amount per customer", catalog, linker)
    monkeypatch.delenv("DATAMORPH_PLAN_TIME_LIMIT")
    assert plan("total amount per customer", catalog, linker).aggregations


_VOCAB = ["orders", "customers", "amount", "status", "per", "by", "for", "each", "of", "the", "and", "with", "not",
          "sum", "average", "latest", "top", "10", "over", "1,000", "where", "is", "called", "x", ",", ".", "-",
          "(", ")", "'", "%", "between", "rank", "only", "as", "2024-01-01", "employees", "salary", "a"]  # fmt: skip
_UNIT = st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=6).map(" ".join)
_LEAD = st.sampled_from(["", "count of orders per status ", "customers with total amount over 100 "])


def _repeat(lead: str, unit: str, length: int) -> str:
    """``lead`` and whole copies of ``unit`` up to about ``length`` characters. Never a unit cut short: a request
    ending in "... per l" fails early where one ending "... per latest" reads on, and the two would not compare."""
    return lead + (unit + " ") * max(1, (length - len(lead)) // (len(unit) + 1))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lead=_LEAD, unit=_UNIT)
@example(lead="count of orders per status ", unit="by")  # each grouping word scanned every token
@example(lead="count of orders per status ", unit="for each")
@example(lead="", unit="orders")  # every pair of table mentions was compared
@example(lead="", unit="- x")  # every dash starts a sentence whose list ran to the end
@example(lead="", unit="sum of")  # every aggregate read the rest of the request as an expression
@example(lead="", unit="amount with")  # every listed column's mention scanned all words before it
def test_steps_grow_linearly_on_repetitive_requests(fixture_linker: Any, lead: str, unit: str) -> None:
    """Doubling a repetitive request at most about doubles the planner's steps (a quadratic path quadruples them)."""
    n1, _ = _steps(fixture_linker, _repeat(lead, unit, 1000))
    n2, _ = _steps(fixture_linker, _repeat(lead, unit, 2000))
    assert n2 <= 2.5 * n1 + 20_000, (n1, n2)


STEP_CAP = 3_000_000  # steps for any request of 4,000 characters (the worst generated ones take about 1.8 million)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(words=["latest"])
@example(words=["sum", "of"])
@example(words=["rP", "only", "hGC\\", "r", "of", "-"])  # every dash opens an output list (about 1.6 million steps)
@example(words=["x", "x", "-"])  # "x" is a times sign and a dash opens a list: was 5.6 million steps, 1.6 million now
@example(words=["x"])  # a formula of 2,000 times signs: 1.7 million steps
@given(words=st.lists(st.sampled_from(_VOCAB) | st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                                       min_size=1, max_size=12), min_size=1, max_size=900))
def test_steps_for_4000_characters_stay_under_a_cap(fixture_linker: Any, words: list[str]) -> None:
    text = " ".join(words)
    prompt = (text + " ") * (4000 // (len(text) + 1) + 1)
    steps, _ = _steps(fixture_linker, prompt[:4000])
    assert steps < STEP_CAP


# -- the HTTP server keeps answering while a plan is in flight ---------------------------------------


def _slow_plan_server(tmp_path: Path, pristine_warehouse: Path, **env: str) -> Any:
    """A real server whose planner pauses (a bounded sleep) at the start of every plan."""
    from tests.api_support import serving

    marker = tmp_path / "planning"
    return marker, serving(pristine_warehouse, tmp_path, env={
        "DATAMORPH_TEST_PAUSE_AT": "plan:start", "DATAMORPH_TEST_PAUSE_FILE": str(marker), **env})  # fmt: skip


def _plan_while_asking_health(srv: Any, marker: Path) -> tuple[list[str], Any, Any]:
    """POST /api/plan on one thread; once the plan is in flight (the marker exists), GET /health."""
    import threading
    import time

    order: list[str] = []
    answers: dict[str, Any] = {}

    def dry_run() -> None:
        with srv.client() as c:
            prompt = "total order amount per customer, only orders whose customer exists"
            answers["plan"] = c.post("/api/plan", json={"prompt": prompt})
        order.append("plan")

    worker = threading.Thread(target=dry_run)
    worker.start()
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.exists(), "the plan never started"
    with srv.client() as c:
        answers["health"] = c.get("/health")
    order.append("health")
    worker.join(timeout=120)
    return order, answers["plan"], answers["health"]


def test_health_answers_while_a_plan_is_in_flight(tmp_path: Path, pristine_warehouse: Path) -> None:
    marker, ctx = _slow_plan_server(tmp_path, pristine_warehouse, DATAMORPH_TEST_PAUSE_SECONDS="4")
    with ctx as srv:
        order, plan, health = _plan_while_asking_health(srv, marker)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    assert order == ["health", "plan"]  # answered while the plan was still in flight
    assert plan.status_code == 200, plan.text
    assert plan.json()["spec"]["aggregations"]


def test_a_plan_not_ready_in_time_is_a_503(tmp_path: Path, pristine_warehouse: Path) -> None:
    marker, ctx = _slow_plan_server(tmp_path, pristine_warehouse, DATAMORPH_TEST_PAUSE_SECONDS="6",
                                    DATAMORPH_PLAN_TIMEOUT="1")  # fmt: skip
    with ctx as srv:
        order, plan, health = _plan_while_asking_health(srv, marker)
    assert health.status_code == 200
    assert plan.status_code == 503, plan.text
    assert plan.json()["error_type"] == "PlanTimeout"
    assert "Retry-After" in plan.headers
