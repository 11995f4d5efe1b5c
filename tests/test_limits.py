"""Per-run limits: DATAMORPH_RUN_TIMEOUT stops a run that takes too long, DATAMORPH_MEMORY_LIMIT one that
needs too much memory. Either way the run fails naming the limit, nothing is published, the staging
table is gone and the run is recorded failed. No timing is asserted: only that the run failed cleanly."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import fingerprint, result_json, run_cli

from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.errors import ConfigError
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.spec import load_spec

TARGET = "pairs"
# Every row of a has the same k as every row of b: the join is a cross join of 200,000 x 200,000 rows.
SLOW = {"source_tables": [{"table_name": "a", "alias": "a"}, {"table_name": "b", "alias": "b"}],
        "join_conditions": [{"left_table": "a", "right_table": "b", "on_columns": ["k"]}],
        "aggregations": [{"function": "count", "alias": "n"}], "target_table": TARGET}  # fmt: skip
FAST = {"source_tables": ["a"], "group_by": ["k"], "aggregations": [{"function": "count", "alias": "n"}],
        "target_table": TARGET}  # fmt: skip
# string_agg builds one string per group in memory (it cannot spill to disk): ~60 MB for 300,000 rows.
HUNGRY = {"source_tables": ["big"], "group_by": ["g"], "aggregations": [{"function": "count", "alias": "n"}],
          "derived_columns": [{"name": "total_length", "expression": "length(string_agg(txt, ','))"}],
          "target_table": TARGET}  # fmt: skip


def _staging_tables(warehouse: Path) -> int:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'datamorph_staging'").fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    import duckdb

    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE a AS SELECT i AS id, 1 AS k FROM range(200000) t(i)")
    con.execute("CREATE TABLE b AS SELECT i AS id, 1 AS k FROM range(200000) t(i)")
    con.execute("CREATE TABLE big AS SELECT i AS id, i % 10 AS g, repeat(chr((65 + i % 26)::INTEGER), 200) AS txt "
                "FROM range(300000) t(i)")  # fmt: skip
    con.close()
    return path


def _assert_failed_cleanly(orch: Orchestrator, res: dict[str, Any], setting: str, step: str) -> None:
    """The limit is named and nothing was published. A timeout of one second may also run out before the
    slow step on a loaded machine, so for the timeout any step before publish is accepted ("*")."""
    body = res["body"]
    assert res["statusCode"] == 500 and body["error_type"] == "LimitExceeded", body.get("message")
    assert f"run exceeded {setting}" in body["message"]
    if step == "*":
        assert body["failed_step"] in {"plan", "read_sources", "compile", "stage", "validate"}, body["failed_step"]
        step = body["failed_step"]
    assert f"in step {step}" in body["message"]
    assert "nothing was published" in body["message"] and body["failed_step"] == step
    assert body["remediation_iterations"] == 0  # a limit is not a spec to repair
    run = orch.store.get_run(body["run_id"])
    assert run["status"] == "failed" and run["error_type"] == "LimitExceeded"


def test_run_timeout_stops_a_slow_run_on_duckdb(warehouse: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = Orchestrator(Settings(home=home)).run(RunRequest(warehouse=str(warehouse), spec=load_spec(FAST)))
    assert first["statusCode"] == 200
    before = fingerprint(warehouse)
    orch = Orchestrator(Settings(home=home, run_timeout=1))
    res = orch.run(RunRequest(warehouse=str(warehouse), spec=load_spec(SLOW)))
    _assert_failed_cleanly(orch, res, "DATAMORPH_RUN_TIMEOUT (1 s)", "*")
    assert fingerprint(warehouse) == before  # the old target, untouched
    assert _staging_tables(warehouse) == 0
    with connect(str(warehouse)) as eng:  # the warehouse is usable afterwards
        assert eng.scalar(f"SELECT count(*) FROM {TARGET}") == 1


def test_run_timeout_from_the_environment_through_the_cli(warehouse: Path, tmp_path: Path) -> None:
    spec = tmp_path / "slow.json"
    spec.write_text(load_spec(SLOW).to_json())
    proc = run_cli("run", "--spec", str(spec), "-w", str(warehouse), "--json", home=tmp_path / "home",
                   env={"DATAMORPH_RUN_TIMEOUT": "1"})  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    body = result_json(proc)["body"]
    assert body["error_type"] == "LimitExceeded"
    assert re.search(r"run exceeded DATAMORPH_RUN_TIMEOUT \(1 s\) in step (read_sources|compile|stage|validate); "
                     r"nothing was published", body["message"]), body["message"]
    assert _staging_tables(warehouse) == 0
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [TARGET]).fetchone()[0] == 0
    con.close()


def test_memory_limit_stops_a_memory_hungry_run_on_duckdb(warehouse: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = Orchestrator(Settings(home=home)).run(RunRequest(warehouse=str(warehouse), spec=load_spec(FAST)))
    assert first["statusCode"] == 200
    before = fingerprint(warehouse)
    orch = Orchestrator(Settings(home=home, memory_limit="40MB"))
    res = orch.run(RunRequest(warehouse=str(warehouse), spec=load_spec(HUNGRY)))
    _assert_failed_cleanly(orch, res, "DATAMORPH_MEMORY_LIMIT (40MB)", "stage")
    assert "Out of Memory" in res["body"]["message"]
    assert fingerprint(warehouse) == before
    assert _staging_tables(warehouse) == 0
    logs = orch.store.logs(res["body"]["run_id"])
    assert any(e["title"] == "Memory limit" and "40MB" in e["description"] for e in logs)


@pytest.mark.parametrize(("value", "ok"), [("2GB", True), ("512 mb", True), ("1.5GiB", True), ("lots", False),
                                           ("2", False)])  # fmt: skip
def test_memory_limit_setting_is_a_size(value: str, ok: bool) -> None:
    if ok:
        assert Settings.from_env({"DATAMORPH_MEMORY_LIMIT": value}).memory_limit == value.replace(" ", "").upper()
    else:
        with pytest.raises(ConfigError, match="DATAMORPH_MEMORY_LIMIT.*write it like 2GB"):
            Settings.from_env({"DATAMORPH_MEMORY_LIMIT": value})


def test_run_timeout_stops_a_slow_run_on_postgres(pg_database: Any, tmp_path: Path) -> None:
    _server, _name, url = pg_database
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for t in ("a", "b"):
            con.execute(f"CREATE TABLE {t} AS SELECT i AS id, 1 AS k FROM generate_series(1, 200000) AS s(i)".encode())
        con.execute("ANALYZE")
    home = tmp_path / "home"
    assert Orchestrator(Settings(home=home)).run(RunRequest(warehouse=url, spec=load_spec(FAST)))["statusCode"] == 200
    orch = Orchestrator(Settings(home=home, run_timeout=1, memory_limit="1GB"))
    res = orch.run(RunRequest(warehouse=url, spec=load_spec(SLOW)))
    _assert_failed_cleanly(orch, res, "DATAMORPH_RUN_TIMEOUT (1 s)", "*")
    with connect(url) as eng:
        assert eng.scalar(f"SELECT n FROM {TARGET}") == 200000  # the old target
        assert eng.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'datamorph_staging'") == 0
        assert eng.scalar("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE TABLE%datamorph_staging%' "
                          "AND state = 'active'") == 0  # the server stopped the statement too  # fmt: skip
    logs = orch.store.logs(res["body"]["run_id"])
    assert any(e["title"] == "Memory limit not applied" for e in logs)  # DuckDB only, and the log says so
