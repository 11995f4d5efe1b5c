"""Spec → SQL, built as SQLGlot expressions and rendered per dialect.

Each query block becomes the SELECT a person would write::

    SELECT <keys>, <aggregates> FROM a JOIN b ON ... WHERE ... GROUP BY ... HAVING ...

wrapped in a subquery only where SQL needs one (dedupe, filters on window
results, union + order/limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlglot import exp

from datamorph.catalog import NUMERIC_FAMILIES, Catalog, TypeFamily
from datamorph.compiler.conditions import NameResolver, conjunction
from datamorph.compiler.expressions import contains_aggregate, contains_window, parse_expression
from datamorph.compiler.scope import Scope, Source, qcol, source_table
from datamorph.errors import CompileError, SpecError, suggestion
from datamorph.spec import Aggregation, ETLSpec, Filter, OrderItem, QueryBlock, WindowColumn

OutKind = Literal["column", "group_key", "aggregate", "derived", "window", "expression"]
ROW_NUMBER_COLUMN = "_dm_rn"


@dataclass
class OutCol:
    """One column of a block's output and where it comes from."""

    name: str
    expr: exp.Expr
    kind: OutKind
    family: TypeFamily = "other"
    source: tuple[str, str] | None = None  # (table, column) when it is a plain source column
    aggregation: Aggregation | None = None


@dataclass
class CompiledBlock:
    block: QueryBlock
    scope: Scope
    query: exp.Select
    outputs: list[OutCol]
    where: exp.Expr | None = None  # row filters as compiled (qualified by source refs)

    def output(self, name: str) -> OutCol | None:
        low = name.lower()
        return next((o for o in self.outputs if o.name.lower() == low), None)


@dataclass
class CompiledSpec:
    spec: ETLSpec
    query: exp.Query
    blocks: list[CompiledBlock] = field(default_factory=list)

    @property
    def outputs(self) -> list[OutCol]:
        return self.blocks[0].outputs

    def sql(self, dialect: str = "duckdb", *, pretty: bool = True) -> str:
        return portable_dates(self.query, dialect).sql(dialect=dialect, pretty=pretty)


def portable_dates(tree: exp.Query, dialect: str) -> exp.Query:
    """Date parts that mean the same on every engine: the day of the week numbered 0 (Sunday) to 6, as DuckDB and
    PostgreSQL's ``EXTRACT(dow ...)`` number it (Spark numbers it 1 to 7; ``dayofweek``/``quarter`` have no
    PostgreSQL function of that name). DuckDB's own SQL is left as written."""
    if dialect == "duckdb":
        return tree

    def fix(node: exp.Expression) -> exp.Expression:
        arg = node.this if isinstance(node, exp.DayOfWeek) else (
            node.expression if isinstance(node, exp.Extract) and node.name.upper() == "DOW" else None)  # fmt: skip
        if arg is not None and dialect == "spark":
            return exp.paren(exp.Sub(this=exp.DayOfWeek(this=arg.copy()), expression=exp.Literal.number(1)))
        if arg is not None:
            return exp.Extract(this=exp.var("DOW"), expression=arg.copy())
        if isinstance(node, exp.Quarter) and dialect == "postgres":
            return exp.Extract(this=exp.var("QUARTER"), expression=node.this.copy())
        return node

    out = tree.copy().transform(fix)
    assert isinstance(out, exp.Query)
    return out


def compile_spec(spec: ETLSpec, catalog: Catalog) -> CompiledSpec:
    """Compile ``spec`` against ``catalog``.

    Raises:
        CompileError: unknown or ambiguous names, type mismatches, inconsistent blocks.
        SpecError: a SQL fragment that does not parse or is not allowed.
    """
    blocks = [_BlockCompiler(Scope.build(b, catalog)).compile() for b in spec.blocks()]
    query: exp.Query = blocks[0].query
    if len(blocks) > 1:
        width = len(blocks[0].outputs)
        for i, b in enumerate(blocks[1:], start=1):
            if len(b.outputs) != width:
                raise CompileError(
                    f"union: block {i + 1} has {len(b.outputs)} columns but the first block has {width}",
                    hint="union blocks line up by position; give each the same columns",
                )
        distinct = spec.union is not None and spec.union.mode == "distinct"
        for b in blocks[1:]:
            query = exp.union(query, b.query, distinct=distinct, copy=False)
    wrap = len(blocks) > 1 or isinstance(query, exp.Select) and bool(blocks[0].block.qualify)
    if spec.distinct or spec.order_by or spec.limit is not None:
        if wrap or not isinstance(query, exp.Select):
            query = exp.select("*").from_(query.subquery(_quoted("_dm_result"), copy=False), copy=False)
            order_source: CompiledBlock | None = None
        else:
            order_source = blocks[0]
        assert isinstance(query, exp.Select)
        if spec.distinct:
            query = query.distinct(copy=False)
        if spec.order_by:
            query = query.order_by(*(_ordered(_order_target(o, blocks[0], order_source), o) for o in spec.order_by),
                                   copy=False)  # fmt: skip
        if spec.limit is not None:
            query = query.limit(spec.limit, copy=False)
    return CompiledSpec(spec, query, blocks)


def _order_target(item: OrderItem, first: CompiledBlock, block: CompiledBlock | None) -> exp.Expr:
    out = first.output(item.column)
    if out is not None:
        return exp.column(out.name, quoted=True)
    if block is None:
        names = [o.name for o in first.outputs]
        raise CompileError(f"order_by: '{item.column}' is not an output column",
                           hint=suggestion(item.column, names) or f"output columns: {', '.join(names)}")  # fmt: skip
    return _BlockCompiler(block.scope).final_expr(exp.column(item.column))


def _ordered(target: exp.Expr, item: OrderItem) -> exp.Ordered:
    nulls_first = item.nulls == "first"
    return exp.Ordered(this=target, desc=item.direction == "desc", nulls_first=nulls_first)


class _BlockCompiler:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.block = scope.block
        self.aggs = {a.alias.lower(): a for a in self.block.aggregations}
        self.windows = {w.name.lower(): w for w in self.block.windows}
        self.post_derived = {
            name for name, tree in scope.derived.items() if self._is_post_aggregate(tree)
        } if self.block.is_aggregate else set()  # fmt: skip

    # -- name resolution ------------------------------------------------------
    def _is_post_aggregate(self, tree: exp.Expr) -> bool:
        if contains_aggregate(tree):
            return True
        return any(not c.table and c.name.lower() in self.aggs for c in tree.find_all(exp.Column))

    def row_expr(self, tree: exp.Expr, stack: tuple[str, ...] = ()) -> exp.Expr:
        """Resolve a tree over the joined rows (source columns and pre-aggregation derived columns)."""

        def fn(node: exp.Expr) -> exp.Expr:
            if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
                return node
            name, low = node.name, node.name.lower()
            if not node.table:
                if low in self.scope.derived and low not in stack and low not in self.post_derived:
                    return exp.paren(self.row_expr(self.scope.derived[low].copy(), (*stack, low)))
                if low in self.aggs or low in self.post_derived:
                    raise CompileError(f"'{name}' is an aggregate; a condition on it belongs in having",
                                       hint="move the filter to having")  # fmt: skip
                if low in self.windows:
                    raise CompileError(f"'{name}' is a window result; a condition on it belongs in qualify",
                                       hint="move the filter to qualify")  # fmt: skip
            return self.scope.column_expr(f"{node.table}.{name}" if node.table else name)

        return tree.transform(fn, copy=True)

    def final_expr(self, tree: exp.Expr, stack: tuple[str, ...] = ()) -> exp.Expr:
        """Resolve a tree at the output level: aggregate aliases, group keys, windows, derived."""
        if not self.block.is_aggregate:
            return self._with_windows(tree, self.row_expr)

        def fn(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.AggFunc) and not isinstance(node.parent, exp.Window):
                return self.row_expr(node)
            if not isinstance(node, exp.Column) or isinstance(node.this, exp.Star):
                return node
            low = node.name.lower()
            if not node.table:
                if low in self.aggs:
                    return self.agg_expr(self.aggs[low], rounded=False)
                if low in self.post_derived and low not in stack:
                    return exp.paren(self.final_expr(self.scope.derived[low].copy(), (*stack, low)))
                if low in self.windows:
                    return self.window_expr(self.windows[low])
            return self.row_expr(node)

        return tree.transform(fn, copy=True)

    def _with_windows(self, tree: exp.Expr, inner: Callable[[exp.Column], exp.Expr]) -> exp.Expr:
        def fn(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Column) and not node.table and node.name.lower() in self.windows:
                return self.window_expr(self.windows[node.name.lower()])
            if isinstance(node, exp.Column):
                return inner(node)
            return node

        return tree.transform(fn, copy=True)

    def _name_resolver(self, final: bool) -> NameResolver:
        def resolve(name: str) -> tuple[exp.Expr, TypeFamily]:
            tree = self._name_or_expression(name, "filter column", "(")
            expr = self.final_expr(tree) if final else self.row_expr(tree)
            return expr, self.family_of(name)

        return resolve

    def _name_or_expression(self, text: str, what: str, signs: str) -> exp.Expr:
        """A column or a name the block defines, whatever characters it has; else, when ``text`` has one of
        ``signs``, an SQL expression."""
        known = text.lower() in self.scope.derived or text.lower() in self.aggs or text.lower() in self.windows
        if not known and any(ch in text for ch in signs):
            try:
                self.scope.lookup(text)
                known = True
            except CompileError:
                return parse_expression(text, what=what)
        return _column_ref(text)

    def family_of(self, name: str) -> TypeFamily:
        low = name.lower()
        if low in self.aggs:
            return _agg_family(self.aggs[low], self)
        if low in self.scope.derived or low in self.windows or "(" in name:
            return "other"
        return self.scope.column_family(name)

    # -- pieces -----------------------------------------------------------------
    def agg_expr(self, a: Aggregation, *, rounded: bool = True) -> exp.Expr:
        if a.column is None and a.expression is None:
            arg: exp.Expr | None = None
        else:
            tree = _column_ref(a.column) if a.column else parse_expression(a.expression or "", what=f"aggregation '{a.alias}'")
            if contains_aggregate(tree):
                raise SpecError(f"aggregation '{a.alias}': the expression already aggregates; "
                                "use a derived column for expressions over aggregates")  # fmt: skip
            arg = self.row_expr(tree)
        cond = conjunction(a.filter, self._name_resolver(False), self.row_expr)
        if cond is not None:
            value = arg if arg is not None else exp.Literal.number(1)
            arg = exp.Case(ifs=[exp.If(this=cond, true=value)])
        fn = a.function
        node: exp.Expr
        if fn == "count":
            node = exp.Count(this=arg if arg is not None else exp.Star())
        elif fn == "count_distinct":
            node = exp.Count(this=exp.Distinct(expressions=[arg]))
        else:
            cls = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[fn]
            node = cls(this=arg)
        if rounded and a.round is not None:
            node = exp.Round(this=node, decimals=exp.Literal.number(a.round))
        return node

    def window_expr(self, w: WindowColumn) -> exp.Expr:
        resolve = self.final_expr if self.block.is_aggregate else self.row_expr
        arg: exp.Expr | None = None
        if w.column or w.expression:
            tree = _column_ref(w.column) if w.column else parse_expression(w.expression or "", what=f"window '{w.name}'")
            arg = resolve(tree)
        partition = [resolve(self._name_or_expression(p, "partition_by", "(")) for p in w.partition_by]
        order = exp.Order(expressions=[
            _ordered(resolve(_column_ref(o.column)), o) for o in w.order_by
        ]) if w.order_by else None  # fmt: skip
        fn = w.function
        spec: exp.WindowSpec | None = None
        if w.frame == "running":
            spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
        elif w.frame == "partition":
            spec = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING",
                                  end="UNBOUNDED", end_side="FOLLOWING")  # fmt: skip
        if w.preceding is not None:  # a moving frame: this row and the N before it
            spec = exp.WindowSpec(kind="ROWS", start=exp.Literal.number(w.preceding), start_side="PRECEDING",
                                  end="CURRENT ROW")  # fmt: skip
        if fn == "share":
            assert arg is not None
            total = exp.Window(this=exp.Sum(this=arg.copy()), partition_by=partition or None, over="OVER")
            num: exp.Expr = exp.cast(arg, exp.DataType.Type.DOUBLE)
            if w.percent:
                num = exp.Mul(this=exp.Literal.number("100.0"), expression=num)
            share = exp.Div(this=num, expression=exp.Nullif(this=total, expression=exp.Literal.number(0)))
            return exp.Round(this=share, decimals=exp.Literal.number(w.round)) if w.round is not None else share
        func: exp.Expr
        if fn == "row_number":
            func = exp.RowNumber()
        elif fn in ("rank", "dense_rank", "percent_rank"):
            func = {"rank": exp.Rank, "dense_rank": exp.DenseRank, "percent_rank": exp.PercentRank}[fn]()
        elif fn == "ntile":
            func = exp.Ntile(this=exp.Literal.number(w.offset))
        elif fn in ("lag", "lead"):
            func = (exp.Lag if fn == "lag" else exp.Lead)(this=arg, offset=exp.Literal.number(w.offset or 1))
        elif fn in ("first_value", "last_value"):
            func = (exp.FirstValue if fn == "first_value" else exp.LastValue)(this=arg)
        elif fn == "count":
            func = exp.Count(this=arg if arg is not None else exp.Star())
        else:
            func = {"sum": exp.Sum, "avg": exp.Avg, "min": exp.Min, "max": exp.Max}[fn](this=arg)
        node = exp.Window(this=func, partition_by=partition or None, order=order, spec=spec, over="OVER")
        if w.round is not None:
            return exp.Round(this=node, decimals=exp.Literal.number(w.round))
        return node

    # -- the block ----------------------------------------------------------------
    def compile(self) -> CompiledBlock:
        names = self._name_resolver(False)
        where_parts, pushed = self._split_filters(names)
        query = exp.select().from_(self._relation(self.scope.sources[0], pushed), copy=False)
        for rj in self.scope.joins:
            on: list[exp.Expr] = [exp.EQ(this=qcol(rj.left.ref, lc.name), expression=qcol(rj.right.ref, rc.name)) for lc, rc in rj.pairs]
            extra = conjunction(rj.join.conditions, names, self.row_expr)
            if extra is not None:
                on.append(extra)
            query = query.join(self._relation(rj.right, pushed), on=exp.and_(*on),
                               join_type=rj.join_type.upper(), copy=False)  # fmt: skip
        where = exp.and_(*where_parts) if where_parts else None
        if where is not None:
            query = query.where(where, copy=False)
        outputs = self._aggregate_outputs(query) if self.block.is_aggregate else self._row_outputs()
        outputs = self._choose_columns(outputs)
        query = query.select(*(exp.alias_(o.expr, o.name, quoted=True) for o in outputs), copy=False)
        dd = self.block.dedupe
        if dd is not None and not dd.keys and len(self.scope.sources) > 1:
            raise CompileError("dedupe: removing exact duplicate rows applies to one source table",
                               hint="give dedupe keys, or set distinct: true to remove duplicate output rows")  # fmt: skip
        if self.block.qualify:
            query = self._qualify(query, outputs)
        return CompiledBlock(self.block, self.scope, query, outputs, where)

    def _split_filters(self, names: NameResolver) -> tuple[list[exp.Expr], dict[str, list[exp.Expr]]]:
        """Row filters; those on the deduplicated table go inside its subquery (filter, then dedupe)."""
        compiled = [conjunction([f], names, self.row_expr) for f in self.block.filters]
        dd = self.block.dedupe
        if dd is None:
            return [c for c in compiled if c is not None], {}
        owner = self._dedupe_source()
        pushed: dict[str, list[exp.Expr]] = {owner.ref: []}
        outer = []
        for c in compiled:
            assert c is not None
            refs = {col.table for col in c.find_all(exp.Column)}
            if refs <= {owner.ref} and not contains_window(c):
                pushed[owner.ref].append(c)
            else:
                outer.append(c)
        return outer, pushed

    def _dedupe_source(self) -> Source:
        dd = self.block.dedupe
        assert dd is not None
        if not dd.keys:
            return self.scope.sources[0]
        owners = {self.scope.lookup(k)[0].ref for k in dd.keys}
        if len(owners) != 1:
            raise CompileError(f"dedupe: keys {dd.keys} come from several tables; de-duplicate one table's rows")
        return self.scope.source(owners.pop())

    def _relation(self, src: Source, pushed: dict[str, list[exp.Expr]]) -> exp.Expr:
        table = source_table(src.table)
        if src.ref not in pushed:
            return table.as_(src.ref, quoted=True)
        dd = self.block.dedupe
        assert dd is not None
        inner = exp.select(exp.Star()).from_(table.as_(src.ref, quoted=True))
        if pushed[src.ref]:
            inner = inner.where(exp.and_(*pushed[src.ref]), copy=False)
        if not dd.keys:
            inner = inner.distinct(copy=False)
        else:
            keys = [exp.Lower(this=self.scope.column_expr(k))
                    if dd.ignore_case and self.scope.column_family(k) == "text" else self.scope.column_expr(k)
                    for k in dd.keys]  # fmt: skip
            for o in dd.order_by:
                if self.scope.lookup(o.column)[0] is not src:
                    raise CompileError(f"dedupe: order_by '{o.column}' is not a column of {src.table.name}, "
                                       "whose rows are de-duplicated", hint="order by a column of that table")  # fmt: skip
            order = [self.scope.column_expr(o.column) for o in dd.order_by]
            items = [_ordered(e, o) for e, o in zip(order, dd.order_by, strict=True)]
            if dd.keep == "last":
                items = [exp.Ordered(this=i.this, desc=not i.args.get("desc"), nulls_first=not i.args.get("nulls_first"))
                         for i in items]  # fmt: skip
            rn = exp.Window(this=exp.RowNumber(), partition_by=keys,
                            order=exp.Order(expressions=items) if items else None, over="OVER")  # fmt: skip
            numbered = inner.select(exp.alias_(rn, ROW_NUMBER_COLUMN, quoted=True), copy=False)
            inner = exp.select(exp.Star()).from_(numbered.subquery(_quoted(src.ref), copy=False)).where(
                exp.EQ(this=qcol(src.ref, ROW_NUMBER_COLUMN), expression=exp.Literal.number(1))
            )
        return inner.subquery(_quoted(src.ref), copy=False)

    def _row_outputs(self) -> list[OutCol]:
        outs: list[OutCol] = []
        seen: set[str] = set()
        taken = {c.name.lower() for src in self.scope.sources for c in src.table.columns}
        for src in self.scope.sources:
            for col in src.table.columns:
                low = col.name.lower()
                expr: exp.Expr = qcol(src.ref, col.name)
                if low in seen:
                    if self._lookup_ok(col.name):
                        continue  # the same join key on both sides: keep one
                    name = f"{src.ref}_{col.name}"
                    n = 2
                    while name.lower() in taken or name.lower() in seen:  # e.g. user.id next to order.user_id
                        name, n = f"{src.ref}_{col.name}_{n}", n + 1
                else:
                    name = col.name
                    if self._shared_key(col.name):
                        expr = self.scope.column_expr(col.name)  # the side the join keeps
                seen.add(name.lower())
                outs.append(OutCol(name, expr, "column", col.family, (src.table.name, col.name)))
        for d in self.block.derived_columns:
            outs.append(OutCol(d.name, self.row_expr(exp.column(d.name)), "derived"))
        for w in self.block.windows:
            outs.append(OutCol(w.name, self.window_expr(w), "window", _window_family(w)))
        return outs

    def _shared_key(self, name: str) -> bool:
        """A bare name several joined tables have and the joins equate (resolved to one side)."""
        owners = [s for s in self.scope.sources if s.table.has_column(name)]
        return len(owners) > 1 and self._lookup_ok(name)

    def _lookup_ok(self, name: str) -> bool:
        try:
            self.scope.lookup(name)
            return True
        except CompileError:
            return False

    def _aggregate_outputs(self, query: exp.Select) -> list[OutCol]:
        outs: list[OutCol] = []
        group_exprs = []
        for g in self.block.group_by:
            tree = self._name_or_expression(g, "group_by", "( ")
            expr = self.row_expr(tree)
            if contains_aggregate(expr):
                raise CompileError(f"group_by: '{g}' is an aggregate")
            group_exprs.append(expr)
            low = g.lower()
            if low in self.scope.derived:
                outs.append(OutCol(g, expr, "group_key"))
            elif isinstance(tree, exp.Column):
                src, col = self.scope.lookup(g)
                outs.append(OutCol(col.name, expr, "group_key", col.family, (src.table.name, col.name)))
            else:
                raise CompileError(f"group_by: give the expression '{g}' a name as a derived column")
        if group_exprs:
            query.group_by(*group_exprs, copy=False)
        having = conjunction(self.block.having, self._name_resolver(True), self.final_expr)
        if having is not None:
            query.having(having, copy=False)
        for a in self.block.aggregations:
            outs.append(OutCol(a.alias, self.agg_expr(a), "aggregate", _agg_family(a, self), aggregation=a))
        for d in self.block.derived_columns:
            if d.name.lower() in self.post_derived:
                outs.append(OutCol(d.name, self.final_expr(exp.column(d.name)), "derived"))
        for w in self.block.windows:
            outs.append(OutCol(w.name, self.window_expr(w), "window", _window_family(w)))
        return outs

    def _choose_columns(self, outs: list[OutCol]) -> list[OutCol]:
        if not self.block.columns:
            return _unique_names(outs)
        by_name = {o.name.lower(): o for o in outs if self.block.is_aggregate or o.kind in ("derived", "window")}
        chosen: list[OutCol] = []
        for c in self.block.columns:
            if c.column is not None:
                o = by_name.get(c.column.lower())
                if o is None and "." in c.column:
                    o = self._match_qualified(c.column, outs)
                if o is None and not self.block.is_aggregate:
                    src, col = self.scope.lookup(c.column)
                    o = OutCol(col.name, qcol(src.ref, col.name), "column", col.family, (src.table.name, col.name))
                if o is None:
                    names = [x.name for x in outs]
                    raise CompileError(
                        f"columns: '{c.column}' is neither grouped nor aggregated",
                        hint=suggestion(c.column, names) or f"available: {', '.join(names)}",
                    )
                chosen.append(OutCol(c.name or o.name, o.expr, o.kind, o.family, o.source, o.aggregation))
            else:
                tree = parse_expression(c.expression or "", what=f"column '{c.name}'")
                chosen.append(OutCol(c.name or "expr", self.final_expr(tree), "expression"))
        return _unique_names(chosen)

    def _match_qualified(self, name: str, outs: list[OutCol]) -> OutCol | None:
        try:
            target = self.scope.column_expr(name)
        except CompileError:
            return None
        return next((o for o in outs if o.kind == "group_key" and o.expr == target), None)

    def _qualify(self, query: exp.Select, outs: list[OutCol]) -> exp.Select:
        by_name = {o.name.lower(): o for o in outs}

        def names(name: str) -> tuple[exp.Expr, TypeFamily]:
            o = by_name.get(name.lower())
            if o is None:
                raise CompileError(f"qualify: '{name}' is not an output column",
                                   hint=suggestion(name, list(by_name)) or f"output columns: {', '.join(by_name)}")  # fmt: skip
            return exp.column(o.name, table="_dm_w", quoted=True), o.family

        def trees(tree: exp.Expr) -> exp.Expr:
            return tree.transform(lambda n: names(n.name)[0] if isinstance(n, exp.Column) else n)

        cond = conjunction(self.block.qualify, names, trees)
        cols = [exp.column(o.name, table="_dm_w", quoted=True) for o in outs]
        return exp.select(*cols).from_(query.subquery(_quoted("_dm_w"), copy=False)).where(cond)


def _quoted(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _column_ref(name: str | None) -> exp.Column:
    if not name:
        raise SpecError("empty column name")
    parts = name.split(".")
    if len(parts) > 2:
        return exp.column(parts[-1], table=parts[-2])
    return exp.column(parts[-1], table=parts[0] if len(parts) == 2 else None)


def _unique_names(outs: list[OutCol]) -> list[OutCol]:
    seen: set[str] = set()
    for o in outs:
        if o.name.lower() in seen:
            raise CompileError(f"two output columns are called '{o.name}'", hint="rename one of them")
        seen.add(o.name.lower())
    return outs


def _agg_family(a: Aggregation, bc: _BlockCompiler) -> TypeFamily:
    if a.function in ("count", "count_distinct"):
        return "integer"
    if a.round is not None or a.function == "avg":
        return "float"
    if a.column:
        fam = bc.scope.column_family(a.column)
        if a.function == "sum" and fam not in NUMERIC_FAMILIES:
            return "other"
        return fam
    return "other"


def _window_family(w: WindowColumn) -> TypeFamily:
    if w.function in ("row_number", "rank", "dense_rank", "ntile", "count"):
        return "integer"
    if w.function in ("percent_rank", "share", "avg"):
        return "float"
    return "other"


def filter_columns(block: QueryBlock) -> list[str]:
    """Column names the block's simple filters test (for reports)."""
    return [f.column for f in block.filters if isinstance(f, Filter)]
