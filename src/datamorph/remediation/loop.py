"""The remediation loop: diagnose a failure, repair the spec, run compile → stage → validate again.

The orchestrator marks the steps that may be re-run (``Step.remediable``: compile, stage,
validate). When one fails, :meth:`Remediator.recover`:

1. diagnoses the failure (compile error, engine error, or the failing tests of the report);
2. asks each repairer in turn for a repair of each diagnosis; a repair that breaks an
   invariant (:func:`~datamorph.remediation.spec_edit.check_invariants`) or gives a spec
   already tried is refused;
3. adopts the first one: writes ``spec.vN.json``, logs what changed and why with a unified
   diff of the spec, drops the staging table (the next run stages into a fresh one) and
   hands the repaired spec back; the orchestrator re-runs from compile, writing
   ``pipeline.vN.sql`` and ``validation.vN.json``.

It gives up (raising the failure, of its original type, with what was tried, what still
fails and where the artifacts are) when no repair applies (``not_repairable``) or after
``max_iterations`` repairs (``max_iterations_reached``). Nothing is published unless a
version passes its whole suite (:mod:`datamorph.remediation.suite`), so the target is
untouched when the loop gives up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from datamorph.errors import DataMorphError, LimitExceeded, SchemaChanged, ValidationFailed
from datamorph.events import LogType
from datamorph.remediation.base import Diagnosis, Repair, RepairContext, Repairer
from datamorph.remediation.diagnose import diagnose
from datamorph.remediation.repairs import default_repairers
from datamorph.remediation.spec_edit import check_invariants, spec_diff
from datamorph.remediation.suite import SuiteState
from datamorph.spec import ETLSpec

if TYPE_CHECKING:
    from datamorph.orchestrator import Orchestrator, RunContext, Step

NOT_NEEDED = "not_needed"
REMEDIATED = "remediated"
MAX_ITERATIONS_REACHED = "max_iterations_reached"
NOT_REPAIRABLE = "not_repairable"


def versioned(name: str, version: int) -> str:
    """The artifact name of ``name`` for spec version ``version``: ``pipeline.sql``, ``pipeline.v2.sql``..."""
    if version <= 1:
        return name
    stem, dot, ext = name.rpartition(".")
    return f"{stem}.v{version}.{ext}" if dot else f"{name}.v{version}"


def latest_artifact(artifacts: dict[str, str], name: str, version: int) -> str | None:
    """The newest existing version (up to ``version``) of the artifact ``name``."""
    for v in range(version, 0, -1):
        uri = artifacts.get(versioned(name, v))
        if uri is not None:
            return uri
    return None


@dataclass
class Attempt:
    """One adopted repair."""

    iteration: int
    diagnosis: Diagnosis
    repairer: str
    explanation: str
    spec_path: str

    def to_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "kind": self.diagnosis.kind, "element": self.diagnosis.element,
                "repairer": self.repairer, "explanation": self.explanation, "spec_path": self.spec_path}  # fmt: skip


@dataclass
class RemediationState:
    """The remediation of one run."""

    status: str = NOT_NEEDED
    iterations: int = 0
    attempts: list[Attempt] = field(default_factory=list)
    suite: SuiteState = field(default_factory=SuiteState)
    tried: set[str] = field(default_factory=set)


class Remediator:
    """Diagnoses failures of the remediable steps and repairs the spec, at most ``max_iterations`` times."""

    def __init__(self, repairers: list[Repairer] | None = None, *, max_iterations: int = 5) -> None:
        self.repairers = default_repairers() if repairers is None else list(repairers)
        self.max_iterations = max_iterations

    def recover(self, o: Orchestrator, ctx: RunContext, step: Step, error: DataMorphError) -> None:
        """Repair ``ctx.spec`` after ``error`` at ``step`` so the remediable steps can run again.

        Raises:
            DataMorphError: of ``error``'s type, when the loop gives up.
        """
        state: RemediationState = ctx.remediation
        if ctx.spec is None or ctx.catalog is None or isinstance(error, (LimitExceeded, SchemaChanged)):
            raise error  # no repair of the spec helps: a limit was hit, or a source changed under the run
        state.tried.add(ctx.spec.to_json())
        report = ctx.report if isinstance(error, ValidationFailed) else None
        diagnoses = diagnose(ctx.spec, error=error, report=report, checks=state.suite.checks, catalog=ctx.catalog)
        o.log(ctx, LogType.WARNING, f"Spec v{ctx.version} failed at {step.name}: diagnosis",
              " | ".join(d.describe() for d in diagnoses[:5]),
              step=step.name, diagnoses=[d.to_dict() for d in diagnoses[:10]])  # fmt: skip
        if state.iterations >= self.max_iterations:
            self._give_up(o, ctx, error, diagnoses, MAX_ITERATIONS_REACHED, [])
        rctx = RepairContext(ctx.catalog, ctx.engine, ctx.engine.dialect if ctx.engine else "duckdb")
        found = self._propose(ctx.spec, diagnoses, rctx, state)
        if found is None:
            self._give_up(o, ctx, error, diagnoses, NOT_REPAIRABLE, rctx.notes)
        assert found is not None
        self._adopt(o, ctx, *found)

    def _propose(self, spec: ETLSpec, diagnoses: list[Diagnosis], rctx: RepairContext,
                 state: RemediationState) -> tuple[Diagnosis, Repairer, Repair] | None:  # fmt: skip
        for d in diagnoses:
            for r in self.repairers:
                try:
                    repair = r.propose(spec, d, rctx)
                except DataMorphError as e:
                    rctx.notes.append(f"{r.name} failed: {e.message}")
                    continue
                if repair is None:
                    continue
                if repair.spec.to_json() in state.tried:
                    rctx.notes.append(f"{r.name} proposed a spec already tried ({repair.explanation})")
                    continue
                why = check_invariants(spec, repair.spec)
                if why is not None:
                    rctx.notes.append(f"{r.name}'s repair was refused: {why}")
                    continue
                return d, r, repair
        return None

    def _adopt(self, o: Orchestrator, ctx: RunContext, d: Diagnosis, r: Repairer, repair: Repair) -> None:
        state: RemediationState = ctx.remediation
        assert ctx.spec is not None
        old, old_name = ctx.spec, versioned("spec.json", ctx.version)
        state.iterations += 1
        ctx.version += 1
        name = versioned("spec.json", ctx.version)
        uri = o.put(ctx, name, repair.spec.to_json())
        diff = spec_diff(old, repair.spec, old_name, name)
        o.log(ctx, LogType.INFO, f"Remediation {state.iterations}: {repair.explanation}", diff,
              iteration=state.iterations, version=ctx.version, kind=d.kind, element=d.element,
              evidence=d.evidence, repairer=r.name, spec_path=uri, diff=diff)  # fmt: skip
        state.attempts.append(Attempt(state.iterations, d, r.name, repair.explanation, uri))
        state.status = REMEDIATED
        if ctx.staged and ctx.engine is not None:
            ctx.engine.drop_staged(ctx.staged)
        ctx.staged = ctx.compiled = ctx.sql = ctx.report = ctx.staged_rows = None
        ctx.spec = repair.spec

    def _give_up(self, o: Orchestrator, ctx: RunContext, error: DataMorphError, diagnoses: list[Diagnosis],
                 status: str, notes: list[str]) -> None:  # fmt: skip
        state: RemediationState = ctx.remediation
        state.status = status
        tried = "; ".join(f"v{a.iteration + 1}: {a.explanation}" for a in state.attempts) or "no repair applies"
        if status == MAX_ITERATIONS_REACHED:
            tried += f" (limit of {self.max_iterations} repairs reached, DATAMORPH_MAX_REMEDIATION_ITERATIONS)"
        failing = "; ".join(d.describe() for d in diagnoses[:3])
        names = [n for n in ctx.artifacts if re.match(r"^(spec|pipeline|validation)(\.v\d+)?\.(json|sql)$", n)]
        where = ""
        if names:
            first = ctx.artifacts[names[0]]
            where = f"; artifacts: {', '.join(names)} in {first.rpartition('/')[0] or first}"
        why = f"; notes: {'; '.join(dict.fromkeys(notes))}" if notes else ""
        message = _one_line(f"{error.message} [remediation {status} after {state.iterations} repair(s); "
                            f"tried: {tried}; still failing: {failing}{why}{where}]")  # fmt: skip
        raise type(error)(message, hint=error.hint, **error.context) from error


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text)
