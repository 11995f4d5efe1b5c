"""Derived columns described in prose: bands with range words, stand-ins for missing values said after the
column, spans of time with the unit said first, percentages added or taken off (rows checked at the
boundary values)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

_SQL = """
CREATE TABLE lessons (lesson_id INTEGER PRIMARY KEY, tutor VARCHAR, hourly_rate DECIMAL(8,2), room VARCHAR,
                      began_at TIMESTAMP, finished_at TIMESTAMP, pupils INTEGER);
INSERT INTO lessons VALUES
 (1, 'ann', 109.99, 'A', '2026-01-05 09:00', '2026-01-05 10:30', 1),
 (2, 'bob', 110, NULL, '2026-01-05 11:00', '2026-01-05 11:45', 2),
 (3, 'cy', 149.99, 'B', '2026-01-06 09:00', '2026-01-06 09:20', 20),
 (4, 'di', 150, NULL, '2026-01-06 10:00', '2026-01-06 12:00', 21),
 (5, 'ed', 200, 'C', '2026-01-07 08:00', '2026-01-07 08:05', NULL);
CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, fare DECIMAL(8,2), fee DECIMAL(8,2));
INSERT INTO tickets VALUES (1, 100, NULL), (2, 50, 2.5), (3, 0, 1);
"""


@pytest.fixture(scope="module")
def school(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "school", _SQL)


_RATE_BAND = ("SELECT *, CASE WHEN hourly_rate < 110 THEN 'low' WHEN hourly_rate >= 110 AND hourly_rate < 150 "
              "THEN 'mid' WHEN hourly_rate >= 150 THEN 'high' END FROM lessons")


def test_band_with_an_excluded_upper_bound_and_an_open_top(school: Any) -> None:
    spec = check(school, "lessons with a rate_band: 'low' when the hourly rate is under 110, 'mid' from "
                         "110 up to but not including 150, and 'high' for 150 and above", _RATE_BAND)
    assert [c.name for c in spec.derived_columns] == ["rate_band"]


def test_a_band_named_as_the_last_item_of_a_list(school: Any) -> None:
    """"give lesson_id, tutor and a rate_band: ...": the article before the band's name is no item of its own."""
    check(school, "For each lesson give lesson_id, tutor and a rate_band: 'low' when the hourly rate is under 110, "
                  "'high' for 110 and above",
          "SELECT lesson_id, tutor, CASE WHEN hourly_rate < 110 THEN 'low' WHEN hourly_rate >= 110 THEN 'high' END "
          "FROM lessons", ["lesson_id", "tutor", "rate_band"])  # fmt: skip


def test_band_conditions_without_a_verb_take_the_runs_column(school: Any) -> None:
    check(school, "lessons with a size: 'solo' when pupils is 1, 'group' from 2 to 20 inclusive, "
                  "'crowd' above 20",
          "SELECT *, CASE WHEN pupils = 1 THEN 'solo' WHEN pupils BETWEEN 2 AND 20 THEN 'group' "
          "WHEN pupils > 20 THEN 'crowd' END FROM lessons")


def test_band_said_with_it_and_or_more(school: Any) -> None:
    check(school, "lessons with a rate_tier: 'cheap' if hourly_rate is below 150, 'dear' if it is "
                  "150 or more",
          "SELECT *, CASE WHEN hourly_rate < 150 THEN 'cheap' WHEN hourly_rate >= 150 THEN 'dear' END "
          "FROM lessons")


def test_band_of_two_comparisons_joined_by_and(school: Any) -> None:
    check(school, "lessons with a rate_tier: 'mid' when hourly_rate is at least 110 and under 150, "
                  "'other' otherwise",
          "SELECT *, CASE WHEN hourly_rate >= 110 AND hourly_rate < 150 THEN 'mid' ELSE 'other' END "
          "FROM lessons")


def test_a_range_end_not_said_in_or_out_next_to_a_band_taking_it_is_refused(school: Any) -> None:
    with pytest.raises(PlanError, match="in this band or the next"):
        plan(school, "lessons with a rate_band: 'low' when hourly_rate is from 100 to 150, 'high' for 150 and above")


def test_a_bare_exclusive_is_refused(school: Any) -> None:
    with pytest.raises(PlanError):
        plan(school, "lessons with a rate_band: 'low' when hourly_rate is from 100 to 150 exclusive, 'high' otherwise")


def test_stand_in_said_after_the_column(school: Any) -> None:
    check(school, "lessons with room, 'none' when missing",
          "SELECT lesson_id, tutor, hourly_rate, coalesce(room, 'none'), began_at, finished_at, pupils FROM lessons")
    check(school, "tickets with the fee, 0 if there is no fee",
          "SELECT ticket_id, fare, coalesce(fee, 0) FROM tickets")


def test_stand_in_for_another_column_is_no_fill(school: Any) -> None:
    """"room, 'n/a' if there is no tutor" does not fill in the room (here it is refused)."""
    with pytest.raises(PlanError):
        plan(school, "lessons with lesson_id, room, 'n/a' if there is no tutor")


def test_span_with_its_unit_said_before_between(school: Any) -> None:
    check(school, "lessons with the duration in minutes between began_at and finished_at",
          "SELECT *, EXTRACT(EPOCH FROM finished_at - began_at) / 60 FROM lessons")


def test_percentage_added_or_taken_off(school: Any) -> None:
    check(school, "tickets with the fare with 20% VAT",
          "SELECT *, fare * 1.2 FROM tickets")
    check(school, "tickets with fare less a 15% discount",
          "SELECT *, fare * 0.85 FROM tickets")


def test_percentage_whose_direction_words_disagree_is_refused(school: Any) -> None:
    with pytest.raises(PlanError):
        plan(school, "tickets with fare minus 20% VAT")


def test_a_lone_label_for_a_missing_value_is_a_stand_in(school: Any) -> None:
    check(school, "lessons with 'unknown' when room is missing",
          "SELECT lesson_id, tutor, hourly_rate, coalesce(room, 'unknown'), began_at, finished_at, pupils FROM lessons")
    with pytest.raises(PlanError):
        plan(school, "lessons with 'none' when pupils is missing")


def test_bands_listed_after_a_colon_with_is_or_nothing_between_bound_and_label(school: Any) -> None:
    """"Categorize lessons by hourly_rate: under 110 is 'low', 110 to 149.99 'mid', above 149.99 'high'": after a
    number, the label may follow "is" or nothing; a bound alone is on the column named before the colon."""
    check(school, "Categorize lessons by hourly_rate: under 110 is 'low', 110 to 149.99 'mid', above 149.99 'high'. "
                  "lesson_id, rate_band",
          "SELECT lesson_id, CASE WHEN hourly_rate < 110 THEN 'low' WHEN hourly_rate >= 110 AND hourly_rate <= 149.99 "
          "THEN 'mid' WHEN hourly_rate > 149.99 THEN 'high' END FROM lessons")  # fmt: skip


def test_a_verb_that_looks_like_a_table_name_is_no_table(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"Categorize ..." over a warehouse with a categories table: an English verb is no typo of the table's name."""
    for engine in sql_engine(tmp_path_factory, "shelf", _SQL + "CREATE TABLE categories (category_id INTEGER, name VARCHAR);"):
        spec = plan(engine, "Categorize tickets by fare: under 60 is 'cheap', 60 or more 'dear'. ticket_id, fare_band")
        assert [t.table_name for t in spec.source_tables] == ["tickets"]


@pytest.mark.parametrize("prompt", [
    "lessons with hourly_rate_band: 'low' under 110, 'mid' up to 150, 'high' above",
    "For each lesson: lesson_id, hourly_rate and hourly_rate_band, where hourly_rate_band is 'low' under 110, 'mid' up to 150 and 'high' above",
])  # fmt: skip
def test_a_band_named_after_its_column(school: Any, prompt: str) -> None:
    """"hourly_rate_band: 'low' under 110, ...": the bounds are of the column the band's name starts with, and the
    band is called as written."""
    from planner_support import plan

    spec = plan(school, prompt)
    band = next(x for x in spec.derived_columns if x.name == "hourly_rate_band")
    assert band.expression == ("CASE WHEN lessons.hourly_rate < 110 THEN 'low' WHEN lessons.hourly_rate <= 150 THEN 'mid' "
                               "ELSE 'high' END")

