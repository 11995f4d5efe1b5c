"""The planner end to end on the demo warehouse: varied requests, refusals, and robustness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import fingerprint, result_json, run_cli

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError, UnsafeRequest
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.rules import plan

REF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, object, object]]:
    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo_warehouse(path, scale=0.2)
    with connect(str(path), read_only=True) as engine:
        catalog = engine.catalog()
        linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
    yield path, catalog, linker


def _rows(path: Path, sql: str) -> list:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted((tuple(float(v) if hasattr(v, "as_tuple") else v for v in r) for r in con.execute(sql).fetchall()),
                      key=repr)  # fmt: skip
    finally:
        con.close()


CASES = [
    ("Join customers and orders on customer_id, calculate total order amount per customer, "
     "filter customers with total > 1000",
     "SELECT c.customer_id, sum(o.amount) FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
     "GROUP BY c.customer_id HAVING sum(o.amount) > 1000"),
    ("How many orders are there in each status?", "SELECT status, count(*) FROM orders GROUP BY status"),
    ("List the customers without an email address", "SELECT * FROM customers WHERE email IS NULL"),
    ("Show completed web orders over 1,000 - order_id and amount",
     "SELECT order_id, amount FROM orders WHERE status = 'completed' AND channel = 'web' AND amount > 1000"),
    ("the four largest salaries on record: salary_id, employee_id, salary",
     "SELECT salary_id, employee_id, salary FROM salaries ORDER BY salary DESC LIMIT 4"),
    ("Orders placed between 2024-01-01 and 2024-03-31: order_id, customer_id, amount",
     "SELECT order_id, customer_id, amount FROM orders WHERE order_date BETWEEN '2024-01-01' AND '2024-03-31'"),
    ("Number of employees per department_id", "SELECT department_id, count(*) FROM employees GROUP BY department_id"),
    ("Customers with more than 10 orders and their order counts",
     "SELECT customer_id, count(*) FROM orders GROUP BY customer_id HAVING count(*) > 10"),
    ("average unit price by category_id rounded to 2 decimals",
     "SELECT category_id, round(avg(unit_price), 2) FROM products GROUP BY category_id"),
    ("contractors who were hired in 2023: employee_id, first_name, hire_date",
     "SELECT employee_id, first_name, hire_date FROM employees WHERE employment_type = 'Contractor' "
     "AND hire_date BETWEEN '2023-01-01' AND '2023-12-31'"),
    ("For each department, how many employees work there? Departments with no staff count as 0. department_id and "
     "headcount",
     "SELECT d.department_id, count(e.employee_id) FROM departments d LEFT JOIN employees e "
     "ON e.department_id = d.department_id GROUP BY d.department_id"),
    ("Product id, product name and category name for every product",
     "SELECT p.product_id, p.product_name, c.category_name FROM products p JOIN categories c "
     "ON c.category_id = p.category_id"),
]


@pytest.mark.parametrize(("prompt", "reference"), CASES, ids=[(c.values if hasattr(c, "values") else c)[0][:40]
                                                             for c in CASES])
def test_request_gives_the_reference_result(demo, prompt: str, reference: str) -> None:
    path, catalog, linker = demo
    spec = plan(prompt, catalog, linker, reference_date=REF)
    sql = compile_spec(spec, catalog).sql("duckdb")
    got, want = _rows(path, sql), _rows(path, reference)
    assert len(got) == len(want)
    # compare column by column as multisets (names and order of columns may differ)
    got_cols = {tuple(sorted(map(repr, col))) for col in zip(*got, strict=True)} if got else set()
    for col in zip(*want, strict=True):
        assert tuple(sorted(map(repr, col))) in got_cols, f"{prompt}: column {col[:3]}... missing\n{sql}"


@pytest.mark.parametrize("prompt", [
    "Please remove every inactive product from the products table.",
    "drop the customers table",
    "Please truncate orders and then show me the count",
    "update orders set status = 'x'",
])
def test_destructive_requests_are_refused(demo, prompt: str) -> None:
    _, catalog, linker = demo
    with pytest.raises(UnsafeRequest):
        plan(prompt, catalog, linker)


@pytest.mark.parametrize("prompt", [
    "blorp the quandle sideways until it glimmers, twice over!!",
    "Sum of shipping_weight for every product category, from the products table.",
    "Count the warranty claims per week in the warranty_claims table.",
])
def test_unknown_things_are_refused_with_the_words_quoted(demo, prompt: str) -> None:
    _, catalog, linker = demo
    with pytest.raises(PlanError) as ei:
        plan(prompt, catalog, linker)
    assert "'" in str(ei.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=80))
def test_planner_raises_only_plan_errors_and_specs_compile(demo, text: str) -> None:
    _, catalog, linker = demo
    try:
        spec = plan(text, catalog, linker, reference_date=REF)
    except PlanError:
        return
    compile_spec(spec, catalog)


WORDS = ["orders", "customers", "amount", "status", "per", "total", "count", "cancelled", "over", "1000", "by",
         "top", "5", "average", "with", "more", "than", "in", "2024", "and", "each", "channel", "web", "email"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=10))
def test_word_salad_from_the_domain_never_crashes(demo, words: list[str]) -> None:
    _, catalog, linker = demo
    try:
        spec = plan(" ".join(words), catalog, linker, reference_date=REF)
    except PlanError:
        return
    compile_spec(spec, catalog)


def test_cli_run_from_a_request(demo, tmp_path) -> None:
    import shutil

    path = tmp_path / "w.duckdb"
    shutil.copy(demo[0], path)
    before = fingerprint(path)
    proc = run_cli("run", "How many orders are there in each status?", "-w", str(path), "--target", "status_counts",
                   "--json", home=tmp_path / "h")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    body = result_json(proc)["body"]
    assert body["status"] == "completed" and body["target_table"] == "status_counts"
    after = fingerprint(path)
    assert {k: v for k, v in after.items() if k != "status_counts"} == before
    refused = run_cli("run", "Please remove every inactive product from the products table.", "-w", str(path),
                      "--target", "products", "--json", home=tmp_path / "h")
    assert refused.returncode == 1
    assert result_json(refused)["body"]["error_type"] == "UnsafeRequest"
    assert fingerprint(path)["products"] == before["products"]
    dry = run_cli("plan", "How many orders are there in each status?", "-w", str(path), "--json", home=tmp_path / "h")
    assert dry.returncode == 0 and "GROUP BY" in result_json(dry)["sql"]


def test_every_spec_element_records_the_words_that_produced_it(demo) -> None:
    _, catalog, linker = demo
    spec = plan("Join customers and orders on customer_id, calculate total order amount per customer, "
                "filter customers with total > 1000", catalog, linker, reference_date=REF)
    assert [s.provenance for s in spec.source_tables] == ["customers", "orders"]
    assert spec.join_conditions[0].provenance == "named in the request: on customer_id"
    assert spec.aggregations[0].provenance == "total order amount"
    assert spec.having[0].provenance == "with total > 1000"
    spec2 = plan("Show completed web orders over 1,000 - order_id and amount", catalog, linker, reference_date=REF)
    assert all(f.provenance for f in spec2.filters) and all(c.provenance for c in spec2.columns)
