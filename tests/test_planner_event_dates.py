"""Periods and counts said of other rows than the ones named first (on a chain of shops' tables).

"stores and how many sales they rang up in 2024": the verb ("rang up") is an event of other rows (the sales),
not the stores' own date: asked, never the stores' opening date (once read silently). "stores and how many
sales they had": the pronoun is the stores, each a group (once one count of every sale).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SHOPS_SQL = """
CREATE TABLE regions (region_id INTEGER PRIMARY KEY, region_name VARCHAR, email VARCHAR);
INSERT INTO regions VALUES (1, 'north', 'n@x.io'), (2, 'south', NULL), (3, 'west', 'w@x.io');
CREATE TABLE stores (store_id INTEGER PRIMARY KEY, region_id INTEGER REFERENCES regions(region_id), town VARCHAR,
                     opened_on DATE, email VARCHAR);
INSERT INTO stores VALUES (10, 1, 'Leeds', '2024-02-01', NULL), (11, 2, 'York', '2019-05-05', 'y@x.io'),
  (12, 3, 'Hull', '2020-01-01', NULL);
CREATE TABLE sales (sale_id INTEGER PRIMARY KEY, store_id INTEGER REFERENCES stores(store_id), sale_amount DECIMAL(8,2),
                    sold_on DATE);
INSERT INTO sales VALUES (1, 10, 50, '2024-03-01'), (2, 11, 500, '2023-03-01'), (3, 11, 20, '2024-04-01'),
  (4, 12, 40, '2024-05-01'), (5, 12, 5, '2024-06-01');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "shop_chain", SHOPS_SQL)


def test_a_verb_of_other_rows_before_a_period_is_asked(engine: Any) -> None:
    with pytest.raises(PlanError, match="the date of which rows"):
        plan(engine, "stores and how many sales they rang up in 2024")


def test_the_rows_named_before_how_many_they_are_the_groups(engine: Any) -> None:
    """"stores and how many sales they had": per store (the pronoun is the stores), never one count of all sales."""
    spec = check(engine, "stores and how many sales they had",
                 "SELECT store_id, count(*) FROM sales GROUP BY 1")  # fmt: skip
    assert spec.group_by == ["stores.store_id"]


def test_the_rows_asked_for_are_named_first(engine: Any) -> None:
    """"stores with more than 1 sale": the stores must exist (no question whether sales of unknown stores count)."""
    spec = check(engine, "stores with more than 1 sale",
                 "SELECT store_id, count(*) FROM sales GROUP BY 1 HAVING count(*) > 1")  # fmt: skip
    assert spec.join_conditions and spec.join_conditions[0].join_type == "inner"


@pytest.mark.parametrize(("prompt", "towns"), [
    ("stores in York with more than 1 sale", "'York'"),
    ("stores from York or Hull with more than 1 sale", "'York', 'Hull'"),
])  # fmt: skip
def test_the_group_named_before_its_values(engine: Any, prompt: str, towns: str) -> None:
    """Values said of the stores between them and the condition on their count: the stores are the groups."""
    check(engine, prompt, "SELECT store_id, count(*) FROM sales JOIN stores USING (store_id) "
                          f"WHERE town IN ({towns}) GROUP BY 1 HAVING count(*) > 1")  # fmt: skip


def test_a_column_phrase_several_tables_share_is_the_base_tables(engine: Any) -> None:
    """"stores without an email address": the stores' column, though the phrase finder scored another
    table's column of that name first (the plan once joined a table it cannot reach)."""
    check(engine, "stores without an email address", "SELECT * FROM stores WHERE email IS NULL")
