"""Division by zero → the denominator made null-safe: ``a / b`` → ``a / NULLIF(b, 0)``."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from datamorph.compiler.expressions import SPEC_DIALECT, parse_expression
from datamorph.errors import DataMorphError
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis, Repair, RepairContext
from datamorph.remediation.spec_edit import blocks, place, spec_dict, to_spec
from datamorph.spec import ETLSpec

_DIVISIONS = (exp.Div, exp.IntDiv, exp.Mod)


class DivisionRepairer:
    """Makes the divisions behind a division by zero null-safe; a row with a zero denominator gets NULL.

    From an engine error (``//`` or ``%`` by zero, or ``inf`` that cannot be stored), every
    integer division and modulo of the spec's expressions (and every division, for ``inf``);
    from a failing ``data_quality_finite_COL`` test, the divisions in the expressions that
    compute COL (its derived column, aggregation or output expression, and the derived
    columns those read). Literal non-zero denominators and ``NULLIF(x, 0)`` are left as
    they are.
    """

    name = "division_by_zero"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        if diagnosis.kind != k.DIVISION_BY_ZERO:
            return None
        data = spec_dict(spec)
        changes: list[str] = []
        output = diagnosis.detail.get("output")
        kinds: tuple[type[exp.Expr], ...] = _DIVISIONS
        if output is None and "inf" not in diagnosis.evidence.lower():
            kinds = (exp.IntDiv, exp.Mod)
        for prefix, block in blocks(data):
            for path, holder, field in _fragments(block, output if not prefix else None):
                if _null_safe(holder, field, kinds):
                    changes.append(place((*prefix, *path)))
        if not changes:
            return None
        new = to_spec(data)
        if new is None:
            return None
        return Repair(new, f"made the division null-safe (NULLIF(denominator, 0)) in {', '.join(changes)}: "
                           "a zero denominator gives NULL instead of an error or infinity")  # fmt: skip


def _fragments(block: dict[str, Any], output: str | None) -> list[tuple[tuple, dict[str, Any], str]]:
    """(path, holder, field) of the SQL fragments to fix: all, or those computing ``output``."""
    derived = {d["name"].lower(): (("derived_columns", i), d) for i, d in enumerate(block.get("derived_columns") or [])}
    every = [(p, h, "expression") for p, h in derived.values()]
    for key in ("aggregations", "columns", "windows"):
        every += [((key, i), h, "expression") for i, h in enumerate(block.get(key) or []) if h.get("expression")]
    if output is None:
        return every
    low = output.lower()
    roots = [(p, h, f) for p, h, f in every
             if (h.get("name") or h.get("alias") or "").lower() == low]  # fmt: skip
    out, seen = [], set()
    todo = list(roots)
    while todo:
        p, h, f = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        out.append((p, h, f))
        try:
            tree = parse_expression(h[f])
        except DataMorphError:
            continue
        for col in tree.find_all(exp.Column):
            ref = derived.get(col.name.lower()) if not col.table else None
            if ref is not None:
                todo.append((ref[0], ref[1], "expression"))
    return out


def _null_safe(holder: dict[str, Any], field: str, kinds: tuple[type[exp.Expr], ...]) -> bool:
    try:
        tree = parse_expression(holder[field])
    except DataMorphError:
        return False
    changed = False
    for node in list(tree.find_all(*kinds)):
        den = node.expression
        inner = den.unnest() if isinstance(den, exp.Paren) else den
        if isinstance(inner, exp.Nullif) or (isinstance(inner, exp.Literal) and not inner.is_string
                                            and _nonzero(inner.this)):  # fmt: skip
            continue
        node.set("expression", exp.Nullif(this=inner.copy(), expression=exp.Literal.number(0)))
        changed = True
    if changed:
        holder[field] = tree.sql(dialect=SPEC_DIALECT)
    return changed


def _nonzero(text: str) -> bool:
    try:
        return float(text) != 0
    except ValueError:
        return False
