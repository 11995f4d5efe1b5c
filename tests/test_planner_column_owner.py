"""A column phrase whose own word names a table reads that table's column (a building society's tables).

"total transaction amount per customer region": "transaction" names ``transactions``; the plan once read
``orders.amount`` (a table next to customers, and "transaction" is also a synonym of an order) and published
the orders' total with ``pass``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

SOCIETY_SQL = """
CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, region VARCHAR);
INSERT INTO customers VALUES (1, 'north'), (2, 'south');
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),
                     amount DECIMAL(8,2));
INSERT INTO orders VALUES (1, 1, 10), (2, 2, 20);
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id));
INSERT INTO accounts VALUES (100, 1), (200, 2);
CREATE TABLE transactions (transaction_id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES accounts(account_id),
                           amount DECIMAL(8,2));
INSERT INTO transactions VALUES (1, 100, 500), (2, 100, 250), (3, 200, 75);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "society", SOCIETY_SQL)


def test_the_table_a_column_phrase_names_wins_over_context(engine: Any) -> None:
    check(engine, "total transaction amount per customer region",
          "SELECT region, sum(t.amount) FROM transactions t JOIN accounts USING (account_id) "
          "JOIN customers USING (customer_id) GROUP BY 1")  # fmt: skip


def test_a_column_word_alone_still_reads_the_context(engine: Any) -> None:
    check(engine, "total amount per customer region",
          "SELECT region, sum(amount) FROM orders JOIN customers USING (customer_id) GROUP BY 1")  # fmt: skip
