"""Read-only questions repairs ask the data: near values, duplicate keys, key overlap."""

from __future__ import annotations

from sqlglot import exp

from datamorph.engines.base import Engine
from datamorph.validation.source_checks import _NORMALIZE_SQL_PATTERN, normalize_value


def _table(name: str, alias: str) -> exp.Table:
    """The source table called ``name`` (a catalog name, never read as SQL)."""
    table = exp.table_(exp.to_identifier(name, quoted=True))
    table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    return table


def _col(alias: str, name: str) -> exp.Column:
    return exp.column(name, table=alias, quoted=True)


def near_values(engine: Engine, table: str, column: str, values: list[str], limit: int = 50) -> dict[str, list[str]]:
    """For each value, the distinct values of ``table.column`` equal to it up to case and spacing."""
    col = _col("_dm_t", column)
    norm = exp.RegexpReplace(this=exp.Lower(this=col.copy()), expression=exp.Literal.string(_NORMALIZE_SQL_PATTERN),
                             replacement=exp.Literal.string(""), modifiers=exp.Literal.string("g"))  # fmt: skip
    wanted = sorted({normalize_value(v) for v in values})
    q = (exp.select(col).distinct().from_(_table(table, "_dm_t"))
         .where(exp.In(this=norm, expressions=[exp.Literal.string(w) for w in wanted])).limit(limit))  # fmt: skip
    found = [r[0] for r in engine.fetch(q.sql(dialect=engine.dialect)).rows if isinstance(r[0], str)]
    return {v: sorted(x for x in found if normalize_value(x) == normalize_value(v)) for v in values}


def differing_duplicate_keys(engine: Engine, table: str, keys: list[str]) -> int:
    """How many keys of ``table`` have rows that differ (not exact copies of one row)."""
    distinct_rows = exp.select(exp.Star()).distinct().from_(_table(table, "_dm_t")).subquery("_dm_u")
    q = exp.select(exp.Count(this=exp.Star())).from_(
        exp.select(*(_col("_dm_u", k) for k in keys)).from_(distinct_rows)
        .group_by(*(_col("_dm_u", k) for k in keys))
        .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1))).subquery("_dm_d"))
    return int(engine.scalar(q.sql(dialect=engine.dialect)) or 0)


def key_overlap(engine: Engine, left: str, lcol: str, right: str, rcol: str) -> float:
    """Share of the smaller side's distinct key values that also occur on the other side (0..1)."""
    lv = exp.select(exp.alias_(_col("_dm_l", lcol), "v", quoted=True)).distinct().from_(_table(left, "_dm_l")).where(
        exp.not_(exp.Is(this=_col("_dm_l", lcol), expression=exp.Null())))
    rv = exp.select(_col("_dm_r", rcol)).from_(_table(right, "_dm_r"))
    matched = exp.select(exp.Count(this=exp.Star())).from_(lv.subquery("_dm_a")).where(
        exp.In(this=_col("_dm_a", "v"), query=rv.subquery()))
    dl = exp.select(exp.Count(this=exp.Distinct(expressions=[_col("_dm_l", lcol)]))).from_(_table(left, "_dm_l"))
    dr = exp.select(exp.Count(this=exp.Distinct(expressions=[_col("_dm_r", rcol)]))).from_(_table(right, "_dm_r"))
    q = exp.select(matched.subquery(), dl.subquery(), dr.subquery())
    row = engine.fetch(q.sql(dialect=engine.dialect)).rows[0]
    m, a, b = (int(x or 0) for x in row)
    smaller = min(a, b)
    return m / smaller if smaller else 0.0
