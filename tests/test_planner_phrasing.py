"""Phrasings planned and run on a small fleet warehouse built in the test (plus tutors and parts): a row named
by its key ("trips of driver 2"), a column named as a number's unit or right before its value, "the N rows
with the highest X", and column names holding words that elsewhere end a phrase ("hourly rate", "cost per
unit")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanAmbiguous, PlanError
from planner_support import check, plan, planner_engine, sql_engine
from test_planner_misreads import FLEET_SQL


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "fleet_phrasing", FLEET_SQL + EXTRA_SQL)


EXTRA_SQL = """
CREATE TABLE tutors (tutor_id INTEGER PRIMARY KEY, full_name VARCHAR, subject VARCHAR, hourly_rate DECIMAL(8,2));
INSERT INTO tutors VALUES (1, 'Mia Holm', 'maths', 40), (2, 'Ola Dahl', 'maths', 55), (3, 'Eva Lund', 'music', 30);
CREATE TABLE parts (part_id INTEGER PRIMARY KEY, part_name VARCHAR, family VARCHAR, cost_per_unit DECIMAL(8,2));
INSERT INTO parts VALUES (1, 'bolt', 'fixings', 0.2), (2, 'nut', 'fixings', 0.1), (3, 'gear', 'drive', 12.5);
CREATE TABLE books (book_id INTEGER PRIMARY KEY, title VARCHAR, publisher VARCHAR, owner VARCHAR);
INSERT INTO books VALUES (1, 'Tides', 'Penguin', 'Ada'), (2, 'Stone', 'Faber', 'Ben'), (3, 'Leaves', 'Penguin', 'Cy');
CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name VARCHAR, town VARCHAR);
INSERT INTO members VALUES (1, 'Ada', 'Bath'), (2, 'Ben', 'Bath'), (3, 'Cy', 'York'), (4, 'Di', 'York');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), borrowed_on DATE);
INSERT INTO loans VALUES (1, 1, '2025-01-02'), (2, 1, '2025-02-03'), (3, 1, '2025-03-04'), (4, 3, '2025-01-05');
CREATE TABLE clubs (club_id INTEGER PRIMARY KEY, club_name VARCHAR, founded_on DATE);
INSERT INTO clubs VALUES (1, 'Otters', '2001-05-01'), (2, 'Herons', '1999-03-02');
CREATE TABLE dues (due_id INTEGER PRIMARY KEY, club_id INTEGER REFERENCES clubs(club_id), paid DECIMAL(8,2),
  paid_on DATE);
INSERT INTO dues VALUES (1, 1, 50, '2025-01-10'), (2, 1, 70, '2025-03-10'), (3, 2, 40, '2025-02-01');
CREATE TABLE parcels (parcel_id INTEGER PRIMARY KEY, status VARCHAR, delivered_on DATE);
INSERT INTO parcels VALUES (1, 'delivered', '2025-01-03'), (2, 'returned', '2025-01-05'), (3, 'in transit', NULL),
  (4, 'no-show', NULL);
CREATE TABLE pilots (pilot_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, home_base VARCHAR);
INSERT INTO pilots VALUES (1, 'Ines', 'Moe', 'Oslo'), (2, 'Karl', 'Berg', 'Bergen'), (3, 'Ines', 'Lie', 'Oslo');
"""


@pytest.mark.parametrize(("prompt", "expected"), [
    ("trips of driver 2", "SELECT * FROM trips WHERE driver_id = 2"),
    ("trips for driver #1 over 60 km", "SELECT * FROM trips WHERE driver_id = 1 AND km > 60"),
    ("vehicles at depot no. 1", "SELECT * FROM vehicles WHERE depot_id = 1"),
    ("driver 3", "SELECT * FROM drivers WHERE driver_id = 3"),
    ("the plate of vehicle id 4", "SELECT plate FROM vehicles WHERE vehicle_id = 4"),
])  # fmt: skip
def test_a_row_named_by_its_key(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["3 vehicles with the highest mileage", "vehicles with mileage 45000"])
def test_a_quantity_is_not_a_key(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert not any(getattr(f, "column", "").endswith("_id") for f in spec.filters), spec.to_json()


# -- a column named as the number's unit; the N rows with the highest value -------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("trips over 60 km", "SELECT * FROM trips WHERE km > 60"),
    ("trips of at most 80 km", "SELECT * FROM trips WHERE km <= 80"),
    ("the 3 vehicles with the highest mileage", "SELECT * FROM vehicles ORDER BY mileage DESC LIMIT 3"),
    ("2 vehicles having the smallest mileage", "SELECT * FROM vehicles ORDER BY mileage LIMIT 2"),
])  # fmt: skip
def test_units_and_superlatives_after_the_noun(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["top 2 drivers by trips", "the 2 depots with the largest vehicles"])
def test_ranked_by_a_table_is_never_its_key(engine: Any, prompt: str) -> None:
    """Ordering by the key a table's name reaches would rank ids, not how many rows each has."""
    with pytest.raises(PlanError, match="no such column or measure"):
        plan(engine, prompt)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("average hourly rate by subject", "SELECT subject, AVG(hourly_rate) FROM tutors GROUP BY subject"),
    ("the hourly rate of each tutor", "SELECT tutor_id, hourly_rate FROM tutors"),
    ("tutors sorted by hourly rate", "SELECT * FROM tutors ORDER BY hourly_rate"),
    ("total cost per unit by family", "SELECT family, SUM(cost_per_unit) FROM parts GROUP BY family"),
])  # fmt: skip
def test_a_column_name_holding_a_ratio_or_grouping_word(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("books published by Penguin", "SELECT * FROM books WHERE publisher = 'Penguin'"),
    ("titles of the books owned by Ben", "SELECT title FROM books WHERE owner = 'Ben'"),
])  # fmt: skip
def test_a_participle_naming_the_column_of_its_value(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_a_participle_naming_another_column_is_not_understood(engine: Any) -> None:
    with pytest.raises(PlanError, match="printed"):
        plan(engine, "books printed by Penguin")


@pytest.mark.parametrize(("prompt", "expected"), [
    ("tutors who charge more than 35", "SELECT * FROM tutors WHERE hourly_rate > 35"),
    ("parts that cost under 1", "SELECT * FROM parts WHERE cost_per_unit < 1"),
])  # fmt: skip
def test_a_verb_of_price_names_the_money_column(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- misreading: "2 trips over 50 km" was planned as COUNT(*) >= 2 AND COUNT(*) > 50 (a wrong table) --------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("drivers with at least 2 trips over 50 km",
     "SELECT driver_id, COUNT(*) FROM trips WHERE km > 50 GROUP BY driver_id HAVING COUNT(*) >= 2"),
    ("drivers with more than 1 trip above 100 km",
     "SELECT driver_id, COUNT(*) FROM trips WHERE km > 100 GROUP BY driver_id HAVING COUNT(*) > 1"),
])  # fmt: skip
def test_a_comparison_after_the_counted_noun_is_on_its_rows(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- misreading: a count of drivers joined to their trips counted trips (COUNT(*) over the fan-out) ---------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("how many drivers in each licence class have trips",
     "SELECT licence_class, COUNT(DISTINCT d.driver_id) FROM drivers d JOIN trips t ON t.driver_id = d.driver_id "
     "GROUP BY licence_class"),
    ("number of drivers per licence class with trips over 100 km",
     "SELECT licence_class, COUNT(DISTINCT d.driver_id) FROM drivers d JOIN trips t ON t.driver_id = d.driver_id "
     "WHERE t.km > 100 GROUP BY licence_class"),
    ("how many drivers per licence class", "SELECT licence_class, COUNT(*) FROM drivers GROUP BY licence_class"),
    ("how many members in each town have borrowed",
     "SELECT town, COUNT(DISTINCT m.member_id) FROM members m JOIN loans l ON l.member_id = m.member_id GROUP BY town"),
])  # fmt: skip
def test_a_count_of_rows_counts_each_once_across_a_join(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- misreading: "drivers and their total km" was one grand total over all drivers (a wrong table) ---------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("list the drivers and their total km", "SELECT driver_id, SUM(km) FROM trips GROUP BY driver_id"),
    ("drivers, with their average km", "SELECT driver_id, AVG(km) FROM trips GROUP BY driver_id"),
    ("members and the number of their loans", "SELECT member_id, COUNT(*) FROM loans GROUP BY member_id"),
])  # fmt: skip
def test_a_measure_of_their_rows_is_per_row_of_the_table_before(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("trips per driver", "SELECT driver_id, COUNT(*) FROM trips GROUP BY driver_id"),
    ("Show vehicles per make", "SELECT make, COUNT(*) FROM vehicles GROUP BY make"),
    ("loans in 2025 per member", "SELECT member_id, COUNT(*) FROM loans WHERE year(borrowed_on) = 2025 GROUP BY member_id"),
])  # fmt: skip
def test_rows_per_group_are_counted(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- misreading: "show vehicle count per make" listed the counts without the makes (rows nobody can tell apart)


@pytest.mark.parametrize("prompt", ["show vehicle count per make", "list vehicles per make"])
def test_a_list_of_measures_keeps_the_group_keys(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "SELECT make, COUNT(*) FROM vehicles GROUP BY make")
    assert spec.columns[0].column == "vehicles.make"


# -- a listed word naming the column a request sums is that sum; "from unknown X" drops unlinked rows ------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory)


def test_rows_from_unknown_parents_are_dropped(engine: Any) -> None:
    check(engine, "total km per driver, ignoring trips from unknown drivers",
          "SELECT t.driver_id, SUM(km) FROM trips t JOIN drivers d ON d.driver_id = t.driver_id GROUP BY t.driver_id")


def test_a_listed_business_word_for_the_summed_column_is_its_sum(demo: Any) -> None:
    check(demo, "total amount per channel: channel, revenue",
          "SELECT channel, SUM(amount) FROM orders GROUP BY channel", ["channel", "revenue"])


def test_the_summed_columns_own_name_listed_is_not_guessed(demo: Any) -> None:
    """"amount" listed beside a sum of amount may mean each row's amount: refused, never bound to the sum."""
    with pytest.raises(PlanError):
        plan(demo, "total amount per channel: channel, amount")


# -- misreading: "the pilot's name" listed first_name only (the part the linker scored first) -------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the name of each pilot", "SELECT pilot_id, first_name, last_name FROM pilots"),
    ("pilot names and their home base", "SELECT first_name, last_name, home_base FROM pilots"),
    ("pilots' first names", "SELECT first_name FROM pilots"),
])  # fmt: skip
def test_a_persons_name_is_both_parts(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_a_full_name_kept_in_parts_is_asked_for(engine: Any) -> None:
    """Never one part for a "full name" (here another table's full_name column is no answer either)."""
    with pytest.raises(PlanError):
        plan(engine, "the full name of each pilot")


# -- rows with at least one related row: the base's rows, each once (a semi join) ---------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("members with at least one loan", "SELECT * FROM members WHERE member_id IN (SELECT member_id FROM loans)"),
    ("drivers who have any trips over 100 km",
     "SELECT * FROM drivers WHERE driver_id IN (SELECT driver_id FROM trips WHERE km > 100)"),
    ("drivers with one or more trips", "SELECT * FROM drivers WHERE driver_id IN (SELECT driver_id FROM trips)"),
])  # fmt: skip
def test_rows_with_at_least_one_related_row(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", [
    "number of members without loans per town",  # was: 'without' swallowed by the count; members WITH loans
])  # fmt: skip
def test_rows_with_and_without_related_rows_are_refused(engine: Any, prompt: str) -> None:
    """A count of rows said to be missing: refused, never one of the readings silently (a wrong table was
    published before)."""
    with pytest.raises(PlanError):
        plan(engine, prompt)


@pytest.mark.parametrize("prompt", [
    "members with at least one loan that have never borrowed in 2024",  # was: loans outside 2024, counted
    "members with at least one loan and without loans in 2024",  # was: a count over the anti-joined rows
])  # fmt: skip
def test_rows_with_related_rows_but_none_in_a_year(engine: Any, prompt: str) -> None:
    """A required match, and none of the kind said (here: in 2024): members with a loan, none of them in 2024
    (every loan here is from 2025; members without loans are not kept)."""
    check(engine, prompt, "SELECT * FROM members WHERE member_id IN (SELECT member_id FROM loans) AND member_id "
                          "NOT IN (SELECT member_id FROM loans WHERE year(borrowed_on) = 2024)")  # fmt: skip


# -- output lists said with "only", "need", "are needed", "nothing else", after a comma --------------------


@pytest.mark.parametrize("prompt", [
    "Volvo vehicles. Only plate and mileage are needed.",
    "Volvo vehicles, plate and mileage only",
    "Only plate and mileage for Volvo vehicles",
    "For Volvo vehicles I need plate and mileage, nothing else",
    "List plate, mileage for each Volvo vehicle",
])  # fmt: skip
def test_an_output_list_said_as_what_is_needed(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT plate, mileage FROM vehicles WHERE make = 'Volvo'", ["plate", "mileage"])


@pytest.mark.parametrize("prompt", ["Volvo vehicles only", "Volvo vehicles, sorted by mileage"])
def test_only_or_a_comma_without_columns_is_no_list(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert not spec.columns or len(spec.columns) == 5, spec.to_json()


# -- shortened names ("appt", "qty", "drv") are written out; a new name the request gives never is ---------


@pytest.mark.parametrize(("prompt", "expected", "columns"), [
    ("trips per drv", "SELECT driver_id, COUNT(*) FROM trips GROUP BY driver_id", None),
    ("avg km per drv", "SELECT driver_id, AVG(km) FROM trips GROUP BY driver_id", None),
    ("vehicles: plate -> plt, make -> mk", "SELECT plate, make FROM vehicles", ["plt", "mk"]),
])  # fmt: skip
def test_shortened_names(engine: Any, prompt: str, expected: str, columns: list[str] | None) -> None:
    check(engine, prompt, expected, columns)


def test_a_shortening_of_two_names_is_not_guessed(engine: Any) -> None:
    """"plt" shortens plate and pilot: neither is chosen (the word stays unread)."""
    with pytest.raises(PlanError, match="'plt'"):
        plan(engine, "vehicles per plt")


# -- a negation before a verb in its base form: the verb's participle names the event's date ---------------
# ("didn't borrow" is "borrowed_on" missing, as "never borrowed" is): rows of the base with no such event


@pytest.mark.parametrize(("prompt", "expected"), [
    ("members who didn't borrow in 2025",
     "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM loans WHERE borrowed_on >= '2025-01-01')"),
    ("members who never borrowed in 2025",
     "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM loans WHERE borrowed_on >= '2025-01-01')"),
    ("members who have not borrowed during March 2025",
     "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM loans WHERE borrowed_on = '2025-03-04')"),
    ("members who did not borrow anything in 2025",
     "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM loans WHERE borrowed_on >= '2025-01-01')"),
    ("members that do not borrow",
     "SELECT * FROM members WHERE member_id NOT IN (SELECT member_id FROM loans)"),
    ("the town of each member who hasn't borrowed", "SELECT member_id, town FROM members WHERE member_id IN (2, 4)"),
])  # fmt: skip
def test_a_negated_verb_in_its_base_form_is_a_missing_event(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


# -- a clause that only gives the groups without rows the value 0 ("a driver without trips gets 0") ---------


@pytest.mark.parametrize("prompt", [
    "number of trips per driver; a driver without trips gets 0",
    "count of trips for each driver, drivers with no trips at 0",
    "how many trips each driver made, with 0 for drivers that have none",
])  # fmt: skip
def test_a_clause_giving_empty_groups_zero_keeps_them(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT d.driver_id, count(t.trip_id) FROM drivers d LEFT JOIN trips t USING (driver_id) "
                          "GROUP BY 1")



# -- misreading: "running total of trips" summed trips.trip_id (a table's name read as its key) -------------


def test_a_running_sum_of_a_table_is_refused_not_a_sum_of_its_key(engine: Any) -> None:
    with pytest.raises(PlanError, match="of which column"):
        plan(engine, "running total of trips per driver ordered by trip_id")


def test_a_running_count_of_a_table_counts_its_rows(engine: Any) -> None:
    check(engine, "running count of trips per driver ordered by trip_id",
          "SELECT *, count(*) OVER (PARTITION BY driver_id ORDER BY trip_id) FROM trips")


# -- "the N X with the most Y": the count of Y per X, descending ("fewest": ascending) ----------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the 2 drivers with the most trips",
     "SELECT driver_id, count(*) FROM trips GROUP BY 1 ORDER BY 2 DESC LIMIT 2"),
    ("the two members having the most loans",
     "SELECT member_id, count(*) FROM loans GROUP BY 1 ORDER BY 2 DESC LIMIT 2"),
])  # fmt: skip
def test_the_n_rows_with_the_most_related_rows(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_with_the_most_and_no_number_is_not_guessed(engine: Any) -> None:
    with pytest.raises(PlanError, match="most"):
        plan(engine, "drivers with the most trips")


def test_rows_ordered_by_a_column_of_the_one_they_point_to_are_not_refused(engine: Any) -> None:
    check(engine, "the 2 trips with the highest km", "SELECT * FROM trips ORDER BY km DESC LIMIT 2")


# -- misreading: a measure with no groups, ordered or cut to N ("customers ranked by how many orders they
# placed" was one count of all orders, sorted): a ranked total is refused; the table before "ranked by" is grouped


@pytest.mark.parametrize("prompt", ["number of trips, highest first", "the 3 biggest total km"])
def test_a_ranked_single_total_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="ranks one total"):
        plan(engine, prompt)


def test_the_table_before_ranked_by_is_what_is_ranked(engine: Any) -> None:
    spec = check(engine, "drivers ranked by how many trips they made",
                 "SELECT driver_id, count(*) FROM trips GROUP BY 1")
    assert spec.group_by and spec.order_by, spec.to_json()


# -- misreading: "drivers with a trip over 50 km: driver_id, full_name" listed each driver once per such trip;
# the rows asked for are the base's, so each is listed once (a semi join) ---------------------------------


@pytest.mark.parametrize("prompt", [
    "drivers with a trip over 50 km: driver_id, full_name",
    "drivers with trips over 50 km - driver_id and full_name only",
])  # fmt: skip
def test_base_rows_filtered_by_a_related_table_are_listed_once(engine: Any, prompt: str) -> None:
    check(engine, prompt,
          "SELECT driver_id, full_name FROM drivers WHERE driver_id IN (SELECT driver_id FROM trips WHERE km > 50)")


# -- misreading: "each club's latest dues payment" kept one club row per club_id, ordered by its founding date
# (every club, nothing picked) and dropped the dues: one row per a table's own key is refused --------------


def test_one_row_per_a_tables_own_key_is_refused(engine: Any) -> None:
    with pytest.raises(PlanError, match="nothing to pick"):
        plan(engine, "each club's latest paid amount")


# -- misreading: "sum of trips by driver" was SUM(trip_id), "average members per town" AVG(member_id): a table's
# name read as its key; a sum or average of a key the request does not spell is refused ----------------------


@pytest.mark.parametrize("prompt", ["sum of trips by driver", "average members per town"])
def test_a_sum_of_a_key_not_spelled_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="a key"):
        plan(engine, prompt)


def test_a_sum_of_a_key_spelled_out_is_what_was_asked(engine: Any) -> None:
    check(engine, "average driver_id per licence_class",
          "SELECT licence_class, avg(driver_id) FROM drivers GROUP BY 1")


# -- misreading: "drivers whose trips total more than 150 km" was WHERE km > 150 (each trip): an aggregate word
# between the column and the comparison makes it a condition on the aggregate, never a row filter -----------


def test_an_aggregate_word_before_a_comparison_is_never_a_row_filter(engine: Any) -> None:
    try:
        spec = plan(engine, "drivers whose trips total more than 150 km")
    except PlanError:
        return  # refused: honest
    assert not spec.filters and spec.having, spec.to_json()


def test_a_condition_on_a_total_is_on_the_groups(engine: Any) -> None:
    check(engine, "drivers whose total km is over 150",
          "SELECT driver_id, sum(km) FROM trips GROUP BY 1 HAVING sum(km) > 150")


# -- "parcels that were delivered": the value 'delivered' of the status, or a delivered_on that is filled? Two
# readings that give different rows here: asked, never picked silently; naming the column settles it ---------


@pytest.mark.parametrize("prompt", ["parcels that were delivered", "delivered parcels", "parcels not delivered"])
def test_a_participle_that_is_a_value_and_an_event_date_is_asked(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanAmbiguous, match="delivered on is"):
        plan(engine, prompt)


def test_the_column_named_settles_the_participle(engine: Any) -> None:
    check(engine, "parcels whose status is 'delivered'", "SELECT * FROM parcels WHERE status = 'delivered'")
    check(engine, "parcels with status delivered", "SELECT * FROM parcels WHERE status = 'delivered'")


# -- misreading: "drivers and their trip count" was one count of all trips: a measure whose words open with
# "their" belongs to each row of the table named before it --------------------------------------------------


def test_a_measure_opening_with_their_is_per_row_of_the_table_before(engine: Any) -> None:
    check(engine, "drivers and their trip count", "SELECT driver_id, count(*) FROM trips GROUP BY 1")


# -- misreading: "no-show visits over all visits" read the "show" of "no-show" as an output verb ("show ...") and
# published the ratio under another name, without its groups: a verb inside a hyphenated word is no verb ----


def test_a_verb_inside_a_hyphenated_value_opens_no_output_list(engine: Any) -> None:
    check(engine, "no-show parcels over all parcels, as a percent",
          "SELECT 100.0 * count(*) FILTER (WHERE status = 'no-show') / count(*) FROM parcels")


# -- misreading: "distinct cities of patients" listed every patient's city: "distinct", "unique" or "different"
# before a listed column asks for each value once --------------------------------------------------------


@pytest.mark.parametrize("prompt", ["distinct makes of vehicles", "the unique makes of the vehicles"])
def test_a_listed_column_asked_distinct_lists_each_value_once(engine: Any, prompt: str) -> None:
    check(engine, prompt, "SELECT DISTINCT make FROM vehicles")


@pytest.mark.parametrize("prompt", ["total dues paid per club in 2025", "the total of dues paid for each club in 2025"])
def test_a_period_after_a_grouping_by_a_table_dates_the_measured_rows(engine: Any, prompt: str) -> None:
    """"total dues per club in 2025": the dues of 2025 (their paid_on), not the clubs founded in 2025."""
    check(engine, prompt, "SELECT club_id, SUM(paid) FROM dues WHERE paid_on BETWEEN '2025-01-01' AND '2025-12-31' "
                          "GROUP BY club_id")  # fmt: skip


def test_a_period_after_a_grouping_by_a_table_with_no_rows_named_asks(engine: Any) -> None:
    """The rows measured per club are not named (a column word only): the clubs' own date would be a guess."""
    with pytest.raises(PlanError, match="the date of which rows"):
        plan(engine, "total paid per club in 2025")


@pytest.mark.parametrize(("prompt", "expected"), [
    # "number of <table> <event verb> in <period>": the table's name is what is counted, the verb says the date
    ("number of parcels delivered in 2025", "SELECT COUNT(*) FROM parcels WHERE delivered_on BETWEEN '2025-01-01' "
                                            "AND '2025-12-31'"),
    ("count of parcels delivered in January 2025 by status",
     "SELECT status, COUNT(*) FROM parcels WHERE delivered_on BETWEEN '2025-01-01' AND '2025-01-31' GROUP BY status"),
])  # fmt: skip
def test_a_count_of_rows_named_before_their_event_verb(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


SHIPPING_SQL = """
CREATE TABLE carriers (carrier_id INTEGER PRIMARY KEY, carrier_name VARCHAR);
INSERT INTO carriers VALUES (1, 'Fast'), (2, 'Slow'), (3, 'Idle');
CREATE TABLE shipments (shipment_id INTEGER PRIMARY KEY, carrier_id INTEGER REFERENCES carriers(carrier_id),
  shipment_date DATE, weight_kg INTEGER);
INSERT INTO shipments VALUES (1, 1, '2025-01-03', 5), (2, 1, '2024-05-01', 7), (3, 2, '2025-02-02', 1),
  (4, 2, '2025-03-03', 2), (5, 1, '2025-12-31', 3);
CREATE TABLE services (service_id INTEGER PRIMARY KEY, label VARCHAR);
INSERT INTO services VALUES (1, 'x');
CREATE TABLE bills (bill_id INTEGER PRIMARY KEY, carrier_id INTEGER REFERENCES carriers(carrier_id), amount DECIMAL(8,2),
  billed_on DATE, state VARCHAR, service VARCHAR, late_fee DECIMAL(8,2));
INSERT INTO bills VALUES (1, 1, 10, '2025-01-05', 'open', 'air', 9), (2, 1, 20, '2025-01-20', 'paid', 'sea', 0),
  (3, 2, 5, '2025-02-01', 'paid', 'air', 12), (4, 2, 7, '2024-12-31', 'open', 'air', 0);
CREATE TABLE agents (agent_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, signed_up_on DATE,
  left_on DATE);
INSERT INTO agents VALUES (1, 'Ana', 'Lind', '2024-05-01', NULL), (2, 'Bo', 'Strand', '2025-02-01', '2025-06-01');
CREATE TABLE calls (call_id INTEGER PRIMARY KEY, agent_id INTEGER NOT NULL REFERENCES agents(agent_id), minutes INTEGER);
INSERT INTO calls VALUES (1, 1, 5), (2, 2, 7), (3, 1, 2);
CREATE TABLE repairs (repair_id INTEGER PRIMARY KEY, reported_on DATE, fixed_on DATE, due_by DATE);
INSERT INTO repairs VALUES (1, '2025-01-01', '2025-01-04', '2025-03-05'), (2, '2025-02-01', NULL, '2025-08-02'),
  (3, '2025-03-01', '2025-03-01', '2025-03-20');
CREATE TABLE contacts (contact_id INTEGER PRIMARY KEY, carrier_id INTEGER REFERENCES carriers(carrier_id),
  work_email VARCHAR);
INSERT INTO contacts VALUES (1, 1, 'a@fast.io'), (2, 1, 'b@fast.io'), (3, 2, 'c@slow.net'), (4, 2, NULL);
CREATE TABLE quotes (quote_id INTEGER PRIMARY KEY, labour_cost DECIMAL(8,2), parts_cost DECIMAL(8,2));
INSERT INTO quotes VALUES (1, 10, 20), (2, 30, 5);
CREATE TABLE contracts (contract_id INTEGER PRIMARY KEY, carrier_id INTEGER REFERENCES carriers(carrier_id),
  arr DECIMAL(10,2), signed_on DATE);
INSERT INTO contracts VALUES (1, 1, 100, '2024-02-01'), (2, 1, 50, '2025-03-01'), (3, 2, 70, '2025-04-01');
"""


@pytest.fixture(scope="module")
def shipping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "shipping", SHIPPING_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    # the table's name before the verb links with it to the table's date (shipment_date): the name stays the
    # rows counted, only the verb is the date's
    ("number of shipments made in 2025", "SELECT COUNT(*) FROM shipments WHERE shipment_date >= '2025-01-01'"),
    ("the number of shipments made in 2025 per carrier",
     "SELECT carrier_id, COUNT(*) FROM shipments WHERE shipment_date >= '2025-01-01' GROUP BY carrier_id"),
])  # fmt: skip
def test_a_count_of_rows_whose_name_is_in_the_date_column(shipping: Any, prompt: str, expected: str) -> None:
    check(shipping, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    # "number of" is a count, never the verb "number" (rows numbered by a column)
    ("number of parcels delivered in 2025 by status", "SELECT status, COUNT(*) FROM parcels WHERE delivered_on "
                                                      "BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY status"),
])  # fmt: skip
def test_number_of_is_a_count_not_a_numbering(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    # a column named by the initials of a phrase that opens with a period word: the column, not a grouping by year
    ("total annual recurring revenue per carrier", "SELECT carrier_id, SUM(arr) FROM contracts GROUP BY carrier_id"),
    ("sum of annual recurring revenue by carrier", "SELECT carrier_id, SUM(arr) FROM contracts GROUP BY carrier_id"),
])  # fmt: skip
def test_a_period_word_opening_a_columns_name_is_no_grouping(shipping: Any, prompt: str, expected: str) -> None:
    check(shipping, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    # "totals" of a table's rows: the sum of its amount (it was a count of the rows: "X totals per Y" read as
    # "X per Y"), after a period adjective too
    ("bill totals per state", "SELECT state, SUM(amount) FROM bills GROUP BY state"),
    ("monthly bill totals for 2025", "SELECT date_trunc('month', billed_on)::DATE, SUM(amount) FROM bills "
                                     "WHERE billed_on >= '2025-01-01' GROUP BY 1"),
])  # fmt: skip
def test_totals_of_a_tables_rows(shipping: Any, prompt: str, expected: str) -> None:
    check(shipping, prompt, expected)


def test_a_key_word_that_is_a_column_of_the_counted_rows_and_another_table(shipping: Any) -> None:
    """"bills by carrier and service": the bills' service column, not the services table (no join to it)."""
    check(shipping, "number of bills by state and service",
          "SELECT state, service, COUNT(*) FROM bills GROUP BY state, service")


@pytest.mark.parametrize("prompt", ["number of bills per carrier, including empty carriers",
                                    "number of bills per carrier, keep carriers with none"])
def test_a_clause_keeping_the_empty_groups(shipping: Any, prompt: str) -> None:
    check(shipping, prompt, "SELECT c.carrier_id, COUNT(b.bill_id) FROM carriers c LEFT JOIN bills b "
                            "ON b.carrier_id = c.carrier_id GROUP BY c.carrier_id")


def test_a_bare_amount_compares_with_the_rows_whole_value(shipping: Any) -> None:
    """"bills over $8": the bill's amount, not its late fee (a named part); with no such column, asked."""
    check(shipping, "bills over $8", "SELECT * FROM bills WHERE amount > 8")
    with pytest.raises(PlanError, match="compared with which column"):
        plan(shipping, "quotes over $15")


@pytest.mark.parametrize("prompt", ["air-service bills: bill_id", "bills on the air-service: bill_id",
                                    "air service bills: bill_id"])
def test_a_value_hyphenated_to_its_columns_word(shipping: Any, prompt: str) -> None:
    """"corporate-segment customers": the value and the word of its column, joined by a hyphen, are one test."""
    check(shipping, prompt, "SELECT bill_id FROM bills WHERE service = 'air'")


@pytest.mark.parametrize("prompt", ["calls: call_id, the agent's first and last name",
                                    "calls with call_id and the agent's first and last name"])
def test_a_head_noun_shared_after_a_possessive(shipping: Any, prompt: str) -> None:
    """"the customer's first and last name": both names of the owner (it read "the customer's first" as its key)."""
    check(shipping, prompt, "SELECT c.call_id, a.first_name, a.last_name FROM calls c JOIN agents a USING (agent_id)")


@pytest.mark.parametrize(("prompt", "condition"), [
    ("bills and whether they were paid", "state = 'paid'"),
    ("bills with a column saying whether the amount is over 8", "amount > 8"),
    ("bills, with a flag showing whether the service is air", "service = 'air'"),
])  # fmt: skip
def test_a_condition_after_whether_is_never_a_filter(shipping: Any, prompt: str, condition: str) -> None:
    """"orders and whether they were cancelled": a yes/no value per row (it kept only the cancelled orders)."""
    check(shipping, prompt, f"SELECT *, coalesce({condition}, FALSE) FROM bills")


@pytest.mark.parametrize("prompt", ["number of bills for each combination of state and service",
                                    "count of bills per pairing of state and service"])
def test_groups_said_as_a_combination(shipping: Any, prompt: str) -> None:
    check(shipping, prompt, "SELECT state, service, COUNT(*) FROM bills GROUP BY 1, 2")


def test_a_relative_period_after_a_missing_match(shipping: Any) -> None:
    """"customers with no orders last year": the period dates the missing rows (it was read as part of their name)."""
    check(shipping, "carriers with no shipments last year",
          "SELECT c.* FROM carriers c WHERE NOT EXISTS (SELECT 1 FROM shipments s WHERE s.carrier_id = c.carrier_id "
          "AND s.shipment_date BETWEEN '2024-01-01' AND '2024-12-31')")


@pytest.mark.parametrize("prompt", ["repairs with the number of days between reporting and fixing",
                                    "repairs with the days between reported date and fixed date"])
def test_days_between_two_events_named_in_words(shipping: Any, prompt: str) -> None:
    """The endpoints of a duration named by their event ("ordering and shipping") or in words, not only by name."""
    check(shipping, prompt, "SELECT repair_id, reported_on, fixed_on, due_by, fixed_on - reported_on FROM repairs")


def test_a_date_said_by_its_own_word_and_a_coming_period(shipping: Any) -> None:
    """"invoices due next month": the due date by its word (not a verb), the calendar month after the reference."""
    check(shipping, "repairs due next month: repair_id", "SELECT repair_id FROM repairs WHERE due_by "
                                                         "BETWEEN '2025-08-01' AND '2025-08-31'")
    check(shipping, "repairs due in March 2025: repair_id", "SELECT repair_id FROM repairs WHERE due_by "
                                                            "BETWEEN '2025-03-01' AND '2025-03-31'")


def test_an_order_by_date_is_the_date_the_request_uses(shipping: Any) -> None:
    """"registered since January, newest first", "sorted by date": the date the conditions compare."""
    spec = check(shipping, "repairs fixed in 2025, newest first", "SELECT * FROM repairs WHERE fixed_on >= '2025-01-01'")
    assert [(o.column, o.direction) for o in spec.order_by] == [("repairs.fixed_on", "desc")]
    spec = check(shipping, "bills of carrier 1 sorted by date", "SELECT * FROM bills WHERE carrier_id = 1")
    assert [o.column for o in spec.order_by] == ["bills.billed_on"]


def test_a_verb_with_its_particle_names_the_date(shipping: Any) -> None:
    """"signed up in 2025": the verb and its particle (the particle alone is not the date's word)."""
    check(shipping, "agents that signed up in 2025: agent_id", "SELECT agent_id FROM agents WHERE signed_up_on >= "
                                                              "'2025-01-01'")


@pytest.mark.parametrize("prompt", ["bills with an amount band: 'small' under 8, 'big' for 8 or more",
                                    "bills with their amount tier: 'small' below 8, 'big' for 8 or more"])
def test_a_band_named_after_its_column(shipping: Any, prompt: str) -> None:
    """"a price band: 'cheap' under 20, ...": the conditions with no column are on the column the band is named by."""
    check(shipping, prompt, "SELECT *, CASE WHEN amount < 8 THEN 'small' WHEN amount >= 8 THEN 'big' END FROM bills")


@pytest.mark.parametrize("prompt", ["contacts with the part of the work email after the @",
                                    "contacts with their work email domain",
                                    "contacts with the domain of their work email"])
def test_the_domain_of_an_email(shipping: Any, prompt: str) -> None:
    check(shipping, prompt, "SELECT *, split_part(work_email, '@', 2) FROM contacts")


def test_a_count_per_email_domain(shipping: Any) -> None:
    check(shipping, "number of contacts per work email domain",
          "SELECT split_part(work_email, '@', 2), COUNT(*) FROM contacts GROUP BY 1")


def test_a_noun_after_their_is_never_set_aside(shipping: Any) -> None:
    """"users with their domain" returned the users: the asked noun was set aside as filler."""
    with pytest.raises(PlanError, match="mascot"):
        plan(shipping, "carriers with their mascot")


def test_a_period_on_a_table_of_several_dates_defaults_to_its_start_and_is_checked(shipping: Any) -> None:
    """"agents in 2025": the date the rows start with (signed_up_on) when no word names one; the other dates are
    run too, and the request asks when they give other rows (agent 1 signed up in 2024 and left in none)."""
    check(shipping, "agents in 2025: agent_id", "SELECT agent_id FROM agents WHERE signed_up_on >= '2025-01-01'")
    with pytest.raises(PlanAmbiguous, match="left_on"):
        plan(shipping, "agents in 2024: agent_id")


def test_for_every_row_in_a_period_is_those_rows_date(shipping: Any) -> None:
    """"For every appointment in March 2025, show ...": each of those rows, in the period by their own date (it
    asked which rows the period dates, as after a grouping)."""
    check(shipping, "For every bill in January 2025, show the bill_id and the amount",
          "SELECT bill_id, amount FROM bills WHERE billed_on BETWEEN '2025-01-01' AND '2025-01-31'")


def test_a_measure_for_each_row_of_a_dated_table_in_a_period_asks(shipping: Any) -> None:
    """"revenue for each customer in 2024": the customers are the groups; the rows measured are not named, so the
    period is not the customers' own date (their sign-up), it is asked."""
    with pytest.raises(PlanError, match="the date of which rows"):
        plan(shipping, "total minutes for each agent in 2025")


def test_a_name_before_its_formula_in_brackets(shipping: Any) -> None:
    """"products with their margin (unit price minus cost)": the word before the brackets names the column."""
    spec = check(shipping, "bills with their net (amount minus late fee)", "SELECT *, amount - late_fee FROM bills")
    assert [x.name for x in spec.derived_columns] == ["net"]
