"""Planner semantics: event verbs choose the date column, rows with a missing related row (orphans),
explicit non-constraints (no-ops), illustrations that are not conditions — end to end.

The warehouse is the demo one plus a few small tables (sessions, users, page_views, accounts) and
one order whose customer does not exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from tests.planner_support import planner_engine

from datamorph.compiler.sql import compile_spec
from datamorph.engines.base import Engine
from datamorph.errors import PlanAmbiguous, PlanError
from datamorph.planner import plan_request
from datamorph.spec import ETLSpec, Filter

REF = dt.date(2025, 6, 30)

EXTRA = """
CREATE TABLE users (user_id INTEGER PRIMARY KEY, username VARCHAR, home_country VARCHAR);
INSERT INTO users VALUES (1, 'ada', 'UK'), (2, 'bob', 'US'), (3, 'cyd', 'FR');
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY, user_id INTEGER, started_at TIMESTAMP, ended_at TIMESTAMP,
                       browser VARCHAR, device_type VARCHAR);
INSERT INTO sessions VALUES
  (1, 1, TIMESTAMP '2024-12-22 23:50:00', TIMESTAMP '2024-12-23 00:10:00', 'firefox', 'desktop'),
  (2, 2, TIMESTAMP '2024-12-23 00:00:00', TIMESTAMP '2024-12-23 00:30:00', 'chrome', 'mobile'),
  (3, NULL, TIMESTAMP '2024-12-25 10:00:00', TIMESTAMP '2024-12-25 11:00:00', 'safari', 'mobile'),
  (4, 9, TIMESTAMP '2024-12-29 23:59:59', TIMESTAMP '2024-12-30 00:20:00', 'chrome', 'desktop'),
  (5, 3, TIMESTAMP '2024-12-30 00:00:00', TIMESTAMP '2024-12-30 01:00:00', 'edge', 'tablet'),
  (6, 1, TIMESTAMP '2024-12-20 08:00:00', TIMESTAMP '2024-12-24 09:00:00', 'firefox', 'desktop');
CREATE TABLE page_views (view_id INTEGER PRIMARY KEY, session_id INTEGER, page_url VARCHAR, viewed_at TIMESTAMP);
INSERT INTO page_views VALUES (1, 1, '/home', TIMESTAMP '2024-12-22 23:55:00'),
  (2, 2, '/cart', TIMESTAMP '2024-12-23 00:05:00'), (3, 3, '/home', TIMESTAMP '2024-12-25 10:05:00'),
  (4, 4, '/checkout', TIMESTAMP '2024-12-30 00:01:00'), (5, 5, '/home', TIMESTAMP '2024-12-30 00:10:00'),
  (6, 77, '/lost', TIMESTAMP '2024-12-30 00:11:00');
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id BIGINT, opened_date DATE, closed_date DATE,
                       balance DECIMAL(12,2));
INSERT INTO accounts VALUES (1, 1, DATE '2022-05-01', NULL, 100.00), (2, 2, DATE '2023-02-10', DATE '2024-01-05', 0.00),
  (3, 3, DATE '2023-11-30', NULL, 2500.00), (4, 4, DATE '2024-03-03', DATE '2024-12-31', 50.00),
  (5, 5, DATE '2023-07-15', NULL, 900.00);
INSERT INTO orders VALUES (99999, 99999, DATE '2024-05-05', 'completed', 'web', 10.00, NULL);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from planner_engine(tmp_path_factory, EXTRA)


def plan(engine: Engine, prompt: str) -> ETLSpec:
    return plan_request(prompt, engine, reference_date=REF)


def run(engine: Engine, prompt: str) -> tuple[ETLSpec, list[dict[str, Any]]]:
    spec = plan(engine, prompt)
    sql = compile_spec(spec, engine.catalog()).sql("duckdb")
    return spec, engine.fetch(sql).dicts()


def expect(engine: Engine, prompt: str, sql: str, key: str) -> ETLSpec:
    """Plan and run ``prompt``; its ``key`` values must be those of ``sql`` (sorted)."""
    spec, rows = run(engine, prompt)
    want = sorted(r[0] for r in engine.fetch(sql).rows)
    assert want, f"test query for {prompt!r} returns no rows: pick another example"
    if rows and key not in rows[0]:  # the request chose its own output columns: compare the row counts
        assert len(rows) == len(want), f"{prompt!r}: {spec.filters} {spec.join_conditions}"
        return spec
    assert sorted(r[key] for r in rows) == want, f"{prompt!r}: {spec.filters} {spec.join_conditions}"
    return spec


def conds(spec: ETLSpec) -> list[tuple[str, str, Any]]:
    return sorted((f.column, f.operator, f.value) for f in spec.filters if isinstance(f, Filter))


def joins(spec: ETLSpec) -> list[tuple[str, str]]:
    return [(j.right_table, j.join_type) for j in spec.join_conditions]


# ------------------------------------------------------------------------------------------------
# 1. event verbs choose the date column


@pytest.mark.parametrize(
    "prompt",
    [
        pytest.param("list sessions started within the 2024-12-23 week",
                     marks=pytest.mark.xfail(strict=True, reason="a week named by its first day, 'the <date> week': "
                                             "PlanError, could not understand 'week'")),
        "Sessions which were started in the week of Dec 23 2024",
        "all sessions starting between 2024-12-23 and 2024-12-29 (both days inclusive, whole days)",
        "sesions that start from 2024-12-23 to 2024-12-29 inclusive",
    ],
)
def test_started_picks_started_at(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select session_id from sessions where started_at >= '2024-12-23' "
                  "and started_at < '2024-12-30'", "session_id")  # fmt: skip
    assert {c[0] for c in conds(spec)} == {"sessions.started_at"}


@pytest.mark.parametrize(
    "prompt",
    [
        "sessions that ended on 2024-12-23",
        "sessions ending on Dec 23rd, 2024",
    ],
)
def test_ended_picks_ended_at(engine: Engine, prompt: str) -> None:
    expect(engine, prompt, "select session_id from sessions where ended_at >= '2024-12-23' and ended_at < '2024-12-24'",
           "session_id")  # fmt: skip


@pytest.mark.parametrize(
    ("prompt", "sql"),
    [
        ("accounts opened in 2023", "select account_id from accounts where year(opened_date) = 2023"),
        ("Accounts that were opened during 2023.", "select account_id from accounts where year(opened_date) = 2023"),
        ("accounts closed in 2024", "select account_id from accounts where year(closed_date) = 2024"),
        ("which accounts got closed before March 2024?", "select account_id from accounts where closed_date < '2024-03-01'"),
        ("customers who signed up in 2024", "select customer_id from customers where year(signup_date) = 2024"),
        ("employees who left in 2023", "select employee_id from employees where year(termination_date) = 2023"),
        ("products created in 2023 (inclusive)", "select product_id from products where year(created_at) = 2023"),
    ],
)
def test_event_verbs(engine: Engine, prompt: str, sql: str) -> None:
    key = sql.split()[1]
    expect(engine, prompt, sql, key)


def test_two_dates_without_a_verb_is_unclear(engine: Engine) -> None:
    with pytest.raises(PlanAmbiguous, match="started_at.*ended_at"):  # the two readings differ: asked
        plan(engine, "sessions in the week of 2024-12-23")


def test_most_recently_started(engine: Engine) -> None:
    spec, rows = run(engine, "the 3 most recently started sessions")
    assert spec.limit == 3 and spec.order_by[0].column == "sessions.started_at"
    assert [r["session_id"] for r in rows] == [5, 4, 3]
    spec = plan(engine, "the two most recently opened acounts")
    assert spec.order_by[0].column == "accounts.opened_date" and spec.limit == 2


# ------------------------------------------------------------------------------------------------
# 2. examples are not conditions


@pytest.mark.parametrize(
    ("prompt", "refusal"),
    [
        ("sessions with the start date represented as a date (e.g. 2024-12-23)",
         "could not understand 'start', 'date', 'represented', 'date'"),
        ("sessions; show the start as a date, for example 2024-12-23", "could not understand 'start', 'date'"),
    ],
)
def test_examples_the_planner_cannot_read_yet_are_refused(engine: Engine, prompt: str, refusal: str) -> None:
    """The format part is not read yet: refused, and never for the example date."""
    with pytest.raises(PlanError) as ei:
        plan(engine, prompt)
    assert refusal in str(ei.value) and "2024-12-23" not in str(ei.value)


def test_examples_are_not_filters(engine: Engine) -> None:
    spec, rows = run(engine, "sessions (device type written in lower case, such as 'mobile')")
    assert spec.filters == []
    assert [(d.name, d.expression) for d in spec.derived_columns] == [("device_type_lower", "lower(sessions.device_type)")]
    assert len(rows) == engine.fetch("select count(*) from sessions").rows[0][0]


# ------------------------------------------------------------------------------------------------
# 5. orphans


@pytest.mark.parametrize(
    "prompt",
    [
        "products, and it's fine to lose any whose category is missing",
        "products; drop the ones without a category",
        "all products except the ones lacking a category",
        "products with their category name; products with no category should be excluded",
    ],
)
def test_orphans_dropped(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select product_id from products where category_id in "
                  "(select category_id from categories)", "product_id")  # fmt: skip
    assert joins(spec) == [("categories", "inner")]


@pytest.mark.parametrize(
    "prompt",
    [
        "order items, dropping any item whose product is unknown or whose product's category is unknown",
        "order items, ignoring items whose product or category cannot be found",
    ],
)
def test_orphans_chain(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select order_item_id from order_items oi join products p using (product_id) "
                  "join categories c using (category_id)", "order_item_id")  # fmt: skip
    assert sorted(joins(spec)) == [("categories", "inner"), ("products", "inner")]


@pytest.mark.parametrize(
    "prompt",
    [
        "employees plus the department name, excluding anyone whose department_id has no row in departments",
        "drop employees whose department_id is not in departments",
        "employees, excluding employees whose department does not exist",
        "employees with their department name; skip employees if the department can't be found",
    ],
)
def test_orphan_employees(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select employee_id from employees where department_id in "
                  "(select department_id from departments)", "employee_id")  # fmt: skip
    assert spec.source_tables[0].table_name == "employees"
    assert joins(spec) == [("departments", "inner")]


@pytest.mark.parametrize(
    "prompt",
    [
        "page views together with the username, dropping views whose session has no user or points at a user that "
        "doesn't exist",
        pytest.param("username for each page view; page views from sessions without a known user are left out",
                     marks=pytest.mark.xfail(strict=True, reason="orphans along two joins, the output column named "
                                             "first: PlanError, could not understand 'username'")),
    ],
)
def test_orphan_page_views(engine: Engine, prompt: str) -> None:
    expect(engine, prompt, "select view_id from page_views join sessions using (session_id) join users using (user_id)",
           "view_id")  # fmt: skip


@pytest.mark.parametrize("prompt", ["sessions, but drop anonymous sessions",
                                    "sessions; drop anonymous sessions (user_id empty)",
                                    "sessions, leaving out anonymous sessions (user_id is null)"])
def test_anonymous_sessions_dropped(engine: Engine, prompt: str) -> None:
    """An anonymous session has no user_id: a NULL test. A session whose user_id names no user is not
    anonymous — an inner join to users would drop it too."""
    spec = expect(engine, prompt, "select session_id from sessions where user_id is not null", "session_id")
    assert conds(spec) == [("sessions.user_id", "is_not_null", None)] and joins(spec) == []


def test_anonymous_dropped_orphans_kept(engine: Engine) -> None:
    """"skip X but keep Y": two clauses, each with its own verb."""
    spec = expect(engine, "sessions: session_id. Drop anonymous sessions but keep the ones whose user id is missing from users.",
                  "select session_id from sessions where user_id is not null", "session_id")  # fmt: skip
    assert conds(spec) == [("sessions.user_id", "is_not_null", None)]
    assert all(j != ("users", "inner") for j in joins(spec))


@pytest.mark.parametrize(
    "prompt",
    [
        "only orders whose customer exists",
        "orders that have a matching customer",
        "orders with a valid customer",
    ],
)
def test_only_existing(engine: Engine, prompt: str) -> None:
    expect(engine, prompt, "select order_id from orders where customer_id in (select customer_id from customers)",
           "order_id")  # fmt: skip


@pytest.mark.parametrize(
    "prompt",
    [
        "keep orders even if the customer is unknown",
        "orders, including those whose customer can't be found",
        "all orders - don't drop orders whose customer is missing",
        "orders with or without a known customer",
    ],
)
def test_orphans_kept(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select order_id from orders", "order_id")
    assert joins(spec) == [("customers", "left")]


def test_products_kept_without_category(engine: Engine) -> None:
    spec = expect(engine, "products including products without a category", "select product_id from products",
                  "product_id")  # fmt: skip
    assert joins(spec) == [("categories", "left")]


def test_without_a_verb_is_a_null_test(engine: Engine) -> None:
    spec = expect(engine, "products without a category", "select product_id from products where category_id is null",
                  "product_id")  # fmt: skip
    assert conds(spec) == [("products.category_id", "is_null", None)] and joins(spec) == []


@pytest.mark.parametrize(
    "prompt",
    [
        "Big buyers: customer ids with more than five orders. (Anonymous orders without a customer_id don't form a "
        "customer.)",
        "Top buyers: customer ids with over 4 orders. (Anonymous orders without a customer_id do not form a customer.)",
    ],
)
def test_anonymous_rows_are_not_an_anti_join(engine: Engine, prompt: str) -> None:
    """The request's own rows lacking their key ("anonymous orders without a customer_id") are rows to leave
    out of the groups: never the customers no order points at (an anti join), and never a planner crash."""
    try:
        spec = plan(engine, prompt)
    except PlanError as e:
        assert "could not understand" in e.message
        return
    assert all(j.join_type != "left" for j in spec.join_conditions), spec.join_conditions
    assert not any(op == "is_null" for _, op, _ in conds(spec)), conds(spec)


# ------------------------------------------------------------------------------------------------
# 6. no-ops


@pytest.mark.parametrize(
    ("prompt", "sql"),
    [
        ("all orders, no matter what status they have", "select order_id from orders"),
        ("orders regardless of status", "select order_id from orders"),
        ("web orders, all statuses", "select order_id from orders where channel = 'web'"),
        ("All orders, all statuses and channels.", "select order_id from orders"),
        ("orders of any status from 2024", "select order_id from orders where year(order_date) = 2024"),
        ("orders irrespective of the channel, placed in March 2024",
         "select order_id from orders where order_date between '2024-03-01' and '2024-03-31'"),
        ("orders; ignore currency differences", "select order_id from orders"),
        ("every order item, ignore discounts", "select order_item_id from order_items"),
        ("pending orders. No rounding needed.", "select order_id from orders where status = 'pending'"),
        pytest.param("sessions with browser values left untouched (don't change the case)",
                     "select session_id from sessions",
                     marks=pytest.mark.xfail(strict=True, reason="a no-op asking to keep values as stored: PlanError, "
                                             "could not understand 'browser', 'values', 'left', 'untouched'")),
        ("cancelled orders, otherwise keep the rows as they are", "select order_id from orders where status = 'cancelled'"),
    ],
)
def test_noops(engine: Engine, prompt: str, sql: str) -> None:
    key = sql.split()[1]
    expect(engine, prompt, sql, key)


@pytest.mark.parametrize(
    "prompt",
    [
        "employees, terminated people included",
        "all employees including terminated ones",
        "employees counting everyone ever hired",
        "employees (including those who were terminated)",
        "every employee, including the ones who left",
    ],
)
def test_terminated_included(engine: Engine, prompt: str) -> None:
    spec = expect(engine, prompt, "select employee_id from employees", "employee_id")
    assert spec.filters == []


def test_noop_notes(engine: Engine) -> None:
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import RULES, prepare, run_step

    catalog = engine.catalog()
    linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
    d, _ = prepare("orders regardless of status, no rounding needed", catalog, linker, reference_date=REF)
    for step in (s for s in RULES if s.name.startswith("noops.")):  # one step per kind of no-op phrase
        run_step(d, step)
    assert any("status" in n for n in d.notes) and any("round" in n for n in d.notes)


@pytest.mark.parametrize(
    ("prompt", "sql"),
    [
        # a no-op never swallows a real constraint
        ("all statuses except cancelled", "select order_id from orders where status != 'cancelled'"),
        ("orders with any discount code", "select order_id from orders where discount_code is not null"),
        ("orders including cancelled ones, from the web channel", "select order_id from orders where channel = 'web'"),
    ],
)
def test_noops_keep_real_constraints(engine: Engine, prompt: str, sql: str) -> None:
    expect(engine, prompt, sql, "order_id")


def test_a_noop_the_planner_cannot_read_yet_is_refused(engine: Engine) -> None:
    """"of any channel except web": the no-op wording is not read yet, so the request is refused (never
    planned without its "except web")."""
    with pytest.raises(PlanError, match="could not understand 'any'"):
        plan(engine, "orders of any channel except web")


def test_ignore_a_used_concept_is_not_a_noop(engine: Engine) -> None:
    with pytest.raises(PlanError):
        plan(engine, "order items with quantity times unit price minus discount; ignore discounts")


def test_date_parts_as_integers(engine: Engine) -> None:
    """The derived recognizer does not read date parts yet: refused, but never for "integers"."""
    with pytest.raises(PlanError) as ei:
        plan(engine, "orders with the year and month of the order date, both as integers")
    assert "could not understand 'year', 'month', 'order', 'date'" in str(ei.value)
    assert "integers" not in str(ei.value)


def test_including_a_state_value_is_no_filter(engine: Engine) -> None:
    spec, rows = run(engine, "order count per status including cancelled")
    assert spec.filters == [] and len(rows) == 5
    expect(engine, "orders including cancelled", "select order_id from orders", "order_id")


def test_including_an_entity_is_not_a_noop(engine: Engine) -> None:
    """"order items including <a product>" is a condition on what they contain: never silently dropped."""
    with pytest.raises(PlanError, match="could not understand 'including'"):
        plan(engine, "order items including Stark Eco Loafers")
