"""A running total or count said of a measure grouped by a period ("cumulative fees by month"): the measure per
period, and its running total over the periods, oldest first (on a courier's deliveries).

Misreading: "cumulative revenue by day" was planned as the plain total per day ("cumulative" read as an
aggregate word), and "cumulative count of X by signup month" as a running count of rows ordered by the date.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

DELIVERIES_SQL = """
CREATE TABLE deliveries (delivery_id INTEGER PRIMARY KEY, courier VARCHAR, delivered_on DATE, parcels INTEGER,
                         fee DECIMAL(8,2));
INSERT INTO deliveries VALUES (1, 'Kai', '2024-01-03', 3, 12.50), (2, 'Lu', '2024-01-03', 1, 4.00),
  (3, 'Kai', '2024-01-20', 2, 8.00), (4, 'Mo', '2024-02-11', 5, 20.00), (5, 'Lu', '2024-03-02', 1, 4.50),
  (6, 'Kai', '2024-03-30', 4, 15.00), (7, 'Mo', '2024-03-30', 2, 7.25);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "couriers", DELIVERIES_SQL)


def _series(unit: str, measure: str) -> str:
    return (f"SELECT p, m, SUM(m) OVER (ORDER BY p) FROM (SELECT CAST(date_trunc('{unit}', delivered_on) AS DATE) AS p, "
            f"{measure} AS m FROM deliveries GROUP BY 1)")  # fmt: skip


@pytest.mark.parametrize(("prompt", "unit"), [
    ("cumulative fees by month", "month"),
    ("cumulative fees per day", "day"),
    ("running fees by week", "week"),
    ("cumulative total of fee by month", "month"),
])  # fmt: skip
def test_a_running_total_of_a_flow_per_period(engine: Any, prompt: str, unit: str) -> None:
    spec = check(engine, prompt, _series(unit, "SUM(fee)"))
    assert spec.windows and spec.windows[0].frame == "running"


@pytest.mark.parametrize(("prompt", "unit"), [
    ("cumulative number of deliveries per month", "month"),
    ("running count of deliveries by week", "week"),
    ("cumulative count of deliveries by delivery month", "month"),
])  # fmt: skip
def test_a_running_count_of_rows_per_period(engine: Any, prompt: str, unit: str) -> None:
    check(engine, prompt, _series(unit, "COUNT(*)"))


def test_a_running_total_within_each_group_stays_a_row_window(engine: Any) -> None:
    check(engine, "running total of fee per courier ordered by delivered_on",
          "SELECT *, SUM(fee) OVER (PARTITION BY courier ORDER BY delivered_on ROWS UNBOUNDED PRECEDING) FROM deliveries")
