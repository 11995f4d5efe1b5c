"""Shares per group whose condition is a length of time or a comparison of two dates (on a call centre's tables).

"percentage of calls longer than 10 minutes per queue" reads two ways: only the long calls, each queue's share
of them; or, of each queue's calls, the fraction that are long. The readings are built and run as for any
other condition (they once were not, and the first was published silently); said after the group ("what share
of calls in each queue lasted more than 10 minutes", "share of tickets per year that were closed on time") the
condition is what the share counts. A share of rows picked by a condition on their own counts ("share of
callers with more than one call") would count each group once: refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanAmbiguous, PlanError
from planner_support import check, plan, sql_engine

CALLS_SQL = """
CREATE TABLE callers (caller_id INTEGER PRIMARY KEY, caller_name VARCHAR);
INSERT INTO callers VALUES (1, 'Ada'), (2, 'Ben'), (3, 'Cy');
CREATE TABLE calls (call_id INTEGER PRIMARY KEY, caller_id INTEGER REFERENCES callers(caller_id), queue VARCHAR,
                    started_at TIMESTAMP, ended_at TIMESTAMP);
INSERT INTO calls VALUES (1, 1, 'sales', '2025-01-01 09:00', '2025-01-01 09:20'),
  (2, 1, 'sales', '2025-01-01 10:00', '2025-01-01 10:03'), (3, 2, 'sales', '2025-01-02 09:00', '2025-01-02 09:04'),
  (4, 2, 'support', '2025-01-02 11:00', '2025-01-02 11:30'), (5, 3, 'support', '2025-01-03 09:00', '2025-01-03 09:45');
CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, due_on DATE, closed_on DATE);
INSERT INTO tickets VALUES (1, '2024-03-01', '2024-02-27'), (2, '2024-03-05', '2024-03-09'), (3, '2025-01-10', '2025-01-10'),
  (4, '2025-02-01', '2025-02-03'), (5, '2025-02-02', '2025-02-05'), (6, '2025-02-03', '2025-01-30');
"""

LONG = "epoch(ended_at - started_at) > 600"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "call_centre", CALLS_SQL)


def test_a_share_with_a_length_of_time_as_its_condition_is_asked(engine: Any) -> None:
    """Sales: 1 long call of 3; support: 2 of 2. Of the long calls, sales has a third; of its own calls, a third
    too, but support differs (two thirds of the long calls, all of its own): the readings differ, so ask."""
    with pytest.raises(PlanAmbiguous) as info:
        plan(engine, "percentage of calls longer than 10 minutes per queue")
    assert "longer than 10 minutes" in str(info.value)


def test_a_share_with_its_condition_after_the_group_counts_within_the_group(engine: Any) -> None:
    check(engine, "what share of calls in each queue lasted more than 10 minutes",
          f"SELECT queue, 1.0 * count(CASE WHEN {LONG} THEN 1 END) / count(*) FROM calls GROUP BY 1")  # fmt: skip


def test_a_share_with_two_dates_compared_as_its_condition_is_asked(engine: Any) -> None:
    with pytest.raises(PlanAmbiguous):
        plan(engine, "share of tickets closed on time per year of due_on")
    check(engine, "share of tickets per year of due_on that were closed on time",
          "SELECT year(due_on), 1.0 * count(CASE WHEN closed_on <= due_on THEN 1 END) / count(*) FROM tickets "
          "GROUP BY 1")  # fmt: skip


def test_a_share_of_the_groups_own_rows_is_refused(engine: Any) -> None:
    """Grouped per caller, a distinct count of callers is 1 in every group: refused, never published."""
    with pytest.raises(PlanError, match="counts the groups themselves"):
        plan(engine, "share of callers with more than one call")


@pytest.mark.parametrize(("prompt", "condition"), [
    ("percentage of calls longer than 10 minutes", LONG),
    ("what percent of calls were in sales", "queue = 'sales'"),
])  # fmt: skip
def test_a_share_with_no_groups_counts_the_rows_its_condition_says(engine: Any, prompt: str, condition: str) -> None:
    """With no groups, the share of the narrowed rows would be 1 by construction: the condition says which of
    all the rows are counted."""
    check(engine, prompt, f"SELECT 100.0 * count(CASE WHEN {condition} THEN 1 END) / count(*) FROM calls")


@pytest.mark.parametrize("prompt", [
    "share of calls",  # of what? (1 by construction)
    "percentage of calls longer than 10 minutes in the sales queue",  # which condition is counted, which scopes?
])  # fmt: skip
def test_a_share_with_no_groups_and_no_single_condition_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="a share needs groups"):
        plan(engine, prompt)
