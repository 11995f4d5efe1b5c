"""A period after a date said as an event noun, with a measure or an order before it (on a gym's members).

"number of terminations in 2024": a count of the members with a 2024 termination date (the words before the
period once named the date alone, "number of" included, and every such member was listed, uncounted); "last renewal date in 2024": "last" is an order or a maximum, never part of the date's
name (refused or read, never the rows listed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

GYM_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, joined_on DATE, renewal_date DATE,
                      termination_date DATE);
INSERT INTO members VALUES (1, 'Ada', '2020-01-05', '2024-01-05', '2024-06-30'), (2, 'Ben', '2021-03-01', '2024-03-01', NULL),
  (3, 'Cy', '2022-07-07', '2023-07-07', '2023-12-31'), (4, 'Di', '2023-02-02', '2024-02-02', '2024-09-01');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "gym", GYM_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("number of terminations in 2024",
     "SELECT count(*) FROM members WHERE termination_date BETWEEN '2024-01-01' AND '2024-12-31'"),
    ("count of renewals in 2023", "SELECT count(*) FROM members WHERE renewal_date BETWEEN '2023-01-01' AND '2023-12-31'"),
])  # fmt: skip
def test_a_count_of_an_event_in_a_period(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert spec.aggregations


def test_an_order_word_is_never_part_of_a_dates_name(engine: Any) -> None:
    try:
        spec = plan(engine, "last renewal date in 2024")
    except PlanError:
        return
    assert spec.aggregations or spec.limit is not None or spec.order_by, spec.to_json()


@pytest.mark.parametrize(("prompt", "expected"), [
    ("terminations per year",
     "SELECT year(termination_date), count(*) FROM members WHERE termination_date IS NOT NULL GROUP BY 1"),
    ("renewals per year since 2024",
     "SELECT year(renewal_date), count(*) FROM members WHERE renewal_date >= '2024-01-01' GROUP BY 1"),
])  # fmt: skip
def test_an_event_noun_per_period_counts_by_that_date(engine: Any, prompt: str, expected: str) -> None:
    """"terminations per year": the rows whose termination date is set, counted per year of it (never of another
    date of the rows, nor every row)."""
    check(engine, prompt, expected)
