"""Refuse requests that would delete, drop, truncate, update or overwrite data.

Hard verbs (delete, truncate, update, overwrite, alter, insert, purge, wipe, erase) at the start
of a sentence or clause are always refused. Soft verbs (drop, remove, clear, rename, replace, set, change,
mark) are refused only when their object is a table ("drop the customers table", "remove expired
coupons from the coupons table", "set every open ticket to closed in the tickets table"); otherwise
they shape the result: "drop employees whose department is unknown", "remove duplicate rows",
"replace missing ratings with 0", "mark sessions over an hour as long".

It claims no words: it only refuses (raises :class:`~datamorph.errors.UnsafeRequest`) or lets the
request through.
"""

from __future__ import annotations

import re

from datamorph.errors import UnsafeRequest
from datamorph.planner.claims import Claim, View

_CLAUSE = r"(?:^|[.;!?]\s*|\b(?:please|then|and|also|just|now|first)\s+)"
_HARD = re.compile(_CLAUSE + r"(delete|truncate|update|overwrite|alter|insert|purge|wipe|erase)\b", re.IGNORECASE)
_SOFT = re.compile(_CLAUSE + r"(drop|remove|clear|rename|replace|empty|set|change|mark)\b", re.IGNORECASE)
_SQL = re.compile(r"\b(delete\s+from|drop\s+(?:table|view|schema|database)|truncate\s+table|update\s+\w+\s+set|"
                  r"alter\s+table|insert\s+into|create\s+or\s+replace)\b", re.IGNORECASE)  # fmt: skip
_PASSIVE = re.compile(r"\b(?:can|may|should|could|must|will)\s+be\s+(?:dropped|removed|deleted|skipped|left out)\b",
                      re.IGNORECASE)  # fmt: skip
_TABLE_OBJECT = re.compile(r"^\s*(?:the\s+|all\s+|every\s+)?(?:[\w\"`']+\s+){0,2}(?:tables?|views?|schemas?|databases?)\b"
                           r"|\bfrom\s+(?:the\s+)?[\w\"`']+\s+table\b", re.IGNORECASE)  # fmt: skip
#: where a new value is written: "set every open ticket to closed in the tickets table" (for set, change, mark)
_IN_TABLE = re.compile(r"\bin\s+(?:the\s+)?[\w\"`']+\s+table\b", re.IGNORECASE)
_WRITE_VERBS = frozenset({"set", "change", "mark"})


def rule(d: View) -> list[Claim]:
    """Raise :class:`UnsafeRequest` when the request asks to change data; claim nothing otherwise."""
    text = d.prompt
    m = _SQL.search(text)
    verb = m.group(0) if m else None
    if verb is None:
        for h in _HARD.finditer(text):
            if not _PASSIVE.search(text[max(0, h.start() - 25) : h.end() + 25]):
                verb = h.group(1)
                break
    if verb is None:
        for s in _SOFT.finditer(text):
            rest = _sentence_rest(text, s.end())
            writes = s.group(1).lower() in _WRITE_VERBS and _IN_TABLE.search(rest)
            if _TABLE_OBJECT.search(rest) or _bare_table_object(d, rest) or writes:
                verb = s.group(1)
                break
    if verb is not None:
        raise UnsafeRequest(
            f"the request asks to {verb.lower()} data; DataMorph never changes source tables",
            hint="ask for a new table instead, e.g. 'orders that are not cancelled into active_orders'",
        )
    return []


def _sentence_rest(text: str, start: int) -> str:
    m = re.search(r"[.;!?](\s|$)", text[start:])
    return text[start : start + m.start()] if m else text[start:]


def _bare_table_object(d: View, rest: str) -> bool:
    """'drop customers' / 'remove the orders': the object is a whole table and nothing qualifies it."""
    words = re.sub(r"^\s*(?:the|all|every)\s+", "", rest.strip(), flags=re.I).split()
    return len(words) == 1 and d.catalog.has_table(words[0].strip("\"`'"))
