"""Joins the request spells out: "join customers and orders on customer_id", "orders joined to
customers using customer_id", "match X with Y by K". The tables come into play; the key is kept
as a hint that :func:`~datamorph.planner.draft.assemble` prefers over the inferred one.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError, suggestion
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.common import on_words

_JOIN = re.compile(
    r"\b(?:(?:inner|left|outer)\s+)?(?:join(?:ed|ing)?|combine[ds]?|combining|match(?:ed|ing)?|merge[ds]?|merging)\s+"
    r"(?:the\s+)?(?P<a>[A-Za-z_][\w ]{0,80}?)\s+(?:and|with|to|onto)\s+(?:the\s+)?(?P<b>[A-Za-z_][\w ]{0,80}?)"
    r"(?:\s+tables?)?\s+(?:on|using|by|via)\s+(?:the\s+)?(?P<keys>[A-Za-z_]\w*(?:\s*(?:,|and)\s*[A-Za-z_]\w*)*)",
    re.IGNORECASE,
)


def rule(d: View) -> list[Claim]:
    """One claim per spelled-out join: its words up to the last key, both tables, the keys as hints."""
    out: list[Claim] = []
    for m in _JOIN.finditer(d.prompt):
        tables = [_table(d, m.group(g)) for g in ("a", "b")]
        if None in tables:
            continue
        hints, end = _keys(d, m, [t for t in tables if t])
        edits = [*(Edit.use_table(t) for t in tables if t), *([Edit.add("join_hints", *hints)] if hints else [])]
        out.append(on_words(d, m.start(), end, *edits, over=True, why="a join the request spells out"))
    return out


def _keys(d: View, m: re.Match[str], tables: list[str]) -> tuple[list[str], int]:
    """The join keys named after on/using/by (columns of either table) and where the last one ends.

    A first key that is no column of either table is an error; a later one ends the list.
    """
    cols = {c.lower(): (t, c) for t in tables for c in d.catalog.table(t).column_names()}
    end = m.start("keys")
    hints: list[str] = []
    for km in re.finditer(r"[A-Za-z_]\w*", m.group("keys")):
        k = km.group(0)
        if k.lower() in ("and",):
            continue
        if k.lower() not in cols:
            if end == m.start("keys"):
                raise PlanError(f"join key '{k}' is not a column of {' or '.join(tables)}",
                                hint=suggestion(k, [c for _, c in cols.values()]) or "name a column both tables have")  # fmt: skip
            break
        hints.append(cols[k.lower()][1])
        end = m.start("keys") + km.end()
    return hints, end


def _table(d: View, phrase: str) -> str | None:
    hits = d.linker.tables(phrase.strip())
    return hits[0].table if hits and hits[0].score >= 0.85 else None
