"""Joins the request spells out: "join customers and orders on customer_id", "orders joined to
customers using customer_id", "match X with Y by K". The tables come into play; the key is kept
as a hint that :func:`~datamorph.planner.draft.assemble` prefers over the inferred one.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError, suggestion
from datamorph.planner.draft import Draft
from datamorph.planner.recognizers.common import mark_chars

_JOIN = re.compile(
    r"\b(?:(?:inner|left|outer)\s+)?(?:join(?:ed|ing)?|combine[ds]?|combining|match(?:ed|ing)?|merge[ds]?|merging)\s+"
    r"(?:the\s+)?(?P<a>[A-Za-z_][\w ]{0,80}?)\s+(?:and|with|to|onto)\s+(?:the\s+)?(?P<b>[A-Za-z_][\w ]{0,80}?)"
    r"(?:\s+tables?)?\s+(?:on|using|by|via)\s+(?:the\s+)?(?P<keys>[A-Za-z_]\w*(?:\s*(?:,|and)\s*[A-Za-z_]\w*)*)",
    re.IGNORECASE,
)


def recognize(d: Draft) -> None:
    for m in _JOIN.finditer(d.prompt):
        tables = [_table(d, m.group(g)) for g in ("a", "b")]
        if None in tables:
            continue
        cols = {c.lower(): (t, c) for t in tables if t for c in d.catalog.table(t).column_names()}
        end = m.start("keys")
        for km in re.finditer(r"[A-Za-z_]\w*", m.group("keys")):
            k = km.group(0)
            if k.lower() in ("and",):
                continue
            if k.lower() not in cols:
                if end == m.start("keys"):
                    raise PlanError(f"join key '{k}' is not a column of {' or '.join(t for t in tables if t)}",
                                    hint=suggestion(k, [c for _, c in cols.values()]) or "name a column both tables have")  # fmt: skip
                break
            d.join_hints.append(cols[k.lower()][1])
            end = m.start("keys") + km.end()
        for t in tables:
            assert t is not None
            d.use_table(t)
        mark_chars(d, m.start(), end)


def _table(d: Draft, phrase: str) -> str | None:
    hits = d.linker.tables(phrase.strip())
    return hits[0].table if hits and hits[0].score >= 0.85 else None
