"""A condition said in a "whether ..." clause is a yes/no column for each row, never a filter on the rows
(recognizers/flags.py ``whether``): "loans and whether they were returned", "a column saying whether the fine is
over 5". Readings the rule cannot make safely stay refused by the guard (draft._check_whether_clauses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.planner_support import check, plan, sql_engine

from datamorph.errors import PlanError

LIBRARY_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, town VARCHAR);
INSERT INTO members VALUES (1, 'Ann', 'Leeds'), (2, 'Bo', 'York'), (3, 'Cy', NULL);
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), borrowed_on DATE,
  state VARCHAR, fine DECIMAL(6,2), renewals INTEGER);
INSERT INTO loans VALUES (1, 1, '2025-01-02', 'returned', 0, 0), (2, 1, '2025-02-03', 'lost', 12.5, 2),
  (3, 2, '2025-03-04', 'open', NULL, 1), (4, 3, '2025-04-05', NULL, 5, NULL);
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "library", LIBRARY_SQL)


_ALL = "loan_id, member_id, borrowed_on, state, fine, renewals"


@pytest.mark.parametrize(("prompt", "name", "condition"), [
    ("loans and whether they were lost", "is_lost", "state = 'lost'"),
    ("all loans with a column saying whether the fine is over 5", "fine_over_5", "fine > 5"),
    ("loans, with a flag showing whether the fine is at least 5", "fine_at_least_5", "fine >= 5"),
    ("show loans and whether the renewals are more than 1", "renewals_more_than_1", "renewals > 1"),
    ("loans with a yes/no column for whether the state is 'open'", "state_open", "state = 'open'"),
    ("loans with a flag called costly indicating if the fine is above 10", "costly", "fine > 10"),
    ("loans and whether they have a fine", "has_fine", "fine IS NOT NULL"),
    ("loans and whether they were lost or returned", "lost_or_returned", "state IN ('lost', 'returned')"),
    # a flag's noun with the clause after "for", and the verb "flag <rows> <clause> (as <name>)"
    ("loans with a flag for fines over 5", "fines_over_5", "fine > 5"),
    ("flag loans with a fine over 10 as costly", "is_costly", "fine > 10"),
    ("flag loans that are lost", "is_lost", "state = 'lost'"),
])  # fmt: skip
def test_a_whether_clause_is_a_yes_no_column(library: Any, prompt: str, name: str, condition: str) -> None:
    """Every row is kept; a row whose tested value is missing does not meet the condition: FALSE, not NULL."""
    spec = check(library, prompt, f"SELECT {_ALL}, CASE WHEN {condition} THEN TRUE ELSE FALSE END FROM loans",
                 columns=[*_ALL.split(", "), name])  # fmt: skip
    assert not spec.filters


def test_two_whether_clauses_and_a_real_filter(library: Any) -> None:
    """A filter said outside the clause still filters; each clause is its own column."""
    check(library, "loans borrowed in 2025 before April, and whether they were lost and whether the fine is over 5",
          f"SELECT {_ALL}, state = 'lost' AND state IS NOT NULL, coalesce(fine > 5, FALSE) FROM loans "
          "WHERE borrowed_on BETWEEN '2025-01-01' AND '2025-03-31'")


def test_the_clause_in_a_listed_output(library: Any) -> None:
    check(library, "loan id, fine and whether they were lost",
          "SELECT loan_id, fine, coalesce(state = 'lost', FALSE) FROM loans", columns=["loan_id", "fine", "is_lost"])


@pytest.mark.parametrize("prompt", [
    "loans and whether the member's town is Leeds",  # another table's column: its join would drop rows
    "loans, regardless of whether they were lost",  # no value asked for
    "number of loans per state and whether it is over 1",  # a measure's condition
])  # fmt: skip
def test_whether_clauses_not_read_stay_refused(library: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(library, prompt)


@pytest.mark.parametrize("prompt", [
    "loans with a state_label: 'gone' for lost loans, 'here' otherwise",
    "loans with a state_label: 'gone' when lost, 'here' otherwise",
])  # fmt: skip
def test_a_label_chosen_by_a_data_value(library: Any, prompt: str) -> None:
    """"'gone' for lost loans": the value (of the state column) says which rows get the label; the rows' own noun
    after it adds nothing."""
    check(library, prompt, f"SELECT {_ALL}, CASE WHEN state = 'lost' THEN 'gone' ELSE 'here' END FROM loans",
          columns=[*_ALL.split(", "), "state_label"])  # fmt: skip
