"""Words that other claims already explain: a phrase glossed by an explicit condition, "right now" on a state.

Four rules; none changes the spec — they only say which
further words are accounted for, so that the leftover check does not refuse the request for them:

- :func:`glosses` — a descriptor followed by a parenthesis that states its condition in the
  warehouse's own terms: "Japanese users (users.country = 'JP')", "long calls (duration_sec > 600)".
  When every word inside the parenthesis was claimed and it holds a comparison, the one to three
  free words right before it are what the condition defines; they are claimed with no edit.
  Nothing else is glossed: a number, a quoted value or a negation before the parenthesis is
  never taken, and a parenthesis with a free word inside glosses nothing. A parenthesis that only
  names the column of the value right before it ("Porto (their city)"), a value a row condition
  reads, says that column again: its words are claimed with no edit.
- :func:`present_time` — "right now", "currently", "at the moment", "as of today" on a request
  that keeps rows by a condition: a table holds the current state of its rows, so these words
  add nothing to the condition. They are only claimed when some row condition was planned and
  no date comparison was (with one, "now" may be its bound, so it is left to the date recognizers
  and, if unused, refused; a NULL test on an end date is no bound).
- :func:`emphasis` — "at all", "even once", "a single time" right after the words of a planned anti join
  ("products not ordered even once"): they stress that no related row exists, and change nothing.
- :func:`echoes` — runs last: a free word whose lemma is a word of a name the request itself
  gives an output ("When does each lease end? ... lease_ends_on", "How long do they
  take to pay? ... days_to_pay") is explained by that output. Only names the request defines
  (a derived column, a measure's alias, a window) count, never a warehouse column; numbers,
  quoted values, negations and comparisons are never echoes ("did not order ... as not_ordered"
  keeps "not" for a recognizer to read, or the request is refused).
"""

from __future__ import annotations

import bisect
import itertools
import re

from datamorph.planner.claims import Claim, View, claim
from datamorph.planner.lexicon import STOPWORDS, lemmas, split_identifier
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.meaning import word_class
from datamorph.planner.refs import column_refs
from datamorph.planner.text import Token
from datamorph.spec import Condition

_NEVER_ECHOED = frozenset({"negation", "comparison"})
_PAREN = re.compile(r"\(([^()]{1,200})\)")
_COMPARISON = frozenset({"=", "==", "!=", "<>", ">", "<", ">=", "<="})
_MAX_GLOSSED = 3

_PRESENT = re.compile(
    r"\b(?:right\s+now|just\s+now|as\s+of\s+(?:now|today)|at\s+(?:the\s+)?(?:moment|present)|currently|"
    r"presently|nowadays|these\s+days|now)\b",
    re.IGNORECASE,
)


def glosses(d: View) -> list[Claim]:
    """Claim the descriptor words a parenthesised explicit condition defines (see the module docstring)."""
    out: list[Claim] = []
    for m in _PAREN.finditer(d.prompt):
        inner = [t for t in d.tokens.overlapping(m.start(1), m.end(1)) if t.kind != "punct"]
        if not inner or not any(t.text in _COMPARISON for t in inner):
            continue
        if any(not t.used for t in inner if t.kind != "op"):
            continue  # part of the parenthesis was not understood: it defines nothing yet
        words = _descriptor(d, m.start())
        if words:
            out.append(claim(words[0].start, words[-1].end, why=f"defined by the condition {m.group(0)!r}"))
    return out + _value_glosses(d)


def _value_glosses(d: View) -> list[Claim]:
    """"Oslo (the city of their warehouse)", "gold members (their tier)": a parenthesis that only
    names the column of the value right before it (or before its table's name), which a row condition
    already reads, says that column again."""
    out: list[Claim] = []
    spans = sorted((m for m in d.mentions if m.start >= 0), key=lambda m: m.start)  # (mentions do not overlap)
    ends = [m.end for m in spans]
    starts = [m.start for m in spans]
    filtered = {f.column for f in d.filters if isinstance(getattr(f, "column", None), str)}
    for m in _PAREN.finditer(d.prompt):
        k = bisect.bisect_right(ends, m.start())  # the mentions before the parenthesis, by bisection
        before = spans[max(0, k - 2) : k]
        value = before[-1] if before else None
        if len(before) == 2 and isinstance(value, TableMatch) and not d.prompt[before[0].end : value.start].strip():
            value = before[0] if before[0].table == value.table else None  # "smart meters (the meter kind)"
            gap = d.prompt[before[1].end : m.start()]
        else:
            gap = d.prompt[value.end : m.start()] if value is not None else ""
        if not isinstance(value, ValueMatch) or gap.strip():
            continue
        key = (value.table, value.column)
        if f"{value.table}.{value.column}" not in filtered:
            continue
        inside = spans[bisect.bisect_left(starts, m.start(1)) : bisect.bisect_right(ends, m.end(1))]
        named = [c for c in inside if isinstance(c, ColumnMatch) and m.start(1) <= c.start and c.end <= m.end(1)]
        if len(named) != 1 or (named[0].table, named[0].column) != key:
            continue
        inner = [t for t in d.tokens.overlapping(m.start(1), m.end(1)) if t.kind != "punct"]
        rest = [t for t in inner if not (named[0].start <= t.start and t.end <= named[0].end)]
        if any(t.used or t.low not in STOPWORDS | _POSSESSIVE for t in rest) or any(t.used for t in inner):
            continue
        out.append(claim(m.start(1), m.end(1), why=f"names the column of {d.prompt[value.start:value.end]!r} again"))
    return out


_POSSESSIVE = frozenset({"their", "its", "his", "her", "the", "a", "an", "of", "i.e", "ie", "namely"})


def _descriptor(d: View, paren_start: int) -> list[Token]:
    """The free words right before a parenthesis, after its head noun (a claimed word), nearest last."""
    before = [t for t in d.tokens.items if t.end <= paren_start]
    i = len(before) - 1
    while i >= 0 and before[i].used and before[i].kind == "word":  # the head noun(s): "users", "sessions"
        i -= 1
    found: list[Token] = []
    while i >= 0 and len(found) < _MAX_GLOSSED:
        t = before[i]
        if t.used or t.kind != "word" or t.low in STOPWORDS:
            break
        if word_class(t.text) is not None:  # a negation, comparison, date...: meaning of its own
            return []
        found.append(t)
        i -= 1
    return list(reversed(found))


def present_time(d: View) -> list[Claim]:
    """Claim "right now", "currently"... on a request that keeps rows by a condition and by no date."""
    if not d.filters or any(_dated(d, f) for f in d.filters):
        return []
    out = []
    for m in _PRESENT.finditer(d.prompt):
        if d.free(m.start(), m.end()):
            out.append(claim(m.start(), m.end(), why="a table holds the current state of its rows"))
    return out


#: words that stress a "no related row" without changing it ("no appointments at all", "not ordered even once")
_EMPHASIS = re.compile(r"\b(?:at\s+all|whatsoever|ever|(?:not\s+)?(?:even\s+)?once|(?:even\s+)?(?:a\s+single|one|any)\s+time)\b",
                       re.I)  # fmt: skip


def emphasis(d: View) -> list[Claim]:
    """Claim "at all", "even once", "a single time"... right after the words of a planned "no related row" (an
    anti join): they stress the missing rows and change nothing. Elsewhere ("shipped at all times") not read."""
    if not d.anti_tables:
        return []
    out = []
    words = [t for t in d.tokens.items if t.kind != "punct"]
    ends = [t.end for t in words]
    for m in _EMPHASIS.finditer(d.prompt):
        k = bisect.bisect_right(ends, m.start()) - 1  # the word right before
        if k >= 0 and d.free(m.start(), m.end()) and (words[k].shared or not d.free(words[k].start, words[k].end)):
            out.append(claim(m.start(), m.end(), why="stresses the missing rows"))
    return out


def _dated(d: View, condition: Condition) -> bool:
    """Whether a row condition compares a date or timestamp column (a NULL test has no bound "now" could be:
    "the lease row whose ended_on is blank" is the current one)."""
    if getattr(condition, "operator", None) in ("is_null", "is_not_null"):
        return False
    for table, column in column_refs([condition]):
        if not table or not d.catalog.has_table(table):
            continue
        info = d.catalog.table(table)
        if info.has_column(column) and info.column(column).family in ("date", "timestamp"):
            return True
    return False


def echoes(d: View) -> list[Claim]:
    """Claim the free words that a name the request gives one of its outputs repeats (see the module docstring)."""
    named = {x for n in _defined_names(d) for w in split_identifier(n) if len(w) > 1 and w not in STOPWORDS
             for x in lemmas(w)}  # "runs_out_on" echoes "run out" too
    if not named:
        return []
    pairs = {(x, b) for n in _defined_names(d) for a, b in itertools.pairwise(split_identifier(n)) for x in lemmas(a)}
    out = []
    items = d.tokens.items
    for i, t in enumerate(items):
        if t.kind != "word" or t.used or t.low in STOPWORDS or not lemmas(t.text) & named:
            continue
        if word_class(t.text) in _NEVER_ECHOED:  # "out" of "run out" in runs_out_on: a verb's particle, both repeated
            prev = items[i - 1] if i else None
            if prev is None or prev.kind != "word" or not any((x, t.low) in pairs for x in lemmas(prev.text)):
                continue
        out.append(claim(t.start, t.end, why="repeated by an output's name"))
    return out


def _defined_names(d: View) -> list[str]:
    """The names the request gives what it computes: derived columns, measures, windows (not warehouse columns)."""
    own = [*(x.name for x in d.derived), *(a.alias for a in d.aggregations), *(w.name for w in d.windows)]
    renamed = [c.name for c in d.columns if c.name and c.column and c.column in own]  # "..., runs_out_on" in the list
    return own + renamed
