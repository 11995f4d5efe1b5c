"""Planner: which table and which date column a time phrase belongs to, and the range forms it may take.

A small lending-library warehouse (members with two dates, loans with two dates, branches, flights with an
``eta``), so the rules are tried on other tables and other wording than the benchmark's. Each request is
planned and run; its rows must equal a hand-written query's, or the plan must fail with the words quoted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler.sql import compile_spec
from datamorph.engines.base import Engine
from datamorph.errors import PlanAmbiguous, PlanError
from datamorph.planner import plan_request
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.rules import claims_of
from datamorph.spec import Filter
from planner_support import sql_engine

REF = dt.date(2025, 6, 30)

_SQL = """
CREATE TABLE branches (branch_id INTEGER PRIMARY KEY, branch_name VARCHAR, opened_on DATE);
INSERT INTO branches VALUES (1, 'Harbour', '2024-02-01'), (2, 'Hill', '2019-05-05');
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, ssn VARCHAR, joined_on DATE,
                      expired_on DATE, last_checked_in_at TIMESTAMP);
INSERT INTO members VALUES
  (1, 'Ada', '111', '1993-04-02', '2023-03-01', '2024-05-05 10:00:00'),
  (2, 'Ben', '222', '1989-12-31', NULL, '2023-12-31 23:59:59'),
  (3, 'Cy', '333', '2023-02-10', '2023-12-31', '2024-01-01 00:00:00'),
  (4, 'Di', '444', '2000-01-01', '2024-01-01', NULL),
  (5, 'Ed', '555', '1990-01-01', '2022-06-30', '2025-02-02 08:00:00');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
                    branch_id INTEGER REFERENCES branches(branch_id), borrowed_on DATE, returned_on DATE);
INSERT INTO loans VALUES
  (10, 1, 1, '2024-03-01', '2024-03-20'), (11, 3, 1, '2023-06-01', '2023-06-10'),
  (12, 3, 2, '2024-07-07', NULL), (13, 5, 2, '2022-01-01', '2022-01-30');
CREATE TABLE fines (fine_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
                    penalty DECIMAL(8,2), charged_on DATE);
INSERT INTO fines VALUES (1, 1, 2.50, '2024-04-01'), (2, 3, 1.00, '2023-05-05');
CREATE TABLE flights (flight_id INTEGER PRIMARY KEY, flight_code VARCHAR, eta TIMESTAMP, seats INTEGER);
INSERT INTO flights VALUES (1, 'AX1', '2024-07-01 00:00:00', 100), (2, 'AX2', '2024-09-30 23:30:00', 80),
  (3, 'AX3', '2024-10-01 00:00:00', 90), (4, 'AX4', '2024-06-30 23:59:59', 70);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from sql_engine(tmp_path_factory, "lib", _SQL)


def _rows(engine: Engine, prompt: str) -> list[tuple[Any, ...]]:
    spec = plan_request(prompt, engine, reference_date=REF)
    sql = compile_spec(spec, engine.catalog()).sql(engine.dialect)
    return sorted(engine.fetch(sql).rows, key=repr)


def _ids(engine: Engine, prompt: str) -> list[Any]:
    return sorted(r[0] for r in _rows(engine, prompt))


def _date_filters(engine: Engine, prompt: str) -> list[tuple[str, str, Any]]:
    spec = plan_request(prompt, engine, reference_date=REF)
    return [(f.column, f.operator, f.value) for f in spec.filters if isinstance(f, Filter)]


# -- a period said twice is one condition ------------------------------------------------------


def test_a_restated_range_is_one_condition(engine: Engine) -> None:
    """The words in brackets say the same days again: no second condition, and no question about its column."""
    prompt = "members who joined in the first half of 1993 (1 Jan - 30 Jun 1993, both ends included): member_id"
    assert _ids(engine, prompt) == [1]
    assert _date_filters(engine, prompt) == [("members.joined_on", "between", ["1993-01-01", "1993-06-30"])]
    prompt = "flights in Q3 2024 (1 July to 30 September 2024, both days included): flight_id, flight_code"
    assert _ids(engine, prompt) == [1, 2]


def test_a_yearless_restatement_takes_the_year_of_what_it_restates(engine: Engine) -> None:
    prompt = "flights in the third quarter of 2024, that is from July 1 up to and including September 30: flight_id"
    assert _ids(engine, prompt) == [1, 2]


def test_a_restatement_with_other_days_is_refused(engine: Engine) -> None:
    with pytest.raises(PlanError, match="does not say the same dates"):
        plan_request("flights in Q3 2024 (1 July to 31 August 2024): flight_id", engine, reference_date=REF)


def test_up_to_and_including_joins_a_range(engine: Engine) -> None:
    prompt = "members who joined from 1 January 1989 up to and including 1 January 1990 (the whole day): member_id"
    assert _ids(engine, prompt) == [2, 5]


@pytest.mark.parametrize(
    ("period", "ids"),
    [("in the nineties", [1, 5]), ("in the 1990s", [1, 5]), ("in the eighties", [2]), ("during the 2020s", [3])],
)
def test_decades(engine: Engine, period: str, ids: list[int]) -> None:
    assert _ids(engine, f"members who joined {period}: member_id") == ids


# -- the column named next to the period -------------------------------------------------------


@pytest.mark.parametrize("words", ["whose expired_on date falls in 2023", "with an expired_on date in 2023",
                                   "whose expired on date lies in 2023"])  # fmt: skip
def test_a_column_named_before_date_or_a_linking_verb(engine: Engine, words: str) -> None:
    assert _ids(engine, f"members {words}: member_id") == [1, 3]


def test_a_two_word_event_names_its_column(engine: Engine) -> None:
    assert _ids(engine, "members who checked in during 2024: member_id") == [1, 3]


def test_initials_name_a_one_word_column(engine: Engine) -> None:
    linker = SchemaLinker(engine.catalog(), ValueIndex.build(engine, engine.catalog()))
    assert linker.columns("social security number")[0].column == "ssn"
    assert linker.columns("estimated time of arrival")[0].column == "eta"
    assert _ids(engine, "flights with an estimated time of arrival in October 2024: flight_id") == [3]


# -- a period with no column next to it ----------------------------------------------------------


def test_two_dates_and_no_column_still_asks(engine: Engine) -> None:
    # the rows' start date is the default, run against the other date: they differ, so the request asks
    with pytest.raises(PlanAmbiguous, match=r"members\.joined_on: 1 row; \(2\) 'in 2023' on members\.expired_on"):
        plan_request("members in 2023: member_id", engine, reference_date=REF)


def test_a_vague_period_takes_the_column_of_the_same_period_named_later(engine: Engine) -> None:
    prompt = "members that lapsed in 2023, those with an expired_on date in 2023: member_id"
    assert _ids(engine, prompt) == [1, 3]
    assert [f[0] for f in _date_filters(engine, prompt)] == ["members.expired_on"]


def test_a_different_period_named_later_does_not_settle_it(engine: Engine) -> None:
    with pytest.raises(PlanError, match="which date of members"):
        plan_request("members that lapsed in 2022, with an expired_on date in 2023: member_id", engine,
                     reference_date=REF)  # fmt: skip


def test_by_the_date_of_names_the_column(engine: Engine) -> None:
    linker = SchemaLinker(engine.catalog(), ValueIndex.build(engine, engine.catalog()))
    got = claims_of("dates", "members for 2023 (by the date of expired_on)", engine.catalog(), linker,
                    reference_date=REF)  # fmt: skip
    filters = [f for c in got for e in c.edits if e.field == "filters" for f in e.value]
    assert [(f.column, f.value) for f in filters] == [("members.expired_on", ["2023-01-01", "2023-12-31"])]


# -- an event of another table ---------------------------------------------------------------------


def test_an_event_of_a_table_the_rows_refer_to(engine: Engine) -> None:
    """Each loan has one member: the member's date filters loans without repeating them."""
    linker = SchemaLinker(engine.catalog(), ValueIndex.build(engine, engine.catalog()))
    got = claims_of("dates", "loans to people who joined in 2023", engine.catalog(), linker, reference_date=REF)
    filters = [f for c in got for e in c.edits if e.field == "filters" for f in e.value]
    assert [f.column for f in filters] == ["members.joined_on"]


def test_an_event_of_a_table_that_refers_to_the_rows_is_refused(engine: Engine) -> None:
    """Branches have one date of their own; "borrowed" is the loans' date: not the branch's opening."""
    with pytest.raises(PlanError, match="loans.borrowed_on"):
        plan_request("branches with books borrowed in 2024: branch_id", engine, reference_date=REF)


# -- a period that opens its clause dates the words after it ---------------------------------------


def _dates_claims(engine: Engine, prompt: str) -> list[tuple[str, Any]]:
    linker = SchemaLinker(engine.catalog(), ValueIndex.build(engine, engine.catalog()))
    got = claims_of("dates", prompt, engine.catalog(), linker, reference_date=REF)
    return [(f.column, f.value) for c in got for e in c.edits if e.field == "filters" for f in e.value]


def test_a_leading_period_dates_the_table_its_next_word_names(engine: Engine) -> None:
    """Members have two dates; "penalty" is a column of fines, which have one: the period is the fines'."""
    got = _dates_claims(engine, "members and their fines; 2024 penalty total per member")
    assert got == [("fines.charged_on", ["2024-01-01", "2024-12-31"])]


def test_a_leading_period_before_the_base_still_asks(engine: Engine) -> None:
    with pytest.raises(PlanError, match="which date of members"):
        _dates_claims(engine, "members and their fines; 2024 members only")


def test_a_period_after_a_grouping_word_dates_the_counted_rows(engine: Engine) -> None:
    """"per member in 2024": members are the groups; the period is the fines' (members have two dates)."""
    assert _dates_claims(engine, "fines per member in 2024") == [("fines.charged_on", ["2024-01-01", "2024-12-31"])]


def test_during_is_a_time_even_after_a_number_column(engine: Engine) -> None:
    assert _dates_claims(engine, "fines with a penalty during 2024") == [
        ("fines.charged_on", ["2024-01-01", "2024-12-31"])]  # fmt: skip
    assert _dates_claims(engine, "fines with a penalty between 1990 and 2010") == []  # an amount, not years


def test_a_period_inside_another_on_the_same_column_is_asked_about(engine: Engine) -> None:
    with pytest.raises(PlanError, match="lies inside"):
        plan_request("flights in 2024 with no delay for August 2024: flight_id", engine, reference_date=REF)


def test_a_value_for_a_period_is_no_row_condition(engine: Engine) -> None:
    """"(zero for August 2024)" says what a value is then: the period stays for others to read, no filter."""
    assert _dates_claims(engine, "flights in 2024 (zero for August 2024)") == [
        ("flights.eta", "2024-01-01"), ("flights.eta", "2025-01-01")]  # fmt: skip


def test_a_leading_period_with_the_base_as_groups_dates_the_counted_rows(engine: Engine) -> None:
    """Members have two dates, but "per member" makes them the groups: the period is the fines'."""
    got = _dates_claims(engine, "For 2023, per member: total penalty over all fines")
    assert got == [("fines.charged_on", ["2023-01-01", "2023-12-31"])]
    with pytest.raises(PlanError, match="which date of members"):  # no grouping: members or fines? ask
        _dates_claims(engine, "For 2023: members and their fines")


def test_the_same_period_on_another_tables_date_does_not_settle_it(engine: Engine) -> None:
    """Loans have dates of their own: "loans in 2023" is not settled by the members' joining in 2023."""
    with pytest.raises(PlanError, match="which date of loans"):
        _dates_claims(engine, "loans in 2023 to members who joined in 2023")


@pytest.mark.parametrize("words", ["for 2024 (by the date of returned_on)", "in 2024, using returned_on"])
def test_a_daily_grouping_follows_the_date_the_period_is_on(engine: Engine, words: str) -> None:
    """Loans have two dates; the request says which one its period is on, and "daily" groups by that one."""
    assert _rows(engine, f"daily loan counts {words}") == [(dt.date(2024, 3, 20), 1)]
    with pytest.raises(PlanError, match="which date of loans"):
        plan_request("daily loan counts for 2024", engine, reference_date=REF)


def test_a_sort_column_does_not_say_which_date_the_period_is_on(engine: Engine) -> None:
    with pytest.raises(PlanError, match="which date of loans"):
        _dates_claims(engine, "loans in 2024 sorted by returned_on")


# -- an event verb before a time grouping dates the grouping and the period ---------------------------


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # loans have two dates: the verb says which one both the months and the period are about
        ("number of loans returned per month in 2024",
         "SELECT CAST(date_trunc('month', returned_on) AS DATE), count(*) FROM loans "
         "WHERE returned_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1"),
        # without a period, the loans not returned yet are no month of their own
        ("how many loans were returned each month",
         "SELECT CAST(date_trunc('month', returned_on) AS DATE), count(*) FROM loans "
         "WHERE returned_on IS NOT NULL GROUP BY 1"),
        ("count of members who expired per year since 2023",
         "SELECT year(expired_on), count(*) FROM members WHERE expired_on >= DATE '2023-01-01' GROUP BY 1"),
    ],
)
def test_an_event_before_a_grouping_dates_it(engine: Engine, prompt: str, expected: str) -> None:
    """Between the event and its period a grouping ("per month", "each year") is the same date's: before, the
    period asked which date (or, on a table with a main date, the months were of that date and the period of the
    event's: another table)."""
    assert _rows(engine, prompt) == sorted(engine.fetch(expected).rows, key=repr)


_PARCELS = """
CREATE TABLE parcels (parcel_id INTEGER PRIMARY KEY, parcel_date DATE, delivered_on DATE, weight_kg DOUBLE);
INSERT INTO parcels VALUES (1, '2024-01-02', '2024-01-09', 1.5), (2, '2024-01-03', '2024-01-04', 2.0),
  (3, '2023-12-30', '2024-01-10', 0.5), (4, '2024-01-08', NULL, 3.0), (5, '2024-02-01', '2024-02-02', 1.0);
"""


@pytest.fixture(scope="module")
def parcels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    yield from sql_engine(tmp_path_factory, "parcels", _PARCELS)


def test_an_event_other_than_the_main_date_groups_by_its_own_date(parcels: Engine) -> None:
    """parcel_date is the table's main date; "delivered" names another: weeks and period are both the delivery's
    (the weeks were of parcel_date while the period was of delivered_on: a table of another question)."""
    prompt = "number of parcels delivered per week in January 2024"
    expected = ("SELECT CAST(date_trunc('week', delivered_on) AS DATE), count(*) FROM parcels "
                "WHERE delivered_on BETWEEN DATE '2024-01-01' AND DATE '2024-01-31' GROUP BY 1")
    assert _rows(parcels, prompt) == sorted(parcels.fetch(expected).rows, key=repr)
    expected = ("SELECT CAST(date_trunc('week', parcel_date) AS DATE), count(*) FROM parcels "
                "WHERE parcel_date BETWEEN DATE '2024-01-01' AND DATE '2024-01-31' GROUP BY 1")
    assert _rows(parcels, "number of parcels per week in January 2024") == sorted(parcels.fetch(expected).rows,
                                                                                 key=repr)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("members who joined in the 30 days before 1993-05-01", ["1993-04-01", "1993-04-30"]),
        ("members who joined in the last 30 days before 1993-05-01", ["1993-04-01", "1993-04-30"]),
        ("members who joined within the two weeks leading up to 1993-04-15", ["1993-04-01", "1993-04-14"]),
        ("members who joined in the 10 days following 1993-03-31", ["1993-04-01", "1993-04-10"]),
        ("members who joined in the 3 months before 1994", ["1993-10-01", "1993-12-31"]),
        # said twice, the same days: one condition
        ("members who joined in the 30 days before 1993-05-01, i.e. 1993-04-01 through 1993-04-30",
         ["1993-04-01", "1993-04-30"]),
    ],
)
def test_a_span_of_days_next_to_a_date(engine: Any, prompt: str, expected: list[str]) -> None:
    """'the N days before/after X' is the N days next to X (X not included), not 'before X' (nor, with 'last',
    the N days before today as well: two conditions that contradict)."""
    assert _date_filters(engine, prompt) == [("members.joined_on", "between", expected)]


def test_n_days_before_a_date_without_the_span_is_not_read(engine: Any) -> None:
    """'joined 30 days before X' is one day, or a span: not read as either."""
    with pytest.raises(PlanError):
        plan_request("members who joined 30 days before 1993-05-01", engine, reference_date=REF)
