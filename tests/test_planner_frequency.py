"""The most frequent values or rows (a lending library's tables): "the 2 most common genres", "the most
frequent branch", "the 2 most loaned books" count rows per value or per row of a table, highest first, and keep
the first N (one for a singular). Once refused ("ranked by which column?") or, without a number, not read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

LIBRARY_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, town VARCHAR);
INSERT INTO members VALUES (1, 'Leeds'), (2, 'York'), (3, 'Hull');
CREATE TABLE books (book_id INTEGER PRIMARY KEY, title VARCHAR, genre VARCHAR);
INSERT INTO books VALUES (10, 'Dune', 'scifi'), (11, 'Emma', 'classic'), (12, 'Solaris', 'scifi'),
  (13, 'Ubik', 'scifi'), (14, 'Persuasion', 'classic'), (15, 'Rebecca', 'gothic');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
                    book_id INTEGER REFERENCES books(book_id), branch VARCHAR, loaned_on DATE);
INSERT INTO loans VALUES (1, 1, 10, 'central', '2024-01-02'), (2, 2, 10, 'central', '2024-01-05'),
  (3, 3, 10, 'east', '2024-02-01'), (4, 1, 11, 'central', '2024-02-03'), (5, 2, 11, 'west', '2024-03-01'),
  (6, 3, 12, 'central', '2024-03-09');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "library", LIBRARY_SQL)


def test_the_most_common_values_of_a_column(engine: Any) -> None:
    check(engine, "the 2 most common genres among books",
          "SELECT genre, count(*) AS n FROM books GROUP BY 1 ORDER BY n DESC LIMIT 2")  # fmt: skip
    check(engine, "the most frequent branch", "SELECT branch, count(*) AS n FROM loans GROUP BY 1 ORDER BY n DESC LIMIT 1")


def test_the_rows_of_a_table_most_often_in_an_event(engine: Any) -> None:
    check(engine, "the 2 most loaned books",
          "SELECT book_id, count(*) AS n FROM loans GROUP BY 1 ORDER BY n DESC LIMIT 2")  # fmt: skip


def test_a_plural_with_no_number_asks_how_many(engine: Any) -> None:
    with pytest.raises(PlanError, match="how many"):
        plan(engine, "the most common genres among books")


def test_a_superlative_of_a_column_is_no_frequency(engine: Any) -> None:
    spec = plan(engine, "the 3 most recent loans")
    assert not spec.aggregations and spec.limit == 3
