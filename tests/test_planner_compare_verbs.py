"""Row comparisons said with verbs and phrases ("fare tops 30", "climbs above", "falls short of", "at or above",
"does not exceed") and a row's length measured by a column named with its unit of time ("calls longer than 2
minutes": ``duration_sec > 120``), planned and run on a small warehouse built here. A comparison on an aggregate
("whose average fare tops 30") is never read as one on each row, and a verb of change before "more than"
("dropped more than 5") is no level."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SQL = """
CREATE TABLE rides (ride_id INTEGER PRIMARY KEY, rider VARCHAR, fare DECIMAL(8,2), distance_km DECIMAL(6,1),
  wait_min INTEGER);
INSERT INTO rides VALUES (1, 'ann', 12.5, 3.0, 4), (2, 'bo', 31.0, 14.2, 12), (3, 'cy', 30.0, 11.0, 7),
  (4, 'di', 45.0, 22.5, 30), (5, 'ann', 8.0, 1.5, 2);
CREATE TABLE calls (call_id INTEGER PRIMARY KEY, agent VARCHAR, duration_sec INTEGER);
INSERT INTO calls VALUES (1, 'eve', 45), (2, 'eve', 130), (3, 'fay', 120), (4, 'gus', 600);
CREATE TABLE shifts (shift_id INTEGER PRIMARY KEY, nurse VARCHAR, started_at TIMESTAMP, ended_at TIMESTAMP,
  break_min_duration INTEGER, break_minutes INTEGER);
INSERT INTO shifts VALUES (1, 'hal', '2025-01-01 08:00', '2025-01-01 16:00', 30, 30),
  (2, 'ivy', '2025-01-01 08:00', '2025-01-01 12:30', 15, 15);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, visitor VARCHAR, visit_duration_min INTEGER);
INSERT INTO visits VALUES (1, 'jo', 1), (2, 'kim', 2);
CREATE TABLE stints (stint_id INTEGER PRIMARY KEY, began_at TIMESTAMP, ended_at TIMESTAMP, duration_min INTEGER);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "compare_verbs", SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("rides whose fare tops 30", "SELECT * FROM rides WHERE fare > 30"),
    ("rides where the fare climbs above 30", "SELECT * FROM rides WHERE fare > 30"),
    ("rides whose fare went past 30", "SELECT * FROM rides WHERE fare > 30"),
    ("rides with a distance_km that goes beyond 12", "SELECT * FROM rides WHERE distance_km > 12"),
    ("rides whose fare surpasses 30", "SELECT * FROM rides WHERE fare > 30"),
    ("rides whose fare drops below 12.5", "SELECT * FROM rides WHERE fare < 12.5"),
    ("rides whose fare falls short of 30", "SELECT * FROM rides WHERE fare < 30"),
    ("rides whose fare stays under 30", "SELECT * FROM rides WHERE fare < 30"),
    ("rides with a fare at or above 30", "SELECT * FROM rides WHERE fare >= 30"),
    ("rides whose fare is at or below 30", "SELECT * FROM rides WHERE fare <= 30"),
    ("rides whose fare does not exceed 30", "SELECT * FROM rides WHERE fare <= 30"),
    ("rides whose fare is not above 30", "SELECT * FROM rides WHERE fare <= 30"),
    ("rides whose fare is not below 30", "SELECT * FROM rides WHERE fare >= 30"),
    ("rides whose fare is no higher than 12.5", "SELECT * FROM rides WHERE fare <= 12.5"),
    ("rides with a fare reaching at least 31", "SELECT * FROM rides WHERE fare >= 31"),
])  # fmt: skip
def test_a_comparison_said_with_a_verb(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("calls longer than 2 minutes", "SELECT * FROM calls WHERE duration_sec > 120"),
    ("calls shorter than 1 minute", "SELECT * FROM calls WHERE duration_sec < 60"),
    ("calls that lasted at least 2 minutes", "SELECT * FROM calls WHERE duration_sec >= 120"),
    ("calls that went past 5 minutes", "SELECT * FROM calls WHERE duration_sec > 300"),
    ("shifts that went past 6 hours", "SELECT * FROM shifts WHERE ended_at - started_at > INTERVAL 6 HOUR"),
])  # fmt: skip
def test_a_length_measured_by_a_column_named_with_its_unit(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_minutes_compared_with_seconds_stay_exact(engine: Any) -> None:
    spec = plan(engine, "visits that lasted more than 90 seconds")
    assert any("visit_duration_min * 60 > 90" in getattr(f, "expression", "") for f in spec.filters), spec.to_json()


@pytest.mark.parametrize("prompt", [
    "rides longer than 10 minutes",  # wait_min is a part of a ride's time, not its length
    "stints longer than 6 hours",  # a start/end pair and a column of length: which one?
])  # fmt: skip
def test_no_length_from_a_column_that_may_not_be_it(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


@pytest.mark.parametrize("prompt", [
    "rides whose fare dropped more than 5",  # a change, not a level
    "riders whose average fare tops 20 and their ride count",  # a condition on an aggregate
    "riders whose fares total more than 40 and their ride count",
])  # fmt: skip
def test_no_row_comparison_from_a_change_or_an_aggregate(engine: Any, prompt: str) -> None:
    try:
        spec = plan(engine, prompt)
    except PlanError:
        return
    assert not any(getattr(f, "column", "") == "rides.fare" for f in spec.filters), spec.to_json()
