"""The busiest (or quietest) period for a table's rows, and counts per weekday: "the busiest day of the week for lessons" counts the rows
per weekday of the table's date and keeps the first (once refused: "could not understand 'busiest'")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

SCHOOL_SQL = """
CREATE TABLE lessons (lesson_id INTEGER PRIMARY KEY, pupil VARCHAR, starts_at TIMESTAMP);
INSERT INTO lessons VALUES (1, 'a', '2024-03-04 09:00'), (2, 'b', '2024-03-04 10:00'), (3, 'c', '2024-03-11 10:00'),
  (4, 'd', '2024-03-05 10:00'), (5, 'e', '2024-04-02 18:00');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "school", SCHOOL_SQL)


@pytest.mark.parametrize(("prompt", "sql"), [
    ("the busiest day of the week for lessons",
     "SELECT dayofweek(starts_at), count(*) AS n FROM lessons GROUP BY 1 ORDER BY n DESC LIMIT 1"),
    ("the busiest hour for lessons", "SELECT hour(starts_at), count(*) AS n FROM lessons GROUP BY 1 ORDER BY n DESC LIMIT 1"),
    ("the quietest month for lessons",
     "SELECT CAST(date_trunc('month', starts_at) AS DATE), count(*) AS n FROM lessons GROUP BY 1 ORDER BY n LIMIT 1"),
])  # fmt: skip
def test_the_busiest_or_quietest_period(engine: Any, prompt: str, sql: str) -> None:
    check(engine, prompt, sql)


@pytest.mark.parametrize("words", ["per day of the week", "by weekday", "per weekday"])
def test_a_count_per_weekday(engine: Any, words: str) -> None:
    """Once refused ("could not understand 'week'" / "'weekday'")."""
    check(engine, f"number of lessons {words}", "SELECT dayofweek(starts_at), count(*) FROM lessons GROUP BY 1")
