"""A condition on a count that 0 meets keeps the groups with no rows (a tool library's tables).

"members with fewer than 2 loans": a member with no loan has fewer than 2; the plan once joined members to loans
inner and dropped them (published with ``pass``). With the counted rows of a kind ("fewer than 2 overdue loans"),
a row filter would drop them again: refused. Counts that 0 does not meet keep the inner join.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

TOOLS_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, street VARCHAR);
INSERT INTO members VALUES (1, 'Mill Lane'), (2, 'Mill Lane'), (3, 'High St'), (4, 'High St');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), tool VARCHAR,
                    state VARCHAR);
INSERT INTO loans VALUES (1, 1, 'drill', 'returned'), (2, 1, 'saw', 'overdue'), (3, 1, 'ladder', 'returned'),
  (4, 2, 'drill', 'overdue'), (5, 3, 'saw', 'returned'), (6, 3, 'drill', 'returned');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "tool_library", TOOLS_SQL)


@pytest.mark.parametrize(("words", "test"), [
    ("fewer than 2 loans", "< 2"),
    ("at most 2 loans", "<= 2"),
    ("no more than 1 loan", "<= 1"),
])  # fmt: skip
def test_a_count_condition_zero_meets_keeps_the_groups_with_none(engine: Any, words: str, test: str) -> None:
    check(engine, f"members with {words}",
          f"SELECT m.member_id, count(l.loan_id) FROM members m LEFT JOIN loans l USING (member_id) "
          f"GROUP BY 1 HAVING count(l.loan_id) {test}")  # fmt: skip


def test_a_count_condition_zero_does_not_meet_stays_inner(engine: Any) -> None:
    spec = check(engine, "members with more than 1 loan",
                 "SELECT member_id, count(*) FROM loans GROUP BY 1 HAVING count(*) > 1")  # fmt: skip
    assert all(j.join_type == "inner" for j in spec.join_conditions)


def test_rows_of_a_kind_under_a_count_zero_meets_are_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="groups with none"):
        plan(engine, "members with fewer than 2 overdue loans")
