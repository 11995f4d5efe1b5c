"""Aggregations: measures, grouping, conditions on measures (having), zero rows and ratios.

"How many orders per status?", "total amount by customer, only customers above 1,000",
"warehouses whose mean stock level is over 500", "number of employees in each
department, including departments with none", "percentage of orders cancelled in each
channel (2 decimals)", "what share of all orders does each channel have".

Measures are read by :mod:`measures`; this module groups them, attaches the conditions
on them and turns them into spec aggregations (plus derived columns for ratios, which
the compiler computes after aggregation).

One recognizer (:func:`rule`): its phases share what they read of the measures (:class:`measures.Ctx`:
a measure's words, its table, its conditions, before it is an aggregation), so they run in one call,
in order, on a scratch of the draft (:class:`agg_work.Work`); what they took and changed comes back
as claims.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from sqlglot import exp

from datamorph.compiler.conditions import compile_filter
from datamorph.errors import DataMorphError, PlanError
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, View
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.linking import ColumnMatch, TableMatch
from datamorph.planner.recognizers import groups, having, ratios, zero_rows
from datamorph.planner.recognizers import measures as ms
from datamorph.planner.recognizers import phrases as ph
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.measures import Ctx, Ratio
from datamorph.planner.refs import names_read, owner_table, split_column, tables_read
from datamorph.planner.text import Token
from datamorph.spec import Aggregation, DerivedColumn, Filter, OutputColumn

_OUTPUT_VERB = re.compile(r"\b(?:return|show|list|give\s+me|output|select|display|include|columns?)\b", re.I)


def rule(view: View) -> list[Claim]:
    """The measures, groups, having conditions, zero-row wishes and ratios of the request, as claims."""
    if view.base is None:
        return []
    d = Work(view)
    _read(d)
    return d.claims()


def _read(d: Work) -> None:
    """The phases, in order, on the call's scratch (each reads what the ones before it took)."""
    ctx = Ctx()
    repeats = _find_measures(d, ctx)
    having.money_sums(d, ctx)  # "which methods collected more than 10,000": a sum, with its condition
    ratios.find(d, ctx)
    if ctx.measures or ctx.ratios:
        groups.period_forms(d, ctx)
    _identifier_names(d, ctx)
    if not ctx.measures and not ctx.ratios and not having.has_count_condition(d):
        return
    zero_rows.find(d, ctx)
    groups.find(d, ctx)
    having.find(d, ctx)
    ratios.per_row_keys(d, ctx)
    ratios.conditions(d, ctx)
    if not ctx.measures and not ctx.ratios:
        return
    ratios.rounding(d, ctx)
    _finish(d, ctx)
    _drop_superseded(d, ctx)
    _free_listed_repeats(d, repeats)
    _free_listed_formulas(d, ctx)


# -- measures and ratios ------------------------------------------------------------------------------


def _find_measures(d: Work, ctx: Ctx) -> list[ms.Measure]:
    """Every measure phrase into ``ctx``; returns the repeated mentions of a measure already found."""
    repeats = []
    for m in ms.find(d):
        if ctx.add(m) is not m:
            repeats.append(m)
    return repeats


def _free_listed_repeats(d: Work, repeats: list[ms.Measure]) -> None:
    """ "... whose average fare is over 30. Give the route name and the average fare":
    a measure named again in an output list is an item of that list; leave its words (and its rounding)
    to the columns recognizer, which finds the measure by them."""
    for m in repeats:
        sentence = re.split(r"[.;!?]\s", d.prompt[: m.start])[-1]
        if not _OUTPUT_VERB.search(sentence):
            continue
        end = m.end
        gap = len(d.prompt[end:]) - len(d.prompt[end:].lstrip())
        rnd = ratios.ROUND.match(d.prompt[end + gap :])
        if rnd:
            end += gap + rnd.end()
        d.give_back(m.start, end)


def _free_listed_formulas(d: Work, ctx: Ctx) -> None:
    """ "Return channel and cancel_rate = cancelled / all orders": a formula written as an item of an output list
    is that item; its words go to the columns recognizer (which finds the ratio by them)."""
    for r in ctx.ratios:
        sentence = re.split(r"[.;!?]\s", d.prompt[: r.start])[-1]
        if r.formula and _OUTPUT_VERB.search(sentence) and re.search(r"(?:,|\band\b|&)\s*$", sentence):
            d.reserve(r.start, r.end)


# -- conditions on measures --------------------------------------------------------------------------------


_AGG_PARTS = {"count": "count", "cnt": "count", "n": "count", "num": "count", "number": "count", "total": "sum",
              "sum": "sum", "avg": "avg", "average": "avg", "mean": "avg", "min": "min", "max": "max"}  # fmt: skip


_RENAMED_TO = re.compile(r"(?:\b(?:renamed|rename\s+\w+)\s+(?:to|as)|->|=>|\bcall\s+it|\bas)\s*$", re.I)
_CALLED = re.compile(
    r"\b(?:called|named|aliased(?:\s+as)?|labell?ed)\s+[`'\"]?(?P<n>[A-Za-z_]\w*)[`'\"]?", re.I
)


def _identifier_names(d: Work, ctx: Ctx) -> None:
    """Names in an output list ("customer_id, order_count and avg_amount") that name a measure."""
    unnamed = [m for m in ctx.measures if not m.named] + [r for r in ctx.ratios if not r.named]
    called = [m for m in _CALLED.finditer(d.prompt) if d.free(m.start(), m.end())]
    if len(unnamed) == 1 and len(called) == 1 and not ph.d_has(d, called[0].group("n")):
        item = unnamed[0]
        if isinstance(item, ms.Measure):
            item.alias, item.named = called[0].group("n"), True
        else:
            item.name, item.named = called[0].group("n"), True
        d.take(called[0].start(), called[0].end())
    for t in d.tokens.items:
        if not d.free(t.start, t.end) or t.kind != "word" or "_" not in t.text or d.catalog.has_table(t.text):
            continue
        if _RENAMED_TO.search(d.prompt[max(0, t.start - 16) : t.start]):
            continue  # "phone renamed to phone_number": a column's new name, not a measure
        if any(info.has_column(t.text) for info in d.catalog.tables.values()):
            continue
        parts = t.low.split("_")
        fns = [_AGG_PARTS[p] for p in parts if p in _AGG_PARTS]
        rest = " ".join(p for p in parts if p not in _AGG_PARTS)
        if any(p in ("rank", "ranking", "position", "place") for p in parts):
            continue  # "visit_rank", "n_rank": a rank's name (the window's), not a measure's
        if any(p in ("pct", "percent", "percentage", "share", "rate", "ratio", "fraction") for p in parts):
            unnamed_ratios = [r for r in ctx.ratios if not r.named]
            if len(unnamed_ratios) == 1:
                unnamed_ratios[0].name, unnamed_ratios[0].named = t.text, True
                _take_name(d, t)
            continue
        if len(fns) != 1:
            continue
        fn = fns[0]
        same = [m for m in ctx.measures if not m.named and (m.function == fn or fn == "count" and m.entity)]
        match = [m for m in same if not rest or set(ph.singular(w) for w in rest.split()) &
                 set(ph.singular(w) for w in m.alias.split("_"))]  # fmt: skip
        if len(match) == 1 or len(same) == 1 and not match and not _names_other_rows(d, rest, same[0]):
            chosen = match[0] if match else same[0]
            chosen.alias, chosen.named = t.text, True
            _take_name(d, t)
            continue
        if rest:
            table = ph.table_of(d, rest)
            col = None if table else ph.column_of(d, rest)
            if table and fn == "count":
                meas = ms._entity_measure(d, "count", t.start, t.end, table, [])
            elif col:
                meas = ms._column_measure(d, fn, t.start, t.end, col)
            else:
                continue
            meas.alias, meas.named = t.text, True
            ctx.add(meas)
            d.take(t.start, t.end)


def _names_other_rows(d: Work, rest: str, m: ms.Measure) -> bool:
    """The words of a name other than its function ("voyages" of "n_voyages") name another table than the rows the
    measure counts, or another column than the one it is over: the name is not that measure's."""
    if not rest:
        return False
    table = ph.table_of(d, rest)
    if table is not None:
        return m.table is not None and table != m.table
    col = ph.column_of(d, rest)
    return col is not None and m.column is not None and col.lower() != str(m.column).lower()


_LIST_BEFORE = re.compile(r"(?:,|\band|&|:|\b(?:return|show|list|give\s+me|output|select|display|columns?|"
                          r"fields?)|^|[.;!?])\s*(?:the\s+)?$", re.I)  # fmt: skip
_LIST_AFTER = re.compile(r"^\s*(?:,|\band\b|&|[.;!?]|$)", re.I)


def _take_name(d: Work, t: Token) -> None:
    """A measure's name: used here, unless it is an item of an output list ("device_type and pct_sessions"),
    which the columns recognizer reads (the name is reserved: no row condition takes it)."""
    if _LIST_BEFORE.search(d.prompt, back(t.start), t.start) and (
        _LIST_AFTER.match(d.prompt[t.end :]) or _LIST_BEFORE.search(d.prompt, back(t.start), t.start).group(0).strip(" the")  # type: ignore[union-attr]
    ):
        d.reserve(t.start, t.end)
    else:
        d.take(t.start, t.end)


def _drop_superseded(d: Work, ctx: Ctx) -> None:
    """Tables whose only mentions are words read here as something else ("order count" → orders, not a
    'transactions' synonym; "one line per" is a shape, not order lines) leave play, unless referenced."""
    explained = {
        _fk_target(d, c) for c, _ in ctx.keys if c and "." in c
    }  # "the depot_id on the vehicle record"
    spans = [
        (s, e, None if o and o[7:] in explained else o)
        for s, e, o in ctx.spans
        if not o or o[7:] in explained
    ]
    spans += [(m.start, m.end, m.table) for m in ctx.measures]
    spans += [(r.start, r.end, r.measures[0].table) for r in ctx.ratios]
    refs = tables_read([*d.aggregations, *d.filters, *d.derived], d.group_by)
    for t in list(d.in_play()):
        ms_ = [m for m in d.mentions if isinstance(m, TableMatch) and m.table == t]
        if not ms_ or t.lower() in refs:
            continue
        covered = []
        for m in ms_:
            at = ph.mention_at(d, m)
            covered.append(at is not None and any(s <= at[0] < e and owner != t for s, e, owner in spans))
        if all(covered):
            if d.base == t:
                d.base = d.tables.pop(0) if d.tables else d.base
            elif t in d.tables:
                d.tables.remove(t)


# -- into the draft -------------------------------------------------------------------------------------------


def _pk(d: Work, table: str) -> str:
    info = d.catalog.table(table)
    return f"{info.name}.{info.primary_key[0] if info.primary_key else info.columns[0].name}"


def _fk_target(d: Work, col: str) -> str | None:
    t, c = split_column(d.catalog, col)
    for fk in d.catalog.table(t).foreign_keys:
        if len(fk.columns) == 1 and fk.columns[0].lower() == c.lower():
            return d.catalog.table(fk.ref_table).name
    return None


def _group_keys(d: Work, ctx: Ctx, mtables: list[str]) -> tuple[list[str], str | None]:
    keys: list[str] = []
    anchor: str | None = None
    counts = bool(ctx.measures) and all(m.function in ("count", "count_distinct") for m in ctx.measures)
    for col, table in ctx.keys:
        if col and "." in col and ctx.preserve and anchor is None:
            home = owner_table(d.catalog, col)
            ref = _fk_target(d, col)
            if home in mtables and ref and ref not in mtables:
                col, home = _pk(d, ref), ref
            anchor = home
        if col:
            named = _named_entity(d, col, mtables) if "." in col and not ctx.preserve and counts else None
            if named is not None:  # "orders per department_name": per department (two may share a name)
                keys.append(_entity_ref(d, named, mtables))
            keys.append(col)
            continue
        assert table is not None
        label = _label(d, table)  # "departments whose ... Return the department name ..."
        if ctx.preserve and anchor is None:
            anchor = table
            keys.append(label or _pk(d, table))
            continue
        if label and _shared_label(d, label):
            keys.append(_entity_ref(d, table, mtables))  # "each member, with their name": per member, not per name
        if label:
            keys.append(label)
            continue
        keys.append(_entity_ref(d, table, mtables))
    return list(dict.fromkeys(keys)), anchor


def _entity_ref(d: Work, table: str, mtables: list[str]) -> str:
    """The column that tells rows of ``table`` apart on the measured rows' side (a reference to it, else its key)."""
    key = None
    for mt in mtables:
        if mt.lower() == table.lower():
            key = _pk(d, table)
            break
        key = _reference_to(d, mt, table)
        if key is not None:
            break
    return key or ms.entity_key(d, table)


def _shared_label(d: Work, col: str) -> bool:
    """A label column of a table with a one-column key, other than that key: nothing says two rows cannot share it."""
    t, c = split_column(d.catalog, col)
    info = d.catalog.table(t)
    return len(info.primary_key) == 1 and c.lower() != info.primary_key[0].lower()


def _named_entity(d: Work, col: str, mtables: list[str]) -> str | None:
    """ "per department_name" counting employees' rows: the column is the name of the rows of another table
    ("name", or "<that table>_name"), so the group is that table's rows. None for a column of a measured table
    ("customers per last_name") or a label that is not the row's own name ("per drug_name", "per job_title")."""
    t, c = split_column(d.catalog, col)
    if not mtables or any(t.lower() == mt.lower() for mt in mtables) or not _shared_label(d, col):
        return None
    low = c.lower()
    stem = low[: -len("_name")] if low.endswith("_name") else None
    if low == "name" or stem and ph.table_of(d, stem) == d.catalog.table(t).name:
        return d.catalog.table(t).name
    return None


def _label(d: Work, table: str) -> str | None:
    """A descriptive column of ``table`` the request names and nobody used yet (its name, title...)."""
    info = d.catalog.table(table)
    for m in d.mentions:
        if not isinstance(m, ColumnMatch) or m.table != table or m.column in info.primary_key:
            continue
        if ph.family(d, f"{table}.{m.column}") in ph.NUMERIC or m.score < 0.85:
            continue
        at = ph.mention_at(d, m)
        toks = d.tokens.starting(*at) if at is not None else []
        if toks and at is not None and d.free(*at) and re.search(r"name|title|label", m.column, re.I):
            return f"{info.name}.{m.column}"
    return None


def _reference_to(d: Work, mt: str, table: str) -> str | None:
    """The column that points from ``mt``'s side to ``table``: a foreign key of ``mt``, or of a table on the
    join path between them (transactions → accounts.customer_id → customers)."""
    fk = next((f for f in d.catalog.table(mt).foreign_keys if f.ref_table.lower() == table.lower()
               and len(f.columns) == 1), None)  # fmt: skip
    if fk is not None:
        return f"{d.catalog.table(mt).name}.{fk.columns[0]}"
    try:
        path = d.linker.join_path([mt, table])
    except DataMorphError:
        return None
    for e in path:
        if e.right_table.lower() == table.lower() and e.left_table.lower() != mt.lower():
            ref = d.catalog.table(e.left_table)
            if any(f.ref_table.lower() == table.lower() for f in ref.foreign_keys):
                return f"{ref.name}.{e.left_column}"
    return None


def _count_arg(d: Work, m: ms.Measure, anchor: str | None, used: set[str]) -> tuple[str, str | None]:
    """count(*) in general; count(key) when the counted table is outer-joined; distinct when joins fan out."""
    if not m.entity or not m.table:
        return m.function, m.column
    fanout = any(fk.ref_table.lower() == m.table.lower() for t in used if t.lower() != m.table.lower()
                 for fk in d.catalog.table(t).foreign_keys)  # fmt: skip
    if fanout:
        return "count_distinct", _pk(d, m.table)
    if anchor is not None and m.table.lower() != anchor.lower():
        return "count", _pk(d, m.table)
    return "count", None


def _cond_sql(d: Work, c: Filter) -> str:
    """One condition as SQL text, by the compiler's own reading of it (its operator, a second column, NULL tests)."""

    def names(ref: str) -> tuple[exp.Expr, Any]:
        table, column = split_column(d.catalog, ref)
        return exp.column(column, table=table), d.catalog.table(table).column(column).family

    return compile_filter(c, names).sql("duckdb")


def _agg_sql(d: Work, fn: str, arg: str | None, conds: list[Filter]) -> str:
    cond = " AND ".join(_cond_sql(d, c) for c in conds)
    inner = arg or ("1" if cond else "*")
    if cond:
        inner = f"CASE WHEN {cond} THEN {arg or 1} END"
    if fn == "count_distinct":
        return f"count(DISTINCT {inner})"
    return f"{fn}({inner})"


def _without_row_keys(d: Work, keys: list[str], mtables: list[str]) -> list[str]:
    """"Average quantity per order line for each product_id": the averaged table's own primary key names
    the rows being averaged, not a group (grouping by it makes one row per group). With another group
    key present, it is dropped; alone it stays. Only for averages: for a sum or count the reading is
    less clear, and the keys stay as the request gave them."""
    if len(keys) < 2:
        return keys
    row_keys = set()
    for t in mtables:
        pk = d.catalog.table(t).primary_key
        if len(pk) == 1:
            row_keys.add(f"{d.catalog.table(t).name}.{pk[0]}".lower())
    kept = [k for k in keys if k.lower() not in row_keys]
    if kept and len(kept) < len(keys):
        d.notes.append("grouped by " + ", ".join(kept) + "; 'per' a single row of the measured table is its unit")
        return kept
    return keys


def _finish(d: Work, ctx: Ctx) -> None:
    """The measures, groups, conditions and ratios read into ``ctx``, into the draft's fields (on the scratch)."""
    all_measures = [*ctx.measures, *(m for r in ctx.ratios for m in r.measures)]
    mtables = list(dict.fromkeys(m.table for m in all_measures if m.table))
    if _zero_passes(d, ctx):  # "users with fewer than 2 sessions": those with none have fewer than 2
        ctx.preserve = True
    keys, anchor = _group_keys(d, ctx, mtables)
    if all_measures and all(m.function == "avg" for m in all_measures):
        keys = _without_row_keys(d, keys, mtables)
    if ctx.preserve:
        anchor = _keep_anchor_rows(d, anchor, mtables)
    used = set(d.in_play()) | set(mtables) | {owner_table(d.catalog, k) for k in keys if "." in k}
    for t in used:
        d.use_table(t)
    if not ctx.ratios and not d.preserve_base and ctx.measures:
        _lift_shared_conditions(d, ctx)
    for m in ctx.measures:  # a derived column aggregated directly: its name is free again for the measure
        if m.column and "." not in m.column:
            m.column, m.expression = _fold_derived(d, m.column)
    names = d.defined_names()
    aggs = [_aggregation(d, m, anchor, used, names) for m in ctx.measures]
    d.group_by.extend(k for k in keys if k not in d.group_by)
    d.aggregations.extend(aggs)
    _havings(d, ctx)
    for r in ctx.ratios:
        d.derived.append(_ratio_column(d, ctx, r, anchor, used, names))
        d.having.extend(Filter(column=d.derived[-1].name, operator=op, value=value, provenance=words)  # type: ignore[arg-type]
                        for x, op, value, words in ctx.ratio_having if x is r)  # fmt: skip
    if not keys and not ctx.measures and ctx.ratios and not d.columns:  # one row: the ratios alone
        d.columns = [
            OutputColumn(column=x.name, provenance=x.provenance) for x in d.derived[-len(ctx.ratios) :]
        ]


def _zero_passes(d: Work, ctx: Ctx) -> bool:
    """Every condition on the measures is on a count of rows, and a count of 0 meets them all ("fewer than 2",
    "at most 3", "no more than 1"): the groups with no rows are in the answer, so they are kept (an outer join).
    Not when the counted rows are of a kind ("fewer than 2 cancelled orders": a row filter would drop them again)."""
    if not ctx.having or ctx.ratio_having:
        return False
    for meas, op, value, words in ctx.having:
        if meas.function != "count" or not meas.entity or meas.conds or not meas.table:
            return False
        said = [w for w in re.findall(r"[A-Za-z][\w-]*", words) if w.lower() not in STOPWORDS]
        if any(d.linker.values(w, [meas.table]) for w in said) and _zero_meets(op, value):
            raise PlanError(f"'{words.strip()}': the groups with none of those rows meet this too, and a row filter "
                            "would drop them", hint=f"ask for the count of those {meas.table} per group including "
                            "groups with none first, then keep the counts you want")  # fmt: skip
        if not _zero_meets(op, value):
            return False
    return True


def _zero_meets(op: str, value: object) -> bool:
    """A count of 0 meets the condition ``op value`` ("< 2", "<= 3", "= 0", "between 0 and 2")."""
    low = value[0] if isinstance(value, list) and value else value
    if not isinstance(low, (int, float)) or isinstance(low, bool):
        return False
    high = value[-1] if isinstance(value, list) else low
    return {"<": 0 < low, "<=": 0 <= low, "=": low == 0, "!=": low != 0,
            "between": isinstance(high, (int, float)) and low <= 0 <= high}.get(op, False)  # fmt: skip


def _keep_anchor_rows(d: Work, anchor: str | None, mtables: list[str]) -> str | None:
    """Zero rows wished: the grouped table becomes the base, outer-joined to the measured rows (None: no need)."""
    if anchor is None or all(t == anchor for t in mtables):
        return None
    d.preserve_base = True
    if d.base != anchor:
        old = d.base
        d.base = anchor
        d.tables = [t for t in d.tables if t != anchor] + ([old] if old and old not in d.tables else [])
    return anchor


def _lift_shared_conditions(d: Work, ctx: Ctx) -> None:
    """Every measure counts the same rows ("total and average of posted transactions"): a row filter."""
    first = [c.model_dump_json() for c in ctx.measures[0].conds]
    if first and all([c.model_dump_json() for c in m.conds] == first for m in ctx.measures):
        d.filters.extend(ctx.measures[0].conds)
        for m in ctx.measures:
            m.conds = []


def _aggregation(d: Work, m: ms.Measure, anchor: str | None, used: set[str], names: set[str]) -> Aggregation:
    """The spec aggregation of a measure, under an alias no other column has (``names`` grows)."""
    fn, col = _count_arg(d, m, anchor, used)
    alias = m.alias
    n = 2
    while alias.lower() in names:
        alias, n = f"{m.alias}_{n}", n + 1
    names.add(alias.lower())
    m.alias = alias
    return Aggregation(function=fn, column=col, expression=m.expression, alias=alias, filter=list(m.conds),  # type: ignore[arg-type]
                       round=m.round, provenance=d.prompt[m.start : m.end].strip())  # fmt: skip


def _havings(d: Work, ctx: Ctx) -> None:
    """The conditions on measures; a doubt raised on their words now names the measure."""
    for meas, op, value, words in ctx.having:
        d.having.append(Filter(column=meas.alias, operator=op, value=value, provenance=words))  # type: ignore[arg-type]
        d.doubts = [replace(x, subject=meas.alias) if x.kind == "condition" and not x.subject and x.words == words
                    else x for x in d.doubts]  # fmt: skip


def _ratio_column(d: Work, ctx: Ctx, r: Ratio, anchor: str | None, used: set[str], names: set[str]) -> DerivedColumn:
    """A ratio as a column computed after aggregation: its measures by alias, or inline when not listed."""
    refs = []
    for m in r.measures:
        same = next((x for x in ctx.measures if x.key() == m.key()), None)
        if same is not None:
            refs.append(same.alias)
        else:
            fn, col = _count_arg(d, m, anchor, used)
            refs.append(_agg_sql(d, fn, col, m.conds))
    scale = "100.0" if r.scale == 100.0 else "1.0"
    if r.total_share:
        expr = f"{scale} * {refs[0]} / nullif(sum({refs[0]}) OVER (), 0)"
    else:
        expr = f"{scale} * {refs[0]} / nullif({refs[1]}, 0)"
    if r.round is not None:
        expr = f"round({expr}, {r.round})"
    name = r.name if r.name.lower() not in names else f"{r.name}_ratio"
    names.add(name.lower())
    return DerivedColumn(name=name, expression=expr, provenance=d.prompt[r.start : r.end].strip())


def _fold_derived(d: Work, name: str) -> tuple[str | None, str | None]:
    """Aggregate a derived column's expression directly, dropping the column if nothing else uses it."""
    dc = next((x for x in d.derived if x.name.lower() == name.lower()), None)
    if dc is None:
        return name, None
    others = [x for x in d.derived if x is not dc and dc.name.lower() in names_read([x])]
    if others:
        return name, None
    d.derived.remove(dc)
    return None, dc.expression
