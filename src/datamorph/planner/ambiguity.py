"""Phrases with more than one reading: run each reading, and ask when they give different tables.

A recognizer that meets a phrase with two reasonable readings does not choose silently: it records a
:class:`Doubt` (the phrase, and what the other reading changes) next to the reading it plans, which is
the default. Five kinds of doubt are known:

- ``condition``: a comparison on a measure's column can hold on each row or on the aggregate
  ("average salary above 50,000 per department": rows whose salary is above 50,000, or departments
  whose average is); the default is the aggregate (``having``);
- ``join``: a joined table adds columns to the rows of the base table, and the request does not say
  what happens to base rows without a match; the default drops them (inner join), the other reading
  keeps them with empty columns (left join);
- ``date_column``: a period on a table with several dates of the same type, and the request does not
  name which; the default is the planner's pick;
- ``column_table``: a column word that names a column of two tables in play equally well; the default
  is the linker's first match.
- ``state``: a past participle that is a value of one column and names an event date of the same table
  ("orders that were shipped": status 'shipped', or a shipped_date that is filled); the default is the
  value, the other reading tests the date for NULL.
- ``group_join``: an aggregate over two tables grouped by the measured table's join key, the other
  table giving no column ("number of loans per member"); the default keeps the inner join (rows whose
  key matches no member are dropped), the other reading measures the table alone (NULL keys aside).

:func:`check` builds each reading as a spec, runs each on the warehouse (bounded by a time limit; one
query each: the row count and an order-independent hash of the rows, computed by the engine) and:

- when every reading gives the same rows, keeps the default and notes the check in the spec's
  ``transformations``;
- when they differ (or cannot be compared in time), raises :class:`~datamorph.errors.PlanAmbiguous`
  listing each reading with what it does, its row count and how to phrase the request to pick it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

from datamorph.errors import DataMorphError, ExecutionError, PlanAmbiguous, PlanError
from datamorph.planner.restate import restate
from datamorph.spec import AllOf, AnyOf, Condition, ExpressionCondition, Filter, JoinCondition, Not

if TYPE_CHECKING:
    from datamorph.catalog import Catalog
    from datamorph.engines.base import Engine
    from datamorph.spec import ETLSpec

DoubtKind = Literal["condition", "share_condition", "join", "date_column", "column_table", "group_join", "state",
                    "tie_direction"]

CHECK_TIMEOUT_S = 20.0
"""Longest time one reading may run while readings are compared; past it the request is ambiguous."""


@dataclass(frozen=True)
class Doubt:
    """A phrase of the request the plan read one way though another reading is reasonable.

    ``subject`` says what the other reading changes: the having alias (``condition``), the joined table
    (``join``) or the qualified column (``date_column``, ``column_table``), whose other candidates are
    ``others``. A doubt whose reading the words themselves decide (``settled``) is applied by
    :func:`settle` and never asked about.
    """

    kind: DoubtKind
    words: str
    subject: str
    others: tuple[str, ...] = ()
    settled: int | None = None  # the reading (index) the request's grammar picks: not a doubt to ask about


@dataclass(frozen=True)
class Reading:
    description: str  # what this reading does, in plain English
    how: str  # how to phrase the request to get it
    spec: ETLSpec


@dataclass(frozen=True)
class Choice:
    doubt: Doubt
    readings: tuple[Reading, ...]  # the default first


# -- the readings of a doubt -----------------------------------------------------------------------


def choices(spec: ETLSpec, doubts: list[Doubt]) -> list[Choice]:
    """The readings of each doubt, as specs (the default, ``spec`` itself, first); doubts that have no
    other reading in this spec (the condition moved, the join gone) are dropped."""
    if spec.union is not None:
        return []  # readings are built on one query block
    out: list[Choice] = []
    seen: set[tuple[str, str]] = set()
    for doubt in doubts:
        if (doubt.kind, doubt.subject) in seen:
            continue
        seen.add((doubt.kind, doubt.subject))
        build = {"condition": _condition, "share_condition": _share, "join": _join, "date_column": _column,
                 "column_table": _column, "group_join": _unjoin, "state": _state,
                 "tie_direction": _tie_direction}[doubt.kind]  # fmt: skip
        readings = build(spec, doubt)
        if len(readings) > 1:
            out.append(Choice(doubt, tuple(readings)))
    return out


def settle(spec: ETLSpec, doubts: list[Doubt]) -> tuple[ETLSpec, list[Doubt]]:
    """``spec`` with the reading each settled doubt's words pick, and the doubts left to check."""
    for doubt in (x for x in doubts if x.settled is not None):
        found = choices(spec, [doubt])
        if doubt.kind == "share_condition" and doubt.settled and not found:
            raise PlanError(f"'{doubt.words}': cannot count those rows inside the share",
                            hint="write the condition in simpler words, or ask for the rows first")  # fmt: skip
        if found and doubt.settled is not None and doubt.settled < len(found[0].readings):
            r = found[0].readings[doubt.settled]
            spec = r.spec.model_copy(update={"transformations": [*r.spec.transformations,
                                                                 f"'{doubt.words}' read as {r.description}"]})  # fmt: skip
    return spec, [x for x in doubts if x.settled is None]


def _words(v: Any) -> str:
    if isinstance(v, list):
        return " and ".join(_words(x) for x in v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return repr(v) if isinstance(v, str) else str(v)
    return f"{v:,}" if isinstance(v, int) or float(v).is_integer() and abs(v) >= 1000 else str(v)


_OP_WORDS = {">": "over", ">=": "at least", "<": "under", "<=": "at most", "=": "equal to", "!=": "other than",
             "between": "between", "not_between": "not between"}  # fmt: skip


def describe_filter(f: Filter) -> str:
    """``employees.salary > 50,000``: a condition in a line."""
    if f.value is None and f.value_column is None:
        return f"{f.column} {f.operator.replace('_', ' ')}"
    return f"{f.column} {f.operator.replace('_', ' ')} {f.value_column or _words(f.value)}"


_FN_WORDS = {"avg": "average", "sum": "total", "min": "minimum", "max": "maximum", "count": "count",
             "count_distinct": "distinct count"}  # fmt: skip


def _bare(column: str) -> str:
    return column.rsplit(".", 1)[-1].replace("_", " ")


def _condition(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the condition on the aggregate (having); other: the same comparison on each row (where)."""
    agg = next((a for a in spec.aggregations if a.alias == doubt.subject), None)
    cond = next((h for h in spec.having if isinstance(h, Filter) and h.column == doubt.subject), None)
    if agg is None or cond is None or agg.column is None or agg.filter or agg.function not in _FN_WORDS:
        return []
    fn = _FN_WORDS[agg.function]
    groups = ", ".join(_bare(g) for g in spec.group_by) or "the whole table"
    row = Filter(column=agg.column, operator=cond.operator, value=cond.value, provenance=cond.provenance)
    op = _OP_WORDS.get(cond.operator, cond.operator)
    col, value = _bare(agg.column), _words(cond.value)
    table = agg.column.split(".")[0] if "." in agg.column else "rows"
    group = _bare(spec.group_by[0]).removesuffix(" id") if len(spec.group_by) == 1 else "group"
    per = f" per {group}" if len(spec.group_by) == 1 else ""
    other = spec.model_copy(update={"having": [h for h in spec.having if h is not cond],
                                    "filters": [*spec.filters, row]}, deep=True)  # fmt: skip
    return [
        Reading(f"condition on the {fn} per {groups}: {agg.function}({agg.column}) {cond.operator} {value}",
                f"'each {group} whose {fn} {col} is {op} {value}'", spec),
        Reading(f"condition on each row: {describe_filter(row)}, then the {fn}",
                f"'{fn} {col} of {table} with {col} {op} {value}{per}'", other),
    ]  # fmt: skip


def _ref_sql(ref: str) -> exp.Column:
    table, _, name = ref.rpartition(".")
    return exp.column(name, table or None, quoted=True)


def _case(f: Filter | ExpressionCondition) -> Any:
    """The condition as SQL, for the forms a share's condition takes (a comparison with a value or with another
    column, a NULL test, a condition written as an expression); None otherwise."""
    if isinstance(f, ExpressionCondition):
        return exp.maybe_parse(f.expression)
    col = _ref_sql(f.column)
    if f.operator in ("is_null", "is_not_null"):
        null = exp.Is(this=col, expression=exp.Null())
        return null if f.operator == "is_null" else exp.Not(this=null)
    ops = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
    if f.operator not in ops or isinstance(f.value, (list, dict)):
        return None
    other = _ref_sql(f.value_column) if f.value_column is not None else exp.convert(f.value)
    out: Any = ops[f.operator](this=col, expression=other)
    return out


def _share(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the rows narrowed by the condition, each group's share of their total; other: the condition
    kept inside the share (of each group's rows, the fraction that meets it)."""
    x = next((c for c in spec.derived_columns if c.name == doubt.subject), None)
    cond = next((f for f in spec.filters if isinstance(f, (Filter, ExpressionCondition)) and f.provenance == doubt.words),
                None)  # fmt: skip
    when = _case(cond) if cond is not None else None
    if x is None or cond is None or when is None:
        return []
    tree: exp.Expression = exp.maybe_parse(x.expression)
    wins = [w for w in tree.find_all(exp.Window) if isinstance(w.this, exp.Sum) and not w.args.get("partition_by")]
    if len(wins) != 1:
        return []
    total = wins[0].this.this  # sum(<the group's measure>) OVER ()
    if not isinstance(total, (exp.Count, exp.Sum, exp.Avg)) and not isinstance(total, exp.Column):
        return []
    if isinstance(total, exp.Column):
        return []  # a named aggregation: left as it is
    arg = total.this
    inner = exp.Case(ifs=[exp.If(this=when, true=exp.Literal.number(1) if isinstance(arg, exp.Star) else arg.copy())])
    part = total.__class__(this=inner)
    numerators = [n for n in tree.find_all(total.__class__) if n == total and not n.find_ancestor(exp.Window)]
    if len(numerators) != 1:
        return []
    numerators[0].replace(part)
    wins[0].replace(total.copy())
    other_x = x.model_copy(update={"expression": tree.sql()})
    other = spec.model_copy(update={
        "filters": [f for f in spec.filters if f is not cond],
        "derived_columns": [other_x if c is x else c for c in spec.derived_columns]}, deep=True)  # fmt: skip
    what = describe_filter(cond) if isinstance(cond, Filter) else cond.expression
    return [
        Reading(f"only rows with {what}; {x.name} = each group's share of their total",
                f"'... share of the total, only rows with {doubt.words}'", spec),
        Reading(f"all rows; {x.name} = the fraction of each group's rows with {what}",
                f"'the fraction of each group's rows that have {doubt.words}'", other),
    ]  # fmt: skip


def _join(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the inner join (base rows without a match dropped); other: left joins from there on."""
    joins = spec.join_conditions
    at = next((i for i, j in enumerate(joins) if j.right_table == doubt.subject and j.join_type == "inner"), None)
    if at is None or not spec.source_tables:
        return []
    base = spec.source_tables[0].table_name
    reached = {doubt.subject}
    kept: list[JoinCondition] = []
    for i, j in enumerate(joins):
        if i >= at and (j.right_table in reached or j.left_table in reached):
            reached.add(j.right_table)
            j = j.model_copy(update={"join_type": "left"})
        kept.append(j)
    other = spec.model_copy(update={"join_conditions": kept}, deep=True)
    from datamorph.planner.recognizers.phrases import singular  # the recognizers import this module

    table, one = doubt.subject, singular(doubt.subject)
    return [
        Reading(f"only {base} rows with a matching {table} row (inner join)",
                f"'leave out {base} without a matching {one}'", spec),
        Reading(f"every {base} row, with empty {table} columns where none matches (left join)",
                f"'keep {base} without a matching {one}'", other),
    ]  # fmt: skip


def _unjoin(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the aggregate over rows with a match in the joined table (inner join); other: the table
    that is measured alone, without the join, so rows whose key matches no row there are counted too.

    For a two-table aggregate whose joined table gives no column ("number of loans per member" grouped
    by ``loans.member_id``, joined to ``members`` only through the key)."""
    if len(spec.source_tables) != 2 or len(spec.join_conditions) != 1 or spec.join_conditions[0].join_type != "inner":
        return []
    kept = [s for s in spec.source_tables if s.table_name != doubt.subject]
    if len(kept) != 1:
        return []
    schemas = spec.source_schemas
    if schemas is not None:
        schemas = {t: c for t, c in schemas.items() if t != doubt.subject}
    join = spec.join_conditions[0]
    measured_keys = [c.left if join.right_table == doubt.subject else c.right for c in join.on_columns]
    # a row with no key (NULL) belongs to no group of the joined table in either reading
    known = [Filter(column=f"{kept[0].table_name}.{k}", operator="is_not_null", provenance="a key to group by")
             for k in measured_keys]  # fmt: skip
    other = spec.model_copy(update={"source_tables": kept, "join_conditions": [], "source_schemas": schemas,
                                    "filters": [*spec.filters, *known]}, deep=True)  # fmt: skip
    from datamorph.planner.recognizers.phrases import singular  # the recognizers import this module

    measured, one = kept[0].table_name, singular(doubt.subject)
    keys = [c.right if spec.join_conditions[0].right_table == doubt.subject else c.left
            for c in spec.join_conditions[0].on_columns]  # fmt: skip
    key = keys[0] if len(keys) == 1 else f"{one} key"
    return [
        Reading(f"only {measured} rows with a matching {doubt.subject} row (inner join)",
                f"'only {measured} whose {one} exists'", spec),
        Reading(f"every {measured} row, whether or not its key matches a {doubt.subject} row (no join)",
                f"'per {key}'", other),
    ]  # fmt: skip


def _replace(cond: Condition, old: str, new: str) -> Condition:
    if isinstance(cond, Filter):
        return cond.model_copy(update={"column": new}) if cond.column == old else cond
    if isinstance(cond, AnyOf):
        return cond.model_copy(update={"any_of": [_replace(c, old, new) for c in cond.any_of]})
    if isinstance(cond, AllOf):
        return cond.model_copy(update={"all_of": [_replace(c, old, new) for c in cond.all_of]})
    if isinstance(cond, Not):
        return cond.model_copy(update={"not_": _replace(cond.not_, old, new)})
    return cond


def _column(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the filters on the column the plan chose; others: the same filters on each other candidate."""
    if not any(_mentions(f, doubt.subject) for f in spec.filters):
        return []
    from datamorph.planner.recognizers.phrases import singular  # the recognizers import this module

    def how(column: str) -> str:
        if doubt.kind == "date_column":
            return f"name the date: '{_bare(column)}'"
        return f"name the table: '{singular(column.split('.')[0])} {_bare(column)}'"

    tables = {t.table_name for t in spec.source_tables}
    out = [Reading(f"'{doubt.words}' on {doubt.subject}", how(doubt.subject), spec)]
    for col in (c for c in doubt.others if c.split(".")[0] in tables):
        other = spec.model_copy(update={"filters": [_replace(f, doubt.subject, col) for f in spec.filters]}, deep=True)
        out.append(Reading(f"'{doubt.words}' on {col}", how(col), other))
    return out


def _state(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the value filter on ``subject``; other: the event date of ``others`` filled (empty when negated)."""
    found = [f for f in spec.filters if isinstance(f, Filter) and f.column == doubt.subject
             and f.operator in ("=", "!=") and not isinstance(f.value, list)]  # fmt: skip
    if len(found) != 1 or not doubt.others:
        return []
    value, date = found[0], doubt.others[0]
    test = Filter(column=date, operator="is_null" if value.operator == "!=" else "is_not_null",
                  provenance=value.provenance)  # fmt: skip
    other = spec.model_copy(update={"filters": [test if f is value else f for f in spec.filters]}, deep=True)
    said = f"{_bare(doubt.subject)} {'is not' if value.operator == '!=' else 'is'} {_words(value.value)}"
    filled = f"{_bare(date)} {'is empty' if value.operator == '!=' else 'is filled'}"
    return [Reading(f"'{doubt.words}' as {said}", f"say '{said}'", spec),
            Reading(f"'{doubt.words}' as {filled}", f"say '{'no' if value.operator == '!=' else 'with a'} "
                    f"{_bare(date).replace('_', ' ')}'", other)]  # fmt: skip


def _tie_direction(spec: ETLSpec, doubt: Doubt) -> list[Reading]:
    """Default: the tie-breaking column lowest first; other: highest first (the request named no direction)."""
    if spec.dedupe is None or not any(o.column == doubt.subject for o in spec.dedupe.order_by[1:]):
        return []
    flipped = [o.model_copy(update={"direction": "desc"}) if o.column == doubt.subject else o
               for o in spec.dedupe.order_by]  # fmt: skip
    other = spec.model_copy(update={"dedupe": spec.dedupe.model_copy(update={"order_by": flipped})}, deep=True)
    col = _bare(doubt.subject)
    return [Reading(f"ties broken by the lowest {col}", f"'ties: lowest {col}'", spec),
            Reading(f"ties broken by the highest {col}", f"'ties: highest {col}'", other)]


def _mentions(cond: Condition, column: str) -> bool:
    if isinstance(cond, Filter):
        return cond.column == column
    if isinstance(cond, AnyOf):
        return any(_mentions(c, column) for c in cond.any_of)
    if isinstance(cond, AllOf):
        return any(_mentions(c, column) for c in cond.all_of)
    if isinstance(cond, Not):
        return _mentions(cond.not_, column)
    return False


# -- running the readings ------------------------------------------------------------------------------


def fingerprint_sql(select_sql: str, dialect: str) -> str:
    """One row: the row count and an order-independent hash of the rows of ``select_sql``."""
    rows = exp.to_identifier("_dm_reading")
    sub = _query(select_sql, dialect).subquery(rows)
    h: Any
    if dialect == "duckdb":
        h = exp.func("sum", exp.func("hash", exp.column(rows)))
    elif dialect == "postgres":
        hexed = exp.Substring(this=exp.func("md5", exp.cast(exp.column(rows), "text")), start=exp.Literal.number(1),
                              length=exp.Literal.number(15))  # fmt: skip
        bits = exp.cast(exp.cast(exp.DPipe(this=exp.Literal.string("x"), expression=hexed), "bit(60)"), "bigint")
        h = exp.func("sum", bits)
    elif dialect == "spark":
        h = exp.func("sum", exp.func("xxhash64", exp.Star()))
    else:
        raise ValueError(dialect)
    query: exp.Select = exp.select(exp.func("count", exp.Star()).as_("n"), h.as_("h")).from_(sub)
    return query.sql(dialect=dialect)


def _query(sql: str, dialect: str) -> exp.Query:
    q: exp.Expression = exp.maybe_parse(sql, dialect=dialect)
    assert isinstance(q, exp.Query)
    return q


def _run(engine: Engine, sql: str, timeout_s: float) -> tuple[int, str] | None:
    """(rows, hash) of a reading's result; None when it cannot be computed in time."""
    try:
        res = engine.fetch(fingerprint_sql(sql, engine.dialect), max_rows=1, timeout_s=timeout_s)
    except ExecutionError:
        return None
    n, h = res.rows[0]
    return int(n), str(h)


def _run_except(engine: Engine, sqls: list[str], timeout_s: float) -> list[tuple[int, str] | None]:
    """Engines without a row hash: the row count of each, and whether each differs from the first."""
    out: list[tuple[int, str] | None] = []
    first = _query(sqls[0], engine.dialect)
    for sql in sqls:
        q = _query(sql, engine.dialect)
        a = exp.select("*").from_(first.subquery("_dm_a"))
        b = exp.select("*").from_(q.subquery("_dm_b"))
        diff = exp.union(exp.except_(a, b, distinct=False), exp.except_(b.copy(), a.copy(), distinct=False),
                         distinct=False)  # fmt: skip
        count = exp.select(exp.func("count", exp.Star())).from_(q.subquery("_dm_n"))
        differ = exp.select(exp.func("count", exp.Star())).from_(diff.subquery("_dm_d"))
        try:
            n = engine.fetch(count.sql(dialect=engine.dialect), max_rows=1, timeout_s=timeout_s).rows[0][0]
            d = engine.fetch(differ.sql(dialect=engine.dialect), max_rows=1, timeout_s=timeout_s).rows[0][0]
        except ExecutionError:
            out.append(None)
            continue
        out.append((int(n), "same" if int(d) == 0 else f"differs from the first by {d} rows"))
    return out


def _results(engine: Engine, catalog: Catalog, choice: Choice, timeout_s: float) -> list[tuple[int, str] | None]:
    from datamorph.compiler import compile_spec

    sqls = [compile_spec(r.spec, catalog).sql(engine.dialect) for r in choice.readings]
    if engine.dialect in ("duckdb", "postgres"):
        return [_run(engine, sql, timeout_s) for sql in sqls]
    return _run_except(engine, sqls, timeout_s)


def _rows(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def check(spec: ETLSpec, doubts: list[Doubt], engine: Engine, catalog: Catalog,
          *, timeout_s: float = CHECK_TIMEOUT_S) -> ETLSpec:  # fmt: skip
    """``spec`` with a note per doubt whose readings agree; :class:`PlanAmbiguous` when some disagree.

    Raises:
        PlanAmbiguous: a phrase's readings give different tables (or could not be compared in
            ``timeout_s`` seconds); the error lists them, with row counts and how to ask for each.
    """
    notes: list[str] = []
    for choice in choices(spec, doubts):
        valid = []
        for r in choice.readings:
            try:
                from datamorph.compiler import compile_spec

                compile_spec(r.spec, catalog)
                valid.append(r)
            except DataMorphError:
                continue  # a reading the warehouse cannot run is no reading
        if len(valid) < 2 or valid[0] is not choice.readings[0]:
            continue
        choice = Choice(choice.doubt, tuple(valid))
        results = _results(engine, catalog, choice, timeout_s)
        if all(r is not None for r in results) and len({r for r in results}) == 1:
            first = results[0]
            assert first is not None
            others = "; ".join(r.description for r in choice.readings[1:])
            notes.append(f"'{choice.doubt.words}' read as {choice.readings[0].description}; also checked: {others} "
                         f"(the same {_rows(first[0])})")  # fmt: skip
            continue
        listed: list[dict[str, Any]] = []
        for i, (r, res) in enumerate(zip(choice.readings, results, strict=True), start=1):
            count = _rows(res[0]) if res is not None else "not compared in time"
            said = restate(r.spec, catalog, rows=res[0] if res is not None else None)
            listed.append({"reading": i, "description": r.description, "restatement": said,
                           "rows": res[0] if res else None, "how": r.how})  # fmt: skip
            listed[-1]["text"] = f"({i}) {r.description}: {count}"
        raise PlanAmbiguous(
            f"'{choice.doubt.words}' can be read {len(listed)} ways that give different tables: "
            + "; ".join(x.pop("text") for x in listed),
            hint="say which: " + "; ".join(f"for ({x['reading']}) {x['how']}" for x in listed),
            readings=listed,
            words=choice.doubt.words,
        )
    if not notes:
        return spec
    return spec.model_copy(update={"transformations": [*spec.transformations, *notes]})


__all__ = ["CHECK_TIMEOUT_S", "Choice", "Doubt", "Reading", "check", "choices", "describe_filter", "fingerprint_sql",
           "settle"]
