"""Compiler errors and name resolution (golden files cover the SQL itself)."""

from __future__ import annotations

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import CompileError, SpecError
from datamorph.spec import load_spec


def _compile(catalog, **spec):  # type: ignore[no-untyped-def]
    return compile_spec(load_spec({"target_table": "t", **spec}), catalog)


@pytest.mark.parametrize(("spec", "err", "needle"), [
    ({"source_tables": ["ordrs"]}, CompileError, "unknown table 'ordrs' (did you mean 'orders'"),
    ({"source_tables": ["orders"], "columns": ["amout"]}, CompileError, "unknown column 'amout' in orders (did you mean 'amount'?)"),
    ({"source_tables": ["orders"], "filters": [{"column": "amount", "operator": ">", "value": "x"}]}, CompileError,
     "type mismatch: 'amount' is decimal"),
    ({"source_tables": ["orders"], "filters": [{"column": "order_date", "operator": ">", "value": "last week"}]},
     CompileError, "type mismatch: 'order_date' is date"),
    ({"source_tables": ["orders"], "filters": [{"column": "amount", "operator": ">", "value": True}]}, CompileError,
     "type mismatch"),
    ({"source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "order_items", "alias": "i"}],
      "join_conditions": [{"left_table": "o", "right_table": "i", "on_columns": ["order_id"]}], "columns": ["unit_price"]},
     None, None),
    ({"source_tables": [{"table_name": "products", "alias": "p"}, {"table_name": "order_items", "alias": "i"}],
      "join_conditions": [{"left_table": "p", "right_table": "i", "on_columns": ["product_id"]}], "columns": ["unit_price"]},
     CompileError, "ambiguous column 'unit_price'"),
    ({"source_tables": ["orders", "customers"], "join_conditions": [{"left_table": "orders", "right_table": "customers",
      "on_columns": ["customer_idd"]}]}, CompileError, "join key: unknown column 'customer_idd'"),
    ({"source_tables": ["orders", "customers"], "join_conditions": [{"left_table": "orders", "right_table": "nobody",
      "on_columns": ["customer_id"]}]}, CompileError, "'nobody' is not one of the spec's source tables"),
    ({"source_tables": ["orders"], "derived_columns": [{"name": "x", "expression": "(SELECT max(amount) FROM orders)"}]},
     SpecError, "contains a SUBQUERY"),
    ({"source_tables": ["orders"], "derived_columns": [{"name": "x", "expression": "read_parquet('/tmp/x')"}]},
     SpecError, "read_parquet() is not allowed"),
    ({"source_tables": ["orders"], "derived_columns": [{"name": "x", "expression": "getenv('HOME')"}]},
     SpecError, "getenv() is not allowed"),
    ({"source_tables": ["orders"], "derived_columns": [{"name": "x", "expression": "amount +"}]}, SpecError, "cannot parse"),
    ({"source_tables": ["orders"], "filters": [{"expression": "n > 1"}],
      "group_by": ["status"], "aggregations": [{"function": "count", "alias": "n"}]}, CompileError,
     "'n' is an aggregate; a condition on it belongs in having"),
    ({"source_tables": ["orders"], "group_by": ["status"], "aggregations": [{"function": "count", "alias": "n"}],
      "columns": ["channel"]}, CompileError, "'channel' is neither grouped nor aggregated"),
    ({"source_tables": ["orders"], "columns": ["amount AS a", "order_id AS a"]}, CompileError, "two output columns are called 'a'"),
    ({"source_tables": ["orders"], "columns": ["order_id"], "union": {"blocks": [{"source_tables": ["customers"],
      "columns": ["customer_id", "email"]}]}}, CompileError, "union: block 2 has 2 columns"),
])
def test_compile_errors(fixture_catalog, spec, err, needle) -> None:
    if err is None:
        _compile(fixture_catalog, **spec)  # resolves: unit_price exists only in order_items
        return
    with pytest.raises(err) as ei:
        _compile(fixture_catalog, **spec)
    assert needle in str(ei.value)


def test_join_key_shared_by_both_sides_resolves_to_the_kept_side(fixture_catalog) -> None:
    sql = _compile(fixture_catalog, source_tables=[{"table_name": "customers", "alias": "c"},
                                                    {"table_name": "orders", "alias": "o"}],
                   join_conditions=[{"left_table": "c", "right_table": "o", "join_type": "left",
                                     "on_columns": ["customer_id"]}],
                   group_by=["customer_id"], aggregations=[{"function": "count", "column": "order_id", "alias": "n"}]).sql()
    assert 'GROUP BY\n  "c"."customer_id"' in sql


def test_joins_written_in_any_order(fixture_catalog) -> None:
    compiled = _compile(fixture_catalog, source_tables=[{"table_name": "order_items", "alias": "oi"},
                                                         {"table_name": "products", "alias": "p"},
                                                         {"table_name": "categories", "alias": "c"}],
                        join_conditions=[{"left_table": "c", "right_table": "p", "on_columns": ["category_id"]},
                                         {"left_table": "p", "right_table": "oi", "on_columns": ["product_id"]}],
                        columns=["order_item_id", "category_name"])
    sql = compiled.sql()
    assert sql.index('"order_items"') < sql.index('"products"') < sql.index('"categories"')


def test_identifiers_are_quoted_by_the_generator(fixture_catalog) -> None:
    sql = _compile(fixture_catalog, source_tables=["orders"], columns=[{"column": "amount", "name": "select"}]).sql()
    assert 'AS "select"' in sql


def test_dialects_render(fixture_catalog) -> None:
    compiled = _compile(fixture_catalog, source_tables=["orders"], derived_columns=[{"name": "y", "expression": "year(order_date)"}],
                        columns=["order_id", "y"])
    assert "EXTRACT(YEAR FROM" in compiled.sql("postgres")
    assert "`orders`" in compiled.sql("spark")
