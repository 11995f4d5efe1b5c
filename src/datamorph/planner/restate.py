"""Say back what a spec will build, in plain English generated from the spec.

Tests on every row prove the SQL does what the spec says; they cannot prove the spec is what the
user meant. :func:`restate` reads the typed spec (never the request, its description or the
provenance of its elements) and describes it clause by clause, in the order the spec is evaluated:

>>> restate(spec)  # doctest: +SKIP
"customers joined to orders on customer_id (inner: unmatched customers and orders rows are dropped),
sum of orders.amount as total_amount per customers.customer_id, keeping customers whose sum of
orders.amount is above 1,000"

It is a pure function of the spec (and optionally the catalog, for names as the warehouse spells
them and for column types: a date column sorts "newest first", a number "highest first"), so the
same spec always reads the same; the ambiguity check calls it to describe each reading.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from datamorph.spec import (
    Aggregation,
    AllOf,
    AnyOf,
    Condition,
    Dedupe,
    ETLSpec,
    Filter,
    JoinCondition,
    Not,
    OrderItem,
    OutputColumn,
    QueryBlock,
    WindowColumn,
)

if TYPE_CHECKING:
    from datamorph.catalog import Catalog, TableInfo

__all__ = ["restate"]


def restate(spec: ETLSpec, catalog: Catalog | None = None, *, rows: int | None = None) -> str:
    """A plain-English restatement of ``spec``; with ``rows`` (the result's row count) it ends "; N rows".

    Clauses follow the spec's evaluation order: sources and joins, row filters, de-duplication,
    derived columns, aggregates per group, conditions on the groups, windows, output columns,
    filters on window results; then unions, distinct, ordering and limit.
    """
    parts = [_block(spec, catalog)]
    if spec.union is not None:
        for b in spec.union.blocks:
            parts.append(f"stacked with {_block(b, catalog)}")
        if spec.union.mode == "distinct":
            parts.append("duplicate rows removed from the stack")
    tail = []
    if spec.distinct:
        tail.append("without duplicate rows")
    if spec.order_by:
        tail.append(_Names(spec, catalog).order(spec.order_by, "sorted by"))
    if spec.limit is not None:
        tail.append(_limit(spec.limit, ordered=bool(spec.order_by)))
    if tail:
        parts.append(", ".join(tail))
    if rows is not None:
        parts.append(f"{rows:,} row{'' if rows == 1 else 's'}")
    return "; ".join(parts)


def _limit(n: int, *, ordered: bool) -> str:
    if n == 0:
        return "no rows"
    return f"top {n:,}" if ordered else f"any {n:,} row{'' if n == 1 else 's'} (no order given)"


# -- one block ------------------------------------------------------------------------------


def _block(block: QueryBlock, catalog: Catalog | None) -> str:
    n = _Names(block, catalog)
    clauses: list[str] = []
    where = " and ".join(n.condition(c) for c in block.filters)
    if block.join_conditions:
        clauses.append(n.joins(block.join_conditions))
        if where:
            clauses.append(f"rows where {where}")
    else:
        clauses.append(f"rows of {n.table(block.source_tables[0].table_name)}" + (f" where {where}" if where else ""))
    if block.dedupe is not None:
        clauses.append(n.dedupe(block.dedupe, block))
    before, after = n.derived_split(block)
    if before:
        clauses.append("with " + ", ".join(before))
    if block.is_aggregate:
        clauses.append(n.aggregates(block, after))
    if block.having:
        noun = n.group_noun(block.group_by)
        clauses.append(f"keeping {noun} whose " + " and ".join(n.condition(c, block) for c in block.having))
    if block.windows:
        clauses.append("with " + ", ".join(n.window(w) for w in block.windows))
    if block.columns:
        clauses.append("columns " + ", ".join(n.output(c) for c in block.columns))
    elif not block.is_aggregate:
        clauses.append("all columns" + (" and " + ", ".join(w.name for w in block.windows) if block.windows else ""))
    if block.qualify:
        clauses.append(n.qualify(block))
    return ", ".join(c for c in clauses if c)


# -- words for values and comparisons ---------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# columns whose numbers are labels, not amounts: no thousands separators (year 2024, id 12345)
_LABEL_COLUMN = re.compile(r"(?:^|_)(?:id|yr|code|zip|postcode|phone|number|no|num)$|year", re.I)
_TEMPORAL_NAME = re.compile(r"(?:date|time|timestamp|_at$|_on$|^month$|^week$|^quarter$|^year$|^day$|_month$|_week$)",
                            re.I)  # fmt: skip

_WORDS = {">": "is above", ">=": "is at least", "<": "is below", "<=": "is at most", "=": "=", "!=": "is not"}
_DATE_WORDS = {">": "is after", ">=": "is on or after", "<": "is before", "<=": "is on or before"}
_TEXT_WORDS = {"like": "matches", "not_like": "does not match", "ilike": "matches (any case)",
               "contains": "contains", "starts_with": "starts with", "ends_with": "ends with"}  # fmt: skip


def _is_date(v: Any) -> bool:
    return isinstance(v, (dt.date, dt.datetime)) or (isinstance(v, str) and bool(_ISO_DATE.match(v)))


def _value(v: Any, column: str = "") -> str:
    """A value as the restatement shows it: 'text', 2024-01-31, 50,000 (a year or an id without separators)."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, (int, float, Decimal)):
        if _LABEL_COLUMN.search(column.split(".")[-1]):
            return str(v)
        return f"{v:,}"
    if isinstance(v, str):
        return v if _ISO_DATE.match(v) else "'" + v.replace("'", "''") + "'"
    return str(v)


def _either(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} {items[-1]}"


# -- names --------------------------------------------------------------------------------------


class _Names:
    """How one block's names read: aliases as their tables, names as the catalog spells them."""

    def __init__(self, block: QueryBlock, catalog: Catalog | None) -> None:
        self.block = block
        self.catalog = catalog
        tables = [s.table_name for s in block.source_tables]
        self.alias: dict[str, str] = {}
        for s in block.source_tables:
            # a table read twice (a self-join) keeps its aliases, or the two sides would read the same
            shown = self.table(s.table_name) if tables.count(s.table_name) == 1 else (s.alias or s.table_name)
            self.alias[s.ref.lower()] = shown
            self.alias.setdefault(s.table_name.lower(), shown)
        self.defined = {name.lower() for name in block.defined_names()}
        self.aggs = {a.alias.lower(): a for a in block.aggregations}
        self.windows_by_name = {w.name.lower(): w for w in block.windows}

    # tables and columns
    def info(self, table: str) -> TableInfo | None:
        if self.catalog is not None and self.catalog.has_table(table):
            return self.catalog.table(table)
        return None

    def table(self, name: str) -> str:
        info = self.info(name)
        return info.name if info is not None else name

    def source(self, ref: str) -> str:
        """How a source reference (alias or table) reads."""
        return self.alias.get(ref.lower(), self.table(ref))

    def _home(self, ref: str) -> tuple[TableInfo | None, str]:
        """(the table a column reference reads from, if known; the bare column name)."""
        qualifier, _, column = ref.rpartition(".")
        if qualifier:
            src = next((s for s in self.block.source_tables if s.ref.lower() == qualifier.lower()), None)
            return self.info(src.table_name if src else qualifier), column
        if column.lower() in self.defined:
            return None, column
        homes = [info for s in self.block.source_tables if (info := self.info(s.table_name)) and info.has_column(column)]
        return (homes[0] if len(homes) == 1 else None), column

    def column(self, ref: str, *, qualify: bool = False) -> str:
        """``o.amount`` → ``orders.amount``; with ``qualify`` an unqualified source column gets its table.

        A block with one source shows bare names (``amount``), except with ``qualify``.
        """
        qualifier, _, name = ref.rpartition(".")
        info, _ = self._home(ref)
        if info is not None and info.has_column(name):
            name = info.column(name).name
        if qualifier and (qualify or len(self.block.source_tables) > 1):
            return f"{self.source(qualifier)}.{name}"
        if qualify and name.lower() not in self.defined:
            if info is not None:
                return f"{self.source(info.name)}.{name}"
            if len(self.block.source_tables) == 1:
                return f"{self.source(self.block.source_tables[0].ref)}.{name}"
        return name

    def temporal(self, ref: str) -> bool:
        info, name = self._home(ref)
        if info is not None and info.has_column(name):
            return info.column(name).family in ("date", "timestamp")
        agg = self.aggs.get(ref.lower())
        if agg is not None:
            return agg.function in ("min", "max") and agg.column is not None and self.temporal(agg.column)
        derived = next((d for d in self.block.derived_columns if d.name.lower() == name.lower()), None)
        if derived is not None and re.search(r"date_trunc|\bas\s+(?:date|timestamp)\b|::\s*date", derived.expression, re.I):
            return True
        return bool(_TEMPORAL_NAME.search(name))

    def numeric(self, ref: str) -> bool | None:
        info, name = self._home(ref)
        if info is not None and info.has_column(name):
            return info.column(name).family in ("integer", "decimal", "float")
        agg = self.aggs.get(ref.lower())
        if agg is None:
            return None
        return agg.function not in ("min", "max") or not (agg.column and self.temporal(agg.column))

    def derived_split(self, block: QueryBlock) -> tuple[list[str], list[str]]:
        """Derived columns computed on the rows, and those computed per group (from aggregates)."""
        before: list[str] = []
        after: list[str] = []
        grouped: set[str] = set(self.aggs)
        for d in block.derived_columns:
            per_group = block.is_aggregate and _per_group(d.expression, grouped)
            if per_group:
                grouped.add(d.name.lower())
            (after if per_group else before).append(f"{d.name} = {d.expression}")
        return before, after

    # conditions
    def condition(self, cond: Condition, block: QueryBlock | None = None) -> str:
        if isinstance(cond, Filter):
            return self.filter(cond, block)
        if isinstance(cond, AnyOf):
            return "(" + " or ".join(self.condition(c, block) for c in cond.any_of) + ")"
        if isinstance(cond, AllOf):
            return "(" + " and ".join(self.condition(c, block) for c in cond.all_of) + ")"
        if isinstance(cond, Not):
            return f"not ({self.condition(cond.not_, block)})"
        return cond.expression

    def subject(self, ref: str, block: QueryBlock | None) -> str:
        """A condition's left side: in a group condition, an aggregate reads as what it computes."""
        agg = self.aggs.get(ref.lower()) if block is not None else None
        return self.aggregate(agg, alias=False) if agg is not None else self.column(ref)

    def filter(self, f: Filter, block: QueryBlock | None = None) -> str:
        col, op, v = self.subject(f.column, block), f.operator, f.value
        if op == "is_null":
            return f"{col} is null"
        if op == "is_not_null":
            return f"{col} is not null"
        dated = self.temporal(f.column) or _is_date(v) or (isinstance(v, list) and any(map(_is_date, v)))
        if f.value_column is not None:
            rhs = self.column(f.value_column)
        elif op in ("in", "not_in"):
            shown = [_value(x, f.column) for x in v]
            return f"{col} is {_either(shown, 'or')}" if op == "in" else f"{col} is none of {', '.join(shown)}"
        elif op in ("between", "not_between"):
            low, high = _value(v[0], f.column), _value(v[1], f.column)
            if dated:
                return f"{col} from {low} to {high}" if op == "between" else f"{col} before {low} or after {high}"
            return f"{col} is between {low} and {high}" if op == "between" else f"{col} is not between {low} and {high}"
        else:
            rhs = _value(v, f.column)
        if op in _TEXT_WORDS:
            return f"{col} {_TEXT_WORDS[op]} {rhs}"
        words = _DATE_WORDS.get(op) if dated else None
        return f"{col} {words or _WORDS[op]} {rhs}"

    # sources and joins
    def joins(self, joins: list[JoinCondition]) -> str:
        first = self.source(self.block.source_tables[0].ref)
        parts = []
        for i, j in enumerate(joins):
            right = self.source(j.right_table)
            keys = " and ".join(self.pair(p.left, p.right, j) for p in j.on_columns)
            keys += "".join(f" and {self.condition(c)}" for c in j.conditions)
            lead = f"{first} joined to" if i == 0 else "then to"
            parts.append(f"{lead} {right} on {keys} ({self.kind(j, first if i == 0 else self.source(j.left_table))})")
        return ", ".join(parts)

    def pair(self, left: str, right: str, j: JoinCondition) -> str:
        if left.lower() == right.lower() and "." not in left:
            return self.column(f"{j.right_table}.{right}").rpartition(".")[2]  # one key name, as the catalog spells it
        lq = left if "." in left else f"{j.left_table}.{left}"
        rq = right if "." in right else f"{j.right_table}.{right}"
        return f"{self.column(lq)} = {self.column(rq)}"

    def kind(self, j: JoinCondition, left: str) -> str:
        right = self.source(j.right_table)
        return {
            "inner": f"inner: unmatched {left} and {right} rows are dropped",
            "left": f"left: every {left} row is kept, {right} columns empty where none matches",
            "right": f"right: every {right} row is kept, {left} columns empty where none matches",
            "full": f"full: every {left} and {right} row is kept, matched where they match",
        }[j.join_type]  # fmt: skip

    # rows, groups, windows
    def dedupe(self, d: Dedupe, block: QueryBlock) -> str:
        table = self.source(block.source_tables[0].ref) if len(block.source_tables) == 1 else "source"
        if not d.keys:
            return f"exact duplicate {table} rows removed"
        keys = _either([self.column(k) for k in d.keys], "and") + (" (ignoring case)" if d.ignore_case else "")
        if not d.order_by:
            return f"one {table} row per {keys} (any one)"
        items = d.order_by if d.keep == "first" else [_flip(o) for o in d.order_by]
        return f"one {table} row per {keys}, the first " + self.order(items, "by", single=False)

    def aggregates(self, block: QueryBlock, per_group: list[str]) -> str:
        items = [self.aggregate(a) for a in block.aggregations] + per_group
        what = _either(items, "and") if items else "one row"
        if block.group_by:
            return f"{what} per " + _either([self.column(g) for g in block.group_by], "and")
        return f"{what} over all rows"

    def aggregate(self, a: Aggregation, *, alias: bool = True) -> str:
        what = self.measure(a.column, a.expression)
        if a.function == "count":
            phrase = f"count of {what}" if what else "count of rows"
        else:
            phrase = {"sum": "sum", "avg": "average", "count_distinct": "count of distinct", "min": "minimum",
                      "max": "maximum"}[a.function] + (" " if a.function == "count_distinct" else " of ") + what  # fmt: skip
        if a.filter:
            phrase += " where " + " and ".join(self.condition(c) for c in a.filter)
        rounded = f" (rounded to {a.round} decimal{'' if a.round == 1 else 's'})" if a.round is not None else ""
        return f"{phrase} as {a.alias}{rounded}" if alias else phrase

    def measure(self, column: str | None, expression: str | None) -> str:
        if expression is not None:
            return f"({expression})"
        return self.column(column, qualify=True) if column else ""

    def group_noun(self, group_by: list[str]) -> str:
        """What a group is called: ``department_id`` → ``departments`` when the block reads that table, else "groups".

        Decided from the spec alone, so a spec reads the same before and after the catalog is known.
        """
        if len(group_by) == 1:
            qualifier, _, name = group_by[0].rpartition(".")
            src = next((s for s in self.block.source_tables if s.ref.lower() == qualifier.lower()), None)
            if src is not None and name.lower() in ("id", *(f"{t}_id" for t in _singulars(src.table_name))):
                return self.source(src.ref)
            stem = re.sub(r"_?id$", "", name, flags=re.I).lower()
            if stem and stem != name.lower():
                for s in self.block.source_tables:
                    if stem in _singulars(s.table_name):
                        return self.source(s.ref)
        return "groups"

    def window(self, w: WindowColumn) -> str:
        within = (" within each " + _either([self.column(p) for p in w.partition_by], "and")) if w.partition_by else ""
        by = (" " + self.order(w.order_by, "by", single=False)) if w.order_by else ""
        fn = w.function
        if fn in ("row_number", "rank", "dense_rank", "percent_rank"):
            what = fn.replace("_", " ")
            return f"{w.name} = {what}{within}{by}"
        if fn == "ntile":
            return f"{w.name} = which of {w.offset} equal buckets{within}{by}"
        what = self.measure(w.column, w.expression)
        if fn == "share":
            scale = "a percent" if w.percent else "a share"
            return f"{w.name} = {what} as {scale} of the total" + (within or " over all rows")
        if fn in ("lag", "lead"):
            n = w.offset or 1
            side = "before" if fn == "lag" else "after"
            return f"{w.name} = {what} {n} row{'' if n == 1 else 's'} {side}{within}{by}"
        if fn in ("first_value", "last_value"):
            return f"{w.name} = the {fn.split('_')[0]} {what}{within}{by}"
        name = {"sum": "total", "avg": "average", "count": "count", "min": "minimum", "max": "maximum"}[fn]
        subject = f"{name} of {what}" if what else "count of rows"
        if w.preceding is not None:
            rounded = f", rounded to {w.round} decimals" if w.round is not None else ""
            rows = "row" if w.preceding == 1 else f"{w.preceding} rows"
            return f"{w.name} = moving {subject} of each row and the {rows} before it{within}{by}{rounded}"
        running = w.frame == "running" or (w.frame is None and w.order_by)
        if running:
            return f"{w.name} = running {subject}{within}{by}"
        return f"{w.name} = {subject}" + (within or " over all rows")

    def qualify(self, block: QueryBlock) -> str:
        if len(block.qualify) == 1 and isinstance(f := block.qualify[0], Filter):
            w = self.windows_by_name.get(f.column.lower())
            top = _top_n(f)
            if w is not None and top is not None and w.function in ("row_number", "rank", "dense_rank"):
                per = (" per " + _either([self.column(p) for p in w.partition_by], "and")) if w.partition_by else ""
                ties = " (ties share a place)" if w.function != "row_number" else ""
                if not w.order_by:
                    return f"keeping any {top:,}{per}"
                return f"keeping the top {top:,}{per} by {w.name}{ties}"
        return "keeping rows where " + " and ".join(self.condition(c) for c in block.qualify)

    # output and order
    def output(self, c: OutputColumn) -> str:
        if c.expression is not None:
            return f"{c.expression} as {c.name}"
        assert c.column is not None
        shown = self.column(c.column)
        bare = c.column.rpartition(".")[2]
        return f"{shown} as {c.name}" if c.name and c.name.lower() != bare.lower() else shown

    def order(self, items: list[OrderItem], lead: str, *, single: bool = True) -> str:
        """``sorted by amount, highest first``; several items (or ``single=False``) with the words in brackets."""
        words = [self.direction(o) for o in items]
        if len(items) == 1 and single:
            return f"{lead} {self.column(items[0].column)}" + (f", {words[0]}" if words[0] else "")
        return f"{lead} " + ", then ".join(
            self.column(o.column) + (f" ({w})" if w else "") for o, w in zip(items, words, strict=True)
        )

    def direction(self, o: OrderItem) -> str:
        desc = o.direction == "desc"
        if self.temporal(o.column):
            word = "newest first" if desc else "oldest first"
        elif self.numeric(o.column):
            word = "highest first" if desc else "lowest first"
        elif self.numeric(o.column) is False:
            word = "Z to A" if desc else "A to Z"
        else:
            word = "descending" if desc else "ascending"
        return word + (f", nulls {o.nulls}" if o.nulls else "")


def _per_group(expression: str, grouped: set[str]) -> bool:
    """Whether a derived column of an aggregating block is computed per group: it aggregates, or uses an
    aggregate or another per-group column (e.g. ``round(100.0 * cancelled / orders, 2)``)."""
    from datamorph.compiler.expressions import (
        contains_aggregate,
        contains_window,
        parse_expression,
        referenced_names,
    )
    from datamorph.errors import DataMorphError

    try:
        tree = parse_expression(expression)
    except DataMorphError:  # not for the restatement to refuse: read the names it uses
        return bool({w.lower() for w in re.findall(r"[A-Za-z_]\w*", expression)} & grouped)
    if contains_aggregate(tree) or contains_window(tree):
        return True
    return any(q is None and name.lower() in grouped for q, name in referenced_names(tree))


def _singulars(table: str) -> set[str]:
    """What one row of a table is called in a key name: customers → customer, categories → category."""
    t = table.lower().rpartition(".")[2]
    out = {t}
    if t.endswith("ies"):
        out.add(t[:-3] + "y")
    if t.endswith(("ses", "xes")):
        out.add(t[:-2])
    if t.endswith("s"):
        out.add(t[:-1])
    return out


def _flip(o: OrderItem) -> OrderItem:
    return o.model_copy(update={"direction": "asc" if o.direction == "desc" else "desc"})


def _top_n(f: Filter) -> int | None:
    """N of a filter that keeps the first N places (``rn <= N``, ``rn < N+1``, ``rn = 1``), else None."""
    if f.value_column is not None or isinstance(f.value, bool) or not isinstance(f.value, (int, float, Decimal)):
        return None
    v = f.value
    if f.operator == "<=" and v == int(v) and v >= 1:
        return int(v)
    if f.operator == "<" and v == int(v) and v >= 2:
        return int(v) - 1
    if f.operator == "=" and v == 1:
        return 1
    return None
