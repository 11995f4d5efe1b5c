"""Misreadings found by reading plans of an analyst's requests, each stopped as a class and tested on a small
library warehouse built here (branches, members, payments)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from datamorph.planner import plan_request
from planner_support import sql_engine

LIBRARY_SQL = """
CREATE TABLE branches (branch_id INTEGER PRIMARY KEY, branch_name VARCHAR, city VARCHAR, seats INTEGER);
INSERT INTO branches VALUES (1, 'Central', 'Bergen', 40), (2, 'Harbour', 'Bergen', 12), (3, 'Hillside', 'Tromso', 20);
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, city VARCHAR, is_student BOOLEAN,
  branch_id INTEGER REFERENCES branches(branch_id));
INSERT INTO members VALUES (1, 'Ane Dahl', 'Bergen', TRUE, 1), (2, 'Ole Lund', 'Tromso', FALSE, 1),
  (3, 'Kari Moe', 'Bergen', FALSE, 2), (4, 'Per Berg', 'Tromso', TRUE, 3), (5, 'Liv Sand', 'Bergen', FALSE, 3);
CREATE TABLE payments (payment_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
  amount DECIMAL(6,2));
CREATE TABLE librarians (librarian_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR);
INSERT INTO librarians VALUES (1, 'Eva', 'Holm'), (2, 'Eva', 'Strand'), (3, 'Jon', 'Holm'), (4, 'Eva', 'Holm');
INSERT INTO payments VALUES (1, 1, 4), (2, 1, 8), (3, 2, 15), (4, 3, 0), (5, 4, 2), (6, 5, 3);
"""
REF = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "library", LIBRARY_SQL)


def _rows(engine: Any, prompt: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    spec = plan_request(prompt, engine, target="result", reference_date=REF)
    res = engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb"))
    return list(res.columns), sorted(res.rows, key=repr)


# -- a name no column holds ----------------------------------------------------------------------------
# "members in London" planned every member, 'Oslo' set aside as an English word (as are most city names): a capitalised word inside a
# sentence is a name the request filters on, never filler.


@pytest.mark.parametrize("prompt", ["members in London", "show the members from Boston with their names",
                                    "list all branches located in Paris"])
def test_a_name_no_column_holds_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan_request(prompt, engine, target="result", reference_date=REF)


def test_a_name_a_column_holds_is_still_a_condition(engine: Any) -> None:
    _, rows = _rows(engine, "members in Bergen")
    assert sorted(r[0] for r in rows) == [1, 3, 5]


@pytest.mark.parametrize("prompt", ["Members in Bergen. Thanks!", "Hi, please list the members in Bergen"])
def test_a_capital_at_the_start_of_a_sentence_is_no_name(engine: Any, prompt: str) -> None:
    _, rows = _rows(engine, prompt)
    assert sorted(r[0] for r in rows) == [1, 3, 5]


# -- "for every X count the Y" ---------------------------------------------------------------------------
# "for every branch count the members" was read as "branch count" (the number of branches) and a count of
# members, ungrouped: 'count' followed by its object is the verb, and "in every X" groups like "in each X".


@pytest.mark.parametrize("prompt", ["for every branch count the members", "in every branch count the members",
                                    "for each branch count members"])
def test_count_as_a_verb_after_a_group_counts_per_group(engine: Any, prompt: str) -> None:
    try:
        _, rows = _rows(engine, prompt)
    except PlanError:
        return  # a refusal is honest; a single row with the number of branches is not
    assert sorted(r[-1] for r in rows) == [1, 2, 2]


def test_a_count_named_after_its_table_is_still_a_count(engine: Any) -> None:
    _, rows = _rows(engine, "the member count")
    assert rows == [(5,)]


# -- "X who ..., with their Y" -------------------------------------------------------------------------------
# "members who are not students, with their city" output the city alone: a list added to rows named
# before a relative clause keeps those rows' columns.


def test_a_list_after_a_relative_clause_adds_to_the_rows(engine: Any) -> None:
    cols, rows = _rows(engine, "members who are not students, with their city")
    assert "member_id" in cols and "city" in cols
    assert sorted(r[cols.index("member_id")] for r in rows) == [2, 3, 5]


# -- a short word after a table's name ------------------------------------------------------------------------
# "subscriptions set to auto renew" output the seats alone: 'subscriptions set' was a typo of the qualified
# name 'subscription seats' (the table's long name hid that 'set' is no typo of 'seat' on its own).


def test_a_short_word_after_a_table_is_no_typo_of_its_column(engine: Any) -> None:
    from datamorph.planner.linking import SchemaLinker, ValueIndex

    linker = SchemaLinker(engine.catalog(), ValueIndex.build(engine, engine.catalog()))
    assert linker.columns("branches set") == []
    assert linker.columns("branch seats")[0].column == "seats"
    assert linker.columns("branch seets") == linker.columns("seets")  # no more lenient than the column's own word


def test_rows_set_in_a_place_keep_their_columns(engine: Any) -> None:
    try:
        cols, rows = _rows(engine, "branches set in Bergen")
    except PlanError:
        return
    assert cols != ["seats"] and sorted(r[cols.index("branch_id")] for r in rows) == [1, 2]


# -- "which X spent over N" ------------------------------------------------------------------------------------
# "Which customers spent over 500?" kept the customers with one order over 500: a threshold said with a verb of
# the listed rows on an amount of their related rows may mean any one row or their total. Refused.


@pytest.mark.parametrize("prompt", ["Which members paid over 10?", "members who spent more than 10",
                                    "list the members that spent over 10"])
def test_an_amount_verb_on_related_rows_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan_request(prompt, engine, target="result", reference_date=REF)


@pytest.mark.parametrize("prompt", ["Which members spent more than 10 in total? member_id, spent",
                                    "members who paid over 10 in total: member_id"])
def test_an_amount_verb_in_total_is_the_sum_of_the_related_rows(engine: Any, prompt: str) -> None:
    """"in total" settles it: the sum of the members' payments (members keep no money of their own)."""
    cols, rows = _rows(engine, prompt)
    assert cols[0] == "member_id" and [r[0] for r in rows] == [1, 2]


def test_a_threshold_on_the_rows_own_amount_still_plans(engine: Any) -> None:
    cols, rows = _rows(engine, "payments over 5")
    assert sorted(r[cols.index("payment_id")] for r in rows) == [2, 3]


# -- "distinct X names" --------------------------------------------------------------------------------------
# "unique doctor names" output the distinct first names only: a person's name asked for once each is still both
# parts the table keeps it in.


@pytest.mark.parametrize("prompt", ["unique librarian names", "the distinct names of librarians",
                                    "list distinct librarian names"])
def test_distinct_person_names_keep_both_parts(engine: Any, prompt: str) -> None:
    cols, rows = _rows(engine, prompt)
    assert cols == ["first_name", "last_name"]
    assert rows == sorted([("Eva", "Holm"), ("Eva", "Strand"), ("Jon", "Holm")], key=repr)


def test_distinct_first_names_are_one_part(engine: Any) -> None:
    cols, rows = _rows(engine, "distinct first names of librarians")
    assert cols == ["first_name"] and sorted(r[0] for r in rows) == ["Eva", "Jon"]
