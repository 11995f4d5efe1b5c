"""States of rows said in business words, planned and run on a small gym warehouse built here: yes/no columns
said with a verb ("auto renew turned off", "opted out of the newsletter", "not accepting walk-ins"), values
negated by a prefix ("unsettled bills", "inactive memberships"), "open"/"still open" on a table with an end date,
and a state said of the rows never read as another table's value."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanAmbiguous, PlanError
from planner_support import check, plan, sql_engine

GYM_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, newsletter_opt_in BOOLEAN,
  auto_renew BOOLEAN, accepting_guests BOOLEAN);
INSERT INTO members VALUES (1, 'Ana', TRUE, TRUE, TRUE), (2, 'Ben', FALSE, FALSE, TRUE), (3, 'Cy', TRUE, FALSE, FALSE),
  (4, 'Di', FALSE, TRUE, FALSE), (5, 'Ed', NULL, TRUE, TRUE);
CREATE TABLE memberships (membership_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id),
  status VARCHAR, started_on DATE, closed_on DATE);
INSERT INTO memberships VALUES (10, 1, 'active', DATE '2023-02-01', NULL), (11, 2, 'frozen', DATE '2024-03-01', NULL),
  (12, 3, 'closed', DATE '2024-04-01', DATE '2024-09-01'), (13, 4, 'active', DATE '2024-05-01', NULL),
  (14, 5, 'closed', DATE '2022-01-01', DATE '2023-01-01');
CREATE TABLE bills (bill_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), status VARCHAR,
  due_on DATE, settled_on DATE, amount DECIMAL(8,2));
INSERT INTO bills VALUES (100, 1, 'settled', DATE '2024-01-10', DATE '2024-01-05', 30),
  (101, 2, 'settled', DATE '2024-02-10', DATE '2024-02-20', 30), (102, 3, 'open', DATE '2024-03-10', NULL, 30),
  (103, 4, 'void', DATE '2024-04-10', NULL, 30), (104, 5, 'refunded', DATE '2024-05-10', DATE '2024-05-09', 30);
CREATE TABLE lockers (locker_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), status VARCHAR,
  is_active BOOLEAN);
INSERT INTO lockers VALUES (1, 1, 'open', TRUE), (2, 2, 'open', FALSE), (3, 3, 'taken', TRUE);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), requested_on DATE,
  attended_on DATE);
INSERT INTO visits VALUES (1, 1, DATE '2024-01-01', DATE '2024-01-01'), (2, 2, DATE '2024-01-01', DATE '2024-01-03'),
  (3, 3, DATE '2024-01-01', DATE '2024-01-09'), (4, 4, DATE '2024-01-05', NULL), (5, 1, DATE '2024-02-01', DATE '2024-02-04');
CREATE TABLE classes (class_id INTEGER PRIMARY KEY, title VARCHAR);
INSERT INTO classes VALUES (1, 'Yoga'), (2, 'Spin'), (3, 'Boxing');
CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, class_id INTEGER REFERENCES classes(class_id),
  member_id INTEGER REFERENCES members(member_id), booked_on DATE);
INSERT INTO bookings VALUES (1, 1, 1, DATE '2024-01-02'), (2, 1, 2, DATE '2024-01-03'), (3, 3, 2, DATE '2024-01-04');
CREATE TABLE tiers (tier_id INTEGER PRIMARY KEY, tier_name VARCHAR);
INSERT INTO tiers VALUES (1, 'Bronze'), (2, 'Silver'), (3, 'Gold');
CREATE TABLE subscriptions (subscription_id INTEGER PRIMARY KEY, tier_id INTEGER REFERENCES tiers(tier_id),
  member_id INTEGER REFERENCES members(member_id));
INSERT INTO subscriptions VALUES (1, 1, 1), (2, 1, NULL), (3, 2, 3);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "gym_states", GYM_SQL)


@pytest.mark.parametrize(
    ("prompt", "where"),
    [
        ("members with auto renew turned off", "auto_renew = FALSE"),
        ("members whose auto renew is switched on", "auto_renew = TRUE"),
        ("members that have auto renew enabled", "auto_renew = TRUE"),
        ("members whose auto renew is disabled", "auto_renew = FALSE"),
        ("members where auto renew is false", "auto_renew = FALSE"),
        ("members who turned off auto renew", "auto_renew = FALSE"),
        ("members who are not accepting guests", "accepting_guests = FALSE"),
        ("members no longer accepting guests", "accepting_guests = FALSE"),
        ("members who opted out of the newsletter", "newsletter_opt_in = FALSE"),
        ("members who opted into the newsletter", "newsletter_opt_in = TRUE"),
        ("members that never opted in to the newsletter", "newsletter_opt_in = FALSE"),
    ],
)
def test_yes_no_column_said_with_a_verb(engine: Any, prompt: str, where: str) -> None:
    check(engine, prompt, f"SELECT * FROM members WHERE {where}")


def test_bare_on_before_more_words_is_no_state(engine: Any) -> None:
    """"auto renew on ..." with words after it: "on" may start a phrase, so it is not read as the state."""
    spec = plan(engine, "members with auto renew")
    assert [f.value for f in spec.filters] == [True]


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("inactive memberships", "SELECT * FROM memberships WHERE status <> 'active'"),
        ("non-active memberships", "SELECT * FROM memberships WHERE status <> 'active'"),
        ("open memberships", "SELECT * FROM memberships WHERE closed_on IS NULL"),
        ("memberships that are still open", "SELECT * FROM memberships WHERE closed_on IS NULL"),
        ("memberships that are no longer open", "SELECT * FROM memberships WHERE closed_on IS NOT NULL"),
        ("memberships started in 2024 that are still open",
         "SELECT * FROM memberships WHERE closed_on IS NULL AND started_on BETWEEN '2024-01-01' AND '2024-12-31'"),
    ],
)
def test_state_of_the_rows_not_another_tables_value(engine: Any, prompt: str, expected: str) -> None:
    """'open' is a locker status and is_active a locker flag: said of memberships, they are the memberships'
    own state (their status, or their end date), never a join to lockers."""
    spec = check(engine, prompt, expected)
    assert [t.table_name for t in spec.source_tables] == ["memberships"]


def test_prefixed_participle_asks_when_the_value_and_the_date_differ(engine: Any) -> None:
    """"unsettled bills": status other than 'settled' (3 bills) or no settled_on date (2 bills): it asks."""
    with pytest.raises(PlanAmbiguous, match="settled"):
        plan(engine, "unsettled bills")
    with pytest.raises(PlanAmbiguous, match="settled"):
        plan(engine, "bills that are still unsettled")


def test_prefix_only_on_a_participle_or_adjective(engine: Any) -> None:
    """"in" + a noun is no negation: "invoice" is never "not voice"."""
    from datamorph.planner.recognizers.filter_base import negatable as _negatable

    assert _negatable("paid") and _negatable("active") and _negatable("shipped")
    assert not _negatable("voice") and not _negatable("come") and not _negatable("terest")


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("bills settled late", "SELECT * FROM bills WHERE settled_on > due_on"),
        ("how many bills were settled late?", "SELECT count(*) FROM bills WHERE settled_on > due_on"),
        ("bills that were settled on time", "SELECT * FROM bills WHERE settled_on <= due_on"),
        ("bills settled after their due date", "SELECT * FROM bills WHERE settled_on > due_on"),
        ("bills settled before the due date", "SELECT * FROM bills WHERE settled_on < due_on"),
        ("visits attended the same day they were requested", "SELECT * FROM visits WHERE attended_on = requested_on"),
        ("visits attended more than 2 days after the requested date",
         "SELECT * FROM visits WHERE attended_on - requested_on > 2"),
        ("visits attended within 3 days of being requested",
         "SELECT * FROM visits WHERE attended_on - requested_on BETWEEN 0 AND 3"),
        ("visits attended at least 1 week after they were requested",
         "SELECT * FROM visits WHERE attended_on - requested_on >= 7"),
        ("memberships closed within a year of being started",
         "SELECT * FROM memberships WHERE closed_on >= started_on AND closed_on <= started_on + INTERVAL 1 YEAR"),
        ("memberships closed more than 6 months after they started",
         "SELECT * FROM memberships WHERE closed_on > started_on + INTERVAL 6 MONTH"),
    ],
)
def test_two_dates_of_a_row_compared_in_words(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(
    "prompt",
    [
        "visits attended late",  # visits have no date of when they were due
        "visits attended the same day",  # the other date is unsaid and visits have two
        "visits attended more than 2 days of the requested date",  # no direction
    ],
)
def test_two_dates_unsaid_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


@pytest.mark.parametrize("prompt", ["classes nobody has booked", "classes no one booked", "classes never booked"])
def test_nobody_is_a_missing_related_row(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT * FROM classes WHERE class_id NOT IN (SELECT class_id FROM bookings)")


def test_counted_participle_asks_when_the_value_and_the_date_differ(engine: Any) -> None:
    """Inside a measure too: "how many bills were settled" is status 'settled' (2) or a settled_on date (3)."""
    with pytest.raises(PlanAmbiguous, match="settled"):
        plan(engine, "how many bills were settled?")
    with pytest.raises(PlanAmbiguous, match="settled"):
        plan(engine, "number of unsettled bills per member")


def test_counted_prefixed_value_is_negated_and_named_so(engine: Any) -> None:
    spec = check(engine, "number of inactive memberships per member",
                 "SELECT member_id, count(*) FROM memberships WHERE status <> 'active' GROUP BY 1")
    assert [a.alias for a in spec.aggregations] == ["not_active_membership_count"]


@pytest.mark.parametrize("prompt", ["tiers that no member subscribes to", "which tiers does no member subscribe to?"])
def test_no_table_before_its_verb_is_no_empty_key(engine: Any, prompt: str) -> None:
    """"no member subscribes to": what no such row did, never subscriptions.member_id IS NULL on the rows that exist
    (the anti join is not read from this wording yet: refused)."""
    with pytest.raises(PlanError):
        plan(engine, prompt)
