"""Planner robustness on analyst phrasings: verbs and idioms that restate a table ("customers who live in
Berlin", "products sold", "on file"), number words, a table's own name against a synonym, anti-joins
("never ordered"), string functions, and windows named or partitioned in passing.

Every request runs end to end against a hand-written query; near misses must raise PlanError.
"""

from __future__ import annotations

import pytest
from tests.planner_support import check, plan, planner_engine
from tests.test_planner_shape_gaps import EXTRA

from datamorph.errors import PlanError


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from planner_engine(tmp_path_factory, EXTRA)


def refused(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- glue: where someone lives or works, what a row records ---------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("Which customers live in Berlin?", "SELECT * FROM customers WHERE city = 'Berlin'"),
    ("customers who live in London, just first name, last name and email",
     "SELECT first_name, last_name, email FROM customers WHERE city = 'London'"),
    ("Which customers are based in Paris?", "SELECT * FROM customers WHERE city = 'Paris'"),
    ("customers based in Manchester", "SELECT * FROM customers WHERE city = 'Manchester'"),
    ("people working in Engineering: first_name, last_name",
     "SELECT e.first_name, e.last_name FROM employees e JOIN departments d USING (department_id) "
     "WHERE d.department_name = 'Engineering'"),
    ("employees who work in Sales: employee_id, job_title",
     "SELECT e.employee_id, e.job_title FROM employees e JOIN departments d USING (department_id) "
     "WHERE d.department_name = 'Sales'"),
])  # fmt: skip
def test_where_they_are(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt, sql", [
    ("list the orders that were bought in store", "SELECT * FROM orders WHERE channel = 'store'"),
    ("orders purchased through the phone channel", "SELECT * FROM orders WHERE channel = 'phone'"),
    ("orders that were placed via mobile app", "SELECT * FROM orders WHERE channel = 'mobile_app'"),
    ("orders bought in 2024", "SELECT * FROM orders WHERE order_date BETWEEN '2024-01-01' AND '2024-12-31'"),
    ("total quantity of items purchased per order: order_id and total_qty",
     "SELECT order_id, sum(quantity) FROM order_items GROUP BY 1"),
    ("Total quantity sold per category name, biggest first",
     "SELECT c.category_name, sum(oi.quantity) FROM order_items oi JOIN products p USING (product_id) "
     "JOIN categories c ON c.category_id = p.category_id GROUP BY 1"),
    ("total units sold per product_id", "SELECT product_id, sum(quantity) FROM order_items GROUP BY 1"),
])  # fmt: skip
def test_activity_verbs(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt, sql", [
    ("all customers on file", "SELECT * FROM customers"),
    ("every employee on record with their job title: employee_id, job_title",
     "SELECT employee_id, job_title FROM employees"),
    ("How many employees are in the system?", "SELECT count(*) FROM employees"),
    ("Highest salary ever recorded for each employee: employee_id and max_salary",
     "SELECT employee_id, max(salary) FROM salaries GROUP BY 1"),
    ("the largest order amount of all time", "SELECT max(amount) FROM orders"),
])  # fmt: skip
def test_record_idioms(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt", [
    "customers who live in Atlantis",  # no such city: the verb stays unexplained
    "orders bought in the warehouse",
    "products sold in 2024",  # when they sold, not when the product row was created
    "products purchased last year",
    "transactions that went through",
])  # fmt: skip
def test_glue_near_misses(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    refused(engine, prompt)


# -- numbers in words, British spellings ---------------------------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("orders worth more than two thousand", "SELECT * FROM orders WHERE amount > 2000"),
    ("orders over one thousand five hundred", "SELECT * FROM orders WHERE amount > 1500"),
    ("accounts with a credit limit above ten thousand", "SELECT * FROM accounts WHERE credit_limit > 10000"),
    ("transactions of more than two hundred and fifty", "SELECT * FROM transactions WHERE amount > 250"),
    ("orders above 1.5 thousand", "SELECT * FROM orders WHERE amount > 1500"),
])  # fmt: skip
def test_number_words(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


def test_compound_number_tokens() -> None:
    from datamorph.planner.text import tokenize

    def nums(s: str) -> list[object]:
        return [t.value for t in tokenize(s).items if t.kind == "number"]

    assert nums("two thousand") == [2000]
    assert nums("five hundred and fifty") == [550]
    assert nums("twenty five rows") == [25]
    assert nums("3 million") == [3_000_000]
    assert nums("one or two") == [1, 2]
    assert nums("top ten and five") == [10, 5]


@pytest.mark.parametrize("prompt, sql", [
    ("Summarise the number of sessions per device type", "SELECT device_type, count(*) FROM sessions GROUP BY 1"),
    ("summarize the count of orders per channel", "SELECT channel, count(*) FROM orders GROUP BY 1"),
    ("Count of cancelled orders by customer, organised by customer_id",
     "SELECT customer_id, count(*) FROM orders WHERE status = 'cancelled' GROUP BY 1"),
    ("number of orders per channel, arranged by channel",
     "SELECT channel, count(*) FROM orders GROUP BY 1"),
])  # fmt: skip
def test_british_and_verbs(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


# -- a table's own name beats another table's synonym ---------------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("users who signed up in 2024",
     "SELECT * FROM users WHERE created_at >= '2024-01-01' AND created_at < '2025-01-01'"),
    ("users that signed up in 2025: user_id, username",
     "SELECT user_id, username FROM users WHERE created_at >= '2025-01-01' AND created_at < '2026-01-01'"),
    ("count of users who signed up in 2024",
     "SELECT count(*) FROM users WHERE created_at >= '2024-01-01' AND created_at < '2025-01-01'"),
])  # fmt: skip
def test_own_table_name(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql)
    assert spec.source_tables[0].table_name == "users"


# -- anti-joins: rows with no match ----------------------------------------------------------------


@pytest.mark.parametrize("prompt, sql", [
    ("Which products were never ordered?",
     "SELECT * FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = p.product_id)"),
    ("list products that have never been ordered",
     "SELECT * FROM products p WHERE NOT EXISTS (SELECT 1 FROM order_items i WHERE i.product_id = p.product_id)"),
    ("customers who have never placed an order: customer_id, email",
     "SELECT customer_id, email FROM customers c WHERE NOT EXISTS "
     "(SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)"),
    ("customers who never ordered",
     "SELECT * FROM customers c WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)"),
])  # fmt: skip
def test_never(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql)
    assert all(j.join_type == "left" for j in spec.join_conditions)


# -- string functions -------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt, sql, cols", [
    ("customer emails in lower case, called email_lower, with customer_id",
     "SELECT lower(email), customer_id FROM customers", ["email_lower", "customer_id"]),
    ("upper-case country for every user: user_id, country_upper",
     "SELECT user_id, upper(country) FROM users", ["user_id", "country_upper"]),
    ("first 3 letters of each product name as short_name, with product_id",
     "SELECT left(product_name, 3), product_id FROM products", ["short_name", "product_id"]),
    ("the first three characters of the product name as short_name: product_id, short_name",
     "SELECT product_id, left(product_name, 3) FROM products", ["product_id", "short_name"]),
    ("the last four digits of the phone for every customer: customer_id, phone_tail",
     "SELECT customer_id, right(phone, 4) FROM customers", ["customer_id", "phone_tail"]),
    ("trim spaces from city for all customers: customer_id, city_clean",
     "SELECT customer_id, trim(city) FROM customers", ["customer_id", "city_clean"]),
    ("length of the product name for each product - product_id, name_length",
     "SELECT product_id, length(product_name) FROM products", ["product_id", "name_length"]),
    ("usernames in upper case: user_id and username_upper",
     "SELECT user_id, upper(username) FROM users", ["user_id", "username_upper"]),
])  # fmt: skip
def test_string_functions(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


@pytest.mark.parametrize("prompt", [
    "amount in lower case",  # not a text column
    "length of the amount for each order",
    "the first 3 letters of the wibble for each product",
])  # fmt: skip
def test_string_near_misses(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    refused(engine, prompt)


# -- windows named and partitioned in passing --------------------------------------------------------


@pytest.mark.parametrize("prompt, sql, cols", [
    ("row number per user by started_at as session_seq; session_id, user_id, session_seq",
     "SELECT session_id, user_id, row_number() OVER (PARTITION BY user_id ORDER BY started_at) FROM sessions",
     ["session_id", "user_id", "session_seq"]),
    ("number the transactions within each account by transaction id as txn_no: transaction_id, account_id, txn_no",
     "SELECT transaction_id, account_id, row_number() OVER (PARTITION BY account_id ORDER BY transaction_id) "
     "FROM transactions", ["transaction_id", "account_id", "txn_no"]),
    ("Rank current salaries (end_date is null) from highest to lowest, with dense ranking: employee_id, salary "
     "and salary_rank",
     "SELECT employee_id, salary, dense_rank() OVER (ORDER BY salary DESC) FROM salaries WHERE end_date IS NULL",
     ["employee_id", "salary", "salary_rank"]),
    ("dense rank the salaries from highest to lowest: employee_id, salary, salary_rank",
     "SELECT employee_id, salary, dense_rank() OVER (ORDER BY salary DESC) FROM salaries",
     ["employee_id", "salary", "salary_rank"]),
    ("dense rank products by unit price, most expensive first, as price_rank: product_id, unit_price, price_rank",
     "SELECT product_id, unit_price, dense_rank() OVER (ORDER BY unit_price DESC) FROM products",
     ["product_id", "unit_price", "price_rank"]),
])  # fmt: skip
def test_windows_in_passing(engine, prompt: str, sql: str, cols: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


def test_row_number_partition_is_kept(engine) -> None:  # type: ignore[no-untyped-def]
    spec = plan(engine, "row number per customer by order date as order_seq; order_id, order_seq")
    assert spec.windows[0].partition_by == ["orders.customer_id"]


def test_rank_without_a_measure_is_refused(engine) -> None:  # type: ignore[no-untyped-def]
    refused(engine, "rank the wibbles from highest to lowest")


def test_overlong_request_is_refused_with_the_limit(fixture_catalog) -> None:  # type: ignore[no-untyped-def]
    from datamorph.planner import MAX_REQUEST_CHARS, plan_request

    class NoEngine:  # the length check comes before the engine is touched
        pass

    with pytest.raises(PlanError, match=f"up to {MAX_REQUEST_CHARS:,} characters"):
        plan_request("total amount per customer " * 200, NoEngine(), catalog=fixture_catalog)  # type: ignore[arg-type]


def test_refusal_never_suggests_the_word_itself(engine) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError) as e:
        plan(engine, "orders frobbed per status")
    assert "did you mean 'status'" not in str(e.value)
