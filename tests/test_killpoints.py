"""Kill -9 at every step boundary and at random points, on DuckDB and PostgreSQL, and at the boundaries
around Spark's staging and publish on Spark (a bounded set;
``bench/killpoints.py`` runs the long version). See tests/killpoints.py for what each kill checks:
the target is exactly the old or the new version, the sources are unchanged, the run store is
intact, no run is left ``running`` and no staging table is left after the next command, and the
resumed (or a new) run completes with the new version."""

from __future__ import annotations

from typing import Any

import pytest
from tests.killpoints import BOUNDARIES, KillHarness, build_duckdb, build_postgres, build_spark, summary


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


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> KillHarness:
    work = tmp_path_factory.mktemp("kill_spark")
    harness = KillHarness(build_spark(work), work, seed=13, timeout=900)
    harness.prepare()
    return harness


# each Spark run starts a JVM: the bounded set kills where a staging table exists (validate:start) and inside
# the publish transaction; bench/killpoints.py --engine spark kills at every boundary and at random points
SPARK_POINTS = ("validate:start", "publish:commit")


def _check(harness: KillHarness, point: str | None, recover: str = "resume") -> None:
    c = harness.cycle(point, recover=recover)
    if point is not None:
        assert c.killed, c.describe()
    assert c.clean, c.describe()
    assert summary([c]).endswith("stuck: 0, orphans: 0")


@pytest.mark.parametrize("point", BOUNDARIES)
def test_duckdb_kill_at_step_boundary(duck: KillHarness, point: str) -> None:
    _check(duck, point)


@pytest.mark.parametrize("point", BOUNDARIES)
def test_postgres_kill_at_step_boundary(pg: KillHarness, point: str) -> None:
    _check(pg, point)


@pytest.mark.parametrize("i", range(2))
def test_duckdb_kill_at_a_random_point(duck: KillHarness, i: int) -> None:
    _check(duck, None, recover="run" if i else "resume")


def test_postgres_kill_at_a_random_point(pg: KillHarness) -> None:
    _check(pg, None)


@pytest.mark.xdist_group("spark")
@pytest.mark.parametrize("point", SPARK_POINTS)
def test_spark_kill_at_step_boundary(spark: KillHarness, point: str) -> None:
    _check(spark, point)
