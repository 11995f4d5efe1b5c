"""One row at an end of an order, asked with no number (on a bike rental's tables).

"the cheapest bike", "the oldest bike", "the rental with the highest km": a superlative before a singular noun,
or "the <row> with the highest <column>", asks for one row (a top 1). A plural ("the rentals with the highest
km") does not say how many: refused, never every row (an output list once read "the highest km" as the column
km and returned them all). With a group in the sentence ("the cheapest bike of each model") it is one per group,
never one overall.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

RENTAL_SQL = """
CREATE TABLE bikes (bike_id INTEGER PRIMARY KEY, model VARCHAR, price_per_day DECIMAL(6,2), bought_on DATE);
INSERT INTO bikes VALUES (1, 'city', 12.0, '2021-04-01'), (2, 'city', 9.5, '2022-06-01'), (3, 'trail', 20.0, '2020-03-15'),
  (4, 'trail', 18.0, '2023-01-10');
CREATE TABLE rentals (rental_id INTEGER PRIMARY KEY, bike_id INTEGER REFERENCES bikes(bike_id), km INTEGER,
                      rented_on DATE, plan VARCHAR);
INSERT INTO rentals VALUES (1, 1, 14, '2025-05-01', 'hourly'), (2, 3, 41, '2025-05-02', 'daily'),
  (3, 2, 7, '2025-05-03', 'hourly'), (4, 4, 33, '2025-05-04', 'daily'), (5, 1, 12, '2025-05-05', 'hourly'),
  (6, 3, 20, '2025-05-06', 'daily'), (7, 3, 9, '2025-05-07', 'hourly'), (8, 3, 8, '2025-05-08', 'hourly'),
  (9, 3, 5, '2025-05-09', 'hourly');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "bike_rental", RENTAL_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the cheapest bike", "SELECT * FROM bikes ORDER BY price_per_day LIMIT 1"),
    ("Show me the most expensive bike", "SELECT * FROM bikes ORDER BY price_per_day DESC LIMIT 1"),
    ("the oldest bike", "SELECT * FROM bikes ORDER BY bought_on LIMIT 1"),
    ("the rental with the highest km", "SELECT * FROM rentals ORDER BY km DESC LIMIT 1"),
    ("the bike with the lowest price_per_day", "SELECT * FROM bikes ORDER BY price_per_day LIMIT 1"),
])  # fmt: skip
def test_one_row_at_an_end_of_an_order(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert spec.limit == 1


@pytest.mark.parametrize("prompt", [
    "the rentals with the highest km",
    "the cheapest bikes",
])  # fmt: skip
def test_a_plural_says_no_number_and_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


def test_one_per_group_is_never_one_overall(engine: Any) -> None:
    try:
        spec = plan(engine, "the cheapest bike of each model")
    except PlanError:
        return
    assert spec.limit is None


def test_the_group_with_the_most_rows_of_a_kind(engine: Any) -> None:
    """"which bike has the most hourly rentals?": the hourly rentals counted per bike, the first kept (bike 3 has
    the most rentals of all, bike 3 too of hourly ones here: 3 against bike 1's 2)."""
    spec = check(engine, "which bike has the most hourly rentals?",
                 "SELECT bike_id, count(*) AS n FROM rentals WHERE plan = 'hourly' GROUP BY 1 ORDER BY n DESC LIMIT 1")  # fmt: skip
    assert spec.limit == 1 and spec.filters


@pytest.mark.parametrize("prompt", [
    "top 2 rentals per bike by km",
    "the top 2 rentals in each bike by km",
    "the 2 longest rentals per bike by km",
])  # fmt: skip
def test_the_top_rows_of_each_group_by_a_column_of_the_rows(engine: Any, prompt: str) -> None:
    """The 2 rentals with the most km of each bike (never the 2 bikes with the highest total km)."""
    spec = check(engine, prompt, "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY bike_id ORDER BY km DESC) "
                                 "AS r FROM rentals) WHERE r <= 2")  # fmt: skip
    assert spec.windows and not spec.aggregations
