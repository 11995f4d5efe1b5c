"""Values written differently from how they are stored: "visit_type is 'follow-up'" where the column holds ``follow_up``.

A quoted value compared with a text column (``=``, ``!=``, ``in``, ``not in``) that the column never holds,
where exactly one stored value is the same once case and punctuation are set aside ("Follow-Up", "follow up",
"FOLLOW_UP"), is that stored value: the condition is rewritten and a note says so (the spec's
transformations, shown by ``datamorph plan``).
A value no stored value matches is left as written (no rows may be the answer), and so is every value when
the request says case or spelling matters ("case-sensitive", "exactly as written"). Only columns whose
distinct values the value index holds in full are read.
"""

from __future__ import annotations

import re

from datamorph.planner.claims import Claim, Edit, View, claim, edit_only
from datamorph.planner.refs import split_column
from datamorph.spec import Filter

_EXACT = re.compile(r"\bcase[\s-]*sensitive|\b(?:exactly|precisely)\s+as\s+(?:written|typed|spelled|given)|"
                    r"\bare\s+different\s+values\b|\bdifferent\s+from\s+'", re.I)  # fmt: skip


def _norm(value: str) -> str:
    return re.sub(r"[\W_]+", "", value.lower())


def stored_value(held: list[object], written: str) -> str | None:
    """The one stored text value ``written`` stands for when it is not stored as written, else None."""
    if written in held:
        return None
    same = {v for v in held if isinstance(v, str) and _norm(v) == _norm(written) and _norm(written)}
    return same.pop() if len(same) == 1 else None


def rule(d: View) -> list[Claim]:
    """Conditions on values written differently from the stored ones, rewritten to the stored values."""
    index = d.linker.value_index
    exact = _EXACT.search(d.prompt)
    if exact:  # "(case-sensitive)": values compared as written, the default
        return [claim(exact.start(), exact.end(), why="values compared as written")] if d.free(*exact.span()) else []
    if index is None:
        return []
    filters = list(d.filters)
    notes: list[str] = []
    for i, f in enumerate(filters):
        if not isinstance(f, Filter) or f.operator not in ("=", "!=", "in", "not_in") or "." not in f.column:
            continue
        table, column = split_column(d.catalog, f.column)
        held = index.values_of(table, column)
        values = f.value if isinstance(f.value, list) else [f.value]
        if not held or not all(isinstance(v, str) for v in values):
            continue
        fixed = [stored_value(held, v) or v for v in values]
        if fixed != values:
            filters[i] = f.model_copy(update={"value": fixed if isinstance(f.value, list) else fixed[0]})
            notes += [f"'{a}' read as the value {f.column} holds, '{b}'" for a, b in zip(values, fixed, strict=True) if a != b]
    if not notes:
        return []
    return [edit_only(Edit.set("filters", filters), *(Edit.add("notes", n) for n in notes),
                      why="values written differently from how they are stored")]  # fmt: skip
