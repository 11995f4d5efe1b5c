"""Columns that hold a quantity, and measures of a table grouped by its own key (a guest house's tables).

- "number of nights per status": ``nights`` holds how many nights each stay has; the plan once counted the stays
  (``count(nights)``) and published it with ``pass``. A whole-number column named by the plural the request says
  is added up.
- "total beds per room": each room is a group of its own (grouped by its key), so the "total" is the room's own
  value; the plan once published it (and "number of stays per room" on rooms alone counted 1 per room). Refused.
- "total cleanings per room": the cleanings counted; the plan once added up ``cleaning_id`` (an identifier no
  constraint declares a key). A sum of such an identifier not spelled out is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

GUEST_HOUSE_SQL = """
CREATE TABLE rooms (room_id INTEGER PRIMARY KEY, room_type VARCHAR, beds INTEGER);
INSERT INTO rooms VALUES (1, 'double', 2), (2, 'double', 2), (3, 'family', 4);
CREATE TABLE stays (stay_id INTEGER PRIMARY KEY, room_id INTEGER REFERENCES rooms(room_id), nights INTEGER,
                    guests INTEGER, status VARCHAR);
INSERT INTO stays VALUES (1, 1, 3, 2, 'completed'), (2, 1, 1, 1, 'completed'), (3, 3, 7, 4, 'booked'),
  (4, 2, 2, 2, 'cancelled');
CREATE TABLE cleanings (cleaning_id INTEGER, room_id INTEGER REFERENCES rooms(room_id), minutes INTEGER);
INSERT INTO cleanings VALUES (10, 1, 30), (11, 1, 25), (12, 3, 60);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "guest_house", GUEST_HOUSE_SQL)


@pytest.mark.parametrize(("prompt", "sql"), [
    ("number of nights per status", "SELECT status, sum(nights) FROM stays GROUP BY 1"),
    ("total number of guests per status", "SELECT status, sum(guests) FROM stays GROUP BY 1"),
    ("number of stays per status", "SELECT status, count(*) FROM stays GROUP BY 1"),
])  # fmt: skip
def test_a_number_of_a_quantity_column_is_its_sum(engine: Any, prompt: str, sql: str) -> None:
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt", ["total beds per room", "number of beds per room"])
def test_a_measure_of_a_table_per_its_own_key_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="a group of its own"):
        plan(engine, prompt)


def test_a_measure_of_other_rows_per_key_still_plans(engine: Any) -> None:
    check(engine, "total nights per room", "SELECT room_id, sum(nights) FROM stays GROUP BY 1")


def test_a_total_of_rows_counts_them_never_sums_their_identifier(engine: Any) -> None:
    check(engine, "total cleanings per room", "SELECT room_id, count(*) FROM cleanings GROUP BY 1")
    with pytest.raises(PlanError, match="a key"):
        plan(engine, "sum of cleanings per room")
