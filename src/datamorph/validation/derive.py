"""Tests derived from the spec, each a SQL query over the staged table and the sources.

Every test counts violating rows on the whole staged table (or compares a
staged figure with the same figure computed from the sources), so a wrong
row anywhere is caught; none looks at a sample.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from datamorph.catalog import ColumnInfo, TableInfo, TypeFamily
from datamorph.compiler.conditions import compile_condition
from datamorph.compiler.scope import ResolvedJoin, Source, qcol, source_table
from datamorph.compiler.sql import CompiledBlock, CompiledSpec, OutCol
from datamorph.errors import CompileError
from datamorph.spec import Condition, describe_condition
from datamorph.validation.model import Category, TestCase

S = "_dm_s"  # alias of the staged table in test queries
_SOURCE_CTE = "_dm_g"  # the aggregated source rows, when the reconciliation shares them with a join test
_UNPROVEN_CTE = "_dm_x"  # result rows whose key is not among _dm_g's (none when the result is right)
JOIN_VIOLATIONS_COLUMN = "join_violations"
RECONCILIATION_BATCH = "reconciliation"  # the batch of the tests answered by the reconciliation query


class _Unmapped(Exception):
    """A condition names something that is not an output column: it cannot be checked on the result."""


DenseKeys = Mapping[str, tuple[int, int]]  # table name (lower) -> (lo, hi): its integer primary key is lo..hi, every value


def derive_tests(
    compiled: CompiledSpec, staged: str, dialect: str, *, dense_keys: DenseKeys | None = None
) -> list[TestCase]:
    """All the rule-based tests for ``compiled`` materialised as ``staged``.

    ``dense_keys``: tables whose single-column integer primary key holds every value from lo to
    hi (as the data stands; see :func:`datamorph.validation.tuning.dense_integer_keys`). The
    reconciliation then checks that a key exists in such a table as ``key BETWEEN lo AND hi``
    instead of looking it up.
    """
    d = _Deriver(compiled, staged, dialect, dense_keys or {})
    return d.derive()


class _Deriver:
    def __init__(self, compiled: CompiledSpec, staged: str, dialect: str, dense_keys: DenseKeys | None = None) -> None:
        self.dense_keys: DenseKeys = dense_keys or {}
        self.c = compiled
        self.spec = compiled.spec
        self.block = compiled.blocks[0]
        self.staged = staged
        self.dialect = dialect
        self.tests: list[TestCase] = []
        self.single = len(compiled.blocks) == 1
        # inner-join key tests: (test, join, output column checked, its two EXISTS conditions)
        self.inner_join_checks: list[tuple[TestCase, ResolvedJoin, OutCol, list[exp.Expr]]] = []

    # -- helpers ------------------------------------------------------------------
    def table(self, alias: str = S) -> exp.Table:
        t = exp.to_table(self.staged)
        for p in t.parts:
            p.set("quoted", True)
        t.set("alias", exp.to_identifier(alias, quoted=True))
        return t

    def scol(self, name: str, alias: str = S) -> exp.Column:
        return exp.column(name, table=alias, quoted=True)

    def sql(self, tree: exp.Expr) -> str:
        return tree.sql(dialect=self.dialect)

    def add(self, test_id: str, category: Category, use_case: str, tree: exp.Expr, **kw: Any) -> None:
        kw.setdefault("expected_result", 0)
        self.tests.append(TestCase(test_id=test_id, category=category, use_case=use_case, query=self.sql(tree), **kw))

    def count_where(self, cond: exp.Expr) -> exp.Select:
        return exp.select(exp.Count(this=exp.Star())).from_(self.table()).where(cond)

    def out_for_source(self, table: str, column: str) -> OutCol | None:
        for o in self.block.outputs:
            if o.source and o.kind in ("column", "group_key") and o.source[0].lower() == table.lower() \
                    and o.source[1].lower() == column.lower():  # fmt: skip
                return o
        return None

    # -- the tests ------------------------------------------------------------------
    def derive(self) -> list[TestCase]:
        self.load_tests()
        if self.single:
            if self.block.block.is_aggregate:
                self.group_key_tests()
            self.filter_tests()
            self.having_tests()
            self.join_tests()
            self.dedupe_tests()
        self.reconciliation()
        return self.tests

    def load_tests(self) -> None:
        self.add("load_target_not_empty", "load", "The result has rows (an empty result is a warning)",
                 exp.select(exp.Count(this=exp.Star())).from_(self.table()),
                 kind="at_most", expected_result=None, severity="warning")  # fmt: skip
        expected = [{"name": o.name, "family": o.family} for o in self.block.outputs]
        self.tests.append(TestCase(
            test_id="load_expected_columns", category="load",
            use_case="The result has exactly the expected columns, with compatible types",
            query=f"DESCRIBE {self.staged}", expected_result=expected, kind="columns"))  # fmt: skip
        if self.spec.limit is not None:
            self.add("load_limit_respected", "load", f"At most {self.spec.limit} rows (limit)",
                     exp.select(exp.Count(this=exp.Star())).from_(self.table()),
                     kind="at_most", expected_result=self.spec.limit)  # fmt: skip

    def group_key_tests(self) -> None:
        keys = [o for o in self.block.outputs if o.kind == "group_key"]
        if not keys or len(keys) != len(self.block.block.group_by):
            return
        cols = [self.scol(k.name) for k in keys]
        dup = exp.select(*cols).from_(self.table()).group_by(*cols).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        self.add("transformation_group_keys_unique", "transformation",
                 f"One row per group ({', '.join(k.name for k in keys)})",
                 exp.select(exp.Count(this=exp.Star())).from_(dup.subquery("_dm_d")))  # fmt: skip
        for k in keys:
            if not k.source:
                continue
            src_table, src_col = k.source
            ref = source_table(self.block.scope.catalog.table(src_table), "_dm_t")
            source_has_null = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(ref).where(
                exp.Is(this=qcol("_dm_t", src_col), expression=exp.Null())))
            cond = exp.and_(exp.Is(this=self.scol(k.name), expression=exp.Null()), exp.not_(source_has_null))
            self.add(f"data_quality_group_key_not_null_{k.name}", "data_quality",
                     f"Grouping key {k.name} is never NULL unless the source has NULL keys",
                     self.count_where(cond))  # fmt: skip

    def _names_on_result(self, allow_aggregates: bool) -> Callable[[str], tuple[exp.Expr, TypeFamily]]:
        scope = self.block.scope

        def resolve(name: str) -> tuple[exp.Expr, TypeFamily]:
            o = self.block.output(name)
            if o is not None and (o.kind in ("group_key", "derived") or
                                  (allow_aggregates and o.kind == "aggregate" and o.aggregation
                                   and o.aggregation.round is None)):  # fmt: skip
                return self.scol(o.name), o.family
            if allow_aggregates:
                raise _Unmapped(name)
            try:
                src, col = scope.lookup(name)
            except CompileError:
                raise _Unmapped(name) from None
            out = self.out_for_source(src.table.name, col.name)
            if out is None:
                raise _Unmapped(name)
            return self.scol(out.name), col.family

        return resolve

    def _condition_on_result(self, cond: Condition, allow_aggregates: bool) -> exp.Expr | None:
        names = self._names_on_result(allow_aggregates)

        def trees(tree: exp.Expr) -> exp.Expr:
            if tree.find(exp.AggFunc) or tree.find(exp.Window):
                raise _Unmapped("aggregate expression")
            return tree.transform(lambda n: names(n.sql())[0] if isinstance(n, exp.Column) else n)

        try:
            return compile_condition(cond, names, trees)
        except _Unmapped:
            return None

    def filter_tests(self) -> None:
        for i, f in enumerate(self.block.block.filters, start=1):
            cond = self._condition_on_result(f, allow_aggregates=False)
            if cond is None:
                continue  # tested through the reconciliation instead
            violated = exp.not_(exp.Coalesce(this=exp.paren(cond), expressions=[exp.false()]))
            self.add(f"transformation_filter_{i}", "transformation",
                     f"Every row meets the filter {_describe(f)}", self.count_where(violated))  # fmt: skip

    def having_tests(self) -> None:
        for i, h in enumerate(self.block.block.having, start=1):
            cond = self._condition_on_result(h, allow_aggregates=True)
            if cond is None:
                continue
            violated = exp.not_(exp.Coalesce(this=exp.paren(cond), expressions=[exp.false()]))
            self.add(f"transformation_having_{i}", "transformation",
                     f"Every group meets the condition {_describe(h)}", self.count_where(violated))  # fmt: skip

    def join_tests(self) -> None:
        blk = self.block.block
        for i, rj in enumerate(self.block.scope.joins, start=1):
            if rj.join_type == "inner":
                self._inner_join_test(i, rj)
            elif rj.join_type == "left" and rj.left is self.block.scope.sources[0]:
                if blk.having or blk.qualify or blk.dedupe or self.spec.limit is not None or self.spec.union:
                    continue
                self._left_join_test(i, rj)

    def _inner_join_test(self, i: int, rj: ResolvedJoin) -> None:
        for lc, rc in rj.pairs:
            out = self.out_for_source(rj.left.table.name, lc.name) or self.out_for_source(rj.right.table.name, rc.name)
            if out is None:
                continue
            found: list[exp.Expr] = []
            for src, col, alias in ((rj.left, lc, "_dm_l"), (rj.right, rc, "_dm_r")):
                sub = exp.select(exp.Literal.number(1)).from_(source_table(src.table, alias)).where(
                    exp.EQ(this=qcol(alias, col.name), expression=self.scol(out.name)))
                found.append(exp.Exists(this=sub))
            # Violations = rows where NOT (EXISTS left AND EXISTS right), i.e. a key missing on either
            # side, counted as all rows minus the rows found on both sides: "found on both" plans as
            # two semi joins that hash the (small) result and stream the sources past it, where
            # "NOT EXISTS ... OR NOT EXISTS ..." needs mark joins that hash each source table.
            everything = exp.select(exp.Count(this=exp.Star())).from_(self.table())
            on_both = self.count_where(exp.and_(*found))
            self.add(f"join_inner_keys_match_{i}", "join",
                     f"Inner join {rj.left.ref}–{rj.right.ref}: every {out.name} exists on both sides",
                     exp.select(exp.Sub(this=everything.subquery(), expression=on_both.subquery())))  # fmt: skip
            self.inner_join_checks.append((self.tests[-1], rj, out, found))
            return

    def _left_join_test(self, i: int, rj: ResolvedJoin) -> None:
        left = rj.left
        for lc, _ in rj.pairs:
            out = self.out_for_source(left.table.name, lc.name)
            if out is None:
                continue
            where = self.block.where
            if where is not None and any(col.table != left.ref for col in where.find_all(exp.Column)):
                return  # a filter on the right side may drop left rows on purpose
            present = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(self.table()).where(
                exp.NullSafeEQ(this=self.scol(out.name), expression=qcol(left.ref, lc.name))))
            cond = exp.not_(present) if where is None else exp.and_(where.copy(), exp.not_(present))
            q = exp.select(exp.Count(this=exp.Star())).from_(source_table(left.table, left.ref)).where(cond)
            self.add(f"join_left_keeps_all_rows_{i}", "join",
                     f"Left join {left.ref}–{rj.right.ref}: every qualifying {left.table.name} row is kept", q)  # fmt: skip
            return

    def dedupe_tests(self) -> None:
        dd = self.block.block.dedupe
        if dd is None or not dd.keys:
            return
        outs = []
        for k in dd.keys:
            src, col = self.block.scope.lookup(k)
            o = self.out_for_source(src.table.name, col.name)
            if o is None:
                return
            outs.append(o)
        cols = [self.scol(o.name) for o in outs]
        dup = exp.select(*cols).from_(self.table()).group_by(*cols).having(
            exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        self.add("data_quality_dedupe_keys_unique", "data_quality",
                 f"One row per {', '.join(o.name for o in outs)} after de-duplication",
                 exp.select(exp.Count(this=exp.Star())).from_(dup.subquery("_dm_d")))  # fmt: skip

    # -- reconciliation -----------------------------------------------------------------
    def reconciliation(self) -> None:
        """Row count and measure totals of the result against the same figures from the sources.

        One query: the staged figures beside figures recomputed from the sources (one scan of
        the sources, however many measures). When the recomputation aggregates before the join
        (:func:`_eager_source_rows`) and the block has one inner join on one key, the same query
        also answers the inner-join key test (see :meth:`_fuse_join_check`), so the big source
        table is read once for both.
        """
        spec = self.spec
        if spec.distinct or (spec.union and spec.union.mode == "distinct"):
            return
        if any(b.block.qualify or not isinstance(b.query, exp.Select) for b in self.c.blocks):
            return
        measures = self._measures() if self.single and spec.limit is None else []
        expected_cols: list[exp.Expr] = []
        eager: exp.Select | None = None
        join_check = None
        if self.single:
            exprs = [o.expr for o in measures]
            eager = _eager_source_rows(self.block, exprs, with_keys=True, dense_keys=self.dense_keys)
            join_check = self._join_check_to_fuse() if eager is not None else None
            src = eager or self._source_rows(self.block, exprs)
            count: exp.Expr = exp.Count(this=exp.Star())
            if spec.limit is not None:
                count = exp.Least(this=count, expressions=[exp.Literal.number(spec.limit)])
            expected_cols.append(exp.alias_(count, "expected_rows"))
            expected_cols += [exp.alias_(exp.Sum(this=exp.column(f"_dm_m{i}")), f"expected_m{i}")
                              for i in range(len(measures))]  # fmt: skip
            from_src = exp.to_table(_SOURCE_CTE) if join_check is not None else src.subquery("_dm_src")
            expected = exp.select(*expected_cols).from_(from_src)
        else:
            total: exp.Expr | None = None
            for b in self.c.blocks:
                n = exp.select(exp.Count(this=exp.Star())).from_(self._source_rows(b, []).subquery("_dm_src")).subquery()
                total = n if total is None else exp.Add(this=total, expression=n)
            assert total is not None
            if spec.limit is not None:
                total = exp.Least(this=total, expressions=[exp.Literal.number(spec.limit)])
            expected = exp.select(exp.alias_(total, "expected_rows"))
        actual_cols = [exp.alias_(exp.Count(this=exp.Star()), "actual_rows")]
        actual_cols += [exp.alias_(exp.Sum(this=self.scol(o.name)), f"actual_m{i}") for i, o in enumerate(measures)]
        staged_stats = exp.select(*actual_cols).from_(self.table())
        query = exp.select(exp.Star()).from_(staged_stats.subquery("_dm_a")).join(
            expected.subquery("_dm_e"), join_type="CROSS")
        if join_check is not None:
            assert eager is not None
            query = self._fuse_join_check(query, eager, join_check)
        sql = self.sql(query)
        if join_check is not None:
            test = join_check[0]
            test.query, test.batch, test.actual_column = sql, RECONCILIATION_BATCH, JOIN_VIOLATIONS_COLUMN
        self.tests.append(TestCase(
            test_id="extraction_row_count_reconciles", category="extraction",
            use_case="The result has as many rows as an independent count over the sources",
            query=sql, expected_result="equal", kind="compare", batch=RECONCILIATION_BATCH,
            actual_column="actual_rows", expected_column="expected_rows"))  # fmt: skip
        for i, o in enumerate(measures):
            assert o.aggregation is not None
            self.tests.append(TestCase(
                test_id=f"transformation_total_{o.name}_reconciles", category="transformation",
                use_case=f"The total of {o.name} equals the {o.aggregation.function} over the qualifying source rows",
                query=sql, expected_result="equal", kind="compare", batch=RECONCILIATION_BATCH,
                actual_column=f"actual_m{i}", expected_column=f"expected_m{i}"))  # fmt: skip

    def _join_check_to_fuse(self) -> tuple[TestCase, ResolvedJoin, OutCol, list[exp.Expr]] | None:
        """The inner-join key test the reconciliation query can answer too, if any.

        Only for the block's single join on a single key: the aggregated source rows are then
        keyed by exactly the column that test checks.
        """
        joins = self.block.scope.joins
        if len(self.inner_join_checks) != 1 or len(joins) != 1 or len(joins[0].pairs) != 1:
            return None
        check = self.inner_join_checks[0]
        return check if check[1] is joins[0] else None

    def _fuse_join_check(
        self,
        query: exp.Select,
        eager: exp.Select,
        check: tuple[TestCase, ResolvedJoin, OutCol, list[exp.Expr]],
    ) -> exp.Select:
        """Add the inner-join key test's violation count to the reconciliation query.

        The aggregated source rows (``_dm_g``, materialised once) hold one row per output group
        whose key is a key of the fact table that also exists in the other table (the EXISTS in
        their HAVING). A result row whose key is among them therefore exists on both sides. The
        others (``_dm_x``, materialised once: one anti join of the result with ``_dm_g``) are
        checked against the two tables themselves, exactly like the stand-alone test::

            violations = (rows whose key is not in _dm_g)
                       - (rows whose key is not in _dm_g but exists on both sides)

        which is the stand-alone count (rows whose key is missing on either side). When the
        result is right ``_dm_x`` is empty, so the second count has no rows to look up and the
        tables are not read again.
        """
        _test, _rj, out, found = check
        g = exp.to_table(_SOURCE_CTE)
        in_g = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(g).where(
            exp.EQ(this=exp.column("_dm_k0", table=_SOURCE_CTE), expression=self.scol(out.name))))
        # the unproven rows' keys, under the staged table's alias so the EXISTS conditions apply as they are
        unproven_rows = exp.select(exp.alias_(self.scol(out.name), out.name, quoted=True)).from_(self.table()).where(
            exp.not_(in_g))
        unproven_table = exp.to_table(_UNPROVEN_CTE).as_(S, quoted=True)
        unproven = exp.select(exp.Count(this=exp.Star())).from_(unproven_table)
        unproven_found = exp.select(exp.Count(this=exp.Star())).from_(unproven_table.copy()).where(
            exp.and_(*(f.copy() for f in found)))
        violations = exp.select(exp.alias_(exp.Sub(this=unproven.subquery(), expression=unproven_found.subquery()),
                                           JOIN_VIOLATIONS_COLUMN))  # fmt: skip
        query = query.join(violations.subquery("_dm_j"), join_type="CROSS")
        materialized = True if self.dialect != "spark" else None  # Spark SQL has no AS [NOT] MATERIALIZED
        query = query.with_(_SOURCE_CTE, as_=eager, materialized=materialized)
        return query.with_(_UNPROVEN_CTE, as_=unproven_rows, materialized=materialized)

    @staticmethod
    def _source_rows(b: CompiledBlock, measures: list[exp.Expr]) -> exp.Select:
        """The block's FROM/JOIN/WHERE/GROUP BY/HAVING with a new select list: one row per output row."""
        src = b.query.copy()
        assert isinstance(src, exp.Select)
        src.set("order", None)
        src.set("limit", None)
        if src.args.get("distinct"):
            return src  # distinct rows: count the distinct output rows
        cols = [exp.alias_(m.copy(), f"_dm_m{i}") for i, m in enumerate(measures)]
        src.set("expressions", cols or [exp.alias_(exp.Literal.number(1), "_dm_one")])
        return src

    def _measures(self) -> list[OutCol]:
        """Output columns whose total can be recomputed from the sources: sums and counts."""
        b = self.block
        if not b.block.is_aggregate:
            return []
        return [
            o for o in b.outputs
            if o.kind == "aggregate" and o.aggregation is not None
            and o.aggregation.function in ("sum", "count") and o.aggregation.round is None
        ]  # fmt: skip


# -- the sources' figures, aggregated before the join ---------------------------------------

# Key types whose equality is exactly "same value", so grouping by the key and joining on it agree
# and a primary key is unique under the join's equality. Not text: a collation (invisible in the
# catalog's type name) can make 'A' = 'a' in the join while the key holds both.
_EXACT_KEY_FAMILIES = frozenset({"integer", "decimal", "boolean", "date", "timestamp"})


def _eager_source_rows(
    b: CompiledBlock, measures: list[exp.Expr], *, with_keys: bool = False, dense_keys: DenseKeys | None = None
) -> exp.Select | None:
    """The block's output rows recomputed from the sources by aggregating before the join, or None.

    ``SELECT agg(f.x) FROM f JOIN d ON d.k = f.k GROUP BY d.k HAVING ...`` where ``d.k`` is
    ``d``'s primary key (DuckDB enforces it: one ``d`` row per key) gives the same groups,
    aggregates and HAVING results as ``SELECT agg(f.x) FROM f GROUP BY f.k HAVING ... AND
    EXISTS (SELECT 1 FROM d WHERE d.k = f.k)``: each ``f`` row meets at most one ``d`` row, a
    group keeps all its ``f`` rows, and the inner join only drops whole groups (keys missing
    from ``d``, NULL keys). The second form hashes the groups once instead of hashing ``d`` and
    pushing every ``f`` row through the join first, so it costs about half as much, and it is
    an independent recomputation (another plan over the same source rows), which is what the
    reconciliation needs. Every source row is still read.

    Used only when that equivalence holds for sure: one inner join of two tables on ``d``'s
    whole primary key with identically typed exact keys, every group key one of the join
    keys and all join keys grouped on, and nothing (select, WHERE, ON, GROUP BY, HAVING)
    reading ``d`` except its key columns. Anything else returns None (the caller recomputes
    with the block's own join).

    The select list is ``_dm_m0, _dm_m1, ...`` (the measures; ``_dm_one`` when there are none),
    then, with ``with_keys``, the group keys as ``_dm_k0, _dm_k1, ...``.

    When ``d``'s key is in ``dense_keys`` (an integer primary key holding every value from lo to
    hi), the EXISTS is ``f.k BETWEEN lo AND hi``: the same rows, without a join.
    """
    q = b.query
    scope = b.scope
    if not b.block.is_aggregate or len(scope.sources) != 2 or len(scope.joins) != 1:
        return None
    rj = scope.joins[0]
    joins = q.args.get("joins") or []
    from_ = q.args.get("from_") or q.args.get("from")
    if rj.join_type != "inner" or len(joins) != 1 or from_ is None:
        return None
    if not isinstance(from_.this, exp.Table) or not isinstance(joins[0].this, exp.Table):
        return None  # a dedupe or pushed filter made a source a subquery
    if any(q.args.get(k) for k in ("distinct", "qualify", "with", "windows")) or q.find(exp.Window):
        return None
    group = q.args.get("group")
    if group is None or set(group.args) - {"expressions"} or not group.expressions:
        return None  # no GROUP BY, or ROLLUP / CUBE / GROUPING SETS
    for lc, rc in rj.pairs:
        if lc.type.strip().upper() != rc.type.strip().upper() or lc.family not in _EXACT_KEY_FAMILIES:
            return None
    tables = {t.alias_or_name.lower(): t for t in (from_.this, joins[0].this)}
    if set(tables) != {rj.left.ref.lower(), rj.right.ref.lower()}:
        return None
    for dim, fact, flip in ((rj.right, rj.left, False), (rj.left, rj.right, True)):
        pairs = [(rc, lc) if not flip else (lc, rc) for lc, rc in rj.pairs]  # (dim column, fact column)
        found = _eager_for(q, joins[0], tables, dim, fact, pairs, measures, with_keys, dense_keys or {})
        if found is not None:
            return found
    return None


def _eager_for(
    q: exp.Select,
    join: exp.Join,
    tables: dict[str, exp.Table],
    dim: Source,
    fact: Source,
    pairs: list[tuple[ColumnInfo, ColumnInfo]],
    measures: list[exp.Expr],
    with_keys: bool,
    dense_keys: DenseKeys,
) -> exp.Select | None:
    pk = {c.lower() for c in dim.table.primary_key}
    if not pk or pk != {d.name.lower() for d, _f in pairs} or len(pk) != len(pairs):
        return None
    dref, fref = dim.ref.lower(), fact.ref.lower()
    key_of = {d.name.lower(): f.name for d, f in pairs}  # dim key column -> fact key column
    fact_keys = {f.name.lower() for _d, f in pairs}

    def on_fact(tree: exp.Expr) -> exp.Expr:
        """``tree`` with dim key columns replaced by the fact key they equal; _Unmapped if it reads more of dim."""
        if tree.find(exp.Subquery, exp.Select, exp.Window):
            raise _Unmapped("subquery")

        def fn(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Column):
                return node
            table = node.table.lower()
            if table == fref:
                return node
            if table == dref and node.name.lower() in key_of:
                return qcol(fact.ref, key_of[node.name.lower()])
            raise _Unmapped(node.sql())

        return tree.transform(fn)

    def pair_of(node: exp.Expr) -> int | None:
        if isinstance(node, exp.Column):
            for n, (d, f) in enumerate(pairs):
                if (node.table.lower(), node.name.lower()) in ((dref, d.name.lower()), (fref, f.name.lower())):
                    return n
        return None

    try:
        conditions: list[exp.Expr] = []
        on = join.args.get("on")
        for part in on.flatten() if isinstance(on, exp.And) else [on] if on is not None else []:
            if isinstance(part, exp.EQ):
                a, c = pair_of(part.this), pair_of(part.expression)
                if a is not None and a == c and part.this.table.lower() != part.expression.table.lower():
                    continue  # one of the key equalities
            conditions.append(on_fact(part.copy()))  # an extra ON condition: a filter for an inner join
        where = q.args.get("where")
        if where is not None:
            conditions.append(on_fact(where.this.copy()))
        keys: list[exp.Expr] = []
        covered: set[int] = set()
        for g in group.expressions if (group := q.args.get("group")) else []:
            n = pair_of(g)
            if n is None:
                return None
            covered.add(n)
            col = qcol(fact.ref, pairs[n][1].name)
            if col.sql() not in {k.sql() for k in keys}:
                keys.append(col)
        if covered != set(range(len(pairs))) or not {k.name.lower() for k in keys} <= fact_keys:
            return None
        having = [on_fact(h.this.copy())] if (h := q.args.get("having")) is not None else []
        cols = [exp.alias_(on_fact(m.copy()), f"_dm_m{i}") for i, m in enumerate(measures)]
    except _Unmapped:
        return None
    dim_table = tables[dref].copy()
    dim_table.set("alias", exp.TableAlias(this=exp.to_identifier("_dm_u", quoted=True)))
    exists: exp.Expr = exp.Exists(this=exp.select(exp.Literal.number(1)).from_(dim_table).where(
        exp.and_(*(exp.EQ(this=qcol("_dm_u", d.name), expression=qcol(fact.ref, f.name)) for d, f in pairs))))
    dense = dense_keys.get(dense_key_name(dim.table))
    if dense is not None and len(pairs) == 1 and pairs[0][0].family == "integer":
        lo, hi = dense  # every integer from lo to hi is a key of dim, and nothing else
        exists = exp.Between(this=qcol(fact.ref, pairs[0][1].name), low=exp.Literal.number(int(lo)),
                             high=exp.Literal.number(int(hi)))  # fmt: skip
    cols = cols or [exp.alias_(exp.Literal.number(1), "_dm_one")]
    if with_keys:
        cols += [exp.alias_(k.copy(), f"_dm_k{j}") for j, k in enumerate(keys)]
    src = exp.select(*cols).from_(tables[fref].copy())
    if conditions:
        src = src.where(exp.and_(*(exp.paren(c) for c in conditions)))
    return src.group_by(*keys).having(exp.and_(*(exp.paren(h) for h in having), exists))


def dense_key_name(info: TableInfo) -> str:
    """How :data:`DenseKeys` names a table."""
    return f"{info.schema}.{info.name}".lower()


def _describe(cond: Condition) -> str:
    return describe_condition(cond)
