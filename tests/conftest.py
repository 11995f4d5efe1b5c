"""Shared fixtures: a small hand-made DuckDB warehouse whose every row is known."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def build_fixture_warehouse(path: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute((FIXTURES / "warehouse.sql").read_text())
    finally:
        con.close()
    return path


@pytest.fixture(scope="session")
def pristine_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fixture_warehouse(tmp_path_factory.mktemp("pristine") / "fixture.duckdb")


@pytest.fixture
def fixture_warehouse(pristine_warehouse: Path, tmp_path: Path) -> Path:
    """A fresh copy of the fixture warehouse for one test (safe to write)."""
    dst = tmp_path / "warehouse.duckdb"
    shutil.copy(pristine_warehouse, dst)
    return dst


@pytest.fixture(scope="session")
def fixture_catalog(pristine_warehouse: Path):  # type: ignore[no-untyped-def]
    from datamorph.engines import connect

    with connect(str(pristine_warehouse), read_only=True) as engine:
        return engine.catalog()


@pytest.fixture
def dm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated DATAMORPH_HOME (run store and artifacts) for one test."""
    home = tmp_path / "dm-home"
    monkeypatch.setenv("DATAMORPH_HOME", str(home))
    monkeypatch.delenv("DATAMORPH_WAREHOUSE", raising=False)
    return home


# -- PostgreSQL: one throw-away server for the whole session (see tests/pg.py) ----------------


@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    """A running PostgreSQL server (skipped without binaries, but a FAILURE when ``CI`` is set)."""
    import os

    from tests.pg import PgUnavailable, start_server

    try:
        import psycopg  # noqa: F401
    except ImportError as e:
        reason = f'psycopg is not installed (pip install -e ".[test]"): {e}'
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    try:
        server = start_server()
    except PgUnavailable as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {e}", pytrace=False)
        pytest.skip(str(e))
    yield server
    server.stop()


_PG_DB_COUNTER = iter(range(1, 1_000_000))


@pytest.fixture
def pg_database(pg_server):  # type: ignore[no-untyped-def]
    """A fresh, empty database for one test: yields (server, name, url); dropped afterwards."""
    name = f"dm_test_{next(_PG_DB_COUNTER)}"
    url = pg_server.create_database(name)
    yield pg_server, name, url
    pg_server.drop_database(name)
