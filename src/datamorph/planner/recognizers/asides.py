"""Words that other claims already explain: a phrase glossed by an explicit condition, "right now" on a state.

Three rules; none changes the spec — they only say which
further words are accounted for, so that the leftover check does not refuse the request for them:

- :func:`glosses` — a descriptor followed by a parenthesis that states its condition in the
  warehouse's own terms: "Japanese users (users.country = 'JP')", "long calls (duration_sec > 600)".
  When every word inside the parenthesis was claimed and it holds a comparison, the one to three
  free words right before it are what the condition defines; they are claimed with no edit.
  Nothing else is glossed: a number, a quoted value or a negation before the parenthesis is
  never taken, and a parenthesis with a free word inside glosses nothing.
- :func:`present_time` — "right now", "currently", "at the moment", "as of today" on a request
  that keeps rows by a condition: a table holds the current state of its rows, so these words
  add nothing to the condition. They are only claimed when some row condition was planned and
  no date condition was (with a date condition "now" may be its bound, so it is left to the
  date recognizers and, if unused, refused).
- :func:`echoes` — runs last: a free word whose lemma is a word of a name the request itself
  gives an output ("When does each prescription run out? ... runs_out_on", "How long do they
  take to pay? ... days_to_pay") is explained by that output. Only names the request defines
  (a derived column, a measure's alias, a window) count, never a warehouse column; numbers,
  quoted values, negations and comparisons are never echoes ("did not order ... as not_ordered"
  keeps "not" for a recognizer to read, or the request is refused).
"""

from __future__ import annotations

import re

from datamorph.planner.claims import Claim, View, claim
from datamorph.planner.lexicon import STOPWORDS, lemmas, split_identifier
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
    return out


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


def _dated(d: View, condition: Condition) -> bool:
    """Whether a row condition reads a date or timestamp column."""
    for table, column in column_refs([condition]):
        if not table or not d.catalog.has_table(table):
            continue
        info = d.catalog.table(table)
        if info.has_column(column) and info.column(column).family in ("date", "timestamp"):
            return True
    return False


def echoes(d: View) -> list[Claim]:
    """Claim the free words that a name the request gives one of its outputs repeats (see the module docstring)."""
    named = {w for n in _defined_names(d) for w in split_identifier(n) if len(w) > 1 and w not in STOPWORDS}
    if not named:
        return []
    return [claim(t.start, t.end, why="repeated by an output's name")
            for t in d.tokens.items
            if t.kind == "word" and not t.used and t.low not in STOPWORDS and lemmas(t.text) & named
            and word_class(t.text) not in _NEVER_ECHOED]  # fmt: skip


def _defined_names(d: View) -> list[str]:
    """The names the request gives what it computes: derived columns, measures, windows (not warehouse columns)."""
    return [*(x.name for x in d.derived), *(a.alias for a in d.aggregations), *(w.name for w in d.windows)]
