"""Recognizers, in the order they run. Each is ``recognize(draft) -> None``.

Order matters: safety first; sources before anything that resolves columns;
row filters and dates before aggregates (a condition on a measure is a
having); aggregates before the output list (which may name a measure);
ordering last but one.
"""

from __future__ import annotations

from datamorph.planner.recognizers import (
    aggregates,
    columns,
    dates,
    dedupe,
    derived,
    filters,
    glue,
    joins,
    noops,
    ordering,
    orphans,
    questions,
    safety,
    sources,
    target,
    union,
    windows,
)

RECOGNIZERS = (
    safety.recognize,
    target.recognize,
    noops.recognize,
    union.recognize,
    joins.recognize,
    sources.recognize,
    orphans.recognize,
    dates.recognize,
    derived.recognize,
    aggregates.recognize,
    filters.recognize,
    windows.recognize,
    dedupe.recognize,
    ordering.recognize,
    glue.recognize,
    questions.recognize,
    columns.recognize,
    glue.recognize_late,
)
