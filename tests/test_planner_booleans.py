"""Boolean columns named in words are one test of the column, never a data value as well."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datamorph.compiler import compile_spec
from datamorph.planner import plan_request


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    import duckdb

    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("bool") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE users (user_id INTEGER PRIMARY KEY, username VARCHAR, referral_source VARCHAR,
                            email_verified BOOLEAN);
        INSERT INTO users VALUES (1, 'ann', 'email', TRUE), (2, 'bob', 'email', FALSE), (3, 'cy', 'social', TRUE),
                                 (4, 'di', 'partner', FALSE), (5, 'ed', 'social', NULL);
    """)
    con.close()
    with connect(str(path), read_only=True) as e:
        yield e


def _ids(engine, prompt: str) -> list[int]:  # type: ignore[no-untyped-def]
    spec = plan_request(prompt, engine)
    sql = compile_spec(spec, engine.catalog()).sql("duckdb")
    return sorted(r[0] for r in engine.fetch(sql).rows)


@pytest.mark.parametrize(("prompt", "ids"), [
    ("Users whose email is verified: user_id and username only.", [1, 3]),
    ("users with a verified email: user_id", [1, 3]),
    ("Users whose email is not verified: user_id", [2, 4]),
    ("users without a verified email: user_id", [2, 4]),
    ("users who came through email referrals with a verified email: user_id", [1]),
])
def test_boolean_phrases(engine, prompt: str, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    assert _ids(engine, prompt) == ids
