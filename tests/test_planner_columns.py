"""Planner: output lists opened by headings and request verbs, column phrases, names for computed columns.

Every request runs end to end on the demo warehouse plus small web-analytics and banking tables,
and is compared with a hand-written query (sorted rows).
"""

from __future__ import annotations

import pytest
from tests.planner_support import check, plan, planner_engine

from datamorph.errors import PlanError

_EXTRA_SQL = """
CREATE TABLE users (user_id INTEGER PRIMARY KEY, username VARCHAR, country VARCHAR, created_at TIMESTAMP, plan VARCHAR);
INSERT INTO users VALUES
 (1,'alice','US','2024-01-05 10:00:00','free'),(2,'bob','DE','2024-02-11 09:30:00','pro'),
 (3,'carol','US','2024-03-20 14:00:00','enterprise'),(4,'dave','FR','2024-05-01 08:00:00','pro'),
 (5,'erin','GB','2024-06-15 17:45:00','free');
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(user_id),
 started_at TIMESTAMP, ended_at TIMESTAMP, device_type VARCHAR, browser VARCHAR, traffic_source VARCHAR);
INSERT INTO sessions VALUES
 (10,1,'2025-01-01 10:00:00','2025-01-01 10:20:00','desktop','Chrome','organic'),
 (11,1,'2025-01-03 11:00:00','2025-01-03 11:05:00','mobile','Safari','paid'),
 (12,2,'2025-01-02 09:00:00','2025-01-02 09:40:00','desktop','Firefox','referral'),
 (13,3,'2025-01-04 12:00:00','2025-01-04 12:10:00','tablet','Safari','organic'),
 (14,4,'2025-01-05 15:00:00','2025-01-05 15:30:00','mobile','Chrome','paid'),
 (15,5,'2025-01-06 16:00:00','2025-01-06 16:02:00','mobile','Chrome','organic');
CREATE TABLE page_views (view_id INTEGER, session_id INTEGER REFERENCES sessions(session_id), page_url VARCHAR,
 viewed_at TIMESTAMP, time_on_page_sec INTEGER);
INSERT INTO page_views VALUES
 (100,10,'/home','2025-01-01 10:00:00',30),(101,10,'/pricing','2025-01-01 10:01:00',120),
 (101,10,'/pricing','2025-01-01 10:01:00',120),(102,11,'/home','2025-01-03 11:00:00',15),
 (103,12,'/docs','2025-01-02 09:00:00',600),(104,13,'/home','2025-01-04 12:00:00',45),
 (104,13,'/home','2025-01-04 12:00:00',45),(105,14,'/pricing','2025-01-05 15:00:00',90),
 (106,15,'/home','2025-01-06 16:00:00',5);
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id INTEGER, account_type VARCHAR, status VARCHAR,
 opened_date DATE, closed_date DATE, credit_limit DECIMAL(10,2));
INSERT INTO accounts VALUES
 (500,1,'checking','open','2023-01-01',NULL,NULL),(501,1,'savings','closed','2023-02-01','2024-06-01',NULL),
 (502,2,'credit','open','2023-03-15',NULL,5000),(503,3,'checking','closed','2022-07-01','2024-01-10',NULL),
 (504,4,'credit','open','2024-01-01',NULL,2500),(505,5,'savings','open','2024-04-04',NULL,NULL);
CREATE TABLE transactions (transaction_id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(account_id),
 transaction_date DATE, transaction_type VARCHAR, direction VARCHAR, amount DECIMAL(10,2), status VARCHAR);
INSERT INTO transactions VALUES
 (1,500,'2025-01-02','deposit','credit',1000,'posted'),(2,500,'2025-01-05','purchase','debit',120.5,'posted'),
 (3,501,'2025-01-06','transfer','debit',300,'pending'),(4,502,'2025-01-07','purchase','debit',75,'posted'),
 (5,502,'2025-01-09','payment','credit',75,'reversed'),(6,503,'2025-01-10','withdrawal','debit',50,'posted'),
 (7,504,'2025-01-11','purchase','debit',220,'posted'),(8,505,'2025-01-12','deposit','credit',400,'posted');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    yield from planner_engine(tmp_path_factory, _EXTRA_SQL)


# -- output lists opened by verbs and headings ------------------------------------------------------

LISTS = [
    ("Make a contact sheet from the customers table with only three columns: customer_id, first_name, email.",
     "SELECT customer_id, first_name, email FROM customers", ["customer_id", "first_name", "email"]),
    ("Build a user directory from users with just these columns: user_id, username, country",
     "SELECT user_id, username, country FROM users", ["user_id", "username", "country"]),
    ("Produce an account list: account_id, account_type, status.",
     "SELECT account_id, account_type, status FROM accounts", ["account_id", "account_type", "status"]),
    ("Attach the category name to each product: product_id, product_name, category_name. Products without a "
     "category can be dropped.",
     "SELECT product_id, product_name, category_name FROM products JOIN categories USING (category_id)",
     ["product_id", "product_name", "category_name"]),
    ("Tag page views with the subscription plan of the user behind the session: view_id, page_url, plan.",
     "SELECT view_id, page_url, plan FROM page_views JOIN sessions USING (session_id) JOIN users USING (user_id)",
     ["view_id", "page_url", "plan"]),
    ("Show each employee alongside the name of their department - employee_id, first_name, last_name, "
     "department_name. Leave out employees without a matching department.",
     "SELECT employee_id, first_name, last_name, department_name FROM employees JOIN departments "
     "USING (department_id)", ["employee_id", "first_name", "last_name", "department_name"]),
    ("Pull sessions: session_id, device_type, browser",
     "SELECT session_id, device_type, browser FROM sessions", ["session_id", "device_type", "browser"]),
]


@pytest.mark.parametrize("prompt, sql, cols", LISTS)
def test_lists_opened_by_verbs_and_headings(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


RENAMES = [
    ("Copy the departments table with the columns renamed: department_id -> dept_id, department_name -> dept_name, "
     "location -> site. Leave the cost center out.",
     "SELECT department_id AS dept_id, department_name AS dept_name, location AS site FROM departments",
     ["dept_id", "dept_name", "site"]),
    ("Copy the users table with the columns renamed: user_id -> id, username -> handle, country -> cc, "
     "created_at -> signup_ts. Leave the plan out.",
     "SELECT user_id, username, country, created_at FROM users", ["id", "handle", "cc", "signup_ts"]),
]


@pytest.mark.parametrize("prompt, sql, cols", RENAMES)
def test_rename_lists(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


# -- names written apart from their measure; measures named in a list ------------------------------

MEASURE_NAMES = [
    ("Number of orders per customer as order_count",
     "SELECT customer_id, count(*) FROM orders GROUP BY 1", ["customer_id", "order_count"]),
    ("count of sessions per device type, as n_sessions",
     "SELECT device_type, count(*) FROM sessions GROUP BY 1", ["device_type", "n_sessions"]),
    ("Share of closed accounts per account type, as closed_ratio",
     "SELECT account_type, count(*) FILTER (WHERE status = 'closed') * 1.0 / count(*) FROM accounts GROUP BY 1",
     ["account_type", "closed_ratio"]),
    ("Return the customer_id and how many orders each has",
     "SELECT customer_id, count(*) FROM orders GROUP BY 1", None),
    ("Number of orders for every customer, customers who never ordered must appear with 0. customer_id and "
     "order_count",
     "SELECT c.customer_id, count(o.order_id) FROM customers c LEFT JOIN orders o USING (customer_id) GROUP BY 1",
     ["customer_id", "order_count"]),
]


@pytest.mark.parametrize("prompt, sql, cols", MEASURE_NAMES)
def test_measure_names(engine, prompt: str, sql: str, cols: list[str] | None) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


# -- table words with row nouns; multi-word table synonyms -----------------------------------------

TABLE_PHRASES = [
    ("Show salary records", "SELECT * FROM salaries"),
    ("all transaction entries", "SELECT * FROM transactions"),
    ("List order rows", "SELECT * FROM orders"),
    ("order lines", "SELECT * FROM order_items"),
    ("each order line with line_total = quantity times unit_price",
     "SELECT *, quantity * unit_price FROM order_items"),
]


@pytest.mark.parametrize("prompt, sql", TABLE_PHRASES)
def test_table_phrases(engine, prompt: str, sql: str) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql)


# -- a note in parentheses belongs to its item ------------------------------------------------------

NOTES = [
    ("Return customer_id, first_name and email (may be empty) from customers",
     "SELECT customer_id, first_name, email FROM customers", ["customer_id", "first_name", "email"]),
    ("users: user_id, username (their login handle) and country",
     "SELECT user_id, username, country FROM users", ["user_id", "username", "country"]),
    ("Within each category, rank the products by unit price with the most expensive first. Return product_id, "
     "category_id, unit_price and price_rank (1 = most expensive)",
     "SELECT product_id, category_id, unit_price, rank() OVER (PARTITION BY category_id ORDER BY unit_price DESC) "
     "FROM products", ["product_id", "category_id", "unit_price", "price_rank"]),
    ("Running balance per account over posted transactions only: credits add the amount, debits subtract it. "
     "Within an account, order by transaction_date and then transaction_id. Output transaction_id, account_id "
     "and running_balance (the balance right after that transaction).",
     "SELECT transaction_id, account_id, sum(CASE WHEN direction = 'credit' THEN amount ELSE -amount END) OVER "
     "(PARTITION BY account_id ORDER BY transaction_date, transaction_id ROWS BETWEEN UNBOUNDED PRECEDING AND "
     "CURRENT ROW) FROM transactions WHERE status = 'posted'", ["transaction_id", "account_id", "running_balance"]),
]


@pytest.mark.parametrize("prompt, sql, cols", NOTES)
def test_item_notes(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


# -- a table word in a list of the rows' columns is that table's key ---------------------------------

TABLE_KEYS = [
    ("Show me the pending transactions that are bigger than 100 - transaction id, account, amount and the "
     "transaction date.",
     "SELECT transaction_id, account_id, amount, transaction_date FROM transactions WHERE status = 'pending' "
     "AND amount > 100", ["transaction_id", "account_id", "amount", "transaction_date"]),
    ("Pending orders bigger than 200 - order id, customer, amount",
     "SELECT order_id, customer_id, amount FROM orders WHERE status = 'pending' AND amount > 200",
     ["order_id", "customer_id", "amount"]),
    ("sessions on mobile: session id, user, browser",
     "SELECT session_id, user_id, browser FROM sessions WHERE device_type = 'mobile'",
     ["session_id", "user_id", "browser"]),
    ("salary records over 100000 - employee, salary and the effective date",
     "SELECT employee_id, salary, effective_date FROM salaries WHERE salary > 100000",
     ["employee_id", "salary", "effective_date"]),
]


@pytest.mark.parametrize("prompt, sql, cols", TABLE_KEYS)
def test_table_word_is_key(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql, cols)
    assert len(spec.source_tables) == 1  # the named table is not joined just for its key


# -- possessive items ---------------------------------------------------------------------------------

POSSESSIVES = [
    ("Give me every employee's id with their performance rating, but where the rating is missing put 0 instead.",
     "SELECT employee_id, coalesce(performance_rating, 0) FROM employees", ["employee_id", "performance_rating"]),
    ("each customer's email and phone", "SELECT email, phone FROM customers", ["email", "phone"]),
    ("every product's name and price", "SELECT product_name, unit_price FROM products",
     ["product_name", "unit_price"]),
    ("every user's username with their country", "SELECT username, country FROM users", ["username", "country"]),
]


@pytest.mark.parametrize("prompt, sql, cols", POSSESSIVES)
def test_possessive_items(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


# -- items end where another recognizer's words begin; a bare list after a question ------------------

AFTER_QUESTION = [
    ("For each account type, what fraction of the accounts is closed? account_type and closed_ratio as a number "
     "between 0 and 1, rounded to 4 decimal places.",
     "SELECT account_type, round(count(*) FILTER (WHERE status = 'closed') * 1.0 / count(*), 4) FROM accounts "
     "GROUP BY 1", ["account_type", "closed_ratio"]),
    ("Total amount per channel? channel and total_amount, rounded to 2 decimals.",
     "SELECT channel, round(sum(amount), 2) FROM orders GROUP BY 1", ["channel", "total_amount"]),
    ("How many sessions does each device type have? device_type and session_count.",
     "SELECT device_type, count(*) FROM sessions GROUP BY 1", ["device_type", "session_count"]),
    ("Which products are inactive? Just the ids and names.",
     "SELECT product_id, product_name FROM products WHERE NOT is_active", ["product_id", "product_name"]),
    ("What are the sessions on mobile? session_id, user_id and browser.",
     "SELECT session_id, user_id, browser FROM sessions WHERE device_type = 'mobile'",
     ["session_id", "user_id", "browser"]),
]


@pytest.mark.parametrize("prompt, sql, cols", AFTER_QUESTION)
def test_lists_after_questions(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    check(engine, prompt, sql, cols)


# -- a key column written as is belongs to the rows listed ------------------------------------------

HOME_ROWS = [
    ("Rank products within their category by price, most expensive first. Return product_id, category_id, "
     "unit_price and price_rank.",
     "SELECT product_id, category_id, unit_price, rank() OVER (PARTITION BY category_id ORDER BY unit_price DESC) "
     "FROM products", ["product_id", "category_id", "unit_price", "price_rank"]),
    ("accounts with their transactions: transaction_id, account_id, amount",
     "SELECT transaction_id, account_id, amount FROM transactions", ["transaction_id", "account_id", "amount"]),
    ("Departments and their employees - employee_id, department_id, first_name",
     "SELECT employee_id, department_id, first_name FROM employees", ["employee_id", "department_id", "first_name"]),
]


@pytest.mark.parametrize("prompt, sql, cols", HOME_ROWS)
def test_key_columns_of_the_rows(engine, prompt: str, sql: str, cols: list[str]) -> None:  # type: ignore[no-untyped-def]
    spec = check(engine, prompt, sql, cols)
    assert len(spec.source_tables) == 1


# -- what cannot be grounded is reported --------------------------------------------------------------

@pytest.mark.parametrize("prompt", [
    "Show the computed categories",  # an inflected verb is no typo of the value 'Computers'
    "Return customer_id, frobnicate_score and email from customers",
    "Return customer_id and email (lowercased)",  # a note that instructs is not a description of its item
])
def test_unclear_raises(engine, prompt: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PlanError):
        plan(engine, prompt)


@pytest.mark.parametrize(("prompt", "refusal"), [
    ("Employee directory: employee_id and full name (first name, a space, last name) as full_name.",
     "could not understand 'full', 'name', 'first', 'name', 'last', 'name', 'full_name'"),
    ("customers: customer_id and contact (email or phone)", "could not understand 'email', 'or', 'phone'"),
])
def test_a_note_that_says_how_to_build_an_item_is_never_skipped(engine, prompt: str, refusal: str) -> None:  # type: ignore[no-untyped-def]
    """A parenthetical naming several columns is part of the request: never dropped. The planner cannot
    read these notes yet, so it refuses them, quoting the note's words."""
    with pytest.raises(PlanError) as ei:
        plan(engine, prompt)
    assert refusal in str(ei.value)
