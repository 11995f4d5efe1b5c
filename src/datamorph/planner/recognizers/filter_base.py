"""Shared pieces of the row-filter recognizers (filters, filter_states, dates, orphans).

They read the draft through a :class:`~datamorph.planner.claims.View` and build claims in a
:class:`Play`: a :class:`~datamorph.planner.claims.Pending` that also knows the tables its own
claims bring in (the draft as it will be once they apply), so a recognizer reads what it
already proposed without writing it anywhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from datamorph.catalog import ColumnInfo
from datamorph.planner.claims import Claim, Edit, Pending, Span, View, held
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mention_span, mentions
from datamorph.planner.text import Token

NEGATION = re.compile(
    r"\b(?:not|non|no|never|excluding|exclude|except(?:\s+for)?|other\s+than|besides|apart\s+from|aside\s+from|"
    r"ignor(?:e|ing)|skip(?:ping)?|omit(?:ting)?|leav(?:e|ing)\s+out|filter(?:ing)?\s+out|remov(?:e|ing)|"
    r"isn't|aren't|wasn't|weren't|hasn't|haven't|hadn't|didn't|don't|doesn't|without|but\s+not|"
    r"(?:nobody|no[\s-]?one)(?:\s+(?:has|have|had|did|does|ever))*)"
    r"(?:\s+(?:been|be|the|any|those|ones|that|which|are|were|is|was|yet|ever|including|in|from|on|via|through))*"
    r"\s*[-]?\s*$",
    re.IGNORECASE,
)


def negatable(word: str) -> bool:
    """A word an "un"/"in" prefix negates: an adjective ("active") or a past participle ("paid", "shipped"),
    never a noun ("voice" of "invoice")."""
    import lemminflect

    lemmas = lemminflect.getAllLemmas(word)
    if "ADJ" in lemmas:
        return True
    verb = (lemmas.get("VERB") or ("",))[0]
    return bool(verb) and verb != word and word in (lemminflect.getInflection(verb, tag="VBN") or ())


#: a value negated by its prefix: "non-cancelled", "unpaid", "inactive" (see :func:`negatable`)
PREFIXED = re.compile(r"\b(?:non\s*-?\s*(?P<word>[A-Za-z_]{3,})|(?P<pre>un|in)-?(?P<word2>[a-z]{4,}))\b", re.IGNORECASE)


def unprefixed(word: str) -> str | None:
    """The word a negating prefix is on ("unpaid" → paid, "non-web" → web), or None."""
    m = PREFIXED.fullmatch(word.strip())
    if m is None:
        return None
    rest = (m.group("word") or m.group("word2")).lower()
    return rest if not m.group("pre") or negatable(rest) else None


@dataclass
class Mention:
    start: int
    end: int
    m: TableMatch | ColumnMatch | ValueMatch


def mention_spans(d: Draft | View) -> list[Mention]:
    """The linker's mentions with their spans (its offsets; else the text's next occurrence)."""
    out: list[Mention] = []
    pos = 0
    for m in mentions(d):
        span = mention_span(d, m, pos) or mention_span(d, m)
        if span is None:
            continue
        out.append(Mention(span[0], span[1], _in_play_tie(d, m)))
        pos = span[0]
    return out


def _in_play_tie(d: Draft | View, m: TableMatch | ColumnMatch | ValueMatch) -> TableMatch | ColumnMatch | ValueMatch:
    """A column word several tables share ("status", "country") as the column of a table the request is about:
    the linker found the mention without knowing the tables in play, and broke the tie by name ("bookings"
    before "tickets"); a table in play whose column matches as well wins ("tickets with status 'open'")."""
    play = [t for t in [d.base, *d.tables] if t]
    if not isinstance(m, ColumnMatch) or not play or m.table in play:
        return m
    everywhere = d.linker.columns(m.text)[:1]  # (the mention's own score may be the phrase finder's, not comparable)
    bar = min(m.score, everywhere[0].score) if everywhere else m.score
    if not d.linker.joinable([play[0], m.table]):  # a table no key joins: a looser match of the tables in play
        bar = min(bar, _UNREACHABLE_BAR)
    best = [c for c in d.linker.columns(m.text, play) if c.score >= bar]
    return ColumnMatch(best[0].table, best[0].column, m.score, m.text, m.start, m.end) if best else m


_UNREACHABLE_BAR = 0.7  # "policies with a commission over 10%": commission_rate, not a quote's commission


def info(d: Draft | View, table: str, column: str) -> ColumnInfo:
    return d.catalog.table(table).column(column)


@dataclass
class Play(Pending):
    """One recognizer call's claims, and the base and tables of the draft once they apply.

    ``use`` replays :meth:`Draft.use_table` on the local copy and returns the edit that does it;
    ``drop`` takes a table out of the further tables. Local to the call, like :class:`Pending`.
    """

    base: str | None = None
    tables: list[str] = field(default_factory=list)
    mine: set[int] = field(default_factory=set)  # where the words this call's own claims hold start

    def free(self, start: int, end: int) -> bool:
        """:meth:`Pending.free`, with this call's own words kept in a set (a request with many conditions
        would otherwise compare every word with every earlier claim)."""
        return not any(held(t) or t.kind != "punct" and t.start in self.mine
                       for t in self.view.tokens.overlapping(start, end))  # fmt: skip

    def __getattr__(self, name: str) -> Any:  # every other attribute is the view's (the linker, the catalog...)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.view, name)

    @classmethod
    def of(cls, d: View) -> Play:
        return cls(d, base=d.base, tables=list(d.tables))

    def in_play(self) -> list[str]:
        """The tables the request is about once this call's claims apply, base first."""
        return [t for t in [self.base, *self.tables] if t]

    def use(self, table: str) -> Edit:
        if self.base is None:
            self.base = table
        elif table != self.base and table not in self.tables:
            self.tables.append(table)
        return Edit.use_table(table)

    def drop(self, table: str) -> Edit:
        self.tables = [t for t in self.tables if t != table]
        return Edit.remove("tables", table)

    def held(self, t: Token) -> bool:
        """``t`` is held by an applied claim or by one of this call's own (punctuation never is)."""
        return t.kind != "punct" and not self.free(t.start, t.end)

    def explained(self, t: Token) -> bool:
        """Some claim explains ``t``: an applied one (held, or shared like a table's name) or one of this call's.

        Not a test of what is free (:meth:`Pending.free` is): for a phrase that reads past the words other
        clauses explain ("only" before "cancelled orders" skips the table's name).
        """
        return t.kind != "punct" and (t.used or not self.free(t.start, t.end))

    def open(self, start: int, end: int) -> bool:
        """Free (:meth:`Pending.free`) and not held back for the output list (``reserved``)."""
        return self.free(start, end) and not reserved(self.view, start, end)

    def take_free(self, start: int, end: int, *edits: Edit, confidence: float = 1.0, shared: bool = False,
             over: bool = False, why: str = "") -> Claim | None:  # fmt: skip
        """Claim the words of ``[start, end)`` no claim holds yet (those others hold stay theirs), with ``edits``."""
        return self.take_spans([(start, end)], *edits, confidence=confidence, shared=shared, over=over, why=why)

    def take_spans(self, spans: list[Span], *edits: Edit, confidence: float = 1.0, shared: bool = False,
                   over: bool = False, why: str = "") -> Claim | None:  # fmt: skip
        """:meth:`take_free` on several spans at once (one claim); None when there is nothing to claim or change."""
        runs = tuple(r for a, b in spans for r in self.runs(a, b))
        if not runs and not edits:
            return None
        c = Claim(runs, tuple(edits), confidence, shared, over or not runs, why)
        self.claims.append(c)
        if not shared:
            self.mine.update(t.start for a, b in runs for t in self.view.tokens.overlapping(a, b))
        return c

    def runs(self, start: int, end: int) -> tuple[Span, ...]:
        """The stretches of ``[start, end)`` whose words are free, from word to word."""
        out: list[Span] = []
        run: list[Token] = []
        for t in [*self.view.tokens.overlapping(start, end), None]:
            if t is not None and not self.held(t):
                run.append(t)
                continue
            if run:
                out.append((run[0].start, run[-1].end))
                run = []
        return tuple(out)


def reserved(d: View, start: int, end: int) -> bool:
    """A word of ``[start, end)`` is held back for the output list (``d.reserved``: a measure's name)."""
    spans = d.reserved
    return any(t.kind != "punct" and any(a <= t.start and t.end <= b for a, b in spans)
               for t in d.tokens.overlapping(start, end))  # fmt: skip


def claimed_by(d: View, prefix: str | tuple[str, ...], *, but: tuple[str, ...] = ()) -> list[Span]:
    """The spans of the claims applied so far by the steps whose names start with ``prefix`` (not ``but``)."""
    return [s for r in d.records if r.recognizer.startswith(prefix) and r.recognizer not in but for s in r.spans]

