"""Apache Spark on a real local SparkSession (one per test process): what the engine contract
(``test_engines.py``) does not cover — the ``spark://`` address and settings, the catalog that survives
the process (the CLI in fresh processes), the pipeline end to end (golden specs, validation on every
row, the differential check through Arrow, repairs, publish, rollback) and versions on disk.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import result_json, run_cli

from datamorph.compiler import compile_spec
from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.errors import ConfigError, WarehouseNotFound
from datamorph.orchestrator import STEPS, Orchestrator, RunRequest, Step, _compile
from datamorph.spec import load_spec
from datamorph.validation import validate
from datamorph.validation.differential import TEST_ID, differential_test

pytestmark = pytest.mark.xdist_group("spark")

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": "customer_order_summary",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"}],
    "having": [{"column": "total_amount", "operator": ">", "value": 1000}],
}


@pytest.fixture
def spark_url(pristine_warehouse: Path, tmp_path: Path) -> str:
    """A fresh Spark warehouse folder holding the fixture warehouse (tests/fixtures/warehouse.sql)."""
    from datamorph.engines.spark import SparkEngine, load_duckdb_tables

    address = f"spark://{tmp_path / 'spark_wh'}"
    with SparkEngine(address, create=True) as eng:
        load_duckdb_tables(eng, str(pristine_warehouse))
    return address


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
    def one(v: Any) -> str:
        return f"{float(v):.6g}" if isinstance(v, float | Decimal) else repr(v)

    return sorted(tuple(one(v) for v in r) for r in rows)


# -- the address ------------------------------------------------------------------------------------


def test_address_master_and_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from datamorph.engines.spark import parse_address, spark_conf

    assert parse_address("spark:///data/wh") == ("local[*]", Path("/data/wh"))
    assert parse_address("spark://10.0.0.5:7077/shared/wh") == ("spark://10.0.0.5:7077", Path("/shared/wh"))
    monkeypatch.setenv("DATAMORPH_SPARK_MASTER", "local[2]")
    assert parse_address("spark:///data/wh")[0] == "local[2]"
    with pytest.raises(ConfigError):
        parse_address("spark://relative")
    assert spark_conf({"DATAMORPH_SPARK_CONF_SPARK_EXECUTOR_MEMORY": "2g",
                       "DATAMORPH_SPARK_CONF_1": "spark.driver.extraJavaOptions=-Xss4m", "OTHER": "x"}) == {
        "spark.executor.memory": "2g", "spark.driver.extraJavaOptions": "-Xss4m"}  # fmt: skip
    with pytest.raises(WarehouseNotFound) as err:
        connect(f"spark://{tmp_path / 'nothing'}")
    assert "datamorph load" in (err.value.hint or "")
    assert not (tmp_path / "nothing").exists()


def test_cli_load_tables_schema_and_a_catalog_that_survives_the_process(tmp_path: Path) -> None:
    csv = tmp_path / "scores.csv"
    csv.write_text("id,label,score\n1,a,2.5\n2,b,5.0\n3,c,7.5\n")
    address = f"spark://{tmp_path / 'new_wh'}"
    home = tmp_path / "home"
    loaded = run_cli("load", str(csv), "--warehouse", address, "--json", home=home, timeout=300)
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert result_json(loaded)["tables"] == [{"table": "scores", "rows": 3, "columns": 3}]
    again = run_cli("load", str(csv), "--warehouse", address, home=home, timeout=300)
    assert again.returncode != 0 and "already has a table" in again.stdout + again.stderr
    tables = run_cli("tables", "--warehouse", address, "--json", home=home, timeout=300)  # another process
    assert tables.returncode == 0, tables.stderr[-2000:]
    assert "scores" in tables.stdout
    with connect(address) as eng:
        info = eng.catalog().table("scores")
        assert (info.row_count, [(c.name, c.family) for c in info.columns]) == (
            3, [("id", "integer"), ("label", "text"), ("score", "float")])  # the types DuckDB's sniffer reads
        assert eng.fetch("SELECT label FROM scores WHERE score > ? ORDER BY id", [3]).rows == [("b",), ("c",)]


# -- the pipeline ------------------------------------------------------------------------------------

GOLDEN_CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))


@pytest.mark.parametrize("name", GOLDEN_CASES[::3])
def test_golden_specs_stage_validate_and_match_duckdb(name: str, spark_url: str, pristine_warehouse: Path) -> None:
    """Golden specs (every third: each Spark query takes a while) compiled for Spark, staged and validated
    there on every row, give DuckDB's rows."""
    spec = load_spec(json.loads((GOLDEN / f"{name}.json").read_text()))
    with connect(str(pristine_warehouse), read_only=True) as duck:
        expected = duck.fetch(compile_spec(spec, duck.catalog()).sql("duckdb")).rows
    with connect(spark_url) as eng:
        compiled = compile_spec(spec, eng.catalog())
        staged = eng.stage(compiled.sql("spark"), "golden_out", "r1")
        report = validate(eng, compiled, staged)
        bad = [(t.test_id, t.message) for t in report.tests if t.status in ("fail", "error")]
        assert not bad, bad
        assert any(t.test_id == TEST_ID and t.status == "pass" for t in report.tests) or spec.union is not None
        rows = eng.fetch(f"SELECT * FROM {staged}").rows
    assert _norm(rows) == _norm(expected)


def test_differential_check_reads_through_arrow_and_catches_a_fault(spark_url: str) -> None:
    spec = load_spec(EXAMPLE)
    with connect(spark_url) as eng:
        catalog = eng.catalog()
        compiled = compile_spec(spec, catalog)
        staged = eng.stage(compiled.sql("spark"), "diff_out", "r1")
        t = differential_test(eng, spec, catalog, staged)
        assert (t.test_id, t.status) == (TEST_ID, "pass"), t.message
        assert eng.text_collations("customers") == {}
        # a planted fault: one customer missing from the staged result
        wrong = eng.stage(f"SELECT * FROM {staged} WHERE customer_id <> (SELECT min(customer_id) FROM {staged})",
                          "diff_out", "r2")  # fmt: skip
        assert differential_test(eng, spec, catalog, wrong).status == "fail"
        arrow = eng.read_arrow("customers", ["customer_id"], where_in=("customer_id", [1, 2, None]))
        assert sorted(arrow.column("customer_id").to_pylist()) == [1, 2]


def test_orchestrator_stage_validate_publish_rollback(spark_url: str, tmp_path: Path) -> None:
    from datamorph.engines.spark import SparkEngine

    orch = Orchestrator(Settings(home=tmp_path / "home", lock_timeout=10))
    first = orch.run(RunRequest(warehouse=spark_url, spec=load_spec(EXAMPLE)))
    assert first["statusCode"] == 200, first["body"].get("message")
    body = first["body"]
    assert body["validation_status"] == "pass" and body["previous_version"] is None
    assert [s["status"] for s in orch.store.steps(body["run_id"])] == ["ok"] * len(STEPS)
    spec2 = load_spec({**EXAMPLE, "having": [{"column": "total_amount", "operator": ">", "value": 0}]})
    second = orch.run(RunRequest(warehouse=spark_url, spec=spec2))
    assert second["statusCode"] == 200, second["body"].get("message")
    assert second["body"]["previous_version"].startswith("datamorph_history.")
    assert second["body"]["rows"] > body["rows"]
    with connect(spark_url) as eng:
        assert isinstance(eng, SparkEngine)
        assert eng.is_managed("customer_order_summary") and eng.staging_tables() == []
        # each version is its own Parquet folder; the target points at the newest, history at the one before
        target = eng.cat.find("default", "customer_order_summary")
        hist = eng.cat.find("datamorph_history", second["body"]["previous_version"].split(".")[1])
        assert target is not None and hist is not None and target.location != hist.location
        assert Path(target.location or "").is_dir() and Path(hist.location or "").is_dir()

    proc = run_cli("rollback", "customer_order_summary", "-w", spark_url, "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert result_json(proc)["restored_from"] == second["body"]["previous_version"]
    with connect(spark_url) as eng:
        assert eng.scalar("SELECT count(*) FROM customer_order_summary") == body["rows"]
        assert [v.run_id for v in eng.history("customer_order_summary")] == ["rollback", second["body"]["run_id"]]
        # pruning never deletes the folder the target reads
        dropped = eng.prune_history(keep=0)
        assert dropped and eng.scalar("SELECT count(*) FROM customer_order_summary") == body["rows"]


def _wrong_compile(o: Any, ctx: Any) -> str:
    desc = _compile(o, ctx)
    ctx.compiled.query.set("having", None)  # a compiler fault: the HAVING clause is lost
    ctx.sql = ctx.compiled.sql("spark")
    return desc


def test_a_wrong_result_is_never_published(spark_url: str, tmp_path: Path) -> None:
    good = Orchestrator(Settings(home=tmp_path / "home"))
    assert good.run(RunRequest(warehouse=spark_url, spec=load_spec(EXAMPLE)))["statusCode"] == 200
    with connect(spark_url) as eng:
        before = _norm(eng.fetch("SELECT * FROM customer_order_summary").rows)
    steps = tuple(Step(s.name, s.title, _wrong_compile) if s.name == "compile" else s for s in STEPS)
    faulty = Orchestrator(Settings(home=tmp_path / "home", max_remediation_iterations=0), steps=steps)
    res = faulty.run(RunRequest(warehouse=spark_url, spec=load_spec(EXAMPLE)))
    assert res["statusCode"] == 500
    assert res["body"]["failed_step"] == "validate"
    with connect(spark_url) as eng:
        assert _norm(eng.fetch("SELECT * FROM customer_order_summary").rows) == before
        assert eng.staging_tables() == []


def test_the_same_repair_on_spark(spark_url: str, pristine_warehouse: Path, tmp_path: Path) -> None:
    """A join on the wrong columns (no key overlaps) is repaired as on DuckDB, into DuckDB's table."""
    from tests.test_remediation import FAULTS

    label, spec, expected_sql, setup, kind = next(f for f in FAULTS if f[0] == "join_key_no_overlap")
    assert setup == []
    res = Orchestrator(Settings(home=tmp_path / "home", lock_timeout=10)).run(
        RunRequest(warehouse=spark_url, spec=load_spec(spec)))
    body = res["body"]
    assert res["statusCode"] == 200, body["message"]
    assert body["remediation_status"] == "remediated" and body["remediations"][0]["kind"] == kind
    with connect(str(pristine_warehouse), read_only=True) as duck:
        expected = duck.fetch(expected_sql).rows
    with connect(spark_url) as eng:
        assert _norm(eng.fetch("SELECT * FROM t").rows) == _norm(expected)


def test_gc_deletes_only_old_folders_no_table_reads(spark_url: str) -> None:
    """A folder a kill left behind (no catalog entry) goes once it is old; young ones (a load writing) stay."""
    import os
    import time

    from datamorph.engines.spark import COMPACT_MIN_AGE_S, SparkEngine

    with connect(spark_url) as eng:
        assert isinstance(eng, SparkEngine)
        left = eng.folder / "data" / "left_by_a_kill"
        old, young = left / "r1_aaaa", left / "r2_bbbb"
        for d in (old, young):
            d.mkdir(parents=True)
            (d / "part-0.parquet").write_bytes(b"PAR1")
        past = time.time() - COMPACT_MIN_AGE_S - 60
        os.utime(old, (past, past))
        assert eng.compact() is True
        assert not old.exists() and young.exists()
        assert all(Path(o.location).exists() for o in eng.cat.objects() if o.location)
        assert eng.compact() is False  # nothing old is left
