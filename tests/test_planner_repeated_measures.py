"""Totals and averages of rows the joins repeat (a brewery's tables).

"total shipment value per beer style": each shipment has several lines, each of one beer; joined
through its lines, a shipment's value is counted once per line and given whole to each style. The plan once
published that sum with ``pass``; it is refused, and the measures whose rows are not repeated still plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.errors import PlanError
from datamorph.planner.draft import _repeated_by
from datamorph.spec import JoinCondition
from planner_support import check, plan, sql_engine

BREWERY_SQL = """
CREATE TABLE styles (style_id INTEGER PRIMARY KEY, style_name VARCHAR);
INSERT INTO styles VALUES (1, 'stout'), (2, 'lager');
CREATE TABLE beers (beer_id INTEGER PRIMARY KEY, style_id INTEGER REFERENCES styles(style_id), beer_name VARCHAR);
INSERT INTO beers VALUES (10, 1, 'Night'), (11, 2, 'Gold'), (12, 2, 'Pale');
CREATE TABLE pubs (pub_id INTEGER PRIMARY KEY, pub_name VARCHAR, town VARCHAR);
INSERT INTO pubs VALUES (1, 'Crown', 'Leeds'), (2, 'Bell', 'York');
CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, pub_id INTEGER REFERENCES pubs(pub_id),
                        shipment_value DECIMAL(8,2), shipped_on DATE);
INSERT INTO shipments VALUES (100, 1, 500, '2024-01-05'), (101, 2, 300, '2024-02-01');
CREATE TABLE shipment_lines (line_id INTEGER PRIMARY KEY, shipment_id INTEGER REFERENCES shipments(shipment_id),
                             beer_id INTEGER REFERENCES beers(beer_id), kegs INTEGER, keg_price DECIMAL(8,2));
INSERT INTO shipment_lines VALUES (1, 100, 10, 2, 100), (2, 100, 11, 3, 100), (3, 101, 12, 3, 100);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "brewery", BREWERY_SQL)


@pytest.mark.parametrize("prompt", [
    "total shipment value per beer style",
    "average shipment value per beer",
    "sum of shipment value by style name",
])  # fmt: skip
def test_a_measure_of_rows_the_joins_repeat_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="each shipments row is joined to several shipment_lines rows"):
        plan(engine, prompt)


def test_measures_of_rows_that_are_not_repeated_still_plan(engine: Any) -> None:
    check(engine, "total shipment value per pub",
          "SELECT pub_id, sum(shipment_value) FROM shipments GROUP BY 1")  # fmt: skip
    check(engine, "total kegs per style name",
          "SELECT style_name, sum(kegs) FROM shipment_lines JOIN beers USING (beer_id) JOIN styles USING (style_id) "
          "GROUP BY 1")  # fmt: skip


def _catalog() -> Catalog:
    def t(name: str, key: str, *fks: tuple[str, str, str]) -> TableInfo:
        cols = [ColumnInfo(name=key, type="INTEGER")] + [ColumnInfo(name=c, type="INTEGER") for c, _, _ in fks]
        return TableInfo(name=name, columns=cols, primary_key=[key],
                         foreign_keys=[ForeignKey(columns=(c,), ref_table=r, ref_columns=(rc,)) for c, r, rc in fks])

    return Catalog.of([t("pubs", "pub_id"), t("shipments", "shipment_id", ("pub_id", "pubs", "pub_id")),
                       t("lines", "line_id", ("shipment_id", "shipments", "shipment_id"))])


def _join(left: str, right: str, lcol: str, rcol: str) -> JoinCondition:
    return JoinCondition(left_table=left, right_table=right, join_type="inner",
                         on_columns=[{"left": lcol, "right": rcol}])  # type: ignore[list-item]


def test_repeated_by_walks_the_joins_from_the_measured_table() -> None:
    cat = _catalog()
    down = [_join("pubs", "shipments", "pub_id", "pub_id"), _join("shipments", "lines", "shipment_id", "shipment_id")]
    assert _repeated_by(cat, down, "shipments") == "lines"  # one shipment, several lines
    assert _repeated_by(cat, down, "lines") is None  # each line once
    assert _repeated_by(cat, down, "pubs") == "shipments"
    up = [_join("lines", "shipments", "shipment_id", "shipment_id"), _join("shipments", "pubs", "pub_id", "pub_id")]
    assert _repeated_by(cat, up, "shipments") == "lines"  # walked against the join's direction
    assert _repeated_by(cat, up[1:], "shipments") is None
