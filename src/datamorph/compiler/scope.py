"""Name resolution for one query block: which table a column comes from.

A :class:`Scope` knows the block's sources (in join order), how each was
joined, the keys the joins equate, and the names the block defines (derived
columns, aggregation aliases, windows). It turns the column references of a
spec into qualified SQLGlot columns, or fails with a did-you-mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlglot import exp

from datamorph.catalog import Catalog, ColumnInfo, TableInfo, TypeFamily
from datamorph.compiler.expressions import parse_expression
from datamorph.errors import CatalogError, CompileError, suggestion
from datamorph.spec import ColumnPair, JoinCondition, QueryBlock


@dataclass
class Source:
    ref: str  # the alias the SQL uses
    table: TableInfo
    join_type: str | None = None  # how it was joined; None for the first table
    null_supplied: bool = False  # its columns can be NULL for unmatched rows of an outer join


@dataclass
class ResolvedJoin:
    join: JoinCondition
    left: Source
    right: Source
    pairs: list[tuple[ColumnInfo, ColumnInfo]]  # (left column, right column)
    join_type: str


@dataclass
class Scope:
    block: QueryBlock
    catalog: Catalog
    sources: list[Source] = field(default_factory=list)
    joins: list[ResolvedJoin] = field(default_factory=list)
    derived: dict[str, exp.Expr] = field(default_factory=dict)  # lower name -> parsed expression

    @classmethod
    def build(cls, block: QueryBlock, catalog: Catalog) -> Scope:
        scope = cls(block, catalog)
        for st in block.source_tables:
            try:
                table = catalog.table(st.table_name)
            except CatalogError as e:
                raise CompileError(f"source_tables: {e.message}", hint=e.hint, table=st.table_name) from None
            scope.sources.append(Source(st.alias or table.name, table))
        scope._order_joins()
        for d in block.derived_columns:
            scope.derived[d.name.lower()] = parse_expression(d.expression, what=f"derived column '{d.name}'")
        return scope

    # -- sources --------------------------------------------------------------
    def source(self, ref: str, *, where: str = "") -> Source:
        low = ref.lower()
        for s in self.sources:
            if s.ref.lower() == low:
                return s
        for s in self.sources:
            if s.table.name.lower() == low:
                return s
        names = [s.ref for s in self.sources] + [s.table.name for s in self.sources]
        raise CompileError(
            f"{where}'{ref}' is not one of the spec's source tables",
            hint=suggestion(ref, names) or f"sources are: {', '.join(dict.fromkeys(names))}",
        )

    def _is_ref(self, ref: str) -> bool:
        low = ref.lower()
        return any(s.ref.lower() == low or s.table.name.lower() == low for s in self.sources)

    def _order_joins(self) -> None:
        """Put the sources in join order and resolve every join's key pairs."""
        if len(self.sources) == 1:
            return
        joined = [self.sources[0]]
        pending = list(self.block.join_conditions)
        while pending:
            progressed = False
            for jc in list(pending):
                left = self.source(jc.left_table, where="join_conditions: ")
                right = self.source(jc.right_table, where="join_conditions: ")
                jt, pairs = jc.join_type, list(jc.on_columns)
                if left in joined and right not in joined:
                    pass
                elif right in joined and left not in joined:
                    left, right = right, left
                    jt = "right" if jt == "left" else "left" if jt == "right" else jt
                    pairs = [ColumnPair(left=p.right, right=p.left) for p in pairs]
                elif left in joined and right in joined:
                    raise CompileError(
                        f"join_conditions: {jc.left_table} and {jc.right_table} are already joined; "
                        "put extra keys in one join's on_columns"
                    )
                else:
                    continue
                resolved = [self._pair(left, right, p) for p in pairs]
                right.join_type = jt
                if jt in ("left", "full"):
                    right.null_supplied = True
                if jt in ("right", "full"):
                    for s in joined:
                        s.null_supplied = True
                joined.append(right)
                self.joins.append(ResolvedJoin(jc, left, right, resolved, jt))
                pending.remove(jc)
                progressed = True
            if not progressed:
                names = ", ".join(f"{j.left_table}–{j.right_table}" for j in pending)
                raise CompileError(f"join_conditions: cannot connect {names} to {self.sources[0].ref}")
        missing = [s.ref for s in self.sources if s not in joined]
        if missing:
            raise CompileError(f"source table {missing[0]} is not joined to the others",
                               hint="add a join_conditions entry for it")  # fmt: skip
        self.sources = joined

    def _pair(self, left: Source, right: Source, pair: ColumnPair) -> tuple[ColumnInfo, ColumnInfo]:
        lq, lname = _split(pair.left)
        rq, rname = _split(pair.right)
        # "o.customer_id = c.id" written the other way round
        if lq and self.source(lq) is right and (rq is None or self.source(rq) is left):
            lname, rname = rname, lname
        return (self._col(left, lname, "join key"), self._col(right, rname, "join key"))

    def _col(self, src: Source, name: str, what: str) -> ColumnInfo:
        try:
            return src.table.column(name)
        except CatalogError as e:
            raise CompileError(f"{what}: {e.message}", hint=e.hint, table=src.table.name, column=name) from None

    # -- columns ----------------------------------------------------------------
    def all_column_names(self) -> list[str]:
        return [c.name for s in self.sources for c in s.table.columns]

    def lookup(self, name: str) -> tuple[Source, ColumnInfo]:
        """The source column ``name`` or ``ref.name`` stands for (derived names not included)."""
        qual, bare = _split(name)
        if qual and not self._is_ref(qual):  # a column whose name has a dot, maybe qualified
            head, _, rest = name.partition(".")
            if any(s.table.has_column(name) for s in self.sources):
                qual, bare = None, name
            elif self._is_ref(head):
                qual, bare = head, rest
        if qual:
            src = self.source(qual, where=f"column '{name}': ")
            return src, self._col(src, bare, "column")
        hits = [(s, s.table.column(bare)) for s in self.sources if s.table.has_column(bare)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            cands = self.all_column_names() + [str(k) for k in self.derived] + self.block.defined_names()
            refs = ", ".join(s.table.name for s in self.sources)
            raise CompileError(
                f"unknown column '{name}' in {refs}",
                hint=suggestion(bare, cands) or f"columns are: {', '.join(dict.fromkeys(self.all_column_names()))}",
                column=name,
            )
        if self._equated([(s, c) for s, c in hits]):
            kept = [h for h in hits if not h[0].null_supplied]
            return (kept or hits)[0]
        options = " or ".join(f"{s.ref}.{c.name}" for s, c in hits)
        raise CompileError(f"ambiguous column '{name}': it is in several source tables",
                           hint=f"qualify it: {options}", column=name)  # fmt: skip

    def _equated(self, hits: list[tuple[Source, ColumnInfo]]) -> bool:
        """True when the joins make all these columns equal (the same key on each side)."""
        groups: list[set[tuple[str, str]]] = []
        for rj in self.joins:
            for lc, rc in rj.pairs:
                a, b = (rj.left.ref, lc.name.lower()), (rj.right.ref, rc.name.lower())
                merged = [g for g in groups if a in g or b in g]
                new = {a, b}.union(*merged)
                groups = [g for g in groups if g not in merged] + [new]
        want = {(s.ref, c.name.lower()) for s, c in hits}
        return any(want <= g for g in groups)

    def column_expr(self, name: str) -> exp.Expr:
        """The SQL for a column reference; a join key both sides of a full join share is COALESCEd."""
        src, col = self.lookup(name)
        if "." not in name and src.null_supplied and self.block.join_conditions:
            hits = [(s, s.table.column(name)) for s in self.sources if s.table.has_column(name)]
            if len(hits) > 1 and all(s.null_supplied for s, _ in hits) and self._equated(hits):
                first, *rest = (qcol(s.ref, c.name) for s, c in hits)
                return exp.Coalesce(this=first, expressions=rest)
        return qcol(src.ref, col.name)

    def column_family(self, name: str) -> TypeFamily:
        return self.lookup(name)[1].family


def qcol(table: str | None, name: str) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def source_table(t: TableInfo, alias: str | None = None) -> exp.Table:
    """A reference to a source table, built from identifiers: its name is never read as SQL."""
    schema = None if t.schema in ("main", "public", "default", "") or t.kind == "file" else t.schema
    table = exp.table_(exp.to_identifier(t.name, quoted=True),
                       db=exp.to_identifier(schema, quoted=True) if schema else None)  # fmt: skip
    if alias:
        table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    return table


def _split(name: str) -> tuple[str | None, str]:
    if "." in name:
        q, _, bare = name.rpartition(".")
        return q, bare
    return None, name
