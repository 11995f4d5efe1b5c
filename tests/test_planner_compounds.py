"""Compound adjectives of rank, and "current" said of a related table's rows (on a small payroll).

- "best-paid", "top-selling": an ordering word and a participle joined by a hyphen make one adjective of rank;
  its second part is never a data value ('paid' of an unrelated payouts table was, and the plan joined a table
  nothing connects);
- "by current wage": "current" is said of the wages (their end date is empty), not of the staff (whose own end
  date, the leaving date, would have dropped everyone who left).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import plan, sql_engine

PAYROLL_SQL = """
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, dept VARCHAR, left_on DATE);
INSERT INTO staff VALUES (1, 'ops', NULL), (2, 'ops', '2025-01-31'), (3, 'ops', NULL), (4, 'it', NULL);
CREATE TABLE wages (wage_id INTEGER PRIMARY KEY, staff_id INTEGER REFERENCES staff(staff_id), wage DECIMAL(8,2),
                    end_date DATE);
INSERT INTO wages VALUES (1, 1, 100, '2024-12-31'), (2, 1, 120, NULL), (3, 2, 150, NULL), (4, 3, 90, NULL), (5, 4, 80, NULL);
CREATE TABLE payouts (payout_id INTEGER PRIMARY KEY, state VARCHAR, paid_on DATE);
INSERT INTO payouts VALUES (1, 'paid', '2025-01-01'), (2, 'held', NULL);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "payroll", PAYROLL_SQL)


def test_a_compound_of_rank_is_no_data_value_and_current_is_the_wages(engine: Any) -> None:
    spec = plan(engine, "The 2 best-paid staff in each dept by current wage")
    tables = {s.table_name for s in spec.source_tables}
    assert "payouts" not in tables
    nulls = [f.column for f in spec.filters if getattr(f, "operator", None) == "is_null"]
    assert nulls == ["wages.end_date"], spec.filters


def test_current_before_a_column_leaves_the_column_asked_for(engine: Any) -> None:
    """"each staff member's current wage": the wage is a column asked for; "current" never takes it as the
    wages' rows only (the wage was left out of the output, every staff column listed instead)."""
    from datamorph.errors import PlanError

    try:
        spec = plan(engine, "each staff member's current wage")
    except PlanError:
        return  # refused is fine; a plan must show the wage
    assert any((c.column or "").endswith("wage") for c in spec.columns), spec.columns
