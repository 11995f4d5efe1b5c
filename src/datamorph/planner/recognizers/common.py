"""Helpers shared by recognizers: mentions, marking words used, resolving columns in play."""

from __future__ import annotations

from collections.abc import Callable

from datamorph.planner.claims import Edit, View
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch


def mentions(d: Draft | View) -> list[TableMatch | ColumnMatch | ValueMatch]:
    """Table, column and value mentions in the request, in text order (found once, when the draft is made)."""
    return list(d.mentions)


def span_of(d: Draft | View, text: str, start: int = 0) -> tuple[int, int] | None:
    """Character span of ``text`` in the request at or after ``start`` (case-insensitive)."""
    i = d.prompt.lower().find(text.lower(), start)
    return None if i < 0 else (i, i + len(text))


def mark_chars(d: Draft, start: int, end: int) -> None:
    """Mark every token inside the character span [start, end) as used."""
    for t in d.tokens.within(start, end):
        t.used = True


def mark_text(d: Draft, text: str, start: int = 0) -> bool:
    span = span_of(d, text, start)
    if span is None:
        return False
    mark_chars(d, *span)
    return True


def mark_mention(d: Draft, m: TableMatch | ColumnMatch | ValueMatch) -> None:
    """Mark the words of a mention: at its own offsets when the linker gave them, else its first occurrence."""
    if m.start >= 0 and m.end > m.start:
        mark_chars(d, m.start, m.end)
    elif m.text:
        mark_text(d, m.text)


def mention_span(d: Draft | View, m: TableMatch | ColumnMatch | ValueMatch, start: int = 0) -> tuple[int, int] | None:
    """Character span of a mention in the request (its offsets, else the first occurrence at or after ``start``)."""
    if m.start >= 0 and m.end > m.start:
        return m.start, m.end
    return span_of(d, m.text, start) if m.text else None


def in_play(d: Draft | View) -> list[str]:
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


def qualified(m: ColumnMatch | ValueMatch) -> str:
    return f"{m.table}.{m.column}"


def restrict_mentions(d: Draft, keep: Callable[[TableMatch | ColumnMatch | ValueMatch], bool]) -> None:
    """From now on, :func:`mentions` reports for ``d`` only the mentions ``keep`` accepts.

    For recognizers that hand part of a request to other drafts (union: the further stacked
    tables are not joined into the first block).
    """
    d.mentions = [m for m in mentions(d) if keep(m)]
