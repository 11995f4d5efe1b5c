"""Where a planned request left a choice open: the doubts :mod:`.ambiguity` checks on the warehouse.

Recognizers record the doubts they meet while reading (``Draft.doubts``: a condition on a measure that
could hold on each row, a column word two tables share, a tie-break column said with no direction). More come from the assembled spec:

- ``join``: a row-level query (no aggregation) whose inner join to a table the request did not
  qualify: it neither said to drop or keep base rows without a match ("skip products without a
  category", "keep ..."), nor named the join ("join A and B on k"), nor put a condition on the
  joined rows (which needs them to exist);
- ``date_column``: a period on a date column the request did not name, on a table with other dates
  of the same type, that is not the table's own date (``orders.order_date`` is the orders' date);
- ``group_join``: an aggregate grouped by the join key of the measured table, joined to a table that
  gives no column and that the request did not qualify ("only loans whose member exists").
"""

from __future__ import annotations

import calendar
import re

from datamorph.catalog import TEMPORAL_FAMILIES
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import STOPWORDS, singular
from datamorph.planner.linking import TableMatch
from datamorph.planner.meaning import REQUEST_VERB
from datamorph.planner.recognizers.ages import is_birth_date
from datamorph.planner.recognizers.dates import _stem
from datamorph.planner.refs import owner_table, split_column
from datamorph.spec import ETLSpec, ExpressionCondition, Filter, leaf_filters

_GENERIC = frozenset({"date", "time", "at", "on", "ts", "dt", "timestamp", "datetime", "day"})


def find_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    """The doubts recognizers recorded, plus the join and date-column doubts of ``spec``."""
    if spec.union is not None:
        return []
    return [*d.doubts, *_join_doubts(d, spec), *_date_doubts(d, spec), *_share_doubts(d, spec),
            *_group_join_doubts(d, spec), *_state_doubts(d, spec)]


def _state_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    """The 'state' doubt of a value said by a past participle alone that also names an event date of its table,
    where the clause that read it did not record one ("how many orders were shipped", "count of unpaid
    invoices": read inside a measure): the value, or the date filled (empty when negated)."""
    from datamorph.planner.recognizers.filters import event_state

    have = {(x.kind, x.subject) for x in d.doubts}
    out: list[Doubt] = []
    for f in spec.filters:
        if not isinstance(f, Filter) or f.operator not in ("=", "!=") or not isinstance(f.value, str):
            continue
        word = re.sub(r"^(?:non|un|in)-?", "", (f.provenance or "").strip().lower()) if f.operator == "!=" else (
            (f.provenance or "").strip().lower())  # fmt: skip
        if ("state", f.column) in have or word != f.value.lower() or " " in word:
            continue
        doubt = event_state(d, word, f.column)
        if doubt is not None:
            have.add(("state", f.column))
            out.append(doubt)
    return out


_ONLY_BEFORE = re.compile(r"\b(?:only|just|among|excluding|except|for|considering|counting)\b[^.;!?]{0,24}$", re.I)


# "what fraction of machines in each plant are idle", "share of tickets per queue that were reopened": the
# condition is the predicate of the share's rows, said after their group: the fraction within each group
_GROUP_SAID = r"(?:(?:in|within|for|across|of)\s+(?:each|every)|per|by)\s+[a-z_]+(?:\s+[a-z_]+){0,2}"
_PREDICATE_AFTER_GROUP = re.compile(
    rf"\s*,?\s*(?:{_GROUP_SAID}\s*,?\s*)?"
    r"(?:that|who|which)?\s*(?:has|have|had|is|are|was|were|got|get|gets)(?:\s+(?:an?|the|any|some|their|its|been))*\s*"
    # "what share of sessions in each device type lasted ...": a verb in the past after the group
    rf"|\s*,?\s*{_GROUP_SAID}\s*,?\s*(?:that\s+|which\s+|who\s+)?[a-z]{{3,}}ed")


def _share_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    """"What share of drivers in each depot have a forklift licence?": the condition said after a share
    of the total may narrow the rows (the default) or say what the share counts (within each group)."""
    if not spec.filters:
        return []
    low = d.prompt.lower()
    out = []
    for x in spec.derived_columns:
        if not re.search(r"\bover\s*\(\s*\)", x.expression, re.I) or not x.provenance:
            continue
        at = low.find(x.provenance.lower())
        for f in spec.filters:
            if not isinstance(f, (Filter, ExpressionCondition)) or not f.provenance:
                continue
            pos = low.find(f.provenance.lower(), at + 1)
            if at < 0 or pos < 0 or re.search(r"[.;!?]", low[at:pos]) or _ONLY_BEFORE.search(low[:pos]):
                continue
            between = low[at + len(x.provenance) : pos]
            verb = re.match(r"[a-z]{3,}ed\b", low[pos:])  # (the condition's words may start with the verb)
            said = [between, between + verb.group(0)] if verb else [between]
            settled = 1 if not spec.group_by or any(_PREDICATE_AFTER_GROUP.fullmatch(b) for b in said) else None
            column = f.column if isinstance(f, Filter) else f.expression
            out.append(Doubt("share_condition", f.provenance, x.name, (column,), settled=settled))
    return out


def _join_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    if spec.aggregations or spec.group_by or d.preserve_base or d.join_hints or not spec.join_conditions:
        return []
    conditioned = {owner_table(d.catalog, f.column) for f in leaf_filters([*spec.filters, *spec.qualify]) if "." in f.column}
    conditioned |= {t for x in spec.derived_columns for t in re.findall(r"\b(\w+)\.", x.expression)
                    if d.catalog.has_table(t)}  # a derived column reads them: kept as the plan reads them  # fmt: skip
    below: dict[str, set[str]] = {}  # table -> the tables joined through it
    for j in reversed(spec.join_conditions):
        below[j.right_table] = {j.right_table, *(t for x in spec.join_conditions if x.left_table == j.right_table
                                                 for t in below.get(x.right_table, {x.right_table}))}  # fmt: skip
    out = []
    for j in spec.join_conditions:
        t = j.right_table
        if j.join_type != "inner" or t in d.required_tables or t in d.anti_tables or below[t] & conditioned:
            continue
        if d.self_join is not None and t == d.self_join.alias and d.self_join.said:
            continue  # the request said what happens to rows without their other row
        out.append(Doubt("join", f"{spec.source_tables[0].table_name} with {t}", t))
    return out


_NOT_READ = frozenset({"source_tables", "join_conditions", "source_schemas", "claims", "description", "target_table",
                       "transformations", "ignored_words"})  # fmt: skip


def _said_first(d: Draft, table: str) -> bool:
    """The request opens with the table's rows ("customers with ...", "Which doctors ..."): its first table
    mention, before any other table's, with only small words before it."""
    first = min((m for m in d.mentions if isinstance(m, TableMatch)), key=lambda m: m.start, default=None)
    if first is None or first.table != table:
        return False
    lead = REQUEST_VERB.sub(" ", d.prompt[: first.start])
    return all(w.lower() in STOPWORDS for w in re.findall(r"[A-Za-z']+", lead))


def _group_join_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    """An aggregate over two tables where the joined table gives no column ("number of loans per member",
    grouped by ``loans.member_id``): the inner join also drops the rows whose key matches no row there
    (a count per key of the measured table alone keeps them). The request did not say which it means."""
    if not (spec.aggregations or spec.group_by) or d.preserve_base or d.join_hints or len(spec.join_conditions) != 1:
        return []
    j = spec.join_conditions[0]
    if j.join_type != "inner" or len(spec.source_tables) != 2:
        return []
    read = spec.model_dump_json(exclude=set(_NOT_READ))

    def reads(t: str) -> bool:
        return bool(re.search(rf"(?<![\w.]){re.escape(t)}\.", read))

    for t, measured in ((j.right_table, j.left_table), (j.left_table, j.right_table)):
        if t in d.required_tables or t in d.anti_tables or reads(t) or not reads(measured):
            continue
        keys = {f"{measured}.{c.left if measured == j.left_table else c.right}" for c in j.on_columns}
        if not spec.group_by or not set(spec.group_by) <= keys:
            continue  # grouped by something else than the key the join matches on
        if not any(fk.ref_table.lower() == t.lower() for fk in d.catalog.table(measured).foreign_keys):
            continue  # "stores and how many sales they had": the joined rows are what is counted, not a lookup
        if t == d.base and _said_first(d, t):
            continue  # "customers with more than 3 orders": the rows asked for are customers, which must exist
        return [Doubt("group_join", f"{j.left_table} with {j.right_table}", t)]
    return []


def _date_doubts(d: Draft, spec: ETLSpec) -> list[Doubt]:
    out = []
    said = {_stem(x) for w in re.findall(r"[a-z]+", d.prompt.lower()) for x in (w, singular(w))}  # "terminations"
    for f in leaf_filters(spec.filters):
        if "." not in f.column or f.value is None or not d.catalog.has_table(owner_table(d.catalog, f.column)):
            continue
        if _cue(f.provenance or ""):
            continue  # "left in 2023", "hired since May": a word of the condition chose the date
        table, col = split_column(d.catalog, f.column)
        info = d.catalog.table(table)
        if not info.has_column(col):
            continue
        family = info.column(col).family
        if family not in TEMPORAL_FAMILIES or _named(col, said) or _own_date(table, col):
            continue
        others = tuple(f"{table}.{c.name}" for c in info.columns if c.family == family and c.name != col
                       and not is_birth_date(c.name))  # (a birth date is no event of the rows)
        if others:
            out.append(Doubt("date_column", f.provenance or f.column, f.column, others))
    return out


_PERIOD_WORDS = frozenset(
    {"in", "on", "during", "since", "before", "after", "until", "till", "between", "and", "from", "to", "through",
     "the", "of", "last", "this", "next", "past", "previous", "prior", "current", "year", "years", "month", "months",
     "week", "weeks", "day", "days", "quarter", "quarters", "q1", "q2", "q3", "q4", "first", "half", "h1", "h2",
     "whole", "both", "inclusive", "exclusive", "ago", "within", "over", "at", "end", "start", "beginning", "ytd",
     "today", "yesterday", "or", "later", "earlier", "than", "a", "an", "calendar", "fiscal", "dates", "date"}
    | {m.lower() for m in (*calendar.month_name, *calendar.month_abbr) if m}
)


def _cue(words: str) -> bool:
    """A word of a date condition other than the period itself ("left", "hired", "placed")."""
    return any(w not in _PERIOD_WORDS for w in re.findall(r"[a-z]+", words.lower()))


def _named(column: str, said: set[str]) -> bool:
    """A word of the request has the stem of a word of the column's name ("shipped" → shipped_date)."""
    return any(_stem(p) in said for p in re.split(r"[_\W]+", column.lower()) if p and p not in _GENERIC)


def _own_date(table: str, column: str) -> bool:
    """``orders.order_date``, ``events.event_time``: the date named after its table."""
    low = table.lower()
    stems = {low, low.rstrip("s"), re.sub(r"ies$", "y", low)}
    return any(s and s in column.lower() for s in stems)
