"""Rows compared with the average of their rows, overall or in their group, and groups compared with the average
of the groups (recognizers/versus.py), on a cleaning company's crew: a window average and a filter on it. And a
condition on the groups said by the group noun or by the measure's own words ("only teams above 19.8", "months
with revenue above 1000"): on each group's measure, never on each row."""

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
    # the rows named right before the comparison, the column said after the average
    ("crew above the average hourly rate", "hourly_rate > (SELECT AVG(hourly_rate) FROM crew)"),
    ("crew below the average rating", "rating < (SELECT AVG(rating) FROM crew)"),
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


def test_groups_against_the_average_of_the_groups(engine: Any) -> None:
    check(engine, "average hourly rate per team, keeping teams above the average",
          "SELECT team, a, AVG(a) OVER () FROM (SELECT team, AVG(hourly_rate) a FROM crew GROUP BY team) "
          "QUALIFY a > AVG(a) OVER ()")  # fmt: skip


# misreading: "only months above 1000" after "revenue per month" was a condition on each row (amount > 1000)
@pytest.mark.parametrize("prompt", ["average hourly rate per team, only teams above 19.8",
                                    "average hourly rate per team, teams whose hourly rate is above 19.8"])
def test_a_condition_on_the_groups_said_by_their_noun(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "SELECT team, AVG(hourly_rate) FROM crew GROUP BY team HAVING AVG(hourly_rate) > 19.8")
    assert spec.having and not spec.filters


def test_the_rows_named_before_the_condition_keep_it_on_each_row(engine: Any) -> None:
    spec = check(engine, "average hourly rate per team for crew with hourly rate above 19.8",
                 "SELECT team, AVG(hourly_rate) FROM crew WHERE hourly_rate > 19.8 GROUP BY team")
    assert spec.filters and not spec.having
