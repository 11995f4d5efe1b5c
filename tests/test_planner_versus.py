"""Rows compared with the average of their rows, overall or in their group (recognizers/versus.py), on a
cleaning company's crew: a window average and a filter on it, each row keeping its own columns."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

CREW_SQL = """
CREATE TABLE crew (member_id INTEGER PRIMARY KEY, member_name VARCHAR, team VARCHAR, hourly_rate DECIMAL(6,2),
                   rating INTEGER);
INSERT INTO crew VALUES (1, 'Ada', 'north', 18.00, 4), (2, 'Bo', 'north', 22.00, 5), (3, 'Cy', 'south', 15.00, 3),
  (4, 'Dee', 'south', 25.00, 4), (5, 'Eli', 'south', 20.00, 2), (6, 'Fay', 'north', 19.00, 5);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "crew", CREW_SQL)


@pytest.mark.parametrize(("prompt", "where"), [
    ("crew whose hourly rate is above the average hourly rate", "hourly_rate > (SELECT AVG(hourly_rate) FROM crew)"),
    ("crew with a rating below average", "rating < (SELECT AVG(rating) FROM crew)"),
    ("crew with an above-average hourly rate", "hourly_rate > (SELECT AVG(hourly_rate) FROM crew)"),
    ("crew whose hourly rate is at least the average", "hourly_rate >= (SELECT AVG(hourly_rate) FROM crew)"),
])  # fmt: skip
def test_a_row_against_the_average_of_all_rows(engine: Any, prompt: str, where: str) -> None:
    spec = check(engine, prompt, f"SELECT *, (SELECT AVG({where.split()[0]}) FROM crew) FROM crew WHERE {where}")
    assert spec.qualify and not spec.aggregations


def test_a_row_against_the_average_of_its_group(engine: Any) -> None:
    check(engine, "crew whose hourly rate is above the average hourly rate of their team",
          "SELECT c.*, t.a FROM crew c JOIN (SELECT team, AVG(hourly_rate) a FROM crew GROUP BY team) t USING (team) "
          "WHERE c.hourly_rate > t.a")  # fmt: skip


def test_groups_compared_with_an_average_are_not_read_as_rows(engine: Any) -> None:
    try:
        spec = plan(engine, "teams whose total hourly rate is above the average")
    except PlanError:
        return  # refused is right too; what must not happen is a comparison of each row
    assert not spec.qualify
