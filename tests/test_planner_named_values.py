"""Computed values named in the output list and defined around it (a removals firm's tables).

- "job_month (the first day of the month of booked_on)": a truncation to the month, never the day of the month
  (the plan once published ``day(booked_on)`` under the name job_month, with ``pass``);
- "job_id and margin (price minus cost) for jobs [over 500]": a computed item followed by the rows it is of;
- "job_id, margin where margin is price minus cost": a name defined after "where ... is";
- "mover_id, mover_name": one column for a name the table keeps in parts is asked (it once listed first_name
  alone under that name).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

REMOVALS_SQL = """
CREATE TABLE jobs (job_id INTEGER PRIMARY KEY, booked_on DATE, price DECIMAL(8,2), cost DECIMAL(8,2));
INSERT INTO jobs VALUES (1, '2024-03-17', 900, 600), (2, '2024-03-02', 400, 380), (3, '2024-05-30', 1200, 700);
CREATE TABLE movers (mover_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, van VARCHAR);
INSERT INTO movers VALUES (1, 'Ann', 'Lee', 'V1'), (2, 'Bo', 'Kay', 'V2');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "removals", REMOVALS_SQL)


@pytest.mark.parametrize(("words", "unit"), [
    ("the first day of the month of booked_on", "month"),
    ("the first day of the week of booked_on", "week"),
    ("1st day of the quarter in which booked_on falls", "quarter"),
])  # fmt: skip
def test_the_first_day_of_a_period_is_a_truncation(engine: Any, words: str, unit: str) -> None:
    check(engine, f"job_id and job_period ({words})",
          f"SELECT job_id, CAST(date_trunc('{unit}', booked_on) AS DATE) FROM jobs", ["job_id", "job_period"])  # fmt: skip


@pytest.mark.parametrize(("tail", "where"), [
    ("for jobs", ""),
    ("for jobs with a price over 500", "WHERE price > 500"),
])  # fmt: skip
def test_a_computed_item_before_the_rows_it_is_of(engine: Any, tail: str, where: str) -> None:
    check(engine, f"job_id and margin (price minus cost) {tail}", f"SELECT job_id, price - cost FROM jobs {where}",
          ["job_id", "margin"])  # fmt: skip


def test_a_name_defined_after_where(engine: Any) -> None:
    check(engine, "job_id, margin where margin is price minus cost", "SELECT job_id, price - cost FROM jobs",
          ["job_id", "margin"])  # fmt: skip


@pytest.mark.parametrize("prompt", ["mover_id, mover_name, van", "mover_id and mover_name (first and last name)"])
def test_one_column_for_a_name_kept_in_parts_is_asked(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="keeps a name in parts"):
        plan(engine, prompt)


def test_the_name_of_rows_kept_in_parts_is_both_parts(engine: Any) -> None:
    check(engine, "mover_id, name, van", "SELECT mover_id, first_name, last_name, van FROM movers")


@pytest.mark.parametrize(("prompt", "sql"), [
    ("job_id, size_band: 'big' when price is at least 1000, otherwise 'small'",
     "SELECT job_id, CASE WHEN price >= 1000 THEN 'big' ELSE 'small' END FROM jobs"),
    ("job_id, job_year - the year of booked_on", "SELECT job_id, year(booked_on) FROM jobs"),
])  # fmt: skip
def test_a_listed_name_defined_right_after_it(engine: Any, prompt: str, sql: str) -> None:
    """The last item of the list is a name whose definition follows it (after a colon or a dash): once the list
    stopped at the definition's words and the first item was left unread."""
    check(engine, prompt, sql)


@pytest.mark.parametrize(("words", "names"), [
    ("weekday of booked_on (Monday, Tuesday, ...)", ["Saturday", "Sunday", "Thursday"]),
    ("month of booked_on (Jan, Feb, ...)", ["Mar", "Mar", "May"]),
])  # fmt: skip
def test_names_shown_after_a_weekday_or_month_are_names(engine: Any, words: str, names: list[str]) -> None:
    """Once the weekday's number (0-6) was published though the request showed day names."""
    spec = plan(engine, f"job_id, {words}")
    res = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb"))
    assert sorted(r[1] for r in res.rows) == names
