"""What went wrong: a compile error, an engine error or a failing validation report → diagnoses.

Compile errors carry their context (``column=``, ``table=``) and a message in a known
form; engine errors are read from the engine's message; a failing report is read test by
test, source checks (:mod:`datamorph.validation.source_checks`) naming the spec element
they looked at. Every diagnosis says its kind, the spec element and the evidence. A
failure no rule recognises becomes one diagnosis of kind ``unknown`` (no repairer takes it).
"""

from __future__ import annotations

import re

from datamorph.catalog import Catalog, TypeFamily
from datamorph.errors import CompileError, DataMorphError, ExecutionError, SpecError, ValidationFailed
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis
from datamorph.remediation.literals import family_of_sql_type
from datamorph.remediation.spec_edit import family_fits
from datamorph.spec import ETLSpec
from datamorph.validation.model import ValidationReport
from datamorph.validation.source_checks import SourceCheck

_CHECK_KINDS = {
    "join_key_overlap": k.JOIN_KEY_MISMATCH,
    "join_fanout": k.JOIN_FANOUT,
    "filter_value": k.FILTER_VALUE_MISMATCH,
    "finite": k.DIVISION_BY_ZERO,
}


def diagnose(
    spec: ETLSpec,
    *,
    error: DataMorphError | None = None,
    report: ValidationReport | None = None,
    checks: dict[str, SourceCheck] | None = None,
    catalog: Catalog | None = None,
) -> list[Diagnosis]:
    """The faults behind ``error`` (or behind the failures of ``report``), most specific first."""
    if isinstance(error, ValidationFailed) or (error is None and report is not None):
        return _from_report(report, checks or {}) if report is not None else [_unknown(error, "validation")]
    if isinstance(error, (CompileError, SpecError)):
        return [_from_compile(error)]
    if isinstance(error, ExecutionError):
        return _from_engine(spec, error, catalog)
    return [_unknown(error, "compile")] if error is not None else []


def _unknown(error: DataMorphError | None, source: str) -> Diagnosis:
    return Diagnosis(k.UNKNOWN, "the spec", error.message if error else "unknown failure", source)


# -- compile errors ------------------------------------------------------------------------


def _from_compile(e: DataMorphError) -> Diagnosis:
    msg, ctx = e.message, e.context
    m = re.search(r"unknown column '([^']+)'", msg)
    if m:
        column = str(ctx.get("column") or m.group(1))
        table = ctx.get("table")
        where = f"{table}.{column}" if table else column
        return Diagnosis(k.UNKNOWN_COLUMN, f"column '{where}'", msg, "compile",
                         {"column": column.split(".")[-1], "table": table,
                          "qualifier": column.split(".")[0] if "." in column else None})  # fmt: skip
    m = re.search(r"ambiguous column '([^']+)'", msg)
    if m:
        return Diagnosis(k.AMBIGUOUS_COLUMN, f"column '{m.group(1)}'", str(e), "compile", {"column": m.group(1)})
    m = re.search(r"type mismatch: '([^']+)' is (\w+) but is compared with (.+)$", msg)
    if m:
        return Diagnosis(k.TYPE_MISMATCH, f"the condition on '{m.group(1)}'", str(e), "compile",
                         {"column": m.group(1), "family": m.group(2), "value": m.group(3)})  # fmt: skip
    m = re.search(r"'([^']+)' is an aggregate; a condition on it belongs in having", msg)
    if m:
        return Diagnosis(k.AGGREGATE_IN_FILTERS, f"filters on '{m.group(1)}'", msg, "compile", {"name": m.group(1)})
    return Diagnosis(k.UNKNOWN, "the spec", str(e), "compile")


# -- engine errors ---------------------------------------------------------------------------


def _from_engine(spec: ETLSpec, e: ExecutionError, catalog: Catalog | None) -> list[Diagnosis]:
    msg = e.message
    if "WHERE clause cannot contain aggregates" in msg:
        return [Diagnosis(k.AGGREGATE_IN_FILTERS, "filters", msg, "engine", {"name": None})]
    m = re.search(r'column "([^"]+)" must appear in the GROUP BY clause', msg)
    if m and any(b.having for b in spec.blocks()):
        return [Diagnosis(k.PLAIN_COLUMN_IN_HAVING, f"having on '{m.group(1)}'", msg, "engine",
                          {"column": m.group(1)})]  # fmt: skip
    if re.search(r"Division by zero|Could not cast value -?(inf|nan)\b", msg, re.I):
        m = re.search(r"in expression \((.+?)\)\.", msg)
        return [Diagnosis(k.DIVISION_BY_ZERO, f"the expression {m.group(1) if m else 'with a division'}", msg,
                          "engine", {"expression": m.group(1) if m else None})]  # fmt: skip
    out: list[Diagnosis] = []
    if re.search(r"when casting from source column|Cannot compare values of type|Unimplemented type for cast"
                 r"|No function matches the given name and argument types '(=|equals)", msg, re.I):  # fmt: skip
        for path in _joins_with_incompatible_keys(spec, catalog):
            out.append(Diagnosis(k.JOIN_KEY_MISMATCH, f"join_conditions[{path[-1]}]", msg, "engine",
                                 {"block": list(path[:-1]), "join": path[-1]}))  # fmt: skip
    literal = _literal_in(msg)
    if literal and not out:
        value, family = literal
        out.append(Diagnosis(k.TYPE_MISMATCH, f"the literal '{value}'", msg, "engine",
                             {"value": value, "family": family, "literal": True}))  # fmt: skip
    return out or [Diagnosis(k.UNKNOWN, "the generated SQL", msg, "engine")]


def _literal_in(msg: str) -> tuple[str, str] | None:
    """(value, family) of a string literal the engine could not convert, if the message names one."""
    if "when casting from source column" in msg:
        return None  # a column's values, not a literal
    m = re.search(r"Could not convert string '(.*?)' to (\w+)", msg)
    if m:
        value, type_ = m.group(1), m.group(2)
    else:
        m = re.search(r'invalid (date|timestamp) field format: "(.*?)"', msg)
        if not m:
            return None
        value, type_ = m.group(2), m.group(1)
    family = family_of_sql_type(type_)
    return (value, family) if family else None


def _joins_with_incompatible_keys(spec: ETLSpec, catalog: Catalog | None) -> list[tuple]:
    """Paths (block path + join index) of the joins whose key columns cannot be compared."""
    if catalog is None:
        return []
    out = []
    for bi, block in enumerate(spec.blocks()):
        prefix: tuple = () if bi == 0 else ("union", "blocks", bi - 1)
        refs = {(s.alias or s.table_name).lower(): s.table_name for s in block.source_tables}
        refs.update({s.table_name.lower(): s.table_name for s in block.source_tables})
        for j, jc in enumerate(block.join_conditions):
            for pair in jc.on_columns:
                fams: list[TypeFamily | None] = []
                for side, name in ((jc.left_table, pair.left), (jc.right_table, pair.right)):
                    table = refs.get((name.rsplit(".", 1)[0] if "." in name else side).lower())
                    try:
                        fams.append(catalog.table(table or side).column(name.split(".")[-1]).family)
                    except DataMorphError:
                        fams.append(None)
                left_fam, right_fam = fams
                if left_fam is not None and right_fam is not None and not family_fits(left_fam, right_fam):
                    out.append((*prefix, j))
                    break
    return out


# -- validation failures -----------------------------------------------------------------------


def _from_report(report: ValidationReport, checks: dict[str, SourceCheck]) -> list[Diagnosis]:
    known, unknown = [], []
    for t in report.failures():
        check = checks.get(t.test_id)
        evidence = f"test {t.test_id} failed: {t.message or t.use_case}"
        if check is not None and check.kind in _CHECK_KINDS:
            d = check.detail
            element = _element(check.kind, d)
            known.append(Diagnosis(_CHECK_KINDS[check.kind], element, evidence, "validation", dict(d)))
        else:
            unknown.append(Diagnosis(k.UNKNOWN, f"test {t.test_id}", evidence, "validation"))
    return known + unknown


def _element(kind: str, d: dict) -> str:
    if kind == "join_key_overlap":
        return f"join_conditions[{d.get('join')}] ({d.get('left')}–{d.get('right')})"
    if kind == "join_fanout":
        return f"join_conditions[{d.get('join')}] (lookup {d.get('lookup_table')})"
    if kind == "filter_value":
        return f"the filter on {d.get('table')}.{d.get('column')} ({d.get('values')})"
    return f"output column '{d.get('output')}'"
