"""Superlatives inside groups and over counts, on a small market warehouse built in the test: "the 2 newest purchases
of each stall" (the column the adjective means, kept per group), "the stall with the fewest visits" (the one
group with the most/fewest rows), "visits per stall, most visited first", and a group condition said after
"only" ("only markets with at least 2 stalls"). Readings that could name another column are refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

MARKET_SQL = """
CREATE TABLE markets (market_id INTEGER PRIMARY KEY, market_name VARCHAR, town VARCHAR);
INSERT INTO markets VALUES (1, 'Quay', 'Hull'), (2, 'Hill', 'Leeds'), (3, 'Moor', 'Leeds');
CREATE TABLE stalls (stall_id INTEGER PRIMARY KEY, market_id INTEGER REFERENCES markets(market_id),
  stall_name VARCHAR, trade VARCHAR, weekly_price DECIMAL(8,2), deposit DECIMAL(8,2), opened_on DATE, closed_on DATE);
INSERT INTO stalls VALUES
  (1, 1, 'Fishy', 'food', 80, 20, '2020-01-01', NULL), (2, 1, 'Pots', 'crafts', 55, 10, '2021-03-01', NULL),
  (3, 1, 'Buns', 'food', 70, 15, '2022-06-01', NULL), (4, 2, 'Yarn', 'crafts', 40, 5, '2019-02-01', '2024-01-01'),
  (5, 2, 'Cheese', 'food', 90, 30, '2023-09-01', NULL);
CREATE TABLE purchases (purchase_id INTEGER PRIMARY KEY, stall_id INTEGER REFERENCES stalls(stall_id), amount DECIMAL(8,2),
  bought_on DATE, payment VARCHAR);
INSERT INTO purchases VALUES
  (1, 1, 12.5, '2025-01-03', 'cash'), (2, 1, 40, '2025-01-09', 'card'), (3, 1, 7, '2025-02-01', 'card'),
  (4, 2, 22, '2025-01-04', 'cash'), (5, 2, 9, '2025-03-02', 'card'), (6, 3, 15, '2025-01-20', 'card'),
  (7, 5, 31, '2025-02-14', 'cash'), (8, 5, 28, '2025-02-20', 'card');
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, stall_id INTEGER REFERENCES stalls(stall_id),
  visitor_type VARCHAR, stay_minutes INTEGER, visited_on DATE);
INSERT INTO visits VALUES
  (1, 1, 'local', 5, '2025-01-03'), (2, 1, 'tourist', 12, '2025-01-04'), (3, 1, 'local', 3, '2025-01-05'),
  (4, 2, 'local', 8, '2025-01-03'), (5, 3, 'tourist', 20, '2025-01-06'), (6, 3, 'tourist', 2, '2025-01-07'),
  (7, 5, 'local', 9, '2025-01-08');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "market_superlatives", MARKET_SQL)


def _top(table: str, part: str, order: str, n: int) -> str:
    return (f"SELECT *, ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY {order}) AS r FROM {table} "
            f"QUALIFY r <= {n}")  # fmt: skip


# -- the N <superlative> rows of each group: the column the adjective means ------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the 2 newest purchases of each stall", _top("purchases", "stall_id", "bought_on DESC", 2)),
    ("each stall's two earliest purchases", _top("purchases", "stall_id", "bought_on", 2)),
    ("for every stall, its 2 most recent purchases", _top("purchases", "stall_id", "bought_on DESC", 2)),
    ("the largest purchase per stall", _top("purchases", "stall_id", "amount DESC", 1)),
    ("the 2 smallest purchases for each stall", _top("purchases", "stall_id", "amount", 2)),
    ("the cheapest stall in each market", _top("stalls", "market_id", "weekly_price", 1)),
    ("the 2 most expensive stalls in every market", _top("stalls", "market_id", "weekly_price DESC", 2)),
    ("the longest visit at each stall", _top("visits", "stall_id", "stay_minutes DESC", 1)),
    ("each market's most recently opened stall", _top("stalls", "market_id", "opened_on DESC", 1)),
    # the column said after the group: the adjective says only the direction
    ("the 2 oldest stalls per market by opened_on", _top("stalls", "market_id", "opened_on", 2)),
    ("the 2 newest stalls in each market by closed on", _top("stalls", "market_id", "closed_on DESC NULLS LAST", 2)),
])  # fmt: skip
def test_a_superlative_kept_per_group(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "match"), [
    ("the 2 largest stalls per market", "which column of stalls"),  # no amount: the price? the deposit?
    ("the 2 newest stalls in each market", "which date of stalls"),  # opened_on or closed_on?
    ("the longest purchase of each stall", "which column of purchases"),  # no length
    ("the most recently paid purchase of each stall", "which date of purchases"),  # no date of paying
    ("the 2 newest stalls per market by deposit", "does not order by"),  # a date word, an amount
])  # fmt: skip
def test_a_superlative_without_its_column_is_refused(engine: Any, prompt: str, match: str) -> None:
    with pytest.raises(PlanError, match=match):
        plan(engine, prompt)


def test_the_newest_one_per_group_is_still_one_row_per_key(engine: Any) -> None:
    """No number and a date: the row per key (de-duplication), as before."""
    spec = plan(engine, "the newest purchase of each stall")
    assert spec.dedupe is not None and not spec.windows, spec.to_json()


# -- the one group with the most / fewest rows; "most <verb>ed first" --------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("which payment has the most purchases",
     "SELECT payment, COUNT(*) AS n FROM purchases GROUP BY payment ORDER BY n DESC LIMIT 1"),
    ("the visitor type with the fewest visits",
     "SELECT visitor_type, COUNT(*) AS n FROM visits GROUP BY visitor_type ORDER BY n LIMIT 1"),
    ("the stall that had the most visits",
     "SELECT stall_id, COUNT(*) AS n FROM visits GROUP BY stall_id ORDER BY n DESC LIMIT 1"),
    ("stalls with the most purchases in 2025, top 2",
     "SELECT stall_id, COUNT(*) AS n FROM purchases GROUP BY stall_id ORDER BY n DESC LIMIT 2"),
    ("which 2 stalls received the most visits",
     "SELECT stall_id, COUNT(*) AS n FROM visits GROUP BY stall_id ORDER BY n DESC LIMIT 2"),
    ("visits per visitor type, most visited first",
     "SELECT visitor_type, COUNT(*) AS n FROM visits GROUP BY visitor_type ORDER BY n DESC"),
])  # fmt: skip
def test_the_group_with_the_most_rows(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", [
    "the stall with the fewest purchases",  # stalls without a purchase have the fewest, and no row counts them
    "stalls with the fewest purchases, top 2",  # the top 2 by most, or the 2 with the fewest?
    "stalls with the most purchases",  # how many stalls?
    "visits per visitor type, most paid first",  # "paid" is no verb of the visits
])  # fmt: skip
def test_a_most_or_fewest_that_does_not_say_which_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- a condition on the groups after "only" / "just" -------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("number of stalls per trade, only trades with at least 3 stalls",
     "SELECT trade, COUNT(*) AS n FROM stalls GROUP BY trade HAVING COUNT(*) >= 3"),
    ("purchases per payment, just payments with more than 3 purchases",
     "SELECT payment, COUNT(*) AS n FROM purchases GROUP BY payment HAVING COUNT(*) > 3"),
])  # fmt: skip
def test_only_before_a_group_condition(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_only_before_words_that_are_not_the_groups_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "number of stalls per trade, only towns with at least 3 stalls")
