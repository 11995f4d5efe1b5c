"""Refuse requests that would delete, drop, truncate, update or overwrite data."""

from __future__ import annotations

import re

from datamorph.errors import UnsafeRequest
from datamorph.planner.draft import Draft

# An imperative destructive verb at the start of a sentence or clause ("Delete all cancelled orders",
# "please drop the orders table", "then truncate staging"), or SQL statements written out.
_IMPERATIVE = re.compile(
    r"(?:^|[.;!?]\s*|\b(?:please|then|and|also|just|now)\s+)"
    r"(delete|drop|truncate|remove|purge|wipe|erase|update|overwrite|alter|insert|replace|rename|modify|clear)\b",
    re.IGNORECASE,
)
_SQL = re.compile(r"\b(delete\s+from|drop\s+(table|view|schema|database)|truncate\s+table|update\s+\w+\s+set|"
                  r"alter\s+table|insert\s+into)\b", re.IGNORECASE)  # fmt: skip
# "rows can be dropped", "leave X out" are about the result, not the source: passive or result-scoped.
_RESULT_SCOPED = re.compile(r"\b(can|may|should|could)\s+be\s+(dropped|removed|deleted|skipped|left out)\b", re.I)


def recognize(d: Draft) -> None:
    text = d.prompt
    m = _SQL.search(text) or _IMPERATIVE.search(text)
    if m is None:
        return
    verb = m.group(1) if m.re is _IMPERATIVE else m.group(0)
    if m.re is _IMPERATIVE and _RESULT_SCOPED.search(text[max(0, m.start() - 20) : m.end() + 20]):
        return
    raise UnsafeRequest(
        f"the request asks to {verb.lower()} data; DataMorph never changes source tables",
        hint="ask for a new table instead, e.g. 'orders that are not cancelled into active_orders'",
    )
