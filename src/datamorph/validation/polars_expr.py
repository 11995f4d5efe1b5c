"""SQL fragments of a spec as Polars expressions, for the differential check.

The spec's SQL fragments (derived columns, aggregation expressions, expression
conditions) are parsed with SQLGlot and the tree is translated here, node by
node, into Polars expressions with DuckDB's semantics: three-valued logic,
``/`` always a float division, ``round`` half away from zero, ``CAST(x AS
INTEGER)`` rounding, ``||`` NULL when an operand is NULL. Nothing here uses the
SQL compiler (``datamorph.compiler``): the check is worth something only if the
two evaluations share no code.

Every translated expression carries a *kind* (``int``, ``float``, ``decimal``,
``text``, ``bool``, ``date``, ``timestamp``, ``null`` or ``other``) so that
literals are compared the way DuckDB casts them and decimals are rounded like
exact decimals. Decimal values are held as Float64 (the comparison has a
tolerance). A node outside the supported subset raises
:class:`DifferentialUnsupported`, never a guess.

Polars is imported inside the functions (it is an optional dependency).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlglot
from sqlglot import exp

from datamorph.spec import AllOf, AnyOf, Condition, ExpressionCondition, Filter, Not

NUMERIC_KINDS = frozenset({"int", "float", "decimal"})
_NO_LITERAL = object()

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")

# date_trunc units -> Polars truncate intervals
_TRUNC_UNITS = {
    "year": "1y", "quarter": "1q", "month": "1mo", "week": "1w", "day": "1d",
    "hour": "1h", "minute": "1m", "second": "1s",
}  # fmt: skip


class DifferentialUnsupported(Exception):
    """The spec uses something the Polars evaluation does not support; the check is skipped with this reason."""


class DifferentialAmbiguous(DifferentialUnsupported):
    """The spec does not determine a single result on this data (e.g. ties in a dedupe order)."""


@dataclass
class Typed:
    """A Polars expression and the kind of its values (see the module docstring)."""

    expr: Any
    kind: str
    literal: Any = field(default=_NO_LITERAL, repr=False)  # the Python value, for literals

    @property
    def is_literal(self) -> bool:
        return self.literal is not _NO_LITERAL


def kind_of_dtype(dtype: Any) -> str:
    """The kind of a Polars data type."""
    import polars as pl

    if dtype == pl.Null:
        return "null"
    if isinstance(dtype, pl.Decimal):
        return "decimal"
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    return "other"


@functools.cache
def _nulls_equal_name() -> str:
    import inspect

    import polars as pl

    # Polars renamed join(join_nulls=) to join(nulls_equal=) in 1.x
    return "nulls_equal" if "nulls_equal" in inspect.signature(pl.DataFrame.join).parameters else "join_nulls"


def nulls_equal(value: bool) -> dict[str, bool]:
    """The keyword that says whether NULL keys match in a Polars join (its name depends on the version)."""
    return {_nulls_equal_name(): value}


def parse_fragment(text: str, what: str) -> exp.Expr:
    """Parse one SQL expression of the spec (DuckDB SQL)."""
    try:
        tree = sqlglot.parse_one(text.strip(), read="duckdb")
    except Exception as e:  # sqlglot raises ParseError, TokenError, ValueError...
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise DifferentialUnsupported(f"{what}: cannot parse {text!r}: {first}") from None
    if tree is None:
        raise DifferentialUnsupported(f"{what}: cannot parse {text!r}")
    return tree


def column_node(name: str) -> exp.Column:
    """A column reference ``name`` or ``qualifier.name`` as a SQLGlot node (no parsing: names may be keywords)."""
    parts = name.strip().split(".")
    if len(parts) > 2:
        parts = parts[-2:]
    table = parts[0] if len(parts) == 2 else None
    return exp.column(parts[-1], table=table, quoted=True)


def lit(value: Any) -> Typed:
    """A Python value as a typed Polars literal."""
    import polars as pl

    if value is None:
        return Typed(pl.lit(None), "null", None)
    if isinstance(value, bool):
        return Typed(pl.lit(value, dtype=pl.Boolean), "bool", value)
    if isinstance(value, int):
        return Typed(pl.lit(value, dtype=pl.Int64), "int", value)
    if isinstance(value, float):
        return Typed(pl.lit(value, dtype=pl.Float64), "float", value)
    if isinstance(value, dt.datetime):
        return Typed(pl.lit(value, dtype=pl.Datetime("us")), "timestamp", value)
    if isinstance(value, dt.date):
        return Typed(pl.lit(value, dtype=pl.Date), "date", value)
    if isinstance(value, str):
        return Typed(pl.lit(value, dtype=pl.String), "text", value)
    if isinstance(value, Decimal):
        return Typed(pl.lit(float(value), dtype=pl.Float64), "decimal", float(value))
    raise DifferentialUnsupported(f"cannot use a {type(value).__name__} value ({value!r})")


def _text_to(value: str, kind: str) -> Typed | None:
    """A text literal as DuckDB would cast it to compare with a value of ``kind`` (None: not castable)."""
    v = value.strip()
    try:
        if kind == "date":
            if _DATE_RE.match(v):
                return lit(dt.date.fromisoformat(v))
            if _TS_RE.match(v):
                return lit(dt.datetime.fromisoformat(v.replace("T", " ")))
        elif kind == "timestamp":
            if _DATE_RE.match(v) or _TS_RE.match(v):
                return lit(dt.datetime.fromisoformat(v.replace("T", " ")))
        elif kind in NUMERIC_KINDS:
            num = float(v) if re.search(r"[.eE]", v) else int(v)
            return lit(num)
        elif kind == "bool" and v.lower() in ("true", "false"):
            return lit(v.lower() == "true")
    except ValueError:
        return None
    return None


def comparable(a: Typed, b: Typed) -> tuple[Any, Any]:
    """The two sides of a comparison, cast the way DuckDB compares them."""
    import polars as pl

    ka, kb = a.kind, b.kind
    if "null" in (ka, kb) or ka == kb or (ka in NUMERIC_KINDS and kb in NUMERIC_KINDS):
        return a.expr, b.expr
    if {ka, kb} == {"date", "timestamp"}:
        cast = (lambda t: t.expr.cast(pl.Datetime("us")) if t.kind == "date" else t.expr)  # noqa: E731
        return cast(a), cast(b)
    for x, y, flip in ((a, b, False), (b, a, True)):
        if x.kind == "text" and x.is_literal and isinstance(x.literal, str):
            conv = _text_to(x.literal, y.kind)
            if conv is not None:
                if conv.kind == "timestamp" and y.kind == "date":
                    y_expr = y.expr.cast(pl.Datetime("us"))
                else:
                    y_expr = y.expr
                return (y_expr, conv.expr) if flip else (conv.expr, y_expr)
    raise DifferentialUnsupported(f"comparing a {ka} value with a {kb} value")


def _supertype(kinds: list[str], what: str) -> str:
    ks = [k for k in kinds if k != "null"]
    if not ks:
        return "null"
    if all(k == ks[0] for k in ks):
        return ks[0]
    if all(k in NUMERIC_KINDS for k in ks):
        return "float" if "float" in ks else "decimal" if "decimal" in ks else "int"
    if set(ks) == {"date", "timestamp"}:
        return "timestamp"
    raise DifferentialUnsupported(f"{what}: mixes {', '.join(sorted(set(ks)))} values")


def _cast_to_kind(t: Typed, kind: str) -> Any:
    import polars as pl

    if t.kind == kind or kind in ("null", "other"):
        return t.expr
    if kind in ("float", "decimal"):
        return t.expr.cast(pl.Float64)
    if kind == "int":
        return t.expr.cast(pl.Int64)
    if kind == "timestamp":
        return t.expr.cast(pl.Datetime("us"))
    if kind == "text":
        return t.expr.cast(pl.String)
    return t.expr


def round_half_away(v: Any) -> Any:
    """Round to an integer, half away from zero (C's ``round``, DuckDB's ``round`` of a DOUBLE)."""
    return (v.abs() + 0.5).floor() * v.sign()


def round_decimal_exact(v: Any) -> Any:
    """Round a float that stands for an exact decimal, half away from zero.

    ``2.675`` is ``2.67499999...`` as a double; as a DECIMAL it is exactly a tie and
    DuckDB rounds it up. A nudge far below the decimal's resolution restores that.
    """
    a = v.abs()
    return (a + 0.5 + 1e-9 + a * 1e-14).floor() * v.sign()


def round_half_even(v: Any) -> Any:
    """Round to an integer, half to even (DuckDB's DOUBLE → INTEGER cast)."""
    import polars as pl

    f = v.floor()
    d = v - f
    even = (f % 2) == 0
    return pl.when(d > 0.5).then(f + 1).when(d < 0.5).then(f).when(even).then(f).otherwise(f + 1)


def sql_round(t: Typed, decimals: int) -> Typed:
    """DuckDB's ``round(x, decimals)``."""
    import polars as pl

    if t.kind in ("int", "null"):
        if decimals >= 0:
            return t
        m = 10.0 ** (-decimals)
        return Typed((round_half_away(t.expr.cast(pl.Float64) / m) * m).cast(pl.Int64), "int")
    if t.kind not in ("float", "decimal"):
        raise DifferentialUnsupported(f"round() of a {t.kind} value")
    m = 10.0**decimals
    v = t.expr.cast(pl.Float64) * m
    r = round_decimal_exact(v) if t.kind == "decimal" else round_half_away(v)
    out = r / m
    if t.kind == "float":  # DuckDB returns non-finite doubles unchanged
        out = pl.when(v.is_finite()).then(out).otherwise(t.expr.cast(pl.Float64))
    return Typed(out, t.kind)


def like_regex(pattern: str, escape: str | None = None) -> str:
    """A SQL LIKE pattern as an anchored regular expression."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if escape is not None and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return "(?s)^" + "".join(out) + "$"


_INTEGER_TYPES = frozenset({
    "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "BIGINT", "INT128", "HUGEINT",
    "UTINYINT", "USMALLINT", "UMEDIUMINT", "UINT", "UBIGINT", "UINT128",
})  # fmt: skip

_AGG_NODES: tuple[type[exp.Expr], ...] = (exp.Sum, exp.Avg, exp.Count, exp.Min, exp.Max)

ColumnResolver = Callable[[exp.Column], Typed]
AggregateResolver = Callable[[exp.Expr], Typed]


def is_aggregate_call(node: exp.Expr) -> bool:
    return isinstance(node, _AGG_NODES) or (isinstance(node, exp.Filter) and isinstance(node.this, _AGG_NODES))


def contains_aggregate_call(tree: exp.Expr) -> bool:
    return any(is_aggregate_call(n) for n in tree.walk())


class Translator:
    """Translate a SQLGlot expression into a typed Polars expression.

    ``columns`` resolves column references (the context: joined rows, groups,
    output); ``aggregate`` turns an aggregate call into a column of the grouped
    frame (None where aggregates are not allowed).
    """

    def __init__(
        self,
        columns: ColumnResolver,
        *,
        aggregate: AggregateResolver | None = None,
        div_by_zero: str = "ieee",
    ) -> None:
        self.columns = columns
        self.aggregate = aggregate
        self.div_by_zero = div_by_zero

    def __call__(self, node: exp.Expr) -> Typed:
        if is_aggregate_call(node):
            if self.aggregate is None:
                raise DifferentialUnsupported(f"aggregate {node.sql(dialect='duckdb')} is not allowed here")
            return self.aggregate(node)
        method = getattr(self, f"_t_{type(node).__name__}", None)
        if method is None:
            raise DifferentialUnsupported(
                f"{node.sql(dialect='duckdb')!r} uses {type(node).__name__}, which the Polars evaluation does not support"
            )
        return method(node)

    # -- leaves ----------------------------------------------------------------------
    def _t_Column(self, node: exp.Column) -> Typed:
        if isinstance(node.this, exp.Star):
            raise DifferentialUnsupported("'*' is not an expression")
        return self.columns(node)

    def _t_Literal(self, node: exp.Literal) -> Typed:
        import polars as pl

        text = str(node.this)
        if node.is_string:
            return lit(text)
        if re.fullmatch(r"[+-]?\d+", text):
            return lit(int(text))
        value = float(text)
        kind = "float" if re.search(r"[eE]", text) else "decimal"  # DuckDB: 1.5 is a DECIMAL, 1e3 a DOUBLE
        return Typed(pl.lit(value, dtype=pl.Float64), kind, value)

    def _t_Null(self, node: exp.Null) -> Typed:
        return lit(None)

    def _t_Boolean(self, node: exp.Boolean) -> Typed:
        return lit(bool(node.this))

    def _t_Paren(self, node: exp.Paren) -> Typed:
        return self(node.this)

    # -- arithmetic --------------------------------------------------------------------
    def _arith(self, node: exp.Binary, op: Callable[[Any, Any], Any]) -> Typed:
        a, b = self(node.this), self(node.expression)
        for t in (a, b):
            if t.kind not in NUMERIC_KINDS and t.kind != "null":
                raise DifferentialUnsupported(f"arithmetic on a {t.kind} value in {node.sql(dialect='duckdb')!r}")
        kind = _supertype([a.kind, b.kind], node.sql(dialect="duckdb"))
        if kind == "null":
            kind = "int"
        return Typed(op(_cast_to_kind(a, kind), _cast_to_kind(b, kind)), kind)

    def _t_Add(self, node: exp.Add) -> Typed:
        return self._arith(node, lambda x, y: x + y)

    def _t_Sub(self, node: exp.Sub) -> Typed:
        return self._arith(node, lambda x, y: x - y)

    def _t_Mul(self, node: exp.Mul) -> Typed:
        return self._arith(node, lambda x, y: x * y)

    def _t_Div(self, node: exp.Div) -> Typed:
        import polars as pl

        a, b = self(node.this), self(node.expression)
        for t in (a, b):
            if t.kind not in NUMERIC_KINDS and t.kind != "null":
                raise DifferentialUnsupported(f"division of a {t.kind} value in {node.sql(dialect='duckdb')!r}")
        num, den = a.expr.cast(pl.Float64), b.expr.cast(pl.Float64)
        out = num / den  # DuckDB's `/` is a float division, integers included
        if self.div_by_zero == "null":
            out = pl.when(den == 0).then(None).otherwise(out)
        return Typed(out, "float")

    def _t_Neg(self, node: exp.Neg) -> Typed:
        t = self(node.this)
        if t.kind not in NUMERIC_KINDS and t.kind != "null":
            raise DifferentialUnsupported(f"negating a {t.kind} value")
        lit_value = -t.literal if t.is_literal and t.literal is not None else _NO_LITERAL
        return Typed(-t.expr, t.kind, lit_value)

    def _t_Abs(self, node: exp.Abs) -> Typed:
        t = self(node.this)
        if t.kind not in NUMERIC_KINDS and t.kind != "null":
            raise DifferentialUnsupported(f"abs() of a {t.kind} value")
        return Typed(t.expr.abs(), t.kind)

    def _t_Round(self, node: exp.Round) -> Typed:
        d = node.args.get("decimals")
        decimals = 0
        if d is not None:
            dv = self(d)
            if not (dv.is_literal and isinstance(dv.literal, int)):
                raise DifferentialUnsupported("round() with a non-constant number of decimals")
            decimals = dv.literal
        return sql_round(self(node.this), decimals)

    # -- comparisons and logic -----------------------------------------------------------
    def _compare(self, node: exp.Binary, op: Callable[[Any, Any], Any]) -> Typed:
        x, y = comparable(self(node.this), self(node.expression))
        return Typed(op(x, y), "bool")

    def _t_EQ(self, node: exp.EQ) -> Typed:
        return self._compare(node, lambda x, y: x == y)

    def _t_NEQ(self, node: exp.NEQ) -> Typed:
        return self._compare(node, lambda x, y: x != y)

    def _t_GT(self, node: exp.GT) -> Typed:
        return self._compare(node, lambda x, y: x > y)

    def _t_GTE(self, node: exp.GTE) -> Typed:
        return self._compare(node, lambda x, y: x >= y)

    def _t_LT(self, node: exp.LT) -> Typed:
        return self._compare(node, lambda x, y: x < y)

    def _t_LTE(self, node: exp.LTE) -> Typed:
        return self._compare(node, lambda x, y: x <= y)

    def _bool(self, node: exp.Expr) -> Any:
        t = self(node)
        if t.kind not in ("bool", "null"):
            raise DifferentialUnsupported(f"{node.sql(dialect='duckdb')!r} is not a condition")
        return t.expr

    def _t_And(self, node: exp.And) -> Typed:
        return Typed(self._bool(node.this) & self._bool(node.expression), "bool")  # Kleene logic, like SQL

    def _t_Or(self, node: exp.Or) -> Typed:
        return Typed(self._bool(node.this) | self._bool(node.expression), "bool")

    def _t_Not(self, node: exp.Not) -> Typed:
        return Typed(~self._bool(node.this), "bool")

    def _t_Is(self, node: exp.Is) -> Typed:
        if not isinstance(node.expression, exp.Null):
            raise DifferentialUnsupported(f"{node.sql(dialect='duckdb')!r}: only IS NULL is supported")
        return Typed(self(node.this).expr.is_null(), "bool")

    def _t_In(self, node: exp.In) -> Typed:
        if node.args.get("query") or node.args.get("unnest") or node.args.get("field"):
            raise DifferentialUnsupported("IN with a subquery")
        left = self(node.this)
        return Typed(any_equal(left, [self(v) for v in node.expressions]), "bool")

    def _t_Between(self, node: exp.Between) -> Typed:
        x = self(node.this)
        lo_x, lo = comparable(x, self(node.args["low"]))
        hi_x, hi = comparable(x, self(node.args["high"]))
        return Typed((lo_x >= lo) & (hi_x <= hi), "bool")

    def _like(self, node: exp.Expr, *, case_insensitive: bool, escape: str | None = None) -> Typed:
        value = self(node.this)
        pattern = self(node.expression)
        if not (pattern.is_literal and isinstance(pattern.literal, str)):
            raise DifferentialUnsupported("LIKE with a pattern that is not a constant")
        if value.kind not in ("text", "null"):
            raise DifferentialUnsupported(f"LIKE on a {value.kind} value")
        regex = like_regex(pattern.literal, escape)
        if case_insensitive:
            regex = "(?i)" + regex
        return Typed(value.expr.str.contains(regex), "bool")

    def _t_Like(self, node: exp.Like) -> Typed:
        return self._like(node, case_insensitive=False)

    def _t_ILike(self, node: exp.ILike) -> Typed:
        return self._like(node, case_insensitive=True)

    def _t_Escape(self, node: exp.Escape) -> Typed:
        inner = node.this
        esc = self(node.expression)
        if not (esc.is_literal and isinstance(esc.literal, str) and len(esc.literal) == 1):
            raise DifferentialUnsupported("ESCAPE needs one constant character")
        if isinstance(inner, (exp.Like, exp.ILike)):
            return self._like(inner, case_insensitive=isinstance(inner, exp.ILike), escape=esc.literal)
        raise DifferentialUnsupported(f"ESCAPE on {type(inner).__name__}")

    # -- conditional -------------------------------------------------------------------------
    def _case(self, whens: list[tuple[Any, Typed]], default: Typed | None, what: str) -> Typed:
        import polars as pl

        values = [v for _, v in whens] + ([default] if default is not None else [])
        kind = _supertype([v.kind for v in values], what)
        chain: Any = None
        for cond, value in whens:
            chain = pl.when(cond) if chain is None else chain.when(cond)
            chain = chain.then(_cast_to_kind(value, kind))
        other = _cast_to_kind(default, kind) if default is not None else pl.lit(None)
        return Typed(chain.otherwise(other), kind)

    def _t_Case(self, node: exp.Case) -> Typed:
        subject = self(node.this) if node.this is not None else None
        whens = []
        for branch in node.args.get("ifs") or []:
            if subject is not None:
                x, y = comparable(subject, self(branch.this))
                cond = x == y
            else:
                cond = self._bool(branch.this)
            whens.append((cond, self(branch.args["true"])))
        default = node.args.get("default")
        return self._case(whens, self(default) if default is not None else None, node.sql(dialect="duckdb"))

    def _t_If(self, node: exp.If) -> Typed:
        false = node.args.get("false")
        return self._case([(self._bool(node.this), self(node.args["true"]))],
                          self(false) if false is not None else None, node.sql(dialect="duckdb"))  # fmt: skip

    def _t_Coalesce(self, node: exp.Coalesce) -> Typed:
        import polars as pl

        items = [self(node.this), *(self(e) for e in node.expressions)]
        kind = _supertype([i.kind for i in items], node.sql(dialect="duckdb"))
        return Typed(pl.coalesce([_cast_to_kind(i, kind) for i in items]), kind)

    def _t_Nullif(self, node: exp.Nullif) -> Typed:
        import polars as pl

        a, b = self(node.this), self(node.expression)
        x, y = comparable(a, b)
        return Typed(pl.when(x == y).then(None).otherwise(a.expr), a.kind)

    # -- text ----------------------------------------------------------------------------------
    def _as_text(self, t: Typed, what: str) -> Any:
        import polars as pl

        if t.kind in ("text", "null"):
            return t.expr.cast(pl.String)
        if t.kind in ("int", "date"):
            return t.expr.cast(pl.String)
        if t.kind == "bool":
            return pl.when(t.expr).then(pl.lit("true")).when(~t.expr).then(pl.lit("false")).otherwise(None)
        raise DifferentialUnsupported(f"{what}: turning a {t.kind} value into text (formatting may differ)")

    def _t_DPipe(self, node: exp.DPipe) -> Typed:
        import polars as pl

        what = node.sql(dialect="duckdb")
        parts = [self._as_text(self(node.this), what), self._as_text(self(node.expression), what)]
        return Typed(pl.concat_str(parts, ignore_nulls=False), "text")  # NULL if any operand is NULL

    def _t_Concat(self, node: exp.Concat) -> Typed:
        import polars as pl

        what = node.sql(dialect="duckdb")
        parts = [self._as_text(self(e), what) for e in node.expressions]
        skip_nulls = bool(node.args.get("coalesce", True))  # DuckDB's concat() skips NULLs
        return Typed(pl.concat_str(parts, ignore_nulls=skip_nulls), "text")

    def _t_Lower(self, node: exp.Lower) -> Typed:
        t = self(node.this)
        if t.kind not in ("text", "null"):
            raise DifferentialUnsupported(f"lower() of a {t.kind} value")
        return Typed(t.expr.str.to_lowercase(), "text")

    def _t_Upper(self, node: exp.Upper) -> Typed:
        t = self(node.this)
        if t.kind not in ("text", "null"):
            raise DifferentialUnsupported(f"upper() of a {t.kind} value")
        return Typed(t.expr.str.to_uppercase(), "text")

    # -- dates ---------------------------------------------------------------------------------
    def _temporal(self, node: exp.Expr) -> Typed:
        t = self(node)
        if t.kind == "text" and t.is_literal:
            conv = _text_to(t.literal, "timestamp")
            if conv is not None:
                return conv
        if t.kind not in ("date", "timestamp", "null"):
            raise DifferentialUnsupported(f"a date part of a {t.kind} value")
        return t

    def _part(self, node: exp.Expr, part: str) -> Typed:
        import polars as pl

        t = self._temporal(node)
        fn = {"year": lambda e: e.dt.year(), "month": lambda e: e.dt.month(), "day": lambda e: e.dt.day()}[part]
        return Typed(fn(t.expr).cast(pl.Int64), "int")

    def _t_Year(self, node: exp.Year) -> Typed:
        return self._part(node.this, "year")

    def _t_Month(self, node: exp.Month) -> Typed:
        return self._part(node.this, "month")

    def _t_Day(self, node: exp.Day) -> Typed:
        return self._part(node.this, "day")

    def _t_DayOfMonth(self, node: exp.DayOfMonth) -> Typed:
        return self._part(node.this, "day")

    def _t_Extract(self, node: exp.Extract) -> Typed:
        unit = node.this.name.lower() if isinstance(node.this, (exp.Var, exp.Identifier, exp.Literal)) else ""
        if unit not in ("year", "month", "day"):
            raise DifferentialUnsupported(f"extract({unit or node.this.sql()}) is not supported")
        return self._part(node.expression, unit)

    def _trunc(self, node: exp.Expr) -> Typed:
        import polars as pl

        unit_node = node.args.get("unit")
        unit = (unit_node.name if unit_node is not None else "").lower()
        if unit not in _TRUNC_UNITS:
            raise DifferentialUnsupported(f"date_trunc('{unit}') is not supported")
        t = self._temporal(node.this)
        ts = t.expr.cast(pl.Datetime("us"))
        return Typed(ts.dt.truncate(_TRUNC_UNITS[unit]), "timestamp")  # DuckDB: a TIMESTAMP, for dates too

    def _t_TimestampTrunc(self, node: exp.TimestampTrunc) -> Typed:
        return self._trunc(node)

    def _t_DateTrunc(self, node: exp.DateTrunc) -> Typed:
        return self._trunc(node)

    # -- casts -----------------------------------------------------------------------------------
    def _t_Cast(self, node: exp.Cast) -> Typed:
        import polars as pl

        to = node.args["to"]
        target = to.this.name  # the type's name: sqlglot's enum of types differs between versions
        t = self(node.this)
        what = node.sql(dialect="duckdb")
        if target == "DATE":
            if t.kind in ("date", "null"):
                return Typed(t.expr.cast(pl.Date), "date")
            if t.kind == "timestamp":
                return Typed(t.expr.dt.date(), "date")
            if t.kind == "text":
                if t.is_literal:
                    conv = _text_to(t.literal, "date")
                    if conv is not None:
                        return Typed(conv.expr.cast(pl.Date), "date")
                return Typed(t.expr.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False), "date")
        elif target in ("TIMESTAMP", "TIMESTAMPNTZ", "DATETIME"):
            if t.kind in ("date", "timestamp", "null"):
                return Typed(t.expr.cast(pl.Datetime("us")), "timestamp")
            if t.kind == "text" and t.is_literal:
                conv = _text_to(t.literal, "timestamp")
                if conv is not None:
                    return conv
        elif target in ("DOUBLE", "FLOAT"):
            if t.kind in NUMERIC_KINDS or t.kind == "null":
                return Typed(t.expr.cast(pl.Float64), "float")
            if t.kind == "text":
                return Typed(t.expr.str.strip_chars().cast(pl.Float64, strict=False), "float")
        elif target == "DECIMAL":
            params = [p.this for p in to.expressions if isinstance(p, exp.DataTypeParam)]
            scale = int(params[1].name) if len(params) > 1 else 3  # DuckDB's DECIMAL is DECIMAL(18,3)
            if t.kind in NUMERIC_KINDS or t.kind == "null":
                return sql_round(Typed(t.expr.cast(pl.Float64), "decimal" if t.kind != "float" else "float"), scale)
        elif target in _INTEGER_TYPES:
            if t.kind in ("int", "null"):
                return Typed(t.expr.cast(pl.Int64), "int")
            if t.kind == "decimal":
                return Typed(round_decimal_exact(t.expr).cast(pl.Int64), "int")
            if t.kind == "float":
                return Typed(round_half_even(t.expr).cast(pl.Int64), "int")  # DuckDB: DOUBLE → INT rounds half to even
            if t.kind == "bool":
                return Typed(t.expr.cast(pl.Int64), "int")
            if t.kind == "text":
                return Typed(t.expr.str.strip_chars().cast(pl.Int64, strict=False), "int")
        elif target in ("VARCHAR", "TEXT", "CHAR", "NVARCHAR", "NCHAR"):
            return Typed(self._as_text(t, what), "text")
        elif target == "BOOLEAN":
            if t.kind in ("bool", "null"):
                return Typed(t.expr.cast(pl.Boolean), "bool")
            if t.kind == "int":
                return Typed(t.expr != 0, "bool")
        raise DifferentialUnsupported(f"{what}: CAST of a {t.kind} value to {to.sql(dialect='duckdb')} is not supported")


def any_equal(left: Typed, values: list[Typed]) -> Any:
    """``left IN (values)`` with SQL's NULL rules (an OR of equalities)."""
    out: Any = None
    for v in values:
        x, y = comparable(left, v)
        out = (x == y) if out is None else (out | (x == y))
    return out


# -- spec conditions ---------------------------------------------------------------------------------


def filter_value(f: Filter, target: Typed, value: Any) -> Typed:
    """A filter's value as a literal comparable with ``target`` (DuckDB's implicit casts)."""
    if isinstance(value, str) and target.kind not in ("text", "null", "other"):
        conv = _text_to(value, target.kind)
        if conv is None:
            raise DifferentialUnsupported(f"filter on '{f.column}': cannot compare a {target.kind} value with {value!r}")
        return conv
    if isinstance(value, (dt.date, dt.datetime)):
        return lit(value)
    return lit(value)


def condition(cond: Condition, name: Callable[[str], Typed], tr: Translator) -> Any:
    """A spec condition (filter, any_of, all_of, not, expression) as a boolean Polars expression."""
    if isinstance(cond, Filter):
        return _filter(cond, name)
    if isinstance(cond, AnyOf):  # `|` and `&` follow Kleene logic, like SQL's OR and AND
        return functools.reduce(operator.or_, [condition(c, name, tr) for c in cond.any_of])
    if isinstance(cond, AllOf):
        return functools.reduce(operator.and_, [condition(c, name, tr) for c in cond.all_of])
    if isinstance(cond, Not):
        return ~condition(cond.not_, name, tr)
    if isinstance(cond, ExpressionCondition):
        t = tr(parse_fragment(cond.expression, "condition"))
        if t.kind not in ("bool", "null"):
            raise DifferentialUnsupported(f"condition {cond.expression!r} is not a boolean expression")
        return t.expr
    raise DifferentialUnsupported(f"unsupported condition {cond!r}")


def conjunction(conds: list[Condition], name: Callable[[str], Typed], tr: Translator) -> Any | None:
    parts = [condition(c, name, tr) for c in conds]
    return functools.reduce(operator.and_, parts) if parts else None


def _filter(f: Filter, name: Callable[[str], Typed]) -> Any:
    col = name(f.column)
    op = f.operator
    if op == "is_null":
        return col.expr.is_null()
    if op == "is_not_null":
        return col.expr.is_not_null()
    if f.value_column is not None:
        other = name(f.value_column)
        x, y = comparable(col, other)
        return _cmp(op, x, y)
    if op in ("in", "not_in"):
        node = any_equal(col, [filter_value(f, col, v) for v in f.value])
        return ~node if op == "not_in" else node
    if op in ("between", "not_between"):
        lo_x, lo = comparable(col, filter_value(f, col, f.value[0]))
        hi_x, hi = comparable(col, filter_value(f, col, f.value[1]))
        node = (lo_x >= lo) & (hi_x <= hi)
        return ~node if op == "not_between" else node
    if op in ("like", "not_like", "ilike", "contains", "starts_with", "ends_with"):
        if col.kind not in ("text", "null"):
            raise DifferentialUnsupported(f"filter on '{f.column}': {op} on a {col.kind} value")
        text = str(f.value)
        if op == "contains":
            return col.expr.str.contains(text, literal=True)
        if op == "starts_with":
            return col.expr.str.starts_with(text)
        if op == "ends_with":
            return col.expr.str.ends_with(text)
        regex = like_regex(text)
        if op == "ilike":
            regex = "(?i)" + regex
        node = col.expr.str.contains(regex)
        return ~node if op == "not_like" else node
    x, y = comparable(col, filter_value(f, col, f.value))
    return _cmp(op, x, y)


def _cmp(op: str, x: Any, y: Any) -> Any:
    if op == "=":
        return x == y
    if op == "!=":
        return x != y
    if op == "<":
        return x < y
    if op == "<=":
        return x <= y
    if op == ">":
        return x > y
    if op == ">=":
        return x >= y
    raise DifferentialUnsupported(f"operator {op!r} is not supported")
