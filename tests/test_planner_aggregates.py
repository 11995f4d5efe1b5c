"""The planner's aggregates recognizer: measures, groups, having, zero rows, ratios (end to end on DuckDB)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from tests.planner_support import planner_engine

from datamorph.compiler.sql import compile_spec
from datamorph.errors import PlanError
from datamorph.planner import plan_request

REF = dt.date(2024, 6, 1)

# Tables the demo warehouse lacks (web analytics, banking); keys declared so the linker infers the joins.
EXTRA_TABLES = """
CREATE TABLE sessions(session_id INTEGER PRIMARY KEY, user_id INTEGER, started_at TIMESTAMP, browser VARCHAR,
                      device_type VARCHAR);
INSERT INTO sessions SELECT i, i % 50, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR,
  ['Chrome', 'Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Edge'][1 + (i * 7) % 8],
  ['desktop', 'mobile', 'tablet', 'mobile'][1 + (i * 3) % 4] FROM range(1, 3001) t(i);
CREATE TABLE accounts(account_id INTEGER PRIMARY KEY, customer_id INTEGER, account_type VARCHAR, status VARCHAR);
INSERT INTO accounts SELECT i, 1 + i % 40, ['checking', 'savings'][1 + i % 2],
  ['open', 'closed', 'frozen'][1 + (i * 5) % 7 % 3] FROM range(1, 121) t(i);
CREATE TABLE transactions(transaction_id INTEGER PRIMARY KEY, account_id INTEGER, amount DECIMAL(12, 2),
                          direction VARCHAR, status VARCHAR, transaction_date DATE);
INSERT INTO transactions SELECT i, 1 + ((i * i) % 997) % 120, ((i * 37) % 900)::DECIMAL(12, 2) + 0.25,
  ['credit', 'debit'][1 + i % 2], ['posted', 'pending', 'reversed'][1 + (i * 3) % 10 % 3],
  DATE '2024-01-01' + (i % 300)::INTEGER FROM range(1, 6001) t(i);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from planner_engine(tmp_path_factory, EXTRA_TABLES)


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
    pytest.param(
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
        "headcount per department, only employees whose department exists",
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


@pytest.mark.parametrize(("prompt", "sql"), [c for c in CASES if not isinstance(c, tuple) or c[1] is not None],
                         ids=lambda v: str(v)[:50])  # fmt: skip
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


ZERO_DEPT_NAMES = ("SELECT d.department_name, count(e.employee_id) FROM departments d LEFT JOIN employees e "
                   "USING (department_id) GROUP BY 1")  # fmt: skip
ZERO_DEPTS = ("SELECT d.department_id, count(e.employee_id) FROM departments d LEFT JOIN employees e "
              "USING (department_id) GROUP BY 1")  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), [
    ("headcount for every department; departments with nobody should show 0", ZERO_DEPTS),
    ("number of orders per customer, customers who never ordered must appear with 0",
     "SELECT c.customer_id, count(o.order_id) FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY 1"),
    ("Number of employees in each department, including departments with none", ZERO_DEPTS),
    ("number of products per category, include categories with no products (show 0)",
     "SELECT c.category_id, count(p.product_id) FROM categories c LEFT JOIN products p USING (category_id) GROUP BY 1"),
    ("Employee count for every department listed in departments, counting everyone ever hired (terminated people "
     "included); departments with nobody in them should show 0. department_name, employee_count.", ZERO_DEPT_NAMES),
    ("number of employees for every department listed in departments; departments with no employees show 0. "
     "department_name and employee_count", ZERO_DEPT_NAMES),
])  # fmt: skip
def test_zero_rows_end_to_end(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    _, got = _run(engine, prompt)
    assert got == _expect(engine, sql)


# -- general gaps: one row per, plural keys, measures named in output lists, typos, ratios, paths ----------------

ORDERS_BY_STATUS = "SELECT status, count(*) FROM orders GROUP BY status"
AMOUNT_BY_CHANNEL = "SELECT channel, sum(amount) FROM orders GROUP BY channel"
BROWSERS_OVER_1000 = "SELECT browser, count(*) FROM sessions GROUP BY 1 HAVING count(*) > 1000"
CUSTOMER_TOTALS_60K = ("SELECT a.customer_id, sum(t.amount) FROM transactions t JOIN accounts a USING (account_id) "
                       "GROUP BY 1 HAVING sum(t.amount) > 60000")  # fmt: skip
DEPT_AVG_SALARY = ("SELECT d.department_name, round(avg(s.salary), 2) FROM salaries s JOIN employees e USING (employee_id) "
                   "JOIN departments d USING (department_id) GROUP BY 1 HAVING avg(s.salary) > 100000")  # fmt: skip
CANCEL_PCT_2 = ("SELECT channel, round(100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 2) "
                "FROM orders GROUP BY 1")  # fmt: skip

GAPS = [
    # one row / line / record per X
    ("One row per status with the order count", ORDERS_BY_STATUS),
    ("one record per status, with how many orders", ORDERS_BY_STATUS),
    ("one line per channel with total amount", AMOUNT_BY_CHANNEL),
    ("a single row for each channel with the total amount", AMOUNT_BY_CHANNEL),
    # plural column names as the grouped subject
    ("list the browsers used in more than 1,000 sessions, with their session counts", BROWSERS_OVER_1000),
    ("browsers with over 1000 sessions", BROWSERS_OVER_1000),
    ("channels with more than 100 orders", "SELECT channel, count(*) FROM orders GROUP BY 1 HAVING count(*) > 100"),
    ("which statuses have fewer than 40 orders?", "SELECT status, count(*) FROM orders GROUP BY 1 HAVING count(*) < 40"),
    ("device types with at least 900 sessions",
     "SELECT device_type, count(*) FROM sessions GROUP BY 1 HAVING count(*) >= 900"),
    # the measure named in an output list; the listed columns are the groups
    ("Return the customer_id and how many orders each has", "SELECT customer_id, count(*) FROM orders GROUP BY 1"),
    ("show customer_id, status and the number of orders each",
     "SELECT customer_id, status, count(*) FROM orders GROUP BY 1, 2"),
    ("give me each channel and how many orders it has", "SELECT channel, count(*) FROM orders GROUP BY 1"),
    # entity words with typos as the grouped subject
    ("Acounts with more than 40 transactions on record - account_id and the number of transactions",
     "SELECT account_id, count(*) FROM transactions GROUP BY 1 HAVING count(*) > 40"),
    ("acounts with at least 50 transactions",
     "SELECT account_id, count(*) FROM transactions GROUP BY 1 HAVING count(*) >= 50"),
    # grouped by the X on the Y record
    ("count employees grouped by the department_id on the employee record",
     "SELECT department_id, count(*) FROM employees GROUP BY 1"),
    ("number of orders grouped by the customer_id on the order record",
     "SELECT customer_id, count(*) FROM orders GROUP BY 1"),
    ("Current headcount by department: count the employees who haven't been terminated, grouped by the "
     "department_id on the employee record",
     "SELECT department_id, count(*) FROM employees WHERE termination_date IS NULL GROUP BY 1"),
    # ratios: formulas, scales, value conditions, shares of the grand total
    ("cancel_rate_pct = cancelled orders / all orders in that channel x 100, rounded to 2 decimals", CANCEL_PCT_2),
    ("share of orders cancelled per channel x 100, 2 decimals", CANCEL_PCT_2),
    ("share of orders that were cancelled per channel on a 0-100 scale rounded to 2 decimals", CANCEL_PCT_2),
    ("what fraction of the accounts is closed",
     "SELECT 1.0 * count(*) FILTER (WHERE status = 'closed') / count(*) FROM accounts"),
    ("what fraction of the accounts is closed, as a number between 0 and 1, rounded to 4 decimal places",
     "SELECT round(1.0 * count(*) FILTER (WHERE status = 'closed') / count(*), 4) FROM accounts"),
    ("percentage of all sessions that come from each device type",
     "SELECT device_type, 100.0 * count(*) / sum(count(*)) OVER () FROM sessions GROUP BY 1"),
    ("share of sessions per browser on a 0-100 scale rounded to 1 decimal",
     "SELECT browser, round(100.0 * count(*) / sum(count(*)) OVER (), 1) FROM sessions GROUP BY 1"),
    ("what proportion of transactions are reversed, per account type, as a percentage with 2 decimals",
     "SELECT a.account_type, round(100.0 * count(*) FILTER (WHERE t.status = 'reversed') / count(*), 2) "
     "FROM transactions t JOIN accounts a USING (account_id) GROUP BY 1"),
    # through the grouped entity's foreign keys
    ("For each customer add up the amount of every transaction on every account they hold and keep only customers "
     "whose total is over 60,000. Return customer_id and that total.", CUSTOMER_TOTALS_60K),
    ("total transaction amount per customer across all their accounts, only customers above 60,000",
     CUSTOMER_TOTALS_60K),
    pytest.param("For each customer add up the amount of every transaction on every account they hold and keep only "
                 "customers whose combined total is over 60,000. Return customer_id and that total.",
                 CUSTOMER_TOTALS_60K),
    # groups named by the entity, labelled by the column the output asks for
    ("departments whose average salary is above 100,000. Return the department name and the average salary "
     "rounded to 2 decimals", DEPT_AVG_SALARY),
    ("Which departments have an average salary over 100k? Show department name and average salary (2 decimals)",
     DEPT_AVG_SALARY),
    # an explicit join keeps working
    ("Join customers and orders on customer_id, calculate total order amount per customer, filter customers with "
     "total > 1000", "SELECT customer_id, sum(amount) FROM orders GROUP BY 1 HAVING sum(amount) > 1000"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), GAPS, ids=lambda v: str(v)[:60])
def test_gaps_end_to_end(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    _, got = _run(engine, prompt)
    assert got == _expect(engine, sql)


def test_one_row_per_is_a_group_not_order_lines(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("one line per channel with total amount", engine, reference_date=REF)
    assert spec.group_by == ["orders.channel"]
    assert [s.table_name for s in spec.source_tables] == ["orders"]


def test_plural_column_subject(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("list the browsers used in more than 1,000 sessions, with their session counts", engine,
                        reference_date=REF)  # fmt: skip
    assert spec.group_by == ["sessions.browser"]
    [agg] = spec.aggregations
    assert (agg.function, agg.column, agg.alias) == ("count", None, "session_count")
    [h] = spec.having
    assert (h.column, h.operator, h.value) == ("session_count", ">", 1000)  # type: ignore[union-attr]


def test_record_owner_and_typo_subject(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("count employees grouped by the department_id on the employee record", engine,
                        reference_date=REF)  # fmt: skip
    assert spec.group_by == ["employees.department_id"]
    assert [s.table_name for s in spec.source_tables] == ["employees"]
    spec = plan_request("Acounts with more than 40 transactions on record - account_id and the number of transactions",
                        engine, reference_date=REF)  # fmt: skip
    assert spec.group_by == ["transactions.account_id"]
    assert spec.having[0].value == 40  # type: ignore[union-attr]


def test_named_formula_ratio(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("cancel_rate_pct = cancelled orders / all orders in that channel x 100, rounded to 2 decimals",
                        engine, reference_date=REF)  # fmt: skip
    [dc] = spec.derived_columns
    assert dc.name == "cancel_rate_pct"
    assert dc.expression.startswith("round(100.0 * ")  # no integer division
    assert spec.group_by == ["orders.channel"]


@pytest.mark.parametrize("prompt", [
    "cancelled orders as a percent of all orders per channel",
    "Cancellation rate per channel: cancelled orders as a percentage of all orders of that channel",
])  # fmt: skip
def test_rows_of_a_kind_as_a_percent_of_all_rows(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    """Within each group: the cancelled orders over every order (not each group's share of all cancelled ones)."""
    spec = plan_request(prompt, engine, reference_date=REF)
    assert not spec.filters and spec.group_by == ["orders.channel"]
    got = sorted(engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows)
    want = sorted(engine.fetch("SELECT channel, 100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*) "
                               "FROM orders GROUP BY channel").rows)  # fmt: skip
    assert [(c, round(float(v), 6)) for c, v in got] == [(c, round(float(v), 6)) for c, v in want]


def test_global_ratio_outputs_one_value(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("what fraction of the accounts is closed", engine, reference_date=REF)
    assert not spec.group_by
    assert [c.column for c in spec.columns] == ["closed_share"]
    assert "1.0 * " in spec.derived_columns[0].expression


def test_path_through_the_grouped_entity(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("For each customer add up the amount of every transaction on every account they hold and keep "
                        "only customers whose total is over 60,000. Return customer_id and that total.", engine,
                        reference_date=REF)  # fmt: skip
    assert spec.group_by == ["accounts.customer_id"]
    [agg] = spec.aggregations
    assert (agg.function, agg.column) == ("sum", "transactions.amount")
    [h] = spec.having
    assert (h.column, h.value) == (agg.alias, 60000)  # type: ignore[union-attr]
    assert [c.column for c in spec.columns] == ["accounts.customer_id", agg.alias]


def test_entity_group_labelled_by_named_column(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("departments whose average salary is above 100,000. Return the department name and the "
                        "average salary rounded to 2 decimals", engine, reference_date=REF)  # fmt: skip
    assert spec.group_by == ["departments.department_name"]
    [agg] = spec.aggregations
    assert (agg.function, agg.round) == ("avg", 2)
    assert spec.having[0].value == 100000  # type: ignore[union-attr]  # on the unrounded measure


def test_listed_in_table_keeps_every_row(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan_request("Employee count for every department listed in departments, counting everyone ever hired "
                        "(terminated people included); departments with nobody in them should show 0. "
                        "department_name, employee_count.", engine, reference_date=REF)  # fmt: skip
    assert spec.source_tables[0].table_name == "departments"
    assert spec.join_conditions[0].join_type == "left"
    assert spec.group_by == ["departments.department_name"]
    assert spec.aggregations[0].column == "employees.employee_id"


@pytest.mark.parametrize("prompt", [
    "cancel_rate = frobs / all orders per channel",
    "One row per wibble with the order count",
    "Acounts with more than 40 gizmos",
])  # fmt: skip
def test_unclear_gaps_raise(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan_request(prompt, engine, reference_date=REF)


# -- round 2: periods of a date named by a noun, plural group nouns in having, measures named by a formula,
# -- one ratio asked twice, on a web-analytics and banking warehouse ------------------------------------------

WEB_TABLES = """
CREATE TABLE users (user_id INTEGER PRIMARY KEY, username VARCHAR, country VARCHAR, created_at TIMESTAMP, plan VARCHAR);
INSERT INTO users SELECT i, 'user' || i, ['US', 'UK', 'FR', 'DE'][1 + i % 4],
  TIMESTAMP '2023-01-01 10:00:00' + INTERVAL (i * 5) DAY, ['free', 'pro', 'team'][1 + (i * 7) % 3] FROM range(1, 81) t(i);
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY, user_id INTEGER, started_at TIMESTAMP, ended_at TIMESTAMP,
  device_type VARCHAR, browser VARCHAR, traffic_source VARCHAR);
INSERT INTO sessions SELECT i, 1 + i % 80, TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR,
  TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR + INTERVAL ((i * 13) % 50) MINUTE,
  ['desktop', 'mobile', 'tablet', 'mobile'][1 + (i * 3) % 4],
  ['Chrome', 'Chrome', 'Chrome', 'Chrome', 'Safari', 'Safari', 'Firefox', 'Edge'][1 + (i * 7) % 8],
  ['organic', 'paid', 'referral', 'email', 'organic'][1 + i % 5] FROM range(1, 3001) t(i);
CREATE TABLE page_views (view_id INTEGER, session_id INTEGER, page_url VARCHAR, viewed_at TIMESTAMP,
  time_on_page_sec INTEGER);
INSERT INTO page_views SELECT i, 1 + i % 3000, ['/home', '/cart', '/checkout', '/product'][1 + i % 4],
  TIMESTAMP '2024-01-01' + INTERVAL (i * 20) MINUTE, (i * 11) % 300 FROM range(1, 5001) t(i);
INSERT INTO page_views SELECT * FROM page_views WHERE view_id % 50 = 0;
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id INTEGER, account_type VARCHAR, status VARCHAR,
  opened_date DATE, closed_date DATE, credit_limit DECIMAL(12, 2));
INSERT INTO accounts SELECT i, 1 + i % 40, ['checking', 'savings', 'credit'][1 + i % 3],
  CASE WHEN i % 5 = 0 THEN 'closed' WHEN i % 7 = 0 THEN 'frozen' ELSE 'open' END,
  DATE '2020-01-01' + (i * 11)::INTEGER, CASE WHEN i % 5 = 0 THEN DATE '2024-01-01' + i::INTEGER END,
  CASE WHEN i % 3 = 2 THEN (1000 * (i % 9))::DECIMAL(12, 2) END FROM range(1, 121) t(i);
CREATE TABLE transactions (transaction_id INTEGER PRIMARY KEY, account_id INTEGER, transaction_date DATE,
  transaction_type VARCHAR, direction VARCHAR, amount DECIMAL(12, 2), status VARCHAR);
INSERT INTO transactions SELECT i, 1 + ((i * i) % 997) % 120, DATE '2024-01-01' + (i % 300)::INTEGER,
  ['deposit', 'withdrawal', 'transfer', 'fee'][1 + i % 4], ['credit', 'debit'][1 + i % 2],
  ((i * 37) % 5000)::DECIMAL(12, 2) + 0.25, ['posted', 'pending', 'reversed'][1 + (i * 3) % 10 % 3]
  FROM range(1, 6001) t(i);
"""


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from planner_engine(tmp_path_factory, WEB_TABLES)


MONTH_OF_START = ("SELECT CAST(date_trunc('month', started_at) AS DATE), count(*) FROM sessions GROUP BY 1")
PERIOD_CASES = [
    ("Count sessions per month of their start time. Represent the month as a date on the first day of that month "
     "(e.g. 2024-03-01) in a column called month, next to session_count.", MONTH_OF_START, ["month", "session_count"]),
    ("number of sessions by week of the end time",
     "SELECT CAST(date_trunc('week', ended_at) AS DATE), count(*) FROM sessions GROUP BY 1", None),
    ("How many users per month of their creation date? Show the month as the first day of the month in a column "
     "named signup_month.", "SELECT CAST(date_trunc('month', created_at) AS DATE), count(*) FROM users GROUP BY 1",
     ["signup_month", "user_count"]),
    ("number of accounts per year of their open date",
     "SELECT year(opened_date), count(*) FROM accounts GROUP BY 1", None),
    ("total amount per quarter of the transaction date",
     "SELECT CAST(date_trunc('quarter', transaction_date) AS DATE), sum(amount) FROM transactions GROUP BY 1", None),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql", "names"), PERIOD_CASES, ids=lambda v: str(v)[:50])
def test_period_of_a_named_date(web, prompt: str, sql: str, names: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    spec, got = _run(web, prompt)
    assert got == _expect(web, sql)
    if names:
        out = [*spec.group_by, *(a.alias for a in spec.aggregations)]
        assert [n.split(".")[-1] for n in out] == names


HAVING_CASES = [
    ("List the browsers that were used in more than 1,000 sessions, together with their session counts.",
     "SELECT browser, count(*) FROM sessions GROUP BY 1 HAVING count(*) > 1000"),
    ("Which customer ids show up on more than 15 orders? Return the customer_id and how many orders each has.",
     "SELECT customer_id, count(*) FROM orders GROUP BY 1 HAVING count(*) > 15"),
    ("which account ids appear on over 60 transactions, with the number of transactions",
     "SELECT account_id, count(*) FROM transactions GROUP BY 1 HAVING count(*) > 60"),
    ("device types used in at least 700 sessions",
     "SELECT device_type, count(*) FROM sessions GROUP BY 1 HAVING count(*) >= 700"),
    ("traffic sources that appear in fewer than 700 sessions",
     "SELECT traffic_source, count(*) FROM sessions GROUP BY 1 HAVING count(*) < 700"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), HAVING_CASES, ids=lambda v: str(v)[:50])
def test_having_plural_group_nouns(web, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    spec, got = _run(web, prompt)
    assert got == _expect(web, sql) and got
    assert len(spec.having) == 1 and len(spec.aggregations) == 1


FORMULA_CASES = [
    ("Top 10 products by gross revenue, where revenue = quantity x unit price summed over order lines (ignore "
     "discounts, include every order whatever its status). Return product_id and revenue.",
     "SELECT product_id, sum(quantity * unit_price) r FROM order_items GROUP BY 1 ORDER BY r DESC LIMIT 10", "revenue"),
    ("Top 5 categories by revenue, where revenue = quantity x unit price summed over order lines. "
     "Return category_id and revenue.",
     "SELECT p.category_id, sum(i.quantity * i.unit_price) r FROM order_items i JOIN products p USING (product_id) "
     "GROUP BY 1 ORDER BY r DESC LIMIT 5", "revenue"),
    ("top 3 orders by gross value, where value = quantity times unit price summed over items. "
     "Return order_id and value.",
     "SELECT order_id, sum(quantity * unit_price) v FROM order_items GROUP BY 1 ORDER BY v DESC LIMIT 3", "value"),
    ("top 5 customers by total amount",
     "SELECT customer_id, sum(amount) s FROM orders GROUP BY 1 ORDER BY s DESC LIMIT 5", "total_amount"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql", "alias"), FORMULA_CASES, ids=lambda v: str(v)[:50])
def test_measure_named_by_formula_and_ranked(web, prompt: str, sql: str, alias: str) -> None:  # type: ignore[no-untyped-def]
    spec, got = _run(web, prompt)
    assert got == _expect(web, sql)
    assert [a.alias for a in spec.aggregations] == [alias]
    assert [o.column for o in spec.order_by] == [alias] and spec.limit


RATIO_CASES = [
    ("What share of orders gets cancelled in each sales channel? Return channel and cancel_rate_pct = cancelled "
     "orders / all orders in that channel x 100, rounded to 2 decimals.",
     "SELECT channel, round(100.0 * count(*) FILTER (WHERE status = 'cancelled') / count(*), 2) FROM orders "
     "GROUP BY 1", "cancel_rate_pct"),
    ("What fraction of transactions is reversed for each direction? Return direction and reversal_rate = reversed "
     "transactions / all transactions x 100, rounded to 1 decimal.",
     "SELECT direction, round(100.0 * count(*) FILTER (WHERE status = 'reversed') / count(*), 1) FROM transactions "
     "GROUP BY 1", "reversal_rate"),
    ("What percentage of accounts are closed per account type? Return account_type and closed_pct = closed "
     "accounts / all accounts * 100, 2 decimals",
     "SELECT account_type, round(100.0 * count(*) FILTER (WHERE status = 'closed') / count(*), 2) FROM accounts "
     "GROUP BY 1", "closed_pct"),
    ("Percentage of all sessions that come from each device type, on a 0-100 scale rounded to 1 decimal. "
     "Columns device_type and pct_sessions.",
     "SELECT device_type, round(100.0 * count(*) / sum(count(*)) OVER (), 1) FROM sessions GROUP BY 1",
     "pct_sessions"),
    ("Share of all transactions per transaction type as a percentage with 2 decimals. "
     "Return transaction_type and pct_transactions.",
     "SELECT transaction_type, round(100.0 * count(*) / sum(count(*)) OVER (), 2) FROM transactions GROUP BY 1",
     "pct_transactions"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql", "name"), RATIO_CASES, ids=lambda v: str(v)[:50])
def test_one_ratio_asked_twice(web, prompt: str, sql: str, name: str) -> None:  # type: ignore[no-untyped-def]
    spec, got = _run(web, prompt)
    assert got == _expect(web, sql)
    assert [x.name for x in spec.derived_columns] == [name]
    assert [c.name or c.column for c in spec.columns][-1] == name


PENDING_CASES = [
    pytest.param("Show me the pending transactions that are bigger than 2,500",
                 "SELECT * FROM transactions WHERE status = 'pending' AND amount > 2500"),
    ("posted transactions over 4,000", "SELECT * FROM transactions WHERE status = 'posted' AND amount > 4000"),
    ("list reversed transactions with an amount of at least 4,500",
     "SELECT * FROM transactions WHERE status = 'reversed' AND amount >= 4500"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), PENDING_CASES, ids=lambda v: str(v)[:50])
def test_values_of_the_table_in_play(web, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    """'pending' is a status of orders too: the table the request is about holds it."""
    spec, got = _run(web, prompt)
    assert got == _expect(web, sql) and got
    assert {f.column for f in spec.filters} == {"transactions.status", "transactions.amount"}  # type: ignore[union-attr]


def test_average_per_row_for_each_group_averages_over_rows(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.compiler import compile_spec
    from datamorph.planner import plan_request

    spec = plan_request("Average quantity per order line for each product_id, rounded to 2 decimals.", engine)
    sql = compile_spec(spec, engine.catalog()).sql("duckdb")
    got = sorted(engine.fetch(sql).rows)
    want = sorted(engine.fetch("SELECT product_id, round(avg(quantity), 2) FROM order_items GROUP BY 1").rows)
    assert got == want


# -- a count condition whose counted rows carry their own condition ("3 or more cancelled orders") ----------------

COUNTED_WITH_VALUE = [
    ("accounts with 20 or more reversed transactions",
     "SELECT t.account_id, count(*) FROM accounts a JOIN transactions t USING (account_id) "
     "WHERE t.status = 'reversed' GROUP BY 1 HAVING count(*) >= 20"),
    ("accounts with more than 15 posted debit transactions",
     "SELECT t.account_id, count(*) FROM accounts a JOIN transactions t USING (account_id) "
     "WHERE t.status = 'posted' AND t.direction = 'debit' GROUP BY 1 HAVING count(*) > 15"),
    ("accounts with 60 or more transactions",
     "SELECT t.account_id, count(*) FROM accounts a JOIN transactions t USING (account_id) GROUP BY 1 "
     "HAVING count(*) >= 60"),
]


@pytest.mark.parametrize(("prompt", "sql"), COUNTED_WITH_VALUE)
def test_count_condition_keeps_the_counted_rows_own_condition(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    """The value before the counted table's word narrows the rows counted; it is never swallowed by the count."""
    spec = plan_request(prompt, engine, reference_date=REF)
    got = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows
    want = engine.fetch(sql).rows
    assert want and sorted(map(tuple, got)) == sorted(map(tuple, want)), spec.to_json()
    everything = engine.fetch(sql.replace("WHERE t.status = 'reversed' ", "").replace(
        "WHERE t.status = 'posted' AND t.direction = 'debit' ", "")).rows
    if "WHERE" in sql:
        assert sorted(map(tuple, everything)) != sorted(map(tuple, want))  # the condition changes the answer
