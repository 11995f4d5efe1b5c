"""Questions that ask for the periods, groups or kinds where a computed value passes a threshold, with the
output list naming those computed values in the request's own words.

- "In which years did more than 1 sailor enlist?": one group per year of the event's date — the column a word
  of the question names ("enlist" → enlisted_on), else the counted rows' one date; the rows without that date
  are no group. Several dates and none named, or an event word that is also a data value ("booked": a
  status and booked_at), are refused.
- "Which ports took in more than 100 across completed voyages?": a money verb before a comparison is the sum
  of the rows' money column per the subject asked about (having); two money columns are refused.
- "enlist_year, recruits", "port, takings", "(refunds)": new names bound to the one computed value they fit.

Every request runs end to end on a small harbour warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import REF, check, plan, sql_engine

HARBOUR_SQL = """
CREATE TABLE sailors (sailor_id INTEGER PRIMARY KEY, sailor_name VARCHAR, grade VARCHAR, enlisted_on DATE, left_on DATE);
INSERT INTO sailors VALUES (1, 'Ann', 'mate', '2023-02-01', NULL), (2, 'Bo', 'cook', '2023-07-09', '2024-05-01'),
  (3, 'Cy', 'mate', '2024-01-15', NULL), (4, 'Di', 'deckhand', '2024-03-03', '2024-11-30'),
  (5, 'Ed', 'deckhand', '2024-08-08', NULL), (6, 'Flo', 'cook', '2025-01-20', NULL);
CREATE TABLE voyages (voyage_id INTEGER PRIMARY KEY, sailor_id INTEGER REFERENCES sailors(sailor_id),
  sailed_on DATE, port VARCHAR, fare DECIMAL(8,2), state VARCHAR);
INSERT INTO voyages VALUES
  (1, 1, '2024-01-05', 'Hull', 80, 'completed'), (2, 1, '2024-01-20', 'Hull', 50, 'completed'),
  (3, 2, '2024-02-02', 'Leith', 120, 'completed'), (4, 3, '2024-02-10', 'Leith', 30, 'abandoned'),
  (5, 3, '2024-02-11', 'Hull', 10, 'completed'), (6, 4, '2025-01-03', 'Cork', 300, 'completed'),
  (7, 5, '2025-01-04', 'Cork', 20, 'abandoned'), (8, 5, '2024-03-09', 'Leith', 15, 'completed');
CREATE TABLE gadgets (gadget_id INTEGER PRIMARY KEY, maker VARCHAR, released_on DATE, price DECIMAL(8,2));
INSERT INTO gadgets VALUES (1, 'Acme', '2024-06-03', 10), (2, 'Acme', '2024-06-10', 12), (3, 'Zed', '2024-06-04', 9),
  (4, 'Zed', '2024-06-11', 30), (5, 'Acme', '2024-06-05', 8);
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, team VARCHAR, hire_date DATE);
INSERT INTO staff VALUES (1, 'a', '2023-01-01'), (2, 'a', '2023-05-01'), (3, 'b', '2024-02-02'), (4, 'b', NULL);
CREATE TABLE members (member_id INTEGER PRIMARY KEY, created_at TIMESTAMP, tier VARCHAR);
INSERT INTO members VALUES (1, '2024-01-03 10:00', 'gold'), (2, '2024-01-09 12:00', 'free'), (3, '2024-02-01 08:00', 'free');
CREATE TABLE tickets (ticket_id INTEGER PRIMARY KEY, booked_at TIMESTAMP, status VARCHAR);
INSERT INTO tickets VALUES (1, '2024-01-01 10:00', 'booked'), (2, '2024-01-02 11:00', 'used'),
  (3, '2024-02-01 09:00', 'booked');
CREATE TABLE payouts (payout_id INTEGER PRIMARY KEY, sailor_id INTEGER REFERENCES sailors(sailor_id),
  due_on DATE, settled_on DATE, amount DECIMAL(8,2), fee DECIMAL(8,2), kind VARCHAR);
INSERT INTO payouts VALUES (1, 1, '2024-01-31', '2024-02-01', 100, 5, 'wage'), (2, 1, '2024-02-29', NULL, 100, 0, 'refund'),
  (3, 2, '2024-01-31', '2024-01-31', 80, 0, 'refund'), (4, 3, '2024-02-29', '2024-03-02', 90, 10, 'refund');
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "harbour", HARBOUR_SQL)


# -- "In which <periods> ...": a grouping on the part of the event's date --------------------------------------


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    # the verb names the date ("enlist" → enlisted_on); the list names the year and the count
    ("In which years did more than 1 sailor enlist? enlist_year, recruits",
     "SELECT year(enlisted_on), count(*) FROM sailors WHERE enlisted_on IS NOT NULL GROUP BY 1 HAVING count(*) > 1",
     ["enlist_year", "recruits"]),
    # another verb of the same table names the other date; the rows that never left are no year
    ("In which years did more than 1 sailor leave?",
     "SELECT year(left_on), count(*) FROM sailors WHERE left_on IS NOT NULL GROUP BY 1 HAVING count(*) > 1",
     ["year", "sailor_count"]),
    # the months of a year: the period is a condition, the months the groups
    ("In which months of 2024 were more than 1 voyages sailed? sail_month, voyages_sailed",
     "SELECT CAST(date_trunc('month', sailed_on) AS DATE), count(*) FROM voyages "
     "WHERE sailed_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' AND sailed_on IS NOT NULL GROUP BY 1 "
     "HAVING count(*) > 1", ["sail_month", "voyages_sailed"]),
    # weekdays, the table's one date (no verb names it)
    ("On which weekdays were more than 1 gadgets released?",
     "SELECT dayofweek(released_on), count(*) FROM gadgets WHERE released_on IS NOT NULL GROUP BY 1 HAVING count(*) > 1",
     ["weekday", "gadget_count"]),
])  # fmt: skip
def test_which_periods_group_by_the_part_of_the_event_date(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


@pytest.mark.parametrize(("prompt", "match"), [
    # two dates, and no word of the question names one
    ("In which years were more than 1 payouts recorded?", "which date of payouts"),
    # "booked" is a status and the date booked_at: which one is meant is not said
    ("In which months were more than 1 tickets booked?", "booked"),
])  # fmt: skip
def test_which_periods_with_an_unclear_date_are_refused(engine: Any, prompt: str, match: str) -> None:
    with pytest.raises(PlanError, match=match):
        plan(engine, prompt)


# -- a money verb before a comparison: the sum compared, and listed under the request's name ------------------


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    ("Which ports took in more than 100 across completed voyages? port, takings",
     "SELECT port, sum(fare) FROM voyages WHERE state = 'completed' GROUP BY 1 HAVING sum(fare) > 100",
     ["port", "takings"]),
    ("what ports earned over 200 in total - port, total_earned",
     "SELECT port, sum(fare) FROM voyages GROUP BY 1 HAVING sum(fare) > 200", ["port", "total_earned"]),
    # the subject is a column of the table the rows refer to (one sailor per voyage)
    ("Which grades collected more than 100 from completed voyages? grade, revenue",
     "SELECT s.grade, sum(v.fare) FROM voyages v JOIN sailors s ON v.sailor_id = s.sailor_id "
     "WHERE v.state = 'completed' GROUP BY 1 HAVING sum(v.fare) > 100", ["grade", "revenue"]),
])  # fmt: skip
def test_a_money_verb_compares_the_sum(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


def test_a_money_verb_after_have(engine: Any) -> None:
    """"Which payout kinds have paid out more than ...": the perfect tense, the same sum per group."""
    check(engine, "Which payout kinds have paid out more than 100 in total? kind, paid",
          "SELECT kind, sum(amount) FROM payouts GROUP BY 1 HAVING sum(amount) > 100", ["kind", "paid"])


def test_a_money_verb_of_a_table_without_money_sums_its_rows(engine: Any) -> None:
    """Sailors keep no money: what they were paid out is the sum of the one table of rows pointing at them whose
    measure is money (payouts; the voyages' fare is not named as money, and sailors keep no limit or rating
    that could be mistaken for it)."""
    check(engine, "Which sailors were paid out more than 150 in total? sailor_id, paid",
          "SELECT sailor_id, sum(amount) FROM payouts GROUP BY 1 HAVING sum(amount) > 150", ["sailor_id", "paid"])


def test_a_money_verb_over_an_amount_and_a_fee_is_the_amount(engine: Any) -> None:
    """payouts keep an amount and a fee: the amount is the payout's whole value, the fee a named part of it."""
    check(engine, "Which kinds paid out more than 100 in total? kind, paid",
          "SELECT kind, sum(amount) FROM payouts GROUP BY 1 HAVING sum(amount) > 100", ["kind", "paid"])


def test_the_rows_own_subject_is_no_sum(engine: Any) -> None:
    """"voyages that took in over 100": each voyage's own fare, never a sum per some group (the verb is left to
    the row conditions, which do not read it yet)."""
    try:
        spec = plan(engine, "voyages that took in over 100")
    except PlanError:
        return
    assert not spec.aggregations


# -- counts of the rows of a kind, names of counts --------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    # "refunds": the payouts of kind 'refund'; the note names the count
    ("sailors and their number of refunds (refunds)",
     "SELECT p.sailor_id, count(*) FROM sailors s JOIN payouts p ON s.sailor_id = p.sailor_id WHERE p.kind = 'refund' "
     "GROUP BY 1", ["sailor_id", "refunds"]),
    # a data value listed as a whole item beside a column is an item (the count it names), not a condition
    ("How many completed voyages has each port had? port, completed",
     "SELECT port, count(*) FROM voyages WHERE state = 'completed' GROUP BY 1", ["port", "completed_voyage_count"]),
])  # fmt: skip
def test_counts_of_a_kind_and_their_names(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    # "hires": the plural of hire_date's word names the count, not the dates
    ("In which years did we take on more than 1 staff? hire_year, hires",
     "SELECT year(hire_date), count(*) FROM staff WHERE hire_date IS NOT NULL GROUP BY 1 HAVING count(*) > 1",
     ["hire_year", "hires"]),
    # "signups": the plural of an event created_at dates (a synonym) names the count, not created_at
    ("Monthly count of members: month, signups",
     "SELECT CAST(date_trunc('month', created_at) AS DATE), count(*) FROM members GROUP BY 1", ["month", "signups"]),
])  # fmt: skip
def test_a_plural_event_word_names_the_count(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


def test_a_name_that_fits_nothing_still_fails(engine: Any) -> None:
    with pytest.raises(PlanError):
        plan(engine, "In which years did more than 1 sailor enlist? enlist_year, peak_tonnage")


def test_a_count_name_whose_words_name_other_rows_is_not_that_count(engine: Any) -> None:
    """"n_voyages" beside a count of sailors names the voyages counted, never the sailors' count (it was bound
    to the one count there was: the sailors under the name n_voyages)."""
    spec = plan(engine, "sailors per grade with more than 1 sailor: grade, n_voyages")
    assert any(t.table_name == "voyages" for t in spec.source_tables)
    assert len(spec.aggregations) == 2


def test_a_question_about_another_tables_rows_is_no_column_group(engine: Any) -> None:
    """"which sailors undertook more than 1 voyage": sailors is a table (its rows related by a verb not read), never the
    sailor_id column of the counted voyages grouped by a verb the planner does not know."""
    with pytest.raises(PlanError):
        plan(engine, "Which sailors undertook more than 1 voyages?")


@pytest.mark.parametrize(("prompt", "sql"), [
    ("the year each sailor enlisted: sailor_id, enlist_year", "SELECT sailor_id, year(enlisted_on) FROM sailors"),
    ("Month every voyage was sailed: voyage_id, sail_month", "SELECT voyage_id, month(sailed_on) FROM voyages"),
])  # fmt: skip
def test_a_date_part_said_with_the_rows_as_subject(engine: Any, prompt: str, sql: str) -> None:
    """"the year each sailor enlisted": the part of the date the verb names, the rows said as its subject."""
    check(engine, prompt, sql)


@pytest.mark.parametrize("prompt", ["grades with an average voyage fare over 60: grade, avg_fare",
                                    "Which grades have an average voyage fare above 60? grade, avg_fare"])
def test_groups_named_by_a_column_of_the_table_the_rows_refer_to(engine: Any, prompt: str) -> None:
    """"grades with an average fare over 60": each voyage's sailor has one grade — grouped by it (joined), not
    refused for naming no column of the voyages."""
    check(engine, prompt, "SELECT s.grade, avg(v.fare) FROM voyages v JOIN sailors s ON v.sailor_id = s.sailor_id "
          "GROUP BY 1 HAVING avg(v.fare) > 60", ["grade", "avg_fare"])  # fmt: skip


def test_the_most_rows_of_a_kind(engine: Any) -> None:
    """"the 2 ports with the most completed voyages": the voyages counted are the completed ones (a data value
    before the rows), the order is that count."""
    check(engine, "the 2 ports with the most completed voyages: port, trips",
          "SELECT port, count(*) FROM voyages WHERE state = 'completed' GROUP BY 1 ORDER BY 2 DESC LIMIT 2",
          ["port", "trips"])  # fmt: skip


def test_ranking_rows_by_a_column_of_their_many_related_rows_is_refused(engine: Any) -> None:
    """Each sailor has many payouts: "rank sailors by amount" would rank every sailor once per payout."""
    with pytest.raises(PlanError, match="once per payouts row"):
        plan(engine, "rank sailors by amount within each grade: sailor_id, grade, amount, amount_rank")
    check(engine, "rank payouts by amount within each kind: payout_id, kind, amount, amount_rank",
          "SELECT payout_id, kind, amount, rank() OVER (PARTITION BY kind ORDER BY amount DESC) FROM payouts",
          ["payout_id", "kind", "amount", "amount_rank"])  # fmt: skip


def test_a_rank_with_its_list_after_a_colon(engine: Any) -> None:
    """The partition's last word right before the colon that opens the output list."""
    check(engine, "Rank voyages by fare within each port: voyage_id, port, fare, fare_rank",
          "SELECT voyage_id, port, fare, rank() OVER (PARTITION BY port ORDER BY fare DESC) FROM voyages",
          ["voyage_id", "port", "fare", "fare_rank"])  # fmt: skip


def test_a_windows_partition_said_again_as_a_grouping(engine: Any) -> None:
    """"Group by the port" after a rank within each port restates the partition (no measure is grouped)."""
    check(engine, "Rank voyages by fare within each port. Group by the port as stored. voyage_id, port, fare_rank",
          "SELECT voyage_id, port, rank() OVER (PARTITION BY port ORDER BY fare DESC) FROM voyages",
          ["voyage_id", "port", "fare_rank"])  # fmt: skip


def test_a_measure_among_rows_of_a_kind(engine: Any) -> None:
    """"among completed voyages" names the rows measured, as "of" does."""
    check(engine, "the highest fare among completed voyages",
          "SELECT max(fare) FROM voyages WHERE state = 'completed'")


def test_which_things_have_a_count_of_their_rows_of_a_kind(engine: Any) -> None:
    """"Which sailors have completed two or more voyages?": the voyages point at their sailor, "completed" is the
    voyages' state — counted per sailor (it was one count of all voyages, kept when at least 2: one row)."""
    check(engine, "Which sailors have completed two or more voyages? sailor_id, trips",
          "SELECT sailor_id, count(*) FROM voyages WHERE state = 'completed' GROUP BY 1 HAVING count(*) >= 2",
          ["sailor_id", "trips"])  # fmt: skip


def test_a_condition_on_a_measure_with_no_groups_is_refused(engine: Any) -> None:
    """A draft that keeps the one total of all rows when it passes a threshold (a HAVING with no GROUP BY) names
    no groups its condition is about: refused before it is compiled."""
    from datamorph.planner.draft import Draft, assemble
    from datamorph.planner.linking import SchemaLinker
    from datamorph.planner.text import tokenize
    from datamorph.spec import Aggregation, Filter

    prompt = "voyages, more than 2 of them"
    cat = engine.catalog()
    d = Draft(prompt, tokenize(prompt), cat, SchemaLinker(cat), REF, base="voyages",
              aggregations=[Aggregation(function="count", alias="n")],
              having=[Filter(column="n", operator=">", value=2, provenance="more than 2 of them")])
    with pytest.raises(PlanError, match="groups nothing"):
        assemble(d)


@pytest.mark.parametrize(("prompt", "sql"), [
    ("total fare for 2024", "SELECT sum(fare) FROM voyages WHERE sailed_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31'"),
    ("average fare by port for 2024",
     "SELECT port, avg(fare) FROM voyages WHERE sailed_on BETWEEN DATE '2024-01-01' AND DATE '2024-12-31' GROUP BY 1"),
])  # fmt: skip
def test_a_period_said_with_for_after_a_measure(engine: Any, prompt: str, sql: str) -> None:
    """"total fare for 2024": a year after "for" dates the rows measured (the fare is a number, but "for" is no
    comparison that could make 2024 an amount)."""
    check(engine, prompt, sql)


@pytest.mark.parametrize(("prompt", "sql"), [
    ("Which port has the highest total fare?", "SELECT port, sum(fare) FROM voyages GROUP BY 1 ORDER BY 2 DESC LIMIT 1"),
    ("the port with the lowest average fare", "SELECT port, avg(fare) FROM voyages GROUP BY 1 ORDER BY 2 LIMIT 1"),
])  # fmt: skip
def test_the_one_group_with_the_highest_measure(engine: Any, prompt: str, sql: str) -> None:
    """One group asked for, with the highest or lowest of a measure named right after: sorted by it, the first."""
    check(engine, prompt, sql)


def test_a_date_compared_with_a_bare_number_is_refused(engine: Any) -> None:
    """"sailed more than 5" compares a date with a number: never a condition on sailed_on."""
    with pytest.raises(PlanError, match="compared with the number"):
        plan(engine, "voyages sailed more than 5")


def test_a_list_that_leaves_out_a_grouped_key_keeps_it(engine: Any) -> None:
    """"voyages per sailor and state" read as a list of the count and the state: one row per sailor and state,
    which the rows could not be told apart without — the sailor is shown too (it was left out: a wrong table)."""
    spec = plan(engine, "voyages per sailor and state")
    shown = [c.column for c in spec.columns]
    assert "voyages.sailor_id" in shown and "voyages.state" in shown, shown
