"""Deterministic repairs, one module per family of fault. Each is a :class:`~datamorph.remediation.base.Repairer`."""

from __future__ import annotations

from datamorph.remediation.base import Repairer
from datamorph.remediation.repairs.arithmetic import DivisionRepairer
from datamorph.remediation.repairs.clauses import ClausePlacementRepairer
from datamorph.remediation.repairs.columns import AmbiguousColumnRepairer, UnknownColumnRepairer
from datamorph.remediation.repairs.joins import FanoutRepairer, JoinKeyRepairer
from datamorph.remediation.repairs.values import FilterValueRepairer, LiteralTypeRepairer


def default_repairers() -> list[Repairer]:
    """The deterministic repairers, in the order they are asked."""
    return [
        UnknownColumnRepairer(),
        AmbiguousColumnRepairer(),
        LiteralTypeRepairer(),
        ClausePlacementRepairer(),
        FanoutRepairer(),
        FilterValueRepairer(),
        DivisionRepairer(),
        JoinKeyRepairer(),
    ]


__all__ = [
    "AmbiguousColumnRepairer",
    "ClausePlacementRepairer",
    "DivisionRepairer",
    "FanoutRepairer",
    "FilterValueRepairer",
    "JoinKeyRepairer",
    "LiteralTypeRepairer",
    "UnknownColumnRepairer",
    "default_repairers",
]
