"""The next N days, weeks or months from the reference date (2025-07-01): "invoices due in the next 30 days".

Once refused ("could not understand 'next', '30', 'days'"); the last N units already read the same way backwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

LEASES_SQL = """
CREATE TABLE leases (lease_id INTEGER PRIMARY KEY, unit VARCHAR, ends_on DATE);
INSERT INTO leases VALUES (1, 'A', '2025-06-20'), (2, 'B', '2025-07-15'), (3, 'C', '2025-07-31'),
  (4, 'D', '2025-09-15'), (5, 'E', '2025-12-01');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "leases", LEASES_SQL)


@pytest.mark.parametrize(("words", "end"), [
    ("in the next 30 days", "2025-07-31"),
    ("within the next 2 weeks", "2025-07-15"),
    ("in the coming 3 months", "2025-10-01"),
])  # fmt: skip
def test_the_next_n_units(engine: Any, words: str, end: str) -> None:
    check(engine, f"leases ending {words}", f"SELECT * FROM leases WHERE ends_on BETWEEN '2025-07-01' AND '{end}'")


def test_the_last_n_units_still_look_back(engine: Any) -> None:
    check(engine, "leases ending in the last 30 days", "SELECT * FROM leases WHERE ends_on BETWEEN '2025-06-01' AND '2025-07-01'")
