"""One JSON error shape for every endpoint, and the HTTP status of each kind of error.

Every error response, whatever raised it (a DataMorph error, a request that
fails validation, an unknown route, a missing token, a body too large, a bug),
has the body::

    {"error": true, "status_code": 404, "error_type": "RunNotFound",
     "message": "no run with id 20250113_123456_abc123 (`datamorph runs` lists them)"}

with ``run_id`` and ``details`` added where there is something to add.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, Field

from datamorph import errors as E


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: bool = Field(True, description="Always true.")
    status_code: int = Field(description="The HTTP status code, repeated.")
    error_type: str = Field(description="The kind of error, e.g. PlanError, RunNotFound, RequestValidationError.")
    message: str = Field(description="What was wrong and what to do.")
    run_id: str | None = Field(None, description="The run the error belongs to, if any.")
    details: Any = Field(None, description="More about the error: the fields that failed validation, the run body.")


class ApiError(Exception):
    """An error the API itself raises (bad token, body too large, conflicting idempotency key...)."""

    def __init__(self, status_code: int, error_type: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:  # fmt: skip
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type
        self.message = message
        self.headers = headers
        self.extra = extra


class Overloaded(ApiError):
    """503: no warehouse connection is free for this request now; ``Retry-After`` says when to try again."""

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(503, "Overloaded", message, headers={"Retry-After": str(max(1, int(retry_after_s)))})


# Most specific first: the first class an error is an instance of decides its status.
_STATUS: tuple[tuple[type[E.DataMorphError], int], ...] = (
    (E.RunNotFound, 404),
    (E.ArtifactError, 404),
    (E.QueryRefused, 400),
    (E.UnsafeRequest, 400),
    (E.PlanAmbiguous, 400),
    (E.PlanError, 400),
    (E.SpecError, 400),
    (E.TableNotFound, 404),
    (E.CatalogError, 400),
    (E.CompileError, 400),
    (E.SourceDataError, 400),
    (E.TargetConflict, 409),
    (E.ConcurrencyError, 409),
    (E.RollbackError, 409),
    (E.ResumeRefused, 409),
    (E.ValidationFailed, 500),
    (E.ExecutionError, 500),
    (E.ConfigError, 500),
)


def status_for(err: E.DataMorphError) -> int:
    """The HTTP status for a DataMorph error: 400 bad input, 404 unknown, 409 conflict, 500 otherwise."""
    for cls, status in _STATUS:
        if isinstance(err, cls):
            return status
    return 500


@functools.cache
def _error_classes() -> dict[str, type[E.DataMorphError]]:
    out: dict[str, type[E.DataMorphError]] = {}
    todo: list[type[E.DataMorphError]] = [E.DataMorphError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return out


def status_for_type(error_type: str | None) -> int:
    """The HTTP status for an ``error_type`` name as a run result reports it."""
    cls = _error_classes().get(error_type or "")
    if cls is None:
        return 500
    for known, status in _STATUS:
        if issubclass(cls, known):
            return status
    return 500


def error_body(status_code: int, error_type: str, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"error": True, "status_code": status_code, "error_type": error_type, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def validation_message(errors: list[dict[str, Any]], body: bytes | None = None) -> tuple[str, list[dict[str, Any]]]:
    """A one-line message and the per-field details of a pydantic/FastAPI validation failure.

    A body that is not JSON at all is reported as ``malformed JSON: <reason> at line L column C``
    (``body`` is the raw request body, to turn FastAPI's character offset into a line and column).
    """
    for e in errors:
        if e.get("type") == "json_invalid":
            message = malformed_json_message(e, body)
            return message, [{"field": "body", "problem": message}]
    details = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ()) if p != "body"]
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        details.append({"field": ".".join(loc) or "body", "problem": msg})
    if not details:
        return "the request is not valid", details
    first = details[0]
    more = f" (and {len(details) - 1} more problem{'s' if len(details) > 2 else ''})" if len(details) > 1 else ""
    where = "request body" if first["field"] == "body" else f"field '{first['field']}'"
    return f"invalid request: {where}: {first['problem']}{more}", details


def malformed_json_message(error: dict[str, Any], body: bytes | None) -> str:
    """``malformed JSON: Expecting value at line 1 column 2`` for FastAPI's ``json_invalid`` error."""
    ctx = error.get("ctx") or {}
    reason = str(ctx.get("error") or "not valid JSON").removesuffix(" at").strip()
    loc = error.get("loc") or ()
    pos = loc[-1] if loc and isinstance(loc[-1], int) else None
    if pos is None:
        return f"malformed JSON: {reason}"
    text = (body or b"").decode("utf-8", errors="replace")[:pos]  # the offset counts characters
    line = text.count("\n") + 1
    column = len(text) - (text.rfind("\n") + 1) + 1
    return f"malformed JSON: {reason} at line {line} column {column}"


COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Bad input (a request the planner cannot use, a refused query...)"},
    401: {"model": ErrorBody, "description": "Missing or wrong API token"},
    404: {"model": ErrorBody, "description": "Unknown run, table or artifact"},
    409: {"model": ErrorBody, "description": "Conflict (target busy, nothing to roll back, idempotency key reused)"},
    413: {"model": ErrorBody, "description": "Request body too large, or a query result larger than "
          "DATAMORPH_QUERY_MAX_BYTES"},
    422: {"model": ErrorBody, "description": "The request body or parameters fail validation"},
    500: {"model": ErrorBody, "description": "Server error, or a run that failed"},
    503: {"model": ErrorBody, "description": "Overloaded: every warehouse connection for this kind of request is "
          "busy; retry after the Retry-After header's seconds"},
}
