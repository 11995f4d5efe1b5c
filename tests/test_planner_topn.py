"""The N rows with the highest/lowest something, said in other ways: the column after a verb "have"/"had"
("which 2 cruises have the highest fare"), and a superlative whose column is said after "by" on a table with
two dates ("the 2 oldest cruises by departure date"); a superlative of a kind (a date, a price) ordering by a
column of another kind is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

CRUISE_SQL = """
CREATE TABLE cruises (cruise_id INTEGER PRIMARY KEY, ship_name VARCHAR, departure_date DATE, return_date DATE,
                      fare DECIMAL(8,2), nights INTEGER);
INSERT INTO cruises VALUES
  (1, 'Aurora', DATE '2024-03-01', DATE '2024-03-08', 900.00, 7),
  (2, 'Borealis', DATE '2023-06-10', DATE '2023-06-13', 450.00, 3),
  (3, 'Calypso', DATE '2024-11-20', DATE '2024-12-04', 2100.00, 14),
  (4, 'Dorado', DATE '2022-01-05', DATE '2022-01-15', 1300.00, 10),
  (5, 'Elara', DATE '2024-07-01', DATE '2024-07-02', 150.00, 1);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "topn_cruises", CRUISE_SQL)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("which 2 cruises have the highest fare?", "SELECT * FROM cruises ORDER BY fare DESC LIMIT 2"),
    ("which three cruises had the fewest nights?", "SELECT * FROM cruises ORDER BY nights LIMIT 3"),
    ("the 2 cruises that have the longest nights", "SELECT * FROM cruises ORDER BY nights DESC LIMIT 2"),
    ("2 cruises which had the shortest nights: cruise_id, nights",
     "SELECT cruise_id, nights FROM cruises ORDER BY nights LIMIT 2"),
    # any verb in a question: "which 2 cruises charge the highest fare?"
    ("which 2 cruises charge the highest fare?", "SELECT * FROM cruises ORDER BY fare DESC LIMIT 2"),
    ("Which three cruises last the fewest nights?", "SELECT * FROM cruises ORDER BY nights LIMIT 3"),
])  # fmt: skip
def test_the_column_after_have(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the 2 oldest cruises by departure date", "SELECT * FROM cruises ORDER BY departure_date LIMIT 2"),
    ("the three latest cruises by return_date", "SELECT * FROM cruises ORDER BY return_date DESC LIMIT 3"),
    ("the 2 cheapest cruises by fare", "SELECT * FROM cruises ORDER BY fare LIMIT 2"),
])  # fmt: skip
def test_a_superlative_with_its_column_said_after_by(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


def test_a_date_superlative_without_its_column_asks_which_date(engine: Any) -> None:
    with pytest.raises(PlanError, match="which date"):
        plan(engine, "the 2 oldest cruises")


@pytest.mark.parametrize("prompt", ["the 2 oldest cruises by nights", "the 2 cheapest cruises by ship name",
                                    "the 2 newest cruises by fare"])  # fmt: skip
def test_a_superlative_of_another_kind_than_its_column_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError, match="does not order by"):
        plan(engine, prompt)


@pytest.mark.parametrize(("prompt", "expected"), [
    ("the highest 2 fares", "SELECT * FROM cruises ORDER BY fare DESC LIMIT 2"),
    ("lowest 3 fares: cruise_id, fare", "SELECT cruise_id, fare FROM cruises ORDER BY fare LIMIT 3"),
])  # fmt: skip
def test_a_superlative_before_the_number_and_the_column_after(engine: Any, prompt: str, expected: str) -> None:
    check(engine, prompt, expected)


@pytest.mark.parametrize("prompt", ["the largest 2 cruises", "the highest 2 prices"])
def test_a_superlative_before_the_number_needs_one_column_after(engine: Any, prompt: str) -> None:
    """A table's name ("cruises") or a word no column has is no column to order by: refused, not guessed."""
    with pytest.raises(PlanError):
        plan(engine, prompt)


# -- "the N biggest <things> by <their measure>": one group per thing, ranked by the measure -----------------------

FLEET_SQL = """
CREATE TABLE ships (ship_id INTEGER PRIMARY KEY, ship_name VARCHAR);
INSERT INTO ships VALUES (1, 'Aurora'), (2, 'Borealis'), (3, 'Calypso');
CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, ship_id INTEGER REFERENCES ships(ship_id), amount DECIMAL(8,2));
INSERT INTO bookings VALUES (1, 1, 100), (2, 1, 100), (3, 1, 100), (4, 2, 250), (5, 2, 250), (6, 3, 90),
  (7, 3, 80), (8, 3, 70), (9, 3, 60);
"""


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "topn_fleet", FLEET_SQL)


@pytest.mark.parametrize("prompt", [
    "the 2 biggest ships by total booking amount: ship_id, total",
    "two largest ships by revenue (sum of amount across bookings): ship_id, revenue",
    "Which are our 2 biggest ships by the sum of their booking amounts? ship_id, total",
])  # fmt: skip
def test_the_n_biggest_things_by_a_measure_are_groups(fleet: Any, prompt: str) -> None:
    """The things after the number and the superlative are the groups; the words before a bracketed sum that
    would name the summed column ("revenue" for the amount) name the sum — never a grouping by the amount."""
    spec = check(fleet, prompt, "SELECT ship_id, sum(amount) FROM bookings GROUP BY 1 ORDER BY 2 DESC LIMIT 2")
    assert [g.split(".")[-1] for g in spec.group_by] == ["ship_id"]


SHOP_SQL = """
CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name VARCHAR, unit_price DECIMAL(8,2));
INSERT INTO products VALUES (1, 'pen', 9.0), (2, 'ink', 1.0), (3, 'pad', 5.0);
CREATE TABLE order_lines (line_id INTEGER PRIMARY KEY, product_id INTEGER REFERENCES products(product_id),
                          quantity INTEGER, state VARCHAR);
INSERT INTO order_lines VALUES (1, 1, 1, 'shipped'), (2, 2, 5, 'shipped'), (3, 2, 5, 'returned'), (4, 3, 4, 'shipped'),
  (5, 3, 2, 'shipped'), (6, 1, 1, 'returned');
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "topn_shop", SHOP_SQL)


@pytest.mark.parametrize("prompt", ["Top 2 products by units sold: product_id, units",
                                    "the 2 biggest products by quantity: product_id, units"])
def test_ranked_by_a_quantity_of_their_rows_sums_it(shop: Any, prompt: str) -> None:
    """"units" is the order lines' quantity, added up per product — never the products' unit_price (a weak
    match of the ranked table's own, which ordered the products by price: a wrong table)."""
    check(shop, prompt, "SELECT product_id, sum(quantity) FROM order_lines GROUP BY 1 ORDER BY 2 DESC LIMIT 2",
          ["product_id", "units"])  # fmt: skip


def test_the_rows_own_quantity_orders_them(shop: Any) -> None:
    check(shop, "the 2 biggest individual order lines by quantity",
          "SELECT * FROM order_lines ORDER BY quantity DESC LIMIT 2")


@pytest.mark.parametrize(("prompt", "expected"), [
    ("Best 2 ships by total booking amount: ship_id, total",
     "SELECT ship_id, sum(amount) FROM bookings GROUP BY 1 ORDER BY 2 DESC LIMIT 2"),
    ("worst 2 ships by total booking amount: ship_id, total",
     "SELECT ship_id, sum(amount) FROM bookings GROUP BY 1 ORDER BY 2 LIMIT 2"),
])  # fmt: skip
def test_best_and_worst_n_by_a_measure(fleet: Any, prompt: str, expected: str) -> None:
    check(fleet, prompt, expected)


def test_best_n_without_a_measure_is_refused(engine: Any) -> None:
    """No column is "best": the best 2 cruises by what is not said."""
    with pytest.raises(PlanError):
        plan(engine, "the best 2 cruises")


@pytest.mark.parametrize("prompt", [
    "products whose total quantity sold is more than 6: product_id, units",
    "the products whose total quantity sold across all order lines is more than 6: product_id, units",
])  # fmt: skip
def test_a_measure_then_a_participle_then_its_comparison(shop: Any, prompt: str) -> None:
    """"total quantity sold is more than 6": the comparison is the measure's (per product) — it had been read as
    each product's unit_price over 6, beside a grand total."""
    check(shop, prompt, "SELECT product_id, sum(quantity) FROM order_lines GROUP BY 1 HAVING sum(quantity) > 6",
          ["product_id", "units"])  # fmt: skip


def test_a_table_between_a_measure_and_its_comparison_is_no_row_condition(shop: Any) -> None:
    """"total quantity over big order lines is more than 6": the words between are not all the rows' table, and
    the comparison after them is never a row's value (it was unit_price > 6)."""
    with pytest.raises(PlanError):
        plan(shop, "products whose total quantity over shipped order lines is more than 6")


def test_a_measure_named_when_said_again(shop: Any) -> None:
    """The same sum said twice, named the second time ("with that total quantity as units_sold"): one sum, so
    named (a name written as an identifier)."""
    check(shop, "product_ids whose total quantity is more than 6, with that total quantity as units_sold",
          "SELECT product_id, sum(quantity) FROM order_lines GROUP BY 1 HAVING sum(quantity) > 6",
          ["product_id", "units_sold"])  # fmt: skip


def test_a_verb_naming_the_rows_counted_n_times(fleet: Any) -> None:
    """"ships booked 3 or more times": the verb names the rows counted (the bookings), per ship."""
    check(fleet, "Which ships were booked 3 or more times? ship_id, trips",
          "SELECT ship_id, count(*) FROM bookings GROUP BY 1 HAVING count(*) >= 3", ["ship_id", "trips"])
