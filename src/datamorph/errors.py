"""One exception hierarchy for everything DataMorph reports to a user.

Every error carries a one-line ``message`` that says what was wrong, an
optional ``hint`` that says what to do, and ``context`` (the failing SQL, the
table, the field...) for logs and artifacts. ``error_type`` is the name the
original response shape reports.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any


class DataMorphError(Exception):
    """Root of every error DataMorph raises on purpose."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context = context

    @property
    def error_type(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    #: context keys a user may see in an API error's ``details`` and a failed run's result
    PUBLIC_CONTEXT: tuple[str, ...] = ()

    def details(self) -> dict[str, Any] | None:
        """The structured part of the error a client can act on (the readings of an ambiguous request...)."""
        out = {k: self.context[k] for k in self.PUBLIC_CONTEXT if k in self.context and _jsonable(self.context[k])}
        return out or None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error_type": self.error_type, "message": str(self)}
        if self.context:
            out["context"] = {k: v for k, v in self.context.items() if _jsonable(v)}
        return out


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))


class ConfigError(DataMorphError):
    """Bad settings, a missing warehouse, a missing optional dependency."""


class WarehouseNotFound(ConfigError):
    """The warehouse path or URL does not point at a database."""


class SpecError(DataMorphError):
    """A spec that does not load or does not make sense."""


class PlanError(DataMorphError):
    """A request the planner cannot turn into a spec.

    ``details()`` gives the words it could not use (``unused``) and, for :class:`PlanAmbiguous`,
    the ``readings`` to choose from and the ``words`` that have them.
    """

    PUBLIC_CONTEXT = ("unused", "words", "readings")


class UnsafeRequest(PlanError):
    """A request to delete, drop or overwrite source data."""


class PlanAmbiguous(PlanError):
    """A phrase of the request has readings that give different tables on the warehouse.

    ``context["readings"]`` lists them: what each reading does, its row count and how to ask for it.
    """


class TargetConflict(DataMorphError):
    """The target would overwrite a source table or a table DataMorph did not create."""


class SourceDataError(DataMorphError):
    """A source table cannot be used as it is (e.g. it is empty)."""


class SchemaChanged(SourceDataError):
    """A source table's columns changed after the spec was planned or the run read them."""


class CatalogError(DataMorphError):
    """Unknown table or column, or an unreadable catalog."""


class TableNotFound(CatalogError):
    """A command named a table that does not exist (e.g. rolling back an unknown target)."""


class CompileError(DataMorphError):
    """A spec that cannot be compiled against the catalog."""


class ExecutionError(DataMorphError):
    """The engine failed to run generated SQL."""


class ConcurrencyError(ExecutionError):
    """Another run holds the warehouse or the target."""


class PublishError(ExecutionError):
    """Swapping the staged table into the target failed."""


class RollbackError(ExecutionError):
    """Restoring an earlier version of a target failed, or there is none."""


class LimitExceeded(ExecutionError):
    """The run went past DATAMORPH_RUN_TIMEOUT or DATAMORPH_MEMORY_LIMIT; nothing was published."""


class ValidationFailed(DataMorphError):
    """The staged result failed its tests; nothing was published."""


class QueryRefused(DataMorphError):
    """A query sent to the read-only query endpoint that is not exactly one read-only SELECT."""


class RunNotFound(DataMorphError):
    """No run with that id in the run store."""


class ResumeRefused(DataMorphError):
    """A run that cannot be resumed: it completed, its process still runs it, or nothing of it was kept."""


class ArtifactError(DataMorphError):
    """A bad artifact name or run id, or an artifact that is not there."""


class InternalError(DataMorphError):
    """An unexpected exception inside DataMorph (a bug); the run it happened in is recorded as failed."""

    @classmethod
    def wrap(cls, err: BaseException) -> InternalError:
        first = next((ln.strip() for ln in str(err).splitlines() if ln.strip()), "")
        detail = f"{type(err).__name__}: {first[:300]}" if first else type(err).__name__
        return cls(f"internal error ({detail})", hint="this is a bug in DataMorph; --debug shows the traceback")


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The closest names to ``word`` among ``candidates``, best first."""
    cands = list(dict.fromkeys(candidates))
    lowered = {c.lower(): c for c in cands}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]


def suggestion(word: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'x'?`` or None."""
    hits = did_you_mean(word, candidates)
    if not hits:
        return None
    if len(hits) == 1:
        return f"did you mean '{hits[0]}'?"
    return "did you mean " + " or ".join(f"'{h}'" for h in hits) + "?"
