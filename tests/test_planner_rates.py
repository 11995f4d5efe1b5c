"""Rates named by the state they count ("no-show rate per hotel", "cancellation percentage by hotel"), conditions
on a rate ("hotels whose cancellation rate is above 20%"), and a measure per row of a table in groups ("price per
guest by country"), on a small hotel warehouse (bookings, guests, and tours that can be cancelled too)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.planner_support import check, plan, sql_engine

from datamorph.errors import PlanError

HOTEL_SQL = """
CREATE TABLE guests (guest_id INTEGER PRIMARY KEY, full_name VARCHAR, country VARCHAR);
INSERT INTO guests SELECT i, 'guest ' || i, ['NL', 'DE', 'FR'][1 + i % 3] FROM range(1, 31) t(i);
CREATE TABLE bookings (booking_id INTEGER PRIMARY KEY, guest_id INTEGER REFERENCES guests (guest_id),
                       hotel VARCHAR, status VARCHAR, nights INTEGER, price DECIMAL(8, 2));
INSERT INTO bookings SELECT i, 1 + (i * 7) % 30, ['harbour', 'old town', 'airport'][1 + i % 3],
  ['confirmed', 'cancelled', 'no_show', 'confirmed', 'confirmed'][1 + (i * 3) % 5], 1 + i % 6,
  (40 + (i * 13) % 90)::DECIMAL(8, 2) FROM range(1, 301) t(i);
CREATE TABLE tours (tour_id INTEGER PRIMARY KEY, guide VARCHAR, status VARCHAR);
INSERT INTO tours SELECT i, ['ann', 'bo'][1 + i % 2], ['held', 'cancelled'][1 + i % 2] FROM range(1, 21) t(i);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "hotels", HOTEL_SQL)


def _rate(value: str, scale: str = "1.0", having: str = "") -> str:
    expr = f"{scale} * count(CASE WHEN status = '{value}' THEN 1 END) / nullif(count(*), 0)"
    return f"SELECT hotel, {expr} FROM bookings GROUP BY 1 {having and f'HAVING {expr} {having}'}"


READINGS = [
    ("no-show rate per hotel, as a fraction", _rate("no_show")),  # a rate says its scale: here a fraction
    ("the cancellation percentage by hotel", _rate("cancelled", "100.0")),  # "cancellation": cancelled
    ("for each hotel, the cancellation rate as a percentage", _rate("cancelled", "100.0")),
    ("what fraction of bookings end up as no-shows, per hotel", _rate("no_show")),
    ("hotels whose cancellation rate is at least 20%", _rate("cancelled", "100.0", having=">= 20")),  # in percent
    ("hotels with a no-show rate under 0.25", _rate("no_show", having="< 0.25")),
    ("hotels whose cancellation percentage is at least 15", _rate("cancelled", "100.0", ">= 15")),
    ("total price per guest by country",
     "SELECT g.country, 1.0 * sum(b.price) / nullif(count(DISTINCT b.guest_id), 0) FROM bookings b "
     "JOIN guests g USING (guest_id) GROUP BY 1"),
    ("bookings per guest for each country",
     "SELECT g.country, 1.0 * count(*) / nullif(count(DISTINCT b.guest_id), 0) FROM bookings b "
     "JOIN guests g USING (guest_id) GROUP BY 1"),
    ("total nights per booking by hotel", "SELECT hotel, 1.0 * sum(nights) / nullif(count(*), 0) FROM bookings GROUP BY 1"),
]  # fmt: skip


@pytest.mark.parametrize(("prompt", "sql"), READINGS, ids=lambda v: str(v)[:60])
def test_rate_readings(engine: Any, prompt: str, sql: str) -> None:
    check(engine, prompt, sql)


def test_a_rate_is_named_by_its_words(engine: Any) -> None:
    spec = plan(engine, "no-show rate per hotel, as a fraction")
    assert [d.name for d in spec.derived_columns] == ["no_show_rate"] and spec.group_by == ["bookings.hotel"]


REFUSED = [
    "no-show rate per hotel",  # a "rate" that says no scale: a fraction or a percentage?
    "hotels whose no-show rate is above 20",  # 20 of a fraction: 20% or 0.2?
    "cancellation rate",  # bookings or tours: the value is in both, nothing else says which rows
]


@pytest.mark.parametrize("prompt", REFUSED)
def test_unclear_rates_refuse(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)
