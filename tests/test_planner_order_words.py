"""How an order and its tie-breakers are said, wherever the planner reads an order: sorted rows (ordering), ranks,
row numbers and running totals (windows), and the row kept per key (dedupe) share one reader
(``recognizers/orderwords.py``). Checked on a small race-and-shipping warehouse built here, whose rows tie on the
first key, so a tie-breaker read wrong or dropped changes the rows (or their order).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SQL = """
CREATE TABLE runners (runner_id INTEGER PRIMARY KEY, full_name VARCHAR, club VARCHAR, joined_on DATE);
INSERT INTO runners VALUES (1, 'Ana', 'North', '2024-01-05'), (2, 'Bo', 'South', '2024-01-05'),
  (3, 'Cy', 'North', '2023-06-01'), (4, 'Di', 'South', '2024-03-10');
CREATE TABLE results (result_id INTEGER PRIMARY KEY, runner_id INTEGER REFERENCES runners(runner_id), race_no INTEGER,
  race_day DATE, finish_secs INTEGER);
INSERT INTO results VALUES (1, 1, 1, '2025-01-10', 1500), (2, 2, 1, '2025-01-10', 1500), (3, 3, 1, '2025-01-10', 1400),
  (4, 1, 2, '2025-02-01', 1600), (5, 1, 3, '2025-02-01', 1550), (6, 2, 2, '2025-02-01', 1600),
  (7, 3, 3, '2025-03-01', 1450), (8, 4, 3, '2025-03-01', 1450);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount INTEGER);
INSERT INTO orders VALUES (1, 300), (2, 100), (3, 200);
CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, depot VARCHAR, shipped_on DATE, weight_kg INTEGER,
  order_id INTEGER REFERENCES orders(order_id));
INSERT INTO shipments VALUES (1, 'A', '2025-01-01', 10, 1), (2, 'A', '2025-01-01', 10, 2), (3, 'B', '2025-01-02', 5, 1),
  (4, 'B', '2025-01-01', 20, 3), (5, 'A', '2025-01-03', 10, 2), (6, 'B', '2025-01-02', 5, 3);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "order_words", SQL)


def _in_order(engine: Any, prompt: str, expected_sql: str) -> Any:
    """The plan's rows equal ``expected_sql``'s in the same order (its ORDER BY leaves no ties)."""
    spec = plan(engine, prompt)
    got = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows
    assert got == engine.fetch(expected_sql).rows, spec.to_json()
    return spec


# -- sorted rows: the next key after the first ------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "order"), [
    ("shipments sorted on shipped_on and, for the same day, on shipment_id", "shipped_on, shipment_id"),
    ("shipments in shipped_on order with shipment_id as the tie-breaker", "shipped_on, shipment_id"),
    ("list shipments ordered by shipped_on, shipment_id breaking ties", "shipped_on, shipment_id"),
    ("shipments sorted by weight_kg from highest to lowest, the lower shipment_id winning ties",
     "weight_kg DESC, shipment_id"),
    ("shipments sorted by weight_kg descending; equal weights ordered by shipment_id descending",
     "weight_kg DESC, shipment_id DESC"),
    ("shipments in order of shipped_on, newest first, then the smallest shipment_id", "shipped_on DESC, shipment_id"),
    ("shipments sorted by shipped_on. When two left the same day, the higher shipment_id comes first.",
     "shipped_on, shipment_id DESC"),
    ("shipments in descending order of weight_kg, ties going to the earlier shipped_on, then shipment_id",
     "weight_kg DESC, shipped_on, shipment_id"),
])  # fmt: skip
def test_sorted_rows_with_a_tie_breaker(engine: Any, prompt: str, order: str) -> None:
    spec = _in_order(engine, prompt, f"SELECT * FROM shipments ORDER BY {order}")
    assert not spec.aggregations and [s.table_name for s in spec.source_tables] == ["shipments"]


def test_then_the_smallest_is_a_key_not_a_minimum(engine: Any) -> None:
    """"then the smallest runner_id" after a sort key orders the rows; it is no MIN(runner_id) of them all."""
    spec = _in_order(engine, "runners sorted by joined_on, oldest first, then the smallest runner_id",
                     "SELECT * FROM runners ORDER BY joined_on, runner_id")  # fmt: skip
    assert not spec.aggregations


def test_grouped_rows_the_measure_on_top_and_ties_by_the_key(engine: Any) -> None:
    spec = _in_order(engine, "total weight_kg per depot, biggest total on top; equal totals ordered by depot",
                     "SELECT depot, sum(weight_kg) FROM shipments GROUP BY depot ORDER BY 2 DESC, depot")  # fmt: skip
    assert [o.direction for o in spec.order_by] == ["desc", "asc"]


def test_in_order_of_names_no_orders_table(engine: Any) -> None:
    """"order" in "in order of" is no table: the shipments are not joined to the orders."""
    spec = _in_order(engine, "shipments in order of weight_kg, shipment_id breaking ties",
                     "SELECT * FROM shipments ORDER BY weight_kg, shipment_id")  # fmt: skip
    assert [s.table_name for s in spec.source_tables] == ["shipments"]


# -- windows: ranks, row numbers, running totals ------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "window"), [
    ("rank results by finish_secs within each race_no, lowest first, ties settled by the smaller result_id",
     "rank() OVER (PARTITION BY race_no ORDER BY finish_secs, result_id)"),
    ("rank results by finish_secs descending, breaking ties with result_id ascending",
     "rank() OVER (ORDER BY finish_secs DESC, result_id)"),
    ("Within each race_no, rank results by finish_secs, lowest first. When two finished in the same time, the higher "
     "result_id comes first.",
     "rank() OVER (PARTITION BY race_no ORDER BY finish_secs, result_id DESC)"),
    ("number each runner's results by race_day; when two fall on the same day, the higher result_id comes first",
     "row_number() OVER (PARTITION BY runner_id ORDER BY race_day, result_id DESC)"),
    ("cumulative count of results per runner by race_day, ties resolved by the lower result_id",
     "count(*) OVER (PARTITION BY runner_id ORDER BY race_day, result_id ROWS BETWEEN UNBOUNDED PRECEDING AND "
     "CURRENT ROW)"),
    ("running total of finish_secs per runner in race_day order, result_id breaking ties",
     "sum(finish_secs) OVER (PARTITION BY runner_id ORDER BY race_day, result_id ROWS BETWEEN UNBOUNDED PRECEDING "
     "AND CURRENT ROW)"),
    ("running total of finish_secs per runner sorted on race_day and, for the same day, on result_id",
     "sum(finish_secs) OVER (PARTITION BY runner_id ORDER BY race_day, result_id ROWS BETWEEN UNBOUNDED PRECEDING "
     "AND CURRENT ROW)"),
    ("running total of finish_secs per runner ordered by race_day desc, result_id desc",
     "sum(finish_secs) OVER (PARTITION BY runner_id ORDER BY race_day DESC, result_id DESC ROWS BETWEEN UNBOUNDED "
     "PRECEDING AND CURRENT ROW)"),
])  # fmt: skip
def test_window_orders_with_a_tie_breaker(engine: Any, prompt: str, window: str) -> None:
    spec = check(engine, prompt, f"SELECT *, {window} FROM results")
    assert len(spec.windows) == 1 and len(spec.windows[0].order_by) == 2


# -- the row kept per key -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "order"), [
    ("each runner's latest result, the higher result_id winning ties", "race_day DESC, result_id DESC"),
    ("first result per runner by race_day, lowest result_id on ties", "race_day, result_id"),
    ("the most recent result for each runner by race_day, with the smaller result_id ahead on ties",
     "race_day DESC, result_id"),
    ("the newest result for every runner going by race_day; when several were run on one date, prefer the smaller "
     "result_id", "race_day DESC, result_id"),
])  # fmt: skip
def test_row_per_key_with_a_tie_breaker(engine: Any, prompt: str, order: str) -> None:
    spec = check(engine, prompt,
                 f"SELECT * FROM results QUALIFY row_number() OVER (PARTITION BY runner_id ORDER BY {order}) = 1")
    assert spec.dedupe is not None and not spec.aggregations and not spec.group_by


# -- refused: a tie-break on a column that is not there, or a word of ties nothing reads -------------------------


@pytest.mark.parametrize("prompt", [
    "shipments sorted by weight_kg, ties broken by the lower colour",
    "top 2 shipments by weight_kg, including ties",
    "rank results by finish_secs, ties broken by the lower pace",
    "first result per runner by race_day, ties broken by the lower pace",
    "shipments sorted by weight_kg with ties",
    "shipments in order of amount",
])  # fmt: skip
def test_tie_breaks_that_cannot_be_read_are_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)
