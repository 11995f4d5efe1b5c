"""Bounds on the work of planning one request: planning ends in time, or with a PlanError.

The planner's patterns are written to match in time linear in the request's length
(``bench/scan_patterns.py`` checks them against adversarial text), and runs of whitespace
are squeezed (:func:`squeezed`) before any pattern reads the request. As a guard against a slow path
nobody foresaw, :func:`planning` gives each plan a CPU-time limit (the planning thread's own
CPU time, so a busy machine does not make a request fail): the driver and the recognizers'
loops call :func:`check`, which raises ``PlanError("the request took too long to plan ...")``
once the limit has passed. ``DATAMORPH_PLAN_TIME_LIMIT`` sets the limit in seconds.
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from datamorph.errors import PlanError

if TYPE_CHECKING:
    from datamorph.planner.text import Tokens

TIME_LIMIT_S = 1.0
"""CPU seconds one plan may take; the benchmark prompts take a few milliseconds each."""

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("datamorph_plan_deadline", default=None)
_RUN = re.compile(r"\s{2,}")


LOOKBACK = 300
"""Characters before a position that a pattern anchored there (``...$`` on the text before it) reads:
a lead-in ("with a total of", "as", "who never") is a few words, and reading the whole text before
each of many positions is quadratic."""


def back(pos: int) -> int:
    """Where to start looking for a lead-in that ends at ``pos``: ``pattern.search(text, back(pos), pos)``."""
    return max(0, pos - LOOKBACK)


def time_limit() -> float:
    """The limit in seconds: ``DATAMORPH_PLAN_TIME_LIMIT`` when set to a positive number, else :data:`TIME_LIMIT_S`."""
    raw = os.environ.get("DATAMORPH_PLAN_TIME_LIMIT", "")
    try:
        value = float(raw)
    except ValueError:
        return TIME_LIMIT_S
    return value if value > 0 else TIME_LIMIT_S


@contextmanager
def planning(limit: float | None = None) -> Iterator[None]:
    """Within the block, :func:`check` fails once the thread has used ``limit`` CPU seconds (default :func:`time_limit`)."""
    token = _deadline.set(time.thread_time() + (limit if limit is not None else time_limit()))
    try:
        yield
    finally:
        _deadline.reset(token)


P = ParamSpec("P")
R = TypeVar("R")


def bounded(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` (a planner) run within :func:`planning`; the test hook ``plan:start`` can hold it first."""
    from datamorph.testhook import pause

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        pause("plan:start")  # (tests: a deliberately slow plan)
        with planning():
            return fn(*args, **kwargs)

    return run


def check() -> None:
    """Raise PlanError when the current plan has used up its time (no-op outside :func:`planning`)."""
    deadline = _deadline.get()
    if deadline is not None and time.thread_time() > deadline:
        raise PlanError(
            "the request took too long to plan (more than "
            f"{time_limit():g} s of work); it is probably much longer or more repetitive than a data request",
            hint="shorten the request to the table you want: its columns, filters and groups",
        )


def squeezed(text: str, *, typed_from: str | None = None) -> tuple[str, Tokens]:
    """``text`` with each run of whitespace cut to one character, and its tokens.

    A run holding a line break becomes a line break (it may end a sentence), any other run one
    space: spaces carry no meaning between words, and long runs make patterns slow. A quoted
    value keeps its text as typed: its token's value is the original's (``typed_from``, when
    ``text`` is already a rewritten form of the request, e.g. spell-corrected).
    """
    from datamorph.planner.text import tokenize

    short = _RUN.sub(lambda m: "\n" if "\n" in m.group(0) else " ", text)
    tokens = tokenize(short)
    original = text if typed_from is None else typed_from
    if short == original:
        return short, tokens
    typed = [t.value for t in tokenize(original).items if t.kind == "quoted"]
    quoted = [t for t in tokens.items if t.kind == "quoted"]
    if len(typed) != len(quoted):  # cannot happen (no quote moved); keep the request as it is then
        return text, tokenize(text)
    for tok, value in zip(quoted, typed, strict=True):
        tok.value = value
    return short, tokens
