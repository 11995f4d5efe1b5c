"""Run validation tests on an engine and fill in their results.

A test whose query errors is run once more (to rule out a transient error);
if it fails again it is reported as a bad test (a false positive of the
validator, not a data failure). A test that fails is also run once more, with
a fresh query, before its failure counts: a failure that does not repeat was
transient (the test then passes, saying so in its message).

A test with a ``shortcut`` query runs that first: when it counts 0 the test has
passed (the shortcut can only prove a pass); otherwise the test's own query
decides, and a re-run after a failure always uses the test's own query. A test
with ``settings`` runs its query with them set on the engine's session
(:func:`~datamorph.validation.tuning.session_settings`).
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from typing import Any

from datamorph.catalog import compatible, type_family
from datamorph.engines.base import Engine, QueryResult
from datamorph.errors import DataMorphError
from datamorph.validation.model import TestCase, ValidationReport
from datamorph.validation.tuning import session_settings

REL_TOL = 1e-9
ABS_TOL = 1e-6


def run_tests(engine: Engine, tests: list[TestCase], staged: str, *, attempt: int = 1) -> ValidationReport:
    """Execute ``tests`` against ``staged`` and return the report."""
    t0 = time.perf_counter()
    batches: dict[str, QueryResult | Exception] = {}
    for t in tests:
        t1 = time.perf_counter()
        try:
            _run_one(engine, t, staged, batches, shortcut=True)
        except DataMorphError as e:
            t.status = "error"
            t.false_positive = True
            t.message = f"the test's own query failed twice: {e.message}"
        t.duration_ms = round((time.perf_counter() - t1) * 1000, 2)
    _recheck_failures(engine, tests, staged)
    return ValidationReport(tests, (time.perf_counter() - t0) * 1000, attempt)


def _run_one(
    engine: Engine, t: TestCase, staged: str, batches: dict[str, QueryResult | Exception], *, shortcut: bool
) -> None:
    """Run ``t`` (its batch's query once per ``batches``) and judge it; raises the query's error."""
    if t.kind == "columns":
        _check_columns(engine, t, staged)
        return
    if shortcut and t.shortcut and t.batch is None and t.kind == "violations":
        quick = _query_with_retry(engine, t.shortcut, t.settings)
        if not isinstance(quick, Exception) and _count(quick) == 0:
            t.actual_result, t.status = 0, "pass"  # proven by the shortcut
            return
        # a count above 0 proves nothing (nor does a shortcut that failed): the test's own query decides
    key = t.batch or t.test_id
    if key not in batches:
        batches[key] = _query_with_retry(engine, t.query, t.settings)
    res = batches[key]
    if isinstance(res, Exception):
        raise res
    _judge(t, res)


def _recheck_failures(engine: Engine, tests: list[TestCase], staged: str) -> None:
    """Run every failed test once more (one fresh query per batch, never the shortcut); keep the second verdict."""
    failed = [t for t in tests if t.status == "fail"]
    batches: dict[str, QueryResult | Exception] = {}
    for t in failed:
        t1 = time.perf_counter()
        first = t.message
        t.status, t.message, t.actual_result = "pending", "", None
        try:
            _run_one(engine, t, staged, batches, shortcut=False)
        except DataMorphError as e:
            t.status, t.message = "fail", f"{first} (re-run failed too: {e.message})"
        if t.status in ("pass", "warning"):
            t.message = f"passed when re-run (the first run failed: {first})"
        t.duration_ms = round(t.duration_ms + (time.perf_counter() - t1) * 1000, 2)


def _query_with_retry(engine: Engine, sql: str, settings: dict[str, str] | None = None) -> QueryResult | Exception:
    for attempt in (1, 2):
        try:
            with session_settings(engine, settings or {}):
                return engine.fetch(sql)
        except DataMorphError as e:
            if attempt == 2:
                return e
    raise AssertionError("unreachable")  # pragma: no cover


def _count(res: QueryResult) -> int:
    row = res.rows[0] if res.rows else None
    return int(row[0] or 0) if row else 0


def _judge(t: TestCase, res: QueryResult) -> None:
    row = res.rows[0] if res.rows else None
    if t.kind == "violations":
        # a test sharing a batch query reads its own column; a stand-alone one the first
        value = dict(zip(res.columns, row, strict=True))[t.actual_column] if row and t.actual_column else (
            row[0] if row else 0)  # fmt: skip
        n = int(value or 0)
        t.actual_result = n
        t.status = "pass" if n == 0 else ("warning" if t.severity == "warning" else "fail")
        if n:
            t.message = f"{n} row{'s' if n != 1 else ''} violate this"
    elif t.kind == "at_most":
        n = int(row[0] or 0) if row else 0
        t.actual_result = n
        if t.expected_result is None:  # "not empty"
            ok = n > 0
            t.message = "" if ok else "the result is empty"
        else:
            ok = n <= int(t.expected_result)
            t.message = "" if ok else f"{n} rows, more than {t.expected_result}"
        t.status = "pass" if ok else ("warning" if t.severity == "warning" else "fail")
    elif t.kind == "compare":
        assert row is not None and t.actual_column and t.expected_column
        values = dict(zip(res.columns, row, strict=True))
        actual, expected = _plain(values[t.actual_column]), _plain(values[t.expected_column])
        t.actual_result = {"result": actual, "sources": expected}
        ok = _equal(actual, expected)
        t.status = "pass" if ok else "fail"
        t.message = "" if ok else f"result has {actual}, the sources give {expected}"


def _check_columns(engine: Engine, t: TestCase, staged: str) -> None:
    cols = engine.table_columns(staged)
    actual = {c.name.lower(): c for c in cols}
    problems = []
    for want in t.expected_result:
        got = actual.get(want["name"].lower())
        if got is None:
            problems.append(f"missing column {want['name']}")
        elif not compatible(want["family"], type_family(got.type)):
            problems.append(f"{want['name']} is {got.type}, expected {want['family']}")
    extra = set(actual) - {w["name"].lower() for w in t.expected_result}
    problems += [f"unexpected column {actual[x].name}" for x in sorted(extra)]
    t.actual_result = [{"name": c.name, "type": c.type} for c in cols]
    t.status = "fail" if problems else "pass"
    t.message = "; ".join(problems)


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return float(v)
    return v


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None or (a in (None, 0) and b in (None, 0))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)
