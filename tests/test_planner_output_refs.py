"""Output lists said in other words, on a small coaching warehouse built in the test: an item that names a
measure said before by its kind alone ("the total", "that total as x", "the number of them", "how many there
are"), a list opened by "give", closed by "please", joined by "together with" or by semicolons, and a column
name holding a word that elsewhere ends a list ("fee per hour"), a column's name in the plural ("the
pupils"), a column "of" a table whose rows a condition said ("the coach_names of tennis coaches"). An item that could be two measures, or
that refers to a measure the request does not compute, is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

COACHING_SQL = """
CREATE TABLE coaches (coach_id INTEGER PRIMARY KEY, coach_name VARCHAR, sport VARCHAR, fee_per_hour DECIMAL(8,2),
  lesson_limit INTEGER);
INSERT INTO coaches VALUES (1, 'Ane', 'tennis', 40, 10), (2, 'Bo', 'tennis', 55, 12), (3, 'Cai', 'golf', 70, 8);
CREATE TABLE lessons (lesson_id INTEGER PRIMARY KEY, coach_id INTEGER REFERENCES coaches(coach_id),
  pupil VARCHAR, minutes INTEGER, state VARCHAR);
INSERT INTO lessons VALUES (1, 1, 'Kim', 60, 'held'), (2, 1, 'Lea', 30, 'cancelled'), (3, 1, 'Kim', 45, 'held'),
  (4, 2, 'Max', 60, 'cancelled'), (5, 2, 'Max', 90, 'held'), (6, 3, 'Noa', 120, 'held');
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, visitor VARCHAR);
INSERT INTO visits VALUES (1, 'Kim');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "coaching", COACHING_SQL)


@pytest.mark.parametrize(("prompt", "expected", "cols"), [
    ("Count lessons per coach_id. Give coach_id and the number of them.",
     "SELECT coach_id, count(*) FROM lessons GROUP BY 1", ["coach_id", "lesson_count"]),
    ("Count the cancelled lessons per coach_id, returning coach_id and how many there are.",
     "SELECT coach_id, count(*) FROM lessons WHERE state = 'cancelled' GROUP BY 1", None),
    ("Total lesson minutes per coach_id; coach_id and the total, please.",
     "SELECT coach_id, sum(minutes) FROM lessons GROUP BY 1", None),
    ("Sum the minutes of lessons per coach_id, with that total as minutes_taught.",
     "SELECT coach_id, sum(minutes) FROM lessons GROUP BY 1", ["coach_id", "minutes_taught"]),
    ("Count lessons per coach_id and give coach_id along with that count as visits.",  # a name, not the table
     "SELECT coach_id, count(*) FROM lessons GROUP BY 1", ["coach_id", "visits"]),
    ("Average lesson minutes per pupil. Show pupil along with their average.",
     "SELECT pupil, avg(minutes) FROM lessons GROUP BY 1", None),
])  # fmt: skip
def test_an_item_names_the_measure_said_before(engine: Any, prompt: str, expected: str, cols: list[str] | None) -> None:
    check(engine, prompt, expected, cols)


@pytest.mark.parametrize(("prompt", "expected", "cols"), [
    ("Coaches: coach_id; coach_name; sport.", "SELECT coach_id, coach_name, sport FROM coaches",
     ["coach_id", "coach_name", "sport"]),
    ("Coaches. Return coach_name and fee per hour.", "SELECT coach_name, fee_per_hour FROM coaches",
     ["coach_name", "fee_per_hour"]),
    ("Coaches with sport and lesson limit as max_lessons, coach_name.",
     "SELECT sport, lesson_limit AS max_lessons, coach_name FROM coaches", ["sport", "max_lessons", "coach_name"]),
    ("Coaches - coach_name; sport; fee_per_hour.", "SELECT coach_name, sport, fee_per_hour FROM coaches",
     ["coach_name", "sport", "fee_per_hour"]),
    ("For each sport give sport together with the count of coaches.",
     "SELECT sport, count(*) FROM coaches GROUP BY 1", None),
    ("lessons: give pupil and minutes", "SELECT pupil, minutes FROM lessons", ["pupil", "minutes"]),
    ("Return the pupils and minutes of held lessons", "SELECT pupil, minutes FROM lessons WHERE state = 'held'",
     ["pupil", "minutes"]),
    ("Return the coach_names of tennis coaches", "SELECT coach_name FROM coaches WHERE sport = 'tennis'",
     ["coach_name"]),
    ("Count lessons per coach_id and return coach_id and how many of them there are.",
     "SELECT coach_id, count(*) FROM lessons GROUP BY 1", ["coach_id", "lesson_count"]),
])  # fmt: skip
def test_lists_said_in_other_words(engine: Any, prompt: str, expected: str, cols: list[str] | None) -> None:
    check(engine, prompt, expected, cols)


@pytest.mark.parametrize(("prompt", "message"), [
    ("Sum the minutes and count the lessons per coach_id; coach_id and the total.", "could be any of"),
    ("Number of lessons and number of distinct pupils per coach_id. Give coach_id and the count.", "could be any of"),
    ("Average lesson minutes per coach_id. Give coach_id and the number of them.", "refers to no measure"),
    # the count of the lessons, but nothing says per what: coach_id is no group
    ("Lessons. Give coach_id and the count.", "neither a grouping column nor a measure"),
    ("Count lessons per coach_id. Give coach_id and how many they missed.", "no condition of the request"),
])  # fmt: skip
def test_an_item_that_names_no_one_measure_is_refused(engine: Any, prompt: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan(engine, prompt)


def test_how_many_after_a_condition_read_before(engine: Any) -> None:
    """"how many they cancelled": the count of the rows the condition said before keeps ("cancelled" read once)."""
    check(engine, "Count the cancelled lessons per coach_id. Give coach_id and how many they cancelled.",
          "SELECT coach_id, count(*) FROM lessons WHERE state = 'cancelled' GROUP BY 1")


# -- "with the reader's name: ..., first_name, last_name": the summary word said again by the listed parts ------

BOOKS_SQL = """
CREATE TABLE authors (author_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR);
INSERT INTO authors VALUES (1, 'Ada', 'Byron');
CREATE TABLE readers (reader_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR);
INSERT INTO readers VALUES (1, 'Kim', 'Lee'), (2, 'Lu', 'Ng');
CREATE TABLE reviews (review_id INTEGER PRIMARY KEY, reader_id INTEGER REFERENCES readers(reader_id), stars INTEGER);
INSERT INTO reviews VALUES (1, 1, 5), (2, 2, 3), (3, 1, 4);
"""


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "books", BOOKS_SQL)


def test_a_name_said_before_its_listed_parts(books: Any) -> None:
    """Two tables keep a first_name: 'name' said of the reader is the readers' name the list spells out, not a
    word left over (it was refused) nor the authors' column."""
    check(books, "every review with the reader's name: review_id, first_name, last_name, stars",
          "SELECT review_id, first_name, last_name, stars FROM reviews JOIN readers USING (reader_id)",
          ["review_id", "first_name", "last_name", "stars"])  # fmt: skip
