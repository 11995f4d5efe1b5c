"""An independent evaluation of an ETL spec with Polars (the differential check's second opinion).

:func:`evaluate_spec_polars` follows the evaluation order of a query block given
in :mod:`datamorph.spec`: joins (extra ``conditions`` in ON), filters, dedupe,
aggregation and having, windows, output columns, qualify; then union, distinct,
order_by and limit. It reads each source table as Arrow through a callback and
shares no code with :mod:`datamorph.compiler` (the SQL it checks); SQL
fragments are parsed with SQLGlot and translated by
:mod:`datamorph.validation.polars_expr`.

Name resolution: ``alias.column``, ``table.column`` or a bare name that is in
one source only, or is a join key the joins make equal on every side (then it
means the value of the preserved side: ``COALESCE`` over the sides in join
order, SQL's ``USING``). Derived, aggregation and window names are bare.

Anything outside the supported subset raises :class:`DifferentialUnsupported`;
a spec whose result the data does not determine (ties in a dedupe or
``row_number`` order) raises :class:`DifferentialAmbiguous`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from datamorph.catalog import Catalog, TableInfo
from datamorph.errors import CatalogError
from datamorph.spec import Aggregation, ETLSpec, OrderItem, QueryBlock, WindowColumn
from datamorph.validation.polars_expr import (
    NUMERIC_KINDS,
    DifferentialAmbiguous,
    DifferentialUnsupported,
    Translator,
    Typed,
    column_node,
    conjunction,
    contains_aggregate_call,
    kind_of_dtype,
    nulls_equal,
    parse_fragment,
    sql_round,
)

__all__ = [
    "BlockPlan",
    "DifferentialAmbiguous",
    "DifferentialUnsupported",
    "Evaluation",
    "evaluate",
    "evaluate_spec_polars",
    "table_ref",
]

Identity = frozenset  # of (source ref lower, column lower): the source columns a value is (equal to)
HIDDEN = "\x00"  # prefix of working columns; never an output name


def table_ref(info: TableInfo) -> str:
    """How to name a catalog table when reading it (``schema.name`` outside the default schema)."""
    if info.schema in ("main", "public", "default", "temp", "") or info.kind == "file":
        return info.name
    return f"{info.schema}.{info.name}"


# ---------------------------------------------------------------------------------------------
# structure of a block: sources, joins, name resolution (catalog only, no data)
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class SourceRef:
    ref: str
    info: TableInfo
    index: int  # position in join order

    @property
    def key(self) -> str:
        return self.ref.lower()

    def internal(self, column: str) -> str:
        return f"{HIDDEN}s{self.index}.{column.lower()}"


@dataclass
class JoinStep:
    left: SourceRef  # the already-joined source that holds the left keys
    right: SourceRef
    how: str
    pairs: list[tuple[str, str]]  # (left column, right column), lower case
    conditions: list[Any]


class BlockPlan:
    """Sources in join order, the join steps and how a column name resolves."""

    def __init__(self, block: QueryBlock, catalog: Catalog) -> None:
        self.block = block
        self.catalog = catalog
        declared: list[SourceRef] = []
        for st in block.source_tables:
            try:
                info = catalog.table(st.table_name)
            except CatalogError as e:
                raise DifferentialUnsupported(f"source table: {e.message}") from None
            declared.append(SourceRef(st.alias or info.name, info, -1))
        self._declared = declared
        self.sources: list[SourceRef] = [declared[0]]
        self.joins: list[JoinStep] = []
        self._order_joins()
        for i, s in enumerate(self.sources):
            s.index = i
        self.classes = self._equivalence_classes()

    def source(self, ref: str) -> SourceRef:
        low = ref.lower()
        for s in self._declared:
            if s.ref.lower() == low:
                return s
        for s in self._declared:
            if s.info.name.lower() == low:
                return s
        raise DifferentialUnsupported(f"'{ref}' is not one of the block's sources")

    def _order_joins(self) -> None:
        pending = list(self.block.join_conditions)
        while pending:
            progressed = False
            for jc in list(pending):
                left, right = self.source(jc.left_table), self.source(jc.right_table)
                how = jc.join_type
                pairs = [(p.left, p.right) for p in jc.on_columns]
                if left in self.sources and right not in self.sources:
                    pass
                elif right in self.sources and left not in self.sources:
                    left, right = right, left
                    how = "right" if how == "left" else "left" if how == "right" else how
                    pairs = [(b, a) for a, b in pairs]
                elif left in self.sources and right in self.sources:
                    raise DifferentialUnsupported(f"{jc.left_table} and {jc.right_table} are joined twice")
                else:
                    continue
                resolved = [self._pair(left, right, a, b) for a, b in pairs]
                self.sources.append(right)
                self.joins.append(JoinStep(left, right, how, resolved, list(jc.conditions)))
                pending.remove(jc)
                progressed = True
            if not progressed:
                raise DifferentialUnsupported("join_conditions do not connect every source")
        if len(self.sources) != len(self._declared):
            raise DifferentialUnsupported("a source table is not joined to the others")

    def _pair(self, left: SourceRef, right: SourceRef, a: str, b: str) -> tuple[str, str]:
        qa, _, na = a.rpartition(".")
        qb, _, nb = b.rpartition(".")
        if qa and self.source(qa) is right and (not qb or self.source(qb) is left):
            na, nb = nb, na  # "o.customer_id = c.id" written the other way round
        for src, col in ((left, na), (right, nb)):
            if not src.info.has_column(col):
                raise DifferentialUnsupported(f"join key '{col}' is not a column of {src.info.name}")
        return na.lower(), nb.lower()

    def _equivalence_classes(self) -> list[set[tuple[str, str]]]:
        groups: list[set[tuple[str, str]]] = []
        for j in self.joins:
            for lc, rc in j.pairs:
                a, b = (j.left.key, lc), (j.right.key, rc)
                merged = [g for g in groups if a in g or b in g]
                groups = [g for g in groups if g not in merged] + [{a, b}.union(*merged)]
        return groups

    def class_of(self, member: tuple[str, str]) -> set[tuple[str, str]]:
        for g in self.classes:
            if member in g:
                return g
        return {member}

    def lookup(self, name: str) -> list[tuple[SourceRef, str]]:
        """The source column(s) ``name`` stands for: one, or the equal join keys of every side (in join order)."""
        qual, _, bare = name.strip().rpartition(".")
        if qual:
            src = self.source(qual.split(".")[-1])
            if not src.info.has_column(bare):
                raise DifferentialUnsupported(f"unknown column '{name}'")
            return [(src, bare.lower())]
        hits = [(s, bare.lower()) for s in self.sources if s.info.has_column(bare)]
        if len(hits) == 1:
            return hits
        if not hits:
            raise DifferentialUnsupported(f"unknown column '{name}'")
        members = {(s.key, c) for s, c in hits}
        if any(members <= g for g in self.classes):
            return hits
        raise DifferentialUnsupported(f"ambiguous column '{name}'")

    @staticmethod
    def identity(hits: list[tuple[SourceRef, str]]) -> frozenset[tuple[str, str]]:
        return frozenset((s.key, c) for s, c in hits)


# ---------------------------------------------------------------------------------------------
# evaluation of a block
# ---------------------------------------------------------------------------------------------


@dataclass
class Output:
    name: str
    value: Typed
    origin: frozenset[tuple[str, str]] | None = None  # source columns it equals, when it is one


@dataclass
class BlockResult:
    frame: Any  # pl.DataFrame: the output columns, then hidden order columns
    names: list[str]
    origins: list[frozenset[tuple[str, str]] | None]
    order: list[tuple[str, bool, bool]] = field(default_factory=list)  # (frame column, descending, nulls_last)


@dataclass
class _Key:
    name: str
    column: str
    kind: str
    identity: frozenset[tuple[str, str]] | None
    derived: str | None  # lower derived name when the key is a derived column


@dataclass
class _WindowPlan:
    w: WindowColumn
    column: str
    kind: str
    arg: Typed | None
    parts: list[Typed]
    orders: list[tuple[Typed, bool, bool]]


def _merge_kind(kinds: list[str]) -> str:
    ks = [k for k in kinds if k != "null"] or ["null"]
    if all(k == ks[0] for k in ks):
        return ks[0]
    if all(k in NUMERIC_KINDS for k in ks):
        return "float" if "float" in ks else "decimal" if "decimal" in ks else "int"
    return "other"


class BlockEval:
    def __init__(
        self, plan: BlockPlan, frames: dict[str, Any], kinds: dict[str, str], *, div_by_zero: str = "ieee"
    ) -> None:
        self.plan = plan
        self.block = plan.block
        self.frames = frames  # source ref lower -> normalised pl.DataFrame with internal column names
        self.div_by_zero = div_by_zero
        self.kinds: dict[str, str] = dict(kinds)  # internal column -> kind (decimals are Float64 of kind decimal)
        b = self.block
        self.derived = {d.name.lower(): d for d in b.derived_columns}
        self.derived_trees = {k: parse_fragment(d.expression, f"derived column '{d.name}'") for k, d in self.derived.items()}
        self.aggs = {a.alias.lower(): a for a in b.aggregations}
        self.windows = {w.name.lower(): w for w in b.windows}
        self.post_derived = self._post_derived() if b.is_aggregate else set()
        if not b.is_aggregate:
            for name, tree in self.derived_trees.items():
                if contains_aggregate_call(tree):
                    raise DifferentialUnsupported(f"derived column '{name}' aggregates but the block has no aggregation")
        self.keys: list[_Key] = []
        self.agg_cols: dict[str, tuple[str, str]] = {}  # alias lower -> (column, kind), unrounded
        self.hidden_aggs: list[Any] = []
        self.window_cols: dict[str, tuple[str, str]] = {}  # name lower -> (column, kind)
        self.counter = 0

    def _post_derived(self) -> set[str]:
        post: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, tree in self.derived_trees.items():
                if name in post:
                    continue
                refs = {c.name.lower() for c in tree.find_all(exp.Column) if not c.table}
                if contains_aggregate_call(tree) or refs & (set(self.aggs) | post):
                    post.add(name)
                    changed = True
        return post

    def tmp(self, what: str) -> str:
        self.counter += 1
        return f"{HIDDEN}{what}{self.counter}"

    # -- name resolution ---------------------------------------------------------------------------
    def source_value(self, hits: list[tuple[SourceRef, str]]) -> Typed:
        import polars as pl

        cols = [s.internal(c) for s, c in hits]
        kinds = [self.kinds[c] for c in cols]
        if len(cols) == 1:
            return Typed(pl.col(cols[0]), kinds[0])
        kind = _merge_kind(kinds)
        if kind == "other" and len(set(kinds)) > 1:
            raise DifferentialUnsupported("join keys of different types are used as one column")
        return Typed(pl.coalesce([pl.col(c) for c in cols]), kind)

    def row_translator(self, *, windows: bool = False, stack: tuple[str, ...] = ()) -> Translator:
        return Translator(lambda node: self._row_column(node, windows, stack), div_by_zero=self.div_by_zero)

    def _row_column(self, node: exp.Column, windows: bool, stack: tuple[str, ...]) -> Typed:
        import polars as pl

        name, low = node.name, node.name.lower()
        if not node.table:
            if low in self.derived and low not in stack and low not in self.post_derived:
                return self.row_translator(windows=windows, stack=(*stack, low))(self.derived_trees[low])
            if low in self.aggs or low in self.post_derived:
                raise DifferentialUnsupported(f"'{name}' is an aggregate; it cannot be used on rows")
            if low in self.windows:
                if not windows or low not in self.window_cols:
                    raise DifferentialUnsupported(f"'{name}' is a window result; it cannot be used here")
                col, kind = self.window_cols[low]
                return Typed(pl.col(col), kind)
        return self.source_value(self.plan.lookup(f"{node.table}.{name}" if node.table else name))

    def final_translator(self, *, windows: bool = False, stack: tuple[str, ...] = ()) -> Translator:
        return Translator(lambda node: self._final_column(node, windows, stack), aggregate=self._aggregate_call,
                          div_by_zero=self.div_by_zero)  # fmt: skip

    def _final_column(self, node: exp.Column, windows: bool, stack: tuple[str, ...]) -> Typed:
        import polars as pl

        name, low = node.name, node.name.lower()
        if not node.table:
            if low in self.agg_cols:
                col, kind = self.agg_cols[low]
                return Typed(pl.col(col), kind)
            if low in self.post_derived and low not in stack:
                return self.final_translator(windows=windows, stack=(*stack, low))(self.derived_trees[low])
            if low in self.windows:
                if not windows or low not in self.window_cols:
                    raise DifferentialUnsupported(f"'{name}' is a window result; it cannot be used here")
                col, kind = self.window_cols[low]
                return Typed(pl.col(col), kind)
            for k in self.keys:
                if k.derived == low:
                    return Typed(pl.col(k.column), k.kind)
            if low in self.derived:
                raise DifferentialUnsupported(f"'{name}' is neither grouped nor aggregated")
        ident = BlockPlan.identity(self.plan.lookup(f"{node.table}.{name}" if node.table else name))
        for k in self.keys:
            if k.identity is not None and k.identity & ident:
                return Typed(pl.col(k.column), k.kind)
        raise DifferentialUnsupported(f"'{name}' is neither grouped nor aggregated")

    def name_resolver(self, tr: Translator) -> Callable[[str], Typed]:
        """How a condition's ``column`` (a name, or an expression with parentheses) resolves."""

        def resolve(name: str) -> Typed:
            node = parse_fragment(name, "condition column") if "(" in name else column_node(name)
            return tr(node)

        return resolve

    # -- aggregates ------------------------------------------------------------------------------------
    def agg_expr(self, function: str, arg: Typed | None, cond: Any | None) -> tuple[Any, str]:
        import polars as pl

        value = arg.expr if arg is not None else None
        if cond is not None:
            value = pl.when(cond).then(value if value is not None else pl.lit(1))
        kind = arg.kind if arg is not None else "int"
        if function == "count":
            return (pl.len() if value is None else value.count()).cast(pl.Int64), "int"
        if value is None:
            raise DifferentialUnsupported(f"{function} needs a value")
        if function == "count_distinct":
            return value.drop_nulls().n_unique().cast(pl.Int64), "int"
        if function in ("sum", "avg") and kind not in NUMERIC_KINDS and kind != "null":
            raise DifferentialUnsupported(f"{function} of a {kind} value")
        if function == "sum":
            return pl.when(value.count() > 0).then(value.sum()), kind  # SQL: the sum of no values is NULL
        if function == "avg":
            return value.cast(pl.Float64).mean(), "float"
        if function == "min":
            return value.min(), kind
        if function == "max":
            return value.max(), kind
        raise DifferentialUnsupported(f"aggregate function {function} is not supported")

    def _aggregate_call(self, node: exp.Expr) -> Typed:
        import polars as pl

        row = self.row_translator()
        cond = None
        if isinstance(node, exp.Filter):
            where = node.expression
            cond = row(where.this if isinstance(where, exp.Where) else where).expr
            node = node.this
        inner = node.this
        if isinstance(node, exp.Count):
            if isinstance(inner, exp.Star) or inner is None:
                expr, kind = self.agg_expr("count", None, cond)
            elif isinstance(inner, exp.Distinct):
                if len(inner.expressions) != 1:
                    raise DifferentialUnsupported("count(DISTINCT ...) of several values")
                expr, kind = self.agg_expr("count_distinct", row(inner.expressions[0]), cond)
            else:
                expr, kind = self.agg_expr("count", row(inner), cond)
        else:
            if isinstance(inner, exp.Distinct):
                raise DifferentialUnsupported(f"{node.key}(DISTINCT ...) is not supported")
            agg_names: dict[type[exp.Expr], str] = {exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}
            fn = agg_names[type(node)]
            expr, kind = self.agg_expr(fn, row(inner), cond)
        col = self.tmp("h")
        self.hidden_aggs.append(expr.alias(col))
        self.kinds[col] = kind
        return Typed(pl.col(col), kind)

    def spec_aggregation(self, a: Aggregation) -> tuple[Any, str]:
        row = self.row_translator()
        arg = None
        if a.column is not None:
            arg = row(column_node(a.column))
        elif a.expression is not None:
            tree = parse_fragment(a.expression, f"aggregation '{a.alias}'")
            if contains_aggregate_call(tree):
                raise DifferentialUnsupported(f"aggregation '{a.alias}': the expression already aggregates")
            arg = row(tree)
        cond = conjunction(a.filter, self.name_resolver(row), row)
        return self.agg_expr(a.function, arg, cond)

    # -- joins, filters, dedupe -----------------------------------------------------------------------
    def joined(self) -> Any:
        import polars as pl

        first = self.plan.sources[0]
        lf = self.frames[first.key].lazy()
        row = self.row_translator()
        for j in self.plan.joins:
            right = self.frames[j.right.key].lazy()
            lkeys, rkeys, extra_l, extra_r = [], [], [], []
            for lc, rc in j.pairs:
                lcol, rcol = j.left.internal(lc), j.right.internal(rc)
                lk, rk = self.kinds[lcol], self.kinds[rcol]
                if lk == rk:
                    lkeys.append(lcol)
                    rkeys.append(rcol)
                    continue
                both = {lk, rk} - {"null"}  # an all-NULL column takes the other side's type
                target: pl.DataType | type[pl.DataType]
                if both <= NUMERIC_KINDS:
                    target = pl.Float64
                elif both <= {"date", "timestamp"}:
                    target = pl.Datetime("us")
                elif len(both) == 1 and both <= {"text", "bool"}:
                    target = pl.String if both == {"text"} else pl.Boolean
                else:
                    raise DifferentialUnsupported(f"join key {lc} ({lk}) and {rc} ({rk}) have different types")
                lname, rname = self.tmp("jl"), self.tmp("jr")
                extra_l.append(pl.col(lcol).cast(target).alias(lname))
                extra_r.append(pl.col(rcol).cast(target).alias(rname))
                lkeys.append(lname)
                rkeys.append(rname)
            if extra_l:
                lf = lf.with_columns(extra_l)
                right = right.with_columns(extra_r)
            cond = conjunction(j.conditions, self.name_resolver(row), row)
            lf = self._join(lf, right, lkeys, rkeys, j.how, cond)
            drop = [c for c in (*lkeys, *rkeys) if c.startswith(f"{HIDDEN}j")]
            if drop:
                lf = lf.drop(drop)
        return lf

    def _join(self, left: Any, right: Any, lkeys: list[str], rkeys: list[str], how: str, cond: Any) -> Any:
        import polars as pl

        kw = {"left_on": lkeys, "right_on": rkeys, "coalesce": False, **nulls_equal(False)}  # SQL: NULL keys never match
        if cond is None:
            if how == "right":  # as a left join the other way round (Polars < 1.1 has no right join)
                return right.join(left, how="left", **{**kw, "left_on": rkeys, "right_on": lkeys})
            return left.join(right, how=how, **kw)
        li, ri = self.tmp("li"), self.tmp("ri")
        left = left.with_row_index(li)
        right = right.with_row_index(ri)
        matched = left.join(right, how="inner", **kw).filter(cond)  # ON: the keys and the extra conditions
        parts = [matched]
        if how in ("left", "full"):
            parts.append(left.join(matched.select(li).unique(), on=li, how="anti"))
        if how in ("right", "full"):
            parts.append(right.join(matched.select(ri).unique(), on=ri, how="anti"))
        out = pl.concat(parts, how="diagonal") if len(parts) > 1 else matched
        return out.drop([li, ri])

    def source_columns(self) -> list[str]:
        return [s.internal(c.name) for s in self.plan.sources for c in s.info.columns]

    def dedupe(self, lf: Any) -> Any:
        import polars as pl

        dd = self.block.dedupe
        if dd is None:
            return lf
        values = self.source_columns()
        if not dd.keys:
            return lf.unique(subset=values)
        row = self.row_translator()
        keys = [self.tmp("dk") for _ in dd.keys]
        orders = [self.tmp("do") for _ in dd.order_by]
        def key(k: str) -> Any:
            src, col = self.plan.lookup(k)[0]
            e = row(column_node(k)).expr
            return e.str.to_lowercase() if dd.ignore_case and src.info.column(col).family == "text" else e

        lf = lf.with_columns([key(k).alias(c) for k, c in zip(dd.keys, keys, strict=True)]
                             + [row(column_node(o.column)).expr.alias(c) for o, c in zip(dd.order_by, orders, strict=True)])  # fmt: skip
        desc = [o.direction == "desc" for o in dd.order_by]
        nulls_last = [o.nulls != "first" for o in dd.order_by]
        if dd.keep == "last":
            desc = [not d for d in desc]
            nulls_last = [not n for n in nulls_last]
        df = lf.collect()
        if orders:
            df = df.sort(keys + orders, descending=[False] * len(keys) + desc, nulls_last=[True] * len(keys) + nulls_last)
        tied = pl.lit(True)
        for o in orders:
            tied = tied & pl.col(o).eq_missing(pl.col(o).first().over(keys))
        contenders = df.filter(tied).select(keys + values).unique().group_by(keys).len()
        n = contenders.filter(pl.col("len") > 1).height
        if n:
            raise DifferentialAmbiguous(
                f"dedupe: for {n} key value(s) several different rows tie for the one kept "
                f"({'order_by ' + ', '.join(o.column for o in dd.order_by) if dd.order_by else 'no order_by'} "
                "does not decide)"
            )
        kept = df.filter(pl.int_range(pl.len()).over(keys) == 0)
        return kept.drop(keys + orders).lazy()

    # -- windows ------------------------------------------------------------------------------------------
    def plan_window(self, w: WindowColumn, tr: Translator) -> _WindowPlan:
        arg = None
        if w.column:
            arg = tr(column_node(w.column))
        elif w.expression:
            arg = tr(parse_fragment(w.expression, f"window '{w.name}'"))
        parts = [tr(parse_fragment(p, "partition_by") if "(" in p else column_node(p)) for p in w.partition_by]
        orders = [(tr(column_node(o.column)), o.direction == "desc", o.nulls != "first") for o in w.order_by]
        fn = w.function
        if fn in ("row_number", "rank", "dense_rank", "count"):
            kind = "int"
        elif fn in ("avg", "share", "percent_rank"):
            kind = "float"
        elif fn in ("sum", "min", "max", "lag", "lead"):
            assert arg is not None
            kind = arg.kind
            if fn == "sum" and kind not in NUMERIC_KINDS:
                raise DifferentialUnsupported(f"window '{w.name}': sum of a {kind} value")
        else:
            raise DifferentialUnsupported(f"window function {fn} is not supported")
        col = self.tmp("w")
        self.window_cols[w.name.lower()] = (col, kind)
        self.kinds[col] = kind
        return _WindowPlan(w, col, kind, arg, parts, orders)

    def apply_window(self, df: Any, wp: _WindowPlan) -> Any:
        import polars as pl

        w, fn = wp.w, wp.w.function
        pcols = [self.tmp("p") for _ in wp.parts]
        ocols = [self.tmp("o") for _ in wp.orders]
        a = self.tmp("a")
        temps = [t.expr.alias(c) for t, c in zip(wp.parts, pcols, strict=True)]
        temps += [t.expr.alias(c) for (t, _d, _n), c in zip(wp.orders, ocols, strict=True)]
        if wp.arg is not None:
            temps.append(wp.arg.expr.alias(a))
        values = list(df.columns)  # the rows' data, before the working columns
        df = df.with_columns(temps)

        def over(e: Any, extra: Sequence[str] = ()) -> Any:
            cols = [*pcols, *extra]
            return e.over(cols) if cols else e

        x = pl.col(a)
        whole = not wp.orders or w.frame == "partition"
        out: Any
        rn = self.tmp("rn")
        if fn == "share":
            if wp.arg is None or wp.arg.kind not in NUMERIC_KINDS:
                raise DifferentialUnsupported(f"window '{w.name}': share needs a numeric value")
            total = over(pl.when(x.count() > 0).then(x.sum())).cast(pl.Float64)
            out = x.cast(pl.Float64) * (100.0 if w.percent else 1.0) / pl.when(total == 0).then(None).otherwise(total)
            df = df.with_columns(out.alias(wp.column))
        elif fn in ("sum", "avg", "count", "min", "max") and whole:
            if fn == "count":
                out = over(pl.len() if wp.arg is None else x.count()).cast(pl.Int64)
            else:
                out = over(self.agg_expr(fn, Typed(x, wp.arg.kind if wp.arg else "int"), None)[0])
            df = df.with_columns(out.alias(wp.column))
        else:
            df = df.sort([*pcols, *ocols], descending=[False] * len(pcols) + [d for _t, d, _n in wp.orders],
                         nulls_last=[True] * len(pcols) + [n for _t, _d, n in wp.orders])  # fmt: skip
            df = df.with_columns((over(pl.int_range(pl.len())) + 1).cast(pl.Int64).alias(rn))
            ordered_rows = fn in ("row_number", "lag", "lead") or (fn in ("sum", "avg", "count", "min", "max")
                                                                  and (w.frame == "running" or w.preceding is not None))  # fmt: skip
            if ordered_rows:
                self._check_ties(df, pcols, ocols, values, w)
            if fn == "row_number":
                df = df.with_columns(pl.col(rn).alias(wp.column))
            elif fn in ("rank", "dense_rank", "percent_rank"):
                rk = self.tmp("rk")  # materialised: a window inside a window is not allowed in every Polars
                df = df.with_columns(pl.col(rn).min().over([*pcols, *ocols]).alias(rk))
                rank = pl.col(rk)
                if fn == "rank":
                    df = df.with_columns(rank.alias(wp.column))
                elif fn == "dense_rank":
                    df = df.with_columns(over((pl.col(rn) == rank).cast(pl.Int64).cum_sum()).alias(wp.column))
                else:
                    n = over(pl.len()).cast(pl.Float64)
                    pr = pl.when(n > 1).then((rank - 1).cast(pl.Float64) / (n - 1)).otherwise(0.0)
                    df = df.with_columns(pr.alias(wp.column))
            elif fn in ("lag", "lead"):
                k = w.offset or 1
                df = df.with_columns(over(x.shift(k if fn == "lag" else -k)).alias(wp.column))
            elif w.preceding is not None:
                df = self._moving(df, wp, x, over)
            else:
                df = self._running(df, wp, x, rn, over)
                if w.frame != "running":  # SQL's default frame: RANGE ... CURRENT ROW takes in the peers
                    df = df.with_columns(pl.col(wp.column).last().over([*pcols, *ocols]))
        if w.round is not None:
            df = df.with_columns(sql_round(Typed(pl.col(wp.column), wp.kind), w.round).expr.alias(wp.column))
        return df.drop([c for c in df.columns if c not in values and c != wp.column])

    def _moving(self, df: Any, wp: _WindowPlan, x: Any, over: Callable[..., Any]) -> Any:
        """ROWS BETWEEN N PRECEDING AND CURRENT ROW: sum, avg or count of this row and the N rows before it
        (NULLs skipped, as SQL's aggregates skip them; no value in the frame gives NULL, a count 0)."""
        import polars as pl

        fn, size = wp.w.function, (wp.w.preceding or 0) + 1
        present = (pl.lit(1, pl.Int64) if wp.arg is None else x.is_not_null().cast(pl.Int64))
        n = over(present.rolling_sum(size, min_samples=1))
        if fn == "count":
            return df.with_columns(n.cast(pl.Int64).alias(wp.column))
        if fn not in ("sum", "avg") or wp.arg is None:
            raise DifferentialUnsupported(f"window '{wp.w.name}': a moving {fn}")
        s = over(x.fill_null(0).rolling_sum(size, min_samples=1))
        out = pl.when(n > 0).then(s if fn == "sum" else s.cast(pl.Float64) / n)
        return df.with_columns(out.alias(wp.column))

    def _running(self, df: Any, wp: _WindowPlan, x: Any, rn: str, over: Callable[..., Any]) -> Any:
        import polars as pl

        fn = wp.w.function
        if fn == "count":
            out = pl.col(rn) if wp.arg is None else over(x.is_not_null().cast(pl.Int64).cum_sum())
            return df.with_columns(out.cast(pl.Int64).alias(wp.column))
        n = over(x.is_not_null().cast(pl.Int64).cum_sum())
        if fn in ("sum", "avg"):
            s = over(x.fill_null(0).cum_sum())
            out = pl.when(n > 0).then(s if fn == "sum" else s.cast(pl.Float64) / n)
            return df.with_columns(out.alias(wp.column))
        tmp = self.tmp("m")
        cum = over(x.cum_min() if fn == "min" else x.cum_max())
        df = df.with_columns(cum.alias(tmp))
        return df.with_columns(over(pl.col(tmp).forward_fill()).alias(wp.column)).drop(tmp)

    @staticmethod
    def _check_ties(df: Any, pcols: list[str], ocols: list[str], values: list[str], w: WindowColumn) -> None:
        import polars as pl

        keys = [*pcols, *ocols]
        if keys:
            groups = df.select(keys + values).unique().group_by(keys).len()
            n = groups.filter(pl.col("len") > 1).height
        else:
            n = 1 if df.select(values).unique().height > 1 else 0
        if n:
            what = f"order_by {', '.join(o.column for o in w.order_by)}" if w.order_by else "no order_by"
            raise DifferentialAmbiguous(
                f"window '{w.name}': {w.function} over rows that tie on the partition and order ({what}); "
                "the result depends on the order the engine picks"
            )

    # -- the block -------------------------------------------------------------------------------------------
    def run(self, order_items: Sequence[OrderItem] = (), *, allow_hidden: bool = False) -> BlockResult:
        b = self.block
        row = self.row_translator()
        lf = self.joined()
        cond = conjunction(b.filters, self.name_resolver(row), row)
        if cond is not None:
            lf = lf.filter(cond)
        lf = self.dedupe(lf)
        if b.is_aggregate:
            frame, outputs, order = self._aggregate(lf, order_items, allow_hidden)
        else:
            frame, outputs, order = self._rows(lf, order_items, allow_hidden)
        if b.qualify:
            frame = frame.filter(self._qualify(outputs))
        return BlockResult(frame.collect(), [o.name for o in outputs], [o.origin for o in outputs], order)

    def _rows(self, lf: Any, order_items: Sequence[OrderItem], allow_hidden: bool) -> tuple[Any, list[Output], list]:
        b = self.block
        plans = [self.plan_window(w, self.row_translator()) for w in b.windows]
        outputs = self._row_outputs()
        order, hidden = self._order(order_items, outputs, allow_hidden, self.row_translator(windows=True))
        df = lf.collect()
        for wp in plans:
            df = self.apply_window(df, wp)
        select = [o.value.expr.alias(o.name) for o in outputs] + [e.alias(c) for c, e in hidden]
        return df.lazy().select(select), outputs, order

    def _row_outputs(self) -> list[Output]:
        b = self.block
        row = self.row_translator(windows=True)
        if not b.columns:
            outs: list[Output] = []
            seen: set[str] = set()
            for s in self.plan.sources:
                for sc in s.info.columns:
                    low = sc.name.lower()
                    if low in seen:
                        try:
                            shared = len(self.plan.lookup(sc.name)) > 1
                        except DifferentialUnsupported:
                            shared = False
                        if shared:
                            continue  # the same join key on every side: kept once
                        name = f"{s.ref}_{sc.name}"
                        outs.append(Output(name, self.source_value([(s, low)]), frozenset({(s.key, low)})))
                        seen.add(name.lower())
                        continue
                    seen.add(low)
                    try:
                        hits = self.plan.lookup(sc.name)
                    except DifferentialUnsupported:
                        hits = [(s, low)]
                    if not any(h[0] is s for h in hits):
                        hits = [(s, low)]
                    outs.append(Output(sc.name, self.source_value(hits), BlockPlan.identity(hits)))
            outs += [Output(d.name, row(column_node(d.name))) for d in b.derived_columns]
            outs += [Output(w.name, row(column_node(w.name))) for w in b.windows]
            return _unique(outs)
        chosen = []
        for c in b.columns:
            if c.column is not None:
                low = c.column.lower()
                if low in self.derived:
                    chosen.append(Output(c.name or self.derived[low].name, row(column_node(c.column))))
                elif low in self.windows:
                    chosen.append(Output(c.name or self.windows[low].name, row(column_node(c.column))))
                else:
                    hits = self.plan.lookup(c.column)
                    real = hits[0][0].info.column(hits[0][1]).name
                    chosen.append(Output(c.name or real, self.source_value(hits), BlockPlan.identity(hits)))
            else:
                tree = parse_fragment(c.expression or "", f"column '{c.name}'")
                chosen.append(Output(c.name or "expr", row(tree)))
        return _unique(chosen)

    def _aggregate(self, lf: Any, order_items: Sequence[OrderItem], allow_hidden: bool) -> tuple[Any, list[Output], list]:
        import polars as pl

        b = self.block
        row = self.row_translator()
        key_exprs = []
        for g in b.group_by:
            low = g.lower()
            col = self.tmp("k")
            if low in self.derived:
                if low in self.post_derived:
                    raise DifferentialUnsupported(f"group_by: '{g}' is an aggregate")
                t = row(column_node(g))
                key = _Key(g, col, t.kind, None, low)
            elif "(" in g or " " in g.strip():
                raise DifferentialUnsupported(f"group_by: the expression '{g}' is not a derived column")
            else:
                hits = self.plan.lookup(g)
                t = self.source_value(hits)
                key = _Key(hits[0][0].info.column(hits[0][1]).name, col, t.kind, BlockPlan.identity(hits), None)
            self.kinds[col] = t.kind
            self.keys.append(key)
            key_exprs.append(t.expr.alias(col))
        agg_exprs = []
        for a in b.aggregations:
            expr, kind = self.spec_aggregation(a)
            col = self.tmp("agg")
            self.agg_cols[a.alias.lower()] = (col, kind)
            self.kinds[col] = kind
            agg_exprs.append(expr.alias(col))
        final = self.final_translator()
        having = conjunction(b.having, self.name_resolver(final), final)
        plans = [self.plan_window(w, self.final_translator()) for w in b.windows]
        outputs = self._aggregate_outputs()
        order, hidden = self._order(order_items, outputs, allow_hidden, self.final_translator(windows=True))
        lf = lf.with_columns(key_exprs) if key_exprs else lf
        aggs = agg_exprs + self.hidden_aggs
        if self.keys:
            grouped = lf.group_by([k.column for k in self.keys]).agg(aggs) if aggs else \
                lf.select([k.column for k in self.keys]).unique()  # fmt: skip
        else:
            grouped = lf.select(aggs) if aggs else lf.select(pl.lit(0).alias(self.tmp("one"))).head(0)
        if having is not None:
            grouped = grouped.filter(having)
        df = grouped.collect()
        for wp in plans:
            df = self.apply_window(df, wp)
        select = [o.value.expr.alias(o.name) for o in outputs] + [e.alias(c) for c, e in hidden]
        return df.lazy().select(select), outputs, order

    def _aggregate_value(self, a: Aggregation) -> Typed:
        import polars as pl

        col, kind = self.agg_cols[a.alias.lower()]
        t = Typed(pl.col(col), kind)
        return sql_round(t, a.round) if a.round is not None else t

    def _aggregate_outputs(self) -> list[Output]:
        import polars as pl

        b = self.block
        final = self.final_translator(windows=True)
        by_name: dict[str, Output] = {}
        default: list[Output] = []
        for k in self.keys:
            default.append(Output(k.name, Typed(pl.col(k.column), k.kind), k.identity))
        for a in b.aggregations:
            default.append(Output(a.alias, self._aggregate_value(a)))
        for d in b.derived_columns:
            if d.name.lower() in self.post_derived:
                default.append(Output(d.name, final(column_node(d.name))))
        for w in b.windows:
            col, kind = self.window_cols[w.name.lower()]
            default.append(Output(w.name, Typed(pl.col(col), kind)))
        for out in default:
            by_name.setdefault(out.name.lower(), out)
        if not b.columns:
            return _unique(default)
        chosen = []
        for c in b.columns:
            if c.column is not None:
                o = by_name.get(c.column.lower())
                if o is None and "." in c.column:
                    ident = BlockPlan.identity(self.plan.lookup(c.column))
                    o = next((x for x in default[: len(self.keys)] if x.origin and x.origin & ident), None)
                if o is None:
                    raise DifferentialUnsupported(f"columns: '{c.column}' is neither grouped nor aggregated")
                chosen.append(Output(c.name or o.name, o.value, o.origin))
            else:
                tree = parse_fragment(c.expression or "", f"column '{c.name}'")
                chosen.append(Output(c.name or "expr", final(tree)))
        return _unique(chosen)

    def _order(
        self, items: Sequence[OrderItem], outputs: list[Output], allow_hidden: bool, tr: Translator
    ) -> tuple[list[tuple[str, bool, bool]], list[tuple[str, Any]]]:
        by_name = {o.name.lower(): o.name for o in outputs}
        order, hidden = [], []
        for i, item in enumerate(items):
            target = by_name.get(item.column.lower())
            if target is None:
                if not allow_hidden:
                    raise DifferentialUnsupported(f"order_by: '{item.column}' is not an output column")
                target = f"{HIDDEN}order{i}"
                node = parse_fragment(item.column, "order_by") if "(" in item.column else column_node(item.column)
                hidden.append((target, tr(node).expr))
            order.append((target, item.direction == "desc", item.nulls != "first"))
        return order, hidden

    def _qualify(self, outputs: list[Output]) -> Any:
        import polars as pl

        by_name = {o.name.lower(): o for o in outputs}

        def column(node: exp.Column) -> Typed:
            o = by_name.get(node.name.lower())
            if o is None or node.table:
                raise DifferentialUnsupported(f"qualify: '{node.sql()}' is not an output column")
            return Typed(pl.col(o.name), o.value.kind)

        tr = Translator(column, div_by_zero=self.div_by_zero)
        cond = conjunction(self.block.qualify, self.name_resolver(tr), tr)
        assert cond is not None
        return cond


def _unique(outs: list[Output]) -> list[Output]:
    seen: set[str] = set()
    for o in outs:
        if o.name.lower() in seen:
            raise DifferentialUnsupported(f"two output columns are called '{o.name}'")
        seen.add(o.name.lower())
    return outs


# ---------------------------------------------------------------------------------------------
# the spec
# ---------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Every row of the spec's result before ``limit``, and how to order and cut it."""

    frame: Any  # pl.DataFrame: the output columns, then hidden order columns
    columns: list[str]
    order: list[tuple[str, bool, bool]]  # (frame column, descending, nulls_last)
    limit: int | None
    origins: list[frozenset[tuple[str, str]] | None]

    def sorted(self) -> Any:
        if not self.order:
            return self.frame
        return self.frame.sort([c for c, _d, _n in self.order], descending=[d for _c, d, _n in self.order],
                               nulls_last=[n for _c, _d, n in self.order])  # fmt: skip

    def result(self) -> Any:
        """The spec's result: ordered, cut at ``limit``, only the output columns."""
        df = self.sorted()
        if self.limit is not None:
            df = df.head(self.limit)
        return df.select(self.columns)


def normalise(table: Any) -> tuple[Any, dict[str, str]]:
    """An Arrow table (or Polars frame) as a Polars frame with comparable types; also the kind of each column.

    Decimals become Float64 (kind ``decimal``), integers Int64, other floats Float64, categoricals
    text, timestamps microseconds.
    """
    import polars as pl

    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    if not isinstance(df, pl.DataFrame):  # a Series from a one-column array
        df = df.to_frame()
    kinds: dict[str, str] = {}
    casts = []
    for name, dtype in df.schema.items():
        kind = kind_of_dtype(dtype)
        kinds[name] = kind
        if kind == "decimal" or dtype == pl.Float32:
            casts.append(pl.col(name).cast(pl.Float64))
        elif kind == "int" and dtype != pl.Int64:
            casts.append(pl.col(name).cast(pl.Int64))
        elif kind == "text" and dtype != pl.String:
            casts.append(pl.col(name).cast(pl.String))
        elif kind == "timestamp" and getattr(dtype, "time_unit", "us") != "us":
            casts.append(pl.col(name).cast(pl.Datetime("us", getattr(dtype, "time_zone", None))))
    if casts:
        df = df.with_columns(casts)
    return df, kinds


Reader = Callable[[int, SourceRef], Any]  # (block index, source) -> Arrow table or Polars frame


def evaluate(
    spec: ETLSpec, catalog: Catalog, read: Reader, *, div_by_zero: str = "ieee", partial: bool = False
) -> Evaluation:
    """Evaluate ``spec``; ``read(block_index, source)`` returns the rows of one source (Arrow or Polars).

    ``partial``: the reader may leave out columns the spec does not use. The evaluation then has
    only the columns read; one it needs after all is a ``KeyError`` (or Polars' column-not-found
    error), never a silent NULL, so the caller can read everything and evaluate again.
    """
    import polars as pl

    blocks = spec.blocks()
    plans = [BlockPlan(b, catalog) for b in blocks]
    wrap = len(blocks) > 1 or bool(spec.qualify)
    if spec.distinct and spec.order_by:
        wrap = True  # SQL: ORDER BY of a SELECT DISTINCT must name output columns
    results: list[BlockResult] = []
    for i, plan in enumerate(plans):
        frames: dict[str, Any] = {}
        kinds: dict[str, str] = {}
        for s in plan.sources:
            df, read_kinds = normalise(read(i, s))
            lower = {c.lower(): c for c in df.columns}
            missing = [c.name for c in s.info.columns if c.name.lower() not in lower]
            if missing and not partial:
                raise DifferentialUnsupported(f"{s.info.name}: the rows read have no column {missing[0]}")
            present = [c for c in s.info.columns if c.name.lower() in lower]
            df = df.select([pl.col(lower[c.name.lower()]).alias(s.internal(c.name)) for c in present])
            kinds.update({s.internal(c.name): read_kinds[lower[c.name.lower()]] for c in present})
            frames[s.key] = df
        items = spec.order_by if i == 0 else ()
        results.append(BlockEval(plan, frames, kinds, div_by_zero=div_by_zero).run(items, allow_hidden=not wrap))
    first = results[0]
    frame = first.frame
    if len(results) > 1:
        width = len(first.names)
        parts = [frame]
        for r in results[1:]:
            if len(r.names) != width:
                raise DifferentialUnsupported("union blocks have different numbers of columns")
            parts.append(r.frame.select(r.names).rename(dict(zip(r.names, first.names, strict=True))))
        try:
            frame = pl.concat(parts, how="vertical_relaxed")
        except Exception as e:  # polars: no common type
            raise DifferentialUnsupported(f"union: the blocks' columns have incompatible types ({e})") from None
        assert spec.union is not None
        if spec.union.mode == "distinct":
            frame = frame.unique()
    if spec.distinct:
        frame = frame.unique()
    origins: list[frozenset[tuple[str, str]] | None]
    origins = first.origins if len(results) == 1 else [None] * len(first.names)
    return Evaluation(frame, first.names, first.order, spec.limit, origins)


def evaluate_spec_polars(
    spec: ETLSpec, catalog: Catalog, read_table: Callable[[str], Any], *, div_by_zero: str = "ieee"
) -> Any:
    """The result of ``spec`` computed with Polars, reading each source with ``read_table(name) -> pyarrow.Table``.

    Rows come in ``order_by`` order, cut at ``limit``. Decimal columns come back as Float64.
    ``div_by_zero``: ``"ieee"`` (x/0 is ±inf or NaN, DuckDB ≥ 1.2) or ``"null"`` (older engines).

    Raises:
        DifferentialUnsupported: the spec uses something outside the supported subset
            (:class:`DifferentialAmbiguous`: the data does not determine one result).
    """
    cache: dict[str, Any] = {}

    def read(_block: int, source: SourceRef) -> Any:
        name = table_ref(source.info)
        if name not in cache:
            cache[name] = read_table(name)
        return cache[name]

    return evaluate(spec, catalog, read, div_by_zero=div_by_zero).result()
