"""Tests derived from the spec, run on every row of the staged result, and the differential check."""

from __future__ import annotations

import time

from datamorph.catalog import Catalog
from datamorph.compiler import CompiledSpec
from datamorph.engines.base import Engine
from datamorph.spec import ETLSpec
from datamorph.validation.derive import RECONCILIATION_BATCH, derive_tests
from datamorph.validation.differential import compare_results, differential_test, evaluate_spec_polars
from datamorph.validation.model import TestCase, ValidationReport
from datamorph.validation.runner import run_tests
from datamorph.validation.tuning import aggregate_settings, dense_integer_keys


def validate(
    engine: Engine,
    compiled: CompiledSpec,
    staged: str,
    *,
    attempt: int = 1,
    differential: bool = True,
    spec: ETLSpec | None = None,
    catalog: Catalog | None = None,
) -> ValidationReport:
    """Derive the tests for ``compiled`` and run them on ``staged``.

    With ``differential`` (the default) the report also holds the differential check: the staged
    rows against an independent Polars evaluation of ``spec`` over ``catalog`` (default: the
    compiled spec and its catalog). Without Polars installed that test is a warning.
    The reconciliation query runs under :func:`~datamorph.validation.tuning.aggregate_settings`
    and checks keys against :func:`~datamorph.validation.tuning.dense_integer_keys` by range.
    """
    tests = derive_tests(compiled, staged, engine.dialect, dense_keys=dense_integer_keys(engine, compiled))
    reconciling = [t for t in tests if t.batch == RECONCILIATION_BATCH]
    if reconciling:
        settings = aggregate_settings(engine, compiled)
        for t in reconciling:
            t.settings = dict(settings)
    report = run_tests(engine, tests, staged, attempt=attempt)
    if differential:
        t0 = time.perf_counter()
        report.tests.append(differential_test(
            engine, spec or compiled.spec, catalog or compiled.blocks[0].scope.catalog, staged))  # fmt: skip
        report.duration_ms += (time.perf_counter() - t0) * 1000
    return report


__all__ = [
    "TestCase",
    "ValidationReport",
    "compare_results",
    "derive_tests",
    "differential_test",
    "evaluate_spec_polars",
    "run_tests",
    "validate",
]
