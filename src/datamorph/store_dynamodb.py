"""Run logs in a DynamoDB table, as the original Logger Lambda kept them.

One item per run, key ``run_id`` (string). Its attribute ``logs`` is a list with one JSON string per
entry (``{"timestamp", "type", "title", "description", "metadata"}``): JSON keeps floats, nested
metadata and the order exactly, where DynamoDB's own number type would reject Python floats. Every
entry is appended in one atomic ``UpdateItem``
(``SET logs = list_append(if_not_exists(logs, :empty), :new)``), so writers in several threads,
processes or Lambdas never lose an entry; the same update sets ``updated_at`` and counts ``log_count``.

:class:`DynamoDBLogSink` is an :class:`~datamorph.events.EventSink`: the orchestrator adds one when
``DATAMORPH_LOG_TABLE`` is set. Needs the aws extra (boto3).
"""

from __future__ import annotations

import json
import re
from typing import Any

from datamorph.artifacts import check_run_id
from datamorph.aws_clients import aws_client, aws_error, aws_exceptions, error_code
from datamorph.errors import ConfigError, DataMorphError, RunNotFound
from datamorph.events import LogEntry, LogType, utc_now_iso

_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
#: logs_response status from the type of the run's last entry
_STATUS_BY_LAST_TYPE = {LogType.SUCCESS.value: "completed", LogType.ERROR.value: "failed"}
_NAMES = {"#logs": "logs", "#updated": "updated_at", "#created": "created_at", "#count": "log_count"}
_APPEND = "SET #logs = list_append(if_not_exists(#logs, :empty), :new), #updated = :now, " \
          "#created = if_not_exists(#created, :now) ADD #count :one"  # fmt: skip


def check_table_name(name: object) -> str:
    """``name`` if it is a valid DynamoDB table name; ConfigError otherwise."""
    if not isinstance(name, str) or not _TABLE_RE.match(name):
        raise ConfigError(
            f"{name!r} is not a valid DynamoDB table name",
            hint="3 to 255 characters among letters, digits, '_', '-' and '.' (setting DATAMORPH_LOG_TABLE)",
        )
    return name


def status_from_logs(logs: list[dict[str, Any]]) -> str:
    """``completed`` if the last entry is ``success``, ``failed`` if it is ``error``, else ``running``."""
    return _STATUS_BY_LAST_TYPE.get(logs[-1].get("type", ""), "running") if logs else "running"


class DynamoDBLogSink:
    """Run log entries appended to the DynamoDB table ``table_name`` (one item per run).

    ``client`` is a boto3 DynamoDB client to use instead of a default one (botocore's standard retry
    mode, 5 attempts; region, credentials and endpoint from the usual AWS settings). The table must
    exist: :meth:`ensure_table` creates it.
    """

    def __init__(self, table_name: str, *, client: Any = None) -> None:
        self.table_name = check_table_name(table_name)
        self.client = client if client is not None else aws_client("dynamodb")

    def __repr__(self) -> str:
        return f"DynamoDBLogSink({self.table_name!r})"

    def _error(self, e: Exception, action: str, permission: str, run_id: str | None = None) -> DataMorphError:
        resource = f"table '{self.table_name}'" + (f" (run {run_id})" if run_id else "")
        if error_code(e) == "ResourceNotFoundException":
            return ConfigError(
                f"DynamoDB table '{self.table_name}' does not exist (cannot {action} {resource})",
                hint="create it (DynamoDBLogSink(name).ensure_table(), or hash key run_id of type S) "
                "or fix DATAMORPH_LOG_TABLE",
                table=self.table_name,
            )
        if error_code(e) == "ValidationException" and "size" in str(e).lower():
            return DataMorphError(
                f"the log of run {run_id} is too large for one DynamoDB item ({resource})",
                hint="DynamoDB items hold at most 400 KB; the run store keeps the full log",
                table=self.table_name,
                run_id=run_id,
            )
        return aws_error(e, service="DynamoDB", action=action, resource=resource, permission=permission,
                         table=self.table_name)  # fmt: skip

    # -- writing --------------------------------------------------------------------------
    def emit(self, run_id: str, entry: LogEntry) -> None:
        """:class:`~datamorph.events.EventSink` interface: append ``entry`` to the run's item."""
        self._append(run_id, entry, count=False)

    def append(self, run_id: str, entry: LogEntry) -> int:
        """Append ``entry`` to the run's item (created on the first entry); the run's entry count after it."""
        count = self._append(run_id, entry, count=True)
        assert count is not None
        return count

    def _append(self, run_id: str, entry: LogEntry, *, count: bool) -> int | None:
        check_run_id(run_id)
        text = json.dumps(entry.to_dict(), default=str, ensure_ascii=False)
        try:
            response = self.client.update_item(
                TableName=self.table_name,
                Key={"run_id": {"S": run_id}},
                UpdateExpression=_APPEND,
                ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={
                    ":empty": {"L": []},
                    ":new": {"L": [{"S": text}]},
                    ":now": {"S": utc_now_iso()},
                    ":one": {"N": "1"},
                },
                ReturnValues="UPDATED_NEW" if count else "NONE",
            )
        except aws_exceptions() as e:
            raise self._error(e, "append a log entry to", "dynamodb:UpdateItem", run_id) from None
        if not count:
            return None
        return int(response["Attributes"]["log_count"]["N"])

    # -- reading --------------------------------------------------------------------------
    def _item(self, run_id: str) -> dict[str, Any]:
        check_run_id(run_id)
        try:
            response = self.client.get_item(TableName=self.table_name, Key={"run_id": {"S": run_id}},
                                            ConsistentRead=True)  # fmt: skip
        except aws_exceptions() as e:
            raise self._error(e, "read the log of", "dynamodb:GetItem", run_id) from None
        item = response.get("Item")
        if item is None:
            raise RunNotFound(f"no run with id {run_id} in DynamoDB table '{self.table_name}'",
                              hint="check the run id and DATAMORPH_LOG_TABLE", run_id=run_id)  # fmt: skip
        return item

    def logs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's entries in order, each in the original shape; RunNotFound for an unknown run."""
        item = self._item(run_id)
        out = []
        for value in (item.get("logs") or {}).get("L", []):
            d = json.loads(value["S"])
            out.append({"timestamp": d.get("timestamp"), "type": d.get("type"), "title": d.get("title", ""),
                        "description": d.get("description", ""), "metadata": d.get("metadata") or {}})  # fmt: skip
        return out

    def logs_response(self, run_id: str) -> dict[str, Any]:
        """Same shape as :meth:`datamorph.store.RunStore.logs_response`: run_id, status, log_count, logs."""
        logs = self.logs(run_id)
        return {"run_id": run_id, "status": status_from_logs(logs), "log_count": len(logs), "logs": logs}

    # -- the table ------------------------------------------------------------------------
    def ensure_table(self, *, wait_seconds: float = 300) -> bool:
        """Create the table (on-demand billing, hash key ``run_id`` S) unless it exists, and wait until it is
        active. True if this call created it."""
        created = False
        try:
            status = self.client.describe_table(TableName=self.table_name)["Table"].get("TableStatus")
        except aws_exceptions() as e:
            if error_code(e) != "ResourceNotFoundException":
                raise self._error(e, "describe", "dynamodb:DescribeTable") from None
            status = None
        if status is None:
            try:
                self.client.create_table(
                    TableName=self.table_name,
                    AttributeDefinitions=[{"AttributeName": "run_id", "AttributeType": "S"}],
                    KeySchema=[{"AttributeName": "run_id", "KeyType": "HASH"}],
                    BillingMode="PAY_PER_REQUEST",
                )
                created = True
            except aws_exceptions() as e:
                if error_code(e) != "ResourceInUseException":  # created meanwhile by someone else
                    raise self._error(e, "create", "dynamodb:CreateTable") from None
        if status != "ACTIVE":
            delay = 2
            try:
                self.client.get_waiter("table_exists").wait(
                    TableName=self.table_name,
                    WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(wait_seconds / delay))},
                )
            except aws_exceptions() as e:
                raise self._error(e, "wait for", "dynamodb:DescribeTable") from None
        return created
