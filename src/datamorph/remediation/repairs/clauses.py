"""Conditions in the wrong clause: on an aggregate in ``filters`` → ``having``, and the reverse."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from sqlglot import exp

from datamorph.compiler.expressions import contains_aggregate, parse_expression
from datamorph.errors import DataMorphError
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis, Repair, RepairContext
from datamorph.remediation.repairs.common import aggregate_names
from datamorph.remediation.spec_edit import blocks, condition_kind, spec_dict, to_spec, walk_condition
from datamorph.spec import Condition, ETLSpec, describe_condition


class ClausePlacementRepairer:
    """Moves whole conditions between ``filters`` and ``having``; never drops or splits one.

    * A filter that aggregates (``sum(o.amount) > 1000``) or names an aggregation alias or a
      derived column computed from aggregates → ``having``, when the block groups.
    * A ``having`` condition with no aggregate that reads a column the block does not group
      by (``o.status = 'completed'``) → ``filters``: a row condition.

    A condition that mixes both (an aggregate and an ungrouped column) stays where it is.
    """

    name = "clause_placement"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        if diagnosis.kind == k.AGGREGATE_IN_FILTERS:
            frm, to = "filters", "having"
        elif diagnosis.kind == k.PLAIN_COLUMN_IN_HAVING:
            frm, to = "having", "filters"
        else:
            return None
        data = spec_dict(spec)
        moved: list[str] = []
        for _prefix, block in blocks(data):
            if to == "having" and not (block.get("aggregations") or block.get("group_by")):
                continue
            aggs = aggregate_names(block)
            groups = {g.split(".")[-1].lower() for g in block.get("group_by") or []} | \
                {g.lower() for g in block.get("group_by") or []}  # fmt: skip
            keep: list[dict[str, Any]] = []
            move: list[dict[str, Any]] = []
            for cond in block.get(frm) or []:
                kind = _classify(cond, aggs, groups)
                (move if kind == ("aggregate" if to == "having" else "plain") else keep).append(cond)
            if move:
                block[frm] = keep
                block[to] = (block.get(to) or []) + move
                moved += [_describe(c) for c in move]
        if not moved:
            return None
        new = to_spec(data)
        if new is None:
            return None
        why = "they aggregate" if to == "having" else "they test rows, not groups"
        return Repair(new, f"moved {', '.join(moved)} from {frm} to {to} ({why})")


def _classify(cond: dict[str, Any], aggs: set[str], groups: set[str]) -> str:
    """'aggregate' (every leaf about groups, one at least aggregating), 'plain' (a row condition) or 'mixed'."""
    kinds = set()
    for _p, c in walk_condition(cond, ()):
        kind = condition_kind(c)
        if kind == "filter":
            names = [c.get("column", "")] + ([c["value_column"]] if c.get("value_column") else [])
            kinds.add(_leaf_kind(names, aggs, groups))
        elif kind == "expression":
            kinds.add(_leaf_kind([c.get("expression", "")], aggs, groups))
    if "aggregate" in kinds and kinds <= {"aggregate", "group"}:
        return "aggregate"
    if "plain" in kinds and kinds <= {"plain", "group"}:
        return "plain"
    return "mixed" if kinds - {"group"} else "group"


def _leaf_kind(texts: list[str], aggs: set[str], groups: set[str]) -> str:
    aggregating, plain = False, False
    for text in texts:
        try:
            tree = parse_expression(text)
        except DataMorphError:
            return "mixed"
        if contains_aggregate(tree):
            aggregating = True
        inside = {id(c) for a in tree.find_all(exp.AggFunc) for c in a.find_all(exp.Column)}
        for col in tree.find_all(exp.Column):
            if id(col) in inside:
                continue
            low, full = col.name.lower(), (f"{col.table}.{col.name}" if col.table else col.name).lower()
            if not col.table and low in aggs:
                aggregating = True
            elif full not in groups and low not in groups:
                plain = True
    if aggregating and not plain:
        return "aggregate"
    if plain and not aggregating:
        return "plain"
    return "mixed" if aggregating else "group"


def _describe(cond: dict[str, Any]) -> str:
    try:
        return describe_condition(_CONDITION.validate_python(cond))
    except ValueError:
        return str(cond)


_CONDITION: TypeAdapter[Condition] = TypeAdapter(Condition)
