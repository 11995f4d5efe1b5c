"""Validation tests and their report, in the original system's field names."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Category = Literal["extraction", "join", "transformation", "load", "data_quality"]
Status = Literal["pending", "pass", "fail", "warning", "error"]
Kind = Literal["violations", "compare", "columns", "at_most"]


@dataclass
class TestCase:
    """One assertion on the staged result.

    ``kind`` says how the query's answer is read:
      * ``violations``: one number, the count of violating rows; 0 passes.
      * ``compare``: the query returns ``actual_column`` and ``expected_column``; equal passes.
      * ``at_most``: one number that must not exceed ``expected_result``.
      * ``columns``: the staged table's columns must match ``expected_result``.
    Tests with the same ``batch`` share one query (run once).

    ``shortcut`` (``violations`` tests only): a cheaper query that can only prove the test passes.
    It is run first; when it counts 0 the test passes, otherwise ``query`` decides as usual.
    ``settings``: engine session settings the query runs under (DuckDB only; restored after),
    which change how the engine plans it, never what it computes.
    """

    __test__ = False  # not a pytest class

    test_id: str
    category: Category
    use_case: str
    query: str
    expected_result: Any
    kind: Kind = "violations"
    validation_type: Literal["rule_based", "llm"] = "rule_based"
    severity: Literal["error", "warning"] = "error"
    batch: str | None = None
    shortcut: str | None = None
    settings: dict[str, str] = field(default_factory=dict)
    actual_column: str | None = None
    expected_column: str | None = None
    actual_result: Any = None
    status: Status = "pending"
    false_positive: bool = False
    message: str = ""
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("batch", "actual_column", "expected_column"):
            d.pop(k)
        for k in ("shortcut", "settings"):  # shown when used: they say how the test ran
            if not d[k]:
                d.pop(k)
        return d


@dataclass
class ValidationReport:
    tests: list[TestCase] = field(default_factory=list)
    duration_ms: float = 0.0
    attempt: int = 1

    @property
    def status(self) -> Literal["pass", "fail"]:
        return "fail" if self.failures() else "pass"

    def failures(self) -> list[TestCase]:
        """Tests that block publishing: failed ones, and errors that are not known bad tests."""
        return [t for t in self.tests if t.status == "fail" or (t.status == "error" and not t.false_positive)]

    def summary(self) -> dict[str, Any]:
        total = len(self.tests)
        by_status = {s: sum(1 for t in self.tests if t.status == s) for s in ("pass", "fail", "warning", "error")}
        categories: dict[str, dict[str, int]] = {}
        for t in self.tests:
            c = categories.setdefault(t.category, {"total": 0, "passed": 0})
            c["total"] += 1
            c["passed"] += t.status in ("pass", "warning")
        return {
            "total_tests": total,
            "passed": by_status["pass"],
            "failed": by_status["fail"],
            "warnings": by_status["warning"],
            "errors": by_status["error"],
            "false_positives": sum(1 for t in self.tests if t.false_positive),
            "pass_rate": round((by_status["pass"] + by_status["warning"]) / total * 100, 2) if total else 100.0,
            "by_category": categories,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "validation_status": self.status,
            "attempt": self.attempt,
            "duration_ms": round(self.duration_ms, 1),
            "summary": self.summary(),
            "tests": [t.to_dict() for t in self.tests],
        }
