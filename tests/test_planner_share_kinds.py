"""Shares of a kind named by a true/false column, and each group's share of a total (a climbing gym's tables).

"percentage of students per town", "share of students among members" (``is_student``), "percentage of no-shows per
member" (a data value of the visits), "share of each town in total fees": once refused ("share of what?"). A share counted by a true/false column is named after the
request's word ("students_share"), not after the value TRUE.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from planner_support import check, plan, sql_engine

GYM_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, town VARCHAR, is_student BOOLEAN, monthly_fee DECIMAL(6,2));
INSERT INTO members VALUES (1, 'Leeds', true, 30), (2, 'Leeds', false, 50), (3, 'Leeds', true, 30),
  (4, 'York', false, 50), (5, 'York', false, 60);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), outcome VARCHAR);
INSERT INTO visits VALUES (1, 1, 'climbed'), (2, 1, 'no_show'), (3, 2, 'climbed'), (4, 4, 'no_show'), (5, 4, 'no_show');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "gym", GYM_SQL)


def test_a_share_of_a_kind_named_by_a_true_false_column(engine: Any) -> None:
    check(engine, "percentage of students per town",
          "SELECT town, 100.0 * count(*) FILTER (WHERE is_student) / count(*) FROM members GROUP BY 1")  # fmt: skip
    spec = check(engine, "share of students among members",
                 "SELECT 1.0 * count(*) FILTER (WHERE is_student) / count(*) FROM members")  # fmt: skip
    assert [c.name for c in spec.derived_columns] == ["students_share"]


@pytest.mark.parametrize("total", ["total monthly fee", "all monthly fees", "the overall monthly fee"])
def test_each_groups_share_of_a_total(engine: Any, total: str) -> None:
    spec = plan(engine, f"share of each town in {total}")
    assert spec.group_by == ["members.town"], spec.to_json()
    res = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb"))
    town, share = res.columns.index("town"), res.columns.index("share_of_total")
    assert sorted((r[town], round(float(r[share]), 4)) for r in res.rows) == [("Leeds", 0.5), ("York", 0.5)]


def test_a_share_of_a_kind_named_by_a_data_value_alone(engine: Any) -> None:
    check(engine, "percentage of no-shows per member",
          "SELECT member_id, 100.0 * count(*) FILTER (WHERE outcome = 'no_show') / count(*) FROM visits "
          "JOIN members USING (member_id) GROUP BY 1")  # fmt: skip
