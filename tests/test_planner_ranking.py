"""Ranks over aggregates and requests written as steps: each result checked against hand-written SQL.

The tables are the planner tests' web and finance tables and the demo warehouse (other domains than the
benchmark's), so a rule must hold for the class of phrasing, not one sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner import plan_request
from planner_support import REF, WEB_FINANCE_SQL, check, planner_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory, WEB_FINANCE_SQL)


# -- a request written as numbered steps ----------------------------------------------------------------------


def test_numbered_steps_count_keep_rank(engine: Any) -> None:
    check(engine,
          "Three steps: (1) count posted transactions per account; (2) keep accounts with more than 2 of them; "
          "(3) rank those accounts by the count, highest = 1. account_id, n_tx, tx_rank.",
          "SELECT account_id, count(*) AS n_tx, rank() OVER (ORDER BY count(*) DESC) AS tx_rank FROM transactions "
          "WHERE status = 'posted' GROUP BY account_id HAVING count(*) > 2",
          ["account_id", "n_tx", "tx_rank"])  # fmt: skip


def test_steps_with_parenthesis_markers_and_heading(engine: Any) -> None:
    check(engine,
          "In two steps: 1) count sessions per browser; 2) rank the browsers by that count, highest = 1. "
          "browser, session_count, browser_rank.",
          "SELECT browser, count(*) AS session_count, rank() OVER (ORDER BY count(*) DESC) AS browser_rank "
          "FROM sessions GROUP BY browser",
          ["browser", "session_count", "browser_rank"])  # fmt: skip


def test_step_words_then_same_plan(engine: Any) -> None:
    check(engine,
          "Step 1: count sessions per device_type. Step 2: rank the device types by the count, highest = 1. "
          "device_type, sessions_n, device_rank.",
          "SELECT device_type, count(*) AS sessions_n, rank() OVER (ORDER BY count(*) DESC) AS device_rank "
          "FROM sessions GROUP BY device_type",
          ["device_type", "sessions_n", "device_rank"])  # fmt: skip


# -- "<superlative> [noun] = 1": the rank's direction -------------------------------------------------------


@pytest.mark.parametrize(("words", "direction"), [("biggest account = 1", "DESC"), ("highest = 1", "DESC"),
                                                  ("smallest limit = 1", "ASC")])  # fmt: skip
def test_which_row_ranks_first(engine: Any, words: str, direction: str) -> None:
    check(engine, f"Rank accounts by credit_limit, {words}. account_id, credit_limit, limit_rank.",
          f"SELECT account_id, credit_limit, rank() OVER (ORDER BY credit_limit {direction}) AS limit_rank FROM accounts",
          ["account_id", "credit_limit", "limit_rank"])  # fmt: skip


def test_least_expensive_first_is_ascending(engine: Any) -> None:
    check(engine, "Rank order items by unit_price with the least expensive item = 1. order_item_id, unit_price, "
          "price_rank.",
          "SELECT order_item_id, unit_price, rank() OVER (ORDER BY unit_price ASC) AS price_rank FROM order_items",
          ["order_item_id", "unit_price", "price_rank"])  # fmt: skip


# -- a rank over the groups, by a measure the request computes ---------------------------------------------


def test_rank_groups_by_measure_within_partition(engine: Any) -> None:
    check(engine,
          "Within each account_type, rank the accounts by the total amount of their posted transactions, "
          "biggest first. account_id, account_type, total_amount, type_rank.",
          "SELECT t.account_id, a.account_type, sum(t.amount) AS total_amount, rank() OVER (PARTITION BY "
          "a.account_type ORDER BY sum(t.amount) DESC) AS type_rank FROM transactions t JOIN accounts a "
          "ON a.account_id = t.account_id WHERE t.status = 'posted' GROUP BY t.account_id, a.account_type",
          ["account_id", "account_type", "total_amount", "type_rank"])  # fmt: skip


def test_rank_groups_by_count_most_first(engine: Any) -> None:
    check(engine,
          "Within each country, rank the users by the number of their sessions, most first. "
          "user_id, country, session_count, country_rank.",
          "SELECT s.user_id, u.country, count(*) AS session_count, rank() OVER (PARTITION BY u.country "
          "ORDER BY count(*) DESC) AS country_rank FROM sessions s JOIN users u ON u.user_id = s.user_id "
          "GROUP BY s.user_id, u.country",
          ["user_id", "country", "session_count", "country_rank"])  # fmt: skip


def test_dense_rank_of_an_average_keeps_the_measured_rows(engine: Any) -> None:
    """The partition names a table only as a key ("within each department"): the measured rows stay the base."""
    check(engine,
          "Within each department, rank the employees by the average of their salaries, highest = 1, with "
          "DENSE_RANK. employee_id, department_id, avg_salary, pay_rank.",
          "SELECT s.employee_id, e.department_id, avg(s.salary) AS avg_salary, dense_rank() OVER (PARTITION BY "
          "e.department_id ORDER BY avg(s.salary) DESC) AS pay_rank FROM salaries s JOIN employees e "
          "ON e.employee_id = s.employee_id GROUP BY s.employee_id, e.department_id",
          ["employee_id", "department_id", "avg_salary", "pay_rank"])  # fmt: skip


def test_rank_all_groups_by_measure(engine: Any) -> None:
    check(engine,
          "Rank the accounts by the total amount of their posted transactions, highest = 1. "
          "account_id, total_amount, amount_rank.",
          "SELECT account_id, sum(amount) AS total_amount, rank() OVER (ORDER BY sum(amount) DESC) AS amount_rank "
          "FROM transactions WHERE status = 'posted' GROUP BY account_id",
          ["account_id", "total_amount", "amount_rank"])  # fmt: skip


# -- top N per group: the count first, the partition before "by"; ties broken by a second key ------------------


def test_top_n_count_first_with_tie_break(engine: Any) -> None:
    check(engine,
          "the 2 biggest transactions in each account by amount; ties go to the lower transaction_id. "
          "account_id, transaction_id, amount, amount_rank.",
          "SELECT * FROM (SELECT account_id, transaction_id, amount, row_number() OVER (PARTITION BY account_id "
          "ORDER BY amount DESC, transaction_id) AS amount_rank FROM transactions) WHERE amount_rank <= 2",
          ["account_id", "transaction_id", "amount", "amount_rank"])  # fmt: skip


def test_top_n_smallest_per_owner(engine: Any) -> None:
    check(engine,
          "the 2 smallest accounts per customer by credit_limit. Columns: customer_id, account_id, credit_limit, pos.",
          "SELECT * FROM (SELECT customer_id, account_id, credit_limit, row_number() OVER (PARTITION BY customer_id "
          "ORDER BY credit_limit) AS pos FROM accounts) WHERE pos <= 2",
          ["customer_id", "account_id", "credit_limit", "pos"])  # fmt: skip


@pytest.mark.xfail(strict=True, reason="rank within a partition, the tie-break in the next sentence said as 'When two "
                   "were hired the same day, the higher employee_id comes first': refused, 'two', 'same', 'day', "
                   "'comes', 'first' not understood")
def test_rank_with_tie_break_in_the_next_sentence(engine: Any) -> None:
    """Employees share hire dates: the tie-break gives tied dates distinct ranks (a plain RANK would not)."""
    check(engine,
          "Within each department_id, rank employees by hire_date, earliest = 1. When two were hired the same day, "
          "the higher employee_id comes first. employee_id, department_id, hire_date, seniority.",
          "SELECT employee_id, department_id, hire_date, rank() OVER (PARTITION BY department_id ORDER BY hire_date, "
          "employee_id DESC) AS seniority FROM employees",
          ["employee_id", "department_id", "hire_date", "seniority"])  # fmt: skip


def test_top_n_cheapest_ties_to_the_lower_id(engine: Any) -> None:
    check(engine,
          "the 2 cheapest products in each category by unit_price; ties go to the lower product_id. "
          "Columns: category_id, product_id, unit_price, pos.",
          "SELECT * FROM (SELECT category_id, product_id, unit_price, row_number() OVER (PARTITION BY category_id "
          "ORDER BY unit_price, product_id) AS pos FROM products) WHERE pos <= 2",
          ["category_id", "product_id", "unit_price", "pos"])  # fmt: skip


@pytest.mark.xfail(strict=True, reason="sorted groups with a tie-break by their key, said as 'biggest sum on top; "
                   "equal sums ordered by employee_id ascending': refused, 'biggest', 'sum', 'top', 'equal', 'sums' "
                   "not understood")
def test_sorted_groups_with_tie_break_by_their_key(engine: Any) -> None:
    """The tie-break column is the group key as grouped (salaries.employee_id), not the employees table's."""
    spec = check(engine, "sum of salary per employee_id, biggest sum on top; equal sums ordered by employee_id "
                 "ascending",
                 "SELECT employee_id, sum(salary) AS total_salary FROM salaries GROUP BY employee_id")
    assert [(o.column, o.direction) for o in spec.order_by] == [("total_salary", "desc"),
                                                                ("salaries.employee_id", "asc")]  # fmt: skip


def test_sorted_rows_with_tie_break_keep_their_order(engine: Any) -> None:
    from datamorph.compiler import compile_spec

    spec = check(engine, "products sorted by unit_price; ties go to the higher product_id. product_id, unit_price",
                 "SELECT product_id, unit_price FROM products")
    rows = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows
    assert rows == sorted(rows, key=lambda r: (r[1], -r[0]))


# -- top N by a measure defined in words: "by <name> (<definition>)" -------------------------------------------


def test_top_n_by_measure_defined_in_parentheses(engine: Any) -> None:
    """'posted' is a value of the measured rows (a condition); 'volume' names the measure (the output list's)."""
    spec = check(engine, "Top 2 accounts by posted volume (sum of the transaction amount). account_id, volume.",
                 "SELECT account_id, sum(amount) AS volume FROM transactions WHERE status = 'posted' "
                 "GROUP BY account_id ORDER BY volume DESC LIMIT 2",
                 ["account_id", "volume"])  # fmt: skip
    assert spec.limit == 2 and spec.order_by[0].column == "volume"


def test_top_n_measure_name_with_a_value_qualifier(engine: Any) -> None:
    check(engine, "Top 2 accounts by deposit inflow (sum of amount over their transactions). account_id, inflow.",
          "SELECT account_id, sum(amount) AS inflow FROM transactions WHERE transaction_type = 'deposit' "
          "GROUP BY account_id ORDER BY inflow DESC LIMIT 2",
          ["account_id", "inflow"])  # fmt: skip


def test_top_n_count_defined_in_parentheses(engine: Any) -> None:
    check(engine, "Top 1 browser by session volume (count of sessions). browser, volume.",
          "SELECT browser, count(*) AS volume FROM sessions GROUP BY browser ORDER BY volume DESC LIMIT 1",
          ["browser", "volume"])  # fmt: skip


@pytest.mark.parametrize("words", ["non-posted volume", "2025 volume"])
def test_measure_name_with_a_negation_or_number_is_not_swallowed(engine: Any, words: str) -> None:
    """A negation or a year among the words changes the rows: never dropped as part of a name."""
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError):
        plan(engine, f"Top 2 accounts by {words} (sum of the transaction amount). account_id, volume.")


# -- "rank them": the groups the request made, by its one measure --------------------------------------------


def test_keep_then_rank_them(engine: Any) -> None:
    check(engine,
          "Count posted transactions per account; keep accounts with more than 2 of them, then rank them "
          "(highest = 1). account_id, tx_count, tx_rank.",
          "SELECT account_id, count(*) AS tx_count, rank() OVER (ORDER BY count(*) DESC) AS tx_rank "
          "FROM transactions WHERE status = 'posted' GROUP BY account_id HAVING count(*) > 2",
          ["account_id", "tx_count", "tx_rank"])  # fmt: skip


def test_arrow_steps_keep_then_rank_them(engine: Any) -> None:
    check(engine,
          "Total amount per account -> keep accounts above 100 -> rank them, biggest = 1. "
          "account_id, total_amount, pos.",
          "SELECT account_id, sum(amount) AS total_amount, rank() OVER (ORDER BY sum(amount) DESC) AS pos "
          "FROM transactions GROUP BY account_id HAVING sum(amount) > 100",
          ["account_id", "total_amount", "pos"])  # fmt: skip


def test_rank_them_with_two_measures_is_not_guessed(engine: Any) -> None:
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError):
        plan(engine, "total amount and average amount per account, then rank them")


# -- misreading: "top 10 sessions by time on page" ordered the sessions joined to their page views, each session
# listed once per view; rows ordered by a column of a table that repeats them are refused, a measure is not ---


def test_rows_ordered_by_a_column_of_a_table_that_repeats_them_are_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="has many page_views rows"):
        plan_request("top 3 sessions by time on page", engine, reference_date=REF)


def test_rows_ordered_by_a_total_of_a_table_that_repeats_them(engine: Any) -> None:
    check(engine, "top 3 sessions by total time on page",
          "SELECT session_id, sum(time_on_page_sec) FROM page_views GROUP BY 1 ORDER BY 2 DESC LIMIT 3")
