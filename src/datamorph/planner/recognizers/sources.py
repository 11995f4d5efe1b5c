"""Which table the request is about (the base), from the tables it names, or else its columns and values."""

from __future__ import annotations

import re

from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mark_text, mentions

_TABLE_WORD = re.compile(r"\b(tables?)\b", re.IGNORECASE)


def recognize(d: Draft) -> None:
    found = mentions(d)
    tables = [m for m in found if isinstance(m, TableMatch)]
    explicit = [m for m in tables if re.search(rf"{re.escape(m.text)}\s+tables?\b", d.prompt, re.I)]
    for m in explicit + tables:
        d.use_table(m.table)
        mark_text(d, m.text)
    if explicit:
        for w in _TABLE_WORD.finditer(d.prompt):
            mark_text(d, w.group(0), w.start())
    if d.base is None:
        owners = [m.table for m in found if isinstance(m, (ColumnMatch, ValueMatch))]
        if owners:
            d.use_table(max(set(owners), key=owners.count))
