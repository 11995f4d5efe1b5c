"""Every kind of validation test passes on a correct result and catches a planted wrong row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from datamorph.compiler import compile_spec
from datamorph.engines import connect
from datamorph.spec import load_spec
from datamorph.validation import validate

EXAMPLE = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": "summary",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "filters": [{"column": "o.status", "operator": "!=", "value": "cancelled"}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"},
                     {"function": "count", "alias": "order_count"}],
    "having": [{"column": "total_amount", "operator": ">", "value": 100}],
}
LEFT_ZERO = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": "counts",
    "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "left", "on_columns": ["customer_id"]}],
    "group_by": ["customer_id"],
    "aggregations": [{"function": "count", "column": "o.order_id", "alias": "order_count"}],
}
ROWS = {
    "source_tables": ["orders"],
    "target_table": "big_orders",
    "filters": [{"column": "amount", "operator": ">=", "value": 100}, {"column": "channel", "operator": "=", "value": "web"}],
    "columns": ["order_id", "customer_id", "amount", "channel"],
}
DEDUPE = {
    "source_tables": ["orders"],
    "target_table": "latest",
    "dedupe": {"keys": ["customer_id"], "order_by": ["order_date desc"]},
    "columns": ["customer_id", "order_id", "order_date"],
}
TOPN = {"source_tables": ["orders"], "target_table": "top", "columns": ["order_id", "amount"],
        "order_by": ["amount desc"], "limit": 3}


class Staged:
    def __init__(self, engine, spec: dict) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.compiled = compile_spec(load_spec(spec), engine.catalog())
        self.name = engine.stage(self.compiled.sql("duckdb"), self.compiled.spec.target_table.name, "20250101_000000_abcdef")

    def run(self, sql: str | None = None):  # type: ignore[no-untyped-def]
        if sql:
            self.engine.fetch(sql.format(t=self.name))
        return validate(self.engine, self.compiled, self.name)


@pytest.fixture
def engine(fixture_warehouse) -> Iterator:  # type: ignore[no-untyped-def]
    with connect(str(fixture_warehouse)) as e:
        yield e


def _status(report, test_id: str) -> str:  # type: ignore[no-untyped-def]
    matches = [t for t in report.tests if t.test_id == test_id]
    assert matches, f"no test {test_id}; have {[t.test_id for t in report.tests]}"
    return matches[0].status


@pytest.mark.parametrize("spec", [EXAMPLE, LEFT_ZERO, ROWS, DEDUPE, TOPN], ids=["agg", "left", "rows", "dedupe", "topn"])
def test_correct_result_passes_every_test(engine, spec) -> None:  # type: ignore[no-untyped-def]
    report = Staged(engine, spec).run()
    assert report.status == "pass", [(t.test_id, t.message) for t in report.failures()]
    assert all(t.status == "pass" for t in report.tests), [(t.test_id, t.status, t.message) for t in report.tests]
    assert len(report.tests) >= 3


PLANTED = [
    # (spec, planted SQL, test that must catch it)
    (EXAMPLE, "INSERT INTO {t} SELECT * FROM {t} LIMIT 1", "transformation_group_keys_unique"),
    (EXAMPLE, "INSERT INTO {t} VALUES (NULL, 500, 2)", "data_quality_group_key_not_null_customer_id"),
    (EXAMPLE, "UPDATE {t} SET total_amount = 50 WHERE customer_id = 1", "transformation_having_1"),
    (EXAMPLE, "INSERT INTO {t} VALUES (999, 5000, 1)", "join_inner_keys_match_1"),
    (EXAMPLE, "UPDATE {t} SET total_amount = total_amount + 0.01 WHERE customer_id = 1",
     "transformation_total_total_amount_reconciles"),
    (EXAMPLE, "UPDATE {t} SET order_count = order_count + 1 WHERE customer_id = 1",
     "transformation_total_order_count_reconciles"),
    (EXAMPLE, "DELETE FROM {t} WHERE customer_id = 1", "extraction_row_count_reconciles"),
    (EXAMPLE, "ALTER TABLE {t} DROP COLUMN order_count", "load_expected_columns"),
    (EXAMPLE, "ALTER TABLE {t} ALTER total_amount TYPE VARCHAR", "load_expected_columns"),
    (LEFT_ZERO, "DELETE FROM {t} WHERE order_count = 0", "join_left_keeps_all_rows_1"),
    (ROWS, "INSERT INTO {t} VALUES (900, 1, 5.00, 'web')", "transformation_filter_1"),
    (ROWS, "UPDATE {t} SET channel = 'store' WHERE order_id = 101", "transformation_filter_2"),
    (ROWS, "INSERT INTO {t} SELECT * FROM {t} LIMIT 1", "extraction_row_count_reconciles"),
    (DEDUPE, "INSERT INTO {t} SELECT * FROM {t} LIMIT 1", "data_quality_dedupe_keys_unique"),
    (TOPN, "INSERT INTO {t} VALUES (1, 1.00)", "load_limit_respected"),
]


@pytest.mark.parametrize(("spec", "plant", "test_id"), PLANTED, ids=[p[2] + "-" + str(i) for i, p in enumerate(PLANTED)])
def test_planted_wrong_row_is_caught(engine, spec, plant, test_id) -> None:  # type: ignore[no-untyped-def]
    staged = Staged(engine, spec)
    assert _status(staged.run(), test_id) == "pass"
    report = staged.run(plant)
    assert _status(report, test_id) == "fail"
    assert report.status == "fail"


def test_empty_result_is_a_warning_not_a_failure(engine) -> None:  # type: ignore[no-untyped-def]
    spec = {**ROWS, "filters": [{"column": "amount", "operator": ">", "value": 1000000}]}
    report = Staged(engine, spec).run()
    assert _status(report, "load_target_not_empty") == "warning"
    assert report.status == "pass"


def test_emptied_result_fails(engine) -> None:  # type: ignore[no-untyped-def]
    report = Staged(engine, ROWS).run("DELETE FROM {t}")
    assert _status(report, "load_target_not_empty") == "warning"
    assert _status(report, "extraction_row_count_reconciles") == "fail"
    assert report.status == "fail"


def test_a_broken_test_query_is_a_false_positive_not_a_data_failure(engine) -> None:  # type: ignore[no-untyped-def]
    staged = Staged(engine, ROWS)
    from datamorph.validation import derive_tests, run_tests

    tests = derive_tests(staged.compiled, staged.name, "duckdb")
    tests[-1].query = "SELECT no_such_column FROM " + staged.name
    report = run_tests(engine, tests, staged.name)
    assert tests[-1].status == "error" and tests[-1].false_positive
    assert report.summary()["false_positives"] == 1
    assert report.status == "pass"


def test_report_uses_the_original_field_names(engine) -> None:  # type: ignore[no-untyped-def]
    d = Staged(engine, EXAMPLE).run().to_dict()
    for t in d["tests"]:
        assert {"test_id", "category", "use_case", "query", "expected_result", "validation_type",
                "actual_result", "status"} <= set(t)
        assert t["category"] in {"extraction", "join", "transformation", "load", "data_quality"}
    s = d["summary"]
    assert {"total_tests", "passed", "failed", "pass_rate", "false_positives"} <= set(s)
