"""Self-healing runs: each fault class is repaired into the right table; what cannot be repaired fails cleanly."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.helpers import fingerprint

from datamorph.config import Settings
from datamorph.errors import CompileError, ExecutionError, ValidationFailed
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.remediation import Remediator, diagnose
from datamorph.remediation.base import Repair
from datamorph.remediation.literals import convert_literal
from datamorph.remediation.repairs import ClausePlacementRepairer, default_repairers
from datamorph.remediation.spec_edit import check_invariants, count_conditions, spec_dict
from datamorph.remediation.suite import SuiteState, validation_suite
from datamorph.spec import ETLSpec, load_spec
from datamorph.validation.model import TestCase
from datamorph.validation.runner import run_tests

CO = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
}
OI_P = {
    "source_tables": [{"table_name": "order_items", "alias": "oi"}, {"table_name": "products", "alias": "p"}],
    "join_conditions": [{"left_table": "oi", "right_table": "p", "on_columns": ["product_id"]}],
}

# (id, broken spec, hand-written query for the correct table, setup SQL, expected diagnosis kind)
FAULTS: list[tuple[str, dict[str, Any], str, list[str], str]] = [
    ("unknown_column",
     {"source_tables": ["orders"], "target_table": "t", "group_by": ["customer_id"],
      "aggregations": [{"function": "sum", "column": "amout", "alias": "total"}]},
     "SELECT customer_id, sum(amount) AS total FROM orders GROUP BY customer_id", [], "unknown_column"),
    ("ambiguous_column",
     {**OI_P, "target_table": "t", "group_by": ["p.category_id"],
      "aggregations": [{"function": "sum", "expression": "quantity * unit_price", "alias": "revenue"}]},
     "SELECT p.category_id, sum(oi.quantity * oi.unit_price) AS revenue FROM order_items oi "
     "JOIN products p ON oi.product_id = p.product_id GROUP BY p.category_id", [], "ambiguous_column"),
    ("type_mismatch",
     {"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amount"],
      "filters": [{"column": "order_date", "operator": ">=", "value": "Jan 15 2024"},
                  {"column": "amount", "operator": ">", "value": "$100"}]},
     "SELECT order_id, amount FROM orders WHERE order_date >= DATE '2024-01-15' AND amount > 100", [],
     "type_mismatch"),
    ("aggregate_in_filters",
     {**CO, "target_table": "t", "group_by": ["c.customer_id"],
      "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
      "filters": [{"expression": "sum(o.amount) > 1000"}]},
     "SELECT c.customer_id, sum(o.amount) AS total FROM customers c JOIN orders o ON c.customer_id = o.customer_id "
     "GROUP BY c.customer_id HAVING sum(o.amount) > 1000", [], "aggregate_in_filters"),
    ("plain_column_in_having",
     {**CO, "target_table": "t", "group_by": ["c.customer_id"],
      "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
      "having": [{"column": "o.status", "operator": "=", "value": "completed"}]},
     "SELECT c.customer_id, sum(o.amount) AS total FROM customers c JOIN orders o ON c.customer_id = o.customer_id "
     "WHERE o.status = 'completed' GROUP BY c.customer_id", [], "plain_column_in_having"),
    ("join_fanout",
     {"source_tables": [{"table_name": "products", "alias": "p"}, {"table_name": "cat_lookup", "alias": "c"}],
      "join_conditions": [{"left_table": "p", "right_table": "c", "on_columns": ["category_id"]}],
      "target_table": "t", "group_by": ["c.category_name"],
      "aggregations": [{"function": "sum", "column": "p.unit_price", "alias": "total_price"},
                       {"function": "count", "column": "p.product_id", "alias": "n"}]},
     "SELECT c.category_name, sum(p.unit_price) AS total_price, count(p.product_id) AS n FROM products p "
     "JOIN categories c ON p.category_id = c.category_id GROUP BY c.category_name",
     ["CREATE TABLE cat_lookup AS SELECT * FROM categories UNION ALL SELECT * FROM categories WHERE category_id = 10"],
     "join_fanout"),
    ("filter_value",
     {"source_tables": ["orders"], "target_table": "t", "group_by": ["channel"],
      "filters": [{"column": "status", "operator": "in", "value": ["COMPLETED", "Shipped "]}],
      "aggregations": [{"function": "sum", "column": "amount", "alias": "revenue"}]},
     "SELECT channel, sum(amount) AS revenue FROM orders WHERE status IN ('completed', 'shipped') GROUP BY channel",
     [], "filter_value_mismatch"),
    ("division_by_zero_inf",
     {"source_tables": ["targets"], "target_table": "t", "columns": ["k", "ratio"],
      "derived_columns": [{"name": "ratio", "expression": "revenue / target"}]},
     "SELECT k, revenue / NULLIF(target, 0) AS ratio FROM targets",
     ["CREATE TABLE targets AS SELECT * FROM (VALUES (1, 10.0, 4.0), (2, 5.0, 0.0), (3, 0.0, 2.0)) v(k, revenue, target)"],
     "division_by_zero"),
    ("division_by_zero_error",
     {"source_tables": ["boxes"], "target_table": "t", "columns": ["k", "per_box"],
      "derived_columns": [{"name": "per_box", "expression": "items // n_boxes"}]},
     "SELECT k, items // NULLIF(n_boxes, 0) AS per_box FROM boxes",
     ["CREATE TABLE boxes AS SELECT * FROM (VALUES (1, 10, 3), (2, 7, 0)) v(k, items, n_boxes)"],
     "division_by_zero"),
    ("join_key_type_error",
     {**CO, "target_table": "t", "group_by": ["c.city"],
      "join_conditions": [{"left_table": "c", "right_table": "o",
                           "on_columns": [{"left": "customer_id", "right": "order_date"}]}],
      "aggregations": [{"function": "count", "column": "o.order_id", "alias": "n"}]},
     "SELECT c.city, count(o.order_id) AS n FROM customers c JOIN orders o ON c.customer_id = o.customer_id "
     "GROUP BY c.city", [], "join_key_mismatch"),
    ("join_key_no_overlap",
     {**CO, "target_table": "t", "group_by": ["c.segment"],
      "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "left",
                           "on_columns": [{"left": "city", "right": "channel"}]}],
      "aggregations": [{"function": "count", "column": "o.order_id", "alias": "n"}]},
     "SELECT c.segment, count(o.order_id) AS n FROM customers c LEFT JOIN orders o ON c.customer_id = o.customer_id "
     "GROUP BY c.segment", [], "join_key_mismatch"),
]  # fmt: skip


def _settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(home=tmp_path / "home", lock_timeout=10, **kw)


def _setup(warehouse: Path, statements: list[str]) -> None:
    import duckdb

    con = duckdb.connect(str(warehouse))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()


def _rows(warehouse: Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [d[0].lower() for d in cur.description]
        return cols, [tuple(float(v) if isinstance(v, Decimal) else v for v in r) for r in cur.fetchall()]
    finally:
        con.close()


def _same_table(warehouse: Path, target: str, expected_sql: str) -> bool:
    got_cols, got = _rows(warehouse, f'SELECT * FROM "{target}"')
    want_cols, want = _rows(warehouse, expected_sql)
    if sorted(got_cols) != sorted(want_cols) or len(got) != len(want):
        return False
    order = [got_cols.index(c) for c in want_cols]

    def key(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple((v is None, str(round(v, 6)) if isinstance(v, float) else str(v)) for v in r)

    got_rows = sorted((tuple(r[i] for i in order) for r in got), key=key)
    want_rows = sorted(want, key=key)
    return all(
        (a is None and b is None) or (isinstance(a, float) and isinstance(b, float) and math.isclose(a, b, abs_tol=1e-6))
        or a == b
        for g, w in zip(got_rows, want_rows, strict=True) for a, b in zip(g, w, strict=True)
    )  # fmt: skip


@pytest.mark.parametrize(("label", "spec", "expected_sql", "setup", "kind"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_fault_is_repaired_into_the_right_table(label, spec, expected_sql, setup, kind, fixture_warehouse,
                                                     tmp_path) -> None:  # fmt: skip
    _setup(fixture_warehouse, setup)
    orch = Orchestrator(_settings(tmp_path))
    original = load_spec(spec)
    res = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=original))
    body = res["body"]
    assert res["statusCode"] == 200, body["message"]
    assert body["remediation_status"] == "remediated" and body["remediation_iterations"] >= 1
    assert body["remediations"][0]["kind"] == kind
    assert _same_table(fixture_warehouse, "t", expected_sql)
    repaired = ETLSpec.model_validate_json(Path(body["specs_path"]).read_text())
    assert count_conditions(spec_dict(repaired)) >= count_conditions(spec_dict(original))
    assert check_invariants(original, repaired) is None
    report = json.loads(Path(body["artifacts"][f"validation.v{body['remediation_iterations'] + 1}.json"]).read_text())
    assert report["validation_status"] == "pass"


def test_a_run_that_needs_no_repair_says_so(fixture_warehouse, tmp_path) -> None:
    spec = load_spec({**CO, "target_table": "t", "group_by": ["c.customer_id"],
                      "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}]})  # fmt: skip
    body = Orchestrator(_settings(tmp_path)).run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))["body"]
    assert (body["remediation_status"], body["remediation_iterations"], body["remediations"]) == ("not_needed", 0, [])
    assert not [n for n in body["artifacts"] if ".v2." in n]


def test_artifacts_of_every_version_are_kept_and_the_log_has_the_diff(fixture_warehouse, tmp_path) -> None:
    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amount"],
                      "filters": [{"column": "satus", "operator": "=", "value": "Completed"}]})  # fmt: skip
    orch = Orchestrator(_settings(tmp_path))
    body = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))["body"]
    assert body["remediation_status"] == "remediated" and body["remediation_iterations"] == 2
    arts = body["artifacts"]
    for name in ("spec.json", "spec.v2.json", "spec.v3.json", "pipeline.v2.sql", "pipeline.v3.sql",
                 "validation.v2.json", "validation.v3.json"):  # fmt: skip
        assert Path(arts[name]).exists(), name
    assert "pipeline.sql" not in arts  # v1 did not compile (unknown column)
    assert body["specs_path"] == arts["spec.v3.json"] and body["code_path"] == arts["pipeline.v3.sql"]
    assert json.loads(Path(arts["spec.json"]).read_text())["filters"][0]["column"] == "satus"
    assert json.loads(Path(arts["spec.v3.json"]).read_text())["filters"][0] == {
        "column": "status", "operator": "=", "value": "completed"}  # fmt: skip
    logs = orch.store.logs(body["run_id"])
    infos = [e for e in logs if e["type"] == "info" and e["title"].startswith("Remediation")]
    assert len(infos) == 2
    diff = infos[0]["description"]
    assert "--- spec.json" in diff and "+++ spec.v2.json" in diff
    assert '-      "column": "satus",' in diff and '+      "column": "status",' in diff
    assert "'Completed' → 'completed'" in infos[1]["title"]
    warnings = [e for e in logs if e["type"] == "warning" and "diagnosis" in e["title"]]
    assert [w["metadata"]["diagnoses"][0]["kind"] for w in warnings] == ["unknown_column", "filter_value_mismatch"]
    steps = orch.store.steps(body["run_id"])
    assert [(s["step"], s["attempt"]) for s in steps if s["step"] == "compile"] == [("compile", 1), ("compile", 2),
                                                                                     ("compile", 3)]


def test_an_unrepairable_spec_fails_and_leaves_the_target_untouched(fixture_warehouse, tmp_path) -> None:
    good = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id"]})
    orch = Orchestrator(_settings(tmp_path))
    assert orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=good))["statusCode"] == 200
    before = fingerprint(fixture_warehouse)
    bad = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id"],
                     "filters": [{"column": "amount", "operator": ">", "value": "a lot"}]})  # fmt: skip
    res = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=bad))
    body = res["body"]
    assert res["statusCode"] == 500 and body["error_type"] == "CompileError" and body["failed_step"] == "compile"
    assert body["remediation_status"] == "not_repairable" and body["remediation_iterations"] == 0
    msg = body["message"]
    assert "type mismatch" in msg and "remediation not_repairable" in msg and "still failing" in msg
    assert "cannot read 'a lot'" in msg and "artifacts: spec.json" in msg and "\n" not in msg
    assert fingerprint(fixture_warehouse) == before
    assert _leftover_staging(fixture_warehouse) == 0


def test_giving_up_after_the_iteration_limit(fixture_warehouse, tmp_path) -> None:
    before = fingerprint(fixture_warehouse)
    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amount"],
                      "filters": [{"column": "satus", "operator": "=", "value": "Completed"}]})  # fmt: skip
    orch = Orchestrator(_settings(tmp_path, max_remediation_iterations=1))
    res = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))
    body = res["body"]
    assert res["statusCode"] == 500 and body["error_type"] == "ValidationFailed"
    assert body["remediation_status"] == "max_iterations_reached" and body["remediation_iterations"] == 1
    assert "v2: corrected the unknown column" in body["message"] and "limit of 1 repairs" in body["message"]
    assert "validation.v2.json" in body["message"]
    assert any(t["test_id"].startswith("data_quality_filter_value") for t in body["failed_tests"])
    assert fingerprint(fixture_warehouse) == before
    assert _leftover_staging(fixture_warehouse) == 0


def test_remediation_can_be_turned_off(fixture_warehouse, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATAMORPH_MAX_REMEDIATION_ITERATIONS", "0")
    s = Settings.from_env(home=tmp_path / "home")
    assert s.max_remediation_iterations == 0
    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amout"]})
    body = Orchestrator(s).run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))["body"]
    assert body["status"] == "failed" and body["remediation_status"] == "max_iterations_reached"
    assert body["remediation_iterations"] == 0 and "did you mean 'amount'" in body["message"]


def test_a_fanout_with_differing_rows_is_not_repaired(fixture_warehouse, tmp_path) -> None:
    _setup(fixture_warehouse, ["CREATE TABLE cat_lookup AS SELECT * FROM categories UNION ALL "
                               "SELECT category_id, category_name || ' (old)' FROM categories WHERE category_id = 10"])
    spec = load_spec({"source_tables": [{"table_name": "products", "alias": "p"},
                                        {"table_name": "cat_lookup", "alias": "c"}],
                      "join_conditions": [{"left_table": "p", "right_table": "c", "on_columns": ["category_id"]}],
                      "target_table": "t", "group_by": ["c.category_name"],
                      "aggregations": [{"function": "sum", "column": "p.unit_price", "alias": "total"}]})  # fmt: skip
    before = fingerprint(fixture_warehouse)
    body = Orchestrator(_settings(tmp_path)).run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))["body"]
    assert body["status"] == "failed" and body["remediation_status"] == "not_repairable"
    assert "rows that differ" in body["message"] and "join_no_fanout_1" in body["message"]
    assert fingerprint(fixture_warehouse) == before


class _DropsFilters:
    """A bad repairer: 'fixes' anything by removing the filters."""

    name = "drops_filters"

    def propose(self, spec, diagnosis, context):  # type: ignore[no-untyped-def]
        return Repair(spec.model_copy(update={"filters": []}), "removed the filters")


def test_a_repair_that_drops_a_condition_is_refused(fixture_warehouse, tmp_path) -> None:
    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id"],
                      "filters": [{"column": "amount", "operator": ">", "value": "a lot"}]})  # fmt: skip
    orch = Orchestrator(_settings(tmp_path), remediator=Remediator([_DropsFilters()]))
    body = orch.run(RunRequest(warehouse=str(fixture_warehouse), spec=spec))["body"]
    assert body["remediation_status"] == "not_repairable"
    assert "drops_filters's repair was refused: it would drop a condition" in body["message"]


def test_check_invariants_guards_every_requested_clause() -> None:
    base = load_spec({**CO, "target_table": "t", "group_by": ["c.customer_id"],
                      "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
                      "filters": [{"column": "o.status", "operator": "=", "value": "completed"}],
                      "having": [{"column": "total", "operator": ">", "value": 10}], "limit": 5})  # fmt: skip
    d = spec_dict(base)
    moved = {**d, "filters": [], "having": d["having"] + d["filters"]}
    assert check_invariants(base, ETLSpec.model_validate(moved)) is None
    for change in ({"having": []}, {"limit": 6}, {"aggregations": []},
                   {"join_conditions": [{**d["join_conditions"][0], "join_type": "left"}]}):  # fmt: skip
        changed = ETLSpec.model_validate({**d, **change, **({"having": []} if "aggregations" in change else {})})
        assert check_invariants(base, changed) is not None, change


_LEAVES = [
    {"column": "total", "operator": ">", "value": 100},
    {"expression": "count(o.order_id) >= 2"},
    {"column": "o.status", "operator": "=", "value": "completed"},
    {"expression": "o.amount > 10"},
    {"column": "c.customer_id", "operator": ">", "value": 1},
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conds=st.lists(st.tuples(st.sampled_from(_LEAVES), st.booleans()), min_size=1, max_size=5),
       kind=st.sampled_from(["aggregate_in_filters", "plain_column_in_having"]))  # fmt: skip
def test_clause_moves_keep_every_condition(conds, kind, fixture_catalog) -> None:
    data = {**CO, "target_table": "t", "group_by": ["c.customer_id"],
            "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
            "filters": [c for c, in_having in conds if not in_having],
            "having": [c for c, in_having in conds if in_having]}  # fmt: skip
    spec = ETLSpec.model_validate(data)
    from datamorph.remediation.base import Diagnosis, RepairContext

    repair = ClausePlacementRepairer().propose(spec, Diagnosis(kind, "x", "x", "engine"), RepairContext(fixture_catalog))
    if repair is None:
        return
    new = spec_dict(repair.spec)
    before = sorted(json.dumps(c, sort_keys=True) for c in data["filters"] + data["having"])
    after = sorted(json.dumps(c, sort_keys=True) for c in new.get("filters", []) + new.get("having", []))
    assert before == after  # moved, never dropped or changed
    assert check_invariants(spec, repair.spec) is None
    agg = {json.dumps(c, sort_keys=True) for c in _LEAVES[:2]}
    for c in new.get("filters", []):  # nothing aggregating stays in filters after a move to having
        assert kind != "aggregate_in_filters" or json.dumps(c, sort_keys=True) not in agg


def test_diagnoses_name_kind_element_and_evidence() -> None:
    spec = load_spec({**CO, "target_table": "t", "group_by": ["c.customer_id"],
                      "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
                      "having": [{"column": "o.status", "operator": "=", "value": "x"}]})  # fmt: skip
    cases = [
        (CompileError("column: unknown column 'amout' in orders", column="amout", table="orders"), "unknown_column"),
        (CompileError("ambiguous column 'city': it is in several source tables", column="city"), "ambiguous_column"),
        (CompileError("type mismatch: 'o.amount' is decimal but is compared with 'x'", column="o.amount"),
         "type_mismatch"),
        (CompileError("'total' is an aggregate; a condition on it belongs in having"), "aggregate_in_filters"),
        (ExecutionError("staging 't' failed: Binder Error: WHERE clause cannot contain aggregates!"),
         "aggregate_in_filters"),
        (ExecutionError('staging \'t\' failed: Binder Error: column "status" must appear in the GROUP BY clause or '
                        "be used in an aggregate function"), "plain_column_in_having"),
        (ExecutionError("staging 't' failed: Invalid Input Error: Division by zero in expression (a // b)."),
         "division_by_zero"),
        (ExecutionError("staging 't' failed: Conversion Error: invalid date field format: \"Jan 31 2024\", "
                        "expected format is (YYYY-MM-DD)"), "type_mismatch"),
        (ExecutionError("staging 't' failed: something else entirely"), "unknown"),
    ]  # fmt: skip
    for error, kind in cases:
        [d] = diagnose(spec, error=error)
        assert d.kind == kind, error
        assert d.element and d.evidence and d.source in ("compile", "engine")
    assert diagnose(spec, error=cases[7][0])[0].detail == {"value": "Jan 31 2024", "family": "date", "literal": True}
    failed = ValidationFailed("1 validation test(s) failed")
    assert diagnose(spec, error=failed)[0].kind == "unknown"


@pytest.mark.parametrize(("value", "family", "expected"), [
    ("1000", "integer", (True, 1000)), ("1,234.50", "decimal", (True, 1234.5)), ("$99", "decimal", (True, 99)),
    ("lots", "decimal", (False, None)), ("2024/01/31", "date", (True, "2024-01-31")),
    ("Jan 31 2024", "date", (True, "2024-01-31")), ("31st January, 2024", "date", (True, "2024-01-31")),
    ("01/31/2024", "date", (True, "2024-01-31")), ("03/04/2024", "date", (False, None)),
    ("2024/01/31 13:45", "timestamp", (True, "2024-01-31 13:45:00")), ("yes", "boolean", (True, True)),
    (1000, "text", (True, "1000")),
])  # fmt: skip
def test_literal_conversion(value, family, expected) -> None:
    assert convert_literal(value, family) == expected


class _Flaky:
    """An engine stand-in whose first answer to each query is wrong."""

    dialect = "duckdb"

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def fetch(self, sql, params=None, *, max_rows=None):  # type: ignore[no-untyped-def]
        from datamorph.engines.base import QueryResult

        self.calls[sql] = self.calls.get(sql, 0) + 1
        return QueryResult(["n"], [(3 if self.calls[sql] == 1 else 0,)])


def test_a_failing_test_is_run_again_before_it_counts() -> None:
    engine = _Flaky()
    t = TestCase("x", "transformation", "no violations", "SELECT 1", 0)
    report = run_tests(engine, [t], "s")  # type: ignore[arg-type]
    assert report.status == "pass" and engine.calls["SELECT 1"] == 2
    assert t.message.startswith("passed when re-run")

    class _Always(_Flaky):
        def fetch(self, sql, params=None, *, max_rows=None):  # type: ignore[no-untyped-def]
            super().fetch(sql)
            from datamorph.engines.base import QueryResult

            return QueryResult(["n"], [(3,)])

    engine2 = _Always()
    t2 = TestCase("y", "transformation", "no violations", "SELECT 2", 0)
    assert run_tests(engine2, [t2], "s").status == "fail" and engine2.calls["SELECT 2"] == 2  # type: ignore[arg-type]


def test_the_suite_keeps_original_tests_that_still_run(fixture_warehouse) -> None:
    from datamorph.compiler import compile_spec
    from datamorph.engines import connect

    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amount"]})
    with connect(str(fixture_warehouse)) as engine:
        compiled = compile_spec(spec, engine.catalog())
        state = SuiteState()
        s1 = engine.stage(compiled.sql(), "t", "20250101_000000_abcdef")
        first = validation_suite(engine, compiled, s1, state)
        assert first.status == "pass" and state.original is not None
        ids = {t.test_id for t in first.tests}
        assert {"join_keys_overlap_1"} & ids == set()  # no join: no join checks
        # a test only the original suite had: kept, re-pointed at the new staged table, and it must pass
        state.original.append(TestCase("custom_amount_positive", "transformation", "amounts are positive",
                                       f'SELECT count(*) FROM {s1} WHERE amount <= 0', 0))  # fmt: skip
        state.original.append(TestCase("custom_gone", "transformation", "reads a column that is gone",
                                       f"SELECT count(*) FROM {s1} WHERE no_such_column > 0", 0))  # fmt: skip
        s2 = engine.stage(compiled.sql(), "t", "20250101_000000_abcdef_v2")
        second = validation_suite(engine, compiled, s2, state, attempt=2)
        kept = {t.test_id: t for t in second.tests}
        assert kept["custom_amount_positive"].status == "pass"
        assert "_v2" in kept["custom_amount_positive"].query
        assert kept["custom_amount_positive"].use_case.startswith("[kept from the original suite]")
        assert "custom_gone" not in kept and state.dropped == ["custom_gone"]
        engine.fetch(f"INSERT INTO {s2} VALUES (999, -5)")
        third = validation_suite(engine, compiled, s2, SuiteState(original=state.original, original_staged=s1))
        assert third.status == "fail"
        assert "custom_amount_positive" in {t.test_id for t in third.failures()}
        engine.drop_staged(s1)
        engine.drop_staged(s2)


def test_default_repairers_follow_the_protocol() -> None:
    from datamorph.remediation import Repairer

    names = [r.name for r in default_repairers()]
    assert len(names) == len(set(names)) == 8
    assert all(isinstance(r, Repairer) for r in default_repairers())


def _leftover_staging(warehouse: Path) -> int:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'datamorph_staging'").fetchone()[0]
    finally:
        con.close()
