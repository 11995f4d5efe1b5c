"""Clauses that say which rows to leave out or keep, end to end on a small gym warehouse (recognizers/orphans.py):
rows whose own column is empty, rows whose reference matches nothing, and rows with no related rows.

Members may share a name (two 'Ana'), some emails and towns are NULL; classes point at coaches (one coach_id NULL,
one pointing at no coach); bookings point at members (one member_id NULL, one pointing at no member) and classes
(one fee NULL).
Each reading is planned, run, and its rows compared with a hand-written query; readings that could give different
tables are refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

GYM_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name VARCHAR, email VARCHAR, town VARCHAR,
  credit DECIMAL(8,2));
INSERT INTO members VALUES (1, 'Ana', 'ana@x.io', 'Leeds', 10), (2, 'Ana', NULL, 'York', 20),
  (3, 'Bo', 'bo@x.io', NULL, 5), (4, 'Cy', NULL, 'Leeds', 0), (5, 'Di', 'di@x.io', 'York', 7);
CREATE TABLE coaches (coach_id INTEGER PRIMARY KEY, coach_name VARCHAR, licence_no VARCHAR);
INSERT INTO coaches VALUES (1, 'Kim', 'L-1'), (2, 'Lou', NULL), (3, 'Max', 'L-3');
CREATE TABLE classes (class_id INTEGER PRIMARY KEY, coach_id INTEGER, title VARCHAR,
  room VARCHAR);
INSERT INTO classes VALUES (10, 1, 'Spin', 'A'), (11, 1, 'Yoga', NULL), (12, 2, 'Row', 'B'), (13, NULL, 'Box', 'B'),
  (14, 9, 'Swim', NULL);
CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, member_id INTEGER, class_id INTEGER,
  status VARCHAR, fee DECIMAL(8,2));
INSERT INTO bookings VALUES (100, 1, 10, 'attended', 8), (101, 1, 11, 'attended', 9), (102, 2, 10, 'no-show', 8),
  (103, 2, 12, 'attended', 6), (104, 3, 12, 'cancelled', 6), (105, 77, 10, 'attended', 8),
  (106, NULL, 13, 'attended', 5), (107, 4, 14, 'attended', NULL);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "gym", GYM_SQL)


def _tables(spec: Any) -> set[str]:
    return {s.table_name for s in spec.source_tables}


# -- (a) the rows' own column is empty: left out (filled in), or kept (no filter) ------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("member_name of members; skip members without an email",
     "SELECT member_name FROM members WHERE email IS NOT NULL"),
    ("member_name and town of members, dropping members whose town is blank",
     "SELECT member_name, town FROM members WHERE town IS NOT NULL"),
    ("members whose email is missing are left out: member_id, member_name",
     "SELECT member_id, member_name FROM members WHERE email IS NOT NULL"),
    ("coach_name of coaches. Omit coaches with no licence_no recorded.",
     "SELECT coach_name FROM coaches WHERE licence_no IS NOT NULL"),
    ("number of classes per room; classes lacking a room shouldn't appear",
     "SELECT room, count(*) FROM classes WHERE room IS NOT NULL GROUP BY 1"),
    ("title of classes; don't include classes that have no room",
     "SELECT title FROM classes WHERE room IS NOT NULL"),
    ("average credit per town, ignoring members whose town is empty",
     "SELECT town, avg(credit) FROM members WHERE town IS NOT NULL GROUP BY 1"),
])  # fmt: skip
def test_rows_with_an_empty_column_left_out(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_a_spelled_key_left_empty_is_that_column_not_a_join(engine: Any) -> None:
    """"without a member_id": the id is empty (the booking pointing at no member is kept), not an inner join."""
    spec = check(engine, "booking_id and fee of bookings; bookings without a member_id are skipped",
                 "SELECT booking_id, fee FROM bookings WHERE member_id IS NOT NULL")  # fmt: skip
    assert _tables(spec) == {"bookings"}


@pytest.mark.parametrize("prompt", [
    "member_name and email of members, including members even if their email is missing",
    "member_name and email of members; members with no email are still included",
    "member_name and email of members; don't drop members without an email",
])  # fmt: skip
def test_rows_with_an_empty_column_kept(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "SELECT member_name, email FROM members")
    assert not spec.filters


@pytest.mark.parametrize("prompt", [
    "members without an email; skip members whose email is missing",  # empty, and filled in
    "members whose email is filled in, including members even if their email is missing",  # filled in, kept empty
    "member_name of members; keep members whose email is missing",  # those alone, or them too?
    "username of members; skip members without a verified email",  # no such flag: never a NULL test of email
    "booking_id of bookings; skip bookings with no fee",  # a fee of 0, or none recorded?
])  # fmt: skip
def test_empty_columns_said_two_ways_are_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- (b) rows whose reference matches nothing: an inner join --------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "booking_id and fee; bookings that don't lead to a known member are thrown away",
    "booking_id, fee. Bookings whose member_id doesn't match any member aren't counted.",
    "booking_id and fee of bookings, leaving out bookings of unknown members",
])  # fmt: skip
def test_rows_that_link_to_nothing_left_out(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT b.booking_id, b.fee FROM bookings b JOIN members m USING (member_id)")


# -- (c) rows with no related rows: a semi join, each row once ---------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    # two members are called Ana and both booked: two rows, not one (no DISTINCT of the names)
    ("member_name of members, skipping members with no bookings",
     "SELECT member_name FROM members m WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.member_id = m.member_id)"),
    ("coaches; exclude coaches with no classes",
     "SELECT * FROM coaches c WHERE EXISTS (SELECT 1 FROM classes k WHERE k.coach_id = c.coach_id)"),
    ("member_name and town; leave out members who have no attended booking",
     "SELECT member_name, town FROM members m WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.member_id = m.member_id "
     "AND b.status = 'attended')"),
    ("number of members per town, leaving out members without bookings",
     "SELECT town, count(*) FROM members m WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.member_id = m.member_id) "
     "GROUP BY 1"),
    ("coach_name of coaches; exclude coaches without a licence_no and coaches with no classes",
     "SELECT coach_name FROM coaches c WHERE licence_no IS NOT NULL AND EXISTS "
     "(SELECT 1 FROM classes k WHERE k.coach_id = c.coach_id)"),
])  # fmt: skip
def test_rows_without_related_rows_left_out(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", [
    "member_name of members, including members with no bookings",
    "member_name of members; keep members who have no bookings too",
])  # fmt: skip
def test_rows_without_related_rows_kept(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "SELECT member_name FROM members")
    assert _tables(spec) == {"members"}


@pytest.mark.parametrize("prompt", [
    "total credit of members per town; skip members with no bookings",  # each member once per booking
    "average credit of members, leaving out members without bookings",
])  # fmt: skip
def test_totals_over_rows_a_semi_join_repeats_are_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="once per bookings row"):
        plan(engine, prompt)


def test_a_negated_count_is_a_verb_of_leaving_out(engine: Any) -> None:
    """"don't count bookings whose ...": the rows are left out; nothing is counted."""
    spec = check(engine, "booking_id and fee of bookings; don't count bookings whose fee is empty",
                 "SELECT booking_id, fee FROM bookings WHERE fee IS NOT NULL")  # fmt: skip
    assert not spec.aggregations


def test_related_rows_two_steps_down(engine: Any) -> None:
    """coaches <- classes <- bookings: a coach "that doesn't have any bookings" has no class with a booking."""
    check(engine, "coach_name of coaches, but skip coaches that don't have any bookings",
          "SELECT coach_name FROM coaches c WHERE EXISTS (SELECT 1 FROM classes k JOIN bookings b USING (class_id) "
          "WHERE k.coach_id = c.coach_id)")  # fmt: skip


def test_we_do_not_care_about_is_a_verb_of_leaving_out(engine: Any) -> None:
    check(engine, "we don't care about members without an email: member_name, town",
          "SELECT member_name, town FROM members WHERE email IS NOT NULL")  # fmt: skip


def test_related_rows_reached_through_the_rows_that_point_back(engine: Any) -> None:
    """members <- bookings -> classes: a member "with no classes" has no booking of an existing class."""
    check(engine, "member_name of members; skip members with no classes",
          "SELECT member_name FROM members m WHERE EXISTS (SELECT 1 FROM bookings b JOIN classes k USING (class_id) "
          "WHERE b.member_id = m.member_id)")  # fmt: skip


@pytest.mark.parametrize("prompt", [
    "booking_id and fee of bookings; also member ids missing from members",
    "booking_id and fee of bookings, keeping member ids missing from members",
])  # fmt: skip
def test_keys_missing_from_their_table_kept_said_before_the_rows(engine: Any, prompt: str) -> None:
    """A misreading before: "member ids missing" was a NULL test of members.member_id (a key is never empty) on
    members joined to bookings: no rows."""
    spec = check(engine, prompt, "SELECT booking_id, fee FROM bookings")
    assert _tables(spec) == {"bookings"}


# -- on the demo warehouse: customers and their orders ----------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from planner_support import planner_engine

    yield from planner_engine(tmp_path_factory)


ORDERED = "SELECT c.email FROM customers c WHERE EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.customer_id)"


def test_a_sort_said_with_the_tables_verb_names_no_table(demo: Any) -> None:
    """"ordered by email" is a sort, not the orders' date: the customers are still listed once each."""
    spec = check(demo, "email of customers, leaving out customers who never ordered, ordered by email", ORDERED)
    assert spec.group_by


def test_the_related_rows_asked_for_are_the_pairs(demo: Any) -> None:
    check(demo, "customers with their orders; skip customers who never ordered",
          "SELECT * FROM customers c JOIN orders o USING (customer_id)")  # fmt: skip
