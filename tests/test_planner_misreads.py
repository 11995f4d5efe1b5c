"""Misreadings found by the accuracy set (bench/accuracy.py), each fixed as a class and tested here on a
small fleet warehouse built in the test (vehicles, drivers, trips), unlike the set's own domains."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner import plan_request

FLEET_SQL = """
CREATE TABLE depots (depot_id INTEGER PRIMARY KEY, depot_name VARCHAR, region VARCHAR);
INSERT INTO depots VALUES (1, 'North Yard', 'north'), (2, 'South Yard', 'south'), (3, 'Empty Yard', 'east');
CREATE TABLE vehicles (vehicle_id INTEGER PRIMARY KEY, plate VARCHAR, make VARCHAR, mileage INTEGER, depot_id INTEGER);
INSERT INTO vehicles VALUES (1, 'AB-101', 'Volvo', 120000, 1), (2, 'AB-102', 'Scania', 80000, 1),
  (3, 'CD-201', 'Volvo', 45000, 2), (4, 'CD-202', 'MAN', 300000, 2);
CREATE TABLE drivers (driver_id INTEGER PRIMARY KEY, full_name VARCHAR, licence_class VARCHAR);
INSERT INTO drivers VALUES (1, 'Ana Ruiz', 'C'), (2, 'Tom Berg', 'CE'), (3, 'Li Wen', 'C');
"""
REF = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import duckdb

    from datamorph.engines import connect

    path: Path = tmp_path_factory.mktemp("fleet") / "fleet.duckdb"
    con = duckdb.connect(str(path))
    con.execute(FLEET_SQL)
    con.close()
    eng = connect(str(path))
    yield eng
    eng.close()


# -- what is asked of each row, named by words the warehouse lacks ------------------------------------
# "the paint colour of each vehicle" was planned as every column of vehicles with 'paint', 'colour' set
# aside: the words that say which output is wanted are never filler.


@pytest.mark.parametrize(("prompt", "words"), [
    ("the paint colour of each vehicle", ["paint", "colour"]),
    ("Paint colours of all vehicles", ["Paint", "colours"]),
    ("the insurance premium of every vehicle", ["insurance", "premium"]),
    ("vehicles' paint colour", ["paint", "colour"]),
    ("each driver's shoe size", ["shoe", "size"]),
    ("Show the drivers' home towns", ["home", "towns"]),
])  # fmt: skip
def test_unknown_output_words_are_never_set_aside(engine: Any, prompt: str, words: list[str]) -> None:
    with pytest.raises(PlanError) as e:
        plan_request(prompt, engine, target="result", reference_date=REF)
    for w in words:
        assert f"'{w}'" in e.value.message


@pytest.mark.parametrize("prompt", [
    "a list of every vehicle",
    "details of each driver",
    "vehicles with a mileage over 100000",
])  # fmt: skip
def test_requests_without_an_unknown_output_still_plan(engine: Any, prompt: str) -> None:
    spec = plan_request(prompt, engine, target="result", reference_date=REF)
    assert not spec.ignored_words or not {"paint", "colour"} & set(spec.ignored_words)
    assert spec.source_tables
