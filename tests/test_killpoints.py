"""Kill -9 at every step boundary and at random points, on DuckDB and PostgreSQL (a bounded set;
``bench/killpoints.py`` runs the long version). See tests/killpoints.py for what each kill checks:
the target is exactly the old or the new version, the sources are unchanged, the run store is
intact, no run is left ``running`` and no staging table is left after the next command, and the
resumed (or a new) run completes with the new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.killpoints import BOUNDARIES, KillHarness, build_duckdb, build_postgres, summary

# PostgreSQL: the boundaries where the warehouse is written (the others are the same on both engines)
PG_BOUNDARIES = ("stage:start", "validate:start", "publish:start", "publish:commit", "publish:end")


@pytest.fixture(scope="module")
def duck(tmp_path_factory: pytest.TempPathFactory) -> KillHarness:
    work = tmp_path_factory.mktemp("kill_duckdb")
    harness = KillHarness(build_duckdb(work / "warehouse.duckdb"), work, seed=7)
    harness.prepare()
    return harness


@pytest.fixture(scope="module")
def pg(pg_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    work = tmp_path_factory.mktemp("kill_pg")
    url = pg_server.create_database("dm_killpoints")
    harness = KillHarness(build_postgres(url, work), work, seed=11)
    harness.prepare()
    yield harness
    pg_server.drop_database("dm_killpoints")


def _check(harness: KillHarness, point: str | None, recover: str = "resume") -> None:
    c = harness.cycle(point, recover=recover)
    if point is not None:
        assert c.killed, c.describe()
    assert c.clean, c.describe()
    assert summary([c]).endswith("stuck: 0, orphans: 0")


@pytest.mark.parametrize("point", BOUNDARIES)
def test_duckdb_kill_at_step_boundary(duck: KillHarness, point: str) -> None:
    _check(duck, point)


@pytest.mark.parametrize("point", PG_BOUNDARIES)
def test_postgres_kill_at_step_boundary(pg: KillHarness, point: str) -> None:
    _check(pg, point)


@pytest.mark.parametrize("i", range(2))
def test_duckdb_kill_at_a_random_point(duck: KillHarness, i: int) -> None:
    _check(duck, None, recover="run" if i else "resume")


def test_postgres_kill_at_a_random_point(pg: KillHarness) -> None:
    _check(pg, None)


def test_killed_run_is_resumed_as_one_run_with_one_log(duck: KillHarness, tmp_path: Path) -> None:
    """Killed in publish (before the commit): the resume publishes once, under the same run id."""
    import json

    new = "A" if duck.current() == "B" else "B"
    killed, run_id, problem = duck.start_and_kill(new, "publish:commit")
    assert killed and run_id and not problem
    proc = duck.cli("resume", run_id, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["body"]["run_id"] == run_id
    logs = json.loads(duck.cli("logs", run_id, "--json").stdout)["logs"]
    types = [e["type"] for e in logs]
    assert types[0] == "start" and types.count("start") == 1 and types[-1] == "success"
    assert "Run abandoned" in [e["title"] for e in logs]
    resumed = [e for e in logs if e["metadata"].get("resumed_from")]
    assert len(resumed) == 1 and resumed[0]["metadata"]["resumed_from"] == "publish"
    assert duck.checksum("kill_summary") == duck.expected[new]
