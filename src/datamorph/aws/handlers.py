"""AWS Lambda handlers with the original system's event and response contracts.

``orchestrator_handler`` (the Orchestrator Lambda) runs one request end to end::

    {"user_prompt": "Join customers and orders ...", "source_tables": ["customers", "orders"],
     "target_table": "customer_order_summary"}

and returns ``{"statusCode": 200, "body": {"status": "completed", "run_id", "target_table", "specs_path",
"glue_code_path", "validation_status", "message", ...}}`` or ``{"statusCode": 500, "body": {"error": true,
"message": "Workflow failed: ...", "error_type": ...}}``; a malformed event gets 400 (error_type
``BadRequest``). An event from API Gateway (``{"body": "<json>"}``) is accepted too; when it is a real
proxy event (it has ``requestContext``) the response body is returned JSON-encoded, as API Gateway needs.

``logger_handler`` (the Logger Lambda) appends one entry to a run's log in the DynamoDB table named by
``DATAMORPH_LOG_TABLE`` (``{"run_id", "log_entry": {...}}``) or returns the run's log (``{"run_id"}``,
or ``"action": "get_logs"``).

Settings come from the environment (``DATAMORPH_*``, see :mod:`datamorph.config`). In Lambda
(``AWS_LAMBDA_FUNCTION_NAME`` set) without ``DATAMORPH_HOME``, home is ``/tmp/datamorph``, the only
writable place there. Neither handler ever raises.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from datamorph.config import ENV_PREFIX, Settings
from datamorph.errors import ConfigError, DataMorphError, RunNotFound
from datamorph.events import LogEntry, LogType, is_run_id, utc_now_iso

log = logging.getLogger(__name__)

LAMBDA_HOME = Path("/tmp/datamorph")
BAD_REQUEST = "BadRequest"
LOG_TYPES = tuple(t.value for t in LogType)


class BadRequest(DataMorphError):
    """An event that does not follow the handler's contract (answered with statusCode 400)."""


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """``Settings.from_env()``, with home ``/tmp/datamorph`` in Lambda when ``DATAMORPH_HOME`` is unset."""
    env = dict(os.environ if environ is None else environ)
    in_lambda = bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))
    home = LAMBDA_HOME if in_lambda and not env.get(ENV_PREFIX + "HOME") else None
    return Settings.from_env(env, home=home)


# -- events ------------------------------------------------------------------------------


def _payload(event: Any) -> tuple[dict[str, Any], bool]:
    """The request in ``event`` (unwrapped from an API Gateway ``body``) and whether it is a proxy event."""
    if not isinstance(event, Mapping):
        raise BadRequest(f"the event must be a JSON object, not {type(event).__name__}")
    if "body" not in event:
        return dict(event), False
    proxy = "requestContext" in event or "httpMethod" in event or "routeKey" in event
    body = event["body"]
    if isinstance(body, (str, bytes)):
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("the event body is marked base64 but is not valid base64") from None
        if not body.strip():
            raise BadRequest("the event body is empty", hint='send {"user_prompt": "..."}')
        try:
            body = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise BadRequest(
                f"the event body is not valid JSON: {e}", hint='send {"user_prompt": "..."}'
            ) from None
    if not isinstance(body, Mapping):
        raise BadRequest(f"the event body must be a JSON object, not {type(body).__name__}")
    return dict(body), proxy


def _optional_str(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{key}' must be a non-empty string, not {value!r}"[:300])
    return value.strip()


def _orchestrator_request(payload: Mapping[str, Any]) -> tuple[str, list[str] | None, str | None]:
    prompt = payload.get("user_prompt")
    if prompt is None:
        raise BadRequest(
            "the event has no 'user_prompt'", hint='send {"user_prompt": "<the request in plain English>"}'
        )
    if not isinstance(prompt, str) or not prompt.strip():
        raise BadRequest(
            "'user_prompt' must be a non-empty string", hint="describe the table you want in plain English"
        )
    sources = payload.get("source_tables")
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(s, str) and s.strip() for s in sources):
            raise BadRequest(
                "'source_tables' must be a list of table names", hint='e.g. ["customers", "orders"]'
            )
        sources = [s.strip() for s in sources] or None
    return prompt.strip(), sources, _optional_str(payload, "target_table")


def _error(status: int, message: str, error_type: str, **extra: Any) -> dict[str, Any]:
    return {
        "statusCode": status,
        "body": {"error": True, "message": message, "error_type": error_type, **extra},
    }


def _respond(result: dict[str, Any], proxy: bool) -> dict[str, Any]:
    """``result`` as is, or for an API Gateway proxy event with the body JSON-encoded."""
    if not proxy:
        return result
    return {"statusCode": result["statusCode"], "headers": {"Content-Type": "application/json"},
            "body": json.dumps(result["body"], default=str)}  # fmt: skip


# -- the Orchestrator Lambda ------------------------------------------------------------------


def orchestrator_handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Run one request (``user_prompt``, optional ``source_tables`` / ``target_table``); the original response."""
    proxy = False
    try:
        payload, proxy = _payload(event)
        prompt, sources, target = _orchestrator_request(payload)
    except BadRequest as e:
        return _respond(_error(400, str(e), BAD_REQUEST), proxy)
    try:
        from datamorph.orchestrator import Orchestrator, RunRequest

        settings = settings_from_env()
        if not settings.warehouse:
            raise ConfigError(f"no warehouse configured: set {ENV_PREFIX}WAREHOUSE",
                              hint="a DuckDB file path or a postgresql:// URL")  # fmt: skip
        request = RunRequest(
            warehouse=settings.warehouse, prompt=prompt, source_tables=sources, target=target
        )
        result = Orchestrator(settings).run(request)
    except DataMorphError as e:
        return _respond(_error(500, f"Workflow failed: {e}", e.error_type), proxy)
    except Exception as e:  # never raise out of a Lambda: report it in the original shape
        log.exception("orchestrator_handler failed")
        return _respond(_error(500, f"Workflow failed: {type(e).__name__}: {e}", "InternalError"), proxy)
    return _respond(result, proxy)


# -- the Logger Lambda ---------------------------------------------------------------------------


def _log_entry(raw: Any) -> LogEntry:
    if not isinstance(raw, Mapping):
        raise BadRequest("'log_entry' must be an object with type, title, description, metadata")
    type_ = raw.get("type")
    if type_ not in LOG_TYPES:
        raise BadRequest(f"log entry type {type_!r} is not one of {', '.join(LOG_TYPES)}"[:300])
    title = raw.get("title")
    if not isinstance(title, str):
        raise BadRequest("the log entry needs a 'title' string")
    description = raw.get("description")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise BadRequest("the log entry's 'description' must be a string")
    metadata = raw.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, Mapping):
        raise BadRequest("the log entry's 'metadata' must be an object")
    timestamp = raw.get("timestamp")
    if timestamp in (None, ""):
        timestamp = utc_now_iso()
    else:
        timestamp = _timestamp(timestamp)
    return LogEntry(timestamp, LogType(type_), title, description, dict(metadata))


def _timestamp(value: Any) -> str:
    """An ISO-8601 timestamp as the run log writes it (UTC, milliseconds, ``Z``); a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise BadRequest(f"log entry timestamp {value!r} is not an ISO-8601 string"[:300])
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise BadRequest(
            f"log entry timestamp {value!r} is not ISO-8601", hint="e.g. 2025-01-13T12:34:56.789Z"
        ) from None
    return utc_now_iso(dt if dt.tzinfo else dt.replace(tzinfo=UTC))


_AWS_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE",
            "AWS_ACCESS_KEY_ID")  # fmt: skip
_SINKS: dict[tuple[str | None, ...], Any] = {}


def _log_sink(table: str) -> Any:
    """A DynamoDBLogSink for ``table``, kept for later invocations of a warm Lambda (a client costs ~0.1 s)."""
    from datamorph.store_dynamodb import DynamoDBLogSink

    key = (table, *(os.environ.get(v) for v in _AWS_ENV))
    sink = _SINKS.get(key)
    if sink is None:
        sink = _SINKS[key] = DynamoDBLogSink(table)
    return sink


def logger_handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Append ``log_entry`` to run ``run_id`` (``{"run_id", "log_count"}``), or return the run's logs."""
    proxy = False
    try:
        payload, proxy = _payload(event)
        run_id = payload.get("run_id")
        if not is_run_id(run_id):
            raise BadRequest(
                f"{run_id!r} is not a run id"[:200], hint="run ids look like 20250113_123456_abc123"
            )
        action = payload.get("action")
        if action not in (None, "get_logs", "append", "log"):
            raise BadRequest(f"unknown action {action!r}"[:200], hint="use 'get_logs', or send a log_entry")
        reading = action == "get_logs" or (action is None and "log_entry" not in payload)
        entry = None if reading else _log_entry(payload.get("log_entry"))
    except BadRequest as e:
        return _respond(_error(400, str(e), BAD_REQUEST), proxy)
    try:
        settings = settings_from_env()
        if not settings.log_table:
            raise ConfigError(f"no log table configured: set {ENV_PREFIX}LOG_TABLE",
                              hint="the name of the DynamoDB table that keeps the run logs")  # fmt: skip
        sink = _log_sink(settings.log_table)
        if entry is None:
            return _respond({"statusCode": 200, "body": sink.logs_response(run_id)}, proxy)
        count = sink.append(run_id, entry)
        return _respond({"statusCode": 200, "body": {"run_id": run_id, "log_count": count}}, proxy)
    except RunNotFound as e:
        return _respond(_error(404, str(e), e.error_type, run_id=run_id), proxy)
    except DataMorphError as e:
        return _respond(_error(500, str(e), e.error_type), proxy)
    except Exception as e:
        log.exception("logger_handler failed")
        return _respond(_error(500, f"{type(e).__name__}: {e}", "InternalError"), proxy)
