"""The differential check: an independent Polars evaluation of the spec against the staged SQL result.

1. The Polars evaluation is right: for every golden spec (and for extra specs that exercise SQL's
   NULL, division, ordering and window semantics) it equals the hand-written reference query run
   in DuckDB.
2. The check is worth having: compiler faults planted in the compiled SQLGlot tree pass every
   spec-derived test but fail the differential test.
3. It never passes silently: unsupported specs, ambiguous results and a missing Polars are
   warnings; large sources are checked on a key-preserving sample.
"""

from __future__ import annotations

import builtins
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlglot import exp

from datamorph.compiler import compile_spec
from datamorph.engines import connect
from datamorph.spec import load_spec
from datamorph.validation import derive_tests, run_tests, validate
from datamorph.validation.differential import (
    INSTALL_HINT,
    TEST_ID,
    compare_results,
    differential_test,
    evaluate_spec_polars,
)

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_CASES = sorted(p.stem for p in GOLDEN.glob("*.json"))
RUN_ID = "20250101_000000_abcdef"


def _golden(name: str) -> dict[str, Any]:
    return json.loads((GOLDEN / f"{name}.json").read_text())


@pytest.fixture
def engine(fixture_warehouse) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with connect(str(fixture_warehouse)) as e:
        yield e


@pytest.fixture(scope="module")
def duck(pristine_warehouse) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    import duckdb

    con = duckdb.connect(str(pristine_warehouse), read_only=True)
    yield con
    con.close()


def _arrow(con: Any) -> Callable[[str], Any]:
    return lambda name: con.sql(f'SELECT * FROM "{name}"').to_arrow_table()


def _frame(con: Any, sql: str) -> Any:
    from datamorph.validation.polars_eval import normalise

    return normalise(con.sql(sql).to_arrow_table())[0]


def _stage(engine: Any, sql: str, target: str = "t") -> str:
    return engine.stage(sql, target, RUN_ID)


# ---------------------------------------------------------------------------------------------
# 1. the evaluator is right
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_polars_evaluation_equals_the_hand_written_query(name: str, duck, fixture_catalog) -> None:
    case = _golden(name)
    got = evaluate_spec_polars(load_spec(case["spec"]), fixture_catalog, _arrow(duck))
    want = _frame(duck, case["reference_sql"])
    cmp = compare_results(got, want)
    assert cmp.equal, cmp.message()
    assert got.height > 0, "a golden case should produce rows, or it proves little"


C_O = [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}]
E_D = [{"table_name": "employees", "alias": "e"}, {"table_name": "departments", "alias": "d"}]

# (id, spec, hand-written DuckDB query giving the same result)
SEMANTICS = [
    ("left_join_on_condition_filters_the_right_side", {
        "source_tables": C_O, "target_table": "t",
        "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "left", "on_columns": ["customer_id"],
                             "conditions": [{"column": "o.status", "operator": "=", "value": "completed"}]}],
        "group_by": ["customer_id"],
        "aggregations": [{"function": "count", "column": "o.order_id", "alias": "completed_orders"},
                         {"function": "sum", "column": "o.amount", "alias": "completed_amount"}]},
     "SELECT c.customer_id, count(o.order_id) AS completed_orders, sum(o.amount) AS completed_amount FROM customers c "
     "LEFT JOIN orders o ON o.customer_id = c.customer_id AND o.status = 'completed' GROUP BY c.customer_id"),
    ("inner_join_on_condition_over_both_sides", {
        "source_tables": C_O, "target_table": "t",
        "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"],
                             "conditions": [{"expression": "o.order_date > c.signup_date"}]}],
        "columns": ["c.customer_id", "o.order_id"]},
     "SELECT c.customer_id, o.order_id FROM customers c JOIN orders o "
     "ON o.customer_id = c.customer_id AND o.order_date > c.signup_date"),
    ("full_join_on_condition_over_both_sides", {
        "source_tables": C_O, "target_table": "t",
        "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "full", "on_columns": ["customer_id"],
                             "conditions": [{"expression": "year(o.order_date) > year(c.signup_date) + 1"}]}],
        "columns": ["c.customer_id", "o.order_id"]},
     "SELECT c.customer_id, o.order_id FROM customers c FULL JOIN orders o "
     "ON o.customer_id = c.customer_id AND year(o.order_date) > year(c.signup_date) + 1"),
    ("bare_shared_key_is_the_preserved_side", {
        "source_tables": E_D, "target_table": "t",
        "join_conditions": [{"left_table": "e", "right_table": "d", "join_type": "right", "on_columns": ["department_id"]}],
        "group_by": ["department_id"],
        "aggregations": [{"function": "count", "column": "e.employee_id", "alias": "n"},
                         {"function": "avg", "column": "e.performance_rating", "alias": "avg_rating"}]},
     "SELECT d.department_id, count(e.employee_id) AS n, avg(e.performance_rating) AS avg_rating FROM employees e "
     "RIGHT JOIN departments d ON d.department_id = e.department_id GROUP BY d.department_id"),
    ("sum_of_no_rows_is_null_avg_of_integers_is_float", {
        "source_tables": ["orders"], "target_table": "t",
        "filters": [{"column": "amount", "operator": ">", "value": 100000}],
        "aggregations": [{"function": "sum", "column": "amount", "alias": "total"},
                         {"function": "count", "alias": "n"}, {"function": "avg", "column": "amount", "alias": "mean"}]},
     "SELECT sum(amount) AS total, count(*) AS n, avg(amount) AS mean FROM orders WHERE amount > 100000"),
    ("count_column_skips_nulls_conditional_sum_of_no_rows_is_null", {
        "source_tables": ["orders"], "target_table": "t", "group_by": ["channel"],
        "aggregations": [{"function": "sum", "column": "amount", "alias": "cancelled_amount",
                          "filter": [{"column": "status", "operator": "=", "value": "cancelled"}]},
                         {"function": "count_distinct", "column": "discount_code", "alias": "codes"},
                         {"function": "count", "column": "amount", "alias": "priced"},
                         {"function": "avg", "column": "customer_id", "alias": "avg_customer"}]},
     "SELECT channel, sum(amount) FILTER (WHERE status = 'cancelled') AS cancelled_amount, "
     "count(DISTINCT discount_code) AS codes, count(amount) AS priced, avg(customer_id) AS avg_customer "
     "FROM orders GROUP BY channel"),
    ("null_comparisons_are_not_true", {
        "source_tables": ["employees"], "target_table": "t",
        "filters": [{"any_of": [{"column": "performance_rating", "operator": "!=", "value": 4},
                                {"column": "department_id", "operator": "not_in", "value": [1, 99]}]}],
        "columns": ["employee_id"]},
     "SELECT employee_id FROM employees WHERE performance_rating <> 4 OR department_id NOT IN (1, 99)"),
    ("not_in_a_list_with_null_is_never_true", {
        "source_tables": ["employees"], "target_table": "t",
        "filters": [{"not": {"column": "department_id", "operator": "in", "value": [1, None]}}],
        "columns": ["employee_id"]},
     "SELECT employee_id FROM employees WHERE NOT (department_id IN (1, NULL))"),
    ("expression_and_text_filters", {
        "source_tables": ["orders"], "target_table": "t",
        "filters": [{"expression": "coalesce(amount, 0) * 2 > 300 AND lower(channel) IN ('web', 'store')"},
                    {"column": "status", "operator": "starts_with", "value": "comp"},
                    {"column": "order_date", "operator": "not_between", "value": ["2024-02-01", "2024-02-28"]}],
        "columns": ["order_id"]},
     "SELECT order_id FROM orders WHERE coalesce(amount, 0) * 2 > 300 AND lower(channel) IN ('web', 'store') "
     "AND status LIKE 'comp%' AND NOT (order_date BETWEEN DATE '2024-02-01' AND DATE '2024-02-28')"),
    ("ilike_and_value_column", {
        "source_tables": ["customers"], "target_table": "t",
        "filters": [{"column": "email", "operator": "ilike", "value": "%@EXAMPLE.com"},
                    {"column": "first_name", "operator": "<", "value_column": "last_name"}],
        "columns": ["customer_id"]},
     "SELECT customer_id FROM customers WHERE email ILIKE '%@EXAMPLE.com' AND first_name < last_name"),
    ("scalar_functions_division_rounding_casts", {
        "source_tables": ["orders"], "target_table": "t",
        "derived_columns": [
            {"name": "third", "expression": "amount / 3"},
            {"name": "int_ratio", "expression": "customer_id / 4"},
            {"name": "rounded", "expression": "round(amount * 1.005, 1)"},
            {"name": "as_int", "expression": "CAST(amount AS INTEGER)"},
            {"name": "as_double", "expression": "CAST(customer_id AS DOUBLE) / 8"},
            {"name": "tag", "expression": "upper(channel) || '-' || CAST(order_id AS VARCHAR)"},
            {"name": "code", "expression": "concat(discount_code, '/', status)"},
            {"name": "md", "expression": "month(order_date) + day(order_date)"},
            {"name": "month_start", "expression": "date_trunc('month', order_date)"},
            {"name": "known", "expression": "nullif(customer_id, 99)"},
            {"name": "pos", "expression": "abs(-amount)"},
            {"name": "flag", "expression": "CASE status WHEN 'completed' THEN TRUE WHEN 'cancelled' THEN FALSE END"},
            {"name": "d", "expression": "CAST('2024-02-01' AS DATE)"}],
        "columns": ["order_id", "third", "int_ratio", "rounded", "as_int", "as_double", "tag", "code", "md",
                    "month_start", "known", "pos", "flag", "d"]},
     "SELECT order_id, amount / 3 AS third, customer_id / 4 AS int_ratio, round(amount * 1.005, 1) AS rounded, "
     "CAST(amount AS INTEGER) AS as_int, CAST(customer_id AS DOUBLE) / 8 AS as_double, "
     "upper(channel) || '-' || CAST(order_id AS VARCHAR) AS tag, concat(discount_code, '/', status) AS code, "
     "month(order_date) + day(order_date) AS md, date_trunc('month', order_date) AS month_start, "
     "nullif(customer_id, 99) AS known, abs(-amount) AS pos, "
     "CASE status WHEN 'completed' THEN TRUE WHEN 'cancelled' THEN FALSE END AS flag, DATE '2024-02-01' AS d FROM orders"),
    ("windows_ranks_frames_lag", {
        "source_tables": ["order_items"], "target_table": "t",
        "windows": [
            {"name": "dr", "function": "dense_rank", "partition_by": ["product_id"], "order_by": ["quantity desc"]},
            {"name": "rk", "function": "rank", "order_by": ["unit_price"]},
            {"name": "range_sum", "function": "sum", "column": "quantity", "order_by": ["unit_price"]},
            {"name": "run_min", "function": "min", "column": "discount", "partition_by": ["order_id"],
             "order_by": ["order_item_id"], "frame": "running"},
            {"name": "run_avg", "function": "avg", "column": "quantity", "partition_by": ["order_id"],
             "order_by": ["order_item_id"], "frame": "running"},
            {"name": "run_cnt", "function": "count", "order_by": ["order_item_id"], "frame": "running"},
            {"name": "part_max", "function": "max", "column": "unit_price", "partition_by": ["product_id"]},
            {"name": "prev_qty", "function": "lag", "column": "quantity", "order_by": ["order_item_id"]}],
        "columns": ["order_item_id", "dr", "rk", "range_sum", "run_min", "run_avg", "run_cnt", "part_max", "prev_qty"]},
     "SELECT order_item_id, dense_rank() OVER (PARTITION BY product_id ORDER BY quantity DESC) AS dr, "
     "rank() OVER (ORDER BY unit_price) AS rk, sum(quantity) OVER (ORDER BY unit_price) AS range_sum, "
     "min(discount) OVER (PARTITION BY order_id ORDER BY order_item_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_min, "
     "avg(quantity) OVER (PARTITION BY order_id ORDER BY order_item_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_avg, "
     "count(*) OVER (ORDER BY order_item_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS run_cnt, "
     "max(unit_price) OVER (PARTITION BY product_id) AS part_max, lag(quantity) OVER (ORDER BY order_item_id) AS prev_qty "
     "FROM order_items"),
    ("windows_on_groups", {
        "source_tables": C_O, "target_table": "t",
        "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
        "group_by": ["c.segment", "o.channel"],
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "amt"}],
        "windows": [{"name": "seg_share", "function": "share", "column": "amt", "partition_by": ["segment"]},
                    {"name": "seg_rank", "function": "rank", "partition_by": ["segment"], "order_by": ["amt desc"]}]},
     "SELECT c.segment, o.channel, sum(o.amount) AS amt, "
     "CAST(sum(o.amount) AS DOUBLE) / NULLIF(sum(sum(o.amount)) OVER (PARTITION BY c.segment), 0) AS seg_share, "
     "rank() OVER (PARTITION BY c.segment ORDER BY sum(o.amount) DESC) AS seg_rank "
     "FROM customers c JOIN orders o ON o.customer_id = c.customer_id GROUP BY c.segment, o.channel"),
    ("dedupe_keep_last_puts_nulls_first", {
        "source_tables": ["employees"], "target_table": "t",
        "dedupe": {"keys": ["department_id"], "order_by": ["performance_rating"], "keep": "last"},
        "columns": ["department_id", "employee_id"]},
     "SELECT department_id, employee_id FROM employees "
     "QUALIFY row_number() OVER (PARTITION BY department_id ORDER BY performance_rating DESC NULLS FIRST) = 1"),
    ("dedupe_ignoring_case_of_text_keys_only", {
        "source_tables": ["customers"], "target_table": "t",
        "dedupe": {"keys": ["segment", "customer_id"], "order_by": ["signup_date desc"], "ignore_case": True},
        "columns": ["segment", "customer_id"]},
     "SELECT segment, customer_id FROM customers "
     "QUALIFY row_number() OVER (PARTITION BY lower(segment), customer_id ORDER BY signup_date DESC) = 1"),
    ("dedupe_on_joined_rows", {
        "source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "order_items", "alias": "i"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "o", "right_table": "i", "on_columns": ["order_id"]}],
        "dedupe": {"keys": ["o.customer_id"], "order_by": ["o.order_date desc", "i.order_item_id"]},
        "columns": ["o.customer_id", "o.order_id", "i.order_item_id"]},
     "SELECT o.customer_id, o.order_id, i.order_item_id FROM orders o JOIN order_items i ON i.order_id = o.order_id "
     "QUALIFY row_number() OVER (PARTITION BY o.customer_id ORDER BY o.order_date DESC, i.order_item_id) = 1"),
    ("having_expressions_and_derived_over_aggregates", {
        "source_tables": ["orders"], "target_table": "t", "group_by": ["customer_id"],
        "aggregations": [{"function": "sum", "column": "amount", "alias": "total", "round": 0},
                         {"function": "count", "alias": "n"}],
        "derived_columns": [{"name": "avg_per_order", "expression": "total / n"},
                            {"name": "max_share", "expression": "max(amount) / sum(amount)"}],
        "having": [{"expression": "count(*) >= 2"}, {"column": "max(amount)", "operator": ">", "value": 100}]},
     "SELECT customer_id, round(sum(amount), 0) AS total, count(*) AS n, sum(amount) / count(*) AS avg_per_order, "
     "max(amount) / sum(amount) AS max_share FROM orders GROUP BY customer_id HAVING count(*) >= 2 AND max(amount) > 100"),
    ("union_distinct_then_order_and_limit", {
        "source_tables": ["customers"], "target_table": "t", "columns": ["city"],
        "union": {"mode": "distinct", "blocks": [
            {"source_tables": ["departments"], "columns": [{"column": "location", "name": "city"}]},
            {"source_tables": ["customers"], "columns": ["city"]}]},
        "order_by": ["city desc"], "limit": 4},
     "SELECT * FROM (SELECT city FROM customers UNION SELECT location FROM departments UNION SELECT city FROM customers) "
     "ORDER BY city DESC LIMIT 4"),
    ("distinct", {"source_tables": ["orders"], "target_table": "t", "columns": ["channel", "status"], "distinct": True},
     "SELECT DISTINCT channel, status FROM orders"),
    ("order_by_a_column_not_in_the_output", {
        "source_tables": ["orders"], "target_table": "t", "columns": ["order_id"], "order_by": ["order_date desc"], "limit": 2},
     "SELECT order_id FROM orders ORDER BY order_date DESC LIMIT 2"),
    ("exact_dedupe_of_joined_rows", {
        "source_tables": [{"table_name": "page_views", "alias": "p"}, {"table_name": "customers", "alias": "c"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "p", "right_table": "c", "join_type": "left", "on_columns": ["session_id = customer_id"]}],
        "dedupe": {}, "group_by": ["p.page_url"], "aggregations": [{"function": "count", "alias": "views"}]},
     "SELECT page_url, count(*) AS views FROM (SELECT DISTINCT * FROM page_views p LEFT JOIN customers c "
     "ON c.customer_id = p.session_id) GROUP BY page_url"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "reference"), [c[1:] for c in SEMANTICS], ids=[c[0] for c in SEMANTICS])
def test_polars_evaluation_keeps_sql_semantics(spec, reference, duck, fixture_catalog) -> None:  # type: ignore[no-untyped-def]
    got = evaluate_spec_polars(load_spec(spec), fixture_catalog, _arrow(duck))
    cmp = compare_results(got, _frame(duck, reference))
    assert cmp.equal, cmp.message()


def test_division_by_zero_follows_the_engine(duck, fixture_catalog) -> None:  # type: ignore[no-untyped-def]
    spec = load_spec({"source_tables": ["orders"], "target_table": "t", "filters": [{"column": "order_id", "operator": "=", "value": 101}],
                      "derived_columns": [{"name": "r", "expression": "amount / (customer_id - 1)"}], "columns": ["r"]})  # fmt: skip
    assert evaluate_spec_polars(spec, fixture_catalog, _arrow(duck), div_by_zero="null")["r"].to_list() == [None]
    assert evaluate_spec_polars(spec, fixture_catalog, _arrow(duck), div_by_zero="ieee")["r"].to_list() == [float("inf")]


def test_the_evaluator_does_not_use_the_compiler() -> None:
    import ast

    src = Path(__file__).parents[1] / "src" / "datamorph" / "validation"
    for name in ("differential.py", "polars_eval.py", "polars_expr.py"):
        tree = ast.parse((src / name).read_text())
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.startswith("datamorph.compiler")], name


# ---------------------------------------------------------------------------------------------
# 2. the compiled SQL passes; planted compiler faults are caught
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_compiled_golden_result_passes(name: str, engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(_golden(name)["spec"]), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    t = differential_test(engine, compiled.spec, catalog, staged)
    assert (t.status, t.message) == ("pass", "")
    assert t.test_id == TEST_ID and t.category == "transformation" and t.validation_type == "rule_based"
    assert t.actual_result["mode"] == "full" and t.actual_result["staged_rows"] == t.actual_result["expected_rows"]


RATIO = {
    "source_tables": ["orders"], "target_table": "cancel_rates", "group_by": ["channel"],
    "aggregations": [{"function": "count", "alias": "orders"},
                     {"function": "count", "alias": "cancelled",
                      "filter": [{"column": "status", "operator": "=", "value": "cancelled"}]}],
    "derived_columns": [{"name": "cancel_ratio", "expression": "cancelled / orders"}],
}  # fmt: skip
TOPN = {"source_tables": ["orders"], "target_table": "top_orders", "columns": ["order_id", "amount"],
        "order_by": ["amount desc"], "limit": 3}  # fmt: skip
TOP_ORDER = {
    "source_tables": C_O, "target_table": "largest_order",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "windows": [{"name": "rn", "function": "row_number", "partition_by": ["c.customer_id"],
                 "order_by": ["o.amount desc", "o.order_id"]}],
    "columns": ["c.first_name", "c.city", {"column": "o.amount", "name": "top_amount"}, "rn"],
    "qualify": [{"column": "rn", "operator": "=", "value": 1}],
}  # fmt: skip
CUSTOMERS_PER_CHANNEL = {
    "source_tables": ["orders"], "target_table": "channel_customers", "group_by": ["channel"],
    "aggregations": [{"function": "count_distinct", "column": "customer_id", "alias": "customers"},
                     {"function": "count", "alias": "orders"}],
}  # fmt: skip


def _integer_division(q: exp.Expression) -> None:
    divs = list(q.find_all(exp.Div))
    assert divs
    for d in divs:
        d.replace(exp.IntDiv(this=d.this.copy(), expression=d.expression.copy()))


def _nulls_first(q: exp.Expression) -> None:
    ordered = list(q.find_all(exp.Ordered))
    assert ordered
    for o in ordered:
        o.set("nulls_first", True)


def _left_join(q: exp.Expression) -> None:
    joins = list(q.find_all(exp.Join))
    assert joins
    for j in joins:
        j.set("kind", None)
        j.set("side", "LEFT")


def _drop_distinct(q: exp.Expression) -> None:
    counts = [c for c in q.find_all(exp.Count) if isinstance(c.this, exp.Distinct)]
    assert counts
    for c in counts:
        c.set("this", c.this.expressions[0].copy())


FAULTS = [
    ("integer_division", RATIO, _integer_division, "//"),
    ("nulls_first_in_top_n", TOPN, _nulls_first, "NULLS FIRST"),
    ("left_instead_of_inner_join", TOP_ORDER, _left_join, "LEFT JOIN"),
    ("dropped_distinct_in_count_distinct", CUSTOMERS_PER_CHANNEL, _drop_distinct, 'COUNT("orders"."customer_id")'),
]


@pytest.mark.parametrize(("spec", "plant", "sql_mark"), [f[1:] for f in FAULTS], ids=[f[0] for f in FAULTS])
def test_planted_compiler_fault_passes_derived_tests_and_fails_the_differential(engine, spec, plant, sql_mark) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(spec), catalog)
    target = compiled.spec.target_table.name
    good = _stage(engine, compiled.sql("duckdb"), target)
    assert differential_test(engine, compiled.spec, catalog, good).status == "pass"

    faulty = compiled.query.copy()
    plant(faulty)
    sql = faulty.sql(dialect="duckdb")
    assert sql_mark in sql and sql != compiled.sql("duckdb", pretty=False)
    bad = _stage(engine, sql, target + "_faulty")

    derived = run_tests(engine, derive_tests(compiled, bad, "duckdb"), bad)
    assert derived.status == "pass", [(t.test_id, t.message) for t in derived.failures()]
    assert all(t.status == "pass" for t in derived.tests), [(t.test_id, t.status) for t in derived.tests]

    t = differential_test(engine, compiled.spec, catalog, bad)
    assert t.status == "fail", t.message
    assert "not in the Polars evaluation" in t.message or "missing from the result" in t.message
    assert t.actual_result["unexpected_rows"] or t.actual_result["missing_rows"]

    report = validate(engine, compiled, bad)
    assert report.status == "fail"
    assert [x.test_id for x in report.failures()] == [TEST_ID]


def test_failure_message_shows_the_differing_rows(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(CUSTOMERS_PER_CHANNEL), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    engine.fetch(f"UPDATE {staged} SET customers = 42 WHERE channel = 'store'")
    t = differential_test(engine, compiled.spec, catalog, staged)
    assert t.status == "fail"
    assert t.actual_result["unexpected_rows"] == [{"channel": "store", "customers": 42, "orders": 2}]
    assert t.actual_result["missing_rows"] == [{"channel": "store", "customers": 2, "orders": 2}]
    assert "'store'" in t.message and "42" in t.message


# ---------------------------------------------------------------------------------------------
# 3. never a silent pass
# ---------------------------------------------------------------------------------------------


def test_unsupported_expression_is_a_warning_not_a_pass(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    spec = {"source_tables": ["customers"], "target_table": "t", "columns": ["customer_id", "distance"],
            "derived_columns": [{"name": "distance", "expression": "levenshtein(first_name, last_name)"}]}  # fmt: skip
    compiled = compile_spec(load_spec(spec), catalog)
    t = differential_test(engine, compiled.spec, catalog, _stage(engine, compiled.sql("duckdb")))
    assert t.status == "warning"
    assert "levenshtein" in t.message.lower() and "not support" in t.message


def test_dedupe_that_the_data_does_not_decide_is_a_warning(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    spec = {"source_tables": ["orders"], "target_table": "t", "dedupe": {"keys": ["customer_id"]},
            "columns": ["customer_id", "order_id"]}  # fmt: skip
    compiled = compile_spec(load_spec(spec), catalog)
    t = differential_test(engine, compiled.spec, catalog, _stage(engine, compiled.sql("duckdb")))
    assert t.status == "warning" and "tie" in t.message


def test_limit_cutting_through_a_tie(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    # unit prices 99.00, 24.50, 24.50, 9.99, 4.75: a limit of 2 keeps one of the two tied at 24.50
    spec = {"source_tables": ["products"], "target_table": "t", "columns": ["product_id", "unit_price"],
            "order_by": ["unit_price desc"], "limit": 2}  # fmt: skip
    compiled = compile_spec(load_spec(spec), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    t = differential_test(engine, compiled.spec, catalog, staged)
    assert t.status == "warning" and "does not determine" in t.message
    assert t.actual_result["limit_tie"] == "1 of the 2 rows tied on the order_by columns at the cut"
    engine.fetch(f"UPDATE {staged} SET product_id = 1, unit_price = 9.99 WHERE unit_price = 24.50")
    t = differential_test(engine, compiled.spec, catalog, staged)
    assert t.status == "fail" and "not among the first rows" in t.message


def test_collated_text_is_a_warning(engine) -> None:  # type: ignore[no-untyped-def]
    engine.fetch("CREATE TABLE regions (code VARCHAR COLLATE NOCASE PRIMARY KEY, name VARCHAR)")
    engine.fetch("INSERT INTO regions VALUES ('A', 'upper'), ('b', 'lower')")
    assert engine.text_collations("regions") == {"code": "NOCASE"}
    assert engine.text_collations("customers") == {}
    catalog = engine.catalog()
    spec = {"source_tables": ["regions"], "target_table": "t", "filters": [{"column": "code", "operator": "=", "value": "a"}]}
    compiled = compile_spec(load_spec(spec), catalog)
    t = differential_test(engine, compiled.spec, catalog, _stage(engine, compiled.sql("duckdb")))
    assert t.status == "warning" and "collation NOCASE" in t.message


def test_validate_appends_the_differential_test(engine) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_spec(load_spec(RATIO), engine.catalog())
    staged = _stage(engine, compiled.sql("duckdb"))
    report = validate(engine, compiled, staged)
    assert report.tests[-1].test_id == TEST_ID and report.tests[-1].status == "pass"
    assert report.status == "pass"
    assert TEST_ID not in {t.test_id for t in validate(engine, compiled, staged, differential=False).tests}


def test_without_polars_the_check_is_a_warning(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    compiled = compile_spec(load_spec(RATIO), engine.catalog())
    staged = _stage(engine, compiled.sql("duckdb"))
    real_import = builtins.__import__

    def no_polars(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.split(".")[0] == "polars":
            raise ImportError("No module named 'polars'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_polars)
    report = validate(engine, compiled, staged)
    t = report.tests[-1]
    assert (t.test_id, t.status) == (TEST_ID, "warning")
    assert INSTALL_HINT in t.message and 'pip install "datamorph[differential]"' in t.message
    assert report.status == "pass"


def test_an_engine_without_arrow_gives_a_warning(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datamorph.engines.base import Engine

    compiled = compile_spec(load_spec(RATIO), engine.catalog())
    staged = _stage(engine, compiled.sql("duckdb"))
    monkeypatch.setattr(type(engine), "read_arrow", Engine.read_arrow)
    t = differential_test(engine, compiled.spec, compiled.blocks[0].scope.catalog, staged)
    assert t.status == "warning" and "cannot read tables as Arrow" in t.message


# ---------------------------------------------------------------------------------------------
# large sources: a key-preserving sample
# ---------------------------------------------------------------------------------------------

SUMMARY = {
    "source_tables": C_O, "target_table": "summary",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "filters": [{"column": "o.status", "operator": "!=", "value": "cancelled"}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"},
                     {"function": "count", "alias": "order_count"}],
}  # fmt: skip


def test_large_sources_are_checked_on_a_key_sample(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(SUMMARY), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=2)
    assert (t.status, t.message) == ("pass", "")
    a = t.actual_result
    assert a["mode"] == "sample" and a["source_rows"] == 17 and a["max_rows"] == 5
    assert a["sample_key"] == "c.customer_id" and a["sampled_keys"] == 2 and len(a["key_values"]) == 2
    assert a["sample_source_rows"] < a["source_rows"]
    assert a["staged_rows"] == a["expected_rows"] <= 2

    sampled, other = a["key_values"][0], next(k for k in (1, 2, 3, 4) if k not in a["key_values"])
    engine.fetch(f"UPDATE {staged} SET total_amount = total_amount + 1 WHERE customer_id = {sampled}")
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=2)
    assert t.status == "fail" and t.actual_result["mode"] == "sample"
    assert t.actual_result["unexpected_rows"][0]["customer_id"] == sampled

    # a group outside the sample is not looked at (that is what a sample means)
    engine.fetch(f"UPDATE {staged} SET total_amount = total_amount - 1 WHERE customer_id = {sampled}")
    engine.fetch(f"UPDATE {staged} SET total_amount = total_amount + 1 WHERE customer_id = {other}")
    assert differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=2).status == "pass"
    assert differential_test(engine, compiled.spec, catalog, staged).status == "fail"


def test_sample_of_row_level_spec_follows_the_join_key(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(_golden("qualify_top2_per_customer")["spec"]), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=3, sample_keys=2)
    assert t.status == "pass" and t.actual_result["sample_key"] == "orders.customer_id"


@pytest.mark.parametrize(("name", "reason"), [("share_of_total", "spans several sample keys"),
                                              ("topn", "limit"), ("union_all", "union"),
                                              ("date_month_group", "no group_by key")])  # fmt: skip
def test_large_sources_that_cannot_be_sampled_are_a_warning(engine, name, reason) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(_golden(name)["spec"]), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=3)
    assert t.status == "warning" and reason in t.message and "max_rows=3" in t.message



# ---------------------------------------------------------------------------------------------
# cheaper reads: the key sample through a hash filter, only the columns the spec names
# ---------------------------------------------------------------------------------------------


def _plain_key_sample(engine: Any, table: str, column: str, n: int) -> list[Any]:
    """The key sample as one query over the whole column (what the hash filter must reproduce)."""
    sql = (f'SELECT "{column}" FROM (SELECT DISTINCT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL) AS k '
           f'ORDER BY hash("{column}"), "{column}" LIMIT {n}')  # fmt: skip
    return [r[0] for r in engine.fetch(sql).rows]


def test_the_hash_filtered_key_sample_is_the_plain_one(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from datamorph.validation import differential

    engine.fetch("CREATE TABLE events AS SELECT i AS event_id, (i % 1500)::INTEGER AS user_id, "
                 "CASE WHEN i % 10 = 0 THEN NULL ELSE 'k' || (i % 37) END AS tag FROM range(20000) r(i)")  # fmt: skip
    info = engine.catalog(["events"]).table("events")
    sent: list[str] = []
    fetch = engine.fetch
    monkeypatch.setattr(engine, "fetch", lambda sql, *a, **k: (sent.append(sql), fetch(sql, *a, **k))[1])
    # 20,000 rows: a unique column gives n values under the first threshold (one query); columns with
    # fewer distinct values need it raised, or the whole column; too few rows per key: the whole column
    for column, n in [("event_id", 10), ("event_id", 2000), ("user_id", 100), ("user_id", 1500), ("tag", 5),
                      ("tag", 40), ("event_id", 5000)]:  # fmt: skip
        sent.clear()
        got = differential._key_sample(engine, info, column, n)
        filtered = ["hash(" in q and "< CAST(" in q for q in sent]
        assert got == _plain_key_sample(engine, "events", column, n), (column, n)
        assert len(got) == min(n, {"event_id": 20000, "user_id": 1500, "tag": 37}[column])
        assert all(filtered[:-1]) and any(filtered) == (n * 8 < 20000), (column, n, sent)
        if column == "event_id" and n * 8 < 20000:
            assert filtered == [True]


def test_sources_are_read_with_only_the_columns_the_spec_names(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(SUMMARY), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    reads: list[tuple[str, Any]] = []
    views: list[str] = []
    read, fetch = engine.read_arrow, engine.fetch
    monkeypatch.setattr(engine, "read_arrow", lambda table, columns=None, **k: (
        reads.append((table, columns)), read(table, columns, **k))[1])  # fmt: skip
    monkeypatch.setattr(engine, "fetch", lambda sql, *a, **k: (
        views.append(" ".join(sql.split())) if sql.startswith("CREATE TEMP VIEW") else None, fetch(sql, *a, **k))[1])  # fmt: skip

    t = differential_test(engine, compiled.spec, catalog, staged)  # the whole sources
    assert (t.status, t.message) == ("pass", "")
    assert dict(reads) == {"customers": ["customer_id"], "orders": ["customer_id", "status", "amount"], staged: None}
    assert views == []

    # a sample: customers is not read again (only its integer primary key is needed, and the sampled keys
    # are its values); orders and the staged rows are read through the sample's hash band
    reads.clear()
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=2)
    assert (t.status, t.message) == ("pass", "") and t.actual_result["sampled_keys"] == 2
    assert len(reads) == 2 and all(table.startswith("temp._dm_band_") for table, _cols in reads)
    assert [v.split(" AS ", 1)[1].split(" <= ")[0] for v in views] == [
        'SELECT "customer_id", "status", "amount" FROM "orders" WHERE hash("customer_id")',
        f'SELECT * FROM "datamorph_staging"."{staged.split(".")[1]}" WHERE hash("customer_id")']
    assert not engine.fetch("SELECT * FROM duckdb_views() WHERE view_name LIKE '_dm_band_%'").rows  # dropped

    engine.fetch(f"UPDATE {staged} SET total_amount = total_amount + 1 WHERE customer_id = 1")
    assert differential_test(engine, compiled.spec, catalog, staged).status == "fail"


def test_a_staged_key_of_another_type_is_read_with_the_list_of_keys(engine) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(SUMMARY), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    engine.fetch(f"ALTER TABLE {staged} ALTER customer_id TYPE BIGINT")  # hashes differ from INTEGER's
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=3)
    assert (t.status, t.message) == ("pass", "")
    sampled = t.actual_result["key_values"][0]
    engine.fetch(f"UPDATE {staged} SET order_count = order_count + 1 WHERE customer_id = {sampled}")
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=5, sample_keys=3)
    assert t.status == "fail" and t.actual_result["unexpected_rows"][0]["customer_id"] == sampled


@pytest.mark.parametrize("max_rows", [1_000_000, 5], ids=["whole", "sample"])
def test_a_column_the_spec_does_not_name_is_read_and_checked_all_the_same(engine, max_rows, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # no columns listed: every column of orders is an output, though the spec names only amount
    spec = {"source_tables": ["orders"], "target_table": "big", "filters": [{"column": "amount", "operator": ">=",
                                                                             "value": 100}]}  # fmt: skip
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(spec), catalog)
    staged = _stage(engine, compiled.sql("duckdb"))
    orders: list[Any] = []  # the columns of each read of orders (None: all), directly or through a band view
    read, fetch = engine.read_arrow, engine.fetch

    def spy_read(table: str, columns: Any = None, **k: Any) -> Any:
        if table == "orders":
            orders.append(columns)
        return read(table, columns, **k)

    def spy_fetch(sql: str, *a: Any, **k: Any) -> Any:
        if sql.startswith("CREATE TEMP VIEW") and ' FROM "orders" ' in sql:
            select = sql.split(" AS SELECT ", 1)[1].split(" FROM ", 1)[0]
            orders.append(None if select == "*" else [c.strip('" ') for c in select.split(",")])
        return fetch(sql, *a, **k)

    monkeypatch.setattr(engine, "read_arrow", spy_read)
    monkeypatch.setattr(engine, "fetch", spy_fetch)
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=max_rows, sample_keys=100)
    assert (t.status, t.message, t.actual_result["mode"]) == ("pass", "", "full" if max_rows > 100 else "sample")
    # first only what the spec names (and the sample key), which is not enough; then every column
    assert len(orders) == 2 and "amount" in orders[0] and "channel" not in orders[0] and orders[1] is None
    engine.fetch(f"UPDATE {staged} SET channel = 'carrier pigeon' WHERE order_id = 101")
    t = differential_test(engine, compiled.spec, catalog, staged, max_rows=max_rows, sample_keys=100)
    assert t.status == "fail" and t.actual_result["unexpected_rows"][0]["channel"] == "carrier pigeon"


# ---------------------------------------------------------------------------------------------
# compare_results
# ---------------------------------------------------------------------------------------------


def _df(data: dict[str, list[Any]], schema: dict[str, Any] | None = None) -> Any:
    import polars as pl

    return pl.DataFrame(data, schema=schema, strict=False)


def test_compare_is_order_insensitive_and_counts_duplicates() -> None:
    a = _df({"k": [1, 2, 2], "v": ["x", "y", "y"]})
    assert compare_results(a, _df({"k": [2, 1, 2], "v": ["y", "x", "y"]})).equal
    cmp = compare_results(a, _df({"k": [1, 2], "v": ["x", "y"]}))
    assert not cmp.equal and cmp.unexpected_count == 1 and cmp.unexpected == [{"k": 2, "v": "y"}]


def test_compare_numbers_with_tolerance_nulls_and_decimals() -> None:
    import polars as pl

    staged = _df({"n": [Decimal("0.30"), None, Decimal("1000000000.5")]}, {"n": pl.Decimal(20, 2)})
    expected = _df({"n": [0.1 + 0.2, None, 1000000000.5000001]})
    assert compare_results(staged, expected).equal
    assert not compare_results(staged, _df({"n": [0.3, None, 1000000010.0]})).equal  # 1e-8 relative
    assert compare_results(_df({"n": [1e-7]}), _df({"n": [0.0]})).equal  # within abs_tol
    assert not compare_results(_df({"n": [1e-7]}), _df({"n": [0.0]}), abs_tol=1e-9).equal
    assert compare_results(_df({"n": [3]}), _df({"n": [3.0]})).equal
    assert not compare_results(_df({"n": [None]}, {"n": pl.Int64}), _df({"n": [0]})).equal


def test_compare_dates_and_timestamps_as_iso_text() -> None:
    import polars as pl

    dates = _df({"d": [dt.date(2024, 1, 1)]})
    assert compare_results(dates, _df({"d": [dt.datetime(2024, 1, 1)]}, {"d": pl.Datetime("us")})).equal
    assert compare_results(_df({"d": ["2024-01-01"]}), dates).equal
    assert not compare_results(dates, _df({"d": [dt.datetime(2024, 1, 1, 12)]})).equal
    ts = _df({"d": [dt.datetime(2024, 1, 1, 12, 30, 5, 250000)]})
    assert compare_results(ts, _df({"d": ["2024-01-01 12:30:05.25"]})).equal


def test_compare_columns_by_name_case_insensitive() -> None:
    assert compare_results(_df({"A": [1], "b": [2]}), _df({"b": [2], "a": [1]})).equal
    cmp = compare_results(_df({"a": [1], "c": [2]}), _df({"a": [1], "b": [2]}))
    assert not cmp.equal
    assert cmp.column_problems == ["the result has no column b", "the result has an unexpected column c"]
    cmp = compare_results(_df({"a": ["1"]}), _df({"a": [1]}))
    assert not cmp.equal and "column a" in cmp.message()


def test_compare_shows_at_most_ten_rows() -> None:
    cmp = compare_results(_df({"k": list(range(30))}), _df({"k": list(range(100, 125))}))
    assert cmp.unexpected_count == 30 and cmp.missing_count == 25
    assert len(cmp.unexpected) == 10 and len(cmp.missing) == 10


# ---------------------------------------------------------------------------------------------
# the engine's Arrow reads
# ---------------------------------------------------------------------------------------------


def test_duckdb_reads_arrow_with_columns_and_key_filter(engine) -> None:  # type: ignore[no-untyped-def]
    t = engine.read_arrow("orders")
    assert t.num_rows == 11 and "amount" in t.column_names
    t = engine.read_arrow("orders", ["order_id", "customer_id"], where_in=("customer_id", [1, 3, None]))
    assert t.column_names == ["order_id", "customer_id"]
    assert sorted(t.column("order_id").to_pylist()) == [101, 102, 105, 106, 111]
    assert engine.read_arrow("orders", where_in=("customer_id", [])).num_rows == 0
    assert engine.read_arrow("main.customers", where_in=("email", ["ada@example.com"])).num_rows == 1


def test_base_engine_has_no_arrow_reads() -> None:
    from datamorph.engines.base import Engine

    with pytest.raises(NotImplementedError, match="cannot read tables as Arrow"):
        Engine.read_arrow(type("Fake", (), {"name": "fake"})(), "t")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# shared join keys of outer joins: the compiler and the evaluation take the preserved side
# ---------------------------------------------------------------------------------------------

OUTER_KEYS = [
    ("right_join_default_columns_take_the_preserved_key", {
        "source_tables": E_D, "target_table": "t",
        "join_conditions": [{"left_table": "e", "right_table": "d", "join_type": "right", "on_columns": ["department_id"]}]}),
    ("full_join_bare_key_is_coalesced", {
        "source_tables": C_O, "target_table": "t",
        "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "full", "on_columns": ["customer_id"]}],
        "group_by": ["customer_id"], "aggregations": [{"function": "count", "column": "o.order_id", "alias": "n"}]}),
]  # fmt: skip


@pytest.mark.parametrize("spec", [pytest.param(d[1], id=d[0]) for d in OUTER_KEYS])
def test_compiler_and_evaluation_agree_on_outer_join_keys(engine, spec) -> None:  # type: ignore[no-untyped-def]
    catalog = engine.catalog()
    compiled = compile_spec(load_spec(spec), catalog)
    t = differential_test(engine, compiled.spec, catalog, _stage(engine, compiled.sql("duckdb")))
    assert t.status == "pass", t.message


def test_exact_dedupe_of_several_sources_is_refused_at_compile_time(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.errors import CompileError

    spec = {"source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "customers", "alias": "c"}],
            "target_table": "t", "join_conditions": [{"left_table": "o", "right_table": "c", "on_columns": ["customer_id"]}],
            "dedupe": {}, "columns": ["c.city"]}  # fmt: skip
    with pytest.raises(CompileError, match="applies to one source table"):
        compile_spec(load_spec(spec), engine.catalog())
