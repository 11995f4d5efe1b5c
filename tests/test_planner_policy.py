"""Sentences that say which rows are kept (recognizers/policy.py, orphans.py), end to end on a small fleet
warehouse: trips point at vehicles (some at none), vehicles at depots, some keys and values are missing.

Each request is planned, compiled and run; its rows must equal a hand-written query's, and a sentence that
does not fit the plan must be refused rather than read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

FLEET_SQL = """
CREATE TABLE depots (depot_id INTEGER PRIMARY KEY, depot_name VARCHAR, region VARCHAR);
INSERT INTO depots VALUES (1, 'Harbour', 'north'), (2, 'Airport', 'south'), (3, 'Old Mill', 'north');
CREATE TABLE vehicles (vehicle_id INTEGER PRIMARY KEY, depot_id INTEGER, plate VARCHAR, is_electric BOOLEAN);
INSERT INTO vehicles VALUES (10, 1, 'AB-101', true), (11, 1, 'AB-102', NULL), (12, 2, 'CD-201', false),
  (13, 9, 'ZZ-999', true), (14, NULL, 'XX-000', false);
CREATE TABLE drivers (driver_id INTEGER PRIMARY KEY, full_name VARCHAR, licence_country VARCHAR);
INSERT INTO drivers VALUES (100, 'Ines Duarte', 'PT'), (101, 'Lars Berg', 'SE'), (102, 'Mae Chen', 'US');
CREATE TABLE trips (trip_id INTEGER PRIMARY KEY, vehicle_id INTEGER, driver_id INTEGER, km DECIMAL(8,1),
                    toll DECIMAL(6,2), started_on DATE);
INSERT INTO trips VALUES
  (1, 10, 100, 120.0, 4.50, '2025-01-03'), (2, 10, 100, 80.0, NULL, '2025-01-04'),
  (3, 11, 101, 45.5, 2.00, '2025-01-04'), (4, 12, NULL, 300.0, 9.75, '2025-02-01'),
  (5, 13, 102, 10.0, NULL, '2025-02-02'), (6, 77, 101, 55.0, 1.25, '2025-02-03'),
  (7, 14, NULL, 20.0, 0.50, '2025-02-05'), (8, 12, 102, 64.0, 3.00, '2025-03-01'),
  (9, 77, NULL, 12.0, NULL, '2025-03-02');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "fleet", FLEET_SQL)


def _join_types(spec: Any) -> dict[str, str]:
    return {j.right_table: j.join_type for j in spec.join_conditions}


# -- rows that do not link are dropped --------------------------------------------------------------------

LINKED = ("select t.trip_id, t.km from trips t join vehicles v using (vehicle_id)")


@pytest.mark.parametrize("prompt", [
    "trip_id and km of trips. Trips pointing at a vehicle that doesn't exist are skipped.",
    "trip ids and km. Trips of unknown vehicles are left out.",
    "trip_id, km; leave out trips whose vehicle_id doesn't match any vehicle",
    "trip_id and km of trips; drop whatever cannot be tied to a known vehicle",
])  # fmt: skip
def test_trips_that_do_not_link_are_dropped(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, LINKED)
    assert {s.table_name for s in spec.source_tables} == {"trips", "vehicles"}
    assert list(_join_types(spec).values()) == ["inner"]


def test_a_list_of_tables_to_link_to(engine: Any) -> None:
    spec = check(engine, "total km per depot region; throw away whatever can't be tied to a known vehicle and depot",
                 "select d.region, sum(t.km) from trips t join vehicles v using (vehicle_id) "
                 "join depots d on d.depot_id = v.depot_id group by 1")  # fmt: skip
    assert set(_join_types(spec).values()) == {"inner"}


def test_drop_what_does_not_link_joins_every_table_the_plan_reads(engine: Any) -> None:
    spec = check(engine, "trips with the vehicle plate: trip_id, plate. Drop what doesn't link.",
                 "select t.trip_id, v.plate from trips t join vehicles v using (vehicle_id)")  # fmt: skip
    assert "vehicles" in {s.table_name for s in spec.source_tables}
    assert any("drop rows without a matching vehicles row" in t for t in spec.transformations)


def test_a_table_to_link_to_that_does_not_exist_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError) as e:
        plan(engine, "trip_id, km; drop whatever cannot be tied to a known banana")
    assert "tied" in e.value.message


# -- rows whose key is missing from the table it points at are kept --------------------------------------

PER_VEHICLE = "select vehicle_id, count(*) from trips group by 1"


@pytest.mark.parametrize("prompt", [
    "number of trips per vehicle_id, even when the vehicle_id isn't in the vehicles table",
    "number of trips per vehicle_id, also vehicle ids missing from vehicles",
])  # fmt: skip
def test_orphan_keys_kept_when_said(engine: Any, prompt: str) -> None:
    """A misreading before: "also vehicle ids missing from vehicles" joined vehicles and kept
    ``vehicles.vehicle_id IS NULL`` (no rows)."""
    spec = check(engine, prompt, PER_VEHICLE)
    assert "vehicles" not in {s.table_name for s in spec.source_tables}


def test_kept_orphans_contradicting_a_needed_table_are_refused(engine: Any) -> None:
    """The region is reached through vehicles: keeping trips of unknown vehicles contradicts the grouping."""
    with pytest.raises(PlanError):
        plan(engine, "total km per depot region, even when the vehicle_id isn't in the vehicles table")


# -- missing values ---------------------------------------------------------------------------------------


def test_missing_values_add_nothing_to_a_sum(engine: Any) -> None:
    spec = check(engine, "total toll per vehicle_id; missing tolls add nothing",
                 "select vehicle_id, sum(toll) from trips group by 1")  # fmt: skip
    assert not spec.filters  # not read as "toll is missing"
    assert any("a sum skips missing" in t for t in spec.transformations)


def test_missing_values_of_an_average_are_refused(engine: Any) -> None:
    """An average changes with how missing values count: "add nothing" (as 0, or skipped?) is not guessed."""
    with pytest.raises(PlanError) as e:
        plan(engine, "average toll per vehicle_id; missing tolls add nothing")
    assert "nothing" in e.value.message


@pytest.mark.xfail(strict=True, reason="a missing true/false value satisfies no condition, said as 'a vehicle with no "
                   "is_electric value recorded is treated as not electric': refused, 'no', 'value', 'treated' not "
                   "understood")
def test_unknown_flag_does_not_count(engine: Any) -> None:
    spec = check(engine, "electric vehicles: plate. A vehicle with no is_electric value recorded is treated as not "
                 "electric.",
                 "select plate from vehicles where is_electric")  # fmt: skip
    assert any("satisfies no condition" in t for t in spec.transformations)


@pytest.mark.parametrize("prompt", [
    "driver ids with more than 1 trip: driver_id, trips. (Trips without a driver_id don't form a driver.)",
    "driver ids with more than 1 trip: driver_id, trips. Trips without a driver_id are dropped.",
])  # fmt: skip
def test_rows_without_their_key_leave_the_groups(engine: Any, prompt: str) -> None:
    """A NULL driver_id would form a group of its own (3 trips): the sentence leaves those rows out. The
    driver table is named, not joined."""
    spec = check(engine, prompt, "select driver_id, count(*) from trips where driver_id is not null "
                 "group by 1 having count(*) > 1")  # fmt: skip
    if "form a driver" in prompt:  # (the other: orphans' inner join to drivers, which drops them too)
        assert ("trips.driver_id", "is_not_null") in {(f.column, f.operator) for f in spec.filters}
        assert "drivers" not in {s.table_name for s in spec.source_tables}


# -- the grain --------------------------------------------------------------------------------------------


@pytest.mark.xfail(strict=True, reason="the grain of a grouping said of the pairs seen, 'with a row only for the pairs "
                   "that exist in the data': refused, 'pair', 'only', 'exist' not understood")
def test_one_row_per_combination_that_occurs(engine: Any) -> None:
    check(engine, "number of vehicles for each depot_id and is_electric pair, with a row only for the pairs that "
          "exist in the data",
          "select depot_id, is_electric, count(*) from vehicles group by 1, 2")  # fmt: skip


def test_one_row_per_the_base_row(engine: Any) -> None:
    check(engine, "trips with the vehicle plate, one row per trip: trip_id, km, plate. Trips of unknown vehicles are "
          "left out.",
          "select t.trip_id, t.km, v.plate from trips t join vehicles v using (vehicle_id)")  # fmt: skip


def test_a_grain_the_plan_does_not_have_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "trips with the vehicle plate, one row per depot: trip_id, km, plate. Trips of unknown vehicles "
             "are left out.")


# -- a label before the request -------------------------------------------------------------------------


def test_a_label_names_the_rows_it_defines(engine: Any) -> None:
    spec = check(engine, "Busy drivers: driver ids with more than 1 trip. driver_id, trips. (Trips without a "
                 "driver_id don't form a driver.)", "select driver_id, count(*) from trips where driver_id is not null "
                 "group by 1 having count(*) > 1")  # fmt: skip
    assert any("a name for the rows" in t for t in spec.transformations)


def test_a_negated_label_restates_an_anti_join(engine: Any) -> None:
    check(engine, "Idle vehicles that never moved: vehicles without any trip at all. vehicle_id, plate",
          "select vehicle_id, plate from vehicles v where not exists "
          "(select 1 from trips t where t.vehicle_id = v.vehicle_id)")  # fmt: skip


@pytest.mark.parametrize("prompt", [
    "Top vehicles: vehicle ids with more than 1 trip. vehicle_id, trips",  # an ordering word
    "Vehicles that never moved: vehicle ids with more than 1 trip. vehicle_id, trips",  # a negation, no anti join
])  # fmt: skip
def test_a_label_with_a_condition_of_its_own_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


def test_rows_with_no_value_recorded_are_ignored(engine: Any) -> None:
    spec = check(engine, "total km per driver_id; trips with no driver_id recorded are ignored",
                 "select driver_id, sum(km) from trips where driver_id is not null group by 1")  # fmt: skip
    assert ("trips.driver_id", "is_not_null") in {(f.column, f.operator) for f in spec.filters}
