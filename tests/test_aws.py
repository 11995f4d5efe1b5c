"""AWS: S3 artifacts, DynamoDB run logs and the Lambda handlers, against moto's real server on 127.0.0.1.

boto3 is pointed at the local server through the environment (AWS_ENDPOINT_URL), with dummy
credentials, no profile, no config files and no instance metadata, so no request can reach AWS.
"""

from __future__ import annotations

import functools
import json
import socket
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import fingerprint

from datamorph.artifacts import artifact_store
from datamorph.artifacts_s3 import S3ArtifactStore, parse_s3_location
from datamorph.aws.handlers import LAMBDA_HOME, logger_handler, orchestrator_handler, settings_from_env
from datamorph.aws_clients import aws_client, aws_error
from datamorph.demo import EXAMPLE_PROMPT
from datamorph.errors import ArtifactError, ConfigError, RunNotFound
from datamorph.events import LogEntry, LogType, new_run_id
from datamorph.store import RunStore
from datamorph.store_dynamodb import DynamoDBLogSink

LOG_TYPES = [t.value for t in LogType]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 + DynamoDB server on a free loopback port, for this module."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.server import ThreadedMotoServer

    # Real DynamoDB applies each UpdateItem atomically; moto's server handles requests in threads and
    # does not (without this lock, 4 threads x 50 list_append updates lost entries in 6 of 15 tries).
    # Serialising moto's update_item makes the fake as atomic as the real thing; a client that
    # reads and then writes in two requests still loses entries against it.
    lock = threading.Lock()
    original = DynamoDBBackend.update_item

    @functools.wraps(original)
    def atomic_update_item(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            return original(self, *args, **kwargs)

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DynamoDBBackend, "update_item", atomic_update_item)
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()


@pytest.fixture
def aws_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """boto3 pointed at the moto server and nowhere else; returns the endpoint."""
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION",
                "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_LAMBDA_FUNCTION_NAME"):  # fmt: skip
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return moto_endpoint


@pytest.fixture
def s3(aws_env: str) -> Any:
    return aws_client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"dm-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def log_table(aws_env: str) -> str:
    name = f"dm-logs-{uuid.uuid4().hex[:12]}"
    assert DynamoDBLogSink(name).ensure_table() is True
    return name


def _count_calls(client: Any) -> list[str]:
    """The names of the operations ``client`` sends from now on."""
    calls: list[str] = []
    client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    return calls


# -- the environment ---------------------------------------------------------------------------------


def test_clients_talk_only_to_the_local_server(aws_env: str, bucket: str) -> None:
    assert aws_client("s3").meta.endpoint_url == aws_env
    assert aws_client("dynamodb").meta.endpoint_url == aws_env
    store = artifact_store(f"s3://{bucket}")
    assert isinstance(store, S3ArtifactStore) and store.client.meta.endpoint_url == aws_env
    assert DynamoDBLogSink("some-table").client.meta.endpoint_url == aws_env


# -- S3 artifacts -----------------------------------------------------------------------------------


def test_s3_round_trip(bucket: str, s3: Any) -> None:
    store = artifact_store(f"s3://{bucket}/dm/artifacts/")
    assert isinstance(store, S3ArtifactStore) and store.location == f"s3://{bucket}/dm/artifacts"
    run_id = new_run_id()
    spec = json.dumps({"target_table": "customer_order_summary"})
    where = store.put(run_id, "spec.json", spec)
    assert where == f"s3://{bucket}/dm/artifacts/{run_id}/spec.json" == store.uri(run_id, "spec.json")
    assert store.get(run_id, "spec.json") == spec.encode() and store.get_text(run_id, "spec.json") == spec
    blob = bytes(range(256))
    store.put(run_id, "result.bin", blob)
    assert store.get(run_id, "result.bin") == blob
    store.put(run_id, "pipeline.sql", "SELECT 'é' AS x")
    store.put(run_id, "pipeline.sql", "SELECT 'é' AS y")  # overwrite
    assert store.get_text(run_id, "pipeline.sql") == "SELECT 'é' AS y"
    assert store.list(run_id) == ["pipeline.sql", "result.bin", "spec.json"]
    # the object layout is <prefix>/<run_id>/<name>
    obj = s3.get_object(Bucket=bucket, Key=f"dm/artifacts/{run_id}/spec.json")
    assert obj["Body"].read() == spec.encode() and obj["ContentType"] == "application/json"
    # runs are separate; a run without artifacts lists nothing
    other = new_run_id()
    store.put(other, "spec.json", "other")
    assert store.get_text(run_id, "spec.json") == spec and store.list(other) == ["spec.json"]
    assert store.list(new_run_id()) == []


def test_s3_location_forms(bucket: str) -> None:
    run_id = new_run_id()
    bare = artifact_store(f"s3://{bucket}")
    assert bare.put(run_id, "spec.json", "{}") == f"s3://{bucket}/{run_id}/spec.json"
    assert bare.list(run_id) == ["spec.json"]
    s3a = artifact_store(f"s3a://{bucket}/p")
    assert isinstance(s3a, S3ArtifactStore) and s3a.uri(run_id, "x.sql") == f"s3://{bucket}/p/{run_id}/x.sql"
    assert parse_s3_location("s3://b1b/a//b/") == ("b1b", "a/b")
    for bad in ("s3://", "s3:///prefix", "s3://bucket/../up", "s3://bu cket/x"):
        with pytest.raises(ConfigError):
            artifact_store(bad)


def test_s3_list_pages_through_every_key(bucket: str, s3: Any) -> None:
    store = S3ArtifactStore(f"s3://{bucket}/runs", page_size=2)
    run_id = new_run_id()
    names = [f"validation.v{i}.json" for i in range(1, 6)]
    for n in names:
        store.put(run_id, n, "{}")
    # keys that are not this run's artifacts: a nested key, a hidden one, another prefix
    s3.put_object(Bucket=bucket, Key=f"runs/{run_id}/sub/inner.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key=f"runs/{run_id}/.hidden", Body=b"{}")
    s3.put_object(Bucket=bucket, Key=f"elsewhere/{run_id}/spec.json", Body=b"{}")
    calls = _count_calls(store.client)
    assert store.list(run_id) == sorted(names)
    assert calls.count("ListObjectsV2") == 4  # 7 keys under the run's prefix, 2 per page


def test_s3_missing_artifact_names_what_is_there(bucket: str) -> None:
    store = artifact_store(f"s3://{bucket}/a")
    run_id = new_run_id()
    with pytest.raises(ArtifactError, match="no artifact 'spec.json'") as info:
        store.get(run_id, "spec.json")
    assert "has no artifacts" in str(info.value) and f"s3://{bucket}/a/{run_id}/spec.json" in str(info.value)
    store.put(run_id, "spec.json", "{}")
    store.put(run_id, "pipeline.sql", "SELECT 1")
    with pytest.raises(ArtifactError, match="did you mean 'spec.json'"):
        store.get(run_id, "spec.jsn")
    with pytest.raises(ArtifactError, match="has: pipeline.sql, spec.json"):
        store.get(run_id, "zzz.txt")


def test_s3_bad_names_and_run_ids_are_refused_before_any_request(bucket: str) -> None:
    store = artifact_store(f"s3://{bucket}/p")
    calls = _count_calls(store.client)
    run_id = new_run_id()
    for name in ("../x", "a/b", "", ".hidden", "a\\b", "x" * 129, "c:d"):
        with pytest.raises(ArtifactError):
            store.put(run_id, name, "data")
        with pytest.raises(ArtifactError):
            store.get(run_id, name)
    for rid in ("../x", "a/b", "20250113_123456_ABC123", f"{run_id}/..", ""):
        with pytest.raises(ArtifactError, match="not a run id"):
            store.put(rid, "spec.json", "data")
        with pytest.raises(ArtifactError, match="not a run id"):
            store.list(rid)
    assert calls == []


def test_s3_missing_bucket_is_a_clear_config_error(aws_env: str) -> None:
    store = artifact_store("s3://dm-no-such-bucket/p")
    run_id = new_run_id()
    for call in (lambda: store.put(run_id, "spec.json", "{}"), lambda: store.get(run_id, "spec.json"),
                 lambda: store.list(run_id)):  # fmt: skip
        with pytest.raises(ConfigError, match="S3 bucket 'dm-no-such-bucket' does not exist") as info:
            call()
        assert f"s3://dm-no-such-bucket/p/{run_id}/" in info.value.message
        assert info.value.hint and "DATAMORPH_ARTIFACTS" in info.value.hint
        assert info.value.__cause__ is None and info.value.__suppress_context__  # no botocore chain


def test_s3_unreachable_endpoint_is_a_clear_config_error(aws_env: str) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    store = S3ArtifactStore("s3://dm-bucket/p", client=aws_client("s3", max_attempts=1, endpoint_url=dead))
    run_id = new_run_id()
    with pytest.raises(ConfigError, match="cannot reach S3 to write s3://dm-bucket/p/") as info:
        store.put(run_id, "spec.json", "{}")
    assert "AWS_ENDPOINT_URL" in (info.value.hint or "") and "\n" not in str(info.value)


def test_access_denied_names_the_permission(aws_env: str) -> None:
    from botocore.exceptions import ClientError

    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}, "PutObject")  # fmt: skip
    err = aws_error(denied, service="S3", action="write", resource="s3://b/k", permission="s3:PutObject",
                    fallback=ArtifactError)  # fmt: skip
    assert isinstance(err, ConfigError)
    assert err.message == "access denied: cannot write s3://b/k (AccessDenied: Access Denied)"
    assert "s3:PutObject" in (err.hint or "")
    other = ClientError({"Error": {"Code": "SlowDown", "Message": "Reduce your request rate"}}, "PutObject")
    err = aws_error(other, service="S3", action="write", resource="s3://b/k", permission="s3:PutObject",
                    fallback=ArtifactError)  # fmt: skip
    assert type(err) is ArtifactError and "SlowDown" in err.message


def test_s3_without_boto3_asks_for_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 now raises ImportError
    with pytest.raises(ConfigError, match="aws extra") as info:
        artifact_store("s3://bucket/prefix")
    assert info.value.hint == 'pip install "datamorph[aws]"'
    with pytest.raises(ConfigError, match="boto3"):
        DynamoDBLogSink("dm-logs")


# -- DynamoDB run logs --------------------------------------------------------------------------------


def test_log_sink_round_trip(log_table: str) -> None:
    sink = DynamoDBLogSink(log_table)
    run_id = new_run_id()
    with pytest.raises(RunNotFound, match=run_id):
        sink.logs(run_id)
    meta = {"duration_ms": 12.5, "ratio": 0.1, "rows": 3, "nested": {"xs": [1.25, None, "a"]}, "ok": True}
    first = LogEntry.now(LogType.START, "Starting ETL workflow", "warehouse w", meta)
    assert sink.append(run_id, first) == 1
    sink.emit(run_id, LogEntry.now(LogType.STATUS, "Compile to SQL"))
    assert sink.logs_response(run_id)["status"] == "running"
    assert sink.append(run_id, LogEntry.now(LogType.ERROR, "Workflow failed", "boom", {"error_type": "X"})) == 3
    res = sink.logs_response(run_id)
    assert list(res) == ["run_id", "status", "log_count", "logs"]
    assert res["run_id"] == run_id and res["status"] == "failed" and res["log_count"] == 3
    assert res["logs"][0] == first.to_dict() and res["logs"][0]["metadata"] == meta
    assert [e["type"] for e in res["logs"]] == ["start", "status", "error"]
    sink.emit(run_id, LogEntry.now(LogType.SUCCESS, "done"))
    assert sink.logs_response(run_id)["status"] == "completed"


def test_log_sink_ensure_table(aws_env: str) -> None:
    name = f"dm-logs-{uuid.uuid4().hex[:12]}"
    sink = DynamoDBLogSink(name)
    with pytest.raises(ConfigError, match=f"DynamoDB table '{name}' does not exist"):
        sink.emit(new_run_id(), LogEntry.now(LogType.INFO, "x"))
    assert sink.ensure_table() is True
    assert sink.ensure_table() is False  # already there
    table = sink.client.describe_table(TableName=name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["KeySchema"] == [{"AttributeName": "run_id", "KeyType": "HASH"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    with pytest.raises(ConfigError, match="not a valid DynamoDB table name"):
        DynamoDBLogSink("a/b")


def test_concurrent_appends_lose_nothing(log_table: str) -> None:
    sink = DynamoDBLogSink(log_table)
    run_id = new_run_id()
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        try:
            for i in range(50):
                sink.emit(run_id, LogEntry.now(LogType.INFO, f"t{t}-{i}", metadata={"t": t, "i": i, "f": i / 4}))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    logs = sink.logs(run_id)
    assert len(logs) == 200 and sink.logs_response(run_id)["log_count"] == 200
    assert sorted(e["title"] for e in logs) == sorted(f"t{t}-{i}" for t in range(4) for i in range(50))
    for t in range(4):  # each writer's entries keep its order
        assert [e["metadata"]["i"] for e in logs if e["metadata"]["t"] == t] == list(range(50))
    assert {e["metadata"]["f"] for e in logs} == {i / 4 for i in range(50)}  # floats survive


# -- the Orchestrator Lambda --------------------------------------------------------------------------


@pytest.fixture
def lambda_env(aws_env: str, dm_home: Path, fixture_warehouse: Path, bucket: str, log_table: str,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:  # fmt: skip
    monkeypatch.setenv("DATAMORPH_WAREHOUSE", str(fixture_warehouse))
    monkeypatch.setenv("DATAMORPH_ARTIFACTS", f"s3://{bucket}/datamorph")
    monkeypatch.setenv("DATAMORPH_LOG_TABLE", log_table)
    monkeypatch.setenv("DATAMORPH_LOCK_TIMEOUT", "10")
    return {"bucket": bucket, "table": log_table, "home": dm_home, "warehouse": fixture_warehouse}


def _s3_object(s3: Any, uri: str) -> bytes:
    assert uri.startswith("s3://"), uri
    bucket, key = uri[len("s3://") :].split("/", 1)
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_pipeline_through_the_orchestrator_handler(lambda_env: dict[str, Any], s3: Any) -> None:
    import duckdb

    res = orchestrator_handler({"user_prompt": EXAMPLE_PROMPT, "target_table": "customer_order_summary"}, None)
    assert res["statusCode"] == 200, res
    body = res["body"]
    assert body["status"] == "completed" and body["validation_status"] == "pass"
    assert body["message"] == "ETL pipeline executed and validated successfully"
    assert body["target_table"] == "customer_order_summary"
    run_id = body["run_id"]
    prefix = f"s3://{lambda_env['bucket']}/datamorph/{run_id}/"
    assert body["specs_path"] == prefix + "spec.json" and body["code_path"] == prefix + "pipeline.sql"
    assert body["glue_code_path"] == prefix + "pipeline.py"  # the PySpark job script, as the original's Glue code
    assert "spark.sql(QUERY)" in _s3_object(s3, body["glue_code_path"]).decode()
    spec = json.loads(_s3_object(s3, body["specs_path"]))
    assert spec["target_table"]["name"] == "customer_order_summary"
    assert {t["table_name"] for t in spec["source_tables"]} == {"customers", "orders"}
    sql = _s3_object(s3, body["code_path"]).decode()
    assert "SELECT" in sql.upper() and "orders" in sql
    assert all(uri.startswith(prefix) for uri in body["artifacts"].values())
    assert json.loads(_s3_object(s3, body["artifacts"]["result.json"]))["body"]["run_id"] == run_id
    # the DynamoDB item holds the same log as the run store
    store = RunStore(lambda_env["home"] / "runs.db")
    local = store.logs_response(run_id)
    remote = DynamoDBLogSink(lambda_env["table"]).logs_response(run_id)
    assert remote["log_count"] == local["log_count"] > 5
    assert [e["type"] for e in remote["logs"]] == [e["type"] for e in local["logs"]]
    assert remote["logs"] == local["logs"]
    assert remote["status"] == local["status"] == "completed"
    last = remote["logs"][-1]
    assert last["type"] == "success"
    assert last["metadata"]["target_table"] == "customer_order_summary"
    assert last["metadata"]["validation_status"] == "pass"
    con = duckdb.connect(str(lambda_env["warehouse"]), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM customer_order_summary").fetchone()[0] > 0
    finally:
        con.close()


def test_failing_run_through_an_api_gateway_event(lambda_env: dict[str, Any], s3: Any) -> None:
    before = fingerprint(lambda_env["warehouse"])
    event = {"body": json.dumps({"user_prompt": EXAMPLE_PROMPT, "target_table": "orders"}),
             "requestContext": {"http": {"method": "POST"}}, "isBase64Encoded": False}  # fmt: skip
    res = orchestrator_handler(event, None)
    assert res["statusCode"] == 500 and res["headers"] == {"Content-Type": "application/json"}
    body = json.loads(res["body"])  # API Gateway proxy integrations take the body as a string
    assert body["error"] is True and body["error_type"] == "TargetConflict"
    assert body["message"].startswith("Workflow failed: ") and "orders" in body["message"]
    logs = DynamoDBLogSink(lambda_env["table"]).logs_response(body["run_id"])
    assert logs["status"] == "failed" and logs["logs"][-1]["type"] == "error"
    assert logs["logs"][-1]["metadata"]["error_type"] == "TargetConflict"
    assert fingerprint(lambda_env["warehouse"]) == before  # nothing published, no table left behind


def test_unknown_table_fails_with_the_500_shape(lambda_env: dict[str, Any]) -> None:
    # the plain {"body": "<json>"} wrapping (no requestContext) answers with the body as an object
    event = {"body": json.dumps({"user_prompt": "Total amount per customer from invoices_2019",
                                 "source_tables": ["invoices_2019"]})}  # fmt: skip
    res = orchestrator_handler(event, None)
    assert res["statusCode"] == 500, res
    body = res["body"]
    assert body["error"] is True and body["error_type"] and body["message"].startswith("Workflow failed: ")
    last = DynamoDBLogSink(lambda_env["table"]).logs(body["run_id"])[-1]
    assert last["type"] == "error" and last["metadata"]["error_type"] == body["error_type"]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"user_prompt": ""},
        {"user_prompt": "   "},
        {"user_prompt": 5},
        {"user_prompt": "x", "source_tables": "orders"},
        {"user_prompt": "x", "source_tables": ["orders", 3]},
        {"user_prompt": "x", "target_table": 3},
        {"user_prompt": "x", "target_table": ""},
        {"body": "not json"},
        {"body": "[1, 2]"},
        {"body": ""},
        {"body": None},
        {"body": "e30=", "isBase64Encoded": True},  # {} in base64: no user_prompt
        "a string",
        None,
    ],
)
def test_bad_events_get_400(event: Any, dm_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAMORPH_WAREHOUSE", "/nonexistent/w.duckdb")
    res = orchestrator_handler(event, None)
    assert res["statusCode"] == 400, res
    assert res["body"]["error"] is True and res["body"]["error_type"] == "BadRequest"
    assert res["body"]["message"] and "\n" not in res["body"]["message"]
    assert not dm_home.exists()  # refused before any run was recorded


def test_missing_warehouse_is_a_500_config_error(dm_home: Path) -> None:
    res = orchestrator_handler({"user_prompt": EXAMPLE_PROMPT}, None)
    assert res["statusCode"] == 500
    assert res["body"]["error"] is True and res["body"]["error_type"] == "ConfigError"
    assert "DATAMORPH_WAREHOUSE" in res["body"]["message"]


def test_home_defaults_to_tmp_in_lambda() -> None:
    assert settings_from_env({"AWS_LAMBDA_FUNCTION_NAME": "datamorph-orchestrator"}).home == LAMBDA_HOME
    assert LAMBDA_HOME == Path("/tmp/datamorph")
    env = {"AWS_LAMBDA_FUNCTION_NAME": "f", "DATAMORPH_HOME": "/mnt/efs/dm"}
    assert settings_from_env(env).home == Path("/mnt/efs/dm")
    assert settings_from_env({}).home == Path(".datamorph")


# -- the Logger Lambda ---------------------------------------------------------------------------------


def test_logger_handler_appends_and_reads(log_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAMORPH_LOG_TABLE", log_table)
    run_id = new_run_id()
    res = logger_handler({"run_id": run_id, "log_entry": {"type": "start", "title": "Starting ETL workflow"}}, None)
    assert res == {"statusCode": 200, "body": {"run_id": run_id, "log_count": 1}}
    entry = {"timestamp": "2025-01-13T12:34:56.789Z", "type": "result", "title": "Validation pass",
             "description": "7/7 tests passed", "metadata": {"summary": {"passed": 7}, "score": 0.75}}  # fmt: skip
    assert logger_handler({"run_id": run_id, "log_entry": entry}, None)["body"]["log_count"] == 2
    res = logger_handler({"run_id": run_id}, None)
    assert res["statusCode"] == 200
    body = res["body"]
    assert body["run_id"] == run_id and body["status"] == "running" and body["log_count"] == 2
    assert body["logs"][1] == entry
    assert body["logs"][0]["type"] == "start" and body["logs"][0]["timestamp"].endswith("Z")  # filled in
    assert body["logs"][0]["description"] == "" and body["logs"][0]["metadata"] == {}
    # get_logs reads even when a log_entry is present; it appends nothing
    again = logger_handler({"run_id": run_id, "action": "get_logs", "log_entry": entry}, None)
    assert again["body"]["log_count"] == 2
    logger_handler({"run_id": run_id, "log_entry": {"type": "success", "title": "done"}}, None)
    assert logger_handler({"run_id": run_id}, None)["body"]["status"] == "completed"


def test_logger_handler_errors(log_table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAMORPH_LOG_TABLE", log_table)
    unknown = logger_handler({"run_id": new_run_id(), "action": "get_logs"}, None)
    assert unknown["statusCode"] == 404
    assert unknown["body"]["error"] is True and unknown["body"]["error_type"] == "RunNotFound"
    run_id = new_run_id()
    bad_type = logger_handler({"run_id": run_id, "log_entry": {"type": "debug", "title": "x"}}, None)
    assert bad_type["statusCode"] == 400 and bad_type["body"]["error_type"] == "BadRequest"
    assert all(t in bad_type["body"]["message"] for t in LOG_TYPES)
    for event in (
        {"run_id": "../etc", "log_entry": {"type": "info", "title": "x"}},
        {"run_id": 12},
        {},
        {"run_id": run_id, "log_entry": {"type": "info"}},  # no title
        {"run_id": run_id, "log_entry": {"type": "info", "title": "x", "metadata": [1]}},
        {"run_id": run_id, "log_entry": {"type": "info", "title": "x", "timestamp": "yesterday"}},
        {"run_id": run_id, "log_entry": "info"},
        {"run_id": run_id, "action": "delete"},
    ):
        res = logger_handler(event, None)
        assert res["statusCode"] == 400 and res["body"]["error"] is True, (event, res)
    # nothing was written for the refused entries
    assert logger_handler({"run_id": run_id}, None)["statusCode"] == 404


def test_logger_handler_configuration_errors(aws_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATAMORPH_LOG_TABLE", raising=False)
    res = logger_handler({"run_id": new_run_id()}, None)
    assert res["statusCode"] == 500 and res["body"]["error_type"] == "ConfigError"
    assert "DATAMORPH_LOG_TABLE" in res["body"]["message"]
    monkeypatch.setenv("DATAMORPH_LOG_TABLE", "dm-table-never-created")
    res = logger_handler({"run_id": new_run_id(), "log_entry": {"type": "info", "title": "x"}}, None)
    assert res["statusCode"] == 500 and res["body"]["error_type"] == "ConfigError"
    assert "'dm-table-never-created' does not exist" in res["body"]["message"]
