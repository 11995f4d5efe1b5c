"""Misreadings made impossible, and phrases with several readings run each way (planner/ambiguity.py).

On a small library warehouse built here (branches, members, loans, authors, books, memberships) and a
club warehouse without declared keys: not the tables of the issue's examples.

- a condition on an aggregate ("branches with average fee greater than $40") is a having, never a row filter;
- "<entity> with no / without / that have no / never <related>" is an anti join, never "own key IS NULL";
- readings that give different tables raise PlanAmbiguous (each listed with its row count, and how to ask for
  it); readings that agree keep the default and note the check; on DuckDB and PostgreSQL; HTTP 400 from the API.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanAmbiguous, PlanError
from datamorph.planner import plan_request
from datamorph.planner.ambiguity import fingerprint_sql
from datamorph.spec import ETLSpec, Filter

REF = dt.date(2025, 7, 1)

LIBRARY_SQL = """
CREATE TABLE branches (branch_id INTEGER PRIMARY KEY, branch_name VARCHAR, city VARCHAR);
INSERT INTO branches VALUES (1, 'North', 'Oslo'), (2, 'South', 'Lyon'), (3, 'East', 'Graz');
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR,
                      branch_id INTEGER REFERENCES branches (branch_id), fee DECIMAL(8,2));
INSERT INTO members VALUES (1, 'Ines', 1, 60), (2, 'Omar', 1, 10), (3, 'Pia', 2, 45), (4, 'Rui', 2, 50),
                           (5, 'Sol', 3, 20), (6, 'Tao', 3, 30);
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members (member_id),
                    loan_note VARCHAR, fine DECIMAL(8,2));
INSERT INTO loans VALUES (1, 1, 'Dune', 2), (2, 1, 'Emma', 12), (3, 2, 'Ulysses', 4), (4, 3, 'Walden', 15),
                         (5, 3, 'Beloved', 1), (6, 5, 'Hamlet', 3);
CREATE TABLE authors (author_id INTEGER PRIMARY KEY, pen_name VARCHAR, country VARCHAR);
INSERT INTO authors VALUES (1, 'Ada Quill', 'IE'), (2, 'Ben Ink', 'NZ'), (3, 'Cleo Page', 'CA'), (4, 'Dov Leaf', 'IL');
CREATE TABLE books (book_id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (author_id),
                    title VARCHAR, pages INTEGER);
INSERT INTO books VALUES (1, 1, 'Rain', 200), (2, 1, 'Snow', 310), (3, 3, 'Mist', 150);
CREATE TABLE memberships (membership_id INTEGER PRIMARY KEY, holder VARCHAR, start_date DATE, updated_on DATE);
INSERT INTO memberships VALUES (1, 'a', DATE '2024-02-01', DATE '2025-01-05'), (2, 'b', DATE '2023-06-01', DATE '2024-03-03'),
                               (3, 'c', DATE '2024-09-09', DATE '2024-10-10');
"""

#: No declared keys: the linker infers the join from the names; the own key is ``team_id``.
CLUB_SQL = """
CREATE TABLE teams (team_id INTEGER, team_name VARCHAR, league VARCHAR);
INSERT INTO teams VALUES (1, 'Owls', 'A'), (2, 'Foxes', 'A'), (3, 'Hares', 'B'), (4, 'Newts', 'B');
CREATE TABLE players (player_id INTEGER, team_id INTEGER, player_name VARCHAR, goals INTEGER);
INSERT INTO players VALUES (10, 1, 'p1', 3), (11, 1, 'p2', 0), (12, 3, 'p3', 7);
"""


def _build(path: Path, sql: str) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(sql)
    con.close()
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("lib") / "library.duckdb", LIBRARY_SQL)


@pytest.fixture(scope="module")
def engine(library: Path) -> Iterator[Any]:
    from datamorph.engines import connect

    eng = connect(str(library))
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def club(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from datamorph.engines import connect

    eng = connect(str(_build(tmp_path_factory.mktemp("club") / "club.duckdb", CLUB_SQL)))
    yield eng
    eng.close()


def plan(engine: Any, prompt: str) -> ETLSpec:
    return plan_request(prompt, engine, reference_date=REF)


def rows(engine: Any, spec: ETLSpec) -> list[tuple[Any, ...]]:
    sql = compile_spec(spec, engine.catalog()).sql(engine.dialect)
    return sorted(engine.fetch(sql).rows, key=repr)


def expected(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    return sorted(engine.fetch(sql).rows, key=repr)


def _row_filters(spec: ETLSpec) -> list[Filter]:
    return [f for f in spec.filters if isinstance(f, Filter)]


# -- a. a condition on an aggregate is a having ------------------------------------------------------------


_AVG_FEE = "SELECT branch_id, avg(fee) FROM members GROUP BY branch_id HAVING avg(fee) > 40"
_TOTAL_FINE = "SELECT member_id, sum(fine) FROM loans GROUP BY member_id HAVING sum(fine) > 10"


@pytest.mark.parametrize(("prompt", "sql"), [
    ("Filter branches with average fee greater than $40", _AVG_FEE),
    ("branches whose average fee is above $40", _AVG_FEE),
    ("branches having an average fee over 40", _AVG_FEE),
    ("branches where the average fee is greater than 40", _AVG_FEE),
    ("members with total fine greater than $10", _TOTAL_FINE),
    ("members whose total fine exceeds 10 dollars", _TOTAL_FINE),
    ("members where the total of fine is over 10", _TOTAL_FINE),
])  # fmt: skip
def test_condition_on_an_aggregate_is_a_having(engine: Any, prompt: str, sql: str) -> None:
    spec = plan(engine, prompt)
    measured = {a.column for a in spec.aggregations}
    assert spec.having, spec.to_json()
    assert not any(f.column in measured for f in _row_filters(spec)), "the measure's column became a row filter"
    assert rows(engine, spec) == expected(engine, sql)


def test_a_measure_word_is_never_reused_as_a_row_filter(engine: Any) -> None:
    """When the condition cannot be tied to the measure, the plan fails; it never filters the rows instead."""
    try:
        spec = plan(engine, "average fee per branch, average fee greater than $40 and fee")
    except PlanError:
        return
    measured = {a.column for a in spec.aggregations}
    assert not any(f.column in measured and f.provenance and "average" in f.provenance for f in _row_filters(spec))


# -- b. "<entity> with no <related>" is an anti join ------------------------------------------------------------


_NO_BOOKS = "SELECT * FROM authors a WHERE NOT EXISTS (SELECT 1 FROM books b WHERE b.author_id = a.author_id)"


@pytest.mark.parametrize("prompt", [
    "Authors with no books",
    "authors without books",
    "authors that have no books",
    "authors who never wrote a book",
    "list the authors without any books",
])  # fmt: skip
def test_entity_with_no_related_rows_is_an_anti_join(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert not any(f.column == "authors.author_id" and f.operator == "is_null" for f in _row_filters(spec))
    assert rows(engine, spec) == expected(engine, _NO_BOOKS)
    assert len(rows(engine, spec)) == 2


def test_anti_join_without_declared_keys(club: Any) -> None:
    """No primary key declared: ``team_id`` is still the team's own key, never tested for NULL."""
    for prompt in ("Teams with no players", "teams that have no players", "teams without players"):
        spec = plan(club, prompt)
        assert not any(f.column == "teams.team_id" for f in _row_filters(spec)), spec.to_json()
        assert rows(club, spec) == expected(club, "SELECT * FROM teams t WHERE NOT EXISTS "
                                                  "(SELECT 1 FROM players p WHERE p.team_id = t.team_id)")  # fmt: skip


def test_keeping_groups_with_none_is_still_a_count(engine: Any) -> None:
    spec = plan(engine, "number of books per author, including authors with no books")
    got = rows(engine, spec)
    assert sorted(r[-1] for r in got) == [0, 0, 1, 2]


def test_parent_missing_is_still_a_null_key(club: Any) -> None:
    """"players without a team": the player's own reference is empty (their key to teams), as before."""
    spec = plan(club, "players without a team")
    assert [(f.column, f.operator) for f in _row_filters(spec)] == [("players.team_id", "is_null")]


# -- c. readings that disagree: PlanAmbiguous; readings that agree: the default, noted ---------------------------


def test_condition_on_rows_or_on_the_average_disagree(engine: Any) -> None:
    with pytest.raises(PlanAmbiguous) as info:
        plan(engine, "average fee above 40 per branch")
    e = info.value
    readings = e.context["readings"]
    assert [r["rows"] for r in readings] == [
        len(expected(engine, _AVG_FEE)),
        len(expected(engine, "SELECT branch_id FROM members WHERE fee > 40 GROUP BY branch_id")),
    ]
    assert "average" in readings[0]["description"] and "each row" in readings[1]["description"]
    # each reading is said back from its own spec (the restatement), ending with its row count
    assert "average of members.fee" in readings[0]["restatement"], readings[0]
    assert "rows where members.fee is above 40" in readings[1]["restatement"], readings[1]
    for r in readings:
        assert r["restatement"].endswith(f"{r['rows']} rows") or r["restatement"].endswith(f"{r['rows']} row")
    assert "rows" in e.message and "say which" in str(e)
    # each way of asking the error suggests plans without doubt, and gives that reading's rows
    for r, sql in zip(readings, (_AVG_FEE, "SELECT branch_id, avg(fee) FROM members WHERE fee > 40 GROUP BY branch_id"),
                      strict=True):
        asked = r["how"].strip("'")
        assert rows(engine, plan(engine, asked)) == expected(engine, sql), asked


def test_condition_readings_that_agree_keep_the_having_and_note_it(engine: Any) -> None:
    spec = plan(engine, "average fee above 5 per branch")  # every fee is above 5: both readings give 3 rows
    assert spec.having and not _row_filters(spec)
    assert any("also checked" in n and "the same 3 rows" in n for n in spec.transformations), spec.transformations


def test_inner_or_outer_join_disagree(engine: Any) -> None:
    """Members 4 and 6 have no loan: "members with their fines" keeps them (left join) or drops them (inner)."""
    with pytest.raises(PlanAmbiguous) as info:
        plan(engine, "members with their fines")
    counts = [r["rows"] for r in info.value.context["readings"]]
    inner = len(expected(engine, "SELECT * FROM members m JOIN loans l USING (member_id)"))
    outer = len(expected(engine, "SELECT * FROM members m LEFT JOIN loans l USING (member_id)"))
    assert counts == [inner, outer] and inner != outer
    assert "inner join" in info.value.message and "left join" in info.value.message


def test_inner_or_outer_join_agree_when_every_row_matches(engine: Any) -> None:
    spec = plan(engine, "loans with the member's full name")  # every loan has its member
    assert [j.join_type for j in spec.join_conditions] == ["inner"]
    assert any("also checked" in n for n in spec.transformations)
    assert rows(engine, spec) == expected(engine, "SELECT l.*, m.full_name FROM loans l JOIN members m USING (member_id)")


def test_stated_treatment_of_unmatched_rows_is_not_a_doubt(engine: Any) -> None:
    kept = plan(engine, "members with their fines; keep members without a matching loan")
    dropped = plan(engine, "members with their fines; leave out members without a matching loan")
    assert len(rows(engine, kept)) == 8 and len(rows(engine, dropped)) == 6
    assert not any("also checked" in n for n in (*kept.transformations, *dropped.transformations))


def test_which_date_column(engine: Any) -> None:
    """memberships has start_date and updated_on; "memberships in 2024" names neither."""
    with pytest.raises(PlanAmbiguous) as info:
        plan(engine, "memberships in 2024")
    descriptions = [r["description"] for r in info.value.context["readings"]]
    assert "start_date" in descriptions[0] and "updated_on" in descriptions[1]
    spec = plan(engine, "memberships that started in 2024")  # the verb names the date
    assert rows(engine, spec) == expected(engine, "SELECT * FROM memberships WHERE year(start_date) = 2024")


MARKET_SQL = """
CREATE TABLE markets (market_id INTEGER PRIMARY KEY, market_name VARCHAR, rent DECIMAL(8,2));
INSERT INTO markets VALUES (1, 'Old Town', 500), (2, 'Harbour', 80);
CREATE TABLE stalls (stall_id INTEGER PRIMARY KEY, market_id INTEGER REFERENCES markets (market_id),
                     stall_name VARCHAR, rent DECIMAL(8,2));
INSERT INTO stalls VALUES (1, 1, 'fish', 50), (2, 1, 'bread', 150), (3, 2, 'fruit', 120), (4, 2, 'soap', 20);
"""


def test_which_table_a_column_word_means(tmp_path: Path) -> None:
    """markets and stalls both have a rent: "rent over 100" next to the market name is either."""
    from datamorph.engines import connect

    eng = connect(str(_build(tmp_path / "m.duckdb", MARKET_SQL)))
    try:
        with pytest.raises(PlanAmbiguous) as info:
            plan(eng, "stalls with their market name and rent over 100")
        readings = info.value.context["readings"]
        assert [r["rows"] for r in readings] == [2, 2]  # the same count, different rows: the hash tells them apart
        assert {readings[0]["how"], readings[1]["how"]} == {"name the table: 'market rent'", "name the table: 'stall rent'"}
        spec = plan(eng, "stalls with their market name, stall rent over 100")
        assert rows(eng, spec) == expected(eng, "SELECT s.*, m.market_name FROM stalls s JOIN markets m USING (market_id) "
                                                "WHERE s.rent > 100")  # fmt: skip
        agree = plan(eng, "stalls with their market name and rent over 10")  # every rent of both is over 10
        assert any("also checked" in n and "the same 4 rows" in n for n in agree.transformations)
    finally:
        eng.close()


TENANTS_SQL = """
CREATE TABLE tenants (tenant_id INTEGER PRIMARY KEY, town VARCHAR, pet_name VARCHAR, rent DECIMAL(8,2));
INSERT INTO tenants VALUES (1, 'Ayr', 'rex', 500), (2, 'Ayr', NULL, 700), (3, 'Ayr', 'tom', 900),
                           (4, 'Bude', NULL, 300), (5, 'Bude', 'kit', 400), (6, 'Cork', NULL, 100);
"""


def test_condition_after_a_share_narrows_rows_or_is_counted(tmp_path: Path) -> None:
    """"Fraction of tenants with a pet name, by town": a share of the narrowed rows' total, or the fraction
    of each town's tenants with one; never published as one of them silently."""
    from datamorph.engines import connect

    eng = connect(str(_build(tmp_path / "t.duckdb", TENANTS_SQL)))
    try:
        with pytest.raises(PlanAmbiguous) as info:
            plan(eng, "fraction of tenants with a pet name recorded, by town")
        readings = info.value.context["readings"]
        assert [r["rows"] for r in readings] == [2, 3]
        assert "share of their total" in readings[0]["description"]
        assert "fraction of each group's rows" in readings[1]["description"]
    finally:
        eng.close()


@pytest.mark.parametrize("prompt", [
    "What fraction of tenants in each town has a pet name recorded? town, pet_ratio",
    "what share of tenants per town have a pet name recorded",
    "per town, the fraction of tenants who have a pet name recorded",
])  # fmt: skip
def test_a_condition_said_of_the_shares_rows_after_their_group_is_what_the_share_counts(tmp_path: Path,
                                                                                        prompt: str) -> None:  # fmt: skip
    """The condition is the predicate of the rows the share is of ("... in each town has a pet name"):
    the fraction of each group's rows that meet it, without asking."""
    from datamorph.engines import connect

    eng = connect(str(_build(tmp_path / "t.duckdb", TENANTS_SQL)))
    try:
        spec = plan(eng, prompt)
        assert not spec.filters  # every tenant is counted in the denominator
        got = sorted((r[0], round(float(r[1]), 3)) for r in rows(eng, spec))
        assert got == [("Ayr", 0.667), ("Bude", 0.5), ("Cork", 0.0)]
    finally:
        eng.close()


def test_fingerprint_ignores_row_order_and_counts_duplicates(engine: Any) -> None:
    def fp(sql: str) -> tuple[Any, ...]:
        return tuple(engine.fetch(fingerprint_sql(sql, "duckdb")).rows[0])

    a = fp("SELECT member_id, fee FROM members ORDER BY fee")
    assert a == fp("SELECT member_id, fee FROM members ORDER BY member_id DESC")
    assert a != fp("SELECT member_id, fee FROM members UNION ALL SELECT 1, 60")
    assert a != fp("SELECT member_id, fee + 1 FROM members")


# -- PostgreSQL -------------------------------------------------------------------------------------------------


def test_readings_on_postgres(pg_database: Any) -> None:
    import psycopg

    from datamorph.engines import connect

    _, _, url = pg_database
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(LIBRARY_SQL.replace("DATE '", "'"))
    eng = connect(url)
    try:
        with pytest.raises(PlanAmbiguous) as info:
            plan(eng, "average fee above 40 per branch")
        assert [r["rows"] for r in info.value.context["readings"]] == [1, 2]
        spec = plan(eng, "average fee above 5 per branch")
        assert any("the same 3 rows" in n for n in spec.transformations)
        with pytest.raises(PlanAmbiguous):
            plan(eng, "members with their fines")
        assert len(rows(eng, plan(eng, "Authors with no books"))) == 2
    finally:
        eng.close()


# -- the API ------------------------------------------------------------------------------------------------------


def test_api_answers_400_for_an_ambiguous_request(library: Path, tmp_path: Path) -> None:
    from tests.api_support import serving

    with serving(library, tmp_path) as srv, srv.client() as client:
        for path in ("/api/plan", "/start"):
            resp = client.post(path, json={"prompt": "average fee above 40 per branch", "target_table": "amb_out"})
            assert resp.status_code == 400, resp.text
            body = resp.json()
            assert body["error_type"] == "PlanAmbiguous"
            assert "(1)" in body["message"] and "(2)" in body["message"] and "rows" in body["message"]
            # the readings as data, for a client to offer the choice (a failed run: in its result body)
            details = body["details"] if path == "/api/plan" else body["details"]["error_details"]
            assert details["words"] and [r["reading"] for r in details["readings"]] == [1, 2]
            assert all(r["restatement"] and isinstance(r["rows"], int) and r["how"] for r in details["readings"])
        ok = client.post("/api/plan", json={"prompt": "average fee above 5 per branch"})
        assert ok.status_code == 200, ok.text
