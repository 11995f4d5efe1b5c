"""The planner's aggregates recognizer: measures, groups, having, zero rows, ratios (end to end on DuckDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from datamorph.compiler.sql import compile_spec
from datamorph.errors import PlanError
from datamorph.planner import plan_request

REF = dt.date(2024, 6, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from datamorph.demo.warehouse import build_demo_warehouse
    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("w") / "w.duckdb"
    build_demo_warehouse(path, scale=0.05)
    eng = connect(str(path))
    yield eng
    eng.close()


def _norm(rows: list[tuple]) -> list[tuple]:  # type: ignore[type-arg]
    def cell(v: object) -> object:
        if isinstance(v, (float, Decimal)):
            return round(float(v), 6)
        return v

    return sorted((tuple(cell(v) for v in r) for r in rows), key=repr)


def _run(engine, prompt: str):  # type: ignore[no-untyped-def]
    spec = plan_request(prompt, engine, reference_date=REF)
    sql = compile_spec(spec, engine.catalog()).sql("duckdb")
    return spec, _norm(engine.fetch(sql).rows)


def _expect(engine, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return _norm(engine.fetch(sql).rows)


COUNT_BY_STATUS = "SELECT status, count(*) FROM orders GROUP BY status"
CASES = [
    # counts per column
    ("How many orders per status?", COUNT_BY_STATUS),
    ("number of orders by status", COUNT_BY_STATUS),
    ("order count for each status", COUNT_BY_STATUS),
    ("count of orders grouped by status", COUNT_BY_STATUS),
    ("number of ordrs per staus", COUNT_BY_STATUS),
    ("status, number of orders", None),
    ("count orders broken down by channel", "SELECT channel, count(*) FROM orders GROUP BY channel"),
    # sums, averages, min/max
    ("Total order amount per customer", "SELECT customer_id, sum(amount) FROM orders GROUP BY customer_id"),
    ("sum of amount for each channel", "SELECT channel, sum(amount) FROM orders GROUP BY channel"),
    ("total spend by channel and status", "SELECT channel, status, sum(amount) FROM orders GROUP BY 1, 2"),
    (
        "average unit price by category name rounded to 2 decimals",
        "SELECT c.category_name, round(avg(p.unit_price), 2) FROM products p JOIN categories c USING (category_id) GROUP BY 1",
    ),
    (
        "mean unit price of products in each category, 1 decimal place",
        "SELECT p.category_id, round(avg(p.unit_price), 1) FROM products p JOIN categories USING (category_id) GROUP BY 1",
    ),
    (
        "min and max unit price per category",
        "SELECT p.category_id, min(p.unit_price), max(p.unit_price) FROM products p JOIN categories USING (category_id) "
        "GROUP BY 1",
    ),
    (
        "what is the highest salary in each department?",
        "SELECT e.department_id, max(s.salary) FROM salaries s JOIN employees e USING (employee_id) "
        "JOIN departments USING (department_id) GROUP BY 1",
    ),
    (
        "avg order value by customer segment, rounded to the nearest whole number",
        "SELECT c.segment, round(avg(o.amount), 0) FROM orders o JOIN customers c USING (customer_id) GROUP BY 1",
    ),
    (
        "sum of quantity times unit price per order",
        "SELECT order_id, sum(quantity * unit_price) FROM order_items GROUP BY order_id",
    ),
    # global aggregates
    ("how many customers are there", "SELECT count(*) FROM customers"),
    ("total amount of all orders", "SELECT sum(amount) FROM orders"),
    # value-conditioned counts
    (
        "number of cancelled orders per channel",
        "SELECT channel, count(*) FROM orders WHERE status = 'cancelled' GROUP BY channel",
    ),
    (
        "Give me, for every channel, the number of orders and the number of cancelled orders",
        "SELECT channel, count(*), count(*) FILTER (WHERE status = 'cancelled') FROM orders GROUP BY channel",
    ),
    (
        "average amount of completed orders per channel",
        "SELECT channel, avg(amount) FROM orders WHERE status = 'completed' GROUP BY channel",
    ),
    # grouping by entities and their names
    (
        "number of employees by department name",
        "SELECT d.department_name, count(*) FROM employees e JOIN departments d USING (department_id) GROUP BY 1",
    ),
    (
        "headcount per department",
        "SELECT e.department_id, count(*) FROM employees e JOIN departments USING (department_id) GROUP BY 1",
    ),
    (
        "number of distinct customers per channel",
        "SELECT channel, count(DISTINCT customer_id) FROM orders GROUP BY channel",
    ),
    # having
    (
        "Total order amount per customer, only customers above 1,000",
        "SELECT customer_id, sum(amount) FROM orders GROUP BY 1 HAVING sum(amount) > 1000",
    ),
    (
        "customers with more than 3 orders and their order counts",
        "SELECT customer_id, count(*) FROM orders GROUP BY 1 HAVING count(*) > 3",
    ),
    (
        "customers with at least five orders",
        "SELECT customer_id, count(*) FROM orders GROUP BY 1 HAVING count(*) >= 5",
    ),
    (
        "Number of orders per customer as order_count, only customers with more than 10",
        "SELECT customer_id, count(*) FROM orders GROUP BY 1 HAVING count(*) > 10",
    ),
    (
        "departments whose average salary is above 100,000",
        "SELECT e.department_id, avg(s.salary) FROM salaries s JOIN employees e USING (employee_id) "
        "JOIN departments USING (department_id) GROUP BY 1 HAVING avg(s.salary) > 100000",
    ),
    (
        "total amount per channel where the total is over 50k",
        "SELECT channel, sum(amount) FROM orders GROUP BY 1 HAVING sum(amount) > 50000",
    ),
    # ratios and shares
    (
        "Percentage of orders cancelled in each channel (2 decimals)",
        "SELECT channel, round(100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 2) FROM orders GROUP BY 1",
    ),
    (
        "share of orders that were cancelled per channel as a percentage rounded to 2 decimals",
        "SELECT channel, round(100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 2) FROM orders GROUP BY 1",
    ),
    (
        "fraction of orders cancelled per channel (0-1, 4 decimals)",
        "SELECT channel, round(1.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 4) FROM orders GROUP BY 1",
    ),
    (
        "what share of all orders does each channel have, in percent with 1 decimal",
        "SELECT channel, round(100.0 * count(*) / sum(count(*)) OVER (), 1) FROM orders GROUP BY 1",
    ),
    (
        "percentage of all orders per status",
        "SELECT status, 100.0 * count(*) / sum(count(*)) OVER () FROM orders GROUP BY 1",
    ),
]


@pytest.mark.parametrize(("prompt", "sql"), [c for c in CASES if c[1] is not None], ids=lambda v: str(v)[:50])
def test_end_to_end(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    _, got = _run(engine, prompt)
    assert got == _expect(engine, sql)


def test_count_per_status_spec(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("How many orders per status?", engine, reference_date=REF)
    assert spec.group_by == ["orders.status"]
    [agg] = spec.aggregations
    assert (agg.function, agg.column, agg.alias) == ("count", None, "order_count")
    assert agg.provenance and "How many orders" in agg.provenance


def test_aliases_from_the_request(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("total spend per customer called total_spend", engine, reference_date=REF)
    assert [a.alias for a in spec.aggregations] == ["total_spend"]
    spec = plan_request("Number of orders per customer as order_count", engine, reference_date=REF)
    assert [a.alias for a in spec.aggregations] == ["order_count"]
    spec = plan_request("avg salary per department", engine, reference_date=REF)
    assert [a.alias for a in spec.aggregations] == ["avg_salary"]


def test_conditional_count_keeps_both_measures(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("for every channel, the number of orders and the number of cancelled orders", engine,
                        reference_date=REF)  # fmt: skip
    plain, cancelled = spec.aggregations
    assert not plain.filter and cancelled.filter
    assert cancelled.filter[0].value == "cancelled"  # type: ignore[union-attr]
    assert not spec.filters


def test_having_on_alias(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("customers with more than 15 orders", engine, reference_date=REF)
    [h] = spec.having
    assert (h.column, h.operator, h.value) == ("order_count", ">", 15)  # type: ignore[union-attr]
    assert spec.group_by == ["orders.customer_id"]


def test_zero_rows_preserve_base(engine) -> None:  # type: ignore[no-untyped-def]
    for prompt in ("Number of employees in each department, including departments with none",
                   "headcount for every department; departments with nobody should show 0"):  # fmt: skip
        spec = plan_request(prompt, engine, reference_date=REF)
        assert spec.source_tables[0].table_name == "departments"
        assert spec.join_conditions[0].join_type == "left"
        assert spec.group_by == ["departments.department_id"]
        [agg] = spec.aggregations
        assert (agg.function, agg.column) == ("count", "employees.employee_id")


def test_zero_rows_customers(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("number of orders per customer; customers who never ordered must appear with 0", engine,
                        reference_date=REF)  # fmt: skip
    assert spec.source_tables[0].table_name == "customers"
    assert spec.group_by == ["customers.customer_id"]
    assert spec.aggregations[0].column == "orders.order_id"


def test_ratio_is_a_post_aggregation_derived_column(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request(
        "Percentage of orders cancelled in each channel (2 decimals)", engine, reference_date=REF
    )
    [dc] = spec.derived_columns
    assert dc.name == "cancelled_pct"
    assert dc.expression.startswith("round(100.0 * ")
    assert "'cancelled'" in dc.expression and dc.expression.endswith(", 2)")
    assert not spec.aggregations  # no helper columns in the output


def test_row_filters_are_left_to_the_filters(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("total amount per channel for orders over 100", engine, reference_date=REF)
    assert not spec.having
    assert spec.aggregations[0].function == "sum"


@pytest.mark.parametrize("prompt", [
    "average of the frobnication per status",
    "percentage of the gizmos per channel",
])  # fmt: skip
def test_unclear_requests_raise(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan_request(prompt, engine, reference_date=REF)


ZERO_DEPTS = ("SELECT d.department_id, count(e.employee_id) FROM departments d LEFT JOIN employees e "
              "USING (department_id) GROUP BY 1")  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), [
    ("headcount for every department; departments with nobody should show 0", ZERO_DEPTS),
    ("number of orders per customer, customers who never ordered must appear with 0",
     "SELECT c.customer_id, count(o.order_id) FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY 1"),
    pytest.param("Number of employees in each department, including departments with none", ZERO_DEPTS,
                 marks=pytest.mark.xfail(reason="columns recognizer reads 'including departments' as an output list")),
    pytest.param("number of products per category, include categories with no products (show 0)",
                 "SELECT c.category_id, count(p.product_id) FROM categories c LEFT JOIN products p USING (category_id) "
                 "GROUP BY 1",
                 marks=pytest.mark.xfail(reason="columns recognizer reads 'include categories' as an output list")),
])  # fmt: skip
def test_zero_rows_end_to_end(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    _, got = _run(engine, prompt)
    assert got == _expect(engine, sql)
