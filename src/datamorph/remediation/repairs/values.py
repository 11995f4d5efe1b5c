"""Values in conditions: a literal of the wrong type → converted; a text value that matches nothing → the data's."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from datamorph.catalog import TypeFamily
from datamorph.compiler.conditions import literal
from datamorph.compiler.expressions import SPEC_DIALECT, parse_expression
from datamorph.errors import DataMorphError
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis, Repair, RepairContext
from datamorph.remediation.literals import convert_literal
from datamorph.remediation.probes import near_values
from datamorph.remediation.spec_edit import (
    block_conditions,
    blocks,
    condition_kind,
    get_at,
    place,
    spec_dict,
    to_spec,
)
from datamorph.spec import ETLSpec


class LiteralTypeRepairer:
    """``amount > "1000"`` → ``amount > 1000``; ``order_date >= "Jan 31 2024"`` → ``"2024-01-31"``.

    For a compile-time type mismatch, every value of the conditions on that column that
    the column's type does not accept is converted (numbers with thousands separators or
    a currency sign, dates in other formats, yes/no for booleans, numbers for text). For an
    engine conversion error, the string literal it names is converted wherever the spec
    writes it. A value that reads two ways (``"03/04/2024"``) or not at all is left alone,
    and nothing is proposed.
    """

    name = "literal_type"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        if diagnosis.kind != k.TYPE_MISMATCH:
            return None
        family: TypeFamily = diagnosis.detail.get("family", "other")
        data = spec_dict(spec)
        changes: list[str] = []
        if diagnosis.detail.get("literal"):
            ok = _convert_written_literal(data, str(diagnosis.detail.get("value")), family, changes)
        else:
            ok = _convert_filter_values(data, str(diagnosis.detail.get("column")), family, changes)
        if not ok:
            context.notes.append(f"cannot read {diagnosis.detail.get('value')} as {family}")
            return None
        if not changes:
            return None
        new = to_spec(data)
        if new is None or new == spec:
            return None
        return Repair(new, "converted the value to the column's type: " + "; ".join(changes))


def _convert_filter_values(data: dict, column: str, family: TypeFamily, changes: list[str]) -> bool:
    for prefix, block in blocks(data):
        for path, cond, _clause in block_conditions(block):
            if condition_kind(cond) != "filter" or cond.get("column", "").lower() != column.lower():
                continue
            if cond.get("value") is None:
                continue
            values = cond["value"] if isinstance(cond["value"], list) else [cond["value"]]
            converted = []
            for v in values:
                if _accepted(v, family):
                    converted.append(v)
                    continue
                ok, new = convert_literal(v, family)
                if not ok or not _accepted(new, family):
                    return False
                converted.append(new)
                changes.append(f"{place((*prefix, *path))}: {v!r} → {new!r}")
            cond["value"] = converted if isinstance(cond["value"], list) else converted[0]
    return True


def _accepted(value: Any, family: TypeFamily) -> bool:
    try:
        literal(value, family, "x")
        return True
    except DataMorphError:
        return False


_FRAGMENTS = (("derived_columns", "expression"), ("aggregations", "expression"), ("columns", "expression"),
              ("windows", "expression"))  # fmt: skip


def _convert_written_literal(data: dict, value: str, family: TypeFamily, changes: list[str]) -> bool:
    ok, new = convert_literal(value, family)
    if not ok:
        return False
    node: exp.Expr = exp.Literal.number(new) if isinstance(new, (int, float)) and not isinstance(new, bool) \
        else exp.Boolean(this=new) if isinstance(new, bool) else exp.Literal.string(str(new))  # fmt: skip
    for prefix, block in blocks(data):
        for path, cond, _clause in block_conditions(block):
            kind = condition_kind(cond)
            if kind == "filter" and cond.get("value") is not None:
                vals = cond["value"] if isinstance(cond["value"], list) else [cond["value"]]
                if value in vals:
                    fixed = [new if v == value else v for v in vals]
                    cond["value"] = fixed if isinstance(cond["value"], list) else fixed[0]
                    changes.append(f"{place((*prefix, *path))}: {value!r} → {new!r}")
            elif kind == "expression":
                _in_sql(cond, "expression", value, node, changes, place((*prefix, *path)))
        for key, field in _FRAGMENTS:
            for i, item in enumerate(block.get(key) or []):
                if item.get(field):
                    _in_sql(item, field, value, node, changes, place((*prefix, key, i)))
    return True


def _in_sql(holder: dict, field: str, value: str, node: exp.Expr, changes: list[str], where: str) -> None:
    try:
        tree = parse_expression(holder[field])
    except DataMorphError:
        return
    hits = [lit for lit in tree.find_all(exp.Literal) if lit.is_string and lit.this == value]
    for lit in hits:
        lit.replace(node.copy())
    if hits:
        holder[field] = tree.sql(dialect=SPEC_DIALECT)
        changes.append(f"{where}: {value!r} → {node.sql(dialect=SPEC_DIALECT)}")


class FilterValueRepairer:
    """``status = 'Completed'`` matching nothing while the data has ``'completed'`` → the data's value.

    Asks the data for the distinct values of the column equal to the filter value up to
    case and spacing (``_``, ``-`` and blanks); a value with exactly one such match is
    replaced by it. Values that occur as written are kept; a value with several matches
    ('Web' and 'WEB' both present) is ambiguous, and nothing is proposed.
    """

    name = "filter_value"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        d = diagnosis.detail
        if diagnosis.kind != k.FILTER_VALUE_MISMATCH or context.engine is None or "path" not in d:
            return None
        data = spec_dict(spec)
        try:
            cond = get_at(data, (*d.get("block", []), *d["path"]))
        except (KeyError, IndexError, TypeError):
            return None
        values = cond.get("value")
        listed = values if isinstance(values, list) else [values]
        if not all(isinstance(v, str) for v in listed):
            return None
        try:
            near = near_values(context.engine, d["table"], d["column"], listed)
        except DataMorphError as e:
            context.notes.append(f"could not read the values of {d['table']}.{d['column']}: {e.message}")
            return None
        fixed, changes = [], []
        for v in listed:
            options = near.get(v, [])
            if v in options or not options:
                fixed.append(v)
            elif len(options) == 1:
                fixed.append(options[0])
                changes.append(f"{v!r} → {options[0]!r}")
            else:
                context.notes.append(f"{v!r} could be any of {options} in {d['table']}.{d['column']}")
                return None
        if not changes:
            return None
        cond["value"] = fixed if isinstance(values, list) else fixed[0]
        new = to_spec(data)
        if new is None:
            return None
        where = place(tuple(d["path"]))
        return Repair(new, f"matched the value in {where} to the data of {d['table']}.{d['column']}: "
                           + ", ".join(changes))  # fmt: skip
