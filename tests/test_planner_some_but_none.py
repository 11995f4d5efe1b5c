"""Rows that have related rows, but none of a kind (on a dance school's tables).

"studios with at least one booking but no cancelled booking", "studios that have bookings but never a
cancelled one", "instructors who have taught at least once but never in 2024": the rows kept have a related
row (a studio with no booking at all is not kept: read as the anti join alone it was), and none of the kind
named. The related table is joined (inner), the base rows grouped, and a group kept when it counts no row of
the kind. A request that says no kind (rows both with and without a related row) is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SCHOOL_SQL = """
CREATE TABLE studios (studio_id INTEGER PRIMARY KEY, studio_name VARCHAR, town VARCHAR);
INSERT INTO studios VALUES (1, 'Loft', 'Bath'), (2, 'Barn', 'Bath'), (3, 'Hall', 'Wells'), (4, 'Attic', 'Wells');
CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, studio_id INTEGER REFERENCES studios(studio_id),
                       state VARCHAR, promo_code VARCHAR, hours INTEGER, booked_on DATE);
INSERT INTO bookings VALUES (10, 1, 'confirmed', NULL, 2, '2024-03-01'), (11, 1, 'confirmed', 'SPRING', 3, '2025-01-05'),
  (12, 2, 'cancelled', NULL, 1, '2024-05-01'), (13, 2, 'confirmed', NULL, 4, '2023-02-01'),
  (14, 3, 'confirmed', NULL, 6, '2023-07-01');
CREATE TABLE refunds (refund_id INTEGER PRIMARY KEY, booking_id INTEGER REFERENCES bookings(booking_id),
                      refunded DECIMAL(6,2));
INSERT INTO refunds VALUES (100, 12, 20.00), (101, 10, 5.00);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "dance_school", SCHOOL_SQL)


def _some_but_not(condition: str) -> str:
    return ("SELECT studio_id, studio_name FROM studios WHERE studio_id IN (SELECT studio_id FROM bookings) "
            f"AND studio_id NOT IN (SELECT studio_id FROM bookings WHERE {condition})")  # fmt: skip


@pytest.mark.parametrize(("prompt", "condition"), [
    ("studios with at least one booking but no cancelled bookings: studio_id, studio_name", "state = 'cancelled'"),
    ("studios that have bookings but never a cancelled booking; studio_id and studio_name", "state = 'cancelled'"),
    ("Studios with bookings but no booking with a promo code. studio_id, studio_name", "promo_code IS NOT NULL"),
    ("studios with one or more bookings but no bookings in 2024: studio_id, studio_name", "year(booked_on) = 2024"),
])  # fmt: skip
def test_some_related_rows_but_none_of_a_kind(engine: Any, prompt: str, condition: str) -> None:
    """Studio 4 has no booking and is never kept; studio 3 (bookings, none of the kind) is."""
    spec = check(engine, prompt, _some_but_not(condition))
    assert [j.join_type for j in spec.join_conditions] == ["inner"]
    assert spec.having, "the kind of row is counted per studio, and the count must be 0"


def test_a_kind_reached_through_the_related_rows(engine: Any) -> None:
    """"with at least one booking but no refunds": refunds hang off the bookings; a studio is kept when none
    of its bookings has one (studio 3), never once per booking without one (studio 1 has an unrefunded booking)."""
    check(engine, "studios with at least one booking but no refunds: studio_id, studio_name",
          "SELECT studio_id, studio_name FROM studios WHERE studio_id IN (SELECT studio_id FROM bookings) AND "
          "studio_id NOT IN (SELECT b.studio_id FROM bookings b JOIN refunds r USING (booking_id))")  # fmt: skip


def test_rows_both_with_and_without_any_related_row_are_refused(engine: Any) -> None:
    """No kind said: a studio cannot have a booking and no booking at all."""
    with pytest.raises(PlanError, match="with and rows without"):
        plan(engine, "studios with at least one booking but no bookings: studio_id")


def test_columns_of_the_related_rows_are_refused(engine: Any) -> None:
    """Each studio is one group; the bookings' own columns have no single value in it."""
    with pytest.raises(PlanError):
        plan(engine, "studios with at least one booking but no cancelled bookings: studio_id, booked_on")
