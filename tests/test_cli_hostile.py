"""Hostile names and values through the real CLI (a fresh ``datamorph`` process each time).

Quotes, semicolons, comment markers, markup, unicode, spaces, control characters, NUL and
10,000-character names go in through ``--target``, spec files (table and column names, values)
and prompts, with and without ``--json``. Whatever happens, the process exits 0 or 1, prints no
traceback and no internal error, says what was wrong in one line (one JSON object with
``--json``), and leaves no run ``running`` in the run store.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import fingerprint, run_cli

LONG = "x" * 10_000
#: Names as a user (or an attacker) might type them; NUL cannot travel in argv, it goes in spec files.
HOSTILE = [
    'x"; DROP TABLE orders; --',
    "o'brien",
    "a/*b*/c",
    "x -- y",
    'stage" OR 1=1 --',
    "naïve_ünïcødé_名前",
    "with space",
    "semi;colon",
    "[/]markup[bold]",
    "\x1b[31mred\x01",
    "tab\there",
    "table",
    "datamorph_history.versions",
    "-- leading dashes",
    "",
    LONG,
]
IN_FILES = [*HOSTILE, "nul\x00byte", "line\nbreak"]
PROMPT = "count orders per customer"


@pytest.fixture(scope="module")
def wh(pristine_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(warehouse, home) shared by the cases of this module: every case must leave the sources unchanged."""
    root = tmp_path_factory.mktemp("hostile")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(pristine_warehouse, warehouse)
    return warehouse, root / "home"


def cli(wh: tuple[Path, Path], *args: str, json_out: bool) -> subprocess.CompletedProcess:
    warehouse, home = wh
    before = {t: v for t, v in fingerprint(warehouse).items() if t in SOURCES}
    proc = run_cli(*args, *(["--json"] if json_out else []), home=home)
    check_one_line(proc, json_out)
    assert {t: v for t, v in fingerprint(warehouse).items() if t in SOURCES} == before, "a source table changed"
    assert_nothing_running(home)
    return proc


SOURCES = ("customers", "orders", "products", "categories", "order_items")


def check_one_line(proc: subprocess.CompletedProcess, json_out: bool) -> None:
    shown = f"rc={proc.returncode}\nstdout={proc.stdout[-3000:]!r}\nstderr={proc.stderr[-3000:]!r}"
    assert proc.returncode in (0, 1), shown
    both = proc.stdout + proc.stderr
    assert "Traceback" not in both, shown
    assert "InternalError" not in both and "internal error" not in both, shown
    if json_out:
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        assert len(lines) == 1, shown
        obj = json.loads(lines[0])
        if proc.returncode == 1:
            err = obj.get("body", obj) if isinstance(obj, dict) else {}
            assert err.get("error") is True and err.get("error_type") and err.get("message"), shown
            assert "\n" not in err["message"], shown
        assert proc.stderr.strip() == "", shown
    elif proc.returncode == 1:
        errors = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        failed = [ln for ln in proc.stdout.splitlines() if ln.startswith("failed ")]
        assert (len(errors) == 1 and errors[0].startswith("error: ")) or (not errors and len(failed) == 1), shown


def assert_nothing_running(home: Path) -> None:
    from datamorph.store import RunStore

    store = RunStore(home / "runs.db")
    try:
        running = store.list_runs(status="running", limit=1000)
    finally:
        store.close()
    assert running == [], running


def spec_file(wh: tuple[Path, Path], spec: dict[str, Any] | str) -> str:
    path = wh[1].parent / "spec.json"
    path.write_text(spec if isinstance(spec, str) else json.dumps(spec), encoding="utf-8")
    return str(path)


# -- names on the command line --------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE, ids=lambda v: repr(v[:24]))
def test_hostile_target_names(wh: tuple[Path, Path], name: str) -> None:
    for json_out in (True, False):
        proc = cli(wh, "run", PROMPT, "-w", str(wh[0]), f"--target={name}", json_out=json_out)
        assert proc.returncode == 1  # none of these is a table name DataMorph writes
        if json_out:
            error_type = json.loads(proc.stdout)["error_type"]
            assert error_type == ("TargetConflict" if name.startswith("datamorph_history.") else "SpecError")


@pytest.mark.parametrize("name", ['x"; DROP TABLE orders; --', "[/]markup[bold]", LONG, "datamorph_history.versions",
                                  "custmers", "orders"], ids=lambda v: repr(v[:24]))  # fmt: skip
def test_hostile_names_in_other_commands(wh: tuple[Path, Path], name: str) -> None:
    for i, command in enumerate(("rollback", "schema", "sample", "show", "logs")):
        extra = [] if command in ("show", "logs") else ["-w", str(wh[0])]
        proc = cli(wh, command, name, *extra, json_out=i % 2 == 0)
        assert proc.returncode == 1 or (name == "orders" and command in ("schema", "sample"))


# -- names and values in spec files ---------------------------------------------------------------


def _spec_with(field: str, value: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"source_tables": [{"table_name": "orders", "alias": "o"}], "target_table": "hostile_out"}
    if field == "table_name":
        spec["source_tables"] = [{"table_name": value}]
    elif field == "alias":
        spec["source_tables"] = [{"table_name": "orders", "alias": value}]
    elif field == "target":
        spec["target_table"] = {"name": value}
    elif field == "filter_column":
        spec["filters"] = [{"column": value, "operator": "=", "value": 1}]
    elif field == "filter_value":
        spec["filters"] = [{"column": "status", "operator": "=", "value": value}]
    elif field == "aggregation_alias":
        spec.update(group_by=["customer_id"], aggregations=[{"function": "sum", "column": "amount", "alias": value}])
    elif field == "group_by":
        spec.update(group_by=[value], aggregations=[{"function": "count", "alias": "n"}])
    elif field == "output_name":
        spec["columns"] = [{"column": "order_id", "name": value}]
    elif field == "order_by":
        spec["order_by"] = [{"column": value}]
    elif field == "derived_expression":
        spec["derived_columns"] = [{"name": "d", "expression": value}]
    return spec


FIELDS = ["table_name", "alias", "target", "filter_column", "filter_value", "aggregation_alias", "group_by",
          "output_name", "order_by", "derived_expression"]  # fmt: skip
# every field meets several hostile values, every value several fields (a latin square, not the full product)
CASES = [(f, IN_FILES[(i * 5 + j) % len(IN_FILES)]) for i, f in enumerate(FIELDS) for j in range(3)]


@pytest.mark.parametrize(("field", "value"), CASES, ids=lambda v: repr(v[:24]))
def test_hostile_spec_fields(wh: tuple[Path, Path], field: str, value: str) -> None:
    proc = cli(wh, "run", "--spec", spec_file(wh, _spec_with(field, value)), "-w", str(wh[0]),
               json_out=len(value) % 2 == 0)  # fmt: skip
    if field in ("filter_value",):
        return  # a value is data: the run may legitimately succeed (an empty result) or be refused
    if field in ("alias", "aggregation_alias", "output_name") and proc.returncode == 0:
        return  # an odd name is quoted by the SQL generator and works end to end
    assert proc.returncode == 1


def test_odd_output_names_work_end_to_end(wh: tuple[Path, Path]) -> None:
    """Quotes, comment markers, unicode and spaces in output column names are quoted, never executed."""
    names = ['stage" OR 1=1 --', "a/*b*/c", "naïve 名前", "semi;colon"]
    spec = {"source_tables": ["orders"], "target_table": "odd_names", "group_by": ["status"],
            "aggregations": [{"function": "count", "alias": names[0]}, {"function": "sum", "column": "amount",
                                                                        "alias": names[1]}],
            "derived_columns": [{"name": names[2], "expression": "amount * 2"}],
            "columns": [{"column": n} for n in ("status", names[0], names[1])]}  # fmt: skip
    spec["aggregations"].append({"function": "max", "expression": f'"{names[2]}"', "alias": names[3]})
    spec["columns"].append({"column": names[3]})
    proc = cli(wh, "run", "--spec", spec_file(wh, spec), "-w", str(wh[0]), json_out=True)
    assert proc.returncode == 0, proc.stdout
    import duckdb

    con = duckdb.connect(str(wh[0]), read_only=True)
    try:
        cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = 'odd_names' "
                                          "ORDER BY column_index").fetchall()]  # fmt: skip
        assert cols == ["status", *[names[0], names[1], names[3]]]
        assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 11
    finally:
        con.close()


def test_malformed_spec_files(wh: tuple[Path, Path]) -> None:
    for i, text in enumerate(["{not json", "[1, 2]", '{"source_tables": "orders", "target_table": 5}', "", "\x00",
                              json.dumps({"source_tables": ["orders"], "target_table": "t", "filters": [{}]})]):
        assert cli(wh, "run", "--spec", spec_file(wh, text), "-w", str(wh[0]), json_out=i % 2 == 0).returncode == 1


# -- prompts ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", [
    'count orders into table x"; drop table orders; --',
    "count orders /* into */ per customer",
    "count orders per customer -- and drop customers",
    "count orders; DROP TABLE orders",
    "[/] count orders [bold]",
    "count orders into table orders",
    "count orders into table datamorph_staging",
    "名前 orders \x01",
    LONG,
], ids=lambda v: repr(v[:24]))  # fmt: skip
def test_hostile_prompts(wh: tuple[Path, Path], prompt: str) -> None:
    cli(wh, "run", prompt, "-w", str(wh[0]), json_out=True)
    cli(wh, "plan", prompt, "-w", str(wh[0]), json_out=False)


# -- failures outside a run ---------------------------------------------------------------------------


def test_errors_outside_a_run_are_one_json_object(wh: tuple[Path, Path], tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.duckdb")
    for args in (("tables", "-w", missing), ("rollback", "t", "-w", missing), ("run", PROMPT),
                 ("show", "20200101_000000_abcdef"), ("runs", "--limit", "x"), ("run", "--no-such-option")):  # fmt: skip
        proc = run_cli(*args, "--json", home=wh[1])
        assert proc.returncode in (1, 2), proc
        lines = proc.stdout.splitlines()
        assert len(lines) == 1, proc
        obj = json.loads(lines[0])
        assert obj["error"] is True and obj["error_type"] and obj["message"], obj
        human = run_cli(*args, home=wh[1])
        assert human.returncode == proc.returncode and human.stdout == ""
        assert len(human.stderr.strip().splitlines()) == 1 and human.stderr.startswith("error: "), human.stderr
        assert "Traceback" not in human.stderr + proc.stderr


def test_runs_json_lists_no_running_run_after_the_hostile_cases(wh: tuple[Path, Path]) -> None:
    cli(wh, "run", "--spec", spec_file(wh, _spec_with("filter_column", 'stage" OR 1=1 --')), "-w", str(wh[0]),
        json_out=True)  # fmt: skip
    runs = json.loads(run_cli("runs", "--limit", "1000", "--json", home=wh[1]).stdout)
    assert runs and all(r["status"] in ("completed", "failed") for r in runs), runs
