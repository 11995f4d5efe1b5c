"""The validation suite of a run: derived tests, source checks, and the original suite kept.

``validation suite = tests derived from the (repaired) spec + source checks + the tests of
the original suite that still execute``. A repair may not make a test disappear: a test
of the first suite that ran whose id the repaired spec no longer derives is run again
on the new staged table and must pass. A test the repaired spec derives again (same id)
is superseded by its new version, which checks the same property on the repaired
spec's terms (the corrected filter value, the de-duplicated lookup...). An original
test whose query no longer runs (it names something the repair corrected) is dropped
and listed in ``dropped``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from datamorph.compiler import CompiledSpec
from datamorph.engines.base import Engine
from datamorph.validation import ValidationReport, validate
from datamorph.validation.model import TestCase
from datamorph.validation.runner import run_tests
from datamorph.validation.source_checks import SourceCheck, source_checks

KEPT_PREFIX = "[kept from the original suite] "


@dataclass
class SuiteState:
    """What the suite of one run remembers across remediation iterations."""

    original: list[TestCase] | None = None  # the first suite that ran, as it was before running
    original_staged: str | None = None
    checks: dict[str, SourceCheck] = field(default_factory=dict)  # test id -> source check (latest suite)
    dropped: list[str] = field(default_factory=list)  # original tests that no longer execute


def validation_suite(
    engine: Engine, compiled: CompiledSpec, staged: str, state: SuiteState, *, attempt: int = 1
) -> ValidationReport:
    """Run the whole suite for ``compiled`` on ``staged`` and return one report."""
    derived = validate(engine, compiled, staged, attempt=attempt)
    checks = source_checks(compiled, staged, engine.dialect)
    current = {t.test_id for t in derived.tests} | {c.test.test_id for c in checks}
    carried: list[TestCase] = []
    if state.original is not None and state.original_staged is not None and state.original_staged != staged:
        for t in state.original:
            if t.test_id in current:
                continue
            old = state.original_staged
            carried.append(_fresh(t, query=_restage(t.query, old, staged),
                                  shortcut=_restage(t.shortcut, old, staged) if t.shortcut else None,
                                  use_case=KEPT_PREFIX + t.use_case.removeprefix(KEPT_PREFIX)))  # fmt: skip
    extra = run_tests(engine, [c.test for c in checks] + carried, staged, attempt=attempt)
    for c in checks:
        c.explain()
    carried_ids = {id(t) for t in carried}
    kept = []
    for t in extra.tests:
        if id(t) in carried_ids and t.status == "error":
            state.dropped.append(t.test_id)
            continue
        kept.append(t)
    report = ValidationReport(derived.tests + kept, derived.duration_ms + extra.duration_ms, attempt)
    if state.original is None:
        state.original = [_fresh(t) for t in report.tests]
        state.original_staged = staged
    state.checks = {c.test.test_id: c for c in checks}
    return report


def _fresh(t: TestCase, **changes: object) -> TestCase:
    return replace(t, status="pending", actual_result=None, message="", false_positive=False, duration_ms=0.0,
                   **changes)  # type: ignore[arg-type]  # fmt: skip


def _restage(query: str, old: str, new: str) -> str:
    """``query`` reading the staged table ``new`` instead of ``old``."""
    old_name, new_name = old.split(".")[-1].strip('"'), new.split(".")[-1].strip('"')
    return re.sub(rf"(?<![\w$]){re.escape(old_name)}(?![\w$])", new_name.replace("\\", "\\\\"), query)
