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
