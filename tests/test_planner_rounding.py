"""Rounding said in words on row values, and a name of several words before a formula's colon.

- "..., rounded to 1 decimal" right after a computed value rounds that value;
- "round <column> to the nearest whole number" is a new column, named as the output list names it;
- a rounding after a measure stays the measure's ("the average price per kind, rounded to 2 decimals");
- "the baking margin: price minus cost" names the value with all the words before the colon.

Every request runs end to end on a small bakery warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

BAKERY_SQL = """
CREATE TABLE loaves (loaf_id INTEGER PRIMARY KEY, kind VARCHAR, price DECIMAL(8,2), cost DECIMAL(8,2));
INSERT INTO loaves VALUES (1, 'rye', 3.49, 1.20), (2, 'rye', 3.75, 1.35), (3, 'spelt', 4.10, 2.05), (4, 'sour', 5.55, 2.40);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "bakery", BAKERY_SQL)


def test_a_formula_rounded_right_after_it(engine: Any) -> None:
    spec = check(engine, "For each loaf show the markup percent: (price - cost) / cost * 100, rounded to 1 decimal. "
                 "loaf_id, markup_percent",
                 "SELECT loaf_id, round((price - cost) / cost * 100, 1) FROM loaves", ["loaf_id", "markup_percent"])  # fmt: skip
    assert spec.derived_columns[0].expression.startswith("round(")


def test_a_column_rounded_into_a_new_column(engine: Any) -> None:
    check(engine, "Round each loaf's price to the nearest whole number; loaf_id, kind, whole_price",
          "SELECT loaf_id, kind, round(price, 0) FROM loaves", ["loaf_id", "kind", "whole_price"])  # fmt: skip


def test_a_rounded_measure_stays_the_measures(engine: Any) -> None:
    spec = check(engine, "average price per kind, rounded to 2 decimals",
                 "SELECT kind, round(avg(price), 2) FROM loaves GROUP BY kind")  # fmt: skip
    assert spec.derived_columns == [] and spec.aggregations[0].round == 2


def test_a_name_of_several_words_before_a_colon(engine: Any) -> None:
    spec = check(engine, "loaves with the baking margin: price minus cost", "SELECT *, price - cost FROM loaves")
    assert [c.name for c in spec.derived_columns] == ["baking_margin"]


def test_values_before_a_number_column_pick_the_rows_it_is_summed_over(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"total sold price per kind": 'sold' is a value of the loaves' state, 'price' the column summed."""
    sql = BAKERY_SQL + "ALTER TABLE loaves ADD COLUMN state VARCHAR; UPDATE loaves SET state = CASE WHEN loaf_id < 3 " \
                       "THEN 'sold' ELSE 'binned' END;"
    for engine in sql_engine(tmp_path_factory, "bakery2", sql):
        check(engine, "total sold price per kind",
              "SELECT kind, sum(price) FROM loaves WHERE state = 'sold' GROUP BY kind")  # fmt: skip
        check(engine, "average binned cost per kind",
              "SELECT kind, avg(cost) FROM loaves WHERE state = 'binned' GROUP BY kind")  # fmt: skip
