"""Tie-breakers said in other words (``recognizers/tiewords.py``, ``ordering.ties``, ``dedupe._ties``): on a small
harbour warehouse whose rows tie on the first key, so a tie-breaker read wrong or dropped changes the rows or
their order. Each reading is checked by its rows in order; each look-alike that means something else is read
as it means or refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from planner_support import plan, sql_engine

SQL = """
CREATE TABLE boats (boat_id INTEGER PRIMARY KEY, boat_name VARCHAR, harbour VARCHAR, length_m INTEGER,
  launched_on DATE);
INSERT INTO boats VALUES (1, 'Aster', 'North', 12, '2020-05-01'), (2, 'Brig', 'South', 12, '2021-03-03'),
  (3, 'Cove', 'North', 15, '2020-05-01'), (4, 'Dune', 'South', 9, '2022-01-01'), (5, 'Echo', 'North', 15, '2019-07-07');
CREATE TABLE voyages (voyage_id INTEGER PRIMARY KEY, boat_id INTEGER REFERENCES boats(boat_id), departed_on DATE,
  distance_nm INTEGER);
INSERT INTO voyages VALUES (1, 1, '2025-01-05', 40), (2, 1, '2025-01-05', 55), (3, 2, '2025-01-07', 40),
  (4, 3, '2025-01-07', 70), (5, 3, '2025-01-02', 70), (6, 4, '2025-01-09', 20), (7, 5, '2025-01-09', 40),
  (8, 2, '2025-01-07', 30), (9, 5, '2025-01-01', 15);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "harbour_ties", SQL)


def _in_order(engine: Any, prompt: str, expected_sql: str, first: int = 0) -> Any:
    """The plan's rows (their first column from ``first``) equal ``expected_sql``'s, in the same order."""
    spec = plan(engine, prompt)
    got = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows
    assert [r[first] for r in got] == [r[0] for r in engine.fetch(expected_sql).rows], spec.to_json()
    return spec


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the 3 longest boats by length_m, ties broken by boat_id",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, boat_id LIMIT 3"),
    ("boats sorted by launched_on descending, ties: lowest boat_id",
     "SELECT boat_id FROM boats ORDER BY launched_on DESC, boat_id"),
    ("voyages sorted by distance_nm descending, ties broken by the earlier departed_on and then by voyage_id",
     "SELECT voyage_id FROM voyages ORDER BY distance_nm DESC, departed_on, voyage_id"),
    ("boats ordered by length_m descending and then by boat_name",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, boat_name"),
    ("top 1 boats by length_m, ties go to the latest launched_on",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, launched_on DESC LIMIT 1"),
    ("top 1 boats by length_m, ties go to the earliest launched_on",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, launched_on LIMIT 1"),
    # "first" is a position here: the first 2 by launch date, ascending
    ("the first 2 boats by launched_on, ties broken by the higher boat_id",
     "SELECT boat_id FROM boats ORDER BY launched_on, boat_id DESC LIMIT 2"),
    # "newest first" restates the top N's direction; the tie clause gives the second key
    ("the 2 most recently launched boats (newest first, ties by boat_id)",
     "SELECT boat_id FROM boats ORDER BY launched_on DESC, boat_id LIMIT 2"),
    # the top N's direction said again after its column, then the tie clause
    ("top 3 boats by length_m descending, ties broken by boat_id",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, boat_id LIMIT 3"),
    ("the 2 shortest boats by length_m, lowest first, ties go to the higher boat_id",
     "SELECT boat_id FROM boats ORDER BY length_m, boat_id DESC LIMIT 2"),
    ("boats sorted by length_m descending; ties by boat_id (higher first)",
     "SELECT boat_id FROM boats ORDER BY length_m DESC, boat_id DESC"),
])  # fmt: skip
def test_sorted_rows_with_tie_breakers(engine: Any, prompt: str, expected: str) -> None:
    spec = _in_order(engine, prompt, expected)
    assert not spec.aggregations and not spec.group_by


@pytest.mark.parametrize("prompt", [
    "boats sorted by length_m descending, ties broken by boat_id, then keep only the first 2",
    "boats sorted by length_m descending, ties broken by boat_id, then the harbour too",
])  # fmt: skip
def test_then_starting_a_new_step_is_no_third_key(engine: Any, prompt: str) -> None:
    """"then keep ...", "then the harbour too": a new step (read as such or refused), never a third key."""
    try:
        spec = plan(engine, prompt)
    except PlanError:
        return
    assert [o.column.split(".")[-1] for o in spec.order_by] == ["length_m", "boat_id"], spec.to_json()


def test_a_tie_key_is_no_minimum_nor_a_grouping(engine: Any) -> None:
    """"ties: lowest voyage_id" after a top N is the second key (it was MIN(voyage_id) per distance)."""
    spec = _in_order(engine, "the 4 longest voyages by distance_nm, ties: lowest voyage_id",
                     "SELECT voyage_id FROM voyages ORDER BY distance_nm DESC, voyage_id LIMIT 4")  # fmt: skip
    assert not spec.aggregations and not spec.group_by


def test_grouped_rows_broken_by_their_key(engine: Any) -> None:
    """"break ties by boat_id (higher first)" on a count per boat: the group key, not a second grouping."""
    spec = plan(engine, "top 3 boats by number of voyages, break ties by boat_id (higher first)")
    got = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows
    want = engine.fetch("SELECT boat_id, count(*) FROM voyages GROUP BY boat_id ORDER BY 2 DESC, 1 DESC LIMIT 3").rows
    assert [(r[0], r[-1]) for r in got] == want, spec.to_json()
    assert len(spec.group_by) == 1


@pytest.mark.parametrize(("prompt", "expected"), [
    ("each boat's latest voyage; if two share that date, the higher voyage_id",
     "SELECT max(voyage_id) FROM voyages v WHERE departed_on = (SELECT max(departed_on) FROM voyages w "
     "WHERE w.boat_id = v.boat_id) GROUP BY boat_id ORDER BY 1"),
    ("latest voyage per boat, on a tie of dates keep the lower voyage_id",
     "SELECT min(voyage_id) FROM voyages v WHERE departed_on = (SELECT max(departed_on) FROM voyages w "
     "WHERE w.boat_id = v.boat_id) GROUP BY boat_id ORDER BY 1"),
])  # fmt: skip
def test_row_kept_per_key_with_a_tie_breaker(engine: Any, prompt: str, expected: str) -> None:
    spec = plan(engine, prompt)
    got = sorted(r[0] for r in engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows)
    assert got == [r[0] for r in engine.fetch(expected).rows], spec.to_json()


@pytest.mark.parametrize("prompt", [
    # the tie column names another table (boats' length, not a voyage's)
    "top 3 voyages by distance_nm, ties broken by length_m",
    # nothing is sorted: ties of which order?
    "voyages of boat 3, ties broken by voyage_id",
    # a direction after a comma: the main key's or the tie key's?
    "boats sorted by length_m, ties broken by boat_id, descending",
    # two directions that disagree
    "boats sorted by length_m, ties broken by the lower boat_id (descending)",
    # the rows are said to tie on distances, but the pick orders them by date
    "latest voyage per boat, on a tie of distances keep the lower voyage_id",
    # what the rows share is not the pick's order (a date): "the longest distance_nm" is another key
    "each boat's latest voyage; if two share the longest distance_nm, the lower voyage_id",
    # whether tied rows are kept is said in words nothing reads: not dropped silently (it was LIMIT 2)
    "top 2 boats by length_m including ties",
    # the rows picked shown in the other order: not a restatement (nor a second key on the same date)
    "the 2 most recently launched boats, oldest first",
    # a rank and a sort: the tie clause the rank did not read may be the rank's
    "rank boats by length_m, ties broken by boat_id, sorted by harbour",
    # "top" and "ascending": which way?
    "top 3 boats by length_m ascending, ties broken by boat_id",
    # a tie on the key the rows are already sorted by
    "boats sorted by length_m, ties broken by length_m",
    # grouped rows: a column that is not grouped
    "top 3 boats by number of voyages, ties broken by departed_on",
])  # fmt: skip
def test_look_alikes_are_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)
