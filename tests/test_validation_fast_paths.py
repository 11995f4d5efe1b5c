"""The cheaper validation queries compute exactly what the plain ones do.

* The reconciliation recomputes an aggregate over ``fact JOIN dim ON dim's primary key`` by
  aggregating the fact table first (``_eager_source_rows``); it must give the same figures as
  the block's own join, and must not be used where that is not guaranteed.
* The inner-join key test, when the reconciliation query answers it too, must count exactly the
  rows the stand-alone test counts.
* A key looked up in a table whose integer primary key holds every value of its range is checked
  by range instead; a gap in the range keeps the lookup.
* The reconciliation may run on a perfect hash aggregate; the overlap source check may be proven
  by a cheaper query; neither changes a verdict.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.engines import connect
from datamorph.spec import load_spec
from datamorph.validation import derive_tests, validate
from datamorph.validation.derive import JOIN_VIOLATIONS_COLUMN, _Deriver, _eager_source_rows, dense_key_name
from datamorph.validation.tuning import dense_integer_keys

JOIN = [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}]
CO = [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}]
EXAMPLE = {
    "source_tables": CO,
    "target_table": "summary",
    "join_conditions": JOIN,
    "filters": [{"column": "o.status", "operator": "!=", "value": "cancelled"}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"},
                     {"function": "count", "alias": "order_count"}],
    "having": [{"column": "total_amount", "operator": ">", "value": 100}],
}  # fmt: skip

EAGER = {
    "example": EXAMPLE,
    "fact_first": {
        "source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "customers", "alias": "c"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "o", "right_table": "c", "on_columns": ["customer_id"]}],
        "group_by": ["o.customer_id"],
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"},
                         {"function": "count", "column": "o.amount", "alias": "n_amounts"}],
        "having": [{"column": "n_amounts", "operator": ">=", "value": 2}],
    },
    "extra_on_condition": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": [{**JOIN[0], "conditions": [{"column": "o.channel", "operator": "=", "value": "web"}]}],
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
    },
    "no_having_count_distinct": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": JOIN,
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "count_distinct", "column": "o.channel", "alias": "channels"},
                         {"function": "count", "column": "c.customer_id", "alias": "n"}],
    },
    "having_on_key_and_avg": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": JOIN,
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"},
                         {"function": "avg", "column": "o.amount", "alias": "mean"}],
        "having": [{"column": "mean", "operator": "<", "value": 1000}],
        "filters": [{"column": "c.customer_id", "operator": ">", "value": 1}],
    },
    "departments": {
        "source_tables": [{"table_name": "employees", "alias": "e"}, {"table_name": "departments", "alias": "d"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "e", "right_table": "d", "on_columns": ["department_id"]}],
        "group_by": ["d.department_id"],
        "aggregations": [{"function": "sum", "column": "e.salary", "alias": "payroll"},
                         {"function": "count", "alias": "people"}],
    },
}  # fmt: skip

NOT_EAGER = {
    "left_join": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": [{**JOIN[0], "join_type": "left"}],
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "count", "column": "o.order_id", "alias": "n"}],
    },
    "group_by_a_non_key_column": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": JOIN,
        "group_by": ["c.city"],
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total"}],
    },
    "aggregate_reads_the_other_table": {
        "source_tables": CO,
        "target_table": "t",
        "join_conditions": JOIN,
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "count", "column": "c.email", "alias": "n"}],
    },
    "filter_reads_the_other_table": {
        **EXAMPLE,
        "filters": [{"column": "c.segment", "operator": "=", "value": "consumer"}],
    },
    "join_key_is_not_a_primary_key": {
        "source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "accounts", "alias": "a"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "o", "right_table": "a",
                             "on_columns": [{"left": "customer_id", "right": "owner_customer_id"}]}],
        "group_by": ["o.customer_id"],
        "aggregations": [{"function": "sum", "column": "a.balance", "alias": "total"}],
    },
    "key_types_differ": {
        "source_tables": [{"table_name": "page_views", "alias": "p"}, {"table_name": "customers", "alias": "c"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "p", "right_table": "c",
                             "on_columns": [{"left": "view_id", "right": "customer_id"}]}],
        "group_by": ["c.customer_id"],
        "aggregations": [{"function": "count", "alias": "n"}],
    },
}  # fmt: skip


@pytest.fixture
def engine(fixture_warehouse) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with connect(str(fixture_warehouse)) as e:
        yield e


def _compiled(engine: Any, spec: dict) -> Any:
    return compile_spec(load_spec(spec), engine.catalog())


def _figures(engine: Any, src: Any, n_measures: int) -> tuple[Any, ...]:
    cols = ", ".join(["COUNT(*)"] + [f"SUM(_dm_m{i})" for i in range(n_measures)])
    return tuple(engine.fetch(f"SELECT {cols} FROM ({src.sql(dialect='duckdb')}) AS x").rows[0])


@pytest.mark.parametrize("spec", EAGER.values(), ids=EAGER.keys())
@pytest.mark.parametrize("gap", [False, True], ids=["dense_keys", "a_gap_in_the_keys"])
def test_aggregating_first_gives_the_same_figures_as_the_join(engine, spec, gap) -> None:  # type: ignore[no-untyped-def]
    if gap:  # a key value missing inside the range: the lookup cannot be a range check
        engine.fetch("DELETE FROM customers WHERE customer_id = 5")
        engine.fetch("DELETE FROM departments WHERE department_id = (SELECT min(department_id) + 1 FROM departments)")
    compiled = _compiled(engine, spec)
    block = compiled.blocks[0]
    measures = [o.expr for o in _Deriver(compiled, "x", "duckdb")._measures()]
    plain = _Deriver._source_rows(block, measures)
    dense = dense_integer_keys(engine, compiled)
    dim = next(s.table for s in block.scope.sources if s.table.name in ("customers", "departments"))
    assert (dense_key_name(dim) in dense) is not gap
    for keys in ({}, dense):
        eager = _eager_source_rows(block, measures, dense_keys=keys)
        assert eager is not None
        assert not eager.args.get("joins")
        assert (" BETWEEN " in eager.sql(dialect="duckdb")) is bool(keys and not gap)
        assert _figures(engine, eager, len(measures)) == _figures(engine, plain, len(measures))
        assert _figures(engine, eager, len(measures))[0] > 0  # a figure that means something


@pytest.mark.parametrize("spec", NOT_EAGER.values(), ids=NOT_EAGER.keys())
def test_aggregating_first_is_not_used_where_it_could_differ(engine, spec) -> None:  # type: ignore[no-untyped-def]
    compiled = _compiled(engine, spec)
    assert _eager_source_rows(compiled.blocks[0], [o.expr for o in compiled.blocks[0].outputs
                                                   if o.kind == "aggregate"]) is None  # fmt: skip


@pytest.mark.parametrize("spec", list(EAGER.values()) + list(NOT_EAGER.values()),
                         ids=list(EAGER) + list(NOT_EAGER))  # fmt: skip
def test_every_shape_validates_a_correct_result(engine, spec) -> None:  # type: ignore[no-untyped-def]
    compiled = _compiled(engine, spec)
    staged = engine.stage(compiled.sql("duckdb"), "t", "20250101_000000_abcdef")
    report = validate(engine, compiled, staged)
    assert report.status == "pass", [(t.test_id, t.status, t.message) for t in report.tests]
    assert all(t.status == "pass" for t in report.tests if t.test_id != "load_target_not_empty")


class _Staged:
    def __init__(self, engine: Any, spec: dict) -> None:
        self.engine = engine
        self.compiled = _compiled(engine, spec)
        self.name = engine.stage(self.compiled.sql("duckdb"), "summary", "20250101_000000_abcdef")

    def plant(self, *sql: str) -> None:
        for s in sql:
            self.engine.fetch(s.format(t=self.name))

    def tests(self) -> dict[str, Any]:
        return {t.test_id: t for t in validate(self.engine, self.compiled, self.name).tests}

    def standalone_join_violations(self) -> int:
        """The inner-join key test as a query of its own (the form used when it is not fused)."""
        spec = self.compiled.spec.model_copy(update={"distinct": True})  # no reconciliation: nothing to fuse with
        compiled = self.compiled.__class__(spec, self.compiled.query, self.compiled.blocks)
        test = next(t for t in derive_tests(compiled, self.name, "duckdb") if t.test_id == "join_inner_keys_match_1")
        assert test.batch is None
        return int(self.engine.scalar(test.query))


def test_the_join_test_shares_the_reconciliation_query(engine) -> None:  # type: ignore[no-untyped-def]
    tests = {t.test_id: t for t in derive_tests(_compiled(engine, EXAMPLE), "datamorph_staging.x", "duckdb")}
    join = tests["join_inner_keys_match_1"]
    assert join.batch == "reconciliation" and join.actual_column == JOIN_VIOLATIONS_COLUMN
    assert join.query == tests["extraction_row_count_reconciles"].query


@pytest.mark.parametrize(("rows", "violations"), [
    (["(99, 600, 1)"], 1),  # in orders, not in customers
    (["(6, 600, 1)"], 1),  # in customers, no orders
    (["(999, 600, 1)"], 1),  # on neither side
    (["(NULL, 600, 1)"], 1),
    (["(99, 600, 1)", "(6, 600, 1)", "(999, 5, 1)"], 3),
    (["(2, 600, 1)"], 0),  # on both sides (its total is wrong, which the reconciliation reports)
])  # fmt: skip
def test_the_shared_join_test_counts_what_the_standalone_one_counts(engine, rows, violations) -> None:  # type: ignore[no-untyped-def]
    staged = _Staged(engine, EXAMPLE)
    assert staged.tests()["join_inner_keys_match_1"].status == "pass"
    staged.plant(*(f"INSERT INTO {{t}} VALUES {r}" for r in rows))
    tests = staged.tests()
    join = tests["join_inner_keys_match_1"]
    assert join.actual_result == violations == staged.standalone_join_violations()
    assert join.status == ("fail" if violations else "pass")
    assert tests["extraction_row_count_reconciles"].status == "fail"


def test_a_fact_key_missing_from_the_other_table_is_not_counted(engine) -> None:  # type: ignore[no-untyped-def]
    # order 110 belongs to customer 99, who is not in customers: the inner join drops it, and so
    # must the recomputation
    staged = _Staged(engine, {**EXAMPLE, "having": []})
    tests = staged.tests()
    assert tests["extraction_row_count_reconciles"].status == "pass"
    assert 99 not in {r[0] for r in engine.fetch(f"SELECT customer_id FROM {staged.name}").rows}
    staged.plant("INSERT INTO {t} VALUES (99, 500, 1)")
    tests = staged.tests()
    assert tests["extraction_row_count_reconciles"].status == "fail"
    assert tests["join_inner_keys_match_1"].actual_result == 1


def test_text_keys_are_not_aggregated_first(engine) -> None:  # type: ignore[no-untyped-def]
    # a collation can make 'A' = 'a' in the join while the primary key holds both
    engine.fetch("CREATE TABLE regions (code VARCHAR COLLATE NOCASE PRIMARY KEY, name VARCHAR)")
    engine.fetch("CREATE TABLE sales (sale_id INTEGER PRIMARY KEY, region_code VARCHAR COLLATE NOCASE, amount INTEGER)")
    engine.fetch("INSERT INTO regions VALUES ('A', 'upper'), ('a', 'lower')")
    engine.fetch("INSERT INTO sales VALUES (1, 'a', 10)")
    spec = {
        "source_tables": [{"table_name": "sales", "alias": "s"}, {"table_name": "regions", "alias": "r"}],
        "target_table": "t",
        "join_conditions": [{"left_table": "s", "right_table": "r",
                             "on_columns": [{"left": "region_code", "right": "code"}]}],
        "group_by": ["r.code"],
        "aggregations": [{"function": "sum", "column": "s.amount", "alias": "total"}],
    }  # fmt: skip
    compiled = _compiled(engine, spec)
    assert _eager_source_rows(compiled.blocks[0], [compiled.blocks[0].outputs[1].expr]) is None
    staged = engine.stage(compiled.sql("duckdb"), "t", "20250101_000000_abcdef")
    assert validate(engine, compiled, staged).status == "pass"


# -- the reconciliation under a perfect hash aggregate ------------------------------------------

STORES = {
    "source_tables": [{"table_name": "sales", "alias": "s"}, {"table_name": "stores", "alias": "t"}],
    "target_table": "store_totals",
    "join_conditions": [{"left_table": "s", "right_table": "t", "on_columns": ["store_id"]}],
    "group_by": ["t.store_id"],
    "aggregations": [{"function": "sum", "column": "s.amount", "alias": "total"},
                     {"function": "count", "alias": "n"}],
    "having": [{"column": "total", "operator": ">", "value": 5}],
}  # fmt: skip


def _stores(engine: Any, max_store: int = 20000) -> None:
    """20,000 stores (ids 1..max_store) and 10,000 sales over the even store ids."""
    engine.fetch(f"CREATE TABLE stores AS SELECT (i * {max_store} // 20000)::BIGINT AS store_id, 'store ' || i AS name "
                 "FROM range(1, 20001) r(i)")  # fmt: skip
    engine.fetch("ALTER TABLE stores ADD PRIMARY KEY (store_id)")
    engine.fetch(f"CREATE TABLE sales AS SELECT i AS sale_id, ((i % 10000) * 2 * {max_store} // 20000 + "
                 f"{max_store // 20000})::BIGINT AS store_id, (i % 7 + 0.25)::DECIMAL(10,2) AS amount "
                 "FROM range(10000) r(i)")  # fmt: skip


def _plan(engine: Any, sql: str) -> str:
    return "\n".join(str(r[-1]) for r in engine.fetch("EXPLAIN " + sql).rows)


def test_the_reconciliation_runs_on_a_perfect_hash_table_and_still_catches_a_wrong_total(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.validation.tuning import PERFECT_HASH_SETTING, aggregate_settings, session_settings

    _stores(engine)
    staged = _Staged(engine, STORES)
    settings = aggregate_settings(engine, staged.compiled)
    assert settings == {PERFECT_HASH_SETTING: "15"}  # ids 1..20000: 15 bits
    recon = next(t for t in derive_tests(staged.compiled, staged.name, "duckdb") if t.batch == "reconciliation")
    assert "Perfect Hash Group By" not in _plan(engine, recon.query)
    with session_settings(engine, settings):
        assert "Perfect Hash Group By" in _plan(engine, recon.query)
    assert engine.scalar(f"SELECT current_setting('{PERFECT_HASH_SETTING}')") == 12  # restored

    tests = staged.tests()
    assert all(t.status == "pass" for t in tests.values()), [(t.test_id, t.message) for t in tests.values()]
    assert tests["transformation_total_total_reconciles"].to_dict()["settings"] == settings
    assert '"s"."store_id" BETWEEN 1 AND 20000' in tests["extraction_row_count_reconciles"].query  # dense ids
    assert "settings" not in tests["transformation_having_1"].to_dict()
    assert engine.scalar(f"SELECT current_setting('{PERFECT_HASH_SETTING}')") == 12

    staged.plant("UPDATE {t} SET total = total + 0.01 WHERE store_id = (SELECT min(store_id) FROM {t})")
    tests = staged.tests()
    assert tests["transformation_total_total_reconciles"].status == "fail"
    assert tests["extraction_row_count_reconciles"].status == "pass"
    # a group of sales whose store is not among the stores: the inner join drops it, so must the range
    engine.fetch("INSERT INTO sales VALUES (10000, 20001, 9.00), (10001, 0, 9.00)")
    staged.plant("UPDATE {t} SET total = total - 0.01 WHERE store_id = (SELECT min(store_id) FROM {t})")
    tests = staged.tests()
    assert all(t.status == "pass" for t in tests.values()), [(t.test_id, t.message) for t in tests.values()]
    staged.plant("INSERT INTO {t} VALUES (20001, 9.00, 1)")
    tests = staged.tests()
    assert tests["join_inner_keys_match_1"].actual_result == 1
    assert tests["extraction_row_count_reconciles"].status == "fail"


def test_a_sparse_or_small_key_range_keeps_the_default_plan(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.validation.tuning import aggregate_settings

    _stores(engine, max_store=20000 * 1000)  # ids up to 20M for 20,000 rows: 25 bits
    assert aggregate_settings(engine, _compiled(engine, STORES)) == {}
    assert aggregate_settings(engine, _compiled(engine, EXAMPLE)) == {}  # ids 1..99: the default covers them


# -- the overlap source check's shortcut -----------------------------------------------------------


def test_the_overlap_check_is_proven_by_its_shortcut_or_decided_by_its_query(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.validation.runner import run_tests
    from datamorph.validation.source_checks import source_checks

    def overlap(spec: dict) -> Any:
        staged = _Staged(engine, spec)
        check = next(c for c in source_checks(staged.compiled, staged.name, "duckdb") if c.kind == "join_key_overlap")
        assert check.test.shortcut and "LIMIT 2048" in check.test.shortcut
        shortcut_count = int(engine.scalar(check.test.shortcut))
        run_tests(engine, [check.test], staged.name)
        return shortcut_count, check.test

    count, test = overlap(EXAMPLE)
    assert count == 0 and (test.status, test.actual_result) == ("pass", 0)
    assert test.to_dict()["shortcut"] == test.shortcut

    no_overlap = {**EXAMPLE, "join_conditions": [{"left_table": "c", "right_table": "o",
                                                  "on_columns": [{"left": "customer_id", "right": "order_id"}]}]}  # fmt: skip
    count, test = overlap(no_overlap)
    assert count == 1 and (test.status, test.actual_result) == ("fail", 1)


def test_a_shortcut_only_ever_proves_a_pass(engine) -> None:  # type: ignore[no-untyped-def]
    from datamorph.validation.model import TestCase
    from datamorph.validation.runner import run_tests

    def run(query: str, shortcut: str) -> TestCase:
        t = TestCase("t", "join", "a test", query, 0, shortcut=shortcut)
        run_tests(engine, [t], "datamorph_staging.none")
        return t

    assert (run("SELECT 0", "SELECT 3").status, run("SELECT 0", "SELECT 3").actual_result) == ("pass", 0)
    failed = run("SELECT 2", "SELECT 1")
    assert (failed.status, failed.actual_result) == ("fail", 2)  # the test's own query decides, re-run included
    broken = run("SELECT 0", "SELECT no_such_column")
    assert broken.status == "pass" and not broken.false_positive
    # a shortcut counting 0 is taken as proof: that is its contract (here a deliberately wrong one)
    assert run("SELECT 5", "SELECT 0").status == "pass"
