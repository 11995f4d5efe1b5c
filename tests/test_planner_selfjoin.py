"""Self joins, planned and run on a small warehouse built here: a hierarchy through a self-referencing key (the
other row's columns, comparisons with it, counts per it, rows without it kept or dropped) and pairs of rows
sharing values. Readings that could give different tables are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner.recognizers.selfjoin import self_keys
from planner_support import check, plan, sql_engine

SQL = """
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, team VARCHAR,
  hired_on DATE, pay DECIMAL(8,2), supervisor_id INTEGER);
INSERT INTO staff VALUES
  (1, 'Ada', 'Holm', 'ops', '2010-01-01', 900, NULL), (2, 'Ben', 'Lund', 'ops', '2012-05-01', 700, 1),
  (3, 'Cy', 'Dahl', 'sales', '2008-03-01', 950, 1), (4, 'Di', 'Berg', 'sales', '2015-07-01', 600, 3),
  (5, 'Eli', 'Moe', 'ops', '2016-01-01', 650, 3), (6, 'Fay', 'Lie', 'ops', '2017-01-01', 500, 99);
CREATE TABLE clubs (club_id INTEGER PRIMARY KEY, club_name VARCHAR, town VARCHAR, sponsored_by_club_id INTEGER);
INSERT INTO clubs VALUES (1, 'Otters', 'Bath', NULL), (2, 'Herons', 'York', 1), (3, 'Voles', 'Bath', 1),
  (4, 'Newts', 'York', 2), (5, 'Moles', 'Leeds', 42);
CREATE TABLE regions (region_id INTEGER PRIMARY KEY, region_name VARCHAR, parent_region_id INTEGER);
INSERT INTO regions VALUES (1, 'North', NULL), (2, 'Dales', 1), (3, 'Moors', 1), (4, 'Upper Dales', 2);
CREATE TABLE members (member_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, born_on DATE,
  email VARCHAR);
INSERT INTO members VALUES (1, 'Ana', 'Roos', '1990-01-01', 'a@x'), (2, 'ana', 'ROOS', '1990-01-01', 'b@x'),
  (3, 'Ana', 'Roos', '1991-01-01', 'a@x'), (4, 'Bo', 'Sten', '1980-02-02', 'c@x'), (5, 'Ana', 'Roos', '1990-01-01', 'd@x');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "selfjoin", SQL)


def test_self_keys_are_found_by_role_verb_or_own_name(engine: Any) -> None:
    cat = engine.catalog()
    assert [(k.column, k.key, k.role) for k in self_keys(cat, "staff")] == [("supervisor_id", "staff_id", "supervisor")]
    assert [(k.column, k.role) for k in self_keys(cat, "clubs")] == [("sponsored_by_club_id", "sponsor")]
    assert [(k.column, k.role) for k in self_keys(cat, "regions")] == [("parent_region_id", "parent")]
    assert self_keys(cat, "members") == []


S = "SELECT s.*, {cols} FROM staff s {join} JOIN staff b ON s.supervisor_id = b.staff_id"


@pytest.mark.parametrize(("prompt", "expected"), [
    ("all staff, with their supervisor's last name when there is one", S.format(cols="b.last_name", join="LEFT")),
    ("staff and the team of their supervisor; staff without a supervisor are left out",
     S.format(cols="b.team", join="INNER")),
    ("list staff with the supervisor's first and last name, keep staff with no supervisor",
     S.format(cols="b.first_name, b.last_name", join="LEFT")),
    ("staff with their supervisor's name and team, only known supervisors",
     S.format(cols="b.first_name, b.last_name, b.team", join="INNER")),
])  # fmt: skip
def test_the_other_rows_columns(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_the_other_rows_columns_are_named_after_the_role(engine: Any) -> None:
    spec = plan(engine, "staff with their supervisor's last name when there is one")
    assert [c.name for c in spec.columns][-1] == "supervisor_last_name"
    assert [s.alias for s in spec.source_tables] == [None, "supervisor"]


@pytest.mark.parametrize(("prompt", "expected"), [
    ("staff with a higher pay than their supervisor", "s.pay > b.pay"),
    ("staff whose pay is lower than their supervisor's", "s.pay < b.pay"),
    ("staff hired before their supervisor", "s.hired_on < b.hired_on"),
    ("staff in a different team from their supervisor", "s.team <> b.team"),
    ("staff whose supervisor works in the same team", "s.team = b.team"),
])  # fmt: skip
def test_a_column_compared_with_the_other_rows(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, f"SELECT s.* FROM staff s JOIN staff b ON s.supervisor_id = b.staff_id WHERE {expected}")


@pytest.mark.parametrize(("prompt", "expected"), [
    # rows whose key is NULL or names no row (Fay's 99) are no supervisor's reports
    ("how many staff report to each supervisor",
     "SELECT s.supervisor_id, count(*) FROM staff s JOIN staff b ON s.supervisor_id = b.staff_id GROUP BY 1"),
    ("how many clubs has each club sponsored",
     "SELECT c.sponsored_by_club_id, count(*) FROM clubs c JOIN clubs s ON c.sponsored_by_club_id = s.club_id GROUP BY 1"),
])  # fmt: skip
def test_counts_per_the_other_row(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("clubs sponsored by another club, with the sponsor's name",
     "SELECT c.*, s.club_name FROM clubs c JOIN clubs s ON c.sponsored_by_club_id = s.club_id"),
    ("regions with their parent's name, keep regions with no parent",
     "SELECT r.*, p.region_name FROM regions r LEFT JOIN regions p ON r.parent_region_id = p.region_id"),
])  # fmt: skip
def test_keys_named_by_a_verb_or_the_tables_own_name(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("pairs of members with the same first name, last name and born_on, one row per pair, smaller id first",
     "SELECT a.member_id, b.member_id, a.first_name, a.last_name, a.born_on FROM members a JOIN members b "
     "ON a.first_name = b.first_name AND a.last_name = b.last_name AND a.born_on = b.born_on AND a.member_id < b.member_id"),
    ("pairs of members sharing first and last name (ignoring case) and born_on, lower member_id first",
     "SELECT a.member_id, b.member_id, a.first_name, a.last_name, a.born_on FROM members a JOIN members b "
     "ON lower(a.first_name) = lower(b.first_name) AND lower(a.last_name) = lower(b.last_name) "
     "AND a.born_on = b.born_on AND a.member_id < b.member_id"),
    ("pairs of members with the same email", "SELECT a.member_id, b.member_id, a.email FROM members a "
                                             "JOIN members b ON a.email = b.email AND a.member_id < b.member_id"),
])  # fmt: skip
def test_pairs_of_rows_sharing_values(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", [
    "Members who signed up twice: pairs of member rows sharing first and last name (ignoring case) "
    "and the same born_on. One row per pair, kept_id = the smaller member_id, copy_id = the larger one.",
    "pairs of members sharing the same first and last name (ignoring case) and the same born_on, with kept_id the "
    "smaller id and copy_id the larger",
])  # fmt: skip
def test_pairs_with_named_keys(engine: Any, prompt: str) -> None:
    """"the same A and the same B" is one list; the names given to the smaller and the larger key name the two
    shown keys; "who signed up twice:" before the pairs says what they are (no condition of its own)."""
    check(engine, prompt, "SELECT a.member_id, b.member_id, a.first_name, a.last_name, a.born_on FROM members a "
          "JOIN members b ON lower(a.first_name) = lower(b.first_name) AND lower(a.last_name) = lower(b.last_name) "
          "AND a.born_on = b.born_on AND a.member_id < b.member_id",
          ["kept_id", "copy_id", "first_name", "last_name", "born_on"])  # fmt: skip


@pytest.mark.parametrize("prompt", [
    # NULL and dangling supervisors: inner and left joins differ, and the request does not say which
    "staff with their supervisor's last name",
    # kept without a supervisor, yet compared with the supervisor
    "staff with a higher pay than their supervisor, including staff without a supervisor",
    # pairs with no shared value said
    "pairs of members",
    "member pairs born in 1990",
])  # fmt: skip
def test_unclear_readings_are_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


def test_a_role_word_is_never_the_rows_own_column(engine: Any) -> None:
    """"the supervisor's last name" is the other row's last_name, never the row's own."""
    spec = plan(engine, "staff and their supervisor's last name; staff without a supervisor are left out")
    assert "supervisor.last_name" in [c.column for c in spec.columns]
    assert spec.join_conditions[0].join_type == "inner"


@pytest.mark.parametrize(("prompt", "expected"), [
    ("how many staff report to each supervisor, only supervisors with at least 2",
     "SELECT s.supervisor_id, count(*) FROM staff s JOIN staff b ON s.supervisor_id = b.staff_id GROUP BY 1 HAVING count(*) >= 2"),
    ("how many clubs has each club sponsored, only sponsors that exist, two or more",
     "SELECT c.sponsored_by_club_id, count(*) FROM clubs c JOIN clubs s ON c.sponsored_by_club_id = s.club_id "
     "GROUP BY 1 HAVING count(*) >= 2"),
])  # fmt: skip
def test_a_condition_on_the_count_per_the_other_row(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_output_names_spelled_with_the_role(engine: Any) -> None:
    """"sponsor_id, sponsor_name" in an output list are the other row's key and name; "the sponsor's name" said
    before is the same column, listed once."""
    spec = check(engine, "clubs sponsored by a club that exists in the table, with the sponsor's name: club_id, "
                         "club_name, sponsor_id, sponsor_name",
                 "SELECT c.club_id, c.club_name, s.club_id, s.club_name FROM clubs c JOIN clubs s "
                 "ON c.sponsored_by_club_id = s.club_id")  # fmt: skip
    assert [c.name for c in spec.columns][2:] == ["sponsor_id", "sponsor_name"]


def test_two_lists_of_the_other_rows_columns(engine: Any) -> None:
    """"supervisor id and supervisor name": the role word starts a new item; the id keeps a name of its own
    (supervisor_id is the row's own column)."""
    spec = check(engine, "staff_id, last_name, supervisor id and supervisor name for all staff, blank when there is "
                         "no supervisor",
                 "SELECT s.staff_id, s.last_name, b.staff_id, b.first_name, b.last_name FROM staff s "
                 "LEFT JOIN staff b ON s.supervisor_id = b.staff_id")  # fmt: skip
    assert [c.name for c in spec.columns][2:] == ["supervisor_staff_id", "supervisor_first_name", "supervisor_last_name"]
