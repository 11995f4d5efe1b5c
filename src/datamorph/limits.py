"""What every step of a run is held to: the run's time and memory limits, and sources that hold still.

The orchestrator runs each step inside :func:`guard_step`:

* **Time** (``DATAMORPH_RUN_TIMEOUT``): the run has one deadline. While a step runs, a timer
  interrupts the engine's running statement when the deadline passes (DuckDB has no statement
  timeout; PostgreSQL also gets ``statement_timeout`` set to the time left, so the server stops a
  statement even if this process cannot). A step that fails after the deadline, or a step that starts
  after it, fails the run with :class:`~datamorph.errors.LimitExceeded` naming the setting and the step.
  Publishing is never interrupted: it starts only inside the deadline, and once started (one short
  transaction) it completes, so a run is never recorded failed after it published.
* **Memory** (``DATAMORPH_MEMORY_LIMIT``): applied to the engine's session once it is open (DuckDB's
  ``memory_limit``; PostgreSQL manages its own memory and is left alone, which the run log says). A
  step that runs out of memory fails the run with LimitExceeded naming the setting.
* **Sources** (:mod:`datamorph.drift`): after ``read_sources`` the columns the spec was planned against
  are compared with the catalog just read; before and after ``stage``, and when ``stage`` or ``validate``
  fail, the columns the compiled SQL reads are compared with the warehouse, so a source changed by
  someone else mid-run fails the run with SchemaChanged instead of an engine error or a wrong table.

LimitExceeded and SchemaChanged are not remediated: the spec is not what is wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from datamorph.drift import check_planned, check_unchanged
from datamorph.errors import DataMorphError, LimitExceeded, SchemaChanged

if TYPE_CHECKING:
    from datamorph.config import Settings
    from datamorph.engines.base import Engine
    from datamorph.orchestrator import Orchestrator, RunContext

PUBLISH_STEP = "publish"
NOT_REMEDIABLE = (LimitExceeded, SchemaChanged)
"""Failures the remediation loop leaves alone: a repaired spec would not fix them."""


@dataclass
class RunLimits:
    """The limits of one run, from its settings; the clock starts when it is made."""

    timeout: float | None = None
    memory_limit: str | None = None
    deadline: float | None = None  # time.monotonic() value
    applied_to: list[int] = field(default_factory=list)  # id() of the engines the memory limit was applied to

    @classmethod
    def start(cls, settings: Settings) -> RunLimits:
        timeout = settings.run_timeout
        return cls(timeout, settings.memory_limit, None if timeout is None else time.monotonic() + timeout)

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def timed_out(self, step: str) -> LimitExceeded:
        assert self.timeout is not None
        return LimitExceeded(f"run exceeded DATAMORPH_RUN_TIMEOUT ({self.timeout:g} s) in step {step}; "
                             "nothing was published", hint="allow more time with DATAMORPH_RUN_TIMEOUT, or narrow "
                             "the request", limit="run_timeout", seconds=self.timeout, step=step)  # fmt: skip

    def out_of_memory(self, step: str, err: DataMorphError) -> LimitExceeded:
        return LimitExceeded(f"run exceeded DATAMORPH_MEMORY_LIMIT ({self.memory_limit}) in step {step}; nothing "
                             f"was published ({err.message})", hint="allow more memory with DATAMORPH_MEMORY_LIMIT, "
                             "or narrow the request", limit="memory_limit", memory_limit=self.memory_limit,
                             step=step)  # fmt: skip


class _Alarm:
    """Calls ``interrupt()`` on the engine ``engine()`` returns once ``seconds`` have passed, unless stopped."""

    def __init__(self, seconds: float, engine: Callable[[], Engine | None]) -> None:
        self.fired = False
        self._engine = engine
        self._lock = threading.Lock()
        self._active = True
        self._timer = threading.Timer(max(seconds, 0.001), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if not self._active:
                return
            self.fired = True
            eng = self._engine()
            if eng is not None:
                try:
                    eng.interrupt()
                except Exception:  # noqa: BLE001 - a closed or closing connection: nothing left to stop
                    pass

    def stop(self) -> None:
        with self._lock:
            self._active = False
        self._timer.cancel()


@contextmanager
def guard_step(o: Orchestrator, ctx: RunContext, step: str) -> Iterator[None]:
    """Run one step of ``ctx`` within the run's limits (see the module docstring)."""
    if ctx.limits is None:
        ctx.limits = RunLimits.start(o.settings)
    limits = ctx.limits
    left = limits.remaining()
    if left is not None and left <= 0:
        raise limits.timed_out(step)
    _apply(o, ctx, limits, step)
    if step == "stage" and ctx.engine is not None and ctx.compiled is not None:
        check_unchanged(ctx.engine, ctx.compiled)  # changed since read_sources?
    alarm = _Alarm(left, lambda: ctx.engine) if left is not None and step != PUBLISH_STEP else None
    try:
        yield
    except DataMorphError as e:
        if isinstance(e, NOT_REMEDIABLE):
            raise
        if alarm is not None and (alarm.fired or (limits.remaining() or 0) <= 0):
            raise limits.timed_out(step) from e
        if limits.memory_limit and _is_out_of_memory(e):
            raise limits.out_of_memory(step, e) from e
        try:  # did the step fail because a source changed?
            if step == "read_sources" and ctx.engine is not None and ctx.spec is not None:
                check_planned(ctx.spec, ctx.engine.catalog(row_counts=False))  # e.g. a table renamed since
            elif step in ("stage", "validate") and ctx.engine is not None and ctx.compiled is not None:
                check_unchanged(ctx.engine, ctx.compiled)
        except SchemaChanged as changed:
            raise changed from e
        raise
    finally:
        if alarm is not None:
            alarm.stop()
    if step == "read_sources" and ctx.spec is not None and ctx.catalog is not None:
        check_planned(ctx.spec, ctx.catalog)
    elif step == "stage" and ctx.engine is not None and ctx.compiled is not None:
        check_unchanged(ctx.engine, ctx.compiled)  # the staged result was computed from the columns compiled for
    if ctx.engine is not None and limits.memory_limit and id(ctx.engine) not in limits.applied_to:
        _apply(o, ctx, limits, step)  # the step opened the engine


def _apply(o: Orchestrator, ctx: RunContext, limits: RunLimits, step: str) -> None:
    """Set the session limits on the run's engine: the memory limit once, the statement timeout per step."""
    from datamorph.events import LogType

    engine = ctx.engine
    if engine is None:
        return
    if limits.memory_limit and id(engine) not in limits.applied_to:
        limits.applied_to.append(id(engine))
        if engine.set_memory_limit(limits.memory_limit):
            o.log(ctx, LogType.INFO, "Memory limit", f"queries may use {limits.memory_limit} "
                  "(DATAMORPH_MEMORY_LIMIT)", memory_limit=limits.memory_limit)  # fmt: skip
        else:
            o.log(ctx, LogType.WARNING, "Memory limit not applied", f"DATAMORPH_MEMORY_LIMIT applies to DuckDB; "
                  f"the {engine.name} engine manages its own memory", memory_limit=limits.memory_limit)  # fmt: skip
    left = limits.remaining()
    if left is not None:
        engine.set_statement_timeout(None if step == PUBLISH_STEP else max(left, 0.001))


def _is_out_of_memory(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) is the engine running out of memory."""
    seen: BaseException | None = err
    while seen is not None:
        if type(seen).__name__ == "OutOfMemoryException" or "out of memory" in str(seen).lower():
            return True
        seen = seen.__cause__
    return False
