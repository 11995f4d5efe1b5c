"""Self-healing runs: diagnose a failed compile, stage or validation, repair the spec, run again.

* :mod:`~datamorph.remediation.diagnose`: a failure → :class:`Diagnosis` (kind, spec element, evidence)
* :mod:`~datamorph.remediation.repairs`: deterministic :class:`Repairer` s, one module per fault family
* :mod:`~datamorph.remediation.suite`: the validation suite across versions of the spec
* :mod:`~datamorph.remediation.loop`: :class:`Remediator`, the loop the orchestrator runs
"""

from datamorph.remediation.base import Diagnosis, Repair, RepairContext, Repairer
from datamorph.remediation.diagnose import diagnose
from datamorph.remediation.loop import (
    MAX_ITERATIONS_REACHED,
    NOT_NEEDED,
    NOT_REPAIRABLE,
    REMEDIATED,
    RemediationState,
    Remediator,
    versioned,
)
from datamorph.remediation.repairs import default_repairers
from datamorph.remediation.suite import validation_suite

__all__ = [
    "MAX_ITERATIONS_REACHED",
    "NOT_NEEDED",
    "NOT_REPAIRABLE",
    "REMEDIATED",
    "Diagnosis",
    "RemediationState",
    "Remediator",
    "Repair",
    "RepairContext",
    "Repairer",
    "default_repairers",
    "diagnose",
    "validation_suite",
    "versioned",
]
