"""Planner: a quantity that adds up, named bare before a grouping ("revenue by region", "spend per client",
"monthly sales"), is its sum; a price or a score said the same way is no sum (refused). A year after "in" dates
the rows even right after a money word ("monthly revenue in 2024").

A small wholesale warehouse built here (invoices of clients in regions), unlike the benchmark's domains.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

WHOLESALE_SQL = """
CREATE TABLE invoices (invoice_id INTEGER PRIMARY KEY, region VARCHAR, amount DECIMAL(10,2), unit_price DECIMAL(8,2),
  state VARCHAR, issued_on DATE);
INSERT INTO invoices VALUES (1, 'west', 100.00, 5.00, 'paid', '2024-01-15'), (2, 'west', 50.00, 7.00, 'open', '2024-02-01'),
  (3, 'east', 70.00, 4.00, 'paid', '2024-02-20'), (4, 'east', 30.00, 9.00, 'paid', '2023-12-31'),
  (5, 'north', 10.00, 2.00, 'open', '2024-03-03');
CREATE TABLE tariffs (tariff_id INTEGER PRIMARY KEY, price_per_seat DECIMAL(8,2), seat_cap INTEGER);
INSERT INTO tariffs VALUES (1, 9.00, 10), (2, 12.00, 10), (3, 7.00, 50), (4, 15.00, 50);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "wholesale", WHOLESALE_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("revenue by region", "SELECT region, sum(amount) FROM invoices GROUP BY 1"),
    ("sales per region", "SELECT region, sum(amount) FROM invoices GROUP BY 1"),
    ("invoice amount by region", "SELECT region, sum(amount) FROM invoices GROUP BY 1"),
    ("paid revenue by region", "SELECT region, sum(amount) FROM invoices WHERE state = 'paid' GROUP BY 1"),
    ("monthly revenue in 2024",
     "SELECT CAST(date_trunc('month', issued_on) AS DATE), sum(amount) FROM invoices "
     "WHERE issued_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1"),
])  # fmt: skip
def test_a_bare_flow_before_a_grouping_is_its_sum(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["unit price by region", "price per region"])
def test_a_bare_price_before_a_grouping_is_no_sum(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


def test_a_column_named_with_per_is_no_grouping(engine: Any) -> None:
    """'top 2 tariffs by price per seat' orders by price_per_seat (it was the top 2 per seat_cap)."""
    check(engine, "top 2 tariffs by price per seat",
          "SELECT * FROM tariffs ORDER BY price_per_seat DESC LIMIT 2")
