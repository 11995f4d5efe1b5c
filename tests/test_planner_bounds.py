"""Planning is bounded: linear patterns, a time limit, never blocking the server; tables come from the typed spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from datamorph.engines import connect
from datamorph.planner import plan_request
from datamorph.planner.refs import column_refs, names_read, tables_read
from datamorph.spec import Aggregation, AnyOf, DerivedColumn, ExpressionCondition, Filter, OutputColumn


@pytest.fixture(scope="module")
def prefixed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tables whose names end with another table's name: orders / pre_orders, items / line_items."""
    import duckdb

    path = tmp_path_factory.mktemp("prefixed") / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount DOUBLE, status VARCHAR)")
    con.execute("CREATE TABLE pre_orders (pre_order_id INTEGER PRIMARY KEY, order_id INTEGER, amount DOUBLE)")
    con.execute("CREATE TABLE items (item_id INTEGER PRIMARY KEY, quantity INTEGER, label VARCHAR)")
    con.execute("CREATE TABLE line_items (line_item_id INTEGER PRIMARY KEY, item_id INTEGER, quantity INTEGER)")
    con.execute("INSERT INTO orders VALUES (1, 5, 'open'), (2, 0.5, 'done')")
    con.execute("INSERT INTO pre_orders VALUES (1, 1, 3), (2, 2, 0.2)")
    con.execute("INSERT INTO items VALUES (1, 4, 'a'), (2, 1, 'b')")
    con.execute("INSERT INTO line_items VALUES (1, 1, 2), (2, 2, 1)")
    con.close()
    return path


# -- tables and columns come from the spec's fields, not from text --------------------------------


@pytest.mark.parametrize(
    ("prompt", "table", "column"),
    [
        ("pre orders with amount over 1", "pre_orders", "amount"),
        ("line items with quantity over 1", "line_items", "quantity"),
        ("orders with amount over 1", "orders", "amount"),
    ],
)
def test_a_table_whose_name_ends_another_reads_only_itself(prefixed_warehouse: Path, prompt: str, table: str,
                                                           column: str) -> None:  # fmt: skip
    with connect(str(prefixed_warehouse), read_only=True) as engine:
        spec = plan_request(prompt, engine)
    assert [t.table_name for t in spec.source_tables] == [table]
    assert spec.join_conditions == []
    assert [(f.column, f.operator, f.value) for f in spec.filters] == [(f"{table}.{column}", ">", 1)]  # type: ignore[union-attr]


def test_refs_read_typed_fields_not_values() -> None:
    items = [
        Filter(column="pre_orders.amount", operator="=", value="orders.amount"),  # a value names no table
        AnyOf(any_of=[Filter(column="line_items.quantity", operator=">", value=1),
                      ExpressionCondition(expression="pre_orders.amount > 'items.x'")]),  # fmt: skip
        OutputColumn(column="total", name="items_total"),  # a bare name: an alias, no table
    ]
    assert column_refs(items) == [("pre_orders", "amount"), ("line_items", "quantity"), ("pre_orders", "amount"),
                                  (None, "total")]  # fmt: skip
    assert tables_read(items) == {"pre_orders", "line_items"}


def test_refs_read_expressions_and_nested_filters() -> None:
    agg = Aggregation(function="sum", expression="line_items.quantity * items.quantity", alias="qty",
                      filter=[Filter(column="orders.status", operator="=", value="open")])  # fmt: skip
    derived = DerivedColumn(name="share", expression="qty / total_qty")
    assert tables_read([agg], group_by=["pre_orders.order_id"]) == {"line_items", "items", "orders", "pre_orders"}
    assert names_read([derived]) == {"qty", "total_qty"}
    assert "share" not in names_read([derived])  # what an element defines is not what it reads
