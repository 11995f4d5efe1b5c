"""An output list that names a value the request computes but describes in words elsewhere ("shop_id,
total_taken" for the sum the question asks about, "issued_on, invoices, rolling_3" for a daily count and
its moving average, "the count in invoices_issued").

A name binds to a computed value only when exactly one fits it: by its words (a kind such as "n", "total",
"avg", "ma"; a column the value is computed over; the rows a count counts), or as the only value left.
When two values could fit a name, or a name's words say a value the request does not compute, the plan
is refused. Every request runs end to end on a small shop and library warehouse built here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

SHOP_SQL = """
CREATE TABLE shops (shop_id INTEGER PRIMARY KEY, shop_name VARCHAR, city VARCHAR);
INSERT INTO shops VALUES (1, 'Corner', 'Leeds'), (2, 'Quay', 'Hull'), (3, 'Arcade', 'Leeds');
CREATE TABLE invoices (invoice_id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shops(shop_id), issued_on DATE,
  amount DECIMAL(10,2), status VARCHAR);
INSERT INTO invoices VALUES
  (1, 1, '2024-01-03', 700, 'paid'), (2, 1, '2024-01-03', 500, 'paid'), (3, 1, '2024-02-10', 90, 'open'),
  (4, 2, '2024-01-04', 300, 'paid'), (5, 2, '2025-03-01', 200, 'open'), (6, 3, '2025-03-02', 1500, 'paid'),
  (7, 3, '2025-03-02', 40, 'void'), (8, 1, '2025-04-05', 60, 'paid');
CREATE TABLE members (member_id INTEGER PRIMARY KEY, member_name VARCHAR, joined_on DATE);
INSERT INTO members VALUES (1, 'Ada', '2024-05-01'), (2, 'Ben', '2025-02-01'), (3, 'Cy', '2025-03-09');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), lent_on DATE,
  fine DECIMAL(6,2));
INSERT INTO loans VALUES (1, 1, '2025-01-02', NULL), (2, 2, '2025-02-03', 1.5), (3, 2, '2025-03-04', 0),
  (4, 3, '2025-03-10', 2), (5, 2, '2025-04-01', NULL);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, visited_at TIMESTAMP, pages INTEGER);
INSERT INTO visits VALUES (1, '2025-01-01 10:00', 3), (2, '2025-01-01 18:30', 1), (3, '2025-01-02 09:00', 4),
  (4, '2025-01-04 12:00', 2);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "shop_names", SHOP_SQL)


# -- a name in the list for a value described elsewhere ------------------------------------------------


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    # the one value the request computes, under the name the list gives it
    ("shop_id with a total amount over 1000 on paid invoices - shop_id, total_taken",
     "SELECT shop_id, sum(amount) FROM invoices WHERE status = 'paid' GROUP BY 1 HAVING sum(amount) > 1000",
     ["shop_id", "total_taken"]),
    # two values: "n" says the count, the other name takes the value left
    ("the number of invoices and their average amount per shop_id: shop_id, invoices_n, typical_amount",
     "SELECT shop_id, count(*), avg(amount) FROM invoices GROUP BY 1", ["shop_id", "invoices_n", "typical_amount"]),
    # plain words: the column the sum is of ("fines"), the rows the count counts ("loans")
    ("the number of loans and the total fine per member_id: member_id, fines, loans",
     "SELECT member_id, sum(fine), count(*) FROM loans GROUP BY 1", ["member_id", "fines", "loans"]),
    # "total" says a sum here (it names the amount), "biggest" the maximum
    ("the total amount and the largest amount of invoices per shop_id: shop_id, amount_total, biggest",
     "SELECT shop_id, sum(amount), max(amount) FROM invoices GROUP BY 1", ["shop_id", "amount_total", "biggest"]),
    # a period key the grouping made ("per year" → year), named in a list that starts with it
    ("invoices per year of issued_on: yr, n",
     "SELECT year(issued_on), count(*) FROM invoices GROUP BY 1", ["yr", "n"]),
])  # fmt: skip
def test_a_listed_name_for_a_value_described_elsewhere(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


def test_the_grouped_rows_own_columns_beside_a_count_per_key(engine: Any) -> None:
    """Grouped per loans.member_id, which joins members on their key: a member's own column is one per group."""
    check(engine, "Members who joined in 2025: how many loans did each member have? member_id, joined_on, loans_taken",
          "SELECT l.member_id, m.joined_on, count(*) FROM loans l JOIN members m ON l.member_id = m.member_id "
          "WHERE m.joined_on >= DATE '2025-01-01' AND m.joined_on < DATE '2026-01-01' GROUP BY 1, 2",
          ["member_id", "joined_on", "loans_taken"])  # fmt: skip


def test_a_daily_series_listed_by_its_date_column_with_a_moving_average(engine: Any) -> None:
    """"Daily" groups by the day of issued_on, which for a DATE column is the date itself: listed as issued_on."""
    check(engine, "Daily invoice counts with a 3-day moving average: issued_on, invoices, rolling_3",
          "SELECT issued_on, n, avg(n) OVER (ORDER BY issued_on ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) "
          "FROM (SELECT issued_on, count(*) AS n FROM invoices GROUP BY 1)",
          ["issued_on", "invoices", "rolling_3"])  # fmt: skip


def test_a_timestamp_is_not_its_day(engine: Any) -> None:
    """The day of a timestamp is not the timestamp: listing visited_at in a daily series is refused."""
    with pytest.raises(PlanError, match="visited_at"):
        plan(engine, "Daily visit counts with a 2-day moving average: visited_at, visits, ma_2d")


@pytest.mark.parametrize(("prompt", "sql", "cols"), [
    ("number of invoices per month of issued_on: the month and the count in invoices_issued",
     "SELECT CAST(date_trunc('month', issued_on) AS DATE), count(*) FROM invoices GROUP BY 1",
     ["month", "invoices_issued"]),
    ("total invoice amount per shop_id: shop_id and the total in takings",
     "SELECT shop_id, sum(amount) FROM invoices GROUP BY 1", ["shop_id", "takings"]),
])  # fmt: skip
def test_a_value_put_in_a_named_column(engine: Any, prompt: str, sql: str, cols: list[str]) -> None:
    check(engine, prompt, sql, cols)


# -- refused: two values could fit, or the name's words say a value the request does not compute ---------


@pytest.mark.parametrize(("prompt", "match"), [
    ("the total amount and the largest amount of invoices per shop_id: shop_id, amt_a, amt_b", "could be any of"),
    ("number each shop's invoices in date order: invoice_id, seq_a, seq_b", "two names"),
    ("the average amount of invoices per shop_id: shop_id, how_many", "does not fit avg_amount"),
    ("the total amount and the largest amount of invoices per shop_id: shop_id, lo, hi", "total_amount"),
    ("total invoice amount per shop_id: shop_id and the total in euros", "euros"),
    ("the average amount of invoices per shop_id, as n_invoices", "n_invoices"),
])  # fmt: skip
def test_a_name_no_single_value_fits_is_refused(engine: Any, prompt: str, match: str) -> None:
    with pytest.raises(PlanError, match=match):
        plan(engine, prompt)
