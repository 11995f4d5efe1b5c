"""New columns named by apposition, and a column named once that is both a list item and what a part is taken of.

- "minutes_played, seconds_played divided by 60": a new snake_case name, then a comma, then its formula;
- "member_id, contact and contact_user, the part before the @": the part's column is the one named before it,
  which stays an item of the output list too.

Every request runs end to end on a small club warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from planner_support import check, sql_engine

CLUB_SQL = """
CREATE TABLE players (player_id INTEGER PRIMARY KEY, contact VARCHAR, seconds_played INTEGER);
INSERT INTO players VALUES (1, 'kim@club.org', 5400), (2, 'lou@mail.net', 90), (3, NULL, 0);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "club", CLUB_SQL)


def test_a_new_name_then_a_comma_then_its_formula(engine: Any) -> None:
    spec = check(engine, "For each player show player_id and minutes_played, seconds_played divided by 60.",
                 "SELECT player_id, seconds_played / 60 FROM players", ["player_id", "minutes_played"])  # fmt: skip
    assert [c.name for c in spec.derived_columns] == ["minutes_played"]


def test_a_column_listed_and_then_split_stays_in_the_list(engine: Any) -> None:
    check(engine, "Players: player_id, contact and contact_user, the part before the @.",
          "SELECT player_id, contact, split_part(contact, '@', 1) FROM players",
          ["player_id", "contact", "contact_user"])  # fmt: skip


def test_a_value_written_unlike_the_stored_one_is_the_stored_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"kind is 'Drop-In'" where the column holds 'drop_in': the one stored value equal apart from case and
    punctuation; a value no stored value matches stays as written (no rows), and so does any when case matters."""
    sql = "CREATE TABLE visits (visit_id INTEGER, kind VARCHAR); INSERT INTO visits VALUES (1, 'drop_in'), (2, 'booked');"
    for engine in sql_engine(tmp_path_factory, "gym", sql):
        spec = check(engine, "visits where kind is 'Drop-In'", "SELECT * FROM visits WHERE kind = 'drop_in'")
        assert any("'drop_in'" in t for t in spec.transformations)
        check(engine, "visits where kind is 'walk-in'", "SELECT * FROM visits WHERE kind = 'walk-in'")
        check(engine, "visits where kind is 'Drop-In' (case-sensitive)", "SELECT * FROM visits WHERE false")


@pytest.mark.parametrize("marker", ["(case-insensitive)", ", ignoring case", "(any case)", ", regardless of capitalisation"])
def test_a_text_match_said_without_case_ignores_case(engine: Any, marker: str) -> None:
    spec = check(engine, f"players whose contact contains 'CLUB'{marker}: player_id",
                 "SELECT player_id FROM players WHERE contact ILIKE '%club%'")  # fmt: skip
    assert spec.filters[0].operator == "ilike"


def test_a_case_word_nothing_reads_is_refused(engine: Any) -> None:
    """Before, "case-insensitive" was set aside as filler and the match kept its case: now the word carries
    meaning, and where no reading takes it the plan fails quoting it."""
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError, match="insensitive"):
        plan(engine, "players sorted by contact, case insensitive, then player_id")


# -- a name of several words before a colon, then its formula ----------------------------------------------------

RENTALS_SQL = """
CREATE TABLE rentals (rental_id INTEGER PRIMARY KEY, renter_first_name VARCHAR, first_name VARCHAR, last_name VARCHAR,
                      plan VARCHAR, weekly_fee DECIMAL(8,2), deposit DECIMAL(8,2));
INSERT INTO rentals VALUES (1, 'x', 'Ana', 'Ruiz', 'yearly', 30.00, 100.00), (2, 'y', 'Bo', 'Lind', 'monthly', 12.50, 0.00),
  (3, 'z', 'Cy', 'Okafor', 'yearly', 20.00, 50.00);
"""


@pytest.fixture(scope="module")
def rentals(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "rentals", RENTALS_SQL)


# misreading: "with yearly cost: weekly_fee times 52" kept only the 'yearly' plan rows and named the column "cost";
# "each rental's net fee: ..." was refused for 'net' (the last word, fee, is a column's word)
@pytest.mark.parametrize(("prompt", "name", "expr"), [
    ("rentals with yearly cost: weekly_fee times 52", "yearly_cost", "weekly_fee * 52"),
    ("each rental's net fee: weekly fee minus deposit", "net_fee", "weekly_fee - deposit"),
])  # fmt: skip
def test_a_name_of_several_words_before_a_colon(rentals: Any, prompt: str, name: str, expr: str) -> None:
    spec = check(rentals, prompt, f"SELECT *, {expr} FROM rentals")
    assert [c.name for c in spec.derived_columns] == [name] and not spec.filters


# misreading: "names in upper case" upper-cased the first name only, where the table keeps a name in two parts
def test_a_name_kept_in_parts_is_never_half_computed(rentals: Any) -> None:
    from datamorph.errors import PlanError
    from planner_support import plan

    with pytest.raises(PlanError, match="keeps a name in parts"):
        plan(rentals, "rental names in upper case")
    check(rentals, "rental last names in upper case", "SELECT *, upper(last_name) FROM rentals")
