"""Through the HTTP API: hostile queries are refused and change nothing; a crashing run is contained;
the API also serves a PostgreSQL warehouse."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

from tests.api_support import EXAMPLE, serving, start_api, wait_run
from tests.helpers import fingerprint
from tests.test_safe_query import HOSTILE_DUCKDB, HOSTILE_POSTGRES, _fill


def test_hostile_queries_over_http_are_refused_and_change_nothing(pristine_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(pristine_warehouse, warehouse)
    before = fingerprint(warehouse)
    out = tmp_path / "out"
    out.mkdir()
    srv = start_api(warehouse, tmp_path / "home")
    refused: list[str] = []
    try:
        with srv.client() as c:
            assert len(HOSTILE_DUCKDB) >= 25
            for sql, message in HOSTILE_DUCKDB:
                resp = c.post("/execute/query", json={"query": _fill(sql, out)})
                body = resp.json()
                assert resp.status_code == 400, (sql, body)
                assert body["error"] is True and body["error_type"] == "QueryRefused", (sql, body)
                assert message in body["message"], (sql, body["message"])
                refused.append(sql)
            # the endpoint still answers, with the same data
            ok = c.post("/execute/query", json={"query": "SELECT count(*) AS n FROM orders"}).json()
            assert ok["status"] == "success" and ok["data"] == [{"n": 11}]
    finally:
        assert srv.stop() == 0
    assert len(refused) == len(HOSTILE_DUCKDB)
    assert fingerprint(warehouse) == before  # every table unchanged
    assert list(out.iterdir()) == []  # nothing written where COPY/EXPORT/ATTACH pointed


def test_query_endpoint_limits_rows_and_reports_sql_errors_as_bad_input(pristine_warehouse: Path,
                                                                        tmp_path: Path) -> None:  # fmt: skip
    env = {"DATAMORPH_QUERY_MAX_ROWS": "3", "DATAMORPH_QUERY_TIMEOUT": "0.5"}
    with serving(pristine_warehouse, tmp_path, env=env) as srv:
        with srv.client() as c:
            body = c.post("/execute/query", json={"query": "SELECT order_id FROM orders ORDER BY order_id"}).json()
            assert body["row_count"] == 3 and body["truncated"] is True
            assert [r["order_id"] for r in body["data"]] == [101, 102, 103]
            bad = c.post("/execute/query", json={"query": "SELECT amout FROM orders"})
            assert bad.status_code == 400 and "amout" in bad.json()["message"]
            slow = c.post("/execute/query", json={"query": "SELECT count(*) FROM range(100000000) a, range(1000) b"})
            assert slow.status_code == 400 and "stopped after" in slow.json()["message"]
            assert c.post("/execute/query", json={"query": "SELECT 1 AS one"}).json()["data"] == [{"one": 1}]


def test_query_results_are_limited_in_bytes_and_keep_every_column(pristine_warehouse: Path, tmp_path: Path) -> None:
    """Issue 10: 30 rows of 10 MB passed the row cap (300 MB answer); `SELECT 1 AS x, 2 AS x` lost a value."""
    with serving(pristine_warehouse, tmp_path) as srv:  # the default DATAMORPH_QUERY_MAX_BYTES, 10 MB
        with srv.client() as c:
            big = c.post("/execute/query", json={"query": "SELECT repeat('x', 10000000) FROM range(30)"})
            assert big.status_code == 413, big.text[:300]
            body = big.json()
            assert body["error_type"] == "ResultTooLarge"
            assert "exceeds DATAMORPH_QUERY_MAX_BYTES (10 MB)" in body["message"]
            assert "select fewer columns or rows" in body["message"]
            dup = c.post("/execute/query", json={"query": "SELECT 1 AS x, 2 AS x"}).json()
            assert dup["columns"] == ["x", "x_1"] and dup["data"] == [{"x": 1, "x_1": 2}]
            assert dup["renamed_columns"] == {"x_1": "x"}
            both = c.post("/execute/query", json={"query": "SELECT c.*, o.* FROM customers c JOIN orders o "
                          "ON o.customer_id <> c.customer_id WHERE c.customer_id = 1 AND o.order_id = 105"}).json()  # fmt: skip
            assert (both["data"][0]["customer_id"], both["data"][0]["customer_id_1"]) == (1, 3)
            assert both["renamed_columns"] == {"customer_id_1": "customer_id"}
            ok = c.post("/execute/query", json={"query": "SELECT count(*) AS n FROM orders"}).json()
            assert ok["data"] == [{"n": 11}] and ok["renamed_columns"] == {}


def test_slow_queries_do_not_starve_the_api(pristine_warehouse: Path, tmp_path: Path) -> None:
    """Issue 10: four slow queries held every warehouse connection; /get/data then waited 30 s and got 409.

    Queries have their own budget (DATAMORPH_QUERY_CONNECTIONS=2): the queries beyond it are answered 503
    with Retry-After at once, and while the two admitted ones run, /health, /get/data and a run all work.
    """
    slow = "SELECT count(*) FROM range(100000000) AS a, range(1000) AS b"
    env = {"DATAMORPH_QUERY_CONNECTIONS": "2", "DATAMORPH_QUERY_TIMEOUT": "10"}
    with serving(pristine_warehouse, tmp_path, env=env) as srv:
        answers: list[Any] = []
        lock = threading.Lock()
        rejected = threading.Semaphore(0)

        def ask() -> None:
            with srv.client(timeout=120) as c:
                resp = c.post("/execute/query", json={"query": slow})
            with lock:
                answers.append(resp)
            if resp.status_code == 503:
                rejected.release()

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for t in threads:
            t.start()
        for _ in range(2):  # the two queries beyond the budget are answered without waiting for the others
            assert rejected.acquire(timeout=60)
        with srv.client() as c:
            health = c.get("/health")
            data = c.post("/get/data", json={"table_names": ["orders"], "limit": 3})
            with lock:
                slow_answered_meanwhile = [r for r in answers if r.status_code != 503]
            run_id = c.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "during_slow_queries"}).json()["run_id"]
            run = wait_run(c, run_id, timeout=300)
        for t in threads:
            t.join(timeout=120)
        assert health.status_code == 200 and health.json()["status"] == "healthy"
        assert data.status_code == 200 and len(data.json()["data"]["orders"]) == 3
        assert slow_answered_meanwhile == []  # both still running when /health and /get/data answered
        assert run["status"] == "completed", run
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [400, 400, 503, 503], [r.text[:200] for r in answers]
        for r in answers:
            body = r.json()
            if r.status_code == 503:
                assert body["error_type"] == "Overloaded" and "DATAMORPH_QUERY_CONNECTIONS" in body["message"]
                assert int(r.headers["Retry-After"]) >= 1
            else:
                assert "stopped after 10 s" in body["message"]
        with srv.client() as c:  # the budget is free again
            assert c.post("/execute/query", json={"query": "SELECT 1 AS one"}).json()["data"] == [{"one": 1}]


def test_a_busy_pool_answers_overloaded_with_retry_after(fixture_warehouse: Path) -> None:
    """The pool behind /get/data, /get/schemas and /health: when every connection stays busy, 503 + Retry-After
    (it was a 409 after 30 s); a connection handed back is used again."""
    from datamorph.api.errors import ApiError
    from datamorph.api.pool import EnginePool
    from datamorph.config import Settings

    pool = EnginePool(Settings(duckdb_external_access=False), str(fixture_warehouse), size=1, wait_s=0.2,
                      retry_after_s=3)  # fmt: skip
    try:
        with pool.engine() as held:
            try:
                with pool.engine():
                    raise AssertionError("a second engine was handed out beyond the pool's size")
            except ApiError as busy:
                assert (busy.status_code, busy.error_type, busy.headers) == (503, "Overloaded", {"Retry-After": "3"})
                assert "all 1 warehouse connections are in use" in busy.message
        with pool.engine() as again:
            assert again is held and again.scalar("SELECT count(*) FROM orders") == 11
    finally:
        pool.close()


def test_a_crashing_run_is_recorded_and_the_pool_goes_on(fixture_warehouse: Path, tmp_path: Path) -> None:
    """A bug inside a run (not a DataMorph error) marks that run failed with an error entry; later runs work."""
    from datamorph.api.runs import RunManager
    from datamorph.config import Settings
    from datamorph.orchestrator import RunRequest
    from datamorph.store import RunStore

    settings = Settings(home=tmp_path / "home", warehouse=str(fixture_warehouse), workers=1)
    store = RunStore(settings.store_path)
    manager = RunManager(settings, store)
    try:
        broken: Any = "not a spec object"  # makes the orchestrator itself fail with an AttributeError
        crash_id, _ = manager.submit(RunRequest(warehouse=str(fixture_warehouse), spec=broken))
        good_id, _ = manager.submit(RunRequest(warehouse=str(fixture_warehouse), prompt=EXAMPLE, target="after_crash"))
        for run_id in (crash_id, good_id):
            fut = manager.future(run_id)
            if fut is not None:
                fut.result(timeout=120)
        crashed = store.get_run(crash_id)
        assert crashed["status"] == "failed" and crashed["error_type"] == "InternalError"
        assert "AttributeError" in crashed["error_message"]
        assert store.logs(crash_id)[-1]["type"] == "error"
        assert store.get_run(good_id)["status"] == "completed"
    finally:
        manager.shutdown()


def test_api_over_postgres(pg_database: Any, pristine_warehouse: Path, tmp_path: Path) -> None:
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    _server, _name, url = pg_database
    with PostgresEngine(url) as eng:
        load_duckdb_tables(eng, str(pristine_warehouse))
    srv = start_api(url, tmp_path / "home")
    try:
        with srv.client() as c:
            assert c.get("/health").json()["engine"] == "postgres"
            schemas = c.post("/get/schemas", json={"table_names": ["orders"]}).json()["schemas"]
            assert schemas["orders"]["rows"] == 11
            q = c.post("/execute/query", json={"query": "SELECT count(*) AS n FROM orders"}).json()
            assert q["data"] == [{"n": 11}]
            refused = c.post("/execute/query", json={"query": "SELECT pg_read_file('/etc/passwd')"})
            assert refused.status_code == 400 and refused.json()["error_type"] == "QueryRefused"
            for sql, message in HOSTILE_POSTGRES:
                if "{tmp}" not in sql:
                    bad = c.post("/execute/query", json={"query": sql})
                    assert bad.status_code == 400 and message in bad.json()["message"], (sql, bad.json())
            big = c.post("/execute/query", json={"query": "SELECT repeat('x', 10000000) FROM generate_series(1, 30)"})
            assert big.status_code == 413 and big.json()["error_type"] == "ResultTooLarge"
            dup = c.post("/execute/query", json={"query": "SELECT 1 AS x, 2 AS x"}).json()
            assert dup["data"] == [{"x": 1, "x_1": 2}] and dup["renamed_columns"] == {"x_1": "x"}
            run_id = c.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "pg_api_totals"}).json()["run_id"]
            run = wait_run(c, run_id)
            assert run["status"] == "completed", run
            assert c.get("/api/tables/pg_api_totals").json()["rows"] == run["result"]["body"]["rows"]
    finally:
        assert srv.stop() == 0
