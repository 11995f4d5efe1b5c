"""Ranks over aggregates and requests written as steps: each result checked against hand-written SQL.

The tables are the planner tests' web and finance tables and the demo warehouse (other domains than the
benchmark's), so a rule must hold for the class of phrasing, not one sentence.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import WEB_FINANCE_SQL, check, planner_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory, WEB_FINANCE_SQL)


# -- a request written as numbered steps ----------------------------------------------------------------------


def test_numbered_steps_count_keep_rank(engine: Any) -> None:
    check(engine,
          "Three steps: (1) count posted transactions per account; (2) keep accounts with more than 2 of them; "
          "(3) rank those accounts by the count, highest = 1. account_id, n_tx, tx_rank.",
          "SELECT account_id, count(*) AS n_tx, rank() OVER (ORDER BY count(*) DESC) AS tx_rank FROM transactions "
          "WHERE status = 'posted' GROUP BY account_id HAVING count(*) > 2",
          ["account_id", "n_tx", "tx_rank"])  # fmt: skip


def test_steps_with_parenthesis_markers_and_heading(engine: Any) -> None:
    check(engine,
          "In two steps: 1) count sessions per browser; 2) rank the browsers by that count, highest = 1. "
          "browser, session_count, browser_rank.",
          "SELECT browser, count(*) AS session_count, rank() OVER (ORDER BY count(*) DESC) AS browser_rank "
          "FROM sessions GROUP BY browser",
          ["browser", "session_count", "browser_rank"])  # fmt: skip


def test_step_words_then_same_plan(engine: Any) -> None:
    check(engine,
          "Step 1: count sessions per device_type. Step 2: rank the device types by the count, highest = 1. "
          "device_type, sessions_n, device_rank.",
          "SELECT device_type, count(*) AS sessions_n, rank() OVER (ORDER BY count(*) DESC) AS device_rank "
          "FROM sessions GROUP BY device_type",
          ["device_type", "sessions_n", "device_rank"])  # fmt: skip


# -- "<superlative> [noun] = 1": the rank's direction -------------------------------------------------------


@pytest.mark.parametrize(("words", "direction"), [("biggest account = 1", "DESC"), ("highest = 1", "DESC"),
                                                  ("smallest limit = 1", "ASC")])  # fmt: skip
def test_which_row_ranks_first(engine: Any, words: str, direction: str) -> None:
    check(engine, f"Rank accounts by credit_limit, {words}. account_id, credit_limit, limit_rank.",
          f"SELECT account_id, credit_limit, rank() OVER (ORDER BY credit_limit {direction}) AS limit_rank FROM accounts",
          ["account_id", "credit_limit", "limit_rank"])  # fmt: skip


def test_cheapest_first_is_ascending(engine: Any) -> None:
    check(engine, "Rank the products by unit_price, the cheapest product = 1. product_id, unit_price, price_rank.",
          "SELECT product_id, unit_price, rank() OVER (ORDER BY unit_price ASC) AS price_rank FROM products",
          ["product_id", "unit_price", "price_rank"])  # fmt: skip
