"""Tests for the synthetic demo warehouse (real DuckDB files under tmp_path, small scales)."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from datamorph.demo.warehouse import TABLES, build_demo_warehouse, main

EXPECTED_COLUMNS: dict[str, dict[str, str]] = {
    "categories": {"category_id": "INTEGER", "category_name": "VARCHAR", "parent_category": "VARCHAR"},
    "products": {
        "product_id": "INTEGER",
        "product_name": "VARCHAR",
        "category_id": "INTEGER",
        "unit_price": "DECIMAL(10,2)",
        "is_active": "BOOLEAN",
        "created_at": "DATE",
    },
    "customers": {
        "customer_id": "BIGINT",
        "first_name": "VARCHAR",
        "last_name": "VARCHAR",
        "email": "VARCHAR",
        "phone": "VARCHAR",
        "city": "VARCHAR",
        "country": "VARCHAR",
        "segment": "VARCHAR",
        "signup_date": "DATE",
    },
    "orders": {
        "order_id": "BIGINT",
        "customer_id": "BIGINT",
        "order_date": "DATE",
        "status": "VARCHAR",
        "channel": "VARCHAR",
        "amount": "DECIMAL(12,2)",
        "discount_code": "VARCHAR",
    },
    "order_items": {
        "order_item_id": "BIGINT",
        "order_id": "BIGINT",
        "product_id": "INTEGER",
        "quantity": "INTEGER",
        "unit_price": "DECIMAL(10,2)",
        "discount": "DECIMAL(4,2)",
    },
    "departments": {
        "department_id": "INTEGER",
        "department_name": "VARCHAR",
        "location": "VARCHAR",
        "cost_center": "VARCHAR",
    },
    "employees": {
        "employee_id": "INTEGER",
        "first_name": "VARCHAR",
        "last_name": "VARCHAR",
        "email": "VARCHAR",
        "department_id": "INTEGER",
        "manager_id": "INTEGER",
        "job_title": "VARCHAR",
        "employment_type": "VARCHAR",
        "hire_date": "DATE",
        "termination_date": "DATE",
        "performance_rating": "INTEGER",
    },
    "salaries": {
        "salary_id": "INTEGER",
        "employee_id": "INTEGER",
        "salary": "DECIMAL(10,2)",
        "effective_date": "DATE",
        "end_date": "DATE",
        "change_reason": "VARCHAR",
    },
}
PRIMARY_KEYS = {
    "categories": "category_id",
    "products": "product_id",
    "customers": "customer_id",
    "orders": "order_id",
    "order_items": "order_item_id",
    "departments": "department_id",
    "employees": "employee_id",
    "salaries": "salary_id",
}

CUSTOMERS_OVER_1000 = """
    SELECT c.customer_id, sum(o.amount) AS total_amount
    FROM customers AS c
    JOIN orders AS o ON o.customer_id = c.customer_id
    GROUP BY c.customer_id
    HAVING sum(o.amount) > 1000
"""


def _duckdb() -> Any:
    import duckdb

    return duckdb


def _scalar(con: Any, sql: str) -> Any:
    return con.execute(sql).fetchone()[0]


def _content_hashes(path: Path) -> dict[str, int]:
    with _duckdb().connect(str(path), read_only=True) as con:
        return {t: _scalar(con, f"SELECT sum(hash(t)) FROM {t} AS t") for t in TABLES}


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("wh") / "demo.duckdb"
    counts = build_demo_warehouse(path, scale=1, seed=7)
    return path, counts


@pytest.fixture(scope="module")
def con(wh):
    c = _duckdb().connect(str(wh[0]), read_only=True)
    yield c
    c.close()


def test_returns_row_counts_of_every_table(wh, con):
    _, counts = wh
    assert list(counts) == list(TABLES)
    for table, n in counts.items():
        assert _scalar(con, f"SELECT count(*) FROM {table}") == n
    assert counts["categories"] == 12
    assert counts["departments"] == 10
    assert counts["orders"] == 10_000
    assert counts["customers"] == 2_000
    assert counts["products"] == 200
    assert counts["employees"] == 500
    assert 2.2 <= counts["order_items"] / counts["orders"] <= 2.8
    assert counts["employees"] <= counts["salaries"] <= 4 * counts["employees"]


def test_tables_and_column_types(con):
    rows = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
    ).fetchall()
    actual: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        actual.setdefault(table, {})[column] = dtype
    assert actual == EXPECTED_COLUMNS
    # column order as documented
    for table, cols in EXPECTED_COLUMNS.items():
        assert list(actual[table]) == list(cols)


def test_primary_keys_declared_and_unique(con):
    declared = dict(
        con.execute(
            "SELECT table_name, constraint_column_names[1] FROM duckdb_constraints() "
            "WHERE constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    )
    assert declared == PRIMARY_KEYS
    for table, pk in PRIMARY_KEYS.items():
        n, distinct, nulls = con.execute(
            f"SELECT count(*), count(DISTINCT {pk}), count(*) - count({pk}) FROM {table}"
        ).fetchone()
        assert n == distinct and nulls == 0, table


def test_foreign_keys_only_on_clean_columns(con):
    fks = set(
        con.execute(
            "SELECT table_name, constraint_column_names[1], referenced_table FROM duckdb_constraints() "
            "WHERE constraint_type = 'FOREIGN KEY'"
        ).fetchall()
    )
    assert fks == {
        ("products", "category_id", "categories"),
        ("order_items", "order_id", "orders"),
        ("salaries", "employee_id", "employees"),
    }
    # every declared FK holds
    assert _scalar(con, "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT order_id FROM orders)") == 0
    assert _scalar(con, "SELECT count(*) FROM salaries WHERE employee_id NOT IN (SELECT employee_id FROM employees)") == 0


def test_customers_with_total_over_1000_is_a_meaningful_strict_subset(con):
    big = {r[0] for r in con.execute(CUSTOMERS_OVER_1000).fetchall()}
    all_customers = _scalar(con, "SELECT count(*) FROM customers")
    with_orders = _scalar(
        con, "SELECT count(DISTINCT c.customer_id) FROM customers c JOIN orders o USING (customer_id)"
    )
    assert big
    assert len(big) < with_orders < all_customers  # strict subset; some customers never ordered
    assert 0.2 <= len(big) / with_orders <= 0.5


def test_orders_amounts_are_positive_skewed_and_match_items(con):
    lo, median, p90, hi = con.execute(
        "SELECT min(amount), median(amount), quantile_cont(amount, 0.9), max(amount) FROM orders"
    ).fetchone()
    assert lo > 0
    assert 20 <= median <= 400
    assert p90 < 1000 < hi
    mismatches = _scalar(
        con,
        """SELECT count(*) FROM orders o
           JOIN (SELECT order_id, round(sum(quantity * unit_price * (1 - discount)), 2) AS s
                 FROM order_items GROUP BY order_id) i USING (order_id)
           WHERE o.amount <> i.s""",
    )
    assert mismatches == 0


def test_dirty_data_exists(con):
    orphan_orders = _scalar(
        con, "SELECT count(*) FROM orders WHERE customer_id NOT IN (SELECT customer_id FROM customers)"
    )
    assert 0.001 <= orphan_orders / 10_000 <= 0.01
    assert _scalar(con, "SELECT count(*) FROM order_items WHERE product_id NOT IN (SELECT product_id FROM products)") > 0
    assert _scalar(con, "SELECT count(*) FROM customers WHERE email IS NULL") > 0
    assert _scalar(con, "SELECT count(*) FROM customers WHERE email <> lower(email)") > 0
    assert _scalar(con, "SELECT count(*) FROM customers WHERE phone IS NULL") > 0
    assert _scalar(con, "SELECT count(*) FROM products WHERE category_id IS NULL") > 0
    assert _scalar(con, "SELECT count(*) FROM employees WHERE department_id = 99") > 0
    assert _scalar(con, "SELECT count(*) FROM departments WHERE department_id = 99") == 0
    assert _scalar(
        con, "SELECT count(*) FROM customers WHERE customer_id NOT IN (SELECT customer_id FROM orders)"
    ) > 0
    # a category without products, a department without employees
    assert _scalar(con, "SELECT count(*) FROM categories WHERE category_id NOT IN "
                        "(SELECT category_id FROM products WHERE category_id IS NOT NULL)") == 1
    assert _scalar(con, "SELECT count(*) FROM departments WHERE department_id NOT IN "
                        "(SELECT department_id FROM employees)") == 1


def test_value_domains(con):
    assert {r[0] for r in con.execute("SELECT DISTINCT status FROM orders").fetchall()} == {
        "completed", "shipped", "pending", "cancelled", "returned"
    }
    assert {r[0] for r in con.execute("SELECT DISTINCT channel FROM orders").fetchall()} == {
        "web", "mobile_app", "store", "phone"
    }
    assert {r[0] for r in con.execute("SELECT DISTINCT segment FROM customers").fetchall()} == {
        "consumer", "corporate", "small_business"
    }
    assert {r[0] for r in con.execute("SELECT DISTINCT employment_type FROM employees").fetchall()} == {
        "Full-time", "Part-time", "Contractor"
    }
    assert 0.02 < _scalar(con, "SELECT avg((discount_code IS NOT NULL)::INT) FROM orders") < 0.3
    assert con.execute(
        "SELECT min(quantity), max(quantity), min(discount), max(discount) FROM order_items"
    ).fetchone() == (1, 10, Decimal("0.00"), Decimal("0.30"))
    for table, column in (("orders", "order_date"), ("customers", "signup_date"), ("products", "created_at")):
        lo, hi = con.execute(f"SELECT min({column}), max({column}) FROM {table}").fetchone()
        assert str(lo) >= "2022-01-01" and str(hi) <= "2025-12-31", column
    h_lo, h_hi = con.execute("SELECT min(hire_date), max(hire_date) FROM employees").fetchone()
    assert str(h_lo) >= "2016-01-01" and str(h_hi) <= "2025-12-31"
    assert _scalar(con, "SELECT count(*) FROM employees WHERE termination_date <= hire_date") == 0
    assert _scalar(con, "SELECT count(*) FROM employees WHERE performance_rating NOT BETWEEN 1 AND 5") == 0
    assert _scalar(con, "SELECT count(*) FROM employees WHERE manager_id IS NULL") >= 1
    assert _scalar(
        con, "SELECT count(*) FROM employees WHERE manager_id NOT IN (SELECT employee_id FROM employees)"
    ) == 0


def test_salary_history_is_consistent(con):
    # every employee has a history; periods don't overlap; active employees have exactly one current record
    assert _scalar(con, "SELECT count(DISTINCT employee_id) FROM salaries") == _scalar(
        con, "SELECT count(*) FROM employees"
    )
    assert _scalar(con, "SELECT max(n) FROM (SELECT count(*) n FROM salaries GROUP BY employee_id)") <= 4
    assert _scalar(con, "SELECT count(*) FROM salaries WHERE end_date < effective_date") == 0
    assert _scalar(
        con,
        """SELECT count(*) FROM (
               SELECT end_date, lead(effective_date) OVER (PARTITION BY employee_id ORDER BY effective_date) nxt
               FROM salaries) WHERE nxt IS NOT NULL AND end_date + 1 <> nxt""",
    ) == 0
    assert _scalar(
        con,
        """SELECT count(*) FROM employees e
           JOIN (SELECT employee_id, count(*) FILTER (end_date IS NULL) AS cur FROM salaries GROUP BY 1) s
           USING (employee_id)
           WHERE s.cur <> CASE WHEN e.termination_date IS NULL THEN 1 ELSE 0 END""",
    ) == 0


def test_row_counts_scale_linearly(tmp_path, wh):
    small = build_demo_warehouse(tmp_path / "small.duckdb", scale=0.1, seed=7)
    big = wh[1]
    for table in ("customers", "orders", "order_items"):
        assert big[table] / small[table] == pytest.approx(10, rel=0.1), table
    assert small["categories"] == big["categories"] == 12
    assert small["departments"] == big["departments"] == 10
    assert small["products"] >= 200 and small["employees"] >= 300


def test_deterministic_for_same_seed_and_different_for_other_seed(tmp_path):
    a = build_demo_warehouse(tmp_path / "a.duckdb", scale=0.2, seed=42)
    b = build_demo_warehouse(tmp_path / "b.duckdb", scale=0.2, seed=42)
    build_demo_warehouse(tmp_path / "c.duckdb", scale=0.2, seed=43)
    assert a == b
    ha, hb, hc = (_content_hashes(tmp_path / f"{x}.duckdb") for x in "abc")
    assert ha == hb
    for table in ("products", "customers", "orders", "order_items", "employees", "salaries"):
        assert ha[table] != hc[table], table
    assert ha["categories"] == hc["categories"]  # fixed reference data


def test_no_wal_or_temp_files_left(wh):
    path = wh[0]
    assert path.exists()
    assert not Path(str(path) + ".wal").exists()
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_replaces_existing_file_atomically(tmp_path):
    target = tmp_path / "sub" / "w.duckdb"
    target.parent.mkdir()
    target.write_bytes(b"not a database")
    Path(str(target) + ".wal").write_bytes(b"stale wal")  # would otherwise be replayed on open
    counts = build_demo_warehouse(target, scale=0.05, force=True)
    assert sorted(p.name for p in target.parent.iterdir()) == ["w.duckdb"]
    with _duckdb().connect(str(target), read_only=True) as c:
        assert _scalar(c, "SELECT count(*) FROM orders") == counts["orders"] == 500


def test_refuses_a_file_it_did_not_build(tmp_path):
    from datamorph.errors import TargetConflict

    foreign = tmp_path / "mine.duckdb"
    foreign.write_bytes(b"not a database")
    with pytest.raises(TargetConflict, match="not a warehouse built by `datamorph demo`.*--force"):
        build_demo_warehouse(foreign, scale=0.05)
    assert foreign.read_bytes() == b"not a database"
    with _duckdb().connect(str(tmp_path / "user.duckdb")) as c:
        c.execute("CREATE TABLE precious AS SELECT 42 AS answer")
    with pytest.raises(TargetConflict, match="not a warehouse built by"):
        build_demo_warehouse(tmp_path / "user.duckdb", scale=0.05)
    with _duckdb().connect(str(tmp_path / "user.duckdb"), read_only=True) as c:
        assert _scalar(c, "SELECT answer FROM precious") == 42


def test_rebuilds_its_own_file_but_not_one_the_user_added_tables_to(tmp_path):
    from datamorph.errors import TargetConflict

    path = tmp_path / "demo.duckdb"
    build_demo_warehouse(path, scale=0.05)
    build_demo_warehouse(path, scale=0.05)  # its own file: rebuilt freely
    with _duckdb().connect(str(path)) as c:
        c.execute("CREATE TABLE my_upload AS SELECT 1 AS x")
    with pytest.raises(TargetConflict, match=r"holds tables the demo did not write \(my_upload\)"):
        build_demo_warehouse(path, scale=0.05)
    with _duckdb().connect(str(path), read_only=True) as c:
        assert _scalar(c, "SELECT count(*) FROM my_upload") == 1
    build_demo_warehouse(path, scale=0.05, force=True)
    with _duckdb().connect(str(path), read_only=True) as c:
        assert _scalar(c, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'my_upload'") == 0


def test_failed_build_leaves_nothing_behind(tmp_path, monkeypatch):
    import datamorph.demo.warehouse as w

    real = w._statements
    monkeypatch.setattr(w, "_statements", lambda scale, seed: [*real(scale, seed), ("boom", "SELECT nope")])
    with pytest.raises(_duckdb().Error):
        build_demo_warehouse(tmp_path / "x.duckdb", scale=0.05)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("scale", [0, -1, float("nan"), float("inf")])
def test_rejects_bad_scale(tmp_path, scale):
    with pytest.raises(ValueError):
        build_demo_warehouse(tmp_path / "x.duckdb", scale=scale)
    assert list(tmp_path.iterdir()) == []


def test_cli_entry_point(tmp_path, capsys):
    out = tmp_path / "cli.duckdb"
    assert main(["--out", str(out), "--scale", "0.05", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert out.exists()
    for table in TABLES:
        assert table in text
    assert "Built in" in text


def test_importing_module_does_not_import_duckdb():
    code = "import sys, datamorph.demo.warehouse; assert 'duckdb' not in sys.modules, 'duckdb imported'"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
