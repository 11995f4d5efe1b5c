"""Rows of the base, kept by a condition on a table that repeats them (one user, many sessions): each base row is
listed once, and never ordered by one of its many related values (on the demo + web/finance tables)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import WEB_FINANCE_SQL, check, planner_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory, WEB_FINANCE_SQL)


# misreading: "users on mobile" listed each user once per mobile session, with the session's columns: a table the
# request does not name, joined only for a value of it, keeps base rows and lists each once
def test_base_rows_kept_by_a_value_of_an_unnamed_related_table_are_listed_once(engine: Any) -> None:
    check(engine, "users on mobile",
          "SELECT * FROM users WHERE user_id IN (SELECT user_id FROM sessions WHERE device_type = 'mobile')")
