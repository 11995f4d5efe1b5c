"""Elapsed time between two date or timestamp columns, described in words: a small grammar.

A *span* is what the time is measured between, said one of three ways:

- the two columns with an operator: "closed_at minus opened_at", "check_out - check_in";
- "the time (or: the gap, the duration, the number of hours...) between/from A and/to B", the unit may come
  right after the noun ("the duration in minutes between A and B");
- the length of a row of a table that has exactly one start/end pair of date or timestamp columns
  ("call length", "the duration of each rental", "how long the stay lasted"; start words: start,
  begin, open, from, in; end words: end, finish, close, stop, until, out; the rest of the two names
  must agree: ``started_at``/``ended_at``, ``check_in``/``check_out``).

A span then takes a *unit* ("in minutes", "as hours") and becomes a new column, or a *comparison*
with an amount of time ("over 90 minutes", "longer than two hours", "at least 2 days") and becomes a row
condition. "Rentals that ran longer than two days" (with no span written) measures the start/end pair
of the table in play; a table with no such pair but one number column named with its unit of time
(``time_on_page_sec``, ``duration_min``, ``wait_hours``) is measured by that column ("page views longer than
2 minutes": ``time_on_page_sec > 120``); a table with both is refused (which one would be a guess). Units: second, minute, hour, day, week (with their plurals and "sec", "min",
"hr").

The SQL is built as SQLGlot trees and rendered in the spec's dialect; it runs the same on DuckDB and
PostgreSQL: for timestamps the elapsed seconds ``EXTRACT(EPOCH FROM later - earlier)`` divided by
the unit's seconds (a fraction: 90 seconds is 1.5 minutes; a comparison is made in seconds, so "over
60 minutes" keeps 60 minutes and 1 second); for two dates ``later - earlier`` is a whole number of
days (over 7 for weeks). A span with no unit and no comparison is left alone (the unit is not
guessed), and a table with two start/end pairs gives no length (which one would be a guess).
"""

from __future__ import annotations

import re

from sqlglot import exp

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.claims import claim as claim_words
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.recognizers.dates import date_by_stem
from datamorph.planner.recognizers.derivekit import (
    Work,
    add,
    column_phrase,
    family,
    in_play,
    name_around,
    snake,
    unreferenced,
)
from datamorph.planner.refs import tables_read
from datamorph.spec import ExpressionCondition

_SPEC_DIALECT = "duckdb"

UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}
_UNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)"
_COL = r"[A-Za-z_][\w.]*"
_AMOUNT = r"(?:\d+(?:\.\d+)?|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty)"
_MORE = r"more\s+than|longer\s+than|over|above|greater\s+than|at\s+least|exceeding|beyond|past"
_LESS = r"less\s+than|shorter\s+than|under|below|at\s+most|within|no\s+more\s+than"
_COMPARE = rf"(?:(?:is|was|are|were|of)\s+)?(?P<cmp>{_MORE}|{_LESS})\s+(?P<n>{_AMOUNT})\s+(?P<unit>{_UNIT})\b"
_IN_UNIT = rf"\s*,?\s*(?:(?:expressed|measured|counted|given)\s+)?(?:in|as)\s+(?:whole\s+|full\s+)?(?P<unit>{_UNIT})\b"

_NOT_END = r"(?!(?:and|to|until|till|in|as|for|of|per|by|on)\b)"  # a second word of an endpoint's name

_MINUS = re.compile(rf"\b(?P<a>{_COL})\s+(?:minus|-)\s+(?P<b>{_COL})\b", re.I)
_BETWEEN = re.compile(rf"\b(?:the\s+)?(?:(?P<noun>(?:elapsed\s+)?time|gap|difference|duration|length|interval|"
                      rf"time\s+(?:taken|spent|elapsed))(?:\s+in\s+(?P<unit1>{_UNIT}))?|(?:number\s+of\s+)?(?P<unit0>{_UNIT}))\s+"
                      rf"(?:between|from)\s+(?:the\s+)?(?P<b>{_COL}(?:\s+{_NOT_END}{_COL})?)\s+(?:and|to|until|till)\s+"
                      rf"(?:the\s+)?(?P<a>{_COL}(?:\s+{_NOT_END}{_COL})?)\b",
                      re.I)  # fmt: skip
_LENGTH = re.compile(r"\b(?:(?!(?:the|a|an|each|every|its|their|his|her|of|in|and|or|by|per)\b)(?P<t1>[A-Za-z]\w*)\s+(?P<w1>length|duration)s?|(?P<w2>length|duration)s?\s+of\s+"
                     r"(?:the\s+|each\s+|every\s+|a\s+|an\s+)?(?P<t2>[A-Za-z]\w*))\b", re.I)  # fmt: skip
_LASTED = re.compile(rf"\b(?:that\s+|which\s+|(?P<lead>whose|with\s+an?|where\s+the|where\s+its|where\s+their)\s+(?P<noun>duration|length)\s+)?(?:lasted|last|lasting|took|ran|running|went|go|goes|going|were\s+open|was\s+open)\s+(?:for\s+)?"
                     rf"(?P<cmp>{_MORE}|{_LESS})\s+(?P<n>{_AMOUNT})\s+(?P<unit>{_UNIT})\b", re.I)  # fmt: skip

_LONGER = re.compile(rf"\b(?:(?P<t0>[A-Za-z]\w*)\s+)?(?P<t>[A-Za-z]\w*)\s+(?P<cmp>longer\s+than|shorter\s+than)\s+(?P<n>{_AMOUNT})\s+(?P<unit>{_UNIT})\b",
                     re.I)  # fmt: skip

_SHIFT = re.compile(rf"\b(?P<a>{_COL})\s+(?P<op>plus|minus|\+|-)\s+(?P<n>\d+|{_COL})\s+(?P<unit>days?|weeks?)\b", re.I)

_START_WORDS = frozenset({"start", "started", "starts", "begin", "began", "begins", "opened", "open", "from", "in"})
_END_WORDS = frozenset({"end", "ended", "ends", "finish", "finished", "closed", "close", "stop", "stopped", "until",
                        "out", "to"})  # fmt: skip


def unit_of(word: str) -> str | None:
    """``mins`` → minute, ``hours`` → hour; None for a word that is no unit of time."""
    w = word.lower().rstrip("s")
    full = {"sec": "second", "min": "minute", "hr": "hour", "hour": "hour"}.get(w, w)
    return full if full in UNIT_SECONDS else None


def _amount(text: str) -> float | None:
    t = text.lower()
    if t in ("a", "an"):
        return 1.0
    if t in NUMBER_WORDS:
        return float(NUMBER_WORDS[t])
    try:
        return float(t)
    except ValueError:
        return None


def _ref(col: str) -> exp.Column:
    table, name = col.rsplit(".", 1)
    return exp.column(name, table=table)


def _temporal(d: Work, phrase: str) -> str | None:
    """The date column an endpoint names: by its name ("order_date", "order date"), or by the stem of the event
    ("ordering" → order_date, "shipping" → shipped_date), among the tables in play."""
    col = column_phrase(d, phrase, min_score=0.9)
    if col and family(d, col) in ("date", "timestamp"):
        return col
    return date_by_stem(d.view, phrase, in_play(d)) if in_play(d) else None


def elapsed(d: View | Work, later: str, earlier: str, unit: str) -> exp.Expr:
    """The time from ``earlier`` to ``later`` (qualified columns) in ``unit``, as a SQLGlot tree."""
    both_dates = family(d, later) == "date" and family(d, earlier) == "date"
    diff = exp.Sub(this=_ref(later), expression=_ref(earlier))
    if both_dates:  # a whole number of days
        per_day = UNIT_SECONDS["day"] / UNIT_SECONDS[unit]
        if per_day == 1:
            return diff
        if per_day < 1:
            return exp.Div(this=exp.Paren(this=diff), expression=exp.Literal.number(f"{1 / per_day:.1f}"))
        return exp.Mul(this=exp.Paren(this=diff), expression=exp.Literal.number(int(per_day)))
    seconds = exp.Extract(this=exp.var("EPOCH"), expression=diff)
    if unit == "second":
        return seconds
    return exp.Div(this=seconds, expression=exp.Literal.number(UNIT_SECONDS[unit]))


def _condition(d: View | Work, later: str, earlier: str, cmp: str, amount: float, unit: str) -> ExpressionCondition:
    """``later - earlier`` compared with an amount of time (in seconds, or in days for two dates)."""
    both_dates = family(d, later) == "date" and family(d, earlier) == "date"
    base = "day" if both_dates else "second"
    measured = elapsed(d, later, earlier, base)
    bound = amount * UNIT_SECONDS[unit] / UNIT_SECONDS[base]
    literal = exp.Literal.number(int(bound) if bound == int(bound) else bound)
    return ExpressionCondition(expression=_compared(measured, cmp, literal).sql(_SPEC_DIALECT))


def _compared(measured: exp.Expr, cmp: str, literal: exp.Expr) -> exp.Expr:
    """``measured`` compared with ``literal`` by the words ``cmp`` ("at least", "over", "shorter than")."""
    c = re.sub(r"\s+", " ", cmp.lower())
    if c in ("at least",):
        return exp.GTE(this=measured, expression=literal)
    if c in ("at most", "within", "no more than"):
        return exp.LTE(this=measured, expression=literal)
    if re.fullmatch(_MORE, c):
        return exp.GT(this=measured, expression=literal)
    return exp.LT(this=measured, expression=literal)


#: The last part of a number column's name that says the unit of time it holds ("time_on_page_sec",
#: "duration_min"); the rest of the name must say it is the row's length (a word of _LENGTH_WORDS, beside only the
#: table's own words): "wait_min", "break_minutes" are a part of the row's time, never its length.
_NAME_UNITS = {"sec": "second", "secs": "second", "second": "second", "seconds": "second", "min": "minute",
               "mins": "minute", "minute": "minute", "minutes": "minute", "hr": "hour", "hrs": "hour", "hour": "hour",
               "hours": "hour", "days": "day", "weeks": "week"}  # fmt: skip
_LENGTH_WORDS = frozenset({"duration", "length", "time", "elapsed", "runtime"})


def timed_column(d: View | Work, table: str) -> tuple[str, str] | None:
    """The one number column of ``table`` that holds a row's length in a unit its name ends with, and that unit
    (None when there is not exactly one)."""
    own = {w for part in table.lower().split("_") for w in (part, part.rstrip("s"))} | {"on", "of", "in", "the", "per"}
    found = []
    for c in d.catalog.table(table).columns:
        *rest, last = c.name.lower().split("_")
        unit = _NAME_UNITS.get(last)
        said = set(rest) - own
        if unit and c.family in ("integer", "decimal", "float") and said and said <= _LENGTH_WORDS:
            found.append((f"{table}.{c.name}", unit))
    return found[0] if len(found) == 1 else None


def _timed_condition(column: str, held: str, cmp: str, amount: float, unit: str) -> ExpressionCondition:
    """``column`` (holding ``held`` units) compared with an amount of time; exact: in the column's unit when the
    amount is a whole number of them, else both in seconds ("duration_min * 60 > 90")."""
    seconds, per = amount * UNIT_SECONDS[unit], UNIT_SECONDS[held]
    measured: exp.Expr = _ref(column)
    if seconds % per:
        measured = exp.Mul(this=measured, expression=exp.Literal.number(per))
        bound = seconds
    else:
        bound = seconds / per
    literal = exp.Literal.number(int(bound) if bound == int(bound) else bound)
    return ExpressionCondition(expression=_compared(measured, cmp, literal).sql(_SPEC_DIALECT))


def start_end_pair(d: View | Work, table: str) -> tuple[str, str] | None:
    """The (end, start) columns of ``table`` when it has exactly one start/end pair of date or timestamp columns."""
    cols = [c for c in d.catalog.table(table).columns if c.family in ("date", "timestamp")]
    starts, ends = [], []
    for c in cols:
        words = c.name.lower().split("_")
        rest = tuple(w for w in words if w not in _START_WORDS | _END_WORDS)
        if set(words) & _START_WORDS and len(rest) < len(words):
            starts.append((rest, c.name))
        if set(words) & _END_WORDS and len(rest) < len(words):
            ends.append((rest, c.name))
    pairs = [(f"{table}.{e}", f"{table}.{s}") for rs, s in starts for re_, e in ends if rs == re_ and s != e]
    return pairs[0] if len(pairs) == 1 else None


def _entity_pair(d: Work, word: str | None) -> tuple[str, str] | None:
    """The start/end pair of the table ``word`` names (or of the only table in play with one)."""
    if word:
        hits = d.linker.tables(word)
        if not hits:
            return None
        table = hits[0].table
        if in_play(d) and table not in in_play(d):
            return None
        return start_end_pair(d, table)
    found = [p for t in in_play(d) for p in [start_end_pair(d, t)] if p]
    return found[0] if len(found) == 1 else None


def _entity_length(d: Work, word: str | None, words: str) -> tuple[str, str, bool] | None:
    """How long a row of the table ``word`` names (or of the only table in play that has a length) is: its
    start/end pair (end, start, False) or its one column of time (column, unit, True). A table with both is
    refused."""
    if word:
        hits = d.linker.tables(word)
        if not hits or in_play(d) and hits[0].table not in in_play(d):
            return None
        tables = [hits[0].table]
    else:
        tables = in_play(d)
    found: list[tuple[str, str, bool]] = []
    for t in tables:
        pair, timed = start_end_pair(d, t), timed_column(d, t)
        if pair and timed:
            raise PlanError(f"'{words.strip()}': the time from {pair[1]} to {pair[0]}, or {timed[0]}?",
                            hint=f"name the column, e.g. '{timed[0].split('.')[1]} over ...'")  # fmt: skip
        if pair or timed:
            found.append((*(pair or timed or ("", "")), timed is not None))
    return found[0] if len(found) == 1 else None


def _names_table(d: Work, words: str) -> bool:
    hits = d.linker.tables(words)
    return bool(hits) and hits[0].score >= 0.9


def _row_length(d: Work, m: re.Match[str], start: int, length: tuple[str, str, bool] | None) -> None:
    """The condition "longer than 10 minutes" (the match ``m``, from ``start``) on a row's length."""
    amount, unit = _amount(m.group("n")), unit_of(m.group("unit"))
    if length is None or amount is None or not unit:
        return
    a, b, timed = length
    cond = _timed_condition(a, b, m.group("cmp"), amount, unit) if timed else _condition(
        d, a, b, m.group("cmp"), amount, unit)
    _filter(d, start, m.end(), cond)


def rule(v: View) -> list[Claim]:
    """Spans of time with a unit (new columns) or a comparison (row conditions); see the module docstring."""
    d = Work(v)
    spans: list[tuple[int, int, str, str, str]] = []  # start, end, later, earlier, words
    lengths: set[tuple[int, int]] = set()  # the spans that are a row's length ("call length")
    for m in _MINUS.finditer(d.prompt):
        a, b = _temporal(d, m.group("a")), _temporal(d, m.group("b"))
        if a and b and a != b:
            spans.append((m.start(), m.end(), a, b, f"{m.group('a')}_minus_{m.group('b')}"))
    for m in _BETWEEN.finditer(d.prompt):
        a, b = _temporal(d, m.group("a")), _temporal(d, m.group("b"))
        if a and b and a != b:
            unit0 = m.group("unit0") or m.group("unit1")  # "the duration in minutes between A and B": said first
            words = f"{snake(m.group('noun'))}_{unit0}" if m.group("unit1") else f"{unit0 or 'time'}_between"
            spans.append((m.start(), m.end() if not unit0 else -m.end(), a, b, words))
    for m in _LENGTH.finditer(d.prompt):
        word = m.group("t1") or m.group("t2")
        if column_phrase(d, m.group(), min_score=0.95):
            continue  # "stay length" that is a column of its own
        pair = _entity_pair(d, word)
        if pair:
            lengths.add((m.start(), m.end()))
            spans.append((m.start(), m.end(), pair[0], pair[1], f"{word}_{m.group('w1') or m.group('w2')}".lower()))
    for s, e, later, earlier, words in sorted(spans, key=lambda x: x[0]):
        unit_first = e < 0  # "the number of days between A and B": the unit came first
        e = abs(e)
        if not d.free(s, e):
            continue
        if unit_first:
            unit0 = re.match(rf".*?\b({_UNIT})\b", d.prompt[s:e], re.I)
            unit = unit_of(unit0.group(1)) if unit0 else None
            if unit:
                _new_column(d, s, e, later, earlier, unit, words)
            continue
        rest = d.prompt[e:]
        cmp = re.match(r"\s*" + _COMPARE, rest, re.I)
        if cmp and d.free(e, e + cmp.end()):
            amount, unit = _amount(cmp.group("n")), unit_of(cmp.group("unit"))
            if amount is not None and unit:
                _filter(d, s, e + cmp.end(), _condition(d, later, earlier, cmp.group("cmp"), amount, unit))
            continue
        inu = re.match(_IN_UNIT, rest, re.I)
        if inu and d.free(e, e + inu.end()):
            unit = unit_of(inu.group("unit"))
            if unit:
                _new_column(d, s, e + inu.end(), later, earlier, unit, f"{words}_{unit}s")
                continue
        if (s, e) in lengths:  # "average call length": a time, in no unit (never the call's id)
            raise PlanError(f"'{d.prompt[s:e]}': the time from {earlier} to {later}, in which unit?",
                            hint="say 'in seconds', 'in minutes', 'in hours' or 'in days'")
    for m in _SHIFT.finditer(d.prompt):  # "ordered_on plus 14 days", "start_date + trial_weeks weeks"
        if d.free(m.start(), m.end()):
            shifted = _date_shift(d, m)
            if shifted:
                name, start, end = name_around(d, m.start(), m.end())
                word = "plus" if m.group("op").lower() in ("plus", "+") else "minus"
                add(d, name or snake(f"{m.group('a')}_{word}_{m.group('n')}_{m.group('unit')}"), shifted,
                    start, end)
    for m in _LASTED.finditer(d.prompt):
        if m.group("noun") and column_phrase(d, m.group("noun"), min_score=0.95):
            continue  # "whose duration went past 40": a column of that name, compared by the row filters
        if d.free(m.start(), m.end()):
            _row_length(d, m, m.start(), _entity_length(d, None, m.group(0)))
    for m in _LONGER.finditer(d.prompt):  # "calls longer than 10 minutes": the table's start/end pair
        if d.free(m.start("cmp"), m.end()):
            two = f"{m.group('t0')} {m.group('t')}" if m.group("t0") else ""  # "page views longer than ..."
            word = two if two and _names_table(d, two) else m.group("t")
            _row_length(d, m, m.start("cmp"), _entity_length(d, word, m.group(0)))
    return d.claims()


def _new_column(d: Work, s: int, e: int, later: str, earlier: str, unit: str, words: str) -> None:
    name, start, end = name_around(d, s, e)
    add(d, name or snake(words), elapsed(d, later, earlier, unit).sql(_SPEC_DIALECT), start, end)


def _filter(d: Work, s: int, e: int, cond: ExpressionCondition) -> None:
    """A row condition; one the request already states (in other words) is only claimed."""
    if any(isinstance(f, ExpressionCondition) and f.expression == cond.expression for f in d.filters):
        d.take(((s, e),), why="restates a condition on elapsed time")
        return
    cond = cond.model_copy(update={"provenance": d.prompt[s:e].strip()})  # (the words, for doubts and restatement)
    d.filters.append(cond)
    d.take(((s, e),), Edit.add("filters", cond), why="a condition on elapsed time")


_HOW_LONG = re.compile(r"\bhow\s+long\b(?P<mid>[^?.;]{0,60}?)\b(?P<verb>take|takes|took|taking|wait|waits|waited|last|lasts|"
                       r"lasted|need|needs|needed|spend|spends|spent|stay|stays|stayed|remain|remains|remained)\b", re.I)  # fmt: skip
_STATE_AFTER = re.compile(r"\s+(?P<w>[A-Za-z]+)\s*\?")
_AS_DATE = re.compile(r"\b(?P<name>[A-Za-z_]\w*)\s*,?\s*(?P<note>as\s+an?\s+(?:date|calendar\s+date|day))\b", re.I)


def _elapsed_sql(expression: str) -> bool:
    """A derived expression that is a time between two columns (a difference of dates, or elapsed seconds)."""
    from datamorph.compiler.expressions import parse_expression

    tree = parse_expression(expression)
    if tree.find(exp.Extract) is not None and tree.find(exp.Sub) is not None:
        return True
    return isinstance(tree, exp.Sub) and all(isinstance(x, exp.Column) for x in (tree.this, tree.expression))


def how_long(v: View) -> list[Claim]:
    """"How long do tenants stay?", "how long does each repair take": a question about elapsed time, answered
    by a new column the request defines as the time between two of its columns. "How long" and its verb are
    claimed, only when the request defines exactly such a column; a table the question names ("tenants") and
    no clause reads is taken out again (the question's other words stay for the other recognizers, and an
    unread one, such as a value, still refuses the request)."""
    durations = [x for x in v.derived if _elapsed_sql(x.expression)]
    if len(durations) != 1:
        return []
    w = Work(v)
    read = tables_read([durations[0]])
    keep = next((t for t in v.catalog.table_names() if t.lower() in read), "") if len(read) == 1 else ""
    for m in _HOW_LONG.finditer(v.prompt):
        spans: tuple[tuple[int, int], ...] = ((m.start(), m.start("mid")), (m.start("verb"), m.end("verb")))
        state = _STATE_AFTER.match(v.prompt, m.end("verb"))
        if state:  # "how long do accounts stay open?": the state whose length is asked, not a filter on it
            spans += ((state.start("w"), state.end("w")),)
        if not all(w.free(a, b) for a, b in spans):
            continue
        stop = v.prompt.find("?", m.end())
        edits: list[Edit] = []
        if stop > 0 and w.catalog.has_table(keep):
            for t in v.tokens.overlapping(m.start(), stop):
                if t.kind == "word" and w.linker.tables(t.text):
                    edits += unreferenced(w, t.text, keep=keep)
        w.take(spans, *edits, why=f"asks what {durations[0].name} answers")
    return w.claims()


def as_date(v: View) -> list[Claim]:
    """"due_back_on as a date": a new column whose value is already a date (a date plus a number of days, a
    day of a timestamp) needs no conversion; the words are claimed. Never said of a warehouse column."""
    derived = {x.name.lower(): x.expression for x in v.derived}
    unnamed = [x.expression for x in v.derived if not re.search(rf"\b{re.escape(x.name)}\b", v.prompt, re.I)]
    out: list[Claim] = []
    for m in _AS_DATE.finditer(v.prompt):
        name = m.group("name")
        expression = derived.get(name.lower())
        if expression is None and "_" in name and not _is_column(v, name) and len(unnamed) == 1:
            expression = unnamed[0]  # the name the output list will give the one new column not named yet
        if expression is None or not v.free(m.start("note"), m.end("note")) or not _date_valued(v, expression):
            continue
        out.append(claim_words(m.start("note"), m.end("note"), why=f"{m.group('name')} is a date already"))
    return out


def _date_valued(v: View, expression: str) -> bool:
    """A date column plus or minus a whole number (a column of integers or a number), or a cast to DATE."""
    from datamorph.compiler.expressions import parse_expression

    tree = parse_expression(expression)
    if isinstance(tree, exp.Cast) and tree.to.is_type(exp.DataType.Type.DATE):
        return True
    if not isinstance(tree, exp.Add | exp.Sub):
        return False
    kinds = []
    for side in (tree.this, tree.expression):
        if isinstance(side, exp.Literal) and not side.is_string and "." not in side.this:
            kinds.append("int")
        elif isinstance(side, exp.Column) and side.table and v.catalog.has_table(side.table):
            info = v.catalog.table(side.table)
            kinds.append(info.column(side.name).family if info.has_column(side.name) else "?")
        else:
            kinds.append("?")
    whole = ("integer", "int")
    if kinds[0] == "date" and kinds[1] in whole:
        return True
    return isinstance(tree, exp.Add) and kinds[1] == "date" and kinds[0] in whole  # "14 + loaned_on"


def _is_column(v: View, name: str) -> bool:
    return v.catalog.has_table(name) or any(t.has_column(name) for t in v.catalog.tables.values())


def _date_shift(d: Work, m: re.Match[str]) -> str | None:
    """``a DATE plus/minus N days|weeks`` (N a number or a column of whole numbers) as SQL, a date on DuckDB and
    PostgreSQL alike (``date + integer``); None when the first operand is no DATE column."""
    col = column_phrase(d, m.group("a"), min_score=0.9)
    if col is None or family(d, col) != "date":
        return None
    n_text = m.group("n")
    amount: exp.Expr
    if n_text.isdigit():
        amount = exp.Literal.number(int(n_text))
    else:
        n_col = column_phrase(d, n_text, min_score=0.9)
        if n_col is None or family(d, n_col) != "integer":
            return None
        amount = _ref(n_col)
    if unit_of(m.group("unit")) == "week":
        amount = exp.Mul(this=amount, expression=exp.Literal.number(7))
    op = exp.Add if m.group("op").lower() in ("plus", "+") else exp.Sub
    return op(this=_ref(col), expression=amount).sql(_SPEC_DIALECT)
