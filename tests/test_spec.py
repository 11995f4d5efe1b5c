"""The spec model: our shape, the original shape, and clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datamorph.errors import SpecError
from datamorph.spec import ETLSpec, Filter, load_spec, spec_json_schema

ORIGINAL = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": {"name": "customer_order_summary", "description": "big customers"},
    "transformations": ["join", {"type": "aggregate", "description": "sum per customer"}],
    "join_conditions": [{"left_table": "customers", "right_table": "orders", "join_type": "INNER JOIN",
                         "on_columns": ["customer_id"]}],
    "filters": [{"column": "total_amount", "operator": "greater_than", "value": 1000},
                {"column": "status", "operator": "==", "value": "completed"}],
    "aggregations": [{"function": "SUM", "column": "amount", "alias": "total_amount", "group_by": ["customer_id"]}],
    "derived_columns": [{"name": "big", "expression": "amount > 100"}],
}


def test_original_shape_loads() -> None:
    spec = load_spec(ORIGINAL)
    assert spec.target_table.name == "customer_order_summary"
    assert spec.join_conditions[0].join_type == "inner"
    assert spec.join_conditions[0].on_columns[0].left == "customer_id"
    assert spec.group_by == ["customer_id"]
    assert [f.column for f in spec.having] == ["total_amount"]  # a filter on an aggregate is a having
    assert [f.column for f in spec.filters] == ["status"] and spec.filters[0].operator == "="
    assert spec.transformations == ["join", "sum per customer"]


def test_wrapped_and_string_forms() -> None:
    spec = load_spec({"specs": {**ORIGINAL}})
    assert spec.aggregations[0].function == "sum"
    s2 = load_spec({"source_tables": ["orders"], "target_table": "t", "columns": ["order_id", "amount AS total"],
                    "order_by": ["amount desc nulls first"]})
    assert s2.source_tables[0].table_name == "orders"
    assert s2.columns[1].column == "amount" and s2.columns[1].name == "total"
    assert s2.order_by[0].direction == "desc" and s2.order_by[0].nulls == "first"
    joined = load_spec({"source_tables": [{"table_name": "orders", "alias": "o"}, {"table_name": "customers", "alias": "c"}],
                        "target_table": "t",
                        "join_conditions": [{"left_table": "o", "right_table": "c", "condition": "o.customer_id = c.id"}]})
    pair = joined.join_conditions[0].on_columns[0]
    assert (pair.left, pair.right) == ("o.customer_id", "c.id")


def test_roundtrip_through_json() -> None:
    spec = load_spec(ORIGINAL)
    again = load_spec(spec.to_json())
    assert again == spec


def test_file_loading(tmp_path) -> None:
    p = tmp_path / "s.json"
    p.write_text(json.dumps(ORIGINAL))
    assert load_spec(p).target_table.name == "customer_order_summary"
    assert load_spec(str(p)).target_table.name == "customer_order_summary"
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(SpecError, match="not valid JSON: .* line 1"):
        load_spec(bad)


@pytest.mark.parametrize(("patch", "needle"), [
    ({"source_tables": []}, "source_tables: List should have at least 1 item"),
    ({"target_table": {"name": "1bad"}}, "target_table.name: '1bad' is not a valid table name"),
    ({"filters": [{"column": "a", "operator": "between", "value": 3}]}, "filters.0: operator 'between' needs [low, high]"),
    ({"filters": [{"column": "a", "operator": "in", "value": []}]}, "needs a non-empty list"),
    ({"filters": [{"column": "a", "operator": "is_null", "value": 1}]}, "takes no value"),
    ({"filters": [{"column": "a", "operator": "~~", "value": 1}]}, "filters.0.operator"),
    ({"aggregations": [{"function": "median", "column": "a", "alias": "m"}]}, "aggregations.0.function"),
    ({"aggregations": [{"function": "sum", "alias": "m"}]}, "sum needs a column or an expression"),
    ({"surprise": 1}, "surprise: Extra inputs are not permitted"),
    ({"source_tables": ["a", "b"]}, "2 source tables need 1 join conditions"),
    ({"having": [{"column": "x", "operator": ">", "value": 1}]}, "having: needs aggregations or group_by"),
    ({"derived_columns": [{"name": "x", "expression": "1"}], "aggregations": [{"function": "count", "alias": "x"}]},
     "the name 'x' is defined twice"),
    ({"windows": [{"name": "r", "function": "rank"}]}, "rank needs order_by"),
    ({"limit": -1}, "limit: Input should be greater than or equal to 0"),
])
def test_invalid_spec_names_the_field(patch, needle) -> None:
    with pytest.raises(SpecError) as ei:
        load_spec({"source_tables": ["orders"], "target_table": "t", **patch})
    assert needle in str(ei.value)


def test_json_schema_describes_the_spec() -> None:
    schema = spec_json_schema()
    assert {"source_tables", "target_table", "join_conditions", "filters", "aggregations", "derived_columns",
            "transformations"} <= set(schema["properties"])
    assert ETLSpec.model_json_schema()["title"] == "ETLSpec"


@settings(deadline=None)
@given(st.dictionaries(st.sampled_from(["column", "operator", "value", "any_of", "expression", "x"]),
                       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3))))
def test_arbitrary_filters_fail_only_with_spec_error(data) -> None:
    try:
        load_spec({"source_tables": ["orders"], "target_table": "t", "filters": [data]})
    except SpecError:
        pass


def test_operator_aliases() -> None:
    for raw, want in [("greater than", ">"), ("NOT IN", "not_in"), ("is not null", "is_not_null"), ("<>", "!=")]:
        f = Filter(column="a", operator=raw, value=None if "null" in raw else ([1] if "in" in raw.lower() else 1))
        assert f.operator == want
