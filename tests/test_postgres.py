"""PostgreSQL on a real server (started by the ``pg_server`` fixture): what the generic engine
contract (``test_engines.py``) does not cover — the read-only query path, estimates and
TABLESAMPLE, the pipeline end to end (golden specs, validation, the differential check,
publish, rollback), two processes writing one target, and ``datamorph load``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import result_json, run_cli

from datamorph.compiler import compile_spec
from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.engines.pg_sql import placeholders, redact
from datamorph.errors import ConfigError, ExecutionError, WarehouseNotFound
from datamorph.orchestrator import STEPS, Orchestrator, RunRequest, Step, _compile
from datamorph.spec import load_spec
from datamorph.validation import validate
from datamorph.validation.differential import TEST_ID, differential_test

GOLDEN = Path(__file__).parent / "golden"
EXAMPLE = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": "customer_order_summary",
    "join_conditions": [{"left_table": "c", "right_table": "o", "on_columns": ["customer_id"]}],
    "group_by": ["c.customer_id"],
    "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount"}],
    "having": [{"column": "total_amount", "operator": ">", "value": 1000}],
}


@pytest.fixture(scope="module")
def pg_fixture_template(pg_server: Any, pristine_warehouse: Path) -> str:
    """A template database holding the fixture warehouse (tests/fixtures/warehouse.sql), loaded once."""
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    name = "dm_fixture_tmpl"
    url = pg_server.create_database(name)
    with PostgresEngine(url) as eng:
        load_duckdb_tables(eng, str(pristine_warehouse))
    return name


_COPIES = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_server: Any, pg_fixture_template: str) -> Any:
    """A fresh copy of the fixture warehouse in PostgreSQL (safe to write)."""
    name = f"dm_fx_{next(_COPIES)}"
    url = pg_server.create_database(name, template=pg_fixture_template)
    yield url
    pg_server.drop_database(name)


def _fingerprint(url: str) -> dict[str, Any]:
    """{table: (row count, md5 of the sorted rows)} of every table in public."""
    with connect(url) as eng:
        names = [r[0] for r in eng.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").rows]
        return {n: tuple(eng.fetch(f'SELECT count(*), md5(string_agg(t::text, \'|\' ORDER BY t::text)) FROM "{n}" t').rows[0])
                for n in names}  # fmt: skip


# -- connecting and the read-only path ---------------------------------------------------------------


def test_connect_picks_postgres_and_reads_the_catalog(pg_url: str) -> None:
    with connect(pg_url) as eng:
        assert (eng.name, eng.dialect) == ("postgres", "postgres")
        cat = eng.catalog()
        assert cat.table("customers").primary_key == ["customer_id"]
        assert cat.table("orders").column("amount").type.startswith("numeric")
        assert cat.table("customers").row_count == eng.scalar("SELECT count(*) FROM customers")


def test_missing_driver_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigError) as err:
        connect("postgresql://nobody@127.0.0.1:1/none")
    assert 'pip install "datamorph[postgres]"' in (err.value.hint or "")


def test_unreachable_server_hides_the_password() -> None:
    with pytest.raises(WarehouseNotFound) as err:
        connect("postgresql://me:s3cret@127.0.0.1:1/nowhere", lock_timeout=1)
    assert "s3cret" not in str(err.value)
    assert "me:***@127.0.0.1:1" in err.value.message
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"


def test_fetch_is_read_only_and_time_limited(pg_url: str) -> None:
    with connect(pg_url) as eng:
        for sql in ("DELETE FROM customers", "CREATE TABLE sneaky (x int)", "DROP TABLE orders CASCADE"):
            with pytest.raises(ExecutionError) as err:
                eng.fetch(sql)
            assert "read-only" in err.value.message
        assert eng.scalar("SELECT count(*) FROM customers") > 0
        assert not eng.catalog().has_table("sneaky")
        eng.statement_timeout = 0.2  # type: ignore[attr-defined]
        with pytest.raises(ExecutionError) as err:
            eng.fetch("SELECT pg_sleep(3)")
        assert "statement timeout" in err.value.message
        eng.statement_timeout = 60  # type: ignore[attr-defined]
        assert eng.fetch("SELECT 1 AS x").rows == [(1,)]  # the connection is usable after the error


def test_placeholders_are_translated_outside_quotes(pg_url: str) -> None:
    assert placeholders("SELECT '?%', \"a?\" FROM t WHERE x = ? AND y LIKE 'a%' -- ?\n AND z = ?") == (
        "SELECT '?%%', \"a?\" FROM t WHERE x = %s AND y LIKE 'a%%' -- ?\n AND z = %s"
    )
    with connect(pg_url) as eng:
        assert eng.fetch("SELECT ? || '%?' AS a, ? + 1 AS b", ["x", 1]).rows == [("x%?", 2)]


def test_large_tables_use_estimates_and_tablesample(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from datamorph.engines.postgres import PostgresEngine

    monkeypatch.setattr(PostgresEngine, "EXACT_COUNT_LIMIT", 5)
    monkeypatch.setattr(PostgresEngine, "SMALL_TABLE", 5)
    with connect(pg_url) as eng:
        exact = eng.scalar("SELECT count(*) FROM orders")
        assert eng.catalog(["orders"]).table("orders").row_count == exact  # ANALYZEd at load: estimate is exact
        res = eng.sample("orders", 3)
        assert len(res.rows) == 3
        assert len(eng.sample("orders", 1000).rows) == exact


def test_exact_counts_on_request(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from datamorph.engines.postgres import PostgresEngine

    monkeypatch.setattr(PostgresEngine, "EXACT_COUNT_LIMIT", 1)
    with connect(pg_url) as eng:
        eng.catalog()  # warm
        exact = eng.scalar("SELECT count(*) FROM orders")
        oid_est = eng.scalar("SELECT reltuples FROM pg_class WHERE relname = 'orders' AND relkind = 'r'")
        with eng._conn().transaction():  # type: ignore[attr-defined]
            eng._conn().execute("UPDATE pg_class SET reltuples = 1000000 WHERE relname = 'orders'")  # type: ignore[attr-defined]
        try:
            assert eng.catalog(["orders"]).table("orders").row_count == 1_000_000  # the (stale) estimate
            assert eng.catalog(["orders"], exact=True).table("orders").row_count == exact
        finally:
            with eng._conn().transaction():  # type: ignore[attr-defined]
                eng._conn().execute("UPDATE pg_class SET reltuples = %s WHERE relname = 'orders'", [oid_est])  # type: ignore[attr-defined]


# -- the pipeline ------------------------------------------------------------------------------------


def _golden_cases() -> list[str]:
    return sorted(p.stem for p in GOLDEN.glob("*.json"))


@pytest.mark.parametrize("name", _golden_cases())
def test_golden_specs_stage_validate_and_match_duckdb(name: str, pg_url: str, pristine_warehouse: Path) -> None:
    """Every golden spec compiled for PostgreSQL, staged and validated there, gives DuckDB's rows."""
    spec = load_spec(json.loads((GOLDEN / f"{name}.json").read_text()))
    with connect(str(pristine_warehouse), read_only=True) as duck:
        compiled = compile_spec(spec, duck.catalog())
        expected = duck.fetch(compiled.sql("duckdb")).rows
    with connect(pg_url) as eng:
        compiled = compile_spec(spec, eng.catalog())
        staged = eng.stage(compiled.sql("postgres"), "golden_out", "r1")
        report = validate(eng, compiled, staged)
        bad = [(t.test_id, t.message) for t in report.tests if t.status in ("fail", "error")]
        assert not bad, bad
        rows = eng.fetch(f"SELECT * FROM {staged}").rows

    def norm(rs: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
        def one(v: Any) -> str:
            if isinstance(v, (float, Decimal)):
                return f"{float(v):.6g}"
            return repr(v)

        return sorted(tuple(one(v) for v in r) for r in rs)

    assert norm(rows) == norm(expected)


def test_differential_check_runs_on_postgres(pg_url: str) -> None:
    spec = load_spec(EXAMPLE)
    with connect(pg_url) as eng:
        catalog = eng.catalog()
        compiled = compile_spec(spec, catalog)
        staged = eng.stage(compiled.sql("postgres"), "diff_out", "r1")
        t = differential_test(eng, spec, catalog, staged)
        assert (t.test_id, t.status) == (TEST_ID, "pass"), t.message
        assert eng.text_collations("customers") == {}  # the test cluster is initdb --locale=C
        # a planted fault: a row missing from the staged table
        eng._rows(f"DELETE FROM {staged} WHERE customer_id = (SELECT min(customer_id) FROM {staged})")
        assert differential_test(eng, spec, catalog, staged).status == "fail"
        arrow = eng.read_arrow("customers", ["customer_id"], where_in=("customer_id", [1, 2, None]))
        assert sorted(arrow.column("customer_id").to_pylist()) == [1, 2]


def test_orchestrator_stage_validate_publish_rollback(pg_url: str, tmp_path: Path) -> None:
    orch = Orchestrator(Settings(home=tmp_path / "home", lock_timeout=10))
    first = orch.run(RunRequest(warehouse=pg_url, spec=load_spec(EXAMPLE)))
    assert first["statusCode"] == 200, first["body"].get("message")
    body = first["body"]
    assert body["validation_status"] == "pass" and body["previous_version"] is None
    assert [s["status"] for s in orch.store.steps(body["run_id"])] == ["ok"] * len(STEPS)
    assert "-- DataMorph run" in Path(body["artifacts"]["pipeline.sql"]).read_text()
    with connect(pg_url) as eng:
        assert eng.is_managed("customer_order_summary")
        assert eng.scalar("SELECT count(*) FROM customer_order_summary") == body["rows"]
        assert eng.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'datamorph_staging'") == 0

    spec2 = load_spec({**EXAMPLE, "having": [{"column": "total_amount", "operator": ">", "value": 0}]})
    second = orch.run(RunRequest(warehouse=pg_url, spec=spec2))
    assert second["statusCode"] == 200, second["body"].get("message")
    assert second["body"]["previous_version"].startswith("datamorph_history.")
    assert second["body"]["rows"] > body["rows"]

    proc = run_cli("rollback", "customer_order_summary", "-w", pg_url, "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert result_json(proc)["restored_from"] == second["body"]["previous_version"]
    with connect(pg_url) as eng:
        assert eng.scalar("SELECT count(*) FROM customer_order_summary") == body["rows"]
        assert [v.run_id for v in eng.history("customer_order_summary")] == ["rollback", second["body"]["run_id"]]


def _wrong_compile(o: Any, ctx: Any) -> str:
    desc = _compile(o, ctx)
    ctx.compiled.query.set("having", None)  # a compiler fault: the HAVING clause is lost
    ctx.sql = ctx.compiled.sql("postgres")
    return desc


def test_a_wrong_result_is_never_published(pg_url: str, tmp_path: Path) -> None:
    good = Orchestrator(Settings(home=tmp_path / "home"))
    assert good.run(RunRequest(warehouse=pg_url, spec=load_spec(EXAMPLE)))["statusCode"] == 200
    before = _fingerprint(pg_url)
    steps = tuple(Step(s.name, s.title, _wrong_compile) if s.name == "compile" else s for s in STEPS)
    faulty = Orchestrator(Settings(home=tmp_path / "home", max_remediation_iterations=0), steps=steps)
    res = faulty.run(RunRequest(warehouse=pg_url, spec=load_spec(EXAMPLE)))
    assert res["statusCode"] == 500
    assert res["body"]["failed_step"] == "validate"
    assert _fingerprint(pg_url) == before


_RUNNER = """
import json, sys
from datamorph.config import Settings
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.spec import load_spec
spec = load_spec(json.loads(sys.argv[3]))
res = Orchestrator(Settings(home=sys.argv[2], lock_timeout=30)).run(RunRequest(warehouse=sys.argv[1], spec=spec))
print(json.dumps({"code": res["statusCode"], "error_type": res["body"].get("error_type"),
                  "message": res["body"].get("message"), "rows": res["body"].get("rows")}))
"""


@pytest.mark.slow
def test_two_processes_publishing_one_target(pg_url: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _RUNNER, pg_url, str(tmp_path / f"home{i}"), json.dumps(EXAMPLE)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for i in range(2)
    ]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    codes = sorted(o["code"] for o in outs)
    assert codes[0] == 200, outs
    if codes[1] != 200:  # the second may only fail cleanly, on the lock
        assert any(o["error_type"] == "ConcurrencyError" for o in outs), outs
    with connect(pg_url) as eng:
        expected = next(o["rows"] for o in outs if o["code"] == 200)
        assert eng.scalar("SELECT count(*) FROM customer_order_summary") == expected
        assert eng.scalar("SELECT count(DISTINCT customer_id) FROM customer_order_summary") == expected
        assert eng.is_managed("customer_order_summary")
        hist = eng.history("customer_order_summary")
        assert len(hist) == sum(o["code"] == 200 for o in outs) - 1
        for v in hist:
            assert eng.scalar(f"SELECT count(*) FROM {v.table}") == expected
        assert eng.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'datamorph_staging'") == 0


# -- datamorph load ----------------------------------------------------------------------------------


def _write(path: Path, fmt: str, first: int = 1, rows: int = 5) -> Path:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT i AS id, 'name ' || i AS label, CAST(i * 2.5 AS DECIMAL(8,2)) AS score, "
                    f"DATE '2024-01-01' + CAST(i AS INTEGER) AS day, CASE WHEN i % 2 = 0 THEN NULL ELSE '' END AS note "
                    f"FROM range({first}, {first + rows}) AS r(i)) TO '{path}' (FORMAT {fmt})")  # fmt: skip
    finally:
        con.close()
    return path


def test_load_cli_files_and_folders(pg_database: Any, tmp_path: Path) -> None:
    _server, _name, url = pg_database
    csv = _write(tmp_path / "scores.csv", "csv")
    proc = run_cli("load", str(csv), "--warehouse", url, "--json", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert result_json(proc) == {"tables": [{"table": "scores", "rows": 5, "columns": 5}]}
    with connect(url) as eng:
        info = eng.catalog().table("scores")
        assert [(c.name, c.type) for c in info.columns] == [
            ("id", "bigint"), ("label", "text"), ("score", "double precision"), ("day", "date"), ("note", "text")]
        assert eng.scalar("SELECT sum(score) FROM scores") == 37.5  # DuckDB's CSV sniffer reads 2.50 as a double

    again = run_cli("load", str(csv), "-w", url, home=tmp_path / "home")
    assert again.returncode == 1 and "already has a table" in again.stderr

    folder = tmp_path / "parts"
    folder.mkdir()
    _write(folder / "a.parquet", "parquet", 1, 4)
    _write(folder / "b.parquet", "parquet", 5, 6)
    one = run_cli("load", str(folder), "-w", url, "--table", "parts", "--json", home=tmp_path / "home")
    assert result_json(one)["tables"] == [{"table": "parts", "rows": 10, "columns": 5}]
    each = run_cli("load", str(folder), "-w", url, "--json", home=tmp_path / "home")
    assert [t["table"] for t in result_json(each)["tables"]] == ["a", "b"]
    replaced = run_cli("load", str(csv), "-w", url, "--table", "parts", "--replace", home=tmp_path / "home")
    assert replaced.returncode == 0, replaced.stderr
    with connect(url) as eng:
        assert eng.scalar("SELECT count(*) FROM parts") == 5
        assert eng.catalog().table("a").column("score").type == "numeric(8,2)"  # Parquet keeps the decimal
        # empty strings and NULLs survive the COPY as themselves
        assert eng.fetch("SELECT note FROM a ORDER BY id").rows == [("",), (None,), ("",), (None,)]
        assert eng.scalar("SELECT count(*) FROM b") == 6


def test_read_arrow_csv_path_round_trips_values(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """read_arrow streams COPY CSV into pyarrow: NULL vs '' stay distinct, and every type reads back
    exactly as the row-by-row path (rows_to_arrow) reads it."""
    import datetime as dt

    import pyarrow as pa

    from datamorph.engines import pg_load
    from datamorph.engines.postgres import PostgresEngine

    texts = ["", None, 'a,"b"\nc', "plain", "x\r\ny", ",", '"', "NULL", "\\N"]
    with connect(pg_url) as eng:
        eng._rows(
            "CREATE TABLE rt (id integer PRIMARY KEY, s text, v varchar(20), d numeric(12,2), f double precision, "
            "r real, b boolean, day date, ts timestamp, tz timestamptz, big bigint, small smallint, tm time)"
        )
        for i, s in enumerate(texts):
            eng._rows(
                "INSERT INTO rt VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [i, s, None if s is None else s[:20], None if i == 1 else Decimal("-12.30") + i, None if i == 1 else i / 3,
                 None if i == 1 else 0.5, None if i == 1 else i % 2 == 0, None if i == 1 else dt.date(1999, 12, 31 - i),
                 None if i == 1 else dt.datetime(2020, 2, 29, 23, 59, 59, 123456 * (i % 2)),
                 None if i == 1 else dt.datetime(2021, 6, 1, 12, i, tzinfo=dt.timezone(dt.timedelta(hours=2))),
                 None if i == 1 else 2**62 + i, None if i == 1 else -i, None if i == 1 else dt.time(1, 2, 3, i)],
            )  # fmt: skip
        csv_calls: list[int] = []
        real = pg_load.csv_to_arrow
        monkeypatch.setattr("datamorph.engines.postgres.csv_to_arrow",
                            lambda data, cols: csv_calls.append(1) or real(data, cols))  # fmt: skip
        fast = eng.read_arrow("rt")
        assert csv_calls, "the COPY CSV path was not used"
        assert fast.column("s").to_pylist() == texts
        assert fast.column("d").type == pa.decimal128(12, 2) and fast.column("d").to_pylist()[0] == Decimal("-12.30")
        assert fast.column("b").to_pylist()[:3] == [True, None, True]
        assert fast.column("tz").type == pa.timestamp("us", tz="UTC")
        assert fast.column("tz").to_pylist()[0] == dt.datetime(2021, 6, 1, 10, 0, tzinfo=dt.UTC)
        # the same as the row-by-row path, type for type and value for value
        slow = pg_load.rows_to_arrow(
            [(c.name, c.type) for c in eng.table_columns("rt")], eng.fetch("SELECT * FROM rt ORDER BY id").rows)
        assert fast.sort_by("id").equals(slow), (fast.schema, slow.schema)
        sub = eng.read_arrow("rt", ["id", "s"], where_in=("s", ["", ',', None]))
        assert sorted(sub.column("id").to_pylist()) == [0, 5]
        assert eng.read_arrow("rt", ["id"], where_in=("day", [dt.date(1999, 12, 31)])).column("id").to_pylist() == [0]
        empty = eng.read_arrow("rt", ["id", "d"], where_in=("id", []))
        assert empty.num_rows == 0 and empty.schema == slow.select(["id", "d"]).schema
        # values the CSV types cannot hold fall back to the row-by-row path
        eng._rows("CREATE TABLE odd (n numeric(10,2), day date)")  # numeric NaN: no decimal128
        eng._rows("INSERT INTO odd VALUES ('NaN', '2020-01-02'), (1.5, '2020-01-01')")
        assert isinstance(eng, PostgresEngine)
        odd = eng.read_arrow("odd")
        assert odd.num_rows == 2 and odd.column("n").type == pa.string()


def test_where_in_array_is_cast_to_the_column_type_only_when_safe() -> None:
    """``col = ANY(%s::type[])`` lets PostgreSQL hash the array; values that might not convert get no cast."""
    import datetime as dt

    from datamorph.engines.postgres import _array_cast

    assert _array_cast("integer", [1, 2]) == "::integer[]"
    assert _array_cast("integer", [1.5]) == "" and _array_cast("bigint", [True]) == ""
    assert _array_cast("numeric(12,2)", [Decimal("1.5"), 2]) == "::numeric[]"
    assert _array_cast("character varying(20)", ["a"]) == "::text[]" and _array_cast("character(3)", ["a"]) == ""
    assert _array_cast("date", [dt.date(2020, 1, 1)]) == "::date[]" and _array_cast("date", [dt.datetime(2020, 1, 1)]) == ""
    assert _array_cast("uuid", ["x"]) == ""
