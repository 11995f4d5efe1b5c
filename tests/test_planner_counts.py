"""How a count of rows is asked for, per group or overall, on a small club warehouse built in the test: the
verbs of a count ("tally", "counted by"), the verb that only says the counted rows belong to the group ("how
many loans does each member hold?"), a count of a yes/no column (the rows where it is true, or a refusal), and a
count per a name that two rows of a keyed table may share (grouped by that table's key too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

CLUB_SQL = """
CREATE TABLE branches (branch_id INTEGER PRIMARY KEY, branch_name VARCHAR, region VARCHAR);
INSERT INTO branches VALUES (1, 'Central', 'north'), (2, 'Harbour', 'south'), (3, 'Central', 'south');
CREATE TABLE patrons (patron_id INTEGER PRIMARY KEY, patron_name VARCHAR, tier VARCHAR, newsletter_opt_in BOOLEAN,
  branch_id INTEGER REFERENCES branches(branch_id));
INSERT INTO patrons VALUES (1, 'Ann Lee', 'gold', TRUE, 1), (2, 'Ann Lee', 'basic', FALSE, 2),
  (3, 'Bo Park', 'gold', FALSE, 3), (4, 'Cai Wu', 'basic', TRUE, 1), (5, 'Dee Ng', 'gold', NULL, 2);
CREATE TABLE borrowings (borrowing_id INTEGER PRIMARY KEY, patron_id INTEGER REFERENCES patrons(patron_id),
  branch_id INTEGER REFERENCES branches(branch_id), state VARCHAR, taken_on DATE);
INSERT INTO borrowings VALUES (1, 1, 1, 'returned', '2025-01-02'), (2, 1, 1, 'overdue', '2025-01-09'),
  (3, 2, 2, 'returned', '2025-02-01'), (4, 3, 3, 'open', '2025-02-11'), (5, 4, 1, 'returned', '2025-03-01'),
  (6, 4, 3, 'overdue', '2025-03-05'), (7, 5, 2, 'open', '2025-03-09');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "club_counts", CLUB_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("tally the borrowings by state", "SELECT state, count(*) FROM borrowings GROUP BY 1"),
    ("Tally up the patrons for each tier", "SELECT tier, count(*) FROM patrons GROUP BY 1"),
    ("a tally of borrowings per state", "SELECT state, count(*) FROM borrowings GROUP BY 1"),
    ("patrons counted by tier", "SELECT tier, count(*) FROM patrons GROUP BY 1"),
    ("borrowing tally by state", "SELECT state, count(*) FROM borrowings GROUP BY 1"),
])  # fmt: skip
def test_count_verbs(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("How many borrowings does each patron hold?", "SELECT patron_id, count(*) FROM borrowings GROUP BY 1"),
    ("how many borrowings each patron has", "SELECT patron_id, count(*) FROM borrowings GROUP BY 1"),
    ("For every patron, how many borrowings reference them?",
     "SELECT patron_id, count(*) FROM borrowings GROUP BY 1"),
])  # fmt: skip
def test_the_counted_rows_belong_to_the_group(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("How many patrons opted in to the newsletter?", "SELECT count(*) FROM patrons WHERE newsletter_opt_in"),
    ("how many patrons opted in to the newsletter, per tier",
     "SELECT tier, count(*) FROM patrons WHERE newsletter_opt_in GROUP BY 1"),
    ("number of distinct patrons opted in to the newsletter",
     "SELECT count(DISTINCT patron_id) FROM patrons WHERE newsletter_opt_in"),
])  # fmt: skip
def test_a_count_of_a_yes_no_column_counts_where_true(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", [
    "count of newsletter_opt_in per tier",  # true, false or not empty: not said
    "how many newsletter_opt_in by tier",
])  # fmt: skip
def test_a_count_of_a_yes_no_column_that_does_not_say_which_rows_refuses(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


def test_a_count_per_a_shared_name_groups_by_the_key_too(engine: Any) -> None:
    # two branches are called 'Central': per branch, each stays a row of its own
    check(engine, "number of borrowings per branch_name",
          "SELECT branch_id, branch_name, count(*) FROM borrowings JOIN branches USING (branch_id) GROUP BY 1, 2")
    check(engine, "how many borrowings per patron name",
          "SELECT patron_id, patron_name, count(*) FROM borrowings JOIN patrons USING (patron_id) GROUP BY 1, 2")


def test_a_count_per_a_label_of_the_counted_rows_is_read_as_written(engine: Any) -> None:
    check(engine, "number of patrons per patron_name", "SELECT patron_name, count(*) FROM patrons GROUP BY 1")
    check(engine, "number of borrowings per tier",
          "SELECT tier, count(*) FROM borrowings JOIN patrons USING (patron_id) GROUP BY 1")


def test_a_part_of_a_flag_name_is_not_the_flag(engine: Any) -> None:
    # "patrons opted" is not the whole of newsletter_opt_in: no count of the flag's rows is made from it
    with pytest.raises(PlanError):
        plan(engine, "How many patrons opted, per tier?")


@pytest.mark.parametrize(("prompt", "expected"), [
    ("borrowings by state - how many of each?", "SELECT state, count(*) FROM borrowings GROUP BY 1"),
    ("Patrons by tier: how many are there in each?", "SELECT tier, count(*) FROM patrons GROUP BY 1"),
    ("borrowings taken in March 2025 by state, how many in each group",
     "SELECT state, count(*) FROM borrowings WHERE taken_on BETWEEN DATE '2025-03-01' AND DATE '2025-03-31' "
     "GROUP BY 1"),
    # the count named twice (by the table's word and by its own words) is one column, not two
    ("borrowings by state, the number of borrowings", "SELECT state, count(*) FROM borrowings GROUP BY 1"),
])  # fmt: skip
def test_how_many_of_each_counts_the_rows_named_per_group(engine: Any, prompt: str, expected: str) -> None:
    """'how many of each' names no rows: they are the rows the request named, per the groups it named."""
    check(engine, prompt, expected)


def test_how_many_of_each_with_no_rows_named_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "how many of each?")


@pytest.mark.parametrize(("prompt", "expected", "columns"), [
    ("borrowings per state, with a count", "SELECT state, count(*) FROM borrowings GROUP BY 1", None),
    ("earliest taken_on per state: state, first_taken, borrowings (the count)",
     "SELECT state, min(taken_on), count(*) FROM borrowings GROUP BY 1", ["state", "first_taken", "borrowings"]),
    ("patrons by tier with the row count", "SELECT tier, count(*) FROM patrons GROUP BY 1", None),
])  # fmt: skip
def test_a_count_said_with_no_rows_counts_the_rows_asked_about(engine: Any, prompt: str, expected: str,
                                                               columns: list[str] | None) -> None:
    """"the count", "a count", "the row count" with nothing counted after them: the rows the request is about."""
    check(engine, prompt, expected, columns)
