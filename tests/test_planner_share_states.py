"""Shares whose counted state is negated or compares two dates, and groups named by another table's column.

- "share of jobs that are unfinished": the rows whose state is *not* 'finished' (the condition keeps its
  operator: a negated value was counted as the value itself);
- "what percent of jobs were done late, per crew": within each crew, the jobs done after they were due (a
  state of two dates is counted, not a filter that leaves only late jobs, whose share of the total is asked of
  nobody);
- "number of jobs per crew_group": a column written out by its own name is that column of the table that has
  it (joined), never the table its first word names (crews, by its key).

Every request runs end to end on a small works warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

WORKS_SQL = """
CREATE TABLE crews (crew_id INTEGER PRIMARY KEY, crew_group VARCHAR);
INSERT INTO crews VALUES (1, 'north'), (2, 'north'), (3, 'south');
CREATE TABLE jobs (job_id INTEGER PRIMARY KEY, crew_id INTEGER REFERENCES crews(crew_id), state VARCHAR, due_on DATE,
  done_on DATE);
INSERT INTO jobs VALUES (1, 1, 'finished', '2025-01-10', '2025-01-09'), (2, 1, 'finished', '2025-01-10', '2025-01-12'),
  (3, 2, 'open', '2025-02-01', NULL), (4, 3, 'finished', '2025-03-01', '2025-03-05'), (5, 3, 'parked', '2025-03-02', NULL),
  (6, 3, 'finished', '2025-03-03', '2025-03-03');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "works", WORKS_SQL)


def test_a_negated_state_in_a_share_counts_the_other_rows(engine: Any) -> None:
    check(engine, "share of jobs that are unfinished",
          "SELECT 1.0 * count(CASE WHEN state <> 'finished' THEN 1 END) / count(*) FROM jobs")  # fmt: skip


def test_a_state_of_two_dates_is_counted_within_each_group(engine: Any) -> None:
    spec = check(engine, "What percent of jobs were done late, per crew_id?",
                 "SELECT crew_id, 100.0 * count(CASE WHEN done_on > due_on THEN 1 END) / count(*) FROM jobs "
                 "GROUP BY crew_id")  # fmt: skip
    assert spec.filters == []


def test_a_column_written_out_is_that_column_not_a_table(engine: Any) -> None:
    check(engine, "number of jobs per crew_group",
          "SELECT crew_group, count(*) FROM jobs JOIN crews USING (crew_id) GROUP BY crew_group")  # fmt: skip


def test_a_timing_word_that_nothing_reads_is_refused_not_set_aside(engine: Any) -> None:
    """"late", "early", "overdue" carry meaning: when no reading uses one, the plan fails quoting it."""
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError, match="'overdue'"):
        plan(engine, "number of overdue jobs per crew_id")


def test_the_group_said_as_the_owner_of_the_counted_rows(engine: Any) -> None:
    """"What fraction of each crew's jobs are finished?": per crew (the owner), the jobs in that state."""
    check(engine, "What fraction of each crew's jobs are finished?",
          "SELECT crew_id, 1.0 * count(CASE WHEN state = 'finished' THEN 1 END) / count(*) FROM jobs GROUP BY crew_id")  # fmt: skip


def test_rows_with_related_rows_but_none_of_a_kind(engine: Any) -> None:
    """"crews that have jobs but never a parked job": crews with a job, none parked (the anti join alone kept
    crews with no job at all too; see test_planner_some_but_none.py)."""
    from planner_support import plan

    check(engine, "crews that have jobs but never a parked job: crew_id",
          "SELECT crew_id FROM crews WHERE crew_id IN (SELECT crew_id FROM jobs) "
          "AND crew_id NOT IN (SELECT crew_id FROM jobs WHERE state = 'parked')")  # fmt: skip
    spec = plan(engine, "crews that never had a parked job: crew_id")  # the anti join alone is what this asks
    assert spec.filters and spec.filters[0].operator == "is_null"


def test_a_row_picked_by_the_highest_value_of_a_named_column(engine: Any) -> None:
    """"one row per crew: their latest-due job" is a date pick; "their biggest job (by job_id, ...)" picks by a value,
    and the tie-break said with no direction is lowest first (checked against the other direction: same rows)."""
    spec = check(engine, "One row per crew_id: their biggest job (by job_id). crew_id, job_id, state",
                 "SELECT crew_id, max(job_id), arg_max(state, job_id) FROM jobs GROUP BY crew_id")  # fmt: skip
    assert spec.dedupe is not None and spec.aggregations == []
    from datamorph.errors import PlanAmbiguous
    from planner_support import plan

    with pytest.raises(PlanAmbiguous, match="ties: highest job id"):  # crew 1 has two jobs due the same day
        plan(engine, "each crew's smallest job by due_on, ties by job_id: crew_id, job_id")
    check(engine, "each crew's smallest job by due_on, ties by the lower job_id: crew_id, job_id",
          "SELECT crew_id, arg_min(job_id, (due_on, job_id)) FROM jobs GROUP BY crew_id")  # fmt: skip


@pytest.mark.parametrize(("words", "direction"), [("most first", "desc"), ("fewest first", "asc"),
                                                  ("least first", "asc"), ("highest first", "desc")])  # fmt: skip
def test_most_or_fewest_first_sorts_the_measure(engine: Any, words: str, direction: str) -> None:
    from planner_support import plan

    spec = plan(engine, f"number of jobs per crew_id, {words}")
    assert [(o.column, o.direction) for o in spec.order_by] == [("job_count", direction)]


def test_most_first_after_a_top_n_says_its_order_again(engine: Any) -> None:
    spec = check(engine, "Which 2 crews have the most jobs? crew_id, job_count, most first, ties by crew_id.",
                 "SELECT crew_id, count(*) FROM jobs GROUP BY crew_id ORDER BY 2 DESC, 1 LIMIT 2")  # fmt: skip
    assert spec.limit == 2


def test_no_gap_said_in_the_singular_is_a_dense_rank(engine: Any) -> None:
    """"no gap after ties" (singular): before, 'gap' was set aside as filler and the rank kept its gaps."""
    spec = check(engine, "rank jobs within each crew_id by due_on, earliest first, no gap after ties: job_id, due_rank",
                 "SELECT job_id, dense_rank() OVER (PARTITION BY crew_id ORDER BY due_on) FROM jobs")  # fmt: skip
    assert spec.windows[0].function == "dense_rank"


def test_how_many_of_them_is_never_a_filter_on_the_first_count(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"number of members and how many of them verified their email": before, the state became a row filter and
    the first count counted only those rows (one column, wrong). Now refused until a second count is read."""
    from datamorph.errors import PlanError
    from planner_support import plan

    sql = ("CREATE TABLE members (member_id INTEGER, region VARCHAR, email_verified BOOLEAN); "
           "INSERT INTO members VALUES (1, 'n', true), (2, 'n', false), (3, 's', true);")
    for engine in sql_engine(tmp_path_factory, "club2", sql):
        with pytest.raises(PlanError):
            plan(engine, "Per region, number of members and how many of them verified their email.")
