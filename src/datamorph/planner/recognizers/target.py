"""The target table's name, when the request gives one: "into X", "called X", "save as X"."""

from __future__ import annotations

import re

from datamorph.planner.draft import Draft

_TARGET = re.compile(
    r"\b(?:into|save (?:it |this )?as|store (?:it |this )?as|(?:a |the )?(?:new |output |target )?table "
    r"(?:called|named))\s+(?:a\s+(?:new\s+)?table\s+(?:called|named)\s+)?[`'\"]?([A-Za-z_][A-Za-z0-9_]*)[`'\"]?",
    re.IGNORECASE,
)


def recognize(d: Draft) -> None:
    for m in _TARGET.finditer(d.prompt):
        name = m.group(1)
        if d.catalog.has_table(name) or name.lower() in ("a", "the", "one", "each"):
            continue
        if d.target is None:
            d.target = name
        _mark_span(d, m.start(), m.end())
        return


def _mark_span(d: Draft, start: int, end: int) -> None:
    for t in d.tokens.items:
        if t.start >= start and t.end <= end:
            t.used = True
