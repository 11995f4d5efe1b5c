"""Country names on columns of ISO 3166 codes (a shipping firm's tables): "ports in Norway" → country = 'NO'.

Once refused ("could not understand 'Norway'"). Names are added only where (nearly) every value of the column
is an upper-case code of two or three letters; a column of names keeps its own values.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.planner.values import country_names
from planner_support import check, sql_engine

SHIPPING_SQL = """
CREATE TABLE ports (port_id INTEGER PRIMARY KEY, port_name VARCHAR, country_code VARCHAR);
INSERT INTO ports VALUES (1, 'Bergen', 'NO'), (2, 'Oslo', 'NO'), (3, 'Rotterdam', 'NL'), (4, 'Felixstowe', 'GB'),
  (5, 'Cadiz', 'ES');
CREATE TABLE calls (call_id INTEGER PRIMARY KEY, port_id INTEGER REFERENCES ports(port_id), tonnage INTEGER);
INSERT INTO calls VALUES (1, 1, 100), (2, 2, 50), (3, 3, 70), (4, 4, 20), (5, 1, 10);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "shipping", SHIPPING_SQL)


@pytest.mark.parametrize(("prompt", "codes"), [
    ("ports in Norway", "'NO'"),
    ("ports in the Netherlands or Spain", "'NL', 'ES'"),
    ("ports in the United Kingdom", "'GB'"),
])  # fmt: skip
def test_a_country_name_finds_its_code(engine: Any, prompt: str, codes: str) -> None:
    check(engine, prompt, f"SELECT * FROM ports WHERE country_code IN ({codes})")


def test_a_country_name_on_joined_rows(engine: Any) -> None:
    check(engine, "total tonnage of calls at ports in Norway",
          "SELECT sum(tonnage) FROM calls JOIN ports USING (port_id) WHERE country_code = 'NO'")  # fmt: skip


def test_country_names_alone() -> None:
    assert "Norway" in country_names(["NO", "NL"])["NO"]
    assert "Germany" in country_names(["DEU", "FRA"])["DEU"]
    assert country_names(["Norway", "Spain"]) == {}  # names, not codes
    assert country_names(["XX", "QQ", "NO"]) == {}  # mostly not codes
    assert country_names(["ok", "no"]) == {}  # lower case: words, not codes
