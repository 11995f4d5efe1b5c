"""Event verbs before a period, and rows said with "and their <column>" after conditions (a courier firm's tables).

- a synonym written for one naming convention of a date column reaches the others: "joined" knows
  ``hire_date``; the warehouse says ``hired_on`` (the same event, another suffix);
- "began"/"finished" are the start and end of a row's life (``started_at``/``ended_at``);
- a verb nobody reads, right before a period, on a table with one date: that date's event ("fines issued in 2024");
- "couriers from Leeds and their van plate": the possessive list after conditions on the rows;
- a heading label may repeat a listed column's name ("Hires without fines: ..., hired_on").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

COURIER_SQL = """
CREATE TABLE couriers (courier_id INTEGER PRIMARY KEY, courier_name VARCHAR, town VARCHAR, van_plate VARCHAR,
                       hired_on DATE, retired_on DATE);
INSERT INTO couriers VALUES (1, 'Ann', 'Leeds', 'AB1', '2019-03-01', NULL), (2, 'Bo', 'York', 'CD2', '2021-06-01', NULL),
  (3, 'Cy', 'Leeds', 'EF3', '2022-01-10', '2024-02-01'), (4, 'Di', 'Hull', 'GH4', '2024-05-05', NULL);
CREATE TABLE fines (fine_id INTEGER PRIMARY KEY, courier_id INTEGER REFERENCES couriers(courier_id),
                    fine_amount DECIMAL(8,2), fined_on DATE);
INSERT INTO fines VALUES (1, 1, 60, '2023-07-01'), (2, 2, 100, '2024-02-02'), (3, 2, 30, '2024-09-09');
CREATE TABLE rounds (round_id INTEGER PRIMARY KEY, courier_id INTEGER REFERENCES couriers(courier_id),
                     started_at TIMESTAMP, ended_at TIMESTAMP, stops INTEGER);
INSERT INTO rounds VALUES (1, 1, '2024-03-01 08:00', '2024-03-01 12:00', 20),
  (2, 2, '2024-03-31 22:00', '2024-04-01 02:00', 15), (3, 1, '2024-04-02 08:00', '2024-04-02 11:00', 12);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "couriers", COURIER_SQL)


@pytest.mark.parametrize("verb", ["joined", "were hired"])
def test_a_synonym_reaches_a_date_named_in_another_convention(engine: Any, verb: str) -> None:
    """"joined"/"hired" name a hire date; the column is ``hired_on``, not the ``hire_date`` the word list knows."""
    check(engine, f"couriers who {verb} after 2020", "SELECT * FROM couriers WHERE hired_on > DATE '2020-12-31'")


def test_a_start_verb_and_an_end_verb(engine: Any) -> None:
    check(engine, "rounds that began in March 2024",
          "SELECT * FROM rounds WHERE started_at >= '2024-03-01' AND started_at < '2024-04-01'")  # fmt: skip
    check(engine, "rounds that finished in April 2024",
          "SELECT * FROM rounds WHERE ended_at >= '2024-04-01' AND ended_at < '2024-05-01'")  # fmt: skip


def test_an_unread_verb_before_a_period_is_the_only_dates_event(engine: Any) -> None:
    check(engine, "fines issued in 2024", "SELECT * FROM fines WHERE fined_on BETWEEN '2024-01-01' AND '2024-12-31'")


def test_an_unread_verb_on_a_table_of_two_dates_is_not_guessed(engine: Any) -> None:
    """couriers have a hire and a retirement date: "couriers vetted in 2024" names neither."""
    with pytest.raises(PlanError, match="vetted|which date"):
        plan(engine, "couriers vetted in 2024")


@pytest.mark.parametrize("conditions", ["from Leeds", "hired before 2023"])
def test_and_their_column_after_conditions(engine: Any, conditions: str) -> None:
    spec = plan(engine, f"couriers {conditions} and their van plate")
    assert "couriers.van_plate" in {c.column for c in spec.columns}
    assert spec.filters


def test_and_without_a_possessive_is_still_a_value_list(engine: Any) -> None:
    check(engine, "couriers from Leeds and Hull", "SELECT * FROM couriers WHERE town IN ('Leeds', 'Hull')")


def test_a_heading_label_may_repeat_a_listed_column(engine: Any) -> None:
    check(engine, "Hires never disciplined: couriers without any fine. courier_id, courier_name, hired_on",
          "SELECT courier_id, courier_name, hired_on FROM couriers WHERE courier_id NOT IN (SELECT courier_id FROM fines)",
          ["courier_id", "courier_name", "hired_on"])  # fmt: skip


def test_rows_with_an_event_of_other_rows_in_a_period(engine: Any) -> None:
    """"couriers who were fined in 2024": the fines' date; each courier once, however many fines (once refused:
    "the date of fines.fined_on, on which rows?")."""
    check(engine, "couriers who were fined in 2024",
          "SELECT * FROM couriers WHERE courier_id IN (SELECT courier_id FROM fines WHERE year(fined_on) = 2024)")  # fmt: skip
    check(engine, "number of couriers who were fined in 2024 per town",
          "SELECT town, count(DISTINCT courier_id) FROM couriers JOIN fines USING (courier_id) "
          "WHERE year(fined_on) = 2024 GROUP BY 1")  # fmt: skip


def test_an_event_of_other_rows_not_said_of_the_rows_is_still_asked(engine: Any) -> None:
    with pytest.raises(PlanError, match="on which rows"):
        plan(engine, "couriers fined in 2024")
