"""The aggregate recognizers' scratch for one call: the draft's fields they change, and the words they take.

:mod:`aggregates` reads a request in phases (measures, ratios, groups, having...) where a later phase
reads what an earlier one found: the words taken, the tables brought in, a date group added as a
derived column. :class:`Work` holds that within one call of the recognizer — copies of the draft's
fields, read from the :class:`~datamorph.planner.claims.View` — so no phase writes to the draft.
What the phases took becomes claims (:meth:`Work.claims`): one per span taken, in the order taken,
a release for words given back, and one claim that sets the fields that changed.

A word is free to a phase when no applied claim holds it (:func:`datamorph.planner.claims.free`)
and this call has not taken it (the same definition as :class:`~datamorph.planner.claims.Pending`,
with words given back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from datamorph.planner.ambiguity import Doubt
from datamorph.planner.claims import Claim, Edit, View, claim, edit_only, held
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.text import Token
from datamorph.spec import Aggregation, Condition, Dedupe, DerivedColumn, OutputColumn, WindowColumn

if TYPE_CHECKING:
    from datamorph.planner.draft import Draft

#: the draft fields the aggregate recognizers change (the rest they only read)
_FIELDS = ("base", "tables", "preserve_base", "filters", "derived", "group_by", "aggregations", "having",
           "columns", "doubts", "notes", "reserved", "aliases")  # fmt: skip


class Work:
    """The draft as the aggregate phases read and change it within one call (a copy), and their claims."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.prompt: str = view.prompt
        self.tokens = view.tokens
        self.catalog = view.catalog
        self.linker = view.linker
        self.mentions: list[TableMatch | ColumnMatch | ValueMatch] = list(view.mentions)
        self.windows: list[WindowColumn] = list(view.windows)
        self.base: str | None = view.base
        self.tables: list[str] = list(view.tables)
        self.preserve_base: bool = view.preserve_base
        self.filters: list[Condition] = list(view.filters)
        self.derived: list[DerivedColumn] = list(view.derived)
        self.group_by: list[str] = list(view.group_by)
        self.aggregations: list[Aggregation] = list(view.aggregations)
        self.having: list[Condition] = list(view.having)
        self.columns: list[OutputColumn] = list(view.columns)
        self.doubts: list[Doubt] = list(view.doubts)
        self.notes: list[str] = list(view.notes)
        self.reserved: list[tuple[int, int]] = list(view.reserved)
        self.aliases: dict[str, str] = dict(view.aliases)
        self.dedupe: Dedupe | None = view.dedupe  # read only: a row pick's words are no measure
        self.table_words: dict[str, str] = dict(view.table_words)  # read only: the words sources read as each table
        self._held = {t.start for t in self.tokens.items if held(t)}
        self._mine: set[int] = set()  # the words this call took (and did not give back)
        self._claims: list[Claim] = []

    # -- reading ---------------------------------------------------------------------------------
    def _holds(self, t: Token) -> bool:
        """``t`` is held: by an applied claim or by what this call took (punctuation never is)."""
        return t.start in self._held and t.kind != "punct"

    def free(self, start: int, end: int) -> bool:
        """No word sharing a character with ``[start, end)`` is held."""
        return not any(self._holds(t) for t in self.tokens.overlapping(start, end))

    def in_play(self) -> list[str]:
        """The tables the request is about so far, base first."""
        return [t for t in [self.base, *self.tables] if t]

    def as_draft(self) -> Draft:
        """This scratch, for helpers of other recognizers typed on the draft that read (or change) the fields
        it has: the tables in play, the derived columns, the catalog and linker. What they change is the
        scratch, not the draft."""
        return cast("Draft", self)

    def defined_names(self) -> set[str]:
        return ({x.name.lower() for x in self.derived} | {a.alias.lower() for a in self.aggregations}
                | {w.name.lower() for w in self.windows})  # fmt: skip

    # -- taking ----------------------------------------------------------------------------------
    def use_table(self, table: str) -> None:
        if self.base is None:
            self.base = table
        elif table != self.base and table not in self.tables:
            self.tables.append(table)

    def take(self, start: int, end: int, why: str = "") -> None:
        """The words lying wholly in ``[start, end)`` are explained here (a claim on them).

        Words already held stay held: the claim builds on them (``over``). Words this call took already
        make no second claim.
        """
        toks = self.tokens.within(start, end)
        words = {t.start for t in toks if t.kind != "punct"}
        if not toks or words and words <= self._mine:
            return
        over = any(self._holds(t) for t in toks)
        self._held |= words
        self._mine |= words
        self._claims.append(claim(toks[0].start, toks[-1].end, over=over, why=why))

    def give_back(self, start: int, end: int) -> None:
        """The words lying wholly in ``[start, end)`` are free again (for a later recognizer)."""
        runs: list[list[Token]] = [[]]  # the held words, in runs with no free word between them
        for t in self.tokens.within(start, end):
            if self._holds(t):
                runs[-1].append(t)
            elif t.kind != "punct" and runs[-1]:
                runs.append([])
        runs = [r for r in runs if r]
        if not runs:
            return
        for r in runs:
            self._held.difference_update(t.start for t in r)
            self._mine.difference_update(t.start for t in r)
        spans = tuple((r[0].start, r[-1].end) for r in runs)
        self._claims.append(edit_only(Edit.release(*spans), why="left to a later recognizer"))

    def reserve(self, start: int, end: int) -> None:
        """Leave ``[start, end)`` for the output list: free, yet no row recognizer takes it."""
        self.give_back(start, end)
        self.reserved.append((start, end))

    # -- the result ------------------------------------------------------------------------------
    def claims(self) -> list[Claim]:
        """The spans taken and given back, in order, then the fields that changed (one claim)."""
        edits = [Edit.set(name, _value(getattr(self, name))) for name in _FIELDS
                 if _value(getattr(self, name)) != _value(getattr(self.view, name))]  # fmt: skip
        out = list(self._claims)
        if edits:
            out.append(edit_only(*edits, why="measures, groups and conditions on them"))
        return out


def _value(v: Any) -> Any:
    return list(v) if isinstance(v, (list, tuple)) else dict(v) if isinstance(v, dict) else v
