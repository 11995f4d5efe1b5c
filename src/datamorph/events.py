"""Run ids and run log entries, in the original system's shape.

A run id is a UTC timestamp plus six hex characters
(``20250113_123456_abc123``). A log entry is
``{"timestamp", "type", "title", "description", "metadata"}``; the timestamp
is ISO-8601 UTC with milliseconds. Entries go to an :class:`EventSink`
(the run store, a console, a queue...); :class:`FanOut` sends to several.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

log = logging.getLogger(__name__)

RUN_ID_RE = re.compile(r"^\d{8}_\d{6}_[0-9a-f]{6}$")
_RUN_ID_TIME = "%Y%m%d_%H%M%S"


class LogType(StrEnum):
    """The nine log entry types of the original system."""

    START = "start"
    STATUS = "status"
    INFO = "info"
    CODE = "code"
    RESULT = "result"
    WARNING = "warning"
    ERROR = "error"
    END = "end"
    SUCCESS = "success"


def utc_now_iso(now: datetime | None = None) -> str:
    """``now`` (default: the current time) as ``2025-01-13T12:34:56.789Z``."""
    now = _as_utc(now or datetime.now(UTC))
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_timestamp(value: str) -> datetime:
    """An ISO-8601 UTC timestamp (``Z`` or ``+00:00``) as an aware datetime; ValueError otherwise."""
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None or dt.utcoffset() != UTC.utcoffset(None):
        raise ValueError(f"timestamp {value!r} is not UTC")
    return dt


def _as_utc(dt: datetime) -> datetime:
    # Naive datetimes are taken to be UTC already.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def new_run_id(now: datetime | None = None) -> str:
    """A fresh run id: ``now`` in UTC as ``%Y%m%d_%H%M%S``, ``_``, 6 random hex chars."""
    stamp = _as_utc(now or datetime.now(UTC)).strftime(_RUN_ID_TIME)
    return f"{stamp}_{secrets.token_hex(3)}"


def is_run_id(s: object) -> bool:
    """True when ``s`` is a string in run id format with a real date and time."""
    if not isinstance(s, str) or not RUN_ID_RE.match(s):
        return False
    try:
        datetime.strptime(s[:15], _RUN_ID_TIME)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class LogEntry:
    """One append-only entry of a run log."""

    timestamp: str
    type: LogType
    title: str
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", LogType(self.type))
        parse_timestamp(self.timestamp)
        if self.metadata is None:
            object.__setattr__(self, "metadata", {})

    @classmethod
    def now(
        cls,
        type: LogType | str,
        title: str,
        description: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> LogEntry:
        """An entry stamped with the current time."""
        return cls(utc_now_iso(), LogType(type), title, description, dict(metadata or {}))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LogEntry:
        """The inverse of :meth:`to_dict`."""
        return cls(
            timestamp=d["timestamp"],
            type=LogType(d["type"]),
            title=d.get("title", ""),
            description=d.get("description") or "",
            metadata=dict(d.get("metadata") or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The original shape: timestamp, type, title, description, metadata."""
        return {
            "timestamp": self.timestamp,
            "type": self.type.value,
            "title": self.title,
            "description": self.description,
            "metadata": dict(self.metadata),
        }


@runtime_checkable
class EventSink(Protocol):
    """Anything that accepts run log entries."""

    def emit(self, run_id: str, entry: LogEntry) -> None: ...


class FanOut:
    """Sends each entry to every sink; a failing sink is logged and skipped."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks: tuple[EventSink, ...] = sinks

    def emit(self, run_id: str, entry: LogEntry) -> None:
        for sink in self.sinks:
            try:
                sink.emit(run_id, entry)
            except Exception:
                log.exception("event sink %r failed for run %s", sink, run_id)
