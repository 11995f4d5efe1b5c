"""The vocabulary of remediation: what is wrong (Diagnosis), a fix (Repair), who proposes it (Repairer)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from datamorph.catalog import Catalog
from datamorph.engines.base import Engine
from datamorph.spec import ETLSpec

# The kinds of fault a diagnosis can name; "unknown" when none fits.
UNKNOWN_COLUMN = "unknown_column"
AMBIGUOUS_COLUMN = "ambiguous_column"
TYPE_MISMATCH = "type_mismatch"
AGGREGATE_IN_FILTERS = "aggregate_in_filters"
PLAIN_COLUMN_IN_HAVING = "plain_column_in_having"
JOIN_FANOUT = "join_fanout"
FILTER_VALUE_MISMATCH = "filter_value_mismatch"
DIVISION_BY_ZERO = "division_by_zero"
JOIN_KEY_MISMATCH = "join_key_mismatch"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Diagnosis:
    """One fault: its kind, the spec element involved, and what showed it."""

    kind: str
    element: str  # the spec element involved, e.g. "column 'o.amout'", "join_conditions[0]"
    evidence: str  # the error message or the failing test and its result
    source: str  # "compile", "engine" or "validation"
    detail: dict[str, Any] = field(default_factory=dict)  # facts the repairers use

    def describe(self) -> str:
        return f"{self.kind} at {self.element}: {self.evidence}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "element": self.element, "evidence": self.evidence, "source": self.source}


@dataclass(frozen=True)
class Repair:
    """A repaired spec and one line saying what changed and why."""

    spec: ETLSpec
    explanation: str


@dataclass
class RepairContext:
    """What a repairer may consult: the catalog, and the engine for read-only queries of the data."""

    catalog: Catalog
    engine: Engine | None = None
    dialect: str = "duckdb"
    notes: list[str] = field(default_factory=list)  # why a repairer that recognised the fault declined


@runtime_checkable
class Repairer(Protocol):
    """Proposes a repaired spec for a diagnosis, or None when it does not apply.

    Deterministic repairers live in :mod:`datamorph.remediation.repairs`; an LLM-backed
    repairer implements the same method.
    """

    name: str

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None: ...
