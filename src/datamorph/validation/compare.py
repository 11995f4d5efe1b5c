"""Comparing two results as multisets of rows: the staged table and the Polars evaluation.

Columns are matched by name (case-insensitive). Numbers (Decimal included) are equal within a
relative and an absolute tolerance, NULL equals NULL, dates and timestamps are compared as ISO
text. Equal rows are paired off in Polars (numbers keyed on their leading digits); the few rows
left over are paired within tolerance in Python, so large results compare quickly.

Polars is imported inside the functions (it is an optional dependency).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from datamorph.validation.polars_eval import HIDDEN
from datamorph.validation.polars_expr import nulls_equal

MAX_SHOWN = 10  # differing rows kept on each side for the report


@dataclass
class Comparison:
    """The outcome of :func:`compare_results`; ``missing``/``unexpected`` show up to 10 rows each."""

    equal: bool
    staged_rows: int
    expected_rows: int
    missing: list[dict[str, Any]] = field(default_factory=list)  # expected rows the staged result lacks
    unexpected: list[dict[str, Any]] = field(default_factory=list)  # staged rows the evaluation does not have
    missing_count: int = 0
    unexpected_count: int = 0
    column_problems: list[str] = field(default_factory=list)

    def message(self) -> str:
        if self.equal:
            return ""
        parts = list(self.column_problems)
        if self.unexpected_count:
            parts.append(f"{self.unexpected_count} row(s) of the result are not in the Polars evaluation, "
                         f"e.g. {rows_text(self.unexpected)}")  # fmt: skip
        if self.missing_count:
            parts.append(f"{self.missing_count} row(s) of the Polars evaluation are missing from the result, "
                         f"e.g. {rows_text(self.missing)}")  # fmt: skip
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rows_text(rows: list[dict[str, Any]], n: int = 3) -> str:
    """Up to ``n`` rows as short text, for messages."""
    shown = ", ".join("{" + ", ".join(f"{k}: {v!r}" for k, v in r.items()) + "}" for r in rows[:n])
    return shown + (" ..." if len(rows) > n else "")


_NUMERIC, _TEXT, _BOOL, _NULL, _OTHER = "number", "text", "boolean", "null", "other"


def _group(dtype: Any) -> str:
    import polars as pl

    if dtype == pl.Null:
        return _NULL
    if dtype.is_numeric() or isinstance(dtype, pl.Decimal):
        return _NUMERIC
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum) or dtype == pl.Date or \
            isinstance(dtype, pl.Datetime):  # fmt: skip
        return _TEXT  # dates and timestamps are compared as ISO text
    if dtype == pl.Boolean:
        return _BOOL
    return _OTHER


def _normalised_column(name: str, dtype: Any, group: str) -> Any:
    """The column as comparable values: numbers as Float64, dates/timestamps as ISO text."""
    import polars as pl

    c = pl.col(name)
    if group == _NUMERIC:
        return c.cast(pl.Float64)
    if dtype == pl.Date:
        return c.dt.strftime("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        # a timestamp at midnight reads as the date (DuckDB's date_trunc gives timestamps for dates)
        text = c.dt.strftime("%Y-%m-%d %H:%M:%S%.f").str.replace(r"\.0+$", "").str.replace(r"(\.\d*?)0+$", "$1")
        return pl.when(c.dt.time() == pl.time(0)).then(c.dt.strftime("%Y-%m-%d")).otherwise(text)
    if group in (_TEXT, _BOOL):
        return c.cast(pl.String) if group == _TEXT else c
    return c.cast(pl.String, strict=False)


def _value_equal(a: Any, b: Any, rel_tol: float, abs_tol: float) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)
    return bool(a == b)


def _plain(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def compare_results(staged: Any, expected: Any, *, rel_tol: float = 1e-9, abs_tol: float = 1e-6) -> Comparison:
    """Compare two results as multisets of rows, column by column by name (case-insensitive).

    Numbers (Decimal included) are equal within ``rel_tol``/``abs_tol``, NULL equals NULL, dates
    and timestamps are compared as ISO text (a timestamp at midnight reads as its date). Row
    order does not matter; duplicates count.
    """
    import polars as pl

    problems: list[str] = []
    s_names = {c.lower(): c for c in staged.columns}
    e_names = {c.lower(): c for c in expected.columns}
    problems += [f"the result has no column {e_names[k]}" for k in e_names if k not in s_names]
    problems += [f"the result has an unexpected column {s_names[k]}" for k in s_names if k not in e_names]
    common = [k for k in e_names if k in s_names]
    s_cols, e_cols = [], []
    for k in common:
        sd, ed = staged.schema[s_names[k]], expected.schema[e_names[k]]
        sg, eg = _group(sd), _group(ed)
        if _NULL in (sg, eg):
            sg = eg = eg if sg == _NULL else sg
        if sg != eg:
            problems.append(f"column {e_names[k]}: the result has {sd}, the spec gives {ed}")
            s_cols.append(pl.col(s_names[k]).cast(pl.String, strict=False).alias(e_names[k]))
            e_cols.append(pl.col(e_names[k]).cast(pl.String, strict=False).alias(e_names[k]))
            continue
        s_cols.append(_normalised_column(s_names[k], sd, sg).alias(e_names[k]))
        e_cols.append(_normalised_column(e_names[k], ed, eg).alias(e_names[k]))
    names = [e_names[k] for k in common]
    s = staged.select(s_cols) if names else pl.DataFrame()
    e = expected.select(e_cols) if names else pl.DataFrame()
    if names:
        # align NULL-typed columns with the other side
        s = s.with_columns([pl.col(n).cast(e.schema[n]) for n in names if s.schema[n] == pl.Null and e.schema[n] != pl.Null])
        e = e.with_columns([pl.col(n).cast(s.schema[n]) for n in names if e.schema[n] == pl.Null and s.schema[n] != pl.Null])
    unexpected, missing = _row_differences(s, e, names, rel_tol, abs_tol) if names else ([], [])
    cmp = Comparison(
        equal=not problems and not unexpected and not missing and staged.height == expected.height,
        staged_rows=staged.height,
        expected_rows=expected.height,
        missing=[{k: _plain(v) for k, v in r.items()} for r in missing[:MAX_SHOWN]],
        unexpected=[{k: _plain(v) for k, v in r.items()} for r in unexpected[:MAX_SHOWN]],
        missing_count=len(missing),
        unexpected_count=len(unexpected),
        column_problems=problems,
    )
    if not names and staged.height != expected.height:
        cmp.column_problems.append(f"the result has {staged.height} rows, the evaluation {expected.height}")
    return cmp


def _row_differences(
    s: Any, e: Any, names: list[str], rel_tol: float, abs_tol: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(staged rows without a match, expected rows without a match), matching equal rows one to one."""
    import polars as pl

    digits = max(1, min(15, math.ceil(-math.log10(max(rel_tol, 1e-15))) + 2))
    occ = f"{HIDDEN}occ"

    def keyed(df: Any) -> Any:
        keys = [
            (pl.col(n).round_sig_figs(digits) if df.schema[n] == pl.Float64 else pl.col(n)).alias(f"{HIDDEN}k{i}")
            for i, n in enumerate(names)
        ]
        kcols = [f"{HIDDEN}k{i}" for i in range(len(names))]
        return df.with_columns(keys).with_columns(pl.int_range(pl.len()).over(kcols).alias(occ)), kcols

    sk, kcols = keyed(s)
    ek, _ = keyed(e)
    on = [*kcols, occ]
    s_left = sk.join(ek.select(on), on=on, how="anti", **nulls_equal(True)).select(names).rows(named=True)
    e_left = ek.join(sk.select(on), on=on, how="anti", **nulls_equal(True)).select(names).rows(named=True)
    if not s_left or not e_left or len(s_left) * len(e_left) > 4_000_000:
        return s_left, e_left
    # rows whose numbers differ within tolerance but fell on two sides of a rounding boundary
    float_cols = [n for n in names if s.schema[n] == pl.Float64]
    exact_cols = [n for n in names if n not in float_cols]
    buckets: dict[tuple[Any, ...], list[int]] = {}
    for i, r in enumerate(e_left):
        buckets.setdefault(tuple(r[n] for n in exact_cols), []).append(i)
    used: set[int] = set()
    unmatched_s = []
    for r in s_left:
        found = None
        for i in buckets.get(tuple(r[n] for n in exact_cols), []):
            if i not in used and all(_value_equal(r[n], e_left[i][n], rel_tol, abs_tol) for n in float_cols):
                found = i
                break
        if found is None:
            unmatched_s.append(r)
        else:
            used.add(found)
    return unmatched_s, [r for i, r in enumerate(e_left) if i not in used]


__all__ = ["MAX_SHOWN", "Comparison", "compare_results", "rows_text"]
