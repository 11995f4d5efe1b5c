"""Ratios, shares and percentages said in words, on a small courier warehouse (deliveries, couriers, and an
``accounts`` table the deliveries have no link to): which rows a ratio counts, over which rows, per which
group, on which scale (0-1 or x100) and rounded how; the readings that must refuse."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.planner_support import check, plan, sql_engine

from datamorph.errors import PlanError

COURIER_SQL = """
CREATE TABLE couriers (courier_id INTEGER PRIMARY KEY, courier_name VARCHAR, region VARCHAR);
INSERT INTO couriers SELECT i, 'courier ' || i, ['north', 'south', 'east'][1 + i % 3] FROM range(1, 13) t(i);
CREATE TABLE deliveries (delivery_id INTEGER PRIMARY KEY, courier_id INTEGER REFERENCES couriers (courier_id),
                         status VARCHAR, vehicle VARCHAR, zone VARCHAR, weight_kg DECIMAL(8, 2));
INSERT INTO deliveries SELECT i, 1 + i % 12, ['delivered', 'delivered', 'late', 'lost', 'pending', 'delivered',
  'late'][1 + (i * 5) % 7], ['bike', 'van', 'van', 'car'][1 + (i * 3) % 4], ['inner', 'outer', 'rural'][1 + i % 3],
  (1 + (i * 7) % 40)::DECIMAL(8, 2) / 2 FROM range(1, 401) t(i);
CREATE TABLE accounts (account_id INTEGER PRIMARY KEY, holder VARCHAR, tier VARCHAR);
INSERT INTO accounts VALUES (1, 'a', 'gold'), (2, 'b', 'basic');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "couriers", COURIER_SQL)


def _rate(value: str, group: str | None = None, scale: str = "1.0", places: int | None = None,
          within: str = "") -> str:  # fmt: skip
    """The reference SQL of the rows with ``status = value`` over all rows (of ``within``), per ``group``."""
    expr = (f"{scale} * count(CASE WHEN status = '{value}' {within and 'AND ' + within} THEN 1 END) / "
            f"nullif(count(CASE WHEN {within or 'TRUE'} THEN 1 END), 0)")  # fmt: skip
    expr = f"round({expr}, {places})" if places is not None else expr
    return f"SELECT {group + ', ' if group else ''}{expr} FROM deliveries{' GROUP BY 1' if group else ''}"


def _share(group: str, scale: str = "1.0", places: int | None = None, of: str = "count(*)") -> str:
    """Each group's share of the grand total (reference SQL)."""
    expr = f"{scale} * {of} / nullif(sum({of}) OVER (), 0)"
    expr = f"round({expr}, {places})" if places is not None else expr
    return f"SELECT {group}, {expr} FROM deliveries GROUP BY 1"


READINGS = [
    # one value over the whole table: no group is said
    ("what fraction of all deliveries were lost", _rate("lost")),
    ("Out of every delivery, which fraction is lost?", _rate("lost")),
    ("the percentage of deliveries that ended up late, overall, rounded to 1 decimal",
     _rate("late", scale="100.0", places=1)),
    ("percentage of van deliveries that were late",  # of the van deliveries, not of all deliveries
     _rate("late", scale="100.0", within="vehicle = 'van'")),
    # the rows in a state over all rows of each group, the state said after the rows
    ("what part of the deliveries stays pending, per vehicle", _rate("pending", "vehicle")),
    ("Which portion of deliveries comes back lost, for each zone?", _rate("lost", "zone")),
    ("the percentage of all deliveries that were lost, per zone", _rate("lost", "zone", "100.0")),
    ("the share of van deliveries per zone that were late",  # the state said after the group: what is counted
     _rate("late", "zone", within="vehicle = 'van'")),
    ("the proportion of deliveries that remain pending for each vehicle, to 3 decimal places",
     _rate("pending", "vehicle", places=3)),
    # ... said as a division, with the scale in words
    ("late deliveries over all deliveries for each vehicle, times 100, to one decimal place",
     _rate("late", "vehicle", "100.0", 1)),
    ("late_pct = late deliveries / every delivery with that vehicle * 100, rounded to 2 decimals",
     _rate("late", "vehicle", "100.0", 2)),
    ("How many of the deliveries are late per zone, as a percentage of all deliveries", _rate("late", "zone", "100.0")),
    ("pending deliveries out of all deliveries in each zone, as a fraction", _rate("pending", "zone")),
    # each group's share of the grand total
    ("the percent of all deliveries each zone accounts for", _share("zone", "100.0")),
    ("for every vehicle, the share of the total deliveries it makes up", _share("vehicle")),
    ("how the deliveries divide among zones, in percent to 2 decimals", _share("zone", "100.0", 2)),
    ("How are deliveries spread over vehicles? Each vehicle's part of the whole as a fraction (0-1).",
     _share("vehicle")),
    ("what share of the total weight does each zone account for", _share("zone", of="sum(weight_kg)")),
    ("the rate of lost deliveries per zone, as a percentage", _rate("lost", "zone", "100.0")),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), READINGS, ids=lambda v: str(v)[:60])
def test_ratio_readings(engine: Any, prompt: str, sql: str) -> None:
    check(engine, prompt, sql)


def test_accounts_for_is_no_table(engine: Any) -> None:
    """'accounts for' is the verb of the share: the accounts table is not read (it has no link to deliveries)."""
    spec = plan(engine, "the percent of all deliveries each zone accounts for")
    assert [t.table_name for t in spec.source_tables] == ["deliveries"]
    assert spec.group_by == ["deliveries.zone"]


def test_a_group_said_only_in_the_formula_groups(engine: Any) -> None:
    """'/ every delivery with that vehicle': the denominator's own rows name the group."""
    spec = plan(engine, "late_pct = late deliveries / every delivery with that vehicle * 100, rounded to 2 decimals")
    assert spec.group_by == ["deliveries.vehicle"]
    [dc] = spec.derived_columns
    assert dc.name == "late_pct" and dc.expression.startswith("round(100.0 * ")


def test_one_value_has_no_group(engine: Any) -> None:
    spec = plan(engine, "what fraction of all deliveries were lost")
    assert not spec.group_by and [c.column for c in spec.columns] == ["lost_share"]


REFUSED = [
    "the rate of lost deliveries per zone",  # a fraction or a percentage: not said
    "how do deliveries split across zones?",  # counts, fractions or percentages: not said
    "percentage of lost deliveries per zone, as a value from 0 to 1",  # two scales
    "the percentage of late deliveries per zone overall",  # one value or one per zone?
]


@pytest.mark.parametrize("prompt", REFUSED)
def test_unclear_ratios_refuse(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)
