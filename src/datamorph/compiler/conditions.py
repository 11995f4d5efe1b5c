"""Spec conditions (filters, having, qualify) as SQLGlot boolean expressions.

The caller supplies how a column name is resolved, so the same code builds
the WHERE clause of the pipeline and the assertions validation runs on the
staged table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlglot import exp

from datamorph.catalog import NUMERIC_FAMILIES, TypeFamily
from datamorph.compiler.expressions import parse_expression
from datamorph.errors import CompileError
from datamorph.spec import AllOf, AnyOf, Condition, ExpressionCondition, Filter, Not

# name -> (expression, family of its values)
NameResolver = Callable[[str], tuple[exp.Expr, TypeFamily]]
TreeResolver = Callable[[exp.Expr], exp.Expr]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


def compile_condition(cond: Condition, names: NameResolver, trees: TreeResolver) -> exp.Expr:
    """Translate one spec condition into a boolean expression."""
    if isinstance(cond, Filter):
        return compile_filter(cond, names)
    if isinstance(cond, AnyOf):
        return exp.or_(*(exp.paren(compile_condition(c, names, trees)) for c in cond.any_of))
    if isinstance(cond, AllOf):
        return exp.and_(*(exp.paren(compile_condition(c, names, trees)) for c in cond.all_of))
    if isinstance(cond, Not):
        return exp.not_(exp.paren(compile_condition(cond.not_, names, trees)))
    if isinstance(cond, ExpressionCondition):
        return trees(parse_expression(cond.expression, what="condition"))
    raise CompileError(f"unsupported condition {cond!r}")


def conjunction(conds: list[Condition], names: NameResolver, trees: TreeResolver) -> exp.Expr | None:
    parts = [compile_condition(c, names, trees) for c in conds]
    if not parts:
        return None
    return exp.and_(*(exp.paren(p) if isinstance(p, exp.Or) else p for p in parts))


def compile_filter(f: Filter, names: NameResolver) -> exp.Expr:
    col, family = names(f.column)
    op = f.operator
    if op == "is_null":
        return exp.Is(this=col, expression=exp.Null())
    if op == "is_not_null":
        return exp.not_(exp.Is(this=col, expression=exp.Null()))
    if f.value_column is not None:
        other, _ = names(f.value_column)
        return _compare(op, col, other)
    if op in ("in", "not_in"):
        values = [literal(v, family, f.column) for v in f.value]
        node = exp.In(this=col, expressions=values)
        return exp.not_(node) if op == "not_in" else node
    if op in ("between", "not_between"):
        lo, hi = (literal(v, family, f.column) for v in f.value)
        between = exp.Between(this=col, low=lo, high=hi)
        return exp.not_(between) if op == "not_between" else between
    if op in ("like", "not_like", "ilike"):
        pattern = exp.Literal.string(str(f.value))
        if op == "ilike":
            return exp.ILike(this=col, expression=pattern)
        like = exp.Like(this=col, expression=pattern)
        return exp.not_(like) if op == "not_like" else like
    if op in ("contains", "starts_with", "ends_with"):
        text = _escape_like(str(f.value))
        wildcards = {"contains": f"%{text}%", "starts_with": f"{text}%", "ends_with": f"%{text}"}[op]
        return exp.Escape(this=exp.Like(this=col, expression=exp.Literal.string(wildcards)),
                          expression=exp.Literal.string("\\"))  # fmt: skip
    return _compare(op, col, literal(f.value, family, f.column))


def _compare(op: str, left: exp.Expr, right: exp.Expr) -> exp.Expr:
    cls = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
    return cls(this=left, expression=right)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def literal(value: Any, family: TypeFamily, column: str) -> exp.Expr:
    """A SQL literal for ``value`` compared with a column of ``family``.

    Raises:
        CompileError: the value cannot be compared with that column (a type mismatch).
    """
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        if family not in ("boolean", "other"):
            raise _mismatch(column, family, value)
        return exp.Boolean(this=value)
    if isinstance(value, (int, float, Decimal)):
        if family in NUMERIC_FAMILIES or family == "other":
            return exp.Literal.number(value)
        raise _mismatch(column, family, value)
    if isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, str):
        if family in NUMERIC_FAMILIES:
            raise _mismatch(column, family, value)
        if family == "date":
            if _DATE_RE.match(value):
                return exp.cast(exp.Literal.string(value), exp.DataType.Type.DATE)
            if _TS_RE.match(value):
                return exp.cast(exp.Literal.string(value.replace("T", " ")), exp.DataType.Type.TIMESTAMP)
            raise _mismatch(column, family, value)
        if family == "timestamp":
            if _DATE_RE.match(value) or _TS_RE.match(value):
                return exp.cast(exp.Literal.string(value.replace("T", " ")), exp.DataType.Type.TIMESTAMP)
            raise _mismatch(column, family, value)
        if family == "boolean":
            low = value.strip().lower()
            if low in ("true", "false"):
                return exp.Boolean(this=low == "true")
            raise _mismatch(column, family, value)
        return exp.Literal.string(value)
    raise CompileError(f"filter on '{column}': cannot use a {type(value).__name__} value ({value!r})")


def _mismatch(column: str, family: TypeFamily, value: Any) -> CompileError:
    want = {
        "integer": "a number", "decimal": "a number", "float": "a number", "date": "a date like '2024-01-31'",
        "timestamp": "a timestamp like '2024-01-31 12:00:00'", "boolean": "true or false", "text": "text",
    }.get(family, "a matching value")  # fmt: skip
    return CompileError(
        f"type mismatch: '{column}' is {family} but is compared with {value!r}",
        hint=f"compare it with {want}",
        column=column,
    )
