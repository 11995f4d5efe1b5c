"""Tests derived from the spec, run on every row of the staged result."""

from __future__ import annotations

from datamorph.compiler import CompiledSpec
from datamorph.engines.base import Engine
from datamorph.validation.derive import derive_tests
from datamorph.validation.model import TestCase, ValidationReport
from datamorph.validation.runner import run_tests


def validate(engine: Engine, compiled: CompiledSpec, staged: str, *, attempt: int = 1) -> ValidationReport:
    """Derive the tests for ``compiled`` and run them on ``staged``."""
    return run_tests(engine, derive_tests(compiled, staged, engine.dialect), staged, attempt=attempt)


__all__ = ["TestCase", "ValidationReport", "derive_tests", "run_tests", "validate"]
