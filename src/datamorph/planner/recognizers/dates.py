"""Date conditions: "in 2024", "Q1 2024", "after March 2023", "between X and Y", "last 90 days".

A period (a day, a range of days, a month, a quarter, a year, a rolling
window relative to ``d.reference_date``) plus how the request relates to it
(in, since, after, before, until, outside) becomes a condition on a date
column: the one named next to it ("hired in 2024" → hire_date), else the main
date column of the table named there or of the base table.

Ranges are inclusive of whole days: ``BETWEEN start AND end`` on DATE
columns, ``>= start AND < end + 1 day`` on TIMESTAMP columns. Rolling windows
("last 90 days") run from ``reference_date - 90 days`` to ``reference_date``.

The words of each condition are recorded in ``condition_spans`` (``filters`` reads "only" next to
them as a restatement).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal, cast

from lemminflect import getLemma

from datamorph.catalog import NUMERIC_FAMILIES, TEMPORAL_FAMILIES, Catalog, TableInfo
from datamorph.errors import PlanError
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, Span, View
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import STOPWORDS, is_participle
from datamorph.planner.meaning import word_class
from datamorph.planner.recognizers.ages import is_birth_date
from datamorph.planner.recognizers.common import in_play
from datamorph.planner.recognizers.dateparts import example_of_part
from datamorph.planner.recognizers.filter_base import Play
from datamorph.planner.recognizers.filter_states import NO_EVENT, anti_join
from datamorph.planner.recognizers.noops import in_example
from datamorph.planner.recognizers.sources import rows_of_another
from datamorph.planner.refs import owner_table, refers_to, split_column
from datamorph.planner.text import MONTHS, Token, month_end
from datamorph.spec import AnyOf, Condition, Filter, Operator

_MON = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
        r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")  # fmt: skip
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?:19|20)\d{2}(?!\d)(?!-\d)"
_NUM = r"(?:\d+|[a-z]+)"
_UNIT = r"(?:day|week|month|quarter|year)s?"
_TO = r"\s*(?:-|–|up\s+to\s+and\s+including|up\s+to|to|through|thru|until|till)\s*"

_PERIOD = re.compile(
    rf"""\b(?:
      (?P<iso>\d{{4}}-\d{{2}}-\d{{2}})(?!\d)(?!:\d)
    | (?P<dr_d1>{_DAY}){_TO}(?P<dr_d2>{_DAY})\s+(?:of\s+)?(?P<dr_m>{_MON})(?:,?\s+(?P<dr_y>{_YEAR}))?
    | (?P<mr_m>{_MON})\s+(?P<mr_d1>{_DAY}){_TO}(?P<mr_d2>{_DAY})(?:,?\s+(?P<mr_y>{_YEAR}))?
    | (?P<md_m>{_MON})\s+(?P<md_d>{_DAY})(?:,?\s+(?P<md_y>{_YEAR}))?
    | (?P<dm_d>{_DAY})\s+(?:of\s+)?(?P<dm_m>{_MON})(?:,?\s+(?P<dm_y>{_YEAR}))?
    | q(?P<q_n1>[1-4])(?:\s*[-/']?\s*(?P<q_y1>{_YEAR}))?
    | (?P<q_y2>{_YEAR})\s*[-/]?\s*q(?P<q_n2>[1-4])
    | (?P<q_o>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+(?:fiscal\s+)?quarter(?:\s+(?:of|in))?(?:\s+(?P<q_y3>{_YEAR}))?
    | (?P<h_o>first|second|1st|2nd)\s+half(?:\s+of)?(?:\s+(?P<h_y1>{_YEAR}))?
    | h(?P<h_n>[12])(?:\s*(?P<h_y2>{_YEAR}))?
    | (?P<todate>year|month|quarter)[\s-]+to[\s-]+date | (?P<todate2>ytd|mtd|qtd)
    | (?P<rn_kw>last|past|previous|prior|trailing|recent|next|coming|upcoming)\s+(?P<rn_n>{_NUM})\s+(?P<rn_u>{_UNIT})
    | (?P<r1_kw>last|past|previous|prior|trailing|this|current|next|coming|upcoming)\s+(?P<r1_u>day|week|month|quarter|year)
      (?!\s+and\s+the\s+\w+(?:\s+\w+)?\s+(?:before|preceding|prior\s+to)\s+(?:it|that\s+one|them)\b)  # a moving frame: "this week and the 3 before it"
    | (?P<today>today|yesterday)
    | (?P<m_m>{_MON})(?:\s+of)?(?:,?\s+(?P<m_y>{_YEAR}))?
    | (?:(?:calendar|fiscal)\s+)?(?:year\s+)?(?P<y>{_YEAR})
    | (?P<dec>(?:19|20)\d0)'?s | (?:nineteen[\s-]?)?(?P<dec_w>thirties|forties|fifties|sixties|seventies|eighties|nineties)
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_RANGE_JOIN = re.compile(rf"^(?:{_TO}|\s+and\s+)", re.IGNORECASE)
# The words before a period that say how the request relates to it, longest first.
_RELATION = re.compile(
    r"\b(?P<rel>on\s+or\s+after|on\s+or\s+before|no\s+later\s+than|no\s+earlier\s+than|not\s+before|not\s+after|"
    r"later\s+than|earlier\s+than|prior\s+to|up\s+to(?:\s+and\s+including)?|starting(?:\s+(?:from|in|on))?|"
    r"beginning(?:\s+(?:from|in|on))?|after|since|before|until|till|through|thru|not\s+(?:in|during)|"
    r"following|preceding|leading\s+up\s+to|"
    r"outside(?:\s+of)?|between|from|in|during|within|for|over|on|of|dated)"
    r"(?:\s+(?:the\s+)?(?:(?:week|month|year|quarter)\s+(?P<of>of|starting|beginning|commencing)))?"
    r"(?:\s+the)?\s*$",
    re.IGNORECASE,
)
_UNITS_OF = re.compile(r"\b(?:year|quarter|month|week|day|weekday)s?\s+of\s*$", re.IGNORECASE)
_BARE_WEEK = re.compile(r"\b(?:the\s+)?week\s+(?P<of>of|starting|beginning|commencing)\s*$", re.IGNORECASE)
_INCL = (r"(?:(?:both|all)\s+)?(?:(?:days?|dates?|ends?|endpoints?|bounds?|limits?)\s+)?(?:inclusive(?:ly)?|included)"
         r"(?:\s+of\s+both\s+(?:days|dates|ends|endpoints))?|(?:the\s+)?whole\s+days?|(?:the\s+)?full\s+days?|"
         r"(?:both\s+)?(?:days|dates|ends|endpoints)\s+(?:inclusive|included)|calendar\s+days?")
_SUFFIX = re.compile(
    rf"^(?:\s*\(\s*(?:{_INCL})(?:\s*[,;/]?\s*(?:and\s+)?(?:{_INCL}))*\s*\)|,?\s*(?:{_INCL})\b"
    r"|\s+(?P<on>onwards?|and\s+later|or\s+later|and\s+after|and\s+(?:earlier|before)|or\s+earlier))",
    re.IGNORECASE,
)
_ORDINAL = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}
# Verbs that say "the row's date" without naming a column ("orders placed in 2024").
_EVENT_VERBS = frozenset({"placed", "made", "created", "submitted", "recorded", "booked", "logged", "dated",
                          "happened", "occurred", "processed", "entered", "received", "taken"})  # fmt: skip
_SKIP_BEFORE = frozenset({"was", "were", "is", "are", "be", "been", "being", "that", "which", "who", "whose", "the",
                          "their", "its", "a", "an", "with", "having", "has", "have", "had", "where",
                          "anything", "something"})  # fmt: skip
_NOT_WORDS = frozenset({"not", "no", "never", "non", "and", "or", "but", "in", "on", "of", "for", "to", "from", "by",
                        "all", "any", "only", "also"})  # fmt: skip
_YEARLESS_OK = {"since", "after", "before", "in", "during", "from", "until", "till", "through", "on", "between",
                "starting", "beginning", "of"}  # fmt: skip


@dataclass
class _Period:
    start: dt.date
    end: dt.date
    span: tuple[int, int]
    has_year: bool = True
    relative: bool = False
    single_day: bool = False


@dataclass
class _Done:
    """A date condition this call planned (or left open): its dates, how it relates to them, its words."""

    start: dt.date
    end: dt.date
    kind: str
    cue_start: int
    span_end: int
    column: str | None = None  # None: the condition's column is not known yet (see _Open)


@dataclass
class _Open:
    """A period whose date column the words next to it do not tell ("loans in 2023" with two dates):
    settled after the others, by a period of the same dates whose column is named, or by the column the
    request names for it elsewhere ("by the date of shipped_at"); else ``error`` stands."""

    done: _Done
    table: str | None
    error: PlanError
    several: bool = False  # the table's several dates left it open (see :func:`_start_date`)


def rule(d: View) -> list[Claim]:
    """Every date expression of the request, as conditions on a date column."""
    w = Play.of(d)
    text = d.prompt
    pos = 0
    done: list[_Done] = []
    pending: list[_Open] = []
    while True:
        m = _PERIOD.search(text, pos)
        if m is None:
            break
        pos = m.end()
        # noops takes a Draft until its own conversion lands; it reads only the request's text
        if _already_used(w, m.start(), m.end()) or in_example(cast(Any, d), m.start(), m.end()):
            continue  # an illustration ("(e.g. 2024-03-01)") is not a condition
        if example_of_part(text, m.start()):  # "the quarter it was placed in, like 2024-Q1": how it is written
            w.take_free(m.start(), m.end(), shared=True, why="an example of how a date part is written")
            continue
        if m.group("rn_kw") and _ANCHORED.match(text, m.end()):
            continue  # "the last 30 days before 2026-06-01": a span next to that date, not the days before today
        p = _parse(m, d.reference_date)
        if p is None:
            continue
        _handle(w, p, m, done, pending)
        pos = max(pos, p.span[1])
    for o in pending:
        _settle(w, o, done)
    _no_nested(text, done)
    return w.claims


def _no_nested(text: str, done: list[_Done]) -> None:
    """Two ranges on one column, one strictly inside the other ("during 2023 ... (zero for March 2023)"): the
    narrow one is likely a remark about part of the range, not a second condition; ask rather than keep
    only the part."""
    widest: dict[str, _Done] = {}
    for x in done:
        if x.column and x.kind == "range":
            w = widest.get(x.column)
            if w is None or x.end - x.start > w.end - w.start:
                widest[x.column] = x
    for x in done:
        w = widest.get(x.column or "")
        if w is not None and x.kind == "range" and w.start <= x.start <= x.end <= w.end and (x.start, x.end) != (
                w.start, w.end):  # fmt: skip
            raise PlanError(f"'{text[x.cue_start:x.span_end].strip()}' lies inside "
                            f"'{text[w.cue_start:w.span_end].strip()}': keep only that part, or is it a remark?",
                            hint="say the period once (e.g. 'only March 2023'), or put the remark apart")  # fmt: skip


# What may stand between a period and its restatement: "Q3 2024 (1 July to 30 September)",
# "last quarter, i.e. from October 1 up to and including December 31", "the nineties - 1990 to 1999".
_RESTATE_GAP = re.compile(
    r"^\s*(?:\(|\[|,|;|:|-|–|—)?\s*(?:(?:i\.\s?e\.|ie|that\s+is(?:\s+to\s+say)?|namely|meaning|which\s+is|"
    r"in\s+other\s+words)\s*,?\s*)?$",
    re.IGNORECASE,
)


_VALUE_FOR = re.compile(r"\b(?:null|nulls|zero|0|none|nothing|blank|empty|n/a)\s*$", re.IGNORECASE)


def _restates(text: str, prev: _Done | None, cue_start: int) -> bool:
    """The period starting at ``cue_start`` says again, in other words, the one just before it."""
    if prev is None or cue_start < prev.span_end:
        return False
    gap = text[prev.span_end : cue_start]
    return bool(gap.strip()) and _RESTATE_GAP.match(gap) is not None


def _handle(w: Play, first: _Period, m: re.Match[str], done: list[_Done], pending: list[_Open]) -> None:
    text = w.view.prompt
    before = text[: first.span[0]]
    rel_m = _RELATION.search(before)
    rel = re.sub(r"\s+", " ", rel_m.group("rel").lower()) if rel_m else ""
    week_of = rel_m.group("of") if rel_m else None
    cue_start = rel_m.start() if rel_m else first.span[0]
    if rel_m is None and (bw := _BARE_WEEK.search(before)):
        week_of, cue_start = bw.group("of"), bw.start()
    if rel == "over" and not first.relative or rel == "of" and m.group("y") and not week_of and not _UNITS_OF.search(before):
        return  # ("the class of 2024"; but "the months of 2024", "per week of 2023" are periods in it)
    if rel == "for" and rel_m and _VALUE_FOR.search(before[max(0, rel_m.start() - 16) : rel_m.start()]):
        return  # "(zero for March 2023)": what a value is in that period, not which rows
    # a second period joined by to/through/-, or by "and" after "between": a range
    second = None
    j = _RANGE_JOIN.match(text[first.span[1] :])
    if j is not None and (j.group(0).strip().lower() == "and") == (rel == "between"):
        m2 = _PERIOD.match(text, first.span[1] + j.end())
        if m2 is not None and not _already_used(w, m2.start(), m2.end()):
            second = _parse(m2, w.view.reference_date)
    if rel == "between" and second is None:
        return
    if second is not None:
        if not first.has_year and second.has_year and not first.relative:
            first = _with_year(first, second.start.year)
        start, end, span_end = first.start, second.end, second.span[1]
        kind = "outside" if rel.startswith(("not", "outside")) else "range"
        if end < start:
            raise PlanError(f"the date range '{text[first.span[0]:span_end]}' ends before it starts")
    else:
        start, end, span_end = first.start, first.end, first.span[1]
        kind = "since" if rel.startswith(("starting", "beginning")) else _KIND.get(rel, "range")
        lead = _SPAN_LEAD.search(text, max(0, cue_start - 60), cue_start) if kind in ("before", "after") else None
        n = _number(lead.group("n")) if lead else None
        if lead is not None and n:  # "the 30 days before 2026-06-01": a range of that length next to the date
            start, end = _next_to(start, end, n, lead.group("u").lower(), kind)
            kind, cue_start = "range", lead.start()
        if not rel and not week_of and not _bare_ok(text, first, m):
            return
        if not first.has_year and rel.split(" ")[0] not in _YEARLESS_OK:
            return
    if week_of and start == end:
        if week_of == "of":
            start = start - dt.timedelta(days=start.weekday())
        end = start + dt.timedelta(days=6)
    suffix = _SUFFIX.match(text[span_end:])
    if suffix is not None:
        if suffix.group("on"):
            word = suffix.group("on").lower()
            kind = "until" if "earlier" in word or "before" in word else "since"
        span_end += suffix.end()
    prev = done[-1] if done else None
    if prev is not None and _restates(text, prev, cue_start):
        if not (first.has_year or second is not None and second.has_year or first.relative):
            start, end = _shift_years(start, end, prev.start.year - start.year)
        if (start, end, kind) != (prev.start, prev.end, prev.kind):
            raise PlanError(f"'{text[cue_start:span_end].strip()}' does not say the same dates as "
                            f"'{text[prev.cue_start:prev.span_end].strip()}' it follows",
                            hint="give the period once, or make both say the same days")  # fmt: skip
        _take(w, (cue_start, span_end), why=f"restates {start.isoformat()}..{end.isoformat()}")
        prev.span_end = span_end
        return
    try:
        found = _column_for(w, cue_start, text[cue_start:span_end])
    except _Unsettled as u:  # no column next to it: perhaps another period of the same days names one
        if _NEGATED.search(text[:cue_start]):
            raise u.error from None
        item = _Done(start, end, kind, cue_start, span_end)
        done.append(item)
        pending.append(_Open(item, w.base, u.error, u.several))
        return
    if found is None:
        return
    column, col_span, table = found
    if m.group("dec_w") and col_span is None:
        return  # "aged in the forties" is an age: a decade in words dates only a column or event named next to it
    first_word = col_span[0] if col_span else cue_start
    neg = _NEGATED.search(text[:first_word])
    if neg is not None and not _already_used(w, neg.start(), first_word):
        owner = owner_table(w.view.catalog, column)
        no_event = NO_EVENT.search(text[:first_word])
        if w.base is not None and owner.lower() != w.base.lower() and no_event is not None:
            # "members who never borrowed in 2024": no loan in 2024 (not the loans outside 2024)
            neg = no_event
            words = text[neg.start() : span_end]
            use = [w.use(owner)] if owner not in w.in_play() else []
            _take(w, (neg.start(), neg.end()), *use, *anti_join(w.view, owner, words), why="no such event in the period")
            _take(w, (cue_start, span_end), Edit.add("filters", *_conditions(w.view, column, kind, start, end, words)),
                  why=f"the missing {owner} rows' period")  # fmt: skip
            if col_span:
                _take(w, col_span, why="the date column")
            done.append(_Done(start, end, kind, cue_start, span_end, column))
            return
        kind = _OPPOSITE[kind]
        first_word = neg.start()
        _take(w, (neg.start(), neg.end()), why="negates the date condition")
    words = text[first_word:span_end]
    measured = col_span is not None and _measured_before(w, col_span[0])
    if measured:  # "number of terminations in 2024": the words before the period are the measure's too
        words = text[cue_start:span_end]
    if col_span is not None and _GROUP_BETWEEN.search(text, col_span[1], cue_start):  # "hired per year since X"
        words = f"{text[first_word:col_span[1]]} {text[cue_start:span_end]}"  # (the grouping is not the filter's)
        measured = True  # "signups per month in 2024": the noun is the rows counted per month too
    # the table the date's words name, or the one its event verb's column brings in ("customers who ordered in May")
    edits = [w.use(table)] if table is not None and (w.base is None or table not in w.in_play()) else []
    if table is not None and w.base is not None and table != w.base and refers_to(w.catalog, table, w.base):
        edits.append(Edit.add("semi_tables", table))  # "members who borrowed in May": each member once
    _take(w, (cue_start, span_end), *edits, Edit.add("filters", *_conditions(w.view, column, kind, start, end, words)),
          why=f"{kind} {start.isoformat()}..{end.isoformat()}")  # fmt: skip
    if col_span:  # (shared after a measure: "number of terminations in 2024" counts the rows that have one)
        _take(w, col_span, why="the date column", shared=measured)
    done.append(_Done(start, end, kind, cue_start, span_end, column))


def _shift_years(start: dt.date, end: dt.date, years: int) -> tuple[dt.date, dt.date]:
    """``start`` and ``end`` moved by ``years`` (a year-less restatement takes the year of what it restates)."""
    try:
        return start.replace(year=start.year + years), end.replace(year=end.year + years)
    except ValueError:  # 29 February of a year that has none
        return start, end


# "by the date of shipped_at", "using started_at", "based on the signup time": the column a period is on
# (a plain "by X" is not enough: "sorted by ended_at" names an order, not the period's column)
_BY_COLUMN = re.compile(
    r"\b(?:by\s+(?:the\s+|its\s+|their\s+)?(?:date|day|time|timestamp)\s+(?:of|in|from)|"
    r"(?:using|based\s+on|according\s+to|going\s+by)(?:\s+(?:the\s+|its\s+|their\s+)?(?:date|day|time|timestamp)"
    r"\s+(?:of|in|from))?)\s+(?:the\s+)?(?P<col>[A-Za-z_][\w.]*)",
    re.IGNORECASE,
)


@lru_cache(maxsize=16)
def _by_columns(text: str) -> tuple[tuple[Span, str], ...]:
    """The "by the date of X" phrases of a request (scanned once, however many periods ask)."""
    return tuple((m.span(), m.group("col")) for m in _BY_COLUMN.finditer(text))


@lru_cache(maxsize=16)
def _per_words(text: str) -> tuple[str, ...]:
    """The words after "per"/"by"/"for each" in a request (scanned once)."""
    return tuple(dict.fromkeys(g.group("w") for g in _PER.finditer(text)))


def _settle(w: Play, o: _Open, done: list[_Done]) -> None:
    """The column of a period that did not name one: that of a period of the same days and relation whose
    column is named ("memberships that lapsed in 2023 ... an expired_on date in 2023"), or the one date column
    the request names with "by"/"using" ("(by the date of shipped_at)"); else the period's own error."""
    item, text = o.done, w.view.prompt
    words = text[item.cue_start : item.span_end]
    own = [c.name for c in w.catalog.table(o.table).columns if c.family in TEMPORAL_FAMILIES] if o.table else []
    same = {x.column for x in done if x.column and (x.start, x.end, x.kind) == (item.start, item.end, item.kind)
            and (not own or owner_table(w.catalog, x.column) == o.table)}  # its own table's date, if it has any
    if len(same) == 1:  # the verb before it is that column's event here ("lapsed in 2023" ... "an expired_on in 2023")
        col = next(iter(same))
        before = [t for t in w.view.tokens.overlapping(max(0, item.cue_start - 80), item.cue_start)
                  if t.end <= item.cue_start][-1:]  # fmt: skip
        verb = before[0] if before and before[0].kind == "word" and not w.explained(before[0]) and not _function_word(
            before[0].low) else None  # fmt: skip
        _take(w, (verb.start if verb else item.cue_start, item.span_end), why=f"the same period as the one on {col}")
        return
    tables = [t for t in w.in_play() if t == o.table] or w.in_play()
    named: dict[str, Span] = {}
    for span, col_words in _by_columns(text):
        for cm in w.linker.columns(col_words, tables or None)[:1]:
            if cm.score >= 0.85 and w.catalog.table(cm.table).column(cm.column).family in TEMPORAL_FAMILIES:
                named.setdefault(f"{cm.table}.{cm.column}", span)
    if not named and o.several and o.table is not None and _after_read_words(w, item.cue_start) and (
            start := _start_date(w.catalog.table(o.table))) is not None:  # fmt: skip
        # "sessions in May", "accounts in 2024": the date the row's life starts with, as a default that is never a
        # silent pick: the planner's date-column doubt (:mod:`..doubts`) runs each other date and asks if rows differ
        info = w.catalog.table(o.table)
        column = f"{info.name}.{start}"
        family = info.column(start).family
        others = tuple(f"{info.name}.{c.name}" for c in info.columns if c.family == family and c.name != start
                       and not is_birth_date(c.name))  # (a birth date is no event of the rows: "members of 2025")
        doubt = Doubt("date_column", words.strip(), column, others)  # always run: the words did not choose it
        _take(w, (item.cue_start, item.span_end), Edit.add("filters", *_conditions(w.view, column, item.kind,
              item.start, item.end, words)), *([Edit.add("doubts", doubt)] if others else []),
              why=f"{item.kind} on {column}, the date the rows start with")  # fmt: skip
        return
    if len(named) != 1:
        raise o.error
    column, span = next(iter(named.items()))
    _take(w, (item.cue_start, item.span_end), Edit.add("filters", *_conditions(w.view, column, item.kind, item.start,
          item.end, words)), why=f"{item.kind} {item.start.isoformat()}..{item.end.isoformat()} on {column}")  # fmt: skip
    w.take_free(*span, shared=True, why="names the date column of the period")


def _take(w: Play, span: Span, *edits: Edit, why: str, shared: bool = False) -> None:
    """Claim the words overlapping ``span`` ("month's" in "last month's orders") as a row condition."""
    spans = [] if shared else [Edit.add("condition_spans", span)]  # (shared words stay a measure's to read)
    w.take_free(*span, *edits, *spans, why=why, shared=shared)


def _measured_before(w: Play, pos: int) -> bool:
    """A measure word ("number of", "count of", "total") right before ``pos``."""
    before = [t for t in w.view.tokens.overlapping(max(0, pos - 30), pos) if t.end <= pos and t.kind == "word"][-2:]
    return any(word_class(t.low) == "quantifier" for t in before)


_NEGATED = re.compile(r"\b(?:not|never|wasn't|weren't|isn't|aren't|hasn't|haven't|didn't)(?:\s+(?:been|be|yet|ever))*\s+$",
                      re.IGNORECASE)  # fmt: skip
_OPPOSITE = {"range": "outside", "outside": "range", "since": "before", "before": "since", "after": "until",
             "until": "after"}  # fmt: skip
_KIND = {
    "": "range", "in": "range", "during": "range", "within": "range", "for": "range", "from": "range",
    "over": "range", "of": "range", "on": "range", "dated": "range", "between": "range",
    "since": "since", "on or after": "since", "no earlier than": "since", "not before": "since",
    "after": "after", "later than": "after",
    "before": "before", "prior to": "before", "earlier than": "before", "preceding": "before",
    "leading up to": "before", "following": "after",
    "until": "until", "till": "until", "through": "until", "thru": "until", "on or before": "until",
    "no later than": "until", "not after": "until", "up to": "until", "up to and including": "until",
    "not in": "outside", "not during": "outside", "outside": "outside", "outside of": "outside",
}  # fmt: skip


def _bare_ok(text: str, p: _Period, m: re.Match[str]) -> bool:
    """A period without a preposition ("Q1 2024 orders", "last month's sales"): only unambiguous ones."""
    if p.relative or m.group("iso") or m.group("q_n1") or m.group("q_y2") or m.group("q_o") or m.group("h_o"):
        return True
    if m.group("m_y") or m.group("md_y") or m.group("dm_y") or m.group("dr_y") or m.group("mr_y"):
        return True
    if m.group("y"):
        # "2024 orders" / "orders of 2024": a year right before a word, not a number after a comparison
        prev = text[: p.span[0]].split()
        nxt = text[p.span[1] :].lstrip()
        prev_word = prev[-1].lower().strip(",.;:") if prev else ""
        opens = _OPENS.search(text[max(0, p.span[0] - 8) : p.span[0]]) is not None  # "...; 2024 refunds per store"
        return bool(re.match(r"[A-Za-z]", nxt)) and (opens or prev_word in ("", "show", "list", "get", "give", "me",
                                                                            "all", "our", "the", "find", "return",
                                                                            "select"))  # fmt: skip
    return False


_OPENS = re.compile(r"(?:^|[;:(]|\.\s)\s*$")


def _already_used(w: Play, start: int, end: int) -> bool:
    return not w.free(start, end)


#: The length of a span before or after a date: "(in|during|over|within) the [last|first] 30 days | before X".
_SPAN_LEAD = re.compile(r"\b(?:(?:in|during|over|for|from)\s+the|within(?:\s+the)?|the)\s+(?:(?:last|final|past|first|next)\s+)?"
                        r"(?P<n>\d+|[a-z]+)\s+(?P<u>day|week|month|year)s?\s+(?:(?:immediately|right|just)\s+)?$",
                        re.IGNORECASE)  # fmt: skip


_ANCHORED = re.compile(r"\s+(?:(?:immediately|right|just)\s+)?(?:before|prior\s+to|preceding|leading\s+up\s+to|after|"
                      r"following)\b", re.IGNORECASE)


def _next_to(start: dt.date, end: dt.date, n: int, unit: str, kind: str) -> tuple[dt.date, dt.date]:
    """The ``n`` ``unit``s right before ``start`` or right after ``end`` (the day itself not included)."""
    if kind == "before":
        first = start - dt.timedelta(days=n * (7 if unit == "week" else 1)) if unit in ("day", "week") else (
            _add_months(start, -n * (12 if unit == "year" else 1)))
        return first, start - dt.timedelta(days=1)
    last = end + dt.timedelta(days=n * (7 if unit == "week" else 1)) if unit in ("day", "week") else (
        _add_months(end, n * (12 if unit == "year" else 1)))
    return end + dt.timedelta(days=1), last


def _number(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    words = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
             "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "eighteen": 18, "twenty": 20,
             "thirty": 30, "sixty": 60, "ninety": 90}  # fmt: skip
    return words.get(word.lower())


def _month(word: str) -> int:
    return MONTHS[word.lower().rstrip(".")]


def _day(word: str) -> int:
    return int(re.match(r"\d+", word).group())  # type: ignore[union-attr]


def _safe_date(y: int, m: int, day: int, words: str) -> dt.date:
    try:
        return dt.date(y, m, day)
    except ValueError:
        raise PlanError(f"'{words}' is not a valid date") from None


def _parse(m: re.Match[str], ref: dt.date) -> _Period | None:
    """The period a match describes (year-less months and days take the most recent one up to ``ref``)."""
    g = m.group
    span = m.span()
    if g("iso"):
        year, month, day_of_month = (int(x) for x in g("iso").split("-"))
        day = _safe_date(year, month, day_of_month, words=g("iso"))
        return _Period(day, day, span, single_day=True)
    if g("dr_m") or g("mr_m"):
        mon = _month(g("dr_m") or g("mr_m"))
        y_txt = g("dr_y") or g("mr_y")
        d1, d2 = (_day(g("dr_d1") or g("mr_d1")), _day(g("dr_d2") or g("mr_d2")))
        y = int(y_txt) if y_txt else _recent_year(ref, mon, d1)
        return _Period(_safe_date(y, mon, d1, m.group()), _safe_date(y, mon, d2, m.group()), span, bool(y_txt))
    if g("md_m") or g("dm_m"):
        mon = _month(g("md_m") or g("dm_m"))
        day_n = _day(g("md_d") or g("dm_d"))
        y_txt = g("md_y") or g("dm_y")
        y = int(y_txt) if y_txt else _recent_year(ref, mon, day_n)
        day = _safe_date(y, mon, day_n, m.group())
        return _Period(day, day, span, bool(y_txt), single_day=True)
    if g("q_n1") or g("q_n2") or g("q_o"):
        y_txt = g("q_y1") or g("q_y2") or g("q_y3")
        if g("q_o") and g("q_o").lower() == "last" and not y_txt:
            return _relative_period("last", "quarter", ref, span)
        q = int(g("q_n1") or g("q_n2")) if g("q_n1") or g("q_n2") else _ORDINAL[g("q_o").lower()]
        y = int(y_txt) if y_txt else ref.year
        return _Period(dt.date(y, 3 * q - 2, 1), month_end(y, 3 * q), span, bool(y_txt))
    if g("h_o") or g("h_n"):
        half = 1 if (g("h_n") == "1" or (g("h_o") or "").lower() in ("first", "1st")) else 2
        y_txt = g("h_y1") or g("h_y2")
        y = int(y_txt) if y_txt else ref.year
        return _Period(dt.date(y, 6 * half - 5, 1), month_end(y, 6 * half), span, bool(y_txt))
    if g("todate") or g("todate2"):
        unit = {"y": "year", "m": "month", "q": "quarter"}[(g("todate") or g("todate2"))[0].lower()]
        start = _relative_period("this", unit, ref, span).start
        return _Period(start, ref, span, relative=True)
    if g("rn_kw"):
        n = _number(g("rn_n"))
        if n is None:
            return None
        ahead = g("rn_kw").lower() in ("next", "coming", "upcoming")  # "due in the next 30 days": from ref on
        return _rolling(n, g("rn_u").lower().rstrip("s"), ref, span, ahead=ahead)
    if g("r1_kw"):
        if g("r1_kw").lower() in ("next", "coming", "upcoming") and g("r1_u").lower() == "day":
            return None  # "next day orders": a kind of delivery, not tomorrow's rows
        return _relative_period(g("r1_kw").lower(), g("r1_u").lower(), ref, span)
    if g("today"):
        day = ref if g("today").lower() == "today" else ref - dt.timedelta(days=1)
        return _Period(day, day, span, relative=True, single_day=True)
    if g("m_m"):
        mon = _month(g("m_m"))
        y = int(g("m_y")) if g("m_y") else _recent_year(ref, mon, 1)
        return _Period(*_month_range(y, mon), span, has_year=bool(g("m_y")))
    if g("y"):
        y = int(g("y"))
        return _Period(dt.date(y, 1, 1), dt.date(y, 12, 31), span)
    if g("dec") or g("dec_w"):  # "the 1990s", "the seventies" (a decade named in words is of the 1900s)
        y = int(g("dec")) if g("dec") else 1900 + 10 * _DECADES.index(g("dec_w").lower()[:3]) + 30
        return _Period(dt.date(y, 1, 1), dt.date(y + 9, 12, 31), span)
    return None


_DECADES = ("thi", "for", "fif", "six", "sev", "eig", "nin")


def _month_range(y: int, mon: int) -> tuple[dt.date, dt.date]:
    return dt.date(y, mon, 1), month_end(y, mon)


def _recent_year(ref: dt.date, mon: int, day: int) -> int:
    """The year of the most recent (month, day) on or before ``ref``."""
    return ref.year if (mon, day) <= (ref.month, ref.day) else ref.year - 1


def _with_year(p: _Period, year: int) -> _Period:
    return _Period(p.start.replace(year=year), p.end.replace(year=year), p.span, True, p.relative, p.single_day)


def _add_months(day: dt.date, months: int) -> dt.date:
    idx = day.year * 12 + day.month - 1 + months
    y, mo = divmod(idx, 12)
    return dt.date(y, mo + 1, min(day.day, month_end(y, mo + 1).day))


def _rolling(n: int, unit: str, ref: dt.date, span: tuple[int, int], ahead: bool = False) -> _Period:
    """The last ``n`` units up to ``ref``: from ``ref - n units`` to ``ref`` inclusive (``ahead``: the next ``n``
    units from ``ref``, to ``ref + n units`` inclusive)."""
    sign = 1 if ahead else -1
    if unit in ("day", "week"):
        other = ref + sign * dt.timedelta(days=n * (7 if unit == "week" else 1))
    else:
        other = _add_months(ref, sign * n * {"month": 1, "quarter": 3, "year": 12}[unit])
    return _Period(ref, other, span, relative=True) if ahead else _Period(other, ref, span, relative=True)


def _relative_period(kw: str, unit: str, ref: dt.date, span: tuple[int, int]) -> _Period:
    """this/current = the calendar period holding ``ref``; last/previous/prior = the one before; next/coming/upcoming
    = the one after; past = rolling."""
    if kw in ("past", "trailing", "recent"):
        return _rolling(1, unit, ref, span)
    back = 0 if kw in ("this", "current") else -1 if kw in ("next", "coming", "upcoming") else 1
    if unit == "day":
        day = ref - dt.timedelta(days=back)
        return _Period(day, day, span, relative=True, single_day=True)
    if unit == "week":
        start = ref - dt.timedelta(days=ref.weekday() + 7 * back)
        return _Period(start, start + dt.timedelta(days=6), span, relative=True)
    if unit == "month":
        start = _add_months(ref.replace(day=1), -back)
        return _Period(start, month_end(start.year, start.month), span, relative=True)
    if unit == "quarter":
        start = _add_months(dt.date(ref.year, 3 * ((ref.month - 1) // 3) + 1, 1), -3 * back)
        return _Period(start, month_end(*(_add_months(start, 2).year, _add_months(start, 2).month)), span,
                       relative=True)  # fmt: skip
    y = ref.year - back
    return _Period(dt.date(y, 1, 1), dt.date(y, 12, 31), span, relative=True)


# ------------------------------------------------------------------------------------------------
# which column


def _column_for(w: Play, cue_start: int, words: str) -> tuple[str, Span | None, str | None] | None:
    """The date column the condition is about, the span of the words naming it, and the table those words
    name when there is no base yet (None: not a date condition)."""
    d = w.view
    items = [t for t in d.tokens.items if t.end <= cue_start]
    i = _before_grouping(items, _skip_back(items, len(items)))
    tables = w.in_play()
    found = _named_column(w, items, i, words)
    if found is None and i > 1 and _lemma(items[i - 1].low) in _LINKING_VERBS:  # "whose end date falls in 2024"
        found = _wider(_named_column(w, items, i - 1, words), items[i - 1].end)
    if found is not None:
        return found or None
    verb_span = (items[i - 1].start, items[i - 1].end) if i > 0 and items[i - 1].low in _EVENT_VERBS else None
    if i > 0 and items[i - 1].kind == "word" and not w.explained(items[i - 1]):  # a verb, not a table's name
        verb = items[i - 1]
        by_verb = verb_column(d, verb.low, tables)
        if by_verb is None and not _function_word(verb.low) and verb.low not in _PARTICLES and tables:
            by_verb = date_by_stem(d, verb.low, tables)  # "invoices due next month": the due date's own word
        if by_verb is None and i > 1 and items[i - 2].kind == "word" and not w.explained(items[i - 2]):
            by_verb = verb_column(d, items[i - 2].low, tables)  # "checked out", "logged off"
            if by_verb is not None and _words_of(w, items, i, split_column(w.catalog, by_verb)[1]) is not None:
                return by_verb, (items[i - 2].start, verb.end), None
            by_verb = None
        if by_verb is not None:
            light = i > 1 and items[i - 2].kind == "word" and _lemma(items[i - 2].low) in _LIGHT_VERBS
            return by_verb, (items[i - 2].start if light else verb.start, verb.end), None  # "take effect": one verb
        elsewhere = _event_elsewhere(w, verb.low)
        if elsewhere is not None:
            column, refers = elsewhere
            if not refers and not _NEGATED.search(d.prompt[: verb.start]) and not _events_of_rows(w, column, verb):
                raise PlanError(f"'{verb.text} {words.strip()}': the date of {column}, on which rows?",
                                hint=f"name the table whose rows you want, or the date, e.g. "
                                     f"'{column.split('.', 1)[1].replace('_', ' ')} in 2024'")  # fmt: skip
            return column, (verb.start, verb.end), owner_table(w.catalog, column)
    counted = _counted_before(w, items, i, words)
    if counted is not None:
        return counted
    if i == 0 or items[i - 1].kind == "punct":  # "2024 refunds by week": the period dates the words after it
        ahead = _dated_ahead(w, cue_start + len(words), words) or _rows_of_groups(w, words)
        if ahead is not None:
            return ahead
    if w.base is None:
        raise _Unsettled(PlanError(f"'{words}': which table's date?", hint="name the table or the date column"))
    if _after_group_of_base(w, items, i):  # "total fare per driver in 2024": the trips of 2024
        grouped = _rows_of_groups(w, words, own_date_too=True)
        if grouped is not None:
            return grouped
        if items[i - 2].low not in ("each", "every") or _MEASURE_WORD.search(d.prompt):
            # ("for every appointment in March, show ...": no measure, those rows in March by their own date)
            raise _Unsettled(PlanError(f"'{words.strip()}': the date of which rows, the {w.base} themselves or the "
                                       f"rows measured per {items[i - 1].text}?", hint="name the date column, or "
                                       "the table of the rows measured ('the sales of 2024 per store')"))  # fmt: skip
    at = i - 2 if i > 1 and items[i - 1].low in _PARTICLES else i - 1  # "rang up in 2024": the verb before "up"
    if at >= 0 and _unread_verb(w, items[at]) and len(tables) > 1:
        # "doctors and how many patients they saw in December 2024": an event of other rows, not the doctors'
        raise _Unsettled(PlanError(f"'{d.prompt[items[at].start : items[i - 1].end]} {words.strip()}': the date of which rows?",
                                   hint="name the date column, e.g. 'scheduled in December 2024'"))  # fmt: skip
    col = _main_date(d.catalog.table(w.base), words)
    if col is None:
        raise _Unsettled(PlanError(f"'{words}': {w.base} has no date column to compare with",
                                   hint="name the date column, e.g. 'created in 2024'"))  # fmt: skip
    if verb_span is None:
        verb_span = _words_of(w, items, i, col)
    if verb_span is None and at >= 0 and _unread_verb(w, items[at]) and is_participle(items[at].low) and _event_rows(
            d.catalog, w.base):  # fmt: skip
        verb_span = (items[at].start, items[i - 1].end)  # "fines written in 2025": the one date's event
    return f"{w.base}.{col}", verb_span, None


def _event_rows(catalog: Catalog, table: str) -> bool:
    """Whether a table's rows are events of their own: one date, and no table's rows refer to them (a product can be
    sold, a teacher can teach pupils, on other rows' dates; a fine, a payment, a reading cannot)."""
    info = catalog.table(table)
    if sum(c.family in TEMPORAL_FAMILIES for c in info.columns) != 1:
        return False
    return not any(refers_to(catalog, t.name, info.name) for t in catalog.tables.values() if t.name != info.name)


#: a measure said after the rows it measures ("match count", "order total", "booking volume")
_COUNT_NOUNS = frozenset({"count", "counts", "total", "totals", "number", "numbers", "volume", "volumes", "tally"})


def _counted_before(w: Play, items: list[Token], i: int, words: str) -> _Found | None:
    """"top players by match count in 2024": the period right after "<rows> count" dates those rows (the
    matches), not the base's (the players')."""
    if i < 2 or items[i - 1].low not in _COUNT_NOUNS or items[i - 2].kind != "word":
        return None
    hits = [m.table for m in w.linker.tables(items[i - 2].text)[:1] if m.score >= 0.9]
    if not hits or hits[0] == w.base:
        return None
    col = main_date_column(w.catalog.table(hits[0]), words)
    return (f"{hits[0]}.{col}", None, hits[0] if w.base is None else None) if col else None


def _skip_back(items: list[Token], i: int) -> int:
    while i > 0 and items[i - 1].low in _SKIP_BEFORE:
        i -= 1
    return i


#: A time grouping between an event and its period ("patients registered per month in 2025", "hired each
#: year since 2020"): the grouping is by the same date, so the words before it say which.
_GROUP_UNITS = frozenset({"day", "week", "month", "quarter", "year"})
_GROUP_LEADS = frozenset({"per", "each", "every", "by"})
_GROUP_BETWEEN = re.compile(r"\b(?:per|each|every|by)\b", re.IGNORECASE)


def _before_grouping(items: list[Token], i: int) -> int:
    """``i`` moved back over one time grouping ending there ("per month", "in each week"), and the grammar
    words before it."""
    if i > 1 and items[i - 1].low in _GROUP_UNITS and items[i - 2].low in _GROUP_LEADS:
        i -= 2
        if i > 0 and items[i - 1].low in ("in", "for") and items[i].low in ("each", "every"):
            i -= 1
        return _skip_back(items, i)
    return i


def event_before(d: Draft | View, pos: int, tables: list[str]) -> tuple[str, Span] | None:
    """The date column an event verb names right before a time grouping whose unit starts at ``pos`` ("orders shipped
    | per week" → orders.shipped_date, "staff hired | each year" → hire_date, "members who signed on | per
    month"), and the verb's words: the grouping is by the date of that event, not by the table's main date.

    Only an inflected verb (a past participle or past tense: "shipped", "hired", "registered", "checked in")
    whose stem names exactly one date column of the first of ``tables`` that has one."""
    items = [t for t in d.tokens.items if t.end <= pos]
    i = len(items)
    if i > 0 and items[i - 1].low in _GROUP_LEADS:  # the grouping word itself
        i -= 1
        if i > 0 and items[i - 1].low in ("in", "for") and items[i].low in ("each", "every"):
            i -= 1
    i = _skip_back(items, i)
    for n in (1, 2):  # "shipped", "checked in" (the verb before its particle)
        if i - n < 0 or any(t.kind != "word" for t in items[i - n : i]):
            return None
        verb = items[i - n]
        if verb.low.endswith("ed") or verb.low in _IRREGULAR:
            col = verb_column(d, _IRREGULAR.get(verb.low, verb.low), tables)
            if col is not None and (n == 1 or items[i - 1].low in _PARTICLES):
                return col, (verb.start, items[i - 1].end)
    return None


_PARTICLES = frozenset({"up", "out", "in", "off", "on", "back", "down", "over"})


def _dated_ahead(w: Play, at: int, words: str) -> _Found | None:
    """A period opening its clause and the base's date unsure (several, or none): the table in play the next
    word names, or the one whose column it names ("2023 premium income" → the premium column's table), when
    that table has one main date."""
    base_date = None
    if w.base is not None:
        try:
            base_date = main_date_column(w.catalog.table(w.base), words)
        except PlanError:
            pass
    if base_date is not None:
        return None
    nxt = [t for t in w.view.tokens.overlapping(at, at + 80) if t.start >= at][:1]
    if not nxt or nxt[0].kind != "word" or _function_word(nxt[0].low):
        return None
    tables = [m.table for m in w.linker.tables(nxt[0].text)[:1] if m.score >= 0.9 and m.table in w.in_play()]
    tables += [m.table for m in w.linker.columns(nxt[0].text, w.in_play())[:1] if m.score >= 0.85]
    for table in tables[:1]:
        if table == w.base:
            return None
        try:
            col = main_date_column(w.catalog.table(table), words)
        except PlanError:
            return None
        if col is not None:
            return f"{table}.{col}", None, None
    return None


_PER = re.compile(r"\b(?:per|by|for\s+each|for\s+every|each)\s+(?:the\s+)?(?P<w>[A-Za-z_]\w*)", re.IGNORECASE)


#: words that ask for a measure per group ("revenue for each customer in 2024" groups the customers)
_MEASURE_WORD = re.compile(r"\b(?:total|totals|sum|average|avg|mean|count|number\s+of|how\s+many|how\s+much|revenue|"
                           r"spend|spent|median|max(?:imum)?|min(?:imum)?)\b", re.I)  # fmt: skip


def _after_group_of_base(w: Play, items: list[Token], i: int) -> bool:
    """Whether the words before a period (ending at ``i``) are a grouping by the base table ("per driver",
    "for each depot"): the period then dates the rows counted per group, not the groups."""
    if i < 2 or w.base is None or items[i - 2].low not in _GROUP_LEADS or items[i - 1].kind != "word":
        return False
    return any(m.table == w.base and m.score >= 0.9 for m in w.linker.tables(items[i - 1].text)[:1])


_MEASURE_LOOKBACK = 8  # words before a grouping looked through for what is measured


def _measured_children(w: Play, base: str) -> list[str]:
    """The tables referring to ``base`` that the words before the request's first "per/by/each" name
    ("total trip fare per driver" → trips). A column's name is not enough: "fee per doctor" may be
    the doctor's own fee."""
    prompt = w.view.prompt
    lead = _PER.search(prompt)
    if lead is None:
        return []
    kids = [t.name for t in w.catalog.tables.values() if any(fk.ref_table.lower().split(".")[-1] == base.lower()
                                                     for fk in t.foreign_keys)]  # fmt: skip
    found: set[str] = set()
    words = [t for t in w.view.tokens.items if t.end <= lead.start() and t.kind == "word"][-_MEASURE_LOOKBACK:]
    for t in words:
        if _function_word(t.low):
            continue
        found |= {m.table for m in w.linker.tables(t.text)[:1] if m.score >= 0.9 and m.table in kids}
    return sorted(found)


def _rows_of_groups(w: Play, words: str, *, own_date_too: bool = False) -> _Found | None:
    """A period opening the request when the base is only what the rows are grouped by ("For 2023, per store:
    the total of its sales"), and its own date is unsure: the date of the one table in play that refers to
    the base (the rows counted per group), when it has one. With ``own_date_too`` (the period right after
    the grouping: "sales per store in 2023"), also when the base has a date of its own."""
    base = w.base
    if base is None or (len(w.tables) < 1 and not own_date_too):
        return None
    try:
        if main_date_column(w.catalog.table(base), words) is not None and not own_date_too:
            return None
    except PlanError:
        pass
    if not any(m.table == base and m.score >= 0.9 for g in _per_words(w.view.prompt)
               for m in w.linker.tables(g)[:1]):  # fmt: skip
        return None
    children = [t for t in w.tables if any(fk.ref_table.lower().split(".")[-1] == base.lower()
                                           for fk in w.catalog.table(t).foreign_keys)]  # fmt: skip
    if own_date_too and not children:
        children = _measured_children(w, base)
    if len(children) != 1:
        return None
    try:
        col = main_date_column(w.catalog.table(children[0]), words)
    except PlanError:
        return None
    return (f"{children[0]}.{col}", None, None) if col else None


def _main_date(table: TableInfo, words: str) -> str | None:
    """:func:`main_date_column`, its question kept for :func:`_settle`."""
    try:
        return main_date_column(table, words)
    except PlanError as e:
        raise _Unsettled(e, several=True) from None


def _after_read_words(w: Play, pos: int) -> bool:
    """The period follows words the request has read (a table's name, a value): not a verb or noun of its own
    that no date matched ("members that lapsed in 2022": lapsed is no start), nor the opening of the request."""
    before = [t for t in w.view.tokens.overlapping(max(0, pos - 80), pos) if t.end <= pos][-2:]
    if not before or before[-1].kind != "word":
        return False
    if len(before) == 2 and _PER_UNIT.fullmatch(f"{before[0].low} {before[-1].low}"):
        return True  # "new members each month of 2025": the rows grouped by a period of their date
    return w.explained(before[-1]) or bool(w.linker.tables(before[-1].text))


_PER_UNIT = re.compile(r"(?:each|every|per|by|a)\s+(?:day|week|month|quarter|year)s?")


def _start_date(table: TableInfo) -> str | None:
    """Among a table's several dates, the one that starts the row's life, when exactly one does."""
    starts = [c.name for c in table.columns if c.family in TEMPORAL_FAMILIES and _START.search(c.name)]
    return starts[0] if len(starts) == 1 else None


#: the name of the date a row's life starts with (its creation, opening, start)
_START = re.compile(r"(?:^|_)(?:start(?:ed|s)?|begin|began|begun|open(?:ed)?|creat(?:ed|ion)|issued?|sign(?:ed)?_?up|"
                    r"registered|registration|launch(?:ed)?|placed|join(?:ed)?|enrolled|hired?)(?:_|$)", re.I)  # fmt: skip


def _words_of(w: Play, items: list[Token], i: int, column: str) -> Span | None:
    """The one or two free words before the period that say its column's event ("checked in" → checked_in_at)."""
    for n in (2, 1):
        words = items[i - n : i] if i - n >= 0 else []
        if words and all(t.kind == "word" and not w.explained(t) for t in words):
            stems = [_stem(_IRREGULAR.get(t.low, t.low)) for t in words]
            if all(_names_event(s, column) for s in stems):
                return words[0].start, words[-1].end
    return None


class _Unsettled(Exception):  # noqa: N818 - control flow inside this module, never raised out of it
    """No column next to the period, and its table has several dates (or none): ``error`` unless another
    period or the request's words settle it (:func:`_settle`)."""

    def __init__(self, error: PlanError, several: bool = False) -> None:
        super().__init__(error.message)
        self.error = error
        self.several = several  # the table has several dates: the one its rows start with may be the default


# Verbs that only carry the event of the noun right after them ("rules that take effect" → effective_date):
# the verb and the noun are one event.
_LIGHT_VERBS = frozenset({"take"})
# Verbs that only place a date in a period ("the renewal date falls in May"), compared as lemmas.
_LINKING_VERBS = frozenset({"fall", "lie", "land"})
# Words after a column's name that say it is a date, not another column ("an archived_on date in 2024").
_DATE_NOUNS = frozenset({"date", "dates", "day", "time", "timestamp"})


def _lemma(word: str) -> str:
    lemmas = getLemma(word, upos="VERB")
    return lemmas[0] if lemmas else word


_Found = tuple[str, Span | None, str | None]
# A table named after these words is what the rows are grouped by, not what the period dates.
_GROUPING = frozenset({"per", "each", "every", "by"})
# Relations that only a time can have ("during 1999"; "over 2024", "between 1990 and 2010" may be amounts).
_TEMPORAL_CUE = re.compile(r"\s*(?:during|within|in|for|of)\b", re.IGNORECASE)


def _wider(found: _Found | Literal[False] | None, end: int) -> _Found | Literal[False] | None:
    """``found`` with the span of the words naming its column reaching ``end``."""
    if not found or found[1] is None:
        return found
    return found[0], (found[1][0], end), found[2]


def _named_column(w: Play, items: list[Token], i: int, words: str) -> _Found | Literal[False] | None:
    """The date column (or table) the words ending at ``items[i - 1]`` name; False: they name a number column
    (not a date condition); None: they name none."""
    found = _named_column_at(w, items, i, words)
    if found is None and i > 1 and items[i - 1].low in _DATE_NOUNS:  # "an archived_on date": the name before "date"
        found = _wider(_named_column_at(w, items, i - 1, words), items[i - 1].end)
    return found


def _named_column_at(w: Play, items: list[Token], i: int, words: str) -> _Found | Literal[False] | None:
    d = w.view
    tables = w.in_play()
    for n in (3, 2, 1):
        if i - n < 0 or any(t.kind != "word" for t in items[i - n : i]) or n > 1 and _function_word(items[i - n].low):
            continue
        if n > 1 and word_class(items[i - n].low) in ("quantifier", "ordering"):
            continue  # "number of terminations in 2024", "last order date in 2024": a measure or an order, never a
            #           word of the date's name
        span = (items[i - n].start, items[i - 1].end)
        phrase = d.prompt[span[0] : span[1]]
        inner = [t.low for t in items[i - n + 1 : i]]  # "visits that begin": a table, then a verb, not a table
        # "count visits per clinic in 2024": the period is the visits', not the clinics'
        grouped = any(t.low in _GROUPING for t in items[max(0, i - n - 1) : i])
        for tm in d.linker.tables(phrase)[:1] if not any(_function_word(w) for w in inner) and not grouped else ():
            if tm.score >= 0.9 and _covers(tm.text, phrase):
                # "completed visits in 2024" where only appointments have the status: the appointments' date
                table = _rows_named(d, tm.table, phrase)
                col = _main_date(d.catalog.table(table), words)
                if col is not None:
                    return f"{table}.{col}", None, table
        for cm in d.linker.columns(phrase, tables or None)[:1]:
            if not _covers(cm.text, phrase) or cm.score < 0.75:
                continue
            info = d.catalog.table(cm.table).column(cm.column)
            if info.family in TEMPORAL_FAMILIES:
                return f"{cm.table}.{cm.column}", _without_table_word(d, items[i - n : i], cm.table, span), cm.table
            if info.family in NUMERIC_FAMILIES and cm.score >= 0.85 and not _TEMPORAL_CUE.match(words):
                return False  # "amount between 1990 and 2010": a number, not a date ("weight during 1999" is)
    return None


def _without_table_word(d: View, words: list[Token], table: str, span: Span) -> Span:
    """``span`` without a first word that names the column's table ("employees hired" → "hired"): the table's
    name is the rows counted or listed ("number of employees hired in 2023"), not the date's."""
    if len(words) > 1 and any(m.table == table and m.score >= 0.9 for m in d.linker.tables(words[0].text)[:1]):
        return words[1].start, span[1]
    return span


def _rows_named(d: View, table: str, phrase: str) -> str:
    """The table whose rows ``phrase`` names: ``table`` (what the words link to), or the other table the sources
    step read them as ("resolved visits": the rows of the table whose status is 'resolved', not the table
    "visit" is a synonym of; see :func:`.sources.rows_of_another`)."""
    found = list(d.mentions)
    return next((t for i, m in enumerate(found) if m.text.strip().lower() == phrase.strip().lower()
                 and (t := rows_of_another(d, found, i)) is not None), table)  # fmt: skip


_IRREGULAR = {"began": "begin", "begun": "begin", "made": "make", "sent": "send", "paid": "pay", "sold": "sell",
              "bought": "buy", "left": "leave", "went": "go", "won": "win", "lost": "lose", "set": "set",
              "shut": "shut", "started": "start", "kicked": "kick"}  # fmt: skip


def _stem(word: str) -> str:
    """A crude stem that makes verb forms meet column-name words: started/starting/start → start,
    opened → open, shipped → ship, closing/closed/close → clos, creation/created → creat."""
    w = _IRREGULAR.get(word.lower(), word.lower())
    for suffix in ("ment", "ing", "ion", "ed", "es", "s", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouls":
        w = w[:-1]
    return w


def verb_column(d: Draft | View, word: str, tables: list[str] | None = None) -> str | None:
    """"sessions that started in May" → started_at: the one date column of the tables in play (base first;
    ``tables`` when given) that has a word with the verb's stem."""
    tables = in_play(d) if tables is None else tables
    if word in STOPWORDS and not any(word in c.name.lower().split("_") for t in tables for c in d.catalog.table(t).columns
                                     if c.family in TEMPORAL_FAMILIES):  # "done" is filler, unless done_on is there
        return None
    if word in _FUNCTION or len(word) < 4:
        return None
    stem = _stem(word)
    for table in tables:
        info = d.catalog.table(table)
        hits = [c.name for c in info.columns if c.family in TEMPORAL_FAMILIES and _names_event(stem, c.name)]
        if len(hits) == 1:
            return f"{table}.{hits[0]}"
        if hits:
            return None
    return None


def _names_event(stem: str, column: str) -> bool:
    """A word of ``column`` is the event of ``stem``: the same stem, or one that starts with it when it is long
    enough to be a word of its own ("expired" → expiry_date, "renewed" → renewal_on)."""
    stems = {_stem(p) for p in re.split(r"[_\W]+", column.lower()) if p and p not in _GENERIC_TIME}
    return stem in stems or len(stem) >= 5 and any(s.startswith(stem) for s in stems)


def _event_elsewhere(w: Play, word: str) -> tuple[str, bool] | None:
    """The one date column of the whole catalog named after the event ``word``, when the tables in play have none
    and one of them refers to its table ("invoices of customers who joined in 2024" → customers.joined_on).

    ``refers``: a table the rows in play refer to (many to one), whose join keeps one row per row in play. A table
    that refers to them ("members who borrowed in May") would repeat each member once per loan: read only when the
    verb is said of the rows (:func:`_events_of_rows`, a semi join), else asked."""
    if word in _FUNCTION or word in STOPWORDS or word in _EVENT_VERBS or len(word) < 4 or not w.in_play():
        return None
    stem = _stem(word)
    hits = [f"{t.name}.{c.name}" for t in w.catalog.tables.values() for c in t.columns
            if c.family in TEMPORAL_FAMILIES and _names_event(stem, c.name)]  # fmt: skip
    if len(hits) != 1:
        return None
    table = owner_table(w.catalog, hits[0])
    refers = any(fk.ref_table.lower().split(".")[-1] == table.lower()
                 for t in w.in_play() for fk in w.catalog.table(t).foreign_keys)  # fmt: skip
    return hits[0], refers


#: a relative pronoun right before an event verb: "members that borrowed", "pupils who enrolled"
_RELATIVE = re.compile(r"(?:\b(?:who|that|which)\s+(?:(?:have|has|had|all|each|were|was|are|is|got|been)\s+){0,2}|\bhow\s+many\s+(?:distinct\s+|unique\s+|"
                       r"different\s+)?[A-Za-z_]\w*\s+)$", re.IGNORECASE)  # fmt: skip


def _events_of_rows(w: Play, column: str, verb: Token) -> bool:
    """"members who borrowed in May": the event's table refers to the rows in play, and the verb is said of them
    (after who/that, or "how many members borrowed"): the rows with such an event in the period, each once (a semi join, see ``draft._semi_join``)."""
    table = owner_table(w.catalog, column)
    return w.base is not None and refers_to(w.catalog, table, w.base) and bool(
        _RELATIVE.search(w.view.prompt, back(verb.start), verb.start))  # fmt: skip


_GENERIC_TIME = frozenset({"time", "date", "timestamp", "datetime", "day", "at", "on", "moment", "ts", "dt", "the",
                           "their", "its", "his", "her", "each", "of", "when"})  # fmt: skip


#: the words that make an event's word a date ("start *time*", "issue *date*"; see :func:`date_by_stem`)
TIME_WORDS = frozenset({"time", "date", "day", "timestamp", "datetime", "moment"})


def date_by_stem(d: Draft | View, phrase: str, tables: list[str] | None = None) -> str | None:
    """ "start time" → started_at, "creation date" → created_at, "signup time" → signup_date: the one date
    column (tables in play first) whose name has the stems of the phrase's words other than time/date."""
    words = [w for w in re.findall(r"[a-z]+", phrase.lower()) if w not in _GENERIC_TIME]
    if not words or len(words) > 2:
        return None
    stems = {_stem(w) for w in words}
    for table in tables or in_play(d):
        info = d.catalog.table(table)
        hits = [c.name for c in info.columns if c.family in TEMPORAL_FAMILIES
                and stems <= {_stem(p) for p in re.split(r"[_\W]+", c.name) if p}]  # fmt: skip
        if len(hits) == 1:
            return f"{info.name}.{hits[0]}"
    return None


_FUNCTION = frozenset({"date", "dates", "time", "day", "days", "year", "years", "month", "months", "week", "weeks",
                       "only", "all", "any", "each", "every", "last", "first"})  # fmt: skip


def _unread_verb(w: Play, t: Token) -> bool:
    """``t`` is a verb no recognizer read ("saw", "visited"), not a word of the schema: the event it says may
    be another table's rows."""
    if t.kind != "word" or w.explained(t) or _function_word(t.low) or t.low in _EVENT_VERBS:
        return False
    if w.linker.tables(t.text)[:1] or any(c.score >= 0.85 for c in w.linker.columns(t.text)[:1]):
        return False
    return getLemma(t.low, upos="VERB")[0] != t.low or t.low.endswith("ed")


def _function_word(word: str) -> bool:
    return word in STOPWORDS or word in _SKIP_BEFORE or word in _NOT_WORDS or word.endswith("n't")


def _covers(found: str, phrase: str) -> bool:
    """The linker's match covers the whole phrase (not just one word of it)."""
    return found.strip().lower() == phrase.strip().lower() or len(phrase.split()) == 1


def main_date_column(table: TableInfo, words: str) -> str | None:
    """The table's date: its only date/timestamp column, or the one named after the table or 'date'."""
    temporal = [c.name for c in table.columns if c.family in TEMPORAL_FAMILIES]
    if len(temporal) <= 1:
        return temporal[0] if temporal else None
    stems = {table.name.lower(), table.name.lower().rstrip("s"), re.sub(r"ies$", "y", table.name.lower())}
    for test in (lambda c: any(s in c.lower() for s in stems), lambda c: "date" in c.lower().split("_")):
        hits = [c for c in temporal if test(c)]
        if len(hits) == 1:
            return hits[0]
    raise PlanError(
        f"'{words.strip()}': which date of {table.name}? ({', '.join(temporal)})",
        hint=f"name the column, e.g. '{temporal[0].replace('_', ' ')} in 2024'",
    )


def _conditions(d: Draft | View, column: str, kind: str, start: dt.date, end: dt.date, words: str) -> list[Condition]:
    table, col = split_column(d.catalog, column)
    family = d.catalog.table(table).column(col).family
    s, e, e1 = start.isoformat(), end.isoformat(), (end + dt.timedelta(days=1)).isoformat()
    prov = words.strip()
    if family == "timestamp":
        if kind == "range":
            return [Filter(column=column, operator=">=", value=s, provenance=prov),
                    Filter(column=column, operator="<", value=e1, provenance=prov)]  # fmt: skip
        if kind == "outside":
            return [AnyOf(any_of=[Filter(column=column, operator="<", value=s),
                                  Filter(column=column, operator=">=", value=e1)], provenance=prov)]  # fmt: skip
        bounds: dict[str, tuple[Operator, str]] = {"since": (">=", s), "after": (">=", e1), "before": ("<", s),
                                                   "until": ("<", e1)}  # fmt: skip
        op, val = bounds[kind]
        return [Filter(column=column, operator=op, value=val, provenance=prov)]
    if kind == "range":
        if s == e:
            return [Filter(column=column, operator="=", value=s, provenance=prov)]
        return [Filter(column=column, operator="between", value=[s, e], provenance=prov)]
    if kind == "outside":
        return [Filter(column=column, operator="not_between", value=[s, e], provenance=prov)]
    day_bounds: dict[str, tuple[Operator, str]] = {"since": (">=", s), "after": (">", e), "before": ("<", s),
                                                   "until": ("<=", e)}  # fmt: skip
    op, val = day_bounds[kind]
    return [Filter(column=column, operator=op, value=val, provenance=prov)]
