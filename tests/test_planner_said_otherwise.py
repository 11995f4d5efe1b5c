"""Everyday ways of saying what the planner already plans, on a tennis club's tables (players, matches).

Each class of phrasing: rows with no related row asked as a question ("Which players have no matches?"), with
"zero", or stressed ("at all", "even once"); a share of rows that "end in" a state; an event's date named by
its word and "time"/"date" ("by play time" → played_at); the rows a top N is taken from, said with "among"; a
period after "in" that is a date, not a group ("... in 2024"); a period right after "<rows> count" dates those
rows. And a misreading refused: "players by match count" was one count of all matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

CLUB_SQL = """
CREATE TABLE players (player_id INTEGER PRIMARY KEY, player_name VARCHAR, club VARCHAR, joined_on DATE);
INSERT INTO players VALUES (1, 'Ines', 'North', '2021-01-10'), (2, 'Jon', 'South', '2022-05-01'),
  (3, 'Kemal', 'North', '2023-03-03'), (4, 'Lea', 'South', '2024-02-02');
CREATE TABLE matches (match_id INTEGER PRIMARY KEY, player_id INTEGER REFERENCES players(player_id),
                      played_at TIMESTAMP, result VARCHAR, court_fee DECIMAL(6,2));
INSERT INTO matches VALUES (10, 1, '2024-01-05 10:00', 'won', 12.00), (11, 1, '2024-02-05 10:00', 'lost', 15.00),
  (12, 1, '2023-12-01 09:00', 'won', 9.00), (13, 2, '2024-03-01 18:00', 'walkover', 11.00),
  (14, 2, '2023-06-01 18:00', 'won', 20.00), (15, 3, '2024-04-01 08:00', 'lost', 8.00);
CREATE TABLE rackets (racket_id INTEGER PRIMARY KEY, brand VARCHAR, cost DECIMAL(6,2));
INSERT INTO rackets VALUES (1, 'Ace', 120.00), (2, 'Volley', 3.00);
CREATE TABLE rentals (rental_id INTEGER PRIMARY KEY, racket_id INTEGER REFERENCES rackets(racket_id),
                      match_id INTEGER REFERENCES matches(match_id), price DECIMAL(6,2));
INSERT INTO rentals VALUES (1, 1, 10, 4.00), (2, 2, 11, 6.00), (3, 1, 13, 9.50);
"""

NO_MATCHES = "SELECT * FROM players WHERE player_id NOT IN (SELECT player_id FROM matches)"


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "tennis", CLUB_SQL)


@pytest.mark.parametrize("prompt", [
    "Which players have no matches?",
    "Which players have no matches at all?",
    "players with zero matches",
    "players who have not played a match even once",
])  # fmt: skip
def test_rows_with_no_related_row_said_otherwise(engine: Any, prompt: str) -> None:
    check(engine, prompt, NO_MATCHES)


def test_zero_in_a_count_still_keeps_the_empty_groups(engine: Any) -> None:
    check(engine, "number of matches per player, players with no matches shown with zero",
          "SELECT p.player_id, COUNT(m.match_id) FROM players p LEFT JOIN matches m USING (player_id) GROUP BY 1")


def test_a_share_of_rows_that_end_in_a_state(engine: Any) -> None:
    check(engine, "What share of matches end in a walkover?",
          "SELECT AVG(CASE WHEN result = 'walkover' THEN 1.0 ELSE 0 END) FROM matches")


@pytest.mark.parametrize(("prompt", "expected"), [
    ("matches sorted by play time", "SELECT * FROM matches ORDER BY played_at"),
    ("number each player's matches by play time",
     "SELECT *, ROW_NUMBER() OVER (PARTITION BY player_id ORDER BY played_at) FROM matches"),
])  # fmt: skip
def test_an_event_date_named_by_its_word_and_time(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_the_rows_a_top_is_taken_from(engine: Any) -> None:
    check(engine, "the 2 most expensive matches among won matches",
          "SELECT * FROM matches WHERE result = 'won' ORDER BY court_fee DESC LIMIT 2")


# misreading: the period after "match count" dated the players (joined_on in 2024: no row), not the matches
def test_a_period_after_a_count_dates_the_counted_rows(engine: Any) -> None:
    check(engine, "top 1 player by match count in 2024",
          "SELECT player_id, COUNT(*) FROM matches WHERE played_at >= '2024-01-01' AND played_at < '2025-01-01' "
          "GROUP BY 1 ORDER BY 2 DESC LIMIT 1")  # fmt: skip


# misreading: "players by match count" was one count of all matches, the players gone
def test_a_measure_after_by_with_nothing_grouped_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="per player"):
        plan(engine, "players by match count")


# adjectives that point back at the rows named ("the individual matches", "their respective players"): set aside
@pytest.mark.parametrize(("prompt", "expected"), [
    ("the individual matches played in 2024",
     "SELECT * FROM matches WHERE played_at >= '2024-01-01' AND played_at < '2025-01-01'"),
    ("the relevant matches with a court fee over 10", "SELECT * FROM matches WHERE court_fee > 10"),
])  # fmt: skip
def test_referring_adjectives_are_set_aside(engine: Any, prompt: str, expected: str) -> None:
    spec = check(engine, prompt, expected)
    assert set(spec.ignored_words) & {"individual", "relevant"}


def test_an_adjective_the_warehouse_lacks_is_never_set_aside(engine: Any) -> None:
    with pytest.raises(PlanError, match="premium"):
        plan(engine, "the premium matches played in 2024")


# a negation before a comparison turns it around ("is not greater than" is at most): it was refused
@pytest.mark.parametrize(("prompt", "where"), [
    ("matches whose court fee is not greater than 11", "court_fee <= 11"),
    ("matches with a court fee that isn't below 12", "court_fee >= 12"),
])  # fmt: skip
def test_a_negated_comparison(engine: Any, prompt: str, where: str) -> None:
    check(engine, prompt, f"SELECT * FROM matches WHERE {where}")


# misreading: "rentals that cost more than 5" compared the rackets' cost (a column of another table, joined)
def test_a_price_verb_is_the_rows_price_not_another_tables_cost_column(engine: Any) -> None:
    spec = check(engine, "rentals that cost more than 5", "SELECT * FROM rentals WHERE price > 5")
    assert [t.table_name for t in spec.source_tables] == ["rentals"]


# misreading: "the latest match per player with its court fee" listed the fee alone (which match, which player?)
def test_a_picked_row_with_a_column_keeps_the_picked_rows(engine: Any) -> None:
    spec = check(engine, "the latest match per player with its court fee",
                 "SELECT * FROM matches QUALIFY ROW_NUMBER() OVER (PARTITION BY player_id ORDER BY played_at DESC) = 1")
    assert {"match_id", "player_id", "court_fee"} <= {c.name or (c.column or "").split(".")[-1] for c in spec.columns}


def test_a_flow_ranked_by_is_the_nearest_rows(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"top 2 members by fees": the fees of the members' own bookings, though the bookings' extras have fees too
    (it was refused: two columns named fee around the members)."""
    sql = """
    CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name VARCHAR);
    INSERT INTO members VALUES (1, 'a'), (2, 'b'), (3, 'c');
    CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), fee DECIMAL);
    INSERT INTO bookings VALUES (1, 1, 10), (2, 1, 5), (3, 2, 30), (4, 3, 1);
    CREATE TABLE extras (extra_id INTEGER PRIMARY KEY, booking_id INTEGER REFERENCES bookings(booking_id), fee DECIMAL);
    INSERT INTO extras VALUES (1, 4, 100);
    """
    gen = sql_engine(tmp_path_factory, "member_fees", sql)
    eng = next(gen)
    try:
        check(eng, "top 2 members by fees",
              "SELECT member_id, SUM(fee) FROM bookings GROUP BY 1 ORDER BY 2 DESC LIMIT 2")
    finally:
        gen.close()


def test_the_longest_rows_by_their_length_column(tmp_path_factory: pytest.TempPathFactory) -> None:
    """"the 2 longest calls": by the rows' one length column; with only a start/end pair, refused with a rephrasing
    that plans (it asked "compared with which column?")."""
    sql = """
    CREATE TABLE calls (call_id INTEGER PRIMARY KEY, agent VARCHAR, call_length_sec INTEGER);
    INSERT INTO calls VALUES (1, 'a', 30), (2, 'b', 300), (3, 'a', 120);
    CREATE TABLE shifts (shift_id INTEGER PRIMARY KEY, started_at TIMESTAMP, ended_at TIMESTAMP);
    INSERT INTO shifts VALUES (1, '2025-01-01 08:00', '2025-01-01 12:00');
    """
    gen = sql_engine(tmp_path_factory, "calls", sql)
    eng = next(gen)
    try:
        check(eng, "the 2 longest calls", "SELECT * FROM calls ORDER BY call_length_sec DESC LIMIT 2")
        with pytest.raises(PlanError, match="holds no column of a length") as info:
            plan(eng, "the 2 longest shifts")
        plan(eng, info.value.hint.split("'")[1] + ", the 2 with the highest length")  # the rephrasing plans
    finally:
        gen.close()


# misreading: "which match was the shortest" set "shortest" aside as filler and listed every match
def test_a_superlative_is_never_set_aside(engine: Any) -> None:
    from datamorph.planner.meaning import word_class

    assert [word_class(w) for w in ("shortest", "busiest", "best", "forest", "interest")] == [
        "ordering", "ordering", "ordering", None, None]
    with pytest.raises(PlanError, match="shortest"):
        plan(engine, "which match was the shortest")
