"""Dates written the way the request shows them, and rows counted in the period they began.

- "what day of the week was each X?", "the day of the month of Y": the part is named by its whole phrase
  ("of the week" is part of the part, never a column), in the question form too;
- an example right after a date part ("the quarter each loan started, like 2024-Q1") is how the value is
  written, never a period the rows must fall in; an example that does not show the part asked for is refused;
- a period group labelled by an example ("label the month like '2024-03'", "weeks shown as ...") is written
  that way;
- "new members per month": the rows counted in the period of their start date; a table whose date records an
  end (or that has several dates and none named) is not read that way;
- "every member's email in upper case": the table's word that the linker read into a column's mention names
  that table once the column is used.

Every request runs end to end on a small library warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, same_rows_on_postgres, sql_engine

LIBRARY_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, email VARCHAR, joined_on DATE, tier VARCHAR);
INSERT INTO members VALUES (1, 'ann@x.org', '2024-01-03', 'gold'), (2, 'bo@y.com', '2024-01-20', 'free'),
  (3, 'cy@x.org', '2024-02-11', 'free'), (4, 'di@z.net', '2024-05-30', 'gold'), (5, 'ed@y.com', '2025-03-01', 'free');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
  lent_on DATE, returned_on DATE, title VARCHAR);
INSERT INTO loans VALUES (1, 1, '2024-01-06', '2024-01-20', 'Emma'), (2, 2, '2024-04-01', NULL, 'Dune'),
  (3, 2, '2024-07-15', '2024-08-01', 'Ulysses'), (4, 4, '2024-12-31', '2025-01-09', 'Beloved');
CREATE TABLE closures (closure_id INTEGER PRIMARY KEY, ended_on DATE, reason VARCHAR);
INSERT INTO closures VALUES (1, '2024-01-02', 'flood'), (2, '2024-03-04', 'strike');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "library", LIBRARY_SQL)


def test_day_of_the_week_asked_as_a_question_is_the_weekday(engine: Any) -> None:
    spec = check(engine, "What day of the week was each member joined? member_id, joined_weekday",
                 "SELECT member_id, dayofweek(joined_on) FROM members")  # fmt: skip
    assert "dayofweek" in spec.derived_columns[0].expression


def test_the_day_of_the_month_is_one_part(engine: Any) -> None:
    check(engine, "members with member_id and the day of the month of joined_on",
          "SELECT member_id, day(joined_on) FROM members")  # fmt: skip


def test_an_example_after_a_date_part_is_its_format_not_a_period(engine: Any) -> None:
    spec = check(engine, "The quarter each loan was lent in, like 2024-Q1: loan_id, lent_quarter",
                 "SELECT loan_id, strftime(lent_on, '%Y') || '-Q' || quarter(lent_on) FROM loans")  # fmt: skip
    assert spec.filters == []
    check(engine, "Show loan_id and the month of lent_on (e.g. 'Jan 2024')",
          "SELECT loan_id, strftime(lent_on, '%b %Y') FROM loans")  # fmt: skip


def test_an_example_that_does_not_show_the_part_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="does not show the month"):
        plan(engine, "loan_id and the month of lent_on, like 2024")


def test_a_period_group_labelled_by_an_example(engine: Any) -> None:
    check(engine, "loans per month of lent_on, months shown as '2024-01'",
          "SELECT strftime(lent_on, '%Y-%m'), count(*) FROM loans GROUP BY 1")  # fmt: skip
    spec = check(engine, "how many members joined in each quarter? Write each quarter as '2025-Q2' (the year, a "
                 "hyphen, Q and the quarter's number) in a column called period",
                 "SELECT strftime(joined_on, '%Y') || '-Q' || quarter(joined_on), count(*) FROM members GROUP BY 1")  # fmt: skip
    assert spec.group_by == ["period"] and [f.operator for f in spec.filters] == ["is_not_null"]  # the example: no period


def test_new_rows_per_period_are_counted_when_they_began(engine: Any) -> None:
    check(engine, "new members per month",
          "SELECT CAST(date_trunc('month', joined_on) AS DATE), count(*) FROM members GROUP BY 1")  # fmt: skip


def test_new_rows_of_a_table_dated_by_an_end_are_not_read(engine: Any) -> None:
    with pytest.raises(PlanError, match="new"):
        plan(engine, "new closures per month")


def test_a_tables_word_inside_a_column_mention_names_that_table(engine: Any) -> None:
    check(engine, "Give every member's email in upper case with member_id",
          "SELECT upper(email), member_id FROM members")  # fmt: skip


@pytest.mark.parametrize("prompt", [
    "loans with the member's previous lent_on (by lent_on, then loan_id): loan_id, member_id, lent_on, prev_lent",
    "each loan with the previous lent_on of the same member (by lent_on, then loan_id): loan_id, member_id, lent_on, "
    "prev_lent",
])  # fmt: skip
def test_a_column_of_the_owners_previous_row_said_without_the_rows_noun(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT loan_id, member_id, lent_on, lag(lent_on) OVER (PARTITION BY member_id ORDER BY "
                          "lent_on, loan_id) FROM loans", ["loan_id", "member_id", "lent_on", "prev_lent"])  # fmt: skip


@pytest.mark.parametrize(("words", "days"), [("on a weekend", "0, 6"), ("on weekdays", "1, 2, 3, 4, 5"),
                                             ("on Saturdays", "6")])  # fmt: skip
def test_rows_by_the_day_of_the_week_of_their_date(engine: Any, words: str, days: str) -> None:
    check(engine, f"members who joined {words}: member_id",
          f"SELECT member_id FROM members WHERE extract(dow FROM joined_on) IN ({days})")  # fmt: skip


@pytest.mark.parametrize("prompt", [
    "What day of the week was each member joined? member_id, joined_weekday",
    "The quarter each loan was lent in, like 2024-Q1: loan_id, lent_quarter",
    "members with member_id and the quarter of joined_on",
    "loans per month of lent_on, months shown as '2024-01'",
    "members who joined on a weekend: member_id",
])  # fmt: skip
def test_same_rows_on_postgres(engine: Any, pg_database: Any, prompt: str) -> None:
    """Day of the week (0 is Sunday) and quarter mean the same on PostgreSQL (no dayofweek()/quarter() there)."""
    same_rows_on_postgres(engine, pg_database[2], LIBRARY_SQL, prompt)
