"""Ratios of two kinds of rows, and values written with a hyphen (on a repair shop's tables).

- "ratio of scrapped to fixed tickets": the count of the rows of the first kind over the count of the second,
  both kinds data values of the table named after the second;
- "walk-in tickets", "no-fix tickets": a word written with a hyphen is one word (here a data value), even when
  one of its parts is a small word ("in", "no") that ends a phrase elsewhere; the phrase names no table or
  column as a whole (it once counted every ticket, the value dropped);
- "ending in", "resulting in", "remaining": a state verb in its -ing form says the state of the counted rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

SHOP_SQL = """
CREATE TABLE technicians (technician_id INTEGER PRIMARY KEY, tech_name VARCHAR, bench VARCHAR, fee DECIMAL(6,2));
INSERT INTO technicians VALUES (1, 'Ari', 'east', 40), (2, 'Bea', 'west', 45), (3, 'Cal', 'west', 50);
CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, technician_id INTEGER REFERENCES technicians(technician_id),
                      intake VARCHAR, outcome VARCHAR, opened_on DATE, fee DECIMAL(6,2) DEFAULT 20);
INSERT INTO tickets (ticket_id, technician_id, intake, outcome, opened_on) VALUES (1, 1, 'walk_in', 'fixed', '2025-01-02'),
  (2, 1, 'mail', 'scrapped', '2025-01-09'), (3, 1, 'walk_in', 'fixed', '2025-02-01'), (4, 2, 'mail', 'no_fix', '2025-02-11'),
  (5, 2, 'walk_in', 'fixed', '2025-03-01'), (6, 2, 'mail', 'scrapped', '2025-03-05'), (7, 2, 'mail', 'scrapped', '2025-03-09'),
  (8, 3, 'mail', 'fixed', '2025-03-10');
CREATE TABLE suppliers (supplier_id INTEGER PRIMARY KEY, tier VARCHAR);
INSERT INTO suppliers VALUES (1, 'gold'), (2, 'basic');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "repair_shop", SHOP_SQL)


def _per_tech(num: str, den: str = "1 = 1", scale: str = "1.0") -> str:
    return (f"SELECT technician_id, {scale} * count(CASE WHEN {num} THEN 1 END) / "
            f"nullif(count(CASE WHEN {den} THEN 1 END), 0) FROM tickets GROUP BY 1")  # fmt: skip


@pytest.mark.parametrize(("prompt", "expected"), [
    ("ratio of scrapped to fixed tickets per technician_id", _per_tech("outcome = 'scrapped'", "outcome = 'fixed'")),
    ("the ratio of scrapped tickets to fixed tickets for each technician_id",
     _per_tech("outcome = 'scrapped'", "outcome = 'fixed'")),
    ("ratio of no-fix to fixed tickets by technician_id, as a percentage",
     _per_tech("outcome = 'no_fix'", "outcome = 'fixed'", "100.0")),
])  # fmt: skip
def test_a_ratio_of_one_kind_of_rows_to_another(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert "_to_" in spec.derived_columns[-1].name


@pytest.mark.parametrize(("prompt", "expected"), [
    ("number of walk-in tickets per technician_id",
     "SELECT technician_id, count(*) FROM tickets WHERE intake = 'walk_in' GROUP BY 1"),
    ("count of no-fix tickets per technician_id",
     "SELECT technician_id, count(*) FROM tickets WHERE outcome = 'no_fix' GROUP BY 1"),
    ("share of walk-in tickets for each technician_id", _per_tech("intake = 'walk_in'")),
])  # fmt: skip
def test_a_hyphenated_value_is_one_word(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("fraction of tickets ending in a no-fix per technician_id", _per_tech("outcome = 'no_fix'")),
    ("share of tickets ending up scrapped for each technician_id", _per_tech("outcome = 'scrapped'")),
])  # fmt: skip
def test_a_state_verb_in_its_ing_form(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_the_rows_are_those_of_the_table_holding_most_of_the_columns_named(engine: Any) -> None:
    """"ticket_id, fee and fee_eur (fee times 0.92)": tickets hold all three words ('fee' is the technicians'
    column too, which the linker may name first): the tickets' rows, never a join nothing connects."""
    check(engine, "ticket_id, fee and fee_eur (fee times 0.92)", "SELECT ticket_id, fee, fee * 0.92 FROM tickets")


def test_a_value_of_a_table_nothing_joins_is_not_a_condition(engine: Any) -> None:
    """'gold' is a tier of the suppliers, which no key links to the tickets: never a condition on them (the plan
    joined the suppliers and failed, or would have narrowed nothing it could reach); the word is then unread."""
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError) as info:
        plan(engine, "number of fixed tickets per technician_id for the gold report")
    assert "cannot join" not in str(info.value) and "'gold'" in str(info.value)
