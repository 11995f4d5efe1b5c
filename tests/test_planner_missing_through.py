"""Rows with no related row reached through other rows, and values written as paths (on a library's tables).

A base row has many rows in between (a member, many loans), and the request asks for base rows with none of
the rows beyond them (fines): each base row is kept once, when no row beyond is found through any of its
rows in between — never once per row in between that happens to have none. A path written as stored
("/catalogue") is a value of the column that holds it, never a word to set aside.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner.text import tokenize
from datamorph.planner.values import ValueIndex
from planner_support import check, plan, sql_engine

LIBRARY_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, town VARCHAR, joined_on DATE);
INSERT INTO members VALUES (1, 'Ada', 'Leeds', '2020-01-01'), (2, 'Ben', 'York', '2021-02-02'),
  (3, 'Cy', 'Leeds', '2022-03-03'), (4, 'Di', 'Hull', '2023-04-04');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), title VARCHAR,
                    loaned_on DATE);
INSERT INTO loans VALUES (10, 1, 'Dune', '2024-01-05'), (11, 1, 'Emma', '2024-02-01'), (12, 2, 'Ulysses', '2024-03-01'),
  (13, 2, 'Beloved', '2023-05-01'), (14, 3, 'Hamlet', '2024-06-01');
CREATE TABLE fines (fine_id INTEGER PRIMARY KEY, loan_id INTEGER REFERENCES loans(loan_id), fine_amount DECIMAL(6,2),
                    fined_on DATE);
INSERT INTO fines VALUES (100, 10, 2.50, '2024-02-01'), (101, 13, 1.00, '2023-06-01');
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), page_path VARCHAR,
                     visited_at TIMESTAMP);
INSERT INTO visits VALUES (1, 1, '/catalogue', '2024-01-01 10:00'), (2, 1, '/opening-hours', '2024-01-02 10:00'),
  (3, 2, '/catalogue', '2024-02-01 09:00'), (4, 3, '/events/summer', '2024-07-01 12:00'),
  (5, 3, '/catalogue', '2024-07-02 12:00');
"""

NEVER_FINED = ("SELECT * FROM members WHERE member_id NOT IN "
               "(SELECT l.member_id FROM loans l JOIN fines f ON f.loan_id = l.loan_id{})")  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "library", LIBRARY_SQL)


# misreading: "never prescribed anything" kept each base row once per row in between without a match (a member
# with one fined and one clean loan was listed, once per clean loan)
@pytest.mark.parametrize("prompt", ["members who were never fined", "members with no fines",
                                    "members who never paid a fine"])  # fmt: skip
def test_base_rows_with_nothing_reached_through_their_rows_are_kept_once(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, NEVER_FINED.format(""))
    assert [c.name for c in spec.columns] == ["member_id", "full_name", "town", "joined_on"]


def test_which_rows_beyond_count_stays_on_them(engine: Any) -> None:
    check(engine, "members with no fines in 2024",
          NEVER_FINED.format(" WHERE f.fined_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"))


def test_a_measure_over_such_rows_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="not planned yet"):
        plan(engine, "number of members per town who were never fined")


# misreading: "members without any loans, with their town" listed the (empty) loans columns: "their" named the
# rows the request says are missing
@pytest.mark.parametrize(("prompt", "missing"), [
    ("members without any loans, with their town", "SELECT member_id FROM loans"),
    ("members without any fines, with their town and name",
     "SELECT l.member_id FROM loans l JOIN fines f ON f.loan_id = l.loan_id"),
])  # fmt: skip
def test_their_after_missing_rows_is_the_base_rows(engine: Any, prompt: str, missing: str) -> None:
    spec = check(engine, prompt, f"SELECT * FROM members WHERE member_id NOT IN ({missing})")
    assert all(c.column and c.column.startswith("members.") for c in spec.columns)


# misreading: "never visited /cart" set the path's word aside (a common English word naming nothing) and listed the
# users with no session at all
@pytest.mark.parametrize(("prompt", "where"), [
    ("visits to /catalogue", "page_path = '/catalogue'"),
    ("visits of /Catalogue", "page_path = '/catalogue'"),
    ("visits not on /catalogue", "page_path <> '/catalogue'"),
    ("visits to /catalogue or /opening-hours", "page_path IN ('/catalogue', '/opening-hours')"),
    ("visits of /events/summer", "page_path = '/events/summer'"),
])  # fmt: skip
def test_a_path_written_as_stored_is_a_value(engine: Any, prompt: str, where: str) -> None:
    check(engine, prompt, f"SELECT * FROM visits WHERE {where}")


def test_a_path_counts_per_period(engine: Any) -> None:
    check(engine, "number of visits to /catalogue per month",
          "SELECT CAST(date_trunc('month', visited_at) AS DATE), COUNT(*) FROM visits WHERE page_path = '/catalogue' "
          "GROUP BY 1")  # fmt: skip


def test_members_who_never_visited_a_path(engine: Any) -> None:
    check(engine, "members who never visited /catalogue",
          "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM visits WHERE page_path = '/catalogue')")


@pytest.mark.parametrize("prompt", ["members who never visited /nowhere", "visits to /nowhere per month"])
def test_a_path_no_column_holds_is_never_set_aside(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="/nowhere"):
        plan(engine, prompt)


def test_a_path_is_one_token_and_a_division_is_not_a_path() -> None:
    kinds = [(t.text, t.kind, t.value) for t in tokenize("visits to /blog/how-to. amount/quantity, and/or x / y").items]
    assert ("/blog/how-to", "quoted", "/blog/how-to") in kinds
    assert [k for _, k, _ in kinds if k == "quoted"] == ["quoted"]
    assert sum(1 for text, kind, _ in kinds if text == "/" and kind == "op") == 3


def test_paths_are_found_only_as_written() -> None:
    idx = ValueIndex()
    idx.add_column("visits", "page_path", ["/catalogue", "/events/summer"], exact_only=True)
    assert [m.value for m in idx.lookup("/Catalogue")] == ["/catalogue"]
    assert idx.lookup("catalogue") == [] and idx.lookup("events summer") == []
    again = ValueIndex.from_dict(idx.to_dict())
    assert [m.value for m in again.lookup("/events/summer")] == ["/events/summer"]
    assert again.lookup("summer") == []
