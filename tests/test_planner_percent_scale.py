"""Numbers said in percent, on the column's own scale (an insurance broker's tables).

"policies with a commission rate over 10%": the rates are stored as fractions (0.05 .. 0.20), so the plan once
compared them with 10 and published 0 rows with ``pass``. A percent is a hundredth when the column's values
are fractions, as written when its name says percent or its values pass 1, and refused when the scale cannot
be told. Also: a column word that matches a table no key joins exactly reads the table in play's column, and
a state said between a count and the counted rows ("more than 1 verified holder") is their condition.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from datamorph.planner.values import ValueIndex
from planner_support import check, plan, sql_engine

BROKER_SQL = """
CREATE TABLE holders (holder_id INTEGER PRIMARY KEY, region VARCHAR, is_verified BOOLEAN);
INSERT INTO holders VALUES (1, 'north', true), (2, 'north', true), (3, 'south', false), (4, 'south', true);
CREATE TABLE policies (policy_id INTEGER PRIMARY KEY, holder_id INTEGER REFERENCES holders(holder_id),
                       premium DECIMAL(10,2), commission_rate DECIMAL(4,2), excess_pct DECIMAL(5,2));
INSERT INTO policies VALUES (10, 1, 300, 0.05, 5), (11, 2, 900, 0.12, 15), (12, 3, 450, 0.20, 25), (13, 4, 80, 0.10, 10);
CREATE TABLE quotes (quote_id INTEGER PRIMARY KEY, commission DECIMAL(8,2));
INSERT INTO quotes VALUES (1, 12.5);
CREATE TABLE drafts (draft_id INTEGER PRIMARY KEY, holder_id INTEGER REFERENCES holders(holder_id),
                     uplift DECIMAL(4,2));
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "broker", BROKER_SQL)


@pytest.mark.parametrize(("prompt", "sql"), [
    ("policies with a commission rate over 10%", "SELECT * FROM policies WHERE commission_rate > 0.10"),
    ("policies with a commission rate of at least 12 percent", "SELECT * FROM policies WHERE commission_rate >= 0.12"),
    ("policies with a commission rate between 5% and 10%",
     "SELECT * FROM policies WHERE commission_rate BETWEEN 0.05 AND 0.10"),
    ("policies with an excess_pct above 10 percent", "SELECT * FROM policies WHERE excess_pct > 10"),
    ("policies with an excess above 10%", "SELECT * FROM policies WHERE excess_pct > 10"),
])  # fmt: skip
def test_a_percent_on_the_columns_scale(engine: Any, prompt: str, sql: str) -> None:
    check(engine, prompt, sql)


def test_a_percent_on_a_column_with_no_values_is_asked(engine: Any) -> None:
    with pytest.raises(PlanError, match="fraction"):
        plan(engine, "drafts with an uplift over 5%")


def test_a_column_word_of_a_table_no_key_joins_reads_the_table_in_play(engine: Any) -> None:
    """"commission" is the whole name of quotes.commission, but no key joins quotes to policies."""
    check(engine, "policies with a commission over 10%", "SELECT * FROM policies WHERE commission_rate > 0.10")


def test_a_state_between_the_count_and_the_counted_rows(engine: Any) -> None:
    check(engine, "regions with more than 1 verified holder",
          "SELECT region, count(*) FROM holders WHERE is_verified GROUP BY 1 HAVING count(*) > 1")  # fmt: skip


def test_value_index_ranges_round_trip() -> None:
    idx = ValueIndex()
    idx.set_range("Policies", "Commission_Rate", 0.05, 0.2)
    again = ValueIndex.from_dict(idx.to_dict())
    assert again.range_of("policies", "commission_rate") == (0.05, 0.2)
    assert again.range_of("policies", "premium") is None
