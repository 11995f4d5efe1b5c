"""Ages from a date of birth (a rowing club's tables; the reference date is 2025-07-01).

Conditions on an age are conditions on the birth date against a date computed at plan time (whole years: a
birthday not reached yet does not count); "age" left over is a new column. A number with no age word, and a
span of days, are never ages.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner.recognizers.ages import age_expression, conditions, years_back
from planner_support import check, plan, sql_engine

CLUB_SQL = """
CREATE TABLE rowers (rower_id INTEGER PRIMARY KEY, rower_name VARCHAR, crew VARCHAR, born_on DATE, joined_on DATE);
INSERT INTO rowers VALUES
  (1, 'Ada', 'eights', '1960-07-01', '2010-01-01'),  -- 65 on the reference day
  (2, 'Ben', 'eights', '1960-07-02', '2012-01-01'),  -- 64: the birthday is tomorrow
  (3, 'Cal', 'fours',  '2007-07-02', '2023-01-01'),  -- 17
  (4, 'Dee', 'fours',  '1990-03-15', '2015-01-01'),  -- 35
  (5, 'Eve', 'pairs',  '1985-12-31', '2020-01-01');  -- 39
CREATE TABLE outings (outing_id INTEGER PRIMARY KEY, rower_id INTEGER REFERENCES rowers(rower_id), km INTEGER,
                      rowed_on DATE);
INSERT INTO outings VALUES (1, 1, 12, '2025-06-01'), (2, 4, 20, '2025-06-10'), (3, 4, 8, '2025-05-01');
"""

AGE = ("(2025 - year(born_on) - CASE WHEN month(born_on) * 100 + day(born_on) > 701 THEN 1 ELSE 0 END)")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "rowing_club", CLUB_SQL)


@pytest.mark.parametrize(("words", "test"), [
    ("older than 64", "> 64"),
    ("aged over 64", "> 64"),
    ("over the age of 64", "> 64"),
    ("over 64 years old", "> 64"),
    ("65 or older", ">= 65"),
    ("aged 65 and over", ">= 65"),
    ("at least 65 years old", ">= 65"),
    ("younger than 18", "< 18"),
    ("under 18 years of age", "< 18"),
    ("aged 35 to 39", "BETWEEN 35 AND 39"),
    ("between the ages of 30 and 40", "BETWEEN 30 AND 40"),
    ("aged 64", "= 64"),
    ("sixty-five or older", ">= 65"),
    ("aged 65+", ">= 65"),
])  # fmt: skip
def test_an_age_condition_is_a_condition_on_the_birth_date(engine: Any, words: str, test: str) -> None:
    check(engine, f"rowers {words}", f"SELECT * FROM rowers WHERE {AGE} {test}")


def test_the_age_as_a_value(engine: Any) -> None:
    check(engine, "rower_name and age of each rower", f"SELECT rower_name, {AGE} FROM rowers",
          ["rower_name", "age"])  # fmt: skip
    check(engine, "average rower age per crew", f"SELECT crew, avg({AGE}) FROM rowers GROUP BY 1")
    check(engine, "average age of rowers by crew", f"SELECT crew, avg({AGE}) FROM rowers GROUP BY 1")


def test_ages_with_other_conditions(engine: Any) -> None:
    check(engine, "number of rowers younger than 40 per crew",
          f"SELECT crew, count(*) FROM rowers WHERE {AGE} < 40 GROUP BY 1")  # fmt: skip


@pytest.mark.parametrize("prompt", [
    "rowers with 3 or more outings",  # a count, not an age
    "outings over 10 km",  # no birth date on outings
])  # fmt: skip
def test_numbers_without_an_age_word_are_not_ages(engine: Any, prompt: str) -> None:
    try:
        spec = plan(engine, prompt)
    except PlanError:
        return
    assert not any("born_on" in (getattr(f, "column", "") or "") for f in spec.filters), spec.to_json()


def test_a_span_of_days_is_not_an_age(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "rowers with outings older than 30 days")


def test_conditions_and_expression_alone() -> None:
    ref = dt.date(2024, 2, 29)
    assert years_back(ref, 1) == dt.date(2023, 2, 28)
    assert [(f.operator, f.value) for f in conditions("t.dob", ">", 60, ref, "")] == [("<=", "1963-02-28")]
    assert [(f.operator, f.value) for f in conditions("t.dob", "<", 18, ref, "")] == [(">", "2006-02-28")]
    assert [(f.operator, f.value) for f in conditions("t.dob", "=", 30, ref, "")] == [
        ("<=", "1994-02-28"), (">", "1993-02-28")]
    assert age_expression("t.dob", dt.date(2025, 7, 1)).startswith("2025 - YEAR(t.dob)")


def test_a_birth_date_is_no_event_of_the_rows(engine: Any) -> None:
    """"new rowers each month of 2023": the rows' start (joined_on), never asked against the birth date (once
    PlanAmbiguous between joined_on and born_on; and refused before that: the period followed "each month")."""
    check(engine, "number of new rowers each month of 2023",
          "SELECT CAST(date_trunc('month', joined_on) AS DATE), count(*) FROM rowers "
          "WHERE joined_on BETWEEN '2023-01-01' AND '2023-12-31' GROUP BY 1")  # fmt: skip
