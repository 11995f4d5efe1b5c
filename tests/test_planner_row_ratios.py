"""One value of a row as a percent (or fraction) of another of the same row ("margin as a percent of price"), on
a bakery's items: a value per row, NULL where the second value is 0 — never each row's share of a column total.

Misreading: "margin as a percent of price" was planned as each product's share of the sum of all prices.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

ITEMS_SQL = """
CREATE TABLE items (item_id INTEGER PRIMARY KEY, item_name VARCHAR, category VARCHAR, list_price DECIMAL(8,2),
                    unit_cost DECIMAL(8,2));
INSERT INTO items VALUES (1, 'Rye loaf', 'bread', 4.00, 1.50), (2, 'Bagel', 'bread', 1.20, 0.40),
  (3, 'Eclair', 'pastry', 2.50, 1.00), (4, 'Sample', 'pastry', 0.00, 0.30);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "bakery_items", ITEMS_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("items with unit_cost as a percentage of list_price",
     "SELECT *, 100.0 * unit_cost / NULLIF(list_price, 0) FROM items"),
    ("item_name and unit cost as a fraction of the list price",
     "SELECT item_name, 1.0 * unit_cost / NULLIF(list_price, 0) FROM items"),
    ("Per item, margin = list_price - unit_cost, and margin as a percent of price",
     "SELECT *, list_price - unit_cost, 100.0 * (list_price - unit_cost) / NULLIF(list_price, 0) FROM items"),
])  # fmt: skip
def test_a_row_value_over_another_of_the_same_row(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert not spec.aggregations and not spec.group_by


def test_a_measure_as_a_percent_of_all_rows_stays_a_share_of_the_total(engine: Any) -> None:
    check(engine, "number of items per category as a percent of all items",
          "SELECT category, COUNT(*), 100.0 * COUNT(*) / SUM(COUNT(*)) OVER () FROM items GROUP BY 1")
