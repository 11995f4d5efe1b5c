"""The planner's working state: what the recognizers understood so far, and how it becomes a spec.

Recognizers (``planner/recognizers/*``) read the request's tokens, mark the
words they use, and add spec elements here. Column references are always
qualified with their table name (``orders.amount``), so :func:`assemble`
can work out which tables to join. Names the request introduces (derived
columns, aggregation aliases, windows) are bare.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

from sqlglot import exp

from datamorph.catalog import Catalog
from datamorph.errors import PlanError
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.claims import Claim, ClaimRecord, Edit, spans_free
from datamorph.planner.lexicon import NAME_PARTS, singular
from datamorph.planner.linking import ColumnMatch, JoinEdge, SchemaLinker, TableMatch, ValueMatch
from datamorph.planner.refs import column_refs, names_read, tables_read
from datamorph.planner.text import Tokens
from datamorph.spec import (
    Aggregation,
    Condition,
    Dedupe,
    DerivedColumn,
    ETLSpec,
    ExpressionCondition,
    Filter,
    JoinCondition,
    JoinType,
    OrderItem,
    OutputColumn,
    QueryBlock,
    SourceTable,
    UnionSpec,
    WindowColumn,
    leaf_filters,
    load_spec,
)


@dataclass(frozen=True)
class SelfJoin:
    """The base table read a second time under ``alias`` (a self join): a row and the row its key names
    (``employees.manager_id`` = ``manager.employee_id``), or two rows sharing values (pairs). Columns of the
    second reading are written ``alias.column``; ``said``: the request said what happens to rows without a
    match (else the join is a doubt, see :mod:`datamorph.planner.doubts`)."""

    alias: str
    keys: tuple[tuple[str, str], ...]  # (base column, alias column) pairs of the ON
    join_type: JoinType = "inner"
    said: bool = False
    conditions: tuple[Condition, ...] = ()  # more of the ON (pairs: the base's key below the other's)
    words: str = ""
    grouped: bool = False  # a count per the other row: the groups must be the key's values
    at_least: int | None = None  # "only managers with at least 3": a having on that count
    columns: tuple[OutputColumn, ...] = ()  # the other row's columns asked for ("their manager's name")


@dataclass
class Draft:
    prompt: str
    tokens: Tokens
    catalog: Catalog
    linker: SchemaLinker
    reference_date: dt.date
    base: str | None = None  # the table the request is about (its rows are kept by outer joins)
    tables: list[str] = field(default_factory=list)  # further tables the request names
    preserve_base: bool = False  # keep base rows without a match (left join: "including those with none")
    filters: list[Condition] = field(default_factory=list)
    derived: list[DerivedColumn] = field(default_factory=list)
    dedupe: Dedupe | None = None
    group_by: list[str] = field(default_factory=list)
    aggregations: list[Aggregation] = field(default_factory=list)
    having: list[Condition] = field(default_factory=list)
    windows: list[WindowColumn] = field(default_factory=list)
    columns: list[OutputColumn] = field(default_factory=list)
    qualify: list[Condition] = field(default_factory=list)
    distinct: bool = False
    order_by: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    union: list[Draft] = field(default_factory=list)
    union_mode: str = "all"
    required_tables: list[str] = field(default_factory=list)  # joined even when no column is used (drop orphans)
    join_hints: list[str] = field(default_factory=list)
    table_words: dict[str, str] = field(default_factory=dict)  # table -> the words that named it (provenance)  # key columns the request names ("on customer_id")
    anti_tables: list[str] = field(default_factory=list)  # joined only to find base rows without a match
    semi_tables: list[str] = field(default_factory=list)  # joined (inner) only to require a match: base rows once each
    on_conditions: list[Condition] = field(default_factory=list)  # which rows of an anti-joined table count (its ON)
    self_join: SelfJoin | None = None  # the base read twice (recognizers/selfjoin.py)
    target: str | None = None
    notes: list[str] = field(default_factory=list)
    doubts: list[Doubt] = field(default_factory=list)  # phrases read one way of several (planner/ambiguity.py)
    mentions: list[TableMatch | ColumnMatch | ValueMatch] = field(default_factory=list)  # what the linker found
    reserved: list[tuple[int, int]] = field(default_factory=list)  # words held back for the output list (measures)
    condition_spans: list[tuple[int, int]] = field(default_factory=list)  # words read as row conditions (dates)
    aliases: dict[str, str] = field(default_factory=dict)  # "the label (call it rating_group)": noun -> name
    records: list[ClaimRecord] = field(default_factory=list)  # provenance: which recognizer took which words
    refused: list[ClaimRecord] = field(default_factory=list)  # claims on words already held (for debugging)

    # -- helpers for recognizers -------------------------------------------------------
    def use_table(self, table: str) -> None:
        if self.base is None:
            self.base = table
        elif table != self.base and table not in self.tables:
            self.tables.append(table)

    def defined_names(self) -> set[str]:
        return {d.name.lower() for d in self.derived} | {a.alias.lower() for a in self.aggregations} | {
            w.name.lower() for w in self.windows
        }

    def referenced_tables(self) -> list[str]:
        """Tables named by a qualified column anywhere in the draft, base first."""
        names: dict[str, None] = {}
        if self.base:
            names[self.base] = None
        for t in self.tables:
            names[t] = None
        for t in self.required_tables:
            names[t] = None
        read = tables_read([*self.filters, *self.derived, *self.aggregations, *self.having, *self.windows,
                            *self.columns, *self.order_by], self.group_by)  # fmt: skip
        for info in self.catalog.tables.values():
            if info.name.lower() in read:
                names.setdefault(info.name, None)
        return list(names)


# -- the driver's side: applying claims (recognizers never call these) -----------------------


def apply_edit(d: Draft, e: Edit) -> None:
    """Carry out one edit on the draft."""
    if e.field not in _EDITABLE:
        raise ValueError(f"an edit may not change draft.{e.field}")
    if e.op == "use_table":
        d.use_table(e.value)
    elif e.op == "release":
        for a, b in e.value:
            for t in d.tokens.overlapping(a, b):
                t.used = t.shared = False
    elif e.op == "set":
        setattr(d, e.field, list(e.value) if isinstance(getattr(d, e.field), list) else e.value)
    elif e.op == "add":
        getattr(d, e.field).extend(e.value)
    elif e.op == "remove":
        current = getattr(d, e.field)
        for item in e.value:
            if item in current:
                current.remove(item)
    else:  # pragma: no cover - Edit's constructors make only the ops above
        raise ValueError(f"unknown edit {e.op}")


def apply_claims(d: Draft, recognizer: str, claims: list[Claim] | tuple[Claim, ...]) -> None:
    """Apply one recognizer's claims: the surer first; a claim on held words is refused (and recorded)."""
    for c in sorted(claims, key=lambda c: -c.confidence):  # stable: equal confidence keeps the recognizer's order
        record = ClaimRecord(recognizer, " ".join(d.prompt[a:b].strip() for a, b in c.spans).strip(), c.spans,
                             tuple(e.describe() for e in c.edits), c.confidence)  # fmt: skip
        if not c.over and not spans_free(d.tokens, c.spans):
            d.refused.append(record)
            continue
        for e in c.edits:
            apply_edit(d, e)
        for a, b in c.spans:
            for t in d.tokens.overlapping(a, b):
                if not t.used:
                    t.used, t.shared = True, c.shared
                elif not c.shared:
                    t.shared = False
        if c.spans or c.edits:
            d.records.append(record)


_EDITABLE = frozenset(f.name for f in fields(Draft)) - {"prompt", "catalog", "linker", "reference_date"}


def assemble(d: Draft) -> ETLSpec:
    """The spec the draft describes: sources and joins inferred from the columns it uses."""
    if d.base is None:
        raise PlanError("could not tell which table the request is about",
                        hint="name a table, e.g. 'from the orders table'")  # fmt: skip
    for part in (d, *d.union):
        _check_nothing_dropped(part)
    _check_ranked_total(d)
    _check_ungrouped_condition(d)
    _check_ungrouped_by(d)
    _check_one_row_groups(d)
    _check_name_part(d)
    _check_pick_per_key(d)
    _check_sums_of_keys(d)
    _check_counts_of_the_groups(d)
    _check_share_without_groups(d)
    _check_ranges_on_keys(d)
    _check_number_on_text(d)
    _check_whether_clauses(d)
    _check_null_tests_agree(d)
    _check_row_windows_in_groups(d)
    _check_spent_over(d)
    _check_some_but_none(d)
    block = _block(d)
    data = {
        **block.model_dump(by_alias=True, exclude_none=True),
        "target_table": {"name": d.target or "result", "description": d.prompt[:500]},
        "description": d.prompt,
        "transformations": list(d.notes),
        "distinct": d.distinct or _duplicates_of_the_output(d) or _repeated_by_a_condition(d, block),
        "order_by": [o.model_dump(exclude_none=True) for o in d.order_by],
        "limit": d.limit,
    }
    if d.union:
        data["union"] = UnionSpec(mode=d.union_mode, blocks=[_block(u) for u in d.union]).model_dump(  # type: ignore[arg-type]
            by_alias=True, exclude_none=True
        )
    return load_spec({k: v for k, v in data.items() if v is not None})


def _duplicates_of_the_output(d: Draft) -> bool:
    """"countries of the suppliers, no duplicates": exact duplicates (no keys) said of a request that lists
    its columns are duplicates of those output rows, not only of the table's whole rows."""
    return bool(d.dedupe is not None and not d.dedupe.keys and d.columns and not d.aggregations and not d.group_by)


def _why_table(d: Draft, table: str) -> str:
    """Provenance of a table the request did not name: the columns of it the plan uses."""
    refs = column_refs([*d.filters, *d.aggregations, *d.columns, *d.derived, *d.windows], d.group_by)
    used = sorted({f"{t}.{c}" for t, c in refs if t and t.lower() == table.lower()})
    return "needed for " + ", ".join(used) if used else "join path"


def _check_nothing_dropped(d: Draft) -> None:
    """Every computed column must reach the output or be used by something that does.

    When the request gives an output list that leaves out a measure or a derived column the
    request asked for, the plan is wrong (a clause was dropped), so it fails instead.
    """
    if not d.columns:
        return
    defined = {
        **{x.name: x.provenance for x in d.derived},
        **{a.alias: a.provenance for a in d.aggregations},
        **{w.name: w.provenance for w in d.windows},
    }
    users = [*d.columns, *d.having, *d.qualify, *d.order_by, *d.filters, *d.derived, *d.windows, *d.aggregations]
    for name, words in defined.items():
        # read by another element (an element's own name or alias is what it defines, not what it reads)
        used = any(name.lower() in names_read([u]) for u in users)
        if not used:
            said = f" ('{words}')" if words else ""
            raise PlanError(f"the request computes {name}{said} but its output list leaves it out",
                            hint="list it among the output columns, or rephrase")  # fmt: skip


def _hinted(d: Draft, e: JoinEdge) -> JoinEdge:
    """Use the key the request named when both tables have it (\"join ... on customer_id\")."""
    for hint in d.join_hints:
        left, right = d.catalog.table(e.left_table), d.catalog.table(e.right_table)
        if left.has_column(hint) and right.has_column(hint):
            return JoinEdge(e.left_table, left.column(hint).name, e.right_table, right.column(hint).name)
    return e


def _on_conditions(d: Draft, table: str) -> list[Condition]:
    """The conditions of an anti-joined ``table``: which of its rows count.

    Those the request put on the kind of row ("never had a refund": ``on_conditions``), and the row filters
    on that table's columns ("members without loans in 2024"): on the base rows kept, which have no such
    row, such a filter could never hold (their columns of it are NULL), so it says which rows count.
    """
    if table not in d.anti_tables:
        return []
    mine = [c for c in d.filters if tables_read([c], []) == {table.lower()}
            and not (isinstance(c, Filter) and c.operator == "is_null")]  # (a NULL test is how rows without one are found)
    return [*(c for c in d.on_conditions if tables_read([c], []) == {table.lower()}), *mine]


def _check_below_anti(d: Draft, joins: list[JoinCondition], filters: list[Condition]) -> None:
    """A row filter on a table joined through an anti-joined one ("products never ordered by a *corporate*
    customer": customers, reached through the orders that must be missing) could never hold on the rows the
    anti join keeps, whose columns there are all NULL: the plan would be empty by construction. Refused."""
    parent = {j.right_table.lower(): j.left_table.lower() for j in joins}
    anti = {t.lower() for t in d.anti_tables}

    def below(t: str) -> bool:
        seen: set[str] = set()
        while t in parent and t not in seen:
            seen.add(t)
            t = parent[t]
            if t in anti:
                return True
        return False

    for c in filters:
        if isinstance(c, Filter) and c.operator == "is_null":
            continue
        if any(below(t) for t in tables_read([c], [])):
            raise PlanError(f"'{getattr(c, 'provenance', None) or c}' is a condition on rows the request says are missing",
                            hint="rephrase: which rows must be missing, and which rows are kept")  # fmt: skip


def _joined_only_to_filter(d: Draft, joins: list[JoinCondition]) -> bool:
    """Every table joined to the base serves only row conditions, each reached through a reference the
    joining table holds (many rows to one): "tickets of customers in Oslo", "books of the Poetry shelf".

    The rows asked for are then the base's, once each, and the joined tables' columns are not part of the
    answer. A join the request spells out ("join A and B on k"), a grouped or computed output, kept
    unmatched rows, or a join that could repeat base rows (one customer to many orders) is left as it is.
    """
    if not joins or not d.base or d.join_hints or d.preserve_base or d.group_by or d.aggregations or d.windows:
        return False
    if d.derived or d.union or d.dedupe is not None:
        return False
    others = tables_read([*d.columns, *d.having, *d.qualify, *d.order_by, *d.derived], [])
    if any(j.right_table.lower() in others for j in joins):
        return False
    # a table the request does not name, joined only for a value of it ("doctors accepting new patients in
    # Portland": patients, through appointments) says which base rows are kept, not which rows are listed
    named = {t.lower() for t in d.table_words}
    return all(_references(d.catalog, j) or j.right_table.lower() not in named for j in joins)


def _counted_once(d: Draft, a: Aggregation, tables: list[str]) -> Aggregation:
    """A count of a table's rows ("how many members in each town have borrowed") counts each row once even
    when a table joined later (loans, which references members) repeats it: COUNT(DISTINCT its key)."""
    counted = _counted_table(d, a)
    if counted is None or a.filter:
        return a
    info = d.catalog.table(counted)
    fans = any(fk.ref_table.lower() == info.name.lower() for t in tables if t.lower() != info.name.lower()
               for fk in d.catalog.table(t).foreign_keys)  # fmt: skip
    if not fans or len(info.primary_key) != 1 or info.name not in tables:
        return a
    return a.model_copy(update={"function": "count_distinct", "column": f"{info.name}.{info.primary_key[0]}"})


def _counted_table(d: Draft, a: Aggregation) -> str | None:
    """The table whose rows a ``count(*)`` counts, as its words name it ("members", "loans"), or None."""
    if a.function != "count" or a.column or a.expression or not a.provenance:
        return None
    hits = d.linker.tables(a.provenance)
    return hits[0].table if hits and hits[0].score >= 0.85 else None


def base_columns(catalog: Catalog, table: str) -> list[OutputColumn]:
    """Every column of ``table``, qualified, under its own name (the output when the rows asked for are its)."""
    return [OutputColumn(column=f"{table}.{c.name}", name=c.name) for c in catalog.table(table).columns]


def _references(catalog: Catalog, j: JoinCondition) -> bool:
    """The join's left rows hold a foreign key to its right table on exactly the join's columns."""
    left = [o.left for o in j.on_columns]
    right = [o.right for o in j.on_columns]
    return any(fk.ref_table.lower() == j.right_table.lower()
               and [c.lower() for c in fk.columns] == [c.lower() for c in left]
               and [c.lower() for c in fk.ref_columns] == [c.lower() for c in right]
               for fk in catalog.table(j.left_table).foreign_keys)  # fmt: skip


def _check_fanned_order(d: Draft, joins: list[JoinCondition], columns: list[OutputColumn]) -> None:
    """Rows of the base ordered by a column of a table that repeats them ("the 5 sessions with the highest time
    on page", where each session has many page views): the order, and a limit, would pick base rows several
    times, once per related row. Refused unless the output is those pairs (it lists the related table's
    columns) or the rows are grouped; "the total" or "the highest" of the column says which value counts."""
    if d.group_by or d.aggregations or not d.order_by or d.base is None or d.self_join is not None:
        return
    shown = {c.column.split(".", 1)[0].lower() for c in columns if c.column and "." in c.column}
    via = {j.right_table.lower(): j for j in joins}
    for o in d.order_by:
        owner = o.column.split(".", 1)[0].lower() if "." in o.column else None
        t = owner
        while t is not None and t != d.base.lower() and t in via and t not in shown:
            j = via[t]
            if fans_out(d.catalog, j):
                words = f"'{o.provenance}'" if o.provenance else o.column
                raise PlanError(f"{words}: each {d.base} row has many {j.right_table} rows, so it would be listed once "
                                f"per {j.right_table} row", hint=f"say which value counts, e.g. 'by the total "
                                f"{o.column.split('.', 1)[1].replace('_', ' ')}' or 'by the highest ...'")  # fmt: skip
            t = j.left_table.lower()


_NEVER = re.compile(r"\b(?:never|not|no)\b|n['\u2019]t\b", re.IGNORECASE)
_NEGATED_OPS = frozenset({"!=", "not_in", "not_like"})


_VALUE_MEASURES = frozenset({"sum", "avg", "median", "stddev", "variance"})


def _check_repeated_measures(d: Draft, joins: list[JoinCondition], aggregations: list[Aggregation]) -> None:
    """A total or average of a column whose rows the joins repeat ("revenue per product category" as the orders'
    amount, where each order has several order lines, each of one product): each row would be counted once per
    related row, and given whole to each group. Refused; the measure of the rows that are not repeated (the
    order lines' own price and quantity) or a grouping the rows hold themselves is what to ask."""
    if not joins or d.self_join is not None:
        return
    for a in aggregations:
        if a.function not in _VALUE_MEASURES:
            continue
        owners = tables_read([a.model_copy(update={"filter": []})], [])
        for t in owners:
            repeat = _repeated_by(d.catalog, joins, t)
            if repeat is not None:
                raise PlanError(f"'{a.provenance or a.alias}': each {t} row is joined to several {repeat} rows, so its "
                                f"{a.function} would count it once per {repeat} row",
                                hint=f"measure a column of {repeat} itself, or group by a column {t} holds")  # fmt: skip


def _repeated_by(catalog: Catalog, joins: list[JoinCondition], table: str) -> str | None:
    """Which table's rows repeat ``table``'s rows in the joined rows (a join walked from ``table``'s side that
    matches one of its rows with several rows), or None when each of its rows appears once."""
    seen, todo = {table.lower()}, [table.lower()]
    while todo:
        t = todo.pop()
        for j in joins:
            left, right = j.left_table.lower(), j.right_table.lower()
            if t == left and right not in seen:
                if fans_out(catalog, j):
                    return j.right_table
                seen.add(right)
                todo.append(right)
            elif t == right and left not in seen:
                if not _unique_on(catalog, j.left_table, [c.left for c in j.on_columns]):
                    return j.left_table
                seen.add(left)
                todo.append(left)
    return None


def _unique_on(catalog: Catalog, table: str, columns: list[str]) -> bool:
    """``table``'s primary key is among ``columns``: one row of it per value of them."""
    key = {k.lower() for k in catalog.table(table).primary_key}
    return bool(key) and key <= {c.lower() for c in columns}


def _check_negated_fanout(d: Draft, joins: list[JoinCondition], columns: list[OutputColumn]) -> None:
    """Base rows kept by a negated condition on a table that repeats them ("products never sold through the
    phone channel", "members who did not borrow from the Hill branch", each product having many order lines):
    the plan keeps a base row when *some* related row is not of that value, while the words mean that *no*
    related row is. Refused (unless the output is the related rows, or the rows are grouped); "other than",
    "excluding" and "except" say the first reading and are not refused."""
    if d.group_by or d.aggregations or d.base is None:
        return
    shown = {c.column.split(".", 1)[0].lower() for c in columns if c.column and "." in c.column}
    via = {j.right_table.lower(): j for j in joins}
    for f in d.filters:
        if not isinstance(f, Filter) or f.operator not in _NEGATED_OPS or not _NEVER.search(f.provenance or ""):
            continue
        t = f.column.split(".", 1)[0].lower() if "." in f.column else None
        while t is not None and t != d.base.lower() and t in via and t not in shown:
            j = via[t]
            if fans_out(d.catalog, j):
                raise PlanError(f"'{f.provenance}': each {d.base} row has many {j.right_table} rows; this would keep "
                                f"the {d.base} rows with some row that is not so, not those with none",
                                hint="say which you mean: e.g. 'with no ... at all' on the related table itself, or "
                                     "'with at least one ... other than ...'")  # fmt: skip
            t = j.left_table.lower()


def _check_pick_per_key(d: Draft) -> None:
    """One row kept per value of a table's own primary key picks nothing: each row is alone in its group
    ("each member's latest fine amount" kept every member, ordered by the member's join date, and dropped the
    fines). The request's "latest"/"first" is about rows of another table: refused."""
    if d.dedupe is None or not d.dedupe.keys or d.dedupe.ignore_case:
        return
    keys = {k.lower() for k in d.dedupe.keys}
    for t in {k.split(".", 1)[0] for k in keys if "." in k}:
        info = d.catalog.table(t)
        if info.primary_key and {f"{info.name}.{c}".lower() for c in info.primary_key} <= keys:
            raise PlanError(f"one {info.name} row kept per {', '.join(info.primary_key)}: each {info.name} row is "
                            "alone with its key, so there is nothing to pick",
                            hint=f"name the table whose rows are picked, e.g. 'the latest <table> row of each "
                                 f"{info.name.rstrip('s')}'")  # fmt: skip


def _check_sums_of_keys(d: Draft) -> None:
    """A sum or average of a key column (an id) the request does not spell is a table's name read as its key
    ("running total of trips" summed trip_id): refused. Spelled ("average customer_id") it is what was asked."""
    said = re.sub(r"[\s_]+", " ", d.prompt.lower())
    measures: list[Aggregation | WindowColumn] = [*d.aggregations, *d.windows]
    for x in measures:
        if x.function not in ("sum", "avg") or not x.column or "." not in x.column:
            continue
        table, column = x.column.split(".", 1)
        if not d.catalog.has_table(table):  # a self join's alias (its table is the base)
            table = d.base or table
        info = d.catalog.table(table)
        keys = {c.lower() for c in info.primary_key} | {c.lower() for fk in info.foreign_keys for c in fk.columns}
        named_as_key = column.lower() == "id" or column.lower().endswith("_id")  # (keys no constraint declares)
        if (column.lower() in keys or named_as_key) and column.lower().replace("_", " ") not in said:
            what = "the sum" if x.function == "sum" else "the average"
            raise PlanError(f"'{x.provenance or x.column}': {what} of {x.column}, a key?",
                            hint="name the column to add up, e.g. 'total amount'")  # fmt: skip


_TOTAL_SHARE = re.compile(r"\bover\s*\(\s*\)", re.I)


def _check_share_without_groups(d: Draft) -> None:
    """A share of the total with no groups is of the whole table, 1 by construction: unless one row condition
    says which rows it counts ("percentage of orders placed on a weekend": of all orders, those; read by the
    share's doubt, ``doubts._share_doubts``), refused."""
    if d.group_by or d.aggregations or not any(_TOTAL_SHARE.search(x.expression) for x in d.derived):
        return
    said = [f for f in d.filters if isinstance(f, (Filter, ExpressionCondition)) and f.provenance]
    if len(d.filters) != 1 or len(said) != 1:
        raise PlanError("a share needs groups to compare, or one condition that says which rows it counts",
                        hint="say per what ('per channel'), or which rows ('share of orders placed on a weekend')")


def _check_counts_of_the_groups(d: Draft) -> None:
    """A distinct count of the groups' own key ("share of customers with more than one order" grouped the
    orders per customer, then counted the distinct customers of each group): every group counts exactly 1, so
    the measure says nothing the request asked. Refused."""
    groups = {g.lower() for g in d.group_by}
    counted: list[tuple[str, str | None]] = [
        (a.column, a.provenance) for a in d.aggregations
        if a.function == "count_distinct" and a.column and "." in a.column and not a.filter]  # fmt: skip
    for x in d.derived:  # a ratio's measures, written inline ("count(DISTINCT customers.customer_id) / ...")
        tree: exp.Expression = exp.maybe_parse(x.expression)
        for c in tree.find_all(exp.Count):
            inner = c.this.expressions[0] if isinstance(c.this, exp.Distinct) and len(c.this.expressions) == 1 else None
            if isinstance(inner, exp.Column) and inner.table:
                counted.append((f"{inner.table}.{inner.name}", x.provenance))
    for column, words in counted:
        if any(_same_key(d.catalog, column, g) for g in groups):
            raise PlanError(f"'{words or column}' counts the groups themselves: each group counts 1",
                            hint="a share of the rows that meet a condition on their own counts is not planned "
                                 "yet; ask for the rows with that count first")  # fmt: skip


def _same_key(catalog: Catalog, a: str, b: str) -> bool:
    """``a`` and ``b`` (qualified) are one column, or a foreign key and the key it points at."""
    if a.lower() == b.lower():
        return True
    for x, y in ((a, b), (b, a)):
        table, column = x.split(".", 1)
        if not catalog.has_table(table) or "." not in y:
            continue
        for fk in catalog.table(table).foreign_keys:
            if [c.lower() for c in fk.columns] == [column.lower()] and \
                    f"{fk.ref_table}.{fk.ref_columns[0]}".lower() == y.lower():
                return True
    return False


def _check_row_windows_in_groups(d: Draft) -> None:
    """A window over the rows' own columns ("the average amount of their customer", a row's share) in a request
    that makes one row per group ("number of orders per status and ..."): each group holds many rows, so which
    row's value is meant is not said. Refused (it would not run: the column is neither grouped nor aggregated)."""
    if not (d.aggregations or d.group_by):
        return
    keys = {g.lower() for g in d.group_by}
    for w in d.windows:
        refs = [w.column or "", *w.partition_by, *(o.column for o in w.order_by)]
        loose = [r for r in refs if "." in r and r.lower() not in keys]
        if loose:
            raise PlanError(f"'{w.provenance or w.name}' is a value of each {loose[0].split('.')[0]} row, but the "
                            "request makes one row per group",
                            hint="ask for the rows ('each order's amount and ...') or for a measure per group")  # fmt: skip


_RANGE_OPS = frozenset({">", ">=", "<", "<=", "between"})


def _check_ranges_on_keys(d: Draft) -> None:
    """A key column (an id) compared with a number by range, the request not spelling its name: a table's or a
    role's word read as its key ("managers with at least 3 reports" kept manager_id >= 3). Refused. Spelled
    ("manager_id above 5", "ids below 100") it is what was asked."""
    said = re.sub(r"[\s_]+", " ", d.prompt.lower())
    for f in d.filters:
        if not isinstance(f, Filter) or f.operator not in _RANGE_OPS or "." not in f.column:
            continue
        table, column = f.column.split(".", 1)
        if not d.catalog.has_table(table):
            table = d.base or table
        info = d.catalog.table(table)
        keys = {c.lower() for c in info.primary_key} | {c.lower() for fk in info.foreign_keys for c in fk.columns}
        low = column.lower()
        if (low in keys or low.endswith("_id")) and low.replace("_", " ") not in said and not re.search(
                r"\bids?\b", f.provenance or "", re.IGNORECASE):  # fmt: skip
            raise PlanError(f"'{f.provenance or f.column}': compares {f.column}, a key, with a number?",
                            hint="say what is compared, e.g. 'with at least 3 orders', or name the column")


def _check_number_on_text(d: Draft) -> None:
    """A text column compared by range with a number ("status over 1000"): a word read as the column a number
    belongs to, where the request meant another. Refused with the words, before the compiler finds the mismatch."""
    for f in d.filters:
        if not isinstance(f, Filter) or f.operator not in _RANGE_OPS or "." not in f.column:
            continue
        values = f.value if isinstance(f.value, list) else [f.value]
        if not values or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            continue
        table, column = f.column.split(".", 1)
        if not d.catalog.has_table(table) or not d.catalog.table(table).has_column(column):
            continue
        if d.catalog.table(table).column(column).family == "text":
            raise PlanError(f"'{f.provenance or f.column}': {f.column} is text, compared with a number",
                            hint="name the number column, e.g. 'amount over 1000'")


#: "a column saying whether ...", "and whether they were cancelled": a yes/no value asked for each row, up to the
#: end of its clause
_WHETHER = re.compile(r"\bwhether\b(?P<clause>[^.;:!?()]*)", re.I)


def _check_whether_clauses(d: Draft) -> None:
    """A condition said after "whether" is a yes/no value shown for each row, never a filter on the rows ("orders
    and whether they were cancelled" kept only the cancelled orders). Not read yet: refused."""
    for m in _WHETHER.finditer(d.prompt):
        clause = m.group("clause").lower()
        for f in leaf_filters([*d.filters, *d.on_conditions]):
            said = (f.provenance or "").strip().lower()
            if said and said in clause:
                raise PlanError(f"'whether{m.group('clause').rstrip()}': a yes/no value for each row is not read "
                                f"yet (it would filter the rows)",
                                hint="ask for the rows that meet the condition, or for a flag with its values, "
                                     "e.g. \"flag = 'yes' if ... else 'no'\"")  # fmt: skip


#: verbs whose object is an amount the rows' owner adds up over its related rows ("customers who spent over 500")
_AMOUNT_VERBS = frozenset("""
spent spend spends spending paid pay pays paying earned earn earns earning bought buy buys buying purchased purchase
purchases purchasing billed charged owed owe owes donated donate contributed generated brought
""".split())


def _check_spent_over(d: Draft) -> None:
    """"Which customers spent over 500?": a threshold said with a verb of the listed rows on an amount of their
    related rows (orders.amount) — any one related row over it, or their total? Planned as a condition on each
    related row, it answered the first; the words do not say which. Refused unless a related row is named
    ("customers with an order over 500") or the request aggregates."""
    if d.base is None or d.aggregations or d.group_by:
        return
    for f in leaf_filters([*d.filters, *d.on_conditions]):
        said = (f.provenance or "").strip().split()
        if f.operator not in _RANGE_OPS or "." not in f.column or not said or said[0].lower() not in _AMOUNT_VERBS:
            continue
        table = f.column.split(".", 1)[0]
        if table.lower() == d.base.lower() or any(m.table.lower() == table.lower() for w in said[1:]
                                                   for m in d.linker.tables(w)):  # fmt: skip
            continue
        raise PlanError(f"'{f.provenance}': any single {table} row over it, or the total of their {table} rows?",
                        hint=f"say 'with any {table} row whose {f.column.split('.', 1)[1]} is ...' for one row, or "
                             f"'whose total {f.column.split('.', 1)[1]} is ...' for the sum")  # fmt: skip


#: "who have sessions but never ...", "with at least one order, but no ...": some related rows said, then a negation
_SOME_BUT = r"\b(?:have|has|had|with|having|placed|made|own|owns|got)\s+(?:(?:a|an|some|any|at\s+least\s+one|one\s+or\s+more)\s+)?"


def _check_some_but_none(d: Draft) -> None:
    """Rows that have related rows but none of a kind ("users who have sessions but never a session on mobile"):
    read as the anti join alone, the rows with no related row at all were kept too. Not planned (a semi and an
    anti join on one table): refused."""
    for table in d.anti_tables:
        if table in d.required_tables:  # the related rows were read as required too (planned: _some_but_none)
            continue
        words = {table, d.table_words.get(table, table)}
        for word in words:
            forms = "|".join(re.escape(f) for f in {word, word.rstrip("s"), word.rstrip("s") + "s"})
            m = re.search(rf"{_SOME_BUT}(?:{forms})\b[^.;:]{{0,40}}?\bbut\b", d.prompt, re.I)
            if m:
                raise PlanError(f"'{m.group(0)}': rows with {table} rows, but none of a kind, are not planned yet",
                                hint=f"ask for the rows with no such {table} row only, or for those with one")


_KEPT_EMPTY = re.compile(r"keep rows whose (?P<cols>[\w.]+(?:, [\w.]+)*) is empty$")


def _check_null_tests_agree(d: Draft) -> None:
    """A column both required empty and filled in ("customers without a phone; skip customers whose phone is
    missing"), or kept when empty ("including customers even if their phone is missing") and required filled
    in: two parts of the request read the same rows two ways, and the plan would silently keep one. Refused."""
    tests: dict[str, set[str]] = {}
    for f in d.filters:
        if isinstance(f, Filter) and f.operator in ("is_null", "is_not_null"):
            tests.setdefault(f.column.lower(), set()).add(f.operator)
    for note in d.notes:
        m = _KEPT_EMPTY.match(note)
        for col in m.group("cols").split(", ") if m else []:
            tests.setdefault(col.lower(), set()).add("kept")
    for col, ops in tests.items():
        if ops >= {"is_null", "is_not_null"} or ops >= {"kept", "is_not_null"}:
            raise PlanError(f"the request says both that {col} must be filled in and that rows where it is empty "
                            f"are {'kept' if 'kept' in ops else 'wanted'}",
                            hint="say once whether rows with an empty value are wanted, left out or kept")


def _check_ranked_total(d: Draft) -> None:
    """A measure with no groups is one row: ordering it, or keeping its top N, means the request ranks things it
    did not say ("members ranked by how many loans they took" read as one count of all loans). Refused."""
    if d.aggregations and not d.group_by and not d.union and (d.order_by or d.limit is not None):
        said = next((o.provenance for o in d.order_by if o.provenance), None) or d.aggregations[0].provenance or ""
        raise PlanError(f"'{said}' ranks one total: ranked per what?",
                        hint="name what is ranked, e.g. 'the 5 members with the most loans' or 'loans per member, "
                             "highest first'")  # fmt: skip


def _check_ungrouped_condition(d: Draft) -> None:
    """A condition on a measure with no groups keeps or drops the one total of all rows: the request meant the
    things it asks about ("Which patients have missed three or more visits?" read as one count of all missed
    visits, kept when at least 3). Refused: per what is not read."""
    if d.having and not d.group_by and not d.union:
        said = next((h.provenance for h in d.having if getattr(h, "provenance", None)), None) or "the condition"
        raise PlanError(f"'{said}' is a condition on each group's measure, but the request groups nothing: per what?",
                        hint="name what is counted or added up per, e.g. 'members with more than 3 loans' or "
                             "'loans per member, keeping those above 3'")  # fmt: skip


def _check_one_row_groups(d: Draft) -> None:
    """Measures of one table grouped by its own key ("total beds per room" summing the rooms' own beds, "number of
    trips per driver" on drivers alone counting 1 each): each group is one row, so each measure is the row's own value or 1
    — the words meant the rows of another table per row of this one. Refused."""
    if not d.aggregations or not d.group_by or d.tables or d.base is None or d.union or d.self_join is not None:
        return
    info = d.catalog.table(d.base)
    keys = {f"{info.name}.{k}".lower() for k in info.primary_key}
    if not keys or not keys <= {g.lower() for g in d.group_by}:
        return
    said = next((a.provenance for a in d.aggregations if a.provenance), None) or d.aggregations[0].alias
    raise PlanError(f"'{said}': each {info.name} row is a group of its own, so this is each row's own value",
                    hint=f"name the rows measured per {singular(info.name)} (another table's), or ask for the "
                         f"{info.name} rows without a measure")  # fmt: skip


def _check_name_part(d: Draft) -> None:
    """A value computed from "the names" ("customer names in upper case") that reads one part of a name the table
    keeps in two (first_name only): half of what was asked. Refused: which part, or both, is not said."""
    for x in d.derived:
        words = x.provenance or ""
        if not re.search(r"\bnames?\b", words, re.I) or re.search(r"first|last|given|family|sur|fore|full", words, re.I):
            continue
        read = column_refs([x])
        for table, col in read:
            pair = next((p for p in NAME_PARTS if col.lower() in p), None)
            info = d.catalog.table(table) if table and d.catalog.has_table(table) else None
            if pair and info is not None and all(info.has_column(p) for p in pair) and len(read) == 1:
                raise PlanError(f"'{words}': {info.name} keeps a name in parts ({', '.join(pair)})",
                                hint=f"say which part, e.g. '{pair[0]} in upper case', or each of them")


def _check_ungrouped_by(d: Draft) -> None:
    """A measure said after "by" ("players by match count") with no groups: "by" ranks or groups the things named
    before it, and one total of all rows answers neither. Refused: per what is not read."""
    if d.group_by or d.union or d.windows:
        return
    said = next((a.provenance for a in d.aggregations if re.match(r"by\s", a.provenance or "", re.I)), None)
    if said is not None:
        raise PlanError(f"'{said}': one total of all rows, or one per {singular(d.base or 'row')}?",
                        hint=f"say per what, e.g. '{said[3:]} per {singular(d.base or 'row')}'")  # fmt: skip


def fans_out(catalog: Catalog, j: JoinCondition) -> bool:
    """The join can match a left row with several right rows: the right table is not joined on its primary key,
    nor is it the table the left rows' foreign key points to."""
    return not _unique_on(catalog, j.right_table, [c.right for c in j.on_columns]) and not _references(catalog, j)


def _repeated_by_a_condition(d: Draft, block: QueryBlock) -> bool:
    """"doctors with an appointment fee above 300": the rows asked for are the base's (its key among the output
    columns, no other table's), and a table joined only for a condition repeats them once per matching row;
    each is wanted once (a semi join). Only with the base's key shown, so that no two wanted rows are alike."""
    if block.group_by or block.aggregations or block.windows or block.dedupe or d.base is None or d.anti_tables:
        return False
    if d.self_join is not None:  # the pairs a self join makes are its rows
        return False
    base = d.catalog.table(d.base)
    shown = {c.column.lower() for c in block.columns if c.column}  # (no list: every table's columns, no repeats)
    tables = {c.split(".", 1)[0] for c in shown}
    keyed = bool(base.primary_key) and all(f"{base.name}.{k}".lower() in shown for k in base.primary_key)
    return keyed and tables == {base.name.lower()} and any(fans_out(d.catalog, j) for j in block.join_conditions)


def _semi_join(d: Draft, joins: list[JoinCondition], columns: list[OutputColumn]) -> tuple[list[OutputColumn], list[str]]:
    """The output columns and groups when tables are joined only to require a match ("skip customers who never
    ordered": ``semi_tables``) and the join repeats the base rows, once per matching row. The rows asked for
    are the base's, each once: its columns when none are named; with the base's key and only its columns
    shown, ``distinct`` (:func:`_repeated_by_a_condition`); else one group per base row and output values (no
    measure), so that two base rows that look alike stay two rows. A measure over the repeated rows (a sum, an
    average, a count of them) would count each base row once per match: refused, as are windows and de-duplication
    (counts of the base's rows are counted once, :func:`_counted_once`)."""
    read = tables_read([*columns, *d.aggregations, *d.windows, *d.derived, *d.order_by], d.group_by)
    repeating = [j for j in joins if j.right_table in d.semi_tables and fans_out(d.catalog, j)
                 and j.right_table.lower() not in read]  # (its columns asked for: the pairs are the answer)
    if not repeating or d.base is None:
        return columns, d.group_by
    base = d.catalog.table(d.base)
    said = ", ".join(j.right_table for j in repeating)
    why = f"each {base.name} row is joined to every matching {said} row, only to require one"
    if d.windows or d.dedupe is not None or d.union:
        raise PlanError(f"{why}: the windows or de-duplication would see each {base.name} row several times",
                        hint=f"ask for the {base.name} rows with at least one {said} row first, then the rest")
    if d.aggregations or d.group_by:
        semi = {t.lower() for t in d.semi_tables}
        tables = [d.base, *(j.right_table for j in joins)]
        for a in d.aggregations:
            a = _counted_once(d, a, tables)
            read = tables_read([a], [])
            if a.function in ("min", "max", "count_distinct") or read and read <= semi:
                continue
            raise PlanError(f"'{a.provenance or a.alias}': {why}, so this {a.function} would count each {base.name} "
                            f"row once per {said} row", hint=f"count or total {said} rows themselves, or ask for the "
                            f"{base.name} rows with at least one {said} row without a total")  # fmt: skip
        return columns, d.group_by
    if not columns:
        columns = base_columns(d.catalog, d.base)
    shown = [c.column for c in columns if c.column]
    if len(shown) != len(columns) or any("." not in c for c in shown):
        raise PlanError(f"{why}: the computed output columns would be repeated",
                        hint=f"list {base.name} columns only, with {', '.join(base.primary_key) or 'its key'}")
    keys = [f"{base.name}.{k}" for k in base.primary_key]
    if not keys:
        raise PlanError(f"{why}, and {base.name} has no key to list each row once",
                        hint=f"ask for {said} columns too (each pair), or a count")
    low = {c.lower() for c in shown}
    if all(k.lower() in low for k in keys) and {c.split(".", 1)[0] for c in low} == {base.name.lower()}:
        return columns, d.group_by  # distinct (the base's key is shown)
    ordered = [o.column for o in d.order_by if "." in o.column]
    return columns, list(dict.fromkeys([*keys, *shown, *ordered]))


def _missing_through_repeats(d: Draft, joins: list[JoinCondition]) -> list[JoinCondition]:
    """The joins of anti-joined tables reached through rows that repeat the base's ("patients never
    prescribed anything": patients ← appointments ← prescriptions, each patient having many appointments)."""
    via = {j.right_table.lower(): j for j in joins}
    out = []
    for table in d.anti_tables:
        j = via.get(table.lower())
        t = j.left_table.lower() if j is not None else None
        while j is not None and t is not None and t in via and t != (d.base or "").lower():
            if fans_out(d.catalog, via[t]):
                out.append(j)
                break
            t = via[t].left_table.lower()
    return out


def _none_through_repeats(d: Draft, joins: list[JoinCondition], columns: list[OutputColumn], filters: list[Condition],
                          group_by: list[str], aggregations: list[Aggregation],
                          having: list[Condition]) -> tuple[list[Condition], list[str], list[Aggregation],
                                                            list[Condition]]:  # fmt: skip
    """Base rows with no related row of a table reached through rows that repeat them: ``filters``, groups,
    aggregates and having of a block that keeps each base row once, when it meets none.

    The left joins keep a base row once per intermediate row, and a NULL test on the far table holds on
    each intermediate row without a match ("patients never prescribed anything" kept a patient with one
    appointment without a prescription, however many others had one, and repeated the patient). Instead
    the base rows are grouped (their key and the columns shown) and kept when the far table's rows count
    0. Refused with other groups, measures, windows or de-duplication, or a condition on the rows between.
    """
    far = [j for j in _missing_through_repeats(d, joins) if j.join_type == "left"]
    if not far or d.base is None:
        return filters, group_by, aggregations, having
    base = d.catalog.table(d.base)
    names = ", ".join(j.right_table for j in far)
    if group_by or aggregations or d.windows or d.dedupe is not None or d.qualify or not base.primary_key:
        raise PlanError(f"{base.name} rows with no {names} row, reached through other rows of each {base.name}, "
                        "together with groups, measures, windows or de-duplication are not planned yet",
                        hint=f"ask for the {base.name} rows with no {names} row alone first")  # fmt: skip
    anti = {j.right_table.lower() for j in far}
    tests = [f for f in filters if isinstance(f, Filter) and f.operator == "is_null"
             and f.column.split(".", 1)[0].lower() in anti]  # fmt: skip
    between = {t.lower() for j in joins for t in (j.left_table, j.right_table)} - anti - {base.name.lower()}
    rest = [f for f in filters if not any(f is x for x in tests)]
    if len(tests) != len(far) or any(tables_read([f], []) & between for f in rest):
        raise PlanError(f"{base.name} rows with no {names} row: cannot tell which rows in between count",
                        hint=f"ask for the {base.name} rows with no {names} row alone first")  # fmt: skip
    counts = [Aggregation(function="count", column=f.column, alias=f"{f.column.split('.', 1)[0]}_matched",
                          provenance=f.provenance) for f in tests]  # fmt: skip
    none: list[Condition] = [Filter(column=a.alias, operator="=", value=0, provenance=a.provenance) for a in counts]
    shown = [c.column for c in columns if c.column]
    keys = [f"{base.name}.{k}" for k in base.primary_key]
    return rest, list(dict.fromkeys([*keys, *shown])), counts, none


def _some_but_none(d: Draft, joins: list[JoinCondition], columns: list[OutputColumn], filters: list[Condition],
                   group_by: list[str]) -> tuple[list[JoinCondition], list[Condition], list[str], list[Aggregation],
                                                 list[Condition]]:  # fmt: skip
    """Base rows with at least one row of a table, and none of a kind ("crews that have jobs but never a parked
    job", "studios with a booking, none of them with a promo code"): the table is joined (inner,
    which requires a row), the base rows are grouped (their key and the columns shown), and a group is kept when
    it counts no row of that kind (the anti join's conditions, as the count's filter). Refused when the request
    says no kind (a row both required and missing), asks for columns of that table, or adds other groups,
    measures, windows or de-duplication."""
    both = [t for t in d.anti_tables if t in d.required_tables]
    if not both or d.base is None:
        return joins, filters, group_by, d.aggregations, d.having
    base = d.catalog.table(d.base)
    table = both[0]
    kinds = [c for j in joins if j.right_table == table for c in j.conditions]
    if not kinds:
        raise PlanError(f"the request asks for rows with and rows without a matching {table} row",
                        hint=f"say which {table} rows must be missing ('but never a cancelled one')")  # fmt: skip
    shown = [c.column for c in columns if c.column]
    if (len(both) > 1 or group_by or d.aggregations or d.windows or d.dedupe is not None or d.qualify
            or not base.primary_key or any(tables_read([c], []) - {base.name.lower()} for c in columns)):  # fmt: skip
        raise PlanError(f"{base.name} rows with {table} rows, but none of a kind, together with groups, measures, "
                        f"windows, de-duplication or other tables' columns are not planned yet",
                        hint=f"ask for the {base.name} rows alone first")  # fmt: skip
    joins = [j.model_copy(update={"join_type": "inner", "conditions": []}) if j.right_table == table else j
             for j in joins]  # fmt: skip
    missing = [f for f in filters if isinstance(f, Filter) and f.operator == "is_null" and tables_read([f], []) == {table.lower()}]
    rest = [f for f in filters if not any(f is x for x in missing)]
    count = Aggregation(function="count", alias=f"{table}_matched", filter=kinds,
                        provenance=missing[0].provenance if missing else None)  # fmt: skip
    none: list[Condition] = [Filter(column=count.alias, operator="=", value=0, provenance=count.provenance)]
    keys = [f"{base.name}.{k}" for k in base.primary_key]
    return joins, rest, list(dict.fromkeys([*keys, *shown])), [count], none


def _check_counts_of_missing(d: Draft) -> None:
    """A grouping or a count over the rows of a table the request says are missing ("members with at least
    one loan and without loans in 2024" grouped the anti-joined loans): every such row is NULL, so the
    plan would count nothing real. Refused."""
    if not d.anti_tables or not (d.group_by or d.aggregations):
        return
    read = tables_read([*d.aggregations, *d.having], d.group_by)
    counted = {t.lower() for a in d.aggregations if (t := _counted_table(d, a)) is not None}
    missing = next((t for t in d.anti_tables if t.lower() in read | counted), None)
    if missing is not None:
        raise PlanError(f"the request counts or groups {missing} rows it also says are missing",
                        hint="say which rows are counted, and which must have no match")  # fmt: skip


def _self_block(d: Draft, sj: SelfJoin) -> QueryBlock:
    """The block of a self join: the base, and the base again under the join's alias. Only the one table: a
    table read twice among other tables is not planned (refused)."""
    base = d.base or ""
    if d.referenced_tables() != [base] or d.anti_tables or d.union or d.dedupe is not None:
        raise PlanError(f"the request reads {base} twice ({sj.words!r}) together with other tables or steps",
                        hint=f"ask for the {base} rows and their {sj.alias} alone first; other tables are not "
                             "joined to a table read twice yet")  # fmt: skip
    if sj.grouped and [g.lower() for g in d.group_by] != [f"{base}.{a}".lower() for a, _ in sj.keys]:
        raise PlanError(f"the request counts per {sj.alias}, but the groups are not {base} rows' {sj.alias}",
                        hint=f"say 'per {sj.keys[0][0]}'")  # fmt: skip
    having = list(d.having)
    if sj.at_least is not None:
        counts = [a for a in d.aggregations if a.function in ("count", "count_distinct")]
        if len(counts) != 1 or len(d.aggregations) != 1:
            raise PlanError(f"'at least {sj.at_least}' per {sj.alias}: which count?",
                            hint=f"say 'the {sj.alias}s with at least {sj.at_least} rows counted'")  # fmt: skip
        having.append(Filter(column=counts[0].alias, operator=">=", value=sj.at_least,
                             provenance=f"at least {sj.at_least}"))  # fmt: skip
    join = JoinCondition(left_table=base, right_table=sj.alias, join_type=sj.join_type,
                         on_columns=[{"left": f"{base}.{a}", "right": f"{sj.alias}.{b}"} for a, b in sj.keys],  # type: ignore[misc]
                         conditions=list(sj.conditions), provenance=sj.words or None)  # fmt: skip
    columns = list(d.columns)
    own = any(c.column and c.column.split(".", 1)[0].lower() == base.lower() for c in columns)
    if not own and not d.group_by and not d.aggregations:
        # "employees with their manager's name": the rows asked for are the base's, with the other side's columns
        columns = [*base_columns(d.catalog, base), *columns]
    if sj.columns and (d.group_by or d.aggregations):
        raise PlanError(f"the request asks for its {sj.alias}'s columns and for aggregates",
                        hint="ask for one of them at a time")  # fmt: skip
    columns += [c for c in sj.columns if (c.column, c.name) not in {(x.column, x.name) for x in columns}]
    return QueryBlock(
        source_tables=[SourceTable(table_name=base, provenance=d.table_words.get(base)),
                       SourceTable(table_name=base, alias=sj.alias, provenance=sj.words or None)],
        join_conditions=[join],
        filters=d.filters,
        derived_columns=d.derived,
        group_by=d.group_by,
        aggregations=d.aggregations,
        having=having,
        windows=d.windows,
        columns=columns,
        qualify=d.qualify,
    )  # fmt: skip


def _block(d: Draft) -> QueryBlock:
    if d.self_join is not None:
        return _self_block(d, d.self_join)
    _check_counts_of_missing(d)
    tables = d.referenced_tables()
    joins: list[JoinCondition] = []
    if len(tables) > 1:
        edges = [_hinted(d, e) for e in d.linker.join_path(tables)]
        joined = {tables[0]}
        pending = list(edges)
        while pending:
            for e in list(pending):
                if e.left_table in joined or e.right_table in joined:
                    left, lcol, right, rcol = e.left_table, e.left_column, e.right_table, e.right_column
                    if left not in joined:
                        left, lcol, right, rcol = right, rcol, left, lcol
                    jt: JoinType = ("inner" if right in d.required_tables  # "with at least one loan": a match is required
                                    else "left" if d.preserve_base and left == d.base or d.preserve_base and left in joined
                                    else "inner")  # fmt: skip
                    how = (f"named in the request: on {lcol}" if lcol in d.join_hints
                           else f"inferred from the keys {left}.{lcol} = {right}.{rcol}")
                    joins.append(JoinCondition(left_table=left, right_table=right, join_type=jt,
                                               on_columns=[{"left": lcol, "right": rcol}],  # type: ignore[list-item]
                                               conditions=_on_conditions(d, right), provenance=how))  # fmt: skip
                    joined.add(right)
                    pending.remove(e)
                    break
            else:
                raise PlanError(f"cannot join {', '.join(tables)}")
        tables = [tables[0]] + [j.right_table for j in joins]
    placed = [c for j in joins for c in j.conditions]
    if any(c not in placed for c in d.on_conditions):  # never dropped: a condition no join carries is an error
        raise PlanError(f"cannot tell where '{next(c for c in d.on_conditions if c not in placed).provenance}' applies",
                        hint="name the table those rows are in")  # fmt: skip
    _check_below_anti(d, joins, [c for c in d.filters if not any(c is x for x in placed)])
    columns = d.columns
    if not columns and d.base and (
        # rows without a match: the missing table's (empty) columns are not part of the answer
        d.anti_tables and not d.group_by and not d.aggregations and not d.windows
        # "invoices of clients in Leeds": the rows asked for are the base's; the client is a condition
        or _joined_only_to_filter(d, joins)
    ):
        columns = base_columns(d.catalog, d.base)
    _check_fanned_order(d, joins, columns)
    _check_negated_fanout(d, joins, columns)
    columns, group_by = _semi_join(d, joins, columns)
    filters = [c for c in d.filters if not any(c is x for j in joins for x in j.conditions)]
    joins, filters, group_by, aggregations, having = _some_but_none(d, joins, columns, filters, group_by)
    filters, group_by, aggregations, having = _none_through_repeats(d, joins, columns, filters, group_by,
                                                                    aggregations, having)
    _check_repeated_measures(d, joins, aggregations)
    return QueryBlock(
        source_tables=[SourceTable(table_name=t, provenance=d.table_words.get(t) or _why_table(d, t)) for t in tables],
        join_conditions=joins,
        filters=filters,
        derived_columns=d.derived,
        dedupe=d.dedupe,
        group_by=group_by,
        aggregations=[_counted_once(d, a, tables) for a in aggregations],
        having=having,
        windows=d.windows,
        columns=columns,
        qualify=d.qualify,
    )
