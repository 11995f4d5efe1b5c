"""One row per key picked by an order the request spells out: ties broken by a second column, keys
compared without case, the order read before the aggregates (which would read "earliest X" as a minimum
per group). Tables of a lab and a library, not the benchmark's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.restate import restate
from datamorph.planner.rules import claims_of
from datamorph.spec import Dedupe
from planner_support import REF, check, plan, sql_engine

LAB_SQL = """
CREATE TABLE samples (sample_id INTEGER PRIMARY KEY, donor_code VARCHAR, collected_at TIMESTAMP, tube_colour VARCHAR,
                      volume_ml INTEGER);
INSERT INTO samples VALUES
  (1, 'D1', '2025-01-05 08:00:00', 'red', 5), (2, 'D1', '2025-01-05 08:00:00', 'blue', 6),
  (3, 'D1', '2025-01-09 10:00:00', 'red', 4), (4, 'D2', '2025-02-01 09:30:00', 'green', 7),
  (5, 'D2', '2025-01-20 07:45:00', 'red', 3), (6, 'D3', '2025-03-03 12:00:00', 'blue', 8);
CREATE TABLE libraries (library_id INTEGER PRIMARY KEY, library_name VARCHAR, opened_on DATE, city VARCHAR);
INSERT INTO libraries VALUES
  (10, 'Central Reading Room', '2001-05-01', 'Lyon'), (11, 'CENTRAL READING ROOM', '1999-03-02', 'Lyon'),
  (12, 'central reading room', '1999-03-02', 'Lyon'), (13, 'Harbour Books', '2010-10-10', 'Brest'),
  (14, 'harbour books', '2012-01-01', 'Brest'), (15, 'Hill Annex', '2020-02-02', 'Albi');
CREATE TABLE members (member_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, birth_date DATE,
                      email VARCHAR, joined_on DATE, status VARCHAR);
INSERT INTO members VALUES
  (1, 'Ines', 'Moreau', '1990-01-01', 'i@x.org', '2024-05-01', 'active'),
  (2, 'INES', 'moreau', '1990-01-01', 'I@X.org', '2024-03-01', 'active'),
  (3, 'Ines', 'Moreau', '1991-01-01', 'i2@x.org', '2024-01-01', 'lapsed'),
  (4, 'Tom', 'Ruiz', '1985-06-06', 't@x.org', '2024-02-02', 'active'),
  (5, 'tom', 'RUIZ', '1985-06-06', 't@x.org', '2024-02-02', 'lapsed'),
  (6, 'Ada', 'Sole', '2000-12-12', 'a@x.org', '2023-09-09', 'active');
CREATE TABLE readers (reader_id INTEGER PRIMARY KEY, email VARCHAR, joined_on DATE);
INSERT INTO readers VALUES (1, 'kim@x.org', '2024-01-02'), (2, 'KIM@x.org', '2023-05-05'), (3, 'lu@x.org', '2024-02-02');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, reader_id INTEGER REFERENCES readers (reader_id), lent_on DATE,
                    title VARCHAR);
INSERT INTO loans VALUES (1, 1, '2024-03-01', 'Dune'), (2, 1, '2024-03-01', 'Emma'), (3, 1, '2024-04-01', 'Ulysses'),
  (4, 3, '2024-05-05', 'Kim'), (5, 3, '2024-05-01', 'Beloved');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "lab", LAB_SQL)


_FIRST_PER_DONOR = """SELECT sample_id, donor_code, collected_at FROM samples
  QUALIFY row_number() OVER (PARTITION BY donor_code ORDER BY collected_at, sample_id) = 1"""
_LAST_PER_DONOR = """SELECT sample_id, donor_code, collected_at FROM samples
  QUALIFY row_number() OVER (PARTITION BY donor_code ORDER BY collected_at DESC, sample_id DESC) = 1"""


@pytest.mark.parametrize("prompt", [
    "first sample per donor_code (earliest collected_at, ties -> lowest sample_id): sample_id, donor_code, collected_at",
    "earliest sample per donor_code (ties: lowest sample_id). sample_id, donor_code, collected_at",
    "the first sample for each donor_code by collected_at, if two were collected at the same moment keep the lower "
    "sample_id. Output sample_id, donor_code, collected_at",
    "each donor_code's first sample (oldest collected_at; tie-break by the smallest sample_id). Show sample_id, "
    "donor_code, collected_at",
])  # fmt: skip
def test_first_row_per_key_with_a_tie_breaker(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, _FIRST_PER_DONOR)
    assert spec.dedupe is not None and [o.column for o in spec.dedupe.order_by][-1].endswith("sample_id")
    assert not spec.aggregations and not spec.group_by  # "earliest collected_at" is the order, no minimum


@pytest.mark.parametrize("prompt", [
    "latest sample per donor_code (most recent collected_at, ties -> highest sample_id). sample_id, donor_code, "
    "collected_at",
    pytest.param("newest sample for every donor_code going by collected_at; when several were drawn at an identical "
                 "time, prefer the larger sample_id. sample_id, donor_code, collected_at",
                 marks=pytest.mark.xfail(strict=True, reason="last row per key, the order said with 'going by' and "
                                         "the tie-break as 'when several ... prefer the larger': 'going' is read as "
                                         "part of the key ('no column matches donor_code going')")),
    "For each donor_code keep only the most recent sample (ties: highest sample_id). sample_id, donor_code, "
    "collected_at",
    "one row per donor_code: the sample with the latest collected_at; on a tie the higher sample_id. sample_id, "
    "donor_code, collected_at",
    "Keep each donor_code's newest sample, breaking ties by the highest sample_id. sample_id, donor_code, collected_at",
    "one row per donor_code, the one with the latest collected_at (ties: highest sample_id). sample_id, donor_code, "
    "collected_at",
])  # fmt: skip
def test_last_row_per_key_with_a_tie_breaker(engine: Any, prompt: str) -> None:
    check(engine, prompt, _LAST_PER_DONOR)


def test_the_tie_breaker_decides_the_row(engine: Any) -> None:
    """Donor D1 has two samples at the same time: the lowest id wins one way, the highest the other."""
    low = engine.fetch(compile_spec(plan(engine, "first sample per donor_code (earliest collected_at, ties: lowest "
                                         "sample_id). sample_id, donor_code"), engine.catalog()).sql("duckdb"))
    high = engine.fetch(compile_spec(plan(engine, "first sample per donor_code (earliest collected_at, ties: highest "
                                          "sample_id). sample_id, donor_code"), engine.catalog()).sql("duckdb"))
    assert (1, "D1") in low.rows and (2, "D1") in high.rows


_FIRST_LIBRARY = """SELECT library_id, library_name, opened_on FROM libraries
  QUALIFY row_number() OVER (PARTITION BY lower(library_name) ORDER BY opened_on, library_id) = 1"""


@pytest.mark.parametrize("prompt", [
    pytest.param("Libraries duplicated by name (treat capital and small letters as the same): keep the one opened "
                 "first, the lowest library_id on a tie. Return library_id, library_name, opened_on.",
                 marks=pytest.mark.xfail(strict=True, reason="dedupe on a key compared without case, said as 'treat "
                                         "capital and small letters as the same': refused, 'duplicated', 'same', "
                                         "'keep', 'one', 'first' not understood")),
    "Some libraries were entered twice with different capitals. Deduplicate libraries on library_name ignoring "
    "case, keeping the oldest opened_on (ties -> lowest library_id). library_id, library_name, opened_on",
    "dedupe libraries by library_name (regardless of capitalisation), keep the earliest opened_on, tie-break: "
    "smallest library_id. library_id, library_name, opened_on",
    "Remove duplicate libraries by library_name ignoring case, keeping the oldest opened_on (ties: lowest library_id)."
    " library_id, library_name, opened_on",
    "Deduplicate libraries: one per library_name, case-insensitively, keeping the earliest opened_on (ties -> lowest "
    "library_id). library_id, library_name, opened_on",
])  # fmt: skip
def test_keys_compared_without_case(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, _FIRST_LIBRARY)
    assert spec.dedupe is not None and spec.dedupe.ignore_case
    assert "ignoring case" in restate(spec)


def test_case_kept_when_not_asked(engine: Any) -> None:
    """Without a word on case, 'Harbour Books' and 'harbour books' are two names."""
    spec = check(engine, "De-duplicate libraries on library_name, keeping the earliest opened_on (ties: lowest "
                 "library_id). library_id, library_name",
                 "SELECT library_id, library_name FROM libraries QUALIFY row_number() OVER "
                 "(PARTITION BY library_name ORDER BY opened_on, library_id) = 1")  # fmt: skip
    assert spec.dedupe is not None and not spec.dedupe.ignore_case


def test_a_tie_breaker_that_names_no_column_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="breaks the ties"):
        plan(engine, "first sample per donor_code (earliest collected_at, ties: lowest freshness). sample_id")


def test_a_dedupe_without_the_row_kept_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "De-duplicate libraries on library_name, case-insensitively. library_id, library_name")


def test_ignore_case_needs_keys() -> None:
    with pytest.raises(ValueError, match="ignore_case needs keys"):
        Dedupe(ignore_case=True)


_ONE_MEMBER = """SELECT member_id, first_name, last_name FROM members
  QUALIFY row_number() OVER (PARTITION BY lower(first_name), lower(last_name), birth_date
                             ORDER BY joined_on, member_id) = 1"""


@pytest.mark.parametrize("prompt", [
    pytest.param("Treat rows matching on first_name, last_name (case-insensitive) and birth_date as the same member "
                 "and retain just the one that joined first by joined_on; on a same-day tie the smaller member_id "
                 "wins. member_id, first_name, last_name",
                 marks=pytest.mark.xfail(strict=True, reason="rows sharing several keys are one entity, said as 'rows "
                                         "matching on ... as the same member ... retain': refused, 'matching', "
                                         "'same', 'retain', 'first' not understood")),
    "Some members signed up twice. rows sharing the same first_name, last_name ignoring case and the same birth_date "
    "count as one person: keep the row with the oldest joined_on (ties: smallest member_id). Show member_id, "
    "first_name, last_name",
])  # fmt: skip
def test_rows_with_the_same_keys_are_one(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, _ONE_MEMBER)
    assert spec.dedupe is not None and spec.dedupe.ignore_case and len(spec.dedupe.keys) == 3
    assert not spec.source_tables[1:]  # "one member" / "one person" names no table to join


@pytest.mark.xfail(strict=True, reason="rows sharing keys are one entity, case said of one key only, worded 'rows "
                   "sharing ... count as one member; retain': refused, but as words not understood ('sharing', "
                   "'count', 'retain'), not because case applies to some keys only")
def test_case_said_of_some_keys_only_is_refused(engine: Any) -> None:
    """Case folded for the last name only, the email after it compared as stored: the spec cannot say it."""
    with pytest.raises(PlanError, match="compared without case"):
        plan(engine, "rows sharing a last_name (ignoring case) and an identical email count as one member; retain "
             "just the row that joined earliest by joined_on. member_id")


def test_the_same_keys_without_the_row_kept_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="which members row"):
        plan(engine, "records with the same email are one member. member_id, email")


def test_a_value_word_inside_the_pick_stays_a_filter(engine: Any) -> None:
    """'latest active member per ...' read before the row filters: 'active' is still the status filter."""
    spec = check(engine, "latest active membership per birth_date (most recent joined_on, ties: highest member_id). "
                 "member_id, birth_date",
                 "SELECT member_id, birth_date FROM members WHERE status = 'active' QUALIFY row_number() OVER "
                 "(PARTITION BY birth_date ORDER BY joined_on DESC, member_id DESC) = 1")  # fmt: skip
    assert spec.filters


@pytest.mark.xfail(strict=True, reason="first row per key with a tie-breaker, said as 'the loan each reader took out "
                   "first, by lent_on and then the smallest loan_id': 'smallest loan_id' read as a min(loan_id) "
                   "aggregate ('loan_id' is neither a grouping column nor a measure)")
def test_first_row_per_key_said_as_a_relative_clause(engine: Any) -> None:
    """Another request of the class on the library's loans: the first row per key by a date, with a tie-breaker."""
    check(engine, "the loan each reader took out first, by lent_on and then the smallest loan_id. loan_id, reader_id, "
          "title",
          "SELECT loan_id, reader_id, title FROM loans QUALIFY row_number() OVER (PARTITION BY reader_id "
          "ORDER BY lent_on, loan_id) = 1")  # fmt: skip


@pytest.mark.xfail(strict=True, reason="rows sharing a key compared without case kept once, said as 'may be on file "
                   "twice under one email written with different capitals': 'under one' read as a comparison "
                   "('compared with which column of readers?')")
def test_rows_sharing_a_key_without_case_said_as_a_story(engine: Any) -> None:
    """Another request of the class on the library's readers: rows sharing a key compared without case, kept once."""
    check(engine, "a reader may be on file twice under one email written with different capitals; keep only the "
          "registration with the oldest joined_on. reader_id, email",
          "SELECT reader_id, email FROM readers QUALIFY row_number() OVER (PARTITION BY lower(email) "
          "ORDER BY joined_on, reader_id) = 1")  # fmt: skip


def test_a_tie_breaker_of_the_sort_is_not_the_picks(engine: Any) -> None:
    """'latest sample per donor_code, sorted by volume_ml (ties: lowest sample_id)': the tie-breaker follows the
    sort, so the early pick step does not take it (it would break the pick's ties instead of the sort's)."""
    catalog = engine.catalog()
    linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
    sorted_after = "latest sample per donor_code, sorted by volume_ml (ties: lowest sample_id). sample_id"
    assert claims_of("dedupe.picked", sorted_after, catalog, linker, reference_date=REF) == []
    picked = "latest sample per donor_code (ties: lowest sample_id), sorted by volume_ml. sample_id"
    assert claims_of("dedupe.picked", picked, catalog, linker, reference_date=REF)


def test_case_said_of_a_filter_is_not_the_picks(engine: Any) -> None:
    """'ignoring case' after a filter's value is about that value (compared without case): the pick does not
    take it."""
    spec = plan(engine, "latest sample per donor_code (ties: highest sample_id) with tube_colour 'RED', ignoring case. "
                "sample_id, donor_code")  # fmt: skip
    assert spec.dedupe is not None and not spec.dedupe.ignore_case
    assert [(f.column, f.operator, f.value) for f in spec.filters] == [("samples.tube_colour", "ilike", "RED")]


def test_a_formula_too_long_to_name_from_its_words_is_refused(engine: Any) -> None:
    """A repeated 'a times b' makes a column name of thousands of characters: a PlanError, not a crash
    (found by the 4,000-character property test of test_planner_bounds)."""
    with pytest.raises(PlanError, match="too long a formula"):
        plan(engine, ("volume_ml times " * 40) + "volume_ml for each sample")


@pytest.mark.parametrize("prompt", [
    "latest loan per reader: reader_id, loan_id, title, lent_on (ties: highest loan_id)",
    "Most recent loan per reader: one row per reader_id with the loan_id, title and lent_on of their latest loan "
    "(if two share the same day, take the higher loan_id)",
])
def test_pick_followed_by_its_list(engine: Any, prompt: str) -> None:
    """The output list after a colon right after the key; the picked row named again after the list, and the
    key said again by its column's name ("one row per reader_id"), which the output then shows first."""
    check(engine, prompt, "SELECT reader_id, loan_id, title, lent_on FROM loans QUALIFY row_number() OVER "
          "(PARTITION BY reader_id ORDER BY lent_on DESC, loan_id DESC) = 1",
          ["reader_id", "loan_id", "title", "lent_on"])  # fmt: skip


def test_a_pick_named_again_differently_is_not_claimed(engine: Any) -> None:
    """'of their earliest loan' after a pick of the latest is not the same row: the words are left unread."""
    with pytest.raises(PlanError, match="could not understand"):
        plan(engine, "latest loan per reader: loan_id, title of their earliest loan")


CLINIC_SQL = """
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY, user_id INTEGER, started_at TIMESTAMP);
INSERT INTO sessions VALUES (1, 1, '2025-01-01 10:00:00'), (2, 1, '2025-01-02 10:00:00');
CREATE TABLE consultations (consultation_id INTEGER PRIMARY KEY, patient_ref INTEGER, status VARCHAR, held_at TIMESTAMP);
INSERT INTO consultations VALUES (1, 7, 'resolved', '2025-02-01 09:00:00'), (2, 7, 'resolved', '2025-02-03 09:00:00'),
  (3, 7, 'open', '2025-02-05 09:00:00'), (4, 8, 'resolved', '2025-01-01 09:00:00');
"""


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "clinic", CLINIC_SQL)


def test_a_loose_table_word_after_a_value_is_that_tables_rows(clinic: Any) -> None:
    """'resolved visits': a visit may be a web session, but only consultations are ever 'resolved' — the rows
    picked are consultations, never sessions."""
    spec = check(clinic, "latest resolved visit per patient_ref: consultation_id, held_at",
                 "SELECT consultation_id, held_at FROM consultations WHERE status = 'resolved' "
                 "QUALIFY row_number() OVER (PARTITION BY patient_ref ORDER BY held_at DESC) = 1")  # fmt: skip
    assert [s.table_name for s in spec.source_tables] == ["consultations"]


def test_a_pick_asked_as_a_question_then_spelled_out(engine: Any) -> None:
    """The question names the pick; the next sentence gives the key again ("One row per reader with ..." lists the
    loans' columns, not the readers'), and the tie-break said after the question is the pick's."""
    check(engine, "What was each reader's most recent loan? One row per reader with reader_id, loan_id and title; "
          "on a tie of dates keep the higher loan_id.",
          "SELECT reader_id, loan_id, title FROM loans QUALIFY row_number() OVER "
          "(PARTITION BY reader_id ORDER BY lent_on DESC, loan_id DESC) = 1", ["reader_id", "loan_id", "title"])  # fmt: skip
