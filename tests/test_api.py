"""The HTTP API against a real `datamorph serve` (uvicorn) on 127.0.0.1, driven with httpx."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.api_support import EXAMPLE, ApiServer, serving, sse_events, start_api, wait_run

ERROR_KEYS = {"error", "status_code", "error_type", "message"}
OPTIONAL_ERROR_KEYS = {"run_id", "details"}


@pytest.fixture(scope="module")
def server(pristine_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    root = tmp_path_factory.mktemp("api")
    warehouse = root / "warehouse.duckdb"
    shutil.copy(pristine_warehouse, warehouse)
    srv = start_api(warehouse, root / "home")
    yield srv
    assert srv.stop() == 0, srv.log()
    assert "Traceback" not in srv.log(), srv.log()


@pytest.fixture
def client(server: ApiServer) -> Iterator[Any]:
    with server.client() as c:
        yield c


def assert_error(resp: Any, status: int, error_type: str | None = None) -> dict[str, Any]:
    """The one error shape: exactly these keys, error true, status_code = the HTTP status."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert ERROR_KEYS <= set(body) <= ERROR_KEYS | OPTIONAL_ERROR_KEYS, body
    assert body["error"] is True and body["status_code"] == status
    assert isinstance(body["message"], str) and body["message"]
    if error_type is not None:
        assert body["error_type"] == error_type, body
    return body  # type: ignore[no-any-return]


# -- the original endpoints -----------------------------------------------------------------------


def test_health_and_docs(client: Any) -> None:
    body = client.get("/health").json()
    assert body["status"] == "healthy" and body["engine"] == "duckdb"
    assert client.get("/docs").status_code == 200
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/start", "/get/schemas", "/get/data", "/execute/query", "/get/logs/{run_id}", "/health",
            "/api/runs", "/api/runs/{run_id}", "/api/runs/{run_id}/events", "/api/runs/{run_id}/artifacts/{name}",
            "/api/plan", "/api/tables", "/api/tables/{name}", "/api/targets/{name}/rollback"} <= paths  # fmt: skip


def test_get_schemas(client: Any) -> None:
    body = client.post("/get/schemas", json={"table_names": ["customers", "orders"]}).json()
    assert body["status"] == "success" and set(body["schemas"]) == {"customers", "orders"}
    customers = body["schemas"]["customers"]
    assert customers["primary_key"] == ["customer_id"]
    cols = {c["name"]: c for c in customers["columns"]}
    assert cols["customer_id"]["nullable"] is False and cols["customer_id"]["type"] == "INTEGER"
    assert customers["rows"] == 6
    fks = body["schemas"]["orders"]["foreign_keys"]
    assert {"columns": ["customer_id"], "ref_table": "customers", "ref_columns": ["customer_id"]}.items() <= \
        next(f for f in fks if f["columns"] == ["customer_id"]).items()  # fmt: skip
    everything = client.post("/get/schemas", json={}).json()["schemas"]
    assert {"customers", "orders", "products", "employees"} <= set(everything)


def test_get_schemas_unknown_table_is_404_with_suggestion(client: Any) -> None:
    body = assert_error(client.post("/get/schemas", json={"table_names": ["custmers"]}), 404, "TableNotFound")
    assert "did you mean 'customers'" in body["message"]


def test_get_data_returns_real_random_rows(client: Any) -> None:
    body = client.post("/get/data", json={"table_names": ["customers"], "limit": 3}).json()
    rows = body["data"]["customers"]
    assert len(rows) == 3 and body["limit"] == 3
    every = client.post("/get/data", json={"table_names": ["customers"], "limit": 100}).json()["data"]["customers"]
    assert len(every) == 6  # the whole table
    by_id = {r["customer_id"]: r for r in every}
    assert all(by_id[r["customer_id"]] == r for r in rows)
    assert len(client.post("/get/data", json={"table_names": ["orders"]}).json()["data"]["orders"]) == 10  # default


def test_start_runs_the_workflow_and_logs_end_with_success(client: Any) -> None:
    resp = client.post("/start", json={"prompt": EXAMPLE, "target_table": "api_start_totals"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "success" and body["message"] == "ETL pipeline executed and validated successfully"
    run_id = body["run_id"]
    details = body["details"]
    assert details["run_id"] == run_id and details["target_table"] == "api_start_totals"
    assert details["validation_status"] == "pass" and details["specs_path"].endswith("spec.json")

    logs = client.get(f"/get/logs/{run_id}").json()
    assert logs["run_id"] == run_id and logs["status"] == "completed"
    assert logs["log_count"] == len(logs["logs"]) > 10
    assert logs["logs"][0]["type"] == "start"
    last = logs["logs"][-1]
    assert last["type"] == "success"
    assert last["metadata"]["target_table"] == "api_start_totals" and last["metadata"]["validation_status"] == "pass"
    for entry in logs["logs"]:
        assert set(entry) == {"timestamp", "type", "title", "description", "metadata"}

    table = client.get("/api/tables/api_start_totals").json()
    assert table["rows"] == details["rows"] > 0


def test_start_with_user_prompt_alias_and_sources(client: Any) -> None:
    resp = client.post("/start", json={"user_prompt": EXAMPLE, "source_tables": ["customers", "orders"],
                                       "target_table": "api_alias_totals"})  # fmt: skip
    assert resp.status_code == 200, resp.text


def test_start_failure_is_the_error_shape_with_run_id_and_logs_end_with_error(client: Any) -> None:
    body = assert_error(client.post("/start", json={"prompt": "delete all customers"}), 400, "UnsafeRequest")
    assert body["message"].startswith("Workflow failed:")
    assert body["details"]["status"] == "failed"
    logs = client.get(f"/get/logs/{body['run_id']}").json()
    assert logs["status"] == "failed"
    assert logs["logs"][-1]["type"] == "error" and "delete" in logs["logs"][-1]["description"]


def test_start_target_equal_to_a_source_is_a_conflict(client: Any) -> None:
    assert_error(client.post("/start", json={"prompt": EXAMPLE, "target_table": "orders"}), 409, "TargetConflict")
    assert client.get("/api/tables/orders").json()["rows"] == 11  # untouched


def test_get_logs_bad_and_unknown_run(client: Any) -> None:
    assert_error(client.get("/get/logs/not-a-run"), 400, "BadRequest")
    assert_error(client.get("/get/logs/20200101_000000_abcdef"), 404, "RunNotFound")


# -- REST: runs, events, artifacts ---------------------------------------------------------------------


def test_background_run_with_live_events(client: Any) -> None:
    resp = client.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "api_bg_totals"})
    assert resp.status_code == 202, resp.text
    run = resp.json()
    run_id = run["run_id"]
    assert resp.headers["location"] == f"/api/runs/{run_id}"
    assert run["state"] in ("queued", "running", "completed")

    events = []
    with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for ev in sse_events(stream.iter_lines()):
            events.append(ev)
    logs = [e for e in events if e["event"] == "log"]
    assert [int(e["id"]) for e in logs] == list(range(1, len(logs) + 1))  # every entry once, in order
    assert events[-1]["event"] == "result" and events[-1]["data"]["statusCode"] == 200
    assert logs[-1]["data"]["type"] == "success"
    stored = client.get(f"/get/logs/{run_id}").json()["logs"]
    assert [e["data"] for e in logs] == stored

    # resuming after entry 5 sends the rest only
    with client.stream("GET", f"/api/runs/{run_id}/events", headers={"Last-Event-ID": "5"}) as stream:
        resumed = [e for e in sse_events(stream.iter_lines()) if e["event"] == "log"]
    assert [int(e["id"]) for e in resumed] == list(range(6, len(logs) + 1))

    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["status"] == "completed" and detail["validation_status"] == "pass"
    assert [s["step"] for s in detail["steps"]] == ["plan", "read_sources", "compile", "stage", "validate", "publish"]
    assert all(s["status"] == "ok" for s in detail["steps"])
    assert {"spec.json", "pipeline.sql", "validation.json", "result.json"} <= set(detail["artifacts"])

    spec = client.get(f"/api/runs/{run_id}/artifacts/spec.json")
    assert spec.headers["content-type"].startswith("application/json")
    assert spec.json()["target_table"]["name"] == "api_bg_totals"
    sql = client.get(f"/api/runs/{run_id}/artifacts/pipeline.sql")
    assert sql.status_code == 200 and "SELECT" in sql.text
    assert client.get(f"/api/runs/{run_id}/artifacts").json()["artifacts"] == detail["artifacts"]


def test_run_with_a_spec_and_a_bad_spec(client: Any) -> None:
    spec = {"source_tables": [{"table_name": "orders"}], "target_table": {"name": "api_spec_orders"},
            "aggregations": [{"function": "count", "column": "*", "alias": "n", "group_by": ["status"]}]}  # fmt: skip
    run_id = client.post("/api/runs", json={"spec": spec}).json()["run_id"]
    assert wait_run(client, run_id)["status"] == "completed"
    body = assert_error(client.post("/api/runs", json={"spec": {"target_table": "x"}}), 400, "SpecError")
    assert "source_tables" in body["message"]


def test_events_of_unknown_run_is_404(client: Any) -> None:
    assert_error(client.get("/api/runs/20200101_000000_abcdef/events"), 404, "RunNotFound")
    assert_error(client.get("/api/runs/nope/events"), 400, "BadRequest")


@pytest.mark.parametrize("name", ["..", "../../runs.db", ".hidden", "..%2F..%2Fruns.db", "%2e%2e", "%2e%2e%2fx",
                                  "a%5Cb", "x:y", "..%5C..%5Cruns.db"])
def test_artifact_paths_cannot_escape_their_run(server: ApiServer, client: Any, name: str) -> None:
    import http.client

    run_id = client.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "api_escape"}).json()["run_id"]
    wait_run(client, run_id)
    # http.client sends the path as written (httpx would remove the dot segments first)
    host, port = server.url.removeprefix("http://").split(":")
    con = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        con.request("GET", f"/api/runs/{run_id}/artifacts/{name}")
        resp = con.getresponse()
        status, text = resp.status, resp.read().decode()
    finally:
        con.close()
    assert status in (400, 404), text
    body = json.loads(text)
    assert body["error"] is True and body["status_code"] == status
    assert "SQLite" not in text and "CREATE TABLE" not in text and "run_id\": " not in text


def test_unknown_artifact_is_404_with_the_list(client: Any) -> None:
    run_id = client.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "api_artifacts"}).json()["run_id"]
    assert wait_run(client, run_id)["status"] == "completed"
    body = assert_error(client.get(f"/api/runs/{run_id}/artifacts/spec.jsn"), 404, "ArtifactError")
    assert "spec.json" in body["message"]


def test_list_runs_filters_and_pages(client: Any) -> None:
    ids = [client.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "api_paged"}).json()["run_id"]
           for _ in range(3)]  # fmt: skip
    for run_id in ids:
        wait_run(client, run_id)
    page = client.get("/api/runs", params={"target": "api_paged", "limit": 2}).json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["runs"]) == 2
    assert [r["run_id"] for r in page["runs"]] == ids[::-1][:2]  # newest first
    rest = client.get("/api/runs", params={"target": "api_paged", "limit": 2, "offset": 2}).json()
    assert [r["run_id"] for r in rest["runs"]] == [ids[0]]
    failed = client.get("/api/runs", params={"status": "failed"}).json()
    assert all(r["status"] == "failed" for r in failed["runs"])
    assert_error(client.get("/api/runs", params={"status": "exploded"}), 422, "RequestValidationError")
    assert_error(client.get("/api/runs", params={"limit": 0}), 422)


def test_idempotency_key_returns_the_same_run(client: Any) -> None:
    payload = {"prompt": EXAMPLE, "target_table": "api_idem"}
    first = client.post("/api/runs", json=payload, headers={"Idempotency-Key": "idem-1"})
    again = client.post("/api/runs", json=payload, headers={"Idempotency-Key": "idem-1"})
    assert first.status_code == 202 and again.status_code == 200
    assert first.json()["run_id"] == again.json()["run_id"]
    other = client.post("/api/runs", json={**payload, "target_table": "api_idem2"}, headers={"Idempotency-Key": "idem-1"})
    body = assert_error(other, 409, "IdempotencyConflict")
    assert body["run_id"] == first.json()["run_id"]
    wait_run(client, first.json()["run_id"])
    assert client.get("/api/runs", params={"target": "api_idem"}).json()["total"] == 1


def test_idempotency_key_under_concurrent_retries(server: ApiServer) -> None:
    payload = {"prompt": EXAMPLE, "target_table": "api_idem_race"}
    ids: list[str] = []
    statuses: list[int] = []

    def post() -> None:
        with server.client() as c:
            r = c.post("/api/runs", json=payload, headers={"Idempotency-Key": "race-key"})
            statuses.append(r.status_code)
            ids.append(r.json()["run_id"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1 and sorted(statuses) == [200] * 7 + [202]
    with server.client() as c:
        wait_run(c, ids[0])
        assert c.get("/api/runs", params={"target": "api_idem_race"}).json()["total"] == 1


def test_a_failing_run_does_not_affect_the_server(client: Any) -> None:
    bad = {"source_tables": [{"table_name": "orders"}], "target_table": {"name": "api_bad"},
           "derived_columns": [{"name": "x", "expression": "amount / nosuchcolumn"}]}  # fmt: skip
    resp = client.post("/api/runs", json={"spec": bad})
    run = wait_run(client, resp.json()["run_id"])
    assert run["status"] == "failed" and run["error_type"]
    assert client.get("/health").json()["status"] == "healthy"
    good = client.post("/api/runs", json={"prompt": EXAMPLE, "target_table": "api_after_bad"}).json()
    assert wait_run(client, good["run_id"])["status"] == "completed"


# -- REST: plan, tables, rollback ----------------------------------------------------------------------


def test_plan_is_a_dry_run(client: Any) -> None:
    body = client.post("/api/plan", json={"prompt": EXAMPLE, "target_table": "api_plan_only"}).json()
    assert body["spec"]["target_table"]["name"] == "api_plan_only" and body["dialect"] == "duckdb"
    assert "SUM" in body["sql"].upper() and "HAVING" in body["sql"].upper()
    assert_error(client.get("/api/tables/api_plan_only"), 404, "TableNotFound")  # nothing was run
    from_spec = client.post("/api/plan", json={"spec": body["spec"]}).json()
    assert from_spec["sql"] == body["sql"]


def test_plan_errors(client: Any) -> None:
    assert_error(client.post("/api/plan", json={"prompt": "make me a sandwich"}), 400, "PlanError")
    body = assert_error(client.post("/api/plan", json={"prompt": "x", "spec": {}}), 422, "RequestValidationError")
    assert "exactly one of 'prompt'" in body["message"]
    assert_error(client.post("/api/plan", json={}), 422)


def test_tables(client: Any) -> None:
    tables = {t["name"]: t for t in client.get("/api/tables").json()["tables"]}
    assert tables["orders"] == {"name": "orders", "kind": "table", "rows": 11, "columns": 7}
    one = client.get("/api/tables/orders", params={"sample": 2}).json()
    assert one["table"] == "orders" and len(one["sample"]) == 2 and one["primary_key"] == ["order_id"]
    assert_error(client.get("/api/tables/ordres"), 404, "TableNotFound")


def test_rollback_restores_the_previous_version(client: Any) -> None:
    small = {"source_tables": [{"table_name": "orders"}], "target_table": {"name": "api_rb"},
             "filters": [{"column": "amount", "operator": ">", "value": 100}]}  # fmt: skip
    everything = {"source_tables": [{"table_name": "orders"}], "target_table": {"name": "api_rb"}}
    for spec in (small, everything):
        run_id = client.post("/api/runs", json={"spec": spec}).json()["run_id"]
        assert wait_run(client, run_id)["status"] == "completed"
    assert client.get("/api/tables/api_rb").json()["rows"] == 11
    resp = client.post("/api/targets/api_rb/rollback")
    assert resp.status_code == 200, resp.text
    assert resp.json()["target"] == "api_rb" and resp.json()["replaced_version"]
    small_rows = client.get("/api/tables/api_rb").json()["rows"]
    assert 0 < small_rows < 11
    assert_error(client.post("/api/targets/orders/rollback"), 409, "TargetConflict")  # not DataMorph's table
    body = assert_error(client.post("/api/targets/no_such_target/rollback"), 404, "TableNotFound")
    assert "unknown table 'no_such_target'" in body["message"]
    assert "did you mean 'api_rb'" in assert_error(client.post("/api/targets/api_rbb/rollback"), 404)["message"]
    assert_error(client.post("/api/targets/bad.name/rollback"), 409, "TargetConflict")  # not the target schema
    assert_error(client.post("/api/targets/1bad/rollback"), 400, "SpecError")
    assert_error(client.post("/api/targets/datamorph_history.versions/rollback"), 409, "TargetConflict")


# -- one error shape ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "payload", "status", "error_type"),
    [
        ("GET", "/nope", None, 404, "NotFound"),
        ("DELETE", "/health", None, 405, "MethodNotAllowed"),
        ("POST", "/start", {}, 422, "RequestValidationError"),
        ("POST", "/start", {"prompt": "x", "surprise": 1}, 422, "RequestValidationError"),
        ("POST", "/get/data", {"table_names": ["orders"], "limit": -1}, 422, "RequestValidationError"),
        ("POST", "/get/schemas", {"table_names": "orders"}, 422, "RequestValidationError"),
        ("POST", "/get/schemas", {"table_names": ["nope"]}, 404, "TableNotFound"),
        ("GET", "/get/logs/20200101_000000_abcdef", None, 404, "RunNotFound"),
        ("GET", "/api/runs/20200101_000000_abcdef", None, 404, "RunNotFound"),
        ("POST", "/api/plan", {"prompt": "make me a sandwich"}, 400, "PlanError"),
        ("POST", "/execute/query", {"query": "DROP TABLE orders"}, 400, "QueryRefused"),
    ],
)
def test_one_error_shape(client: Any, method: str, path: str, payload: Any, status: int, error_type: str) -> None:
    assert_error(client.request(method, path, json=payload), status, error_type)


def test_malformed_json_body_is_422(client: Any) -> None:
    resp = client.post("/start", content=b"{not json", headers={"content-type": "application/json"})
    body = assert_error(resp, 422, "RequestValidationError")
    assert "JSON" in body["message"]


@pytest.mark.parametrize(("raw", "where"), [
    (b'{"prompt": "count orders",\n  "target_table": oops}', "at line 2 column 19"),
    (b'{"prompt": "x", }', "at line 1 column 17"),
    (b'{"prompt":\n\n "caf\xc3\xa9" x}', "Expecting ',' delimiter at line 3 column 9"),
    (b'{"prompt": "a\nb"}', "Invalid control character at line 1 column 14"),
])  # fmt: skip
def test_malformed_json_names_the_reason_line_and_column(client: Any, raw: bytes, where: str) -> None:
    for path in ("/start", "/api/runs", "/api/plan"):
        resp = client.post(path, content=raw, headers={"content-type": "application/json"})
        message = assert_error(resp, 422, "RequestValidationError")["message"]
        assert message.startswith("malformed JSON: ") and message.endswith(where), message
        assert "field '" not in message


def test_head_health(client: Any) -> None:
    resp = client.head("/health")
    assert resp.status_code == 200 and resp.content == b""


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "9" * 25, "-1", "abc", "1.5", "²", "0x10", "1 2"])
def test_bad_last_event_id_is_400(server: ApiServer, client: Any, value: str) -> None:
    run_id = client.post("/api/runs", json={"spec": {"source_tables": ["orders"], "target_table": "api_sse_id"}}).json()["run_id"]
    wait_run(client, run_id)
    resp = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": value.encode("latin-1")})
    assert "Last-Event-ID" in assert_error(resp, 400, "BadRequest")["message"]
    ok = client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": str(2**63 - 1)})
    assert ok.status_code == 200 and "event: result" in ok.text and "event: log" not in ok.text
    assert "OverflowError" not in server.log() and "Traceback" not in server.log()


@pytest.mark.parametrize("target", ["datamorph_history.versions", "datamorph_staging.x", "pg_catalog.pg_class",
                                    "information_schema.tables"])
def test_reserved_schema_targets_are_409(client: Any, target: str) -> None:
    spec = {"source_tables": ["orders"], "target_table": "fine"}
    for path, body in (("/api/runs", {"prompt": EXAMPLE, "target_table": target}),
                       ("/api/runs", {"spec": {**spec, "target_table": target}}),
                       ("/api/plan", {"prompt": EXAMPLE, "target_table": target}),
                       ("/start", {"prompt": EXAMPLE, "target_table": target})):  # fmt: skip
        body = assert_error(client.post(path, json=body), 409, "TargetConflict")
        assert "reserved schema" in body["message"] and "remediation" not in body["message"]


@pytest.mark.parametrize(("target", "needle"), [("table", "SQL keyword"), ("a b", "not a valid table name"),
                                                ("x" * 200, "too long")])  # fmt: skip
def test_bad_target_names_are_400(client: Any, target: str, needle: str) -> None:
    for path in ("/api/runs", "/api/plan"):
        body = assert_error(client.post(path, json={"prompt": EXAMPLE, "target_table": target}), 400, "SpecError")
        assert needle in body["message"]


def test_default_host_is_loopback() -> None:
    import inspect

    from datamorph.cli import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def test_worker_pool_bounds_concurrent_runs(pristine_warehouse: Path, tmp_path: Path) -> None:
    with serving(pristine_warehouse, tmp_path, env={"DATAMORPH_WORKERS": "1"}) as srv:
        with srv.client() as c:
            ids = [c.post("/api/runs", json={"prompt": EXAMPLE, "target_table": f"api_pool_{i}"}).json()["run_id"]
                   for i in range(4)]  # fmt: skip
            states = [c.get(f"/api/runs/{i}").json()["state"] for i in ids]
            assert "queued" in states  # one worker: the later runs wait
            peak = 0
            while any(c.get(f"/api/runs/{i}").json()["status"] == "running" for i in ids):
                peak = max(peak, c.get("/health").json()["runs"]["running"])
            assert peak <= 1
            assert [c.get(f"/api/runs/{i}").json()["status"] for i in ids] == ["completed"] * 4


# -- security: token, body size ---------------------------------------------------------------------------


def test_token_is_required_everywhere_but_health(pristine_warehouse: Path, tmp_path: Path) -> None:
    with serving(pristine_warehouse, tmp_path, env={"DATAMORPH_API_TOKEN": "s3cret-token"}) as srv:
        with srv.client(token=None) as anon:
            assert anon.get("/health").status_code == 200
            for method, path in [("GET", "/api/tables"), ("POST", "/get/schemas"), ("GET", "/docs"),
                                 ("GET", "/openapi.json"), ("POST", "/start"), ("GET", "/get/logs/x")]:  # fmt: skip
                resp = anon.request(method, path, json={})
                body = assert_error(resp, 401, "Unauthorized")
                assert resp.headers["www-authenticate"].startswith("Bearer")
                assert "Authorization: Bearer" in body["message"]
        with srv.client(token="wrong") as wrong:
            assert assert_error(wrong.get("/api/tables"), 401)["message"] == "wrong API token"
        with srv.client() as ok:
            assert ok.get("/api/tables").status_code == 200
            assert ok.post("/get/schemas", json={"table_names": ["orders"]}).status_code == 200


def test_body_size_limit(pristine_warehouse: Path, tmp_path: Path) -> None:
    with serving(pristine_warehouse, tmp_path, env={"DATAMORPH_MAX_BODY_BYTES": "2048"}) as srv:
        with srv.client() as c:
            big = {"prompt": "x" * 3000}
            body = assert_error(c.post("/start", json=big), 413, "BodyTooLarge")
            assert "2,048 bytes" in body["message"]

            def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
                yield b'{"query": "'
                for _ in range(10):
                    yield b"x" * 500
                yield b'"}'

            resp = c.post("/execute/query", content=chunks(), headers={"content-type": "application/json"})
            assert_error(resp, 413, "BodyTooLarge")
            assert c.post("/get/schemas", json={"table_names": ["orders"]}).status_code == 200


def test_serve_without_warehouse_fails_clearly(tmp_path: Path) -> None:
    from tests.helpers import run_cli

    proc = run_cli("serve", "--port", "0", home=tmp_path)
    assert proc.returncode == 1 and "no warehouse given" in proc.stderr
    proc = run_cli("serve", "--warehouse", str(tmp_path / "missing.duckdb"), home=tmp_path)
    assert proc.returncode == 1 and "does not exist" in proc.stderr


def test_stopping_the_server_leaves_no_run_hanging(pristine_warehouse: Path, tmp_path: Path) -> None:
    """Ctrl-C with runs queued: the running one finishes, the queued ones are recorded as cancelled."""
    from datamorph.store import RunStore

    with serving(pristine_warehouse, tmp_path, env={"DATAMORPH_WORKERS": "1"}) as srv:
        with srv.client() as c:
            ids = [c.post("/api/runs", json={"prompt": EXAMPLE, "target_table": f"api_stop_{i}"}).json()["run_id"]
                   for i in range(5)]  # fmt: skip
    store = RunStore(tmp_path / "home" / "runs.db")
    runs = {r: store.get_run(r) for r in ids}
    assert all(r["status"] in ("completed", "failed") for r in runs.values()), runs
    cancelled = [r for r in runs.values() if r["status"] == "failed"]
    assert all(r["error_type"] == "Cancelled" for r in cancelled), cancelled
    for r in cancelled:
        assert store.logs(r["run_id"])[-1]["type"] == "error"
    assert cancelled, "five ~100 ms runs on one worker, stopped at once: some were still queued"
