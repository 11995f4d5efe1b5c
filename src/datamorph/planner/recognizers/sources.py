"""Which table the request is about (the base), from the tables it names, or else its columns and values."""

from __future__ import annotations

import re

from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mark_mention, mentions

_TABLE_WORD = re.compile(r"\s+(?:tables?|datasets?)\b", re.IGNORECASE)


def recognize(d: Draft) -> None:
    found = mentions(d)
    tables = [m for m in found if isinstance(m, TableMatch)]
    explicit = [m for m in tables if _TABLE_WORD.match(d.prompt, m.end if m.end >= 0 else 0) and m.end >= 0]
    for m in explicit + tables:
        d.use_table(m.table)
        d.table_words.setdefault(m.table, m.text)
        mark_mention(d, m)
    for m in explicit:  # "the orders table": the word 'table' is part of the name here
        w = _TABLE_WORD.match(d.prompt, m.end)
        if w:
            for t in d.tokens.items:
                if t.start >= w.start() and t.end <= w.end():
                    t.used = True
    if d.base is None:
        owners = [m.table for m in found if isinstance(m, (ColumnMatch, ValueMatch))]
        if owners:
            d.use_table(max(set(owners), key=owners.count))
