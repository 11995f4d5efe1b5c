"""Planner, round 5 gaps: "only" as list/condition glue, a closing one-word name for the one unnamed
measure ("department_id and headcount"), units a column already records ("in seconds" on
``time_on_page_sec``), and "spent" restating a summed amount.

Every request runs end to end against a hand-written query on the demo warehouse plus small tables.
"""

from __future__ import annotations

import pytest
from tests.planner_support import WEB_FINANCE_SQL, check, plan, planner_engine

from datamorph.errors import PlanError

EXTRA = WEB_FINANCE_SQL + """CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name VARCHAR, city VARCHAR, joined_on DATE);
INSERT INTO members VALUES (1, 'a', 'Oslo', '2024-01-01'), (2, 'b', 'Oslo', '2024-02-01'), (3, 'c', 'Rome', '2024-03-01'),
  (4, 'd', 'Lima', '2024-04-01');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from planner_engine(tmp_path_factory, EXTRA)


# -- "only" closing an output list, or opening a sentence that states a condition -------------------


@pytest.mark.parametrize("prompt, sql, cols", [
    ("Show users: user_id and username only", "SELECT user_id, username FROM users", ["user_id", "username"]),
    ("List members: member_id, city only.", "SELECT member_id, city FROM members", ["member_id", "city"]),
    ("from the accounts table return account_id and status only", "SELECT account_id, status FROM accounts",
     ["account_id", "status"]),
    ("Only countries with at least 2 users.", "SELECT country, count(*) FROM users GROUP BY 1 HAVING count(*) >= 2",
     None),
    ("Departments per location. Only locations with more than one department.",
     "SELECT location, count(*) FROM departments GROUP BY 1 HAVING count(*) > 1", None),
    ("Count employees per job_title. Just job titles with at least 3 employees.",
     "SELECT job_title, count(*) FROM employees GROUP BY 1 HAVING count(*) >= 3", None),
    ("Number of members in each city. Only cities with 2 or more members",
     "SELECT city, count(*) FROM members GROUP BY 1 HAVING count(*) >= 2", None),
])  # fmt: skip
def test_only_as_glue(engine, prompt: str, sql: str, cols: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


@pytest.mark.parametrize("prompt", ["Only the orders", "users only", "Only.", "orders, only"])
def test_only_without_anything_to_restrict_is_refused(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- the list's last plain word names the one measure the request did not name --------------------


@pytest.mark.parametrize("prompt, sql, cols", [
    ("Top 3 departments by number of employees: department_id and headcount",
     "SELECT department_id, count(*) FROM employees GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
     ["department_id", "headcount"]),
    ("count of page views per session - session_id, hits",
     "SELECT session_id, count(*) FROM page_views GROUP BY 1", ["session_id", "hits"]),
    ("How many members per city? city and tally", "SELECT city, count(*) FROM members GROUP BY 1", ["city", "tally"]),
])  # fmt: skip
def test_closing_word_names_the_measure(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


def test_closing_word_is_refused_when_it_is_no_name(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan(engine, "Count orders per customer: customer_id and total")


# -- units the column already records -------------------------------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("average time on page in seconds", "SELECT avg(time_on_page_sec) FROM page_views"),
    ("Average time on page in seconds per session",
     "SELECT session_id, avg(time_on_page_sec) FROM page_views GROUP BY 1"),
    ("total time on page (in seconds) for each page_url",
     "SELECT page_url, sum(time_on_page_sec) FROM page_views GROUP BY 1"),
])  # fmt: skip
def test_unit_the_column_records(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt", ["average time on page in minutes", "total amount in euros per account"])
def test_other_units_are_refused(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- "spent" restates a summed amount ------------------------------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("total amount spent per account on posted transactions, highest first",
     "SELECT account_id, sum(amount) FROM transactions WHERE status = 'posted' GROUP BY 1"),
    ("sum of amount spent by each customer on completed orders",
     "SELECT customer_id, sum(amount) FROM orders WHERE status = 'completed' GROUP BY 1"),
    ("Total amount spent per channel", "SELECT channel, sum(amount) FROM orders GROUP BY 1"),
])  # fmt: skip
def test_spent(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql)
    assert spec.aggregations[0].function == "sum"


# -- zero counts: "(0 if none)", "0 when there are none" ------------------------------------------


@pytest.mark.parametrize("prompt, sql, cols", [
    ("For every account, the number of transactions it has (0 if none): account_id and tx_count",
     "SELECT a.account_id, count(t.transaction_id) FROM accounts a LEFT JOIN transactions t USING (account_id) "
     "GROUP BY 1", ["account_id", "tx_count"]),
    ("Number of page views per session, 0 when there are none: session_id and view_count",
     "SELECT s.session_id, count(v.view_id) FROM sessions s LEFT JOIN page_views v USING (session_id) GROUP BY 1",
     ["session_id", "view_count"]),
    ("count of employees in each department (zero if there are no employees) - department_id, staff",
     "SELECT d.department_id, count(e.employee_id) FROM departments d LEFT JOIN employees e USING (department_id) "
     "GROUP BY 1", ["department_id", "staff"]),
    ("per user the number of sessions, or 0 if none",
     "SELECT u.user_id, count(s.session_id) FROM users u LEFT JOIN sessions s USING (user_id) GROUP BY 1", None),
])  # fmt: skip
def test_zero_if_none(engine, prompt: str, sql: str, cols: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql, cols)
    assert spec.join_conditions[0].join_type == "left"


# -- "first and last name of every X": a list sharing its head noun, not one row per X ------------


@pytest.mark.parametrize("prompt, sql", [
    ("first and last name of every employee", "SELECT first_name, last_name FROM employees"),
    ("first and last name of all employees, sorted by last name", "SELECT first_name, last_name FROM employees"),
])  # fmt: skip
def test_shared_head_is_no_row_pick(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql, ["first_name", "last_name"])
    assert spec.dedupe is None
