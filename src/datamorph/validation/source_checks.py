"""Tests that read the sources, for spec faults the staged result alone cannot show.

A wrong spec can produce a plausible table that passes every test derived from the
spec itself, because those tests recompute the same (wrong) thing. These checks look at
the data the spec runs on:

* ``join_keys_overlap_N``: the key columns of each join have values in common. A join
  on columns that never match (``customers.country = country_codes.code`` holding
  "United States" against "US") is a wrong key, not an empty answer.
* ``join_no_fanout_N``: in an aggregate whose measures come from one side of a join,
  the other side (a lookup, joined once) has one row per key *as the pipeline reads it*
  (after any de-duplication the spec asks for). Duplicate keys there multiply the sums.
* ``data_quality_filter_value_N``: a text filter value (``=``, ``!=``, ``in``,
  ``not_in``) that does not occur in its column while a value differing only in case or
  spacing does (``'Completed'`` against ``'completed'``).
* ``data_quality_finite_COL``: an output computed with a division has no infinite or NaN
  values (a division by zero; DuckDB returns ``inf`` for ``x / 0``).

Each check comes with ``detail`` (where in the spec it looked) for the remediation loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from datamorph.compiler.scope import ResolvedJoin, Source, qcol, source_table
from datamorph.compiler.sql import CompiledBlock, CompiledSpec
from datamorph.errors import DataMorphError
from datamorph.spec import AllOf, AnyOf, Condition, Filter, Not, QueryBlock
from datamorph.validation.model import TestCase

_EQUALITY_OPERATORS = frozenset({"=", "!=", "in", "not_in"})
_NORMALIZE_SQL_PATTERN = r"[\s_-]+"
OVERLAP_SHORTCUT_ROWS = 2048  # rows of the larger table the overlap check tries first


@dataclass
class SourceCheck:
    test: TestCase
    kind: str  # "join_key_overlap", "join_fanout", "filter_value", "finite"
    detail: dict[str, Any] = field(default_factory=dict)
    failure: str = "{n} violations"  # what a failure means, with {n} the test's count

    def explain(self) -> None:
        """Word the test's failure message (after it ran) in the check's terms."""
        if self.test.status == "fail" and isinstance(self.test.actual_result, int):
            self.test.message = self.failure.replace("{n}", str(self.test.actual_result))  # names may hold braces


def normalize_value(text: str) -> str:
    """The form two values differing only in case or spacing share (as the SQL check computes it)."""
    return re.sub(_NORMALIZE_SQL_PATTERN, "", text.lower())


def source_checks(compiled: CompiledSpec, staged: str, dialect: str) -> list[SourceCheck]:
    """The source checks for ``compiled`` (materialised as ``staged``)."""
    out: list[SourceCheck] = []
    for k, b in enumerate(compiled.blocks):
        suffix = "" if k == 0 else f"_b{k + 1}"
        prefix: tuple[Any, ...] = () if k == 0 else ("union", "blocks", k - 1)
        _Checker(b, prefix, suffix, dialect, out).run()
    if dialect == "duckdb":
        out += _finite_checks(compiled.blocks[0], staged, dialect)
    return out


class _Checker:
    def __init__(self, b: CompiledBlock, prefix: tuple[Any, ...], suffix: str, dialect: str,
                 out: list[SourceCheck]) -> None:  # fmt: skip
        self.b, self.prefix, self.suffix, self.dialect, self.out = b, prefix, suffix, dialect, out

    def add(self, kind: str, test_id: str, category: Any, use_case: str, tree: exp.Expr, failure: str,
            **detail: Any) -> None:  # fmt: skip
        test = TestCase(test_id=test_id + self.suffix, category=category, use_case=use_case,
                        query=tree.sql(dialect=self.dialect), expected_result=0)  # fmt: skip
        self.out.append(SourceCheck(test, kind, {"block": list(self.prefix), **detail}, failure))

    def run(self) -> None:
        joins = self.b.scope.joins
        for rj in joins:
            self.overlap(rj)
        if self.b.block.is_aggregate:
            for src, rj in self._lookups():
                self.fanout(src, rj)
        self.filter_values()

    # -- joins ------------------------------------------------------------------------
    def _join_index(self, rj: ResolvedJoin) -> int:
        return next(i for i, jc in enumerate(self.b.block.join_conditions) if jc is rj.join)

    def overlap(self, rj: ResolvedJoin) -> None:
        i = self._join_index(rj)
        on = exp.and_(*(exp.EQ(this=qcol("_dm_l", lc.name), expression=qcol("_dm_r", rc.name)) for lc, rc in rj.pairs))
        pairs = exp.select(exp.Literal.number(1)).from_(source_table(rj.left.table, "_dm_l")).join(
            source_table(rj.right.table, "_dm_r"), on=on).limit(1)
        q = exp.select(exp.Sub(this=exp.Literal.number(1), expression=exp.Count(this=exp.Star()))).from_(
            pairs.subquery("_dm_o"))
        keys = ", ".join(f"{rj.left.ref}.{lc.name} = {rj.right.ref}.{rc.name}" for lc, rc in rj.pairs)
        self.add("join_key_overlap", f"join_keys_overlap_{i + 1}", "join",
                 f"Join {rj.left.ref}–{rj.right.ref}: the keys ({keys}) have values in common", q,
                 f"no value of {rj.left.table.name} matches one of {rj.right.table.name} on {keys}",
                 join=i, left=rj.left.ref, right=rj.right.ref)  # fmt: skip
        self.out[-1].test.shortcut = self._overlap_shortcut(rj, on).sql(dialect=self.dialect)

    @staticmethod
    def _overlap_shortcut(rj: ResolvedJoin, on: exp.Expr) -> exp.Select:
        """The same count over the first :data:`OVERLAP_SHORTCUT_ROWS` rows of the larger side only.

        A match among some rows is a match: 0 proves the keys overlap. The full query hashes a
        whole table; this one hashes those few rows and streams the other table's keys past them.
        """
        sides = [(rj.left, "_dm_l", [lc for lc, _ in rj.pairs]), (rj.right, "_dm_r", [rc for _, rc in rj.pairs])]
        sizes = [s.table.row_count for s, _a, _c in sides]
        big = 1 if None not in sizes and int(sizes[1] or 0) > int(sizes[0] or 0) else 0
        tables: list[exp.Expr] = []
        for n, (src, alias, cols) in enumerate(sides):
            if n != big:
                tables.append(source_table(src.table, alias))
                continue
            first = exp.select(*(exp.column(c.name, quoted=True) for c in dict.fromkeys(cols))).from_(
                source_table(src.table, "_dm_f")).limit(OVERLAP_SHORTCUT_ROWS)
            tables.append(first.subquery(alias, copy=False))
        pairs = exp.select(exp.Literal.number(1)).from_(tables[0]).join(tables[1], on=on.copy()).limit(1)
        return exp.select(exp.Sub(this=exp.Literal.number(1), expression=exp.Count(this=exp.Star()))).from_(
            pairs.subquery("_dm_o"))

    def _lookups(self) -> list[tuple[Source, ResolvedJoin]]:
        """(lookup source, its join): sources joined once that contribute no measure, in a block whose
        measures (sum, avg, count of a column) all come from elsewhere."""
        measure_refs: set[str] = set()
        for a in self.b.block.aggregations:
            if a.function not in ("sum", "avg", "count") or (a.column is None and a.expression is None):
                continue
            measure_refs |= self._refs(a.column, a.expression)
        if not measure_refs:
            return []
        touching: dict[str, list[ResolvedJoin]] = {}
        for rj in self.b.scope.joins:
            touching.setdefault(rj.left.ref, []).append(rj)
            touching.setdefault(rj.right.ref, []).append(rj)
        out = []
        for src in self.b.scope.sources:
            js = touching.get(src.ref, [])
            if len(js) == 1 and src.ref not in measure_refs:
                out.append((src, js[0]))
        return out

    def _refs(self, column: str | None, expression: str | None) -> set[str]:
        from datamorph.compiler.expressions import parse_expression

        try:
            tree = exp.column(column.split(".")[-1], table=column.split(".")[0] if "." in column else None) \
                if column else parse_expression(expression or "")  # fmt: skip
            resolved = _Resolve(self.b).row(tree)
        except (DataMorphError, ValueError):
            return set()
        return {c.table for c in resolved.find_all(exp.Column) if c.table}

    def fanout(self, lookup: Source, rj: ResolvedJoin) -> None:
        keys = [lc if lookup is rj.left else rc for lc, rc in rj.pairs]
        other_keys = [rc if lookup is rj.left else lc for lc, rc in rj.pairs]
        other = rj.right if lookup is rj.left else rj.left
        pk = {c.lower() for c in lookup.table.primary_key}
        if pk and pk == {k.name.lower() for k in keys}:
            return  # a declared key: the engine keeps it unique
        relation = self._relation(lookup)
        cols = [exp.alias_(qcol(lookup.ref, k.name), f"_dm_k{j}", quoted=True) for j, k in enumerate(keys)]
        dup = exp.select(*cols).from_(relation).group_by(*(qcol(lookup.ref, k.name) for k in keys)).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        matched = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(source_table(other.table, "_dm_o")).where(
            exp.and_(*(exp.EQ(this=qcol("_dm_o", ok.name), expression=qcol("_dm_d", f"_dm_k{j}"))
                       for j, ok in enumerate(other_keys)))))  # fmt: skip
        q = exp.select(exp.Count(this=exp.Star())).from_(dup.subquery("_dm_d")).where(matched)
        i = self._join_index(rj)
        names = ", ".join(k.name for k in keys)
        self.add("join_fanout", f"join_no_fanout_{i + 1}", "join",
                 f"Join {other.ref}–{lookup.ref}: one {lookup.table.name} row per {names} "
                 "(duplicate keys would multiply the totals)", q,
                 f"{{n}} {names} value(s) have several {lookup.table.name} rows: the join multiplies the totals",
                 join=i, lookup=lookup.ref, lookup_table=lookup.table.name, keys=[k.name for k in keys])  # fmt: skip

    def _relation(self, src: Source) -> exp.Expr:
        """The source as the pipeline reads it (a de-duplicating subquery, a table...)."""
        q = self.b.query
        from_ = q.args.get("from_") or q.args.get("from")
        candidates = [from_.this] if from_ is not None else []
        candidates += [j.this for j in q.args.get("joins") or []]
        for node in candidates:
            if node.alias_or_name == src.ref:
                return node.copy()
        return source_table(src.table, src.ref)

    # -- filter values ----------------------------------------------------------------
    def filter_values(self) -> None:
        block = self.b.block
        places: list[tuple[tuple[Any, ...], Condition]] = []
        places += [(("filters", i), c) for i, c in enumerate(block.filters)]
        for j, jc in enumerate(block.join_conditions):
            places += [(("join_conditions", j, "conditions", i), c) for i, c in enumerate(jc.conditions)]
        for j, agg in enumerate(block.aggregations):
            places += [(("aggregations", j, "filter", i), c) for i, c in enumerate(agg.filter)]
        n = 0
        for path, cond in places:
            for sub_path, f in _filters_in(cond, path):
                if self._filter_value_check(f, sub_path, n + 1):
                    n += 1

    def _filter_value_check(self, f: Filter, path: tuple[Any, ...], n: int) -> bool:
        if f.operator not in _EQUALITY_OPERATORS or f.value_column is not None or "(" in f.column:
            return False
        values = f.value if isinstance(f.value, list) else [f.value]
        if not values or not all(isinstance(v, str) for v in values):
            return False
        if f.column.split(".")[-1].lower() in self.b.scope.derived:
            return False
        try:
            src, col = self.b.scope.lookup(f.column)
        except DataMorphError:
            return False
        if col.family != "text":
            return False
        parts = [self._value_case(src, col.name, v) for v in values]
        total: exp.Expr = parts[0]
        for p in parts[1:]:
            total = exp.Add(this=total, expression=p)
        shown = ", ".join(repr(v) for v in values)
        self.add("filter_value", f"data_quality_filter_value_{n}", "data_quality",
                 f"The filter value {shown} occurs in {src.table.name}.{col.name} as written "
                 "(not only with other case or spacing)", exp.select(total),
                 f"{{n}} of {shown} match(es) nothing in {src.table.name}.{col.name}, though a value differing "
                 "only in case or spacing is there", path=list(path), table=src.table.name, column=col.name, values=values)  # fmt: skip
        return True

    def _value_case(self, src: Source, column: str, value: str) -> exp.Expr:
        col = qcol("_dm_t", column)
        exact = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(source_table(src.table, "_dm_t")).where(
            exp.EQ(this=col, expression=exp.Literal.string(value))))
        norm = exp.RegexpReplace(this=exp.Lower(this=col.copy()), expression=exp.Literal.string(_NORMALIZE_SQL_PATTERN),
                                 replacement=exp.Literal.string(""), modifiers=exp.Literal.string("g"))  # fmt: skip
        near = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(source_table(src.table, "_dm_t")).where(
            exp.EQ(this=norm, expression=exp.Literal.string(normalize_value(value)))))
        return exp.Case(ifs=[exp.If(this=exact, true=exp.Literal.number(0)),
                             exp.If(this=near, true=exp.Literal.number(1))],
                        default=exp.Literal.number(0))  # fmt: skip


def _filters_in(cond: Condition, path: tuple[Any, ...]) -> list[tuple[tuple[Any, ...], Filter]]:
    if isinstance(cond, Filter):
        return [(path, cond)]
    if isinstance(cond, AnyOf):
        return [x for i, c in enumerate(cond.any_of) for x in _filters_in(c, (*path, "any_of", i))]
    if isinstance(cond, AllOf):
        return [x for i, c in enumerate(cond.all_of) for x in _filters_in(c, (*path, "all_of", i))]
    if isinstance(cond, Not):
        return _filters_in(cond.not_, (*path, "not"))
    return []


class _Resolve:
    """Resolve a tree over the block's rows (source columns qualified by their refs)."""

    def __init__(self, b: CompiledBlock) -> None:
        from datamorph.compiler.sql import _BlockCompiler

        self.bc = _BlockCompiler(b.scope)

    def row(self, tree: exp.Expr) -> exp.Expr:
        return self.bc.row_expr(tree)


def _finite_checks(b: CompiledBlock, staged: str, dialect: str) -> list[SourceCheck]:
    out = []
    block: QueryBlock = b.block
    for o in b.outputs:
        if o.kind not in ("derived", "expression", "aggregate", "window") or not o.expr.find(exp.Div):
            continue
        if o.family not in ("other", "float", "decimal"):
            continue
        value = exp.TryCast(this=exp.column(o.name, table="_dm_s", quoted=True), to=exp.DataType.build("DOUBLE"))
        bad = exp.or_(exp.IsInf(this=value), exp.IsNan(this=value.copy()))
        t = exp.to_table(staged)
        for p in t.parts:
            p.set("quoted", True)
        q = exp.select(exp.Count(this=exp.Star())).from_(t.as_("_dm_s", quoted=True)).where(bad)
        test = TestCase(test_id=f"data_quality_finite_{o.name}", category="data_quality",
                        use_case=f"{o.name} has no infinite or NaN values (a division by zero)",
                        query=q.sql(dialect=dialect), expected_result=0)  # fmt: skip
        out.append(SourceCheck(test, "finite", {"block": [], "output": o.name,
                                                "derived": [d.name for d in block.derived_columns]},
                               f"{{n}} row(s) of {o.name} are infinite or NaN: a division by zero"))  # fmt: skip
    return out


