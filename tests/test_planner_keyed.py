"""A row named by its key ("trips of driver 2", "vehicles at depot #1"), planned and run on a small fleet
warehouse built in the test: the condition is on the key, the answer is the rows asked for."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine
from test_planner_misreads import FLEET_SQL


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "fleet_keyed", FLEET_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("trips of driver 2", "SELECT * FROM trips WHERE driver_id = 2"),
    ("trips for driver #1 over 60 km", "SELECT * FROM trips WHERE driver_id = 1 AND km > 60"),
    ("vehicles at depot no. 1", "SELECT * FROM vehicles WHERE depot_id = 1"),
    ("driver 3", "SELECT * FROM drivers WHERE driver_id = 3"),
    ("the plate of vehicle id 4", "SELECT plate FROM vehicles WHERE vehicle_id = 4"),
])  # fmt: skip
def test_a_row_named_by_its_key(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["3 vehicles with the highest mileage", "vehicles with mileage 45000"])
def test_a_quantity_is_not_a_key(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert not any(getattr(f, "column", "").endswith("_id") for f in spec.filters), spec.to_json()


# -- a column named as the number's unit; the N rows with the highest value -------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("trips over 60 km", "SELECT * FROM trips WHERE km > 60"),
    ("trips of at most 80 km", "SELECT * FROM trips WHERE km <= 80"),
    ("the 3 vehicles with the highest mileage", "SELECT * FROM vehicles ORDER BY mileage DESC LIMIT 3"),
    ("2 vehicles having the smallest mileage", "SELECT * FROM vehicles ORDER BY mileage LIMIT 2"),
])  # fmt: skip
def test_units_and_superlatives_after_the_noun(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["top 2 drivers by trips", "the 2 depots with the largest vehicles"])
def test_ranked_by_a_table_is_never_its_key(engine: Any, prompt: str) -> None:
    """Ordering by the key a table's name reaches would rank ids, not how many rows each has."""
    with pytest.raises(PlanError, match="no such column or measure"):
        plan(engine, prompt)
