"""Window functions said in other words, planned and run on a small shops warehouse built in the test: a group's
value next to each row ("the average amount of its shop", "its shop's total amount", a share of it, as a percent),
row numbers and ranks with the owner said as a possessive or "inside each X", the order said in words ("in time
order", "newest first", "in bought_on order"), "the top N of their X", running values over a period series, and the
frame "this month and the one before it". The refusals: a table with two dates and no date named, a value of
another table than the rows', words between a rank verb and "by" that nothing reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SHOPS_SQL = """
CREATE TABLE regions (region_id INTEGER PRIMARY KEY, region_name VARCHAR);
INSERT INTO regions VALUES (1, 'north'), (2, 'south');
CREATE TABLE shops (shop_id INTEGER PRIMARY KEY, region_id INTEGER REFERENCES regions(region_id), shop_name VARCHAR,
  floor_area INTEGER);
INSERT INTO shops VALUES (1, 1, 'Ash', 120), (2, 1, 'Birch', 80), (3, 1, 'Cedar', 200), (4, 2, 'Dogwood', 150),
  (5, 2, 'Elm', 90);
CREATE TABLE purchases (purchase_id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shops(shop_id), bought_on DATE,
  amount DECIMAL(10,2), channel VARCHAR);
INSERT INTO purchases VALUES (1, 1, '2025-01-03', 10, 'web'), (2, 1, '2025-01-05', 30, 'store'), (3, 2, '2025-01-04', 20, 'web'),
  (4, 1, '2025-02-01', 40, 'web'), (5, 2, '2025-02-07', 5, 'store'), (6, 3, '2025-03-02', 25, 'store'),
  (7, 3, '2025-03-09', 15, 'web');
CREATE TABLE shifts (shift_id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shops(shop_id), starts_at TIMESTAMP,
  ends_at TIMESTAMP, staff INTEGER);
INSERT INTO shifts VALUES (1, 1, '2025-01-01 08:00', '2025-01-01 16:00', 3), (2, 1, '2025-01-02 08:00',
  '2025-01-02 12:00', 2), (3, 2, '2025-01-01 09:00', '2025-01-01 17:00', 4);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "window_phrasing", SHOPS_SQL)


_SHARE = "CAST(amount AS DOUBLE) / NULLIF(SUM(amount) OVER (PARTITION BY shop_id), 0)"


# -- a group's value next to each row: a window over the row's group, never a grouping by the row's column --------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("each purchase's amount and the average amount of its shop",
     "SELECT amount, AVG(amount) OVER (PARTITION BY shop_id) FROM purchases"),
    ("shops with the largest floor_area in their region",
     "SELECT *, MAX(floor_area) OVER (PARTITION BY region_id) FROM shops"),
    ("purchases with their shop's total amount", "SELECT *, SUM(amount) OVER (PARTITION BY shop_id) FROM purchases"),
    ("each purchase with the number of purchases of the same shop", "SELECT *, COUNT(*) OVER (PARTITION BY shop_id) FROM purchases"),
    ("web purchases with their shop's total amount",  # the filter applies before the window
     "SELECT *, SUM(amount) OVER (PARTITION BY shop_id) FROM purchases WHERE channel = 'web'"),
    ("each purchase's share of its shop's total amount", f"SELECT *, {_SHARE} FROM purchases"),
    ("each purchase's amount as a percent of its shop's total amount", f"SELECT *, 100.0 * {_SHARE} FROM purchases"),
    ("the share of each purchase in its shop's total amount, as a percentage", f"SELECT *, 100.0 * {_SHARE} FROM purchases"),
])  # fmt: skip
def test_a_group_value_next_to_each_row(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert not spec.group_by and not spec.aggregations, spec.to_json()


def test_a_measure_of_the_rows_own_rows_stays_an_aggregate(engine: Any) -> None:
    """"their purchases" are the rows summed (one row per shop), not a group the shop belongs to."""
    spec = plan(engine, "shops with the total amount of their purchases")
    assert not spec.windows, spec.to_json()


@pytest.mark.parametrize(("prompt", "match"), [
    ("shops with the total amount of their region", "the rows are shops"),  # a value of purchases, not of shops
    # ordered by: an order on a window is not planned (the order was dropped)
    ("top 2 purchases by the total amount of their shop", "compared with or ordered by"),
    # one row per group: which row's value is not said (it would not run)
    ("number of purchases per channel and the total amount of the same shop", "one row per group"),
])  # fmt: skip
def test_a_group_value_that_cannot_be_read_is_refused(engine: Any, prompt: str, match: str) -> None:
    with pytest.raises(PlanError, match=match):
        plan(engine, prompt)


def test_a_row_compared_with_its_group_average_keeps_the_rows(engine: Any) -> None:
    """Planned since the average of the rows' group is a window the comparison filters on (recognizers/versus.py)."""
    check(engine, "shops with floor_area larger than the average floor_area of their region",
          "SELECT s.*, r.a FROM shops s JOIN (SELECT region_id, AVG(floor_area) a FROM shops GROUP BY 1) r "
          "USING (region_id) WHERE s.floor_area > r.a")  # fmt: skip


# -- row numbers and ranks: the owner as a possessive or "inside each X", the order in words -------------------

_NUMBERED = "SELECT *, ROW_NUMBER() OVER (PARTITION BY shop_id ORDER BY bought_on{}) FROM purchases"


@pytest.mark.parametrize(("prompt", "expected"), [
    ("number each shop's purchases by bought_on", _NUMBERED.format("")),
    ("each shop's purchases numbered chronologically", _NUMBERED.format("")),
    ("number the purchases of every shop from newest to oldest", _NUMBERED.format(" DESC")),
    ("number each shop's purchases by bought_on, latest first", _NUMBERED.format(" DESC")),
    ("give every purchase of a shop a sequence number in date order", _NUMBERED.format("")),
    ("purchases with a row number per shop, latest first", _NUMBERED.format(" DESC")),
    ("rank each region's shops by floor_area", "SELECT *, RANK() OVER (PARTITION BY region_id ORDER BY floor_area DESC) FROM shops"),
    ("rank shops inside each region by floor_area, smallest first",
     "SELECT *, RANK() OVER (PARTITION BY region_id ORDER BY floor_area) FROM shops"),
    ("which shops are in the top 2 of their region by floor_area?",
     "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY region_id ORDER BY floor_area DESC) AS r FROM shops) "
     "WHERE r <= 2"),
])  # fmt: skip
def test_numbers_and_ranks_in_other_words(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "match"), [
    ("number each shop's shifts in time order", "which date of shifts"),  # starts_at or ends_at: asked
    ("rank shops quickly by floor_area", "quickly"),  # a word the ranking does not read is not swallowed
    # the rows named and the order of another table they do not reference: the rows would be repeated or lost
    ("number each shop's purchases by starts_at", "ranks purchases by a column of shifts"),
])  # fmt: skip
def test_numbers_and_ranks_refused(engine: Any, prompt: str, match: str) -> None:
    with pytest.raises(PlanError, match=match):
        plan(engine, prompt)


# -- running and previous values: the order in words --------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("purchases with a running total of amount per shop in bought_on order",
     "SELECT *, SUM(amount) OVER (PARTITION BY shop_id ORDER BY bought_on ROWS UNBOUNDED PRECEDING) FROM purchases"),
    ("purchases with a running total of amount per shop, oldest first",
     "SELECT *, SUM(amount) OVER (PARTITION BY shop_id ORDER BY bought_on ROWS UNBOUNDED PRECEDING) FROM purchases"),
    ("purchases with the amount of the same shop's previous purchase (by bought_on)",
     "SELECT *, LAG(amount) OVER (PARTITION BY shop_id ORDER BY bought_on) FROM purchases"),
    ("purchases with the amount of each shop's next purchase in time order",
     "SELECT *, LEAD(amount) OVER (PARTITION BY shop_id ORDER BY bought_on) FROM purchases"),
])  # fmt: skip
def test_running_and_previous_values_ordered_in_words(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- over a period series ---------------------------------------------------------------------------------------

_MONTH = "CAST(date_trunc('month', bought_on) AS DATE)"


@pytest.mark.parametrize(("prompt", "expected"), [
    ("number of purchases per month of bought_on with a cumulative count",
     f"SELECT {_MONTH}, COUNT(*), SUM(COUNT(*)) OVER (ORDER BY {_MONTH} ROWS UNBOUNDED PRECEDING) FROM purchases GROUP BY 1"),
    ("monthly purchases with a 2-month moving average (this month and the one before it)",
     f"SELECT {_MONTH}, COUNT(*), AVG(COUNT(*)) OVER (ORDER BY {_MONTH} ROWS 1 PRECEDING) FROM purchases GROUP BY 1"),
])  # fmt: skip
def test_series_windows_in_other_words(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)
