"""The command line as a user runs it: real processes, real DuckDB files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.helpers import fingerprint, result_json, run_cli

EXAMPLE = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": {"name": "customer_order_summary"},
    "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "inner", "on_columns": ["customer_id"]}],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount", "group_by": ["c.customer_id"]}],
    "filters": [{"column": "total_amount", "operator": ">", "value": 1000}],
}


def _spec(tmp_path: Path, spec: dict | str, name: str = "spec.json") -> Path:
    p = tmp_path / name
    p.write_text(spec if isinstance(spec, str) else json.dumps(spec))
    return p


def test_run_spec_json_publishes_validated_table(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    proc = run_cli("run", "--spec", str(_spec(tmp_path, EXAMPLE)), "--warehouse", str(fixture_warehouse), "--json",
                   home=home)
    assert proc.returncode == 0, proc.stderr
    res = result_json(proc)
    body = res["body"]
    assert res["statusCode"] == 200
    assert body["status"] == "completed" and body["validation_status"] == "pass"
    assert body["target_table"] == "customer_order_summary"
    assert body["run_id"][:8].isdigit() and len(body["run_id"]) == 22
    for name in ("spec.json", "pipeline.sql", "validation.json", "result.json"):
        assert Path(body["artifacts"][name]).exists()
    assert body["specs_path"] == body["artifacts"]["spec.json"]
    assert set(body["step_timings_ms"]) == {"plan", "read_sources", "compile", "stage", "validate", "publish"}
    import duckdb

    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    rows = sorted(con.execute("SELECT * FROM customer_order_summary").fetchall())
    con.close()
    assert [(r[0], float(r[1])) for r in rows] == [(1, 1150.5), (3, 1540.0), (4, 1025.99)]


def test_human_output_shows_steps_tests_and_preview(fixture_warehouse, tmp_path) -> None:
    proc = run_cli("run", "--spec", str(_spec(tmp_path, EXAMPLE)), "-w", str(fixture_warehouse), home=tmp_path / "h")
    assert proc.returncode == 0, proc.stderr
    for text in ("Compile to SQL", "Publish the target", "Validation", "customer_order_summary", "completed"):
        assert text in proc.stdout


def test_rerun_keeps_history_and_rollback_restores(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    first = _spec(tmp_path, EXAMPLE, "a.json")
    second = _spec(tmp_path, {**EXAMPLE, "filters": [{"column": "total_amount", "operator": ">", "value": 100}]}, "b.json")
    assert run_cli("run", "-s", str(first), "-w", str(fixture_warehouse), "--json", home=home).returncode == 0
    before = fingerprint(fixture_warehouse)["customer_order_summary"]
    assert run_cli("run", "-s", str(second), "-w", str(fixture_warehouse), "--json", home=home).returncode == 0
    after = fingerprint(fixture_warehouse)["customer_order_summary"]
    assert after[1] > before[1]
    proc = run_cli("rollback", "customer_order_summary", "-w", str(fixture_warehouse), home=home)
    assert proc.returncode == 0, proc.stderr
    assert fingerprint(fixture_warehouse)["customer_order_summary"] == before


def test_runs_show_logs(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    res = result_json(run_cli("run", "-s", str(_spec(tmp_path, EXAMPLE)), "-w", str(fixture_warehouse), "--json",
                              home=home))
    run_id = res["body"]["run_id"]
    listed = json.loads(run_cli("runs", "--json", home=home).stdout)
    assert listed[0]["run_id"] == run_id and listed[0]["status"] == "completed"
    logs = json.loads(run_cli("logs", run_id, "--json", home=home).stdout)
    assert logs["run_id"] == run_id and logs["log_count"] == len(logs["logs"])
    assert logs["logs"][0]["type"] == "start" and logs["logs"][-1]["type"] == "success"
    assert logs["logs"][-1]["metadata"]["validation_status"] == "pass"
    for e in logs["logs"]:
        assert set(e) == {"timestamp", "type", "title", "description", "metadata"}
    shown = run_cli("show", run_id, home=home)
    assert shown.returncode == 0 and "publish" in shown.stdout
    unknown = run_cli("show", "20990101_000000_abcdef", home=home)
    assert unknown.returncode == 1 and "no run with id" in unknown.stderr


def test_catalog_commands(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "h"
    tables = json.loads(run_cli("tables", "-w", str(fixture_warehouse), "--json", home=home).stdout)
    assert {"customers", "orders"} <= {t["name"] for t in tables}
    schema = json.loads(run_cli("schema", "orders", "-w", str(fixture_warehouse), "--json", home=home).stdout)
    assert schema["primary_key"] == ["order_id"] and schema["rows"] == 11
    assert any(f["ref_table"] == "customers" for f in schema["foreign_keys"])
    sample = json.loads(run_cli("sample", "orders", "-w", str(fixture_warehouse), "--limit", "3", "--json",
                                home=home).stdout)  # fmt: skip
    assert len(sample) == 3
    bad = run_cli("schema", "ordrs", "-w", str(fixture_warehouse), home=home)
    assert bad.returncode == 1 and "did you mean 'orders'" in bad.stderr


def test_spec_schema_command(tmp_path) -> None:
    proc = run_cli("spec-schema", home=tmp_path)
    schema = json.loads(proc.stdout)
    assert "source_tables" in schema["properties"] and "target_table" in schema["required"]


BAD_INPUTS = [
    ("missing warehouse", None, "warehouse file", "WarehouseNotFound"),
    ("spec not json", "{not json", "not valid JSON", "SpecError"),
    ("unknown table", {**EXAMPLE, "source_tables": [{"table_name": "customer", "alias": "c"},
                                                     {"table_name": "orders", "alias": "o"}]},
     "did you mean 'customers'", "CatalogError"),
    # a misspelled column ("o.amout") is repaired now (test_misspelled_column_heals); no column is like this one
    ("unknown column", {**EXAMPLE, "aggregations": [{"function": "sum", "column": "o.shipping_fee",
                                                      "alias": "total_amount", "group_by": ["c.customer_id"]}]},
     "unknown column 'shipping_fee'", "CompileError"),
    ("type mismatch", {**EXAMPLE, "filters": [{"column": "o.amount", "operator": ">", "value": "lots"}]},
     "type mismatch", "CompileError"),
    ("target is a source", {**EXAMPLE, "target_table": "orders"}, "sources are never overwritten", "TargetConflict"),
    ("target is someone else's table", {**EXAMPLE, "target_table": "products"}, "was not created by DataMorph",
     "TargetConflict"),
]


@pytest.mark.parametrize(("label", "spec", "needle", "error_type"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_fails_clearly_and_changes_nothing(label, spec, needle, error_type, fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    warehouse = tmp_path / "missing.duckdb" if spec is None else fixture_warehouse
    before = fingerprint(fixture_warehouse)
    spec_file = _spec(tmp_path, EXAMPLE if spec is None else spec)
    proc = run_cli("run", "-s", str(spec_file), "-w", str(warehouse), "--json", home=home)
    assert proc.returncode == 1
    res = result_json(proc)
    assert res["statusCode"] == 500 and res["body"]["error"] is True
    assert res["body"]["error_type"] == error_type
    assert res["body"]["message"].startswith("Workflow failed: ")
    assert needle in res["body"]["message"]
    assert "\n" not in res["body"]["message"]
    assert fingerprint(fixture_warehouse) == before
    human = run_cli("run", "-s", str(spec_file), "-w", str(warehouse), home=home)
    assert human.returncode == 1 and needle in human.stdout


def test_misspelled_column_heals(fixture_warehouse, tmp_path) -> None:
    bad = {**EXAMPLE, "aggregations": [{"function": "sum", "column": "o.amout", "alias": "total_amount",
                                         "group_by": ["c.customer_id"]}]}  # fmt: skip
    proc = run_cli("run", "-s", str(_spec(tmp_path, bad)), "-w", str(fixture_warehouse), "--json", home=tmp_path / "h")
    assert proc.returncode == 0
    body = result_json(proc)["body"]
    assert (body["remediation_status"], body["remediation_iterations"]) == ("remediated", 1)
    assert body["specs_path"].endswith("spec.v2.json") and body["code_path"].endswith("pipeline.v2.sql")
    assert "o.amount" in Path(body["specs_path"]).read_text()


def test_empty_source_table_is_refused(fixture_warehouse, tmp_path) -> None:
    import duckdb

    con = duckdb.connect(str(fixture_warehouse))
    con.execute("DELETE FROM orders")
    con.close()
    proc = run_cli("run", "-s", str(_spec(tmp_path, EXAMPLE)), "-w", str(fixture_warehouse), "--json",
                   home=tmp_path / "h")
    assert proc.returncode == 1
    assert "source table 'orders' is empty" in result_json(proc)["body"]["message"]


def test_failed_run_leaves_the_published_target_as_it_was(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    assert run_cli("run", "-s", str(_spec(tmp_path, EXAMPLE)), "-w", str(fixture_warehouse), "--json",
                   home=home).returncode == 0
    before = fingerprint(fixture_warehouse)
    bad = {**EXAMPLE, "aggregations": [{"function": "sum", "column": "o.nope", "alias": "total_amount",
                                         "group_by": ["c.customer_id"]}]}
    proc = run_cli("run", "-s", str(_spec(tmp_path, bad, "bad.json")), "-w", str(fixture_warehouse), "--json",
                   home=home)
    assert proc.returncode == 1
    assert fingerprint(fixture_warehouse) == before


def test_two_processes_into_one_target_do_not_corrupt_it(fixture_warehouse, tmp_path) -> None:
    home = tmp_path / "home"
    spec = _spec(tmp_path, EXAMPLE)
    import os

    env = {**os.environ, "DATAMORPH_HOME": str(home)}
    cmd = [sys.executable, "-m", "datamorph", "run", "-s", str(spec), "-w", str(fixture_warehouse), "--json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = [p.returncode for p in procs]
    assert codes == [0, 0], outs
    import duckdb

    con = duckdb.connect(str(fixture_warehouse), read_only=True)
    rows = sorted(con.execute("SELECT * FROM customer_order_summary").fetchall())
    versions = con.execute("SELECT count(*) FROM datamorph_history.versions").fetchone()[0]
    con.close()
    assert [(r[0], float(r[1])) for r in rows] == [(1, 1150.5), (3, 1540.0), (4, 1025.99)]
    assert versions == 1  # the second publish archived the first


def test_help_is_fast_and_imports_nothing_heavy(tmp_path) -> None:
    code = ("import sys, runpy; sys.argv=['datamorph','--help']\n"
            "try:\n    runpy.run_module('datamorph', run_name='__main__')\nexcept SystemExit: pass\n"
            "heavy=[m for m in ('duckdb','sqlglot','pydantic') if m in sys.modules]\n"
            "print('HEAVY', heavy)")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_demo_never_replaces_a_file_it_did_not_build(tmp_path) -> None:
    home = tmp_path / "home"
    mine = tmp_path / "mine.duckdb"
    import duckdb

    con = duckdb.connect(str(mine))
    con.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    con.close()
    before = mine.read_bytes()
    for json_out in (True, False):
        proc = run_cli("demo", "--scale", "0.05", "-w", str(mine), *(["--json"] if json_out else []), home=home)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        if json_out:
            out = result_json(proc)
            assert out["error_type"] == "TargetConflict" and "--force" in out["message"]
        else:
            assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1 and "--force" in proc.stderr
    assert mine.read_bytes() == before
    # the default demo file is rebuilt freely, then refused once the user loaded a table into it
    assert run_cli("demo", "--scale", "0.05", "--json", home=home).returncode == 0
    assert run_cli("demo", "--scale", "0.05", "--json", home=home).returncode == 0
    csv = tmp_path / "mine.csv"
    csv.write_text("a,b\n1,2\n")
    assert run_cli("load", str(csv), "-w", str(home / "demo.duckdb"), home=home).returncode == 0
    refused = run_cli("demo", "--scale", "0.05", home=home)
    assert refused.returncode == 1 and "holds tables the demo did not write (mine)" in refused.stderr
    forced = run_cli("demo", "--scale", "0.05", "-w", str(mine), "--force", "--json", home=home)
    assert forced.returncode == 0, forced.stdout
    con = duckdb.connect(str(mine), read_only=True)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'precious'").fetchone()[0] == 0
    con.close()


def test_rollback_refuses_a_hand_made_table_and_names_unknown_ones(fixture_warehouse, tmp_path) -> None:
    import duckdb

    home, w = tmp_path / "home", str(fixture_warehouse)
    spec = {"source_tables": ["orders"], "target_table": "t1"}
    for _ in range(2):
        assert run_cli("run", "-s", str(_spec(tmp_path, spec)), "-w", w, "--json", home=home).returncode == 0
    con = duckdb.connect(w)
    con.execute("DROP TABLE t1")
    con.execute("CREATE TABLE t1 AS SELECT 'mine' AS v")
    con.close()
    proc = run_cli("rollback", "t1", "-w", w, "--json", home=home)
    assert proc.returncode == 1 and result_json(proc)["error_type"] == "TargetConflict"
    assert "was not created by DataMorph" in result_json(proc)["message"]
    con = duckdb.connect(w, read_only=True)
    assert con.execute("SELECT * FROM t1").fetchall() == [("mine",)]
    con.close()
    unknown = run_cli("rollback", "ordrs", "-w", w, home=home)
    assert unknown.returncode == 1 and "unknown table 'ordrs'" in unknown.stderr and "did you mean 'orders'" in unknown.stderr
    assert "no earlier version" not in unknown.stderr
