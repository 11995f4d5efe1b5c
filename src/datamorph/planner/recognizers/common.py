"""Helpers shared by recognizers: mentions, the tables in play, columns for phrases, building claims.

For recognizers that return claims: :func:`on_words` (a claim on the words of a span),
:class:`Work` (a recognizer's pending claims and the tables they bring in), :func:`explained`
and :func:`unexplained` (whether a claim explains a word, shared ones included), :func:`find_column`.
:func:`resolve_column` brings a column's table in through ``use_table`` on the object it is given:
recognizers give it their own working copy (``derivekit.Work``), never the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from datamorph.catalog import Catalog
from datamorph.planner.claims import Claim, Edit, Pending, View
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, SchemaLinker, TableMatch, ValueMatch
from datamorph.planner.text import Token


class _Linked(Protocol):
    @property
    def linker(self) -> SchemaLinker: ...


def named_table(d: _Linked, word: str) -> str | None:
    """Which table a word or phrase names outright (the linker's best match, scored 0.85 or more), if any."""
    hits = d.linker.tables(word)
    return hits[0].table if hits and hits[0].score >= 0.85 else None


def mentions(d: Draft | View | Work) -> list[TableMatch | ColumnMatch | ValueMatch]:
    """Table, column and value mentions in the request, in text order (found once, when the draft is made)."""
    return list(d.mentions)


def span_of(d: Draft | View, text: str, start: int = 0) -> tuple[int, int] | None:
    """Character span of ``text`` in the request at or after ``start`` (case-insensitive)."""
    i = d.prompt.lower().find(text.lower(), start)
    return None if i < 0 else (i, i + len(text))


def whole_words(d: Draft | View, start: int, end: int) -> tuple[int, int] | None:
    """The span of the words lying wholly in ``[start, end)`` (None: there are none).

    A claim on it holds exactly these words: a span that cuts a word
    ("orders" of ``orders.amount``) does not take that word.
    """
    toks = d.tokens.within(start, end)
    return (toks[0].start, toks[-1].end) if toks else None


def on_words(d: Draft | View, start: int, end: int, *edits: Edit, shared: bool = False, over: bool = False,
             why: str = "") -> Claim:  # fmt: skip
    """A claim on the words lying wholly in ``[start, end)`` (:func:`whole_words`), proposing ``edits``."""
    span = whole_words(d, start, end)
    return Claim((span,) if span else (), tuple(edits), 1.0, shared, over, why)


def explained(p: Pending, t: Token) -> bool:
    """A claim explains ``t``: an applied one (its ``used`` flag: held or shared) or one of ``p``'s own.

    Not :func:`~datamorph.planner.claims.free`: this asks whether someone understood the word
    ("the value after 'live in' is a condition"), not whether it is still open to a claim.
    """
    return t.used or any(a < t.end and t.start < b for c in p.claims for a, b in c.spans)


def unexplained(p: Pending, start: int, end: int) -> bool:
    """No word of ``[start, end)`` (punctuation aside) is :func:`explained`, not even by a shared claim.

    For the words that open a phrase: a table's name is free for a later phrase to include
    ("orders over 100"), but it is not the verb of one ("one session on the same day" names the
    orders table; it does not sort anything).
    """
    return not any(explained(p, t) for t in p.view.tokens.overlapping(start, end) if t.kind != "punct")


def mention_span(d: Draft | View, m: TableMatch | ColumnMatch | ValueMatch, start: int = 0) -> tuple[int, int] | None:
    """Character span of a mention in the request (its offsets, else the first occurrence at or after ``start``)."""
    if m.start >= 0 and m.end > m.start:
        return m.start, m.end
    return span_of(d, m.text, start) if m.text else None


def in_play(d: Draft | View | Work) -> list[str]:
    """The tables the request is about so far, base first."""
    return [t for t in [d.base, *d.tables] if t]


def resolve_column(d: Draft, phrase: str) -> ColumnMatch | None:
    """The best column for ``phrase``: among the tables in play first, then anywhere (adding that table)."""
    tables = in_play(d)
    if tables:
        hits = d.linker.columns(phrase, tables)
        if hits:
            return hits[0]
    hits = d.linker.columns(phrase)
    if hits:
        d.use_table(hits[0].table)
        return hits[0]
    return None


def find_column(d: Draft | View, phrase: str) -> tuple[ColumnMatch | None, Edit | None]:
    """The best column for ``phrase`` (as :func:`resolve_column`), and the edit that brings its table in, if any.

    For recognizers that return claims: put the edit in the claim that uses the column.
    """
    tables = in_play(d)
    if tables:
        hits = d.linker.columns(phrase, tables)
        if hits:
            return hits[0], None
    hits = d.linker.columns(phrase)
    if hits:
        return hits[0], Edit.use_table(hits[0].table)
    return None, None


_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def written_column(catalog: Catalog, phrase: str) -> tuple[str, str] | None:
    """``table.column`` written out (``users.created_at``): the table and the qualified column, as the catalog spells them."""
    if "." not in phrase or not _WORD.match(phrase.split(".", 1)[1] or "-"):
        return None
    t, c = phrase.split(".", 1)
    if not catalog.has_table(t) or not catalog.table(t).has_column(c):
        return None
    info = catalog.table(t)
    return info.name, f"{info.name}.{info.column(c).name}"


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def coined(catalog: Catalog, word: str) -> bool:
    """A snake_case name that is no table or column of the warehouse (``closed_ratio``): a name the request gives."""
    w = word.strip()
    return bool(_IDENT.fullmatch(w)) and "_" in w.strip("_") and not catalog.has_table(w) and not any(
        t.has_column(w) for t in catalog.tables.values())


_SEP = r"(?:,\s*(?:and\s+)?|\band\s+|&\s*)"
_NEIGHBOUR_BEFORE = re.compile(rf"(?P<w>[A-Za-z_]\w*)\s*{_SEP}$", re.I)
_NEIGHBOUR_AFTER = re.compile(rf"\s*{_SEP}(?P<w>[A-Za-z_]\w*)")
_ITEM_ENDS = re.compile(rf"\s*(?:{_SEP}|[.?!;)]|$)", re.I)
_ITEM_STARTS = re.compile(rf"(?:{_SEP}|[:?!;(\n]\s*|\s[-\u2013\u2014]\s+)$", re.I)


def beside_coined(d: Draft | View, start: int, end: int) -> bool:
    """The words ``[start, end)`` are a whole item of a list of names, next to a snake_case name or a column's name
    as written ("join_year and joins", "member_id, lapsed", "port, completed"): a name in an output list,
    not a condition."""
    before = _NEIGHBOUR_BEFORE.search(d.prompt, max(0, start - 80), start)
    after = _NEIGHBOUR_AFTER.match(d.prompt, end)
    snake = [m for m in (before, after) if m is not None and ("_" in m.group("w").strip("_") or any(
        t.has_column(m.group("w")) for t in d.catalog.tables.values()))]  # fmt: skip
    whole = _ITEM_ENDS.match(d.prompt, end) and _ITEM_STARTS.search(d.prompt, max(0, start - 8), start)
    return bool(snake and whole)


def qualified(m: ColumnMatch | ValueMatch) -> str:
    return f"{m.table}.{m.column}"


@dataclass
class Work(Pending):
    """A recognizer's pending claims and the tables they bring in: the draft as it will be once they apply.

    Local to one call of one recognizer, like :class:`Pending`. ``base`` and ``tables`` are the
    view's with the ``use_table`` edits of :meth:`use` replayed; every other attribute is the view's.
    """

    brought: list[str] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    def _play(self) -> tuple[str | None, list[str]]:
        base, tables = self.view.base, list(self.view.tables)
        for t in self.brought:
            if base is None:
                base = t
            elif t != base and t not in tables:
                tables.append(t)
        return base, tables

    @property
    def base(self) -> str | None:
        return self._play()[0]

    @property
    def tables(self) -> list[str]:
        return self._play()[1]

    def use(self, table: str) -> Edit:
        """Bring ``table`` into the request (for the reads that follow) and the edit that does it for the draft."""
        self.brought.append(table)
        return Edit.use_table(table)


class RenamedMatch:
    """A match read through other group names: one reading of a pattern whose alternatives (two word orders)
    name the same parts differently ("key2" for "key"). ``names`` maps the name asked for to the one to read."""

    def __init__(self, m: re.Match[str], names: dict[str, str]) -> None:
        self.m, self.names = m, names

    def _g(self, name: str | int) -> str | int:
        return self.names.get(name, name) if isinstance(name, str) else name

    def group(self, name: str | int = 0) -> str:
        return self.m.group(self._g(name))

    def start(self, name: str | int = 0) -> int:
        return self.m.start(self._g(name))

    def end(self, name: str | int = 0) -> int:
        return self.m.end(self._g(name))

