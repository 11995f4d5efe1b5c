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


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator:  # type: ignore[type-arg]
    import duckdb

    from datamorph.engines import connect

    path = tmp_path_factory.mktemp("bool2") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""
        CREATE TABLE tenants (tenant_id INTEGER PRIMARY KEY, label VARCHAR, signup_channel VARCHAR,
                              phone_confirmed BOOLEAN);
        INSERT INTO tenants VALUES (1, 'a', 'phone', TRUE), (2, 'b', 'phone', FALSE), (3, 'c', 'web', TRUE),
                                   (4, 'd', 'web', FALSE), (5, 'e', 'fair', NULL);
    """)
    con.close()
    with connect(str(path), read_only=True) as e:
        yield e


@pytest.mark.parametrize(("prompt", "ids"), [
    # the participle before the rest of the column's name, with a possessive or article between: one test of
    # the column (never also the channel value 'phone'), negated by the words before the participle
    ("tenants who never confirmed their phone: tenant_id", [2, 4]),
    ("tenants who have not confirmed their phone: tenant_id", [2, 4]),
    ("tenants who confirmed their phone: tenant_id", [1, 3]),
    ("tenants that confirmed the phone: tenant_id", [1, 3]),
])
def test_participle_before_the_rest_of_the_name(tenants, prompt: str, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    assert _ids(tenants, prompt) == ids
