"""Shared pieces of the row-filter recognizers: mention spans, free/used words, negation, condition tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datamorph.catalog import ColumnInfo
from datamorph.planner.draft import Draft
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.common import mentions
from datamorph.planner.recognizers.phrases import reserved
from datamorph.planner.text import Token

NEGATION = re.compile(
    r"\b(?:not|non|no|never|excluding|exclude|except(?:\s+for)?|other\s+than|besides|apart\s+from|aside\s+from|"
    r"ignor(?:e|ing)|skip(?:ping)?|omit(?:ting)?|leav(?:e|ing)\s+out|filter(?:ing)?\s+out|remov(?:e|ing)|"
    r"isn't|aren't|wasn't|weren't|hasn't|haven't|hadn't|didn't|don't|doesn't|without|but\s+not)"
    r"(?:\s+(?:been|be|the|any|those|ones|that|which|are|were|is|was|yet|ever|including|in|from|on|via|through))*"
    r"\s*[-]?\s*$",
    re.IGNORECASE,
)


@dataclass
class Mention:
    start: int
    end: int
    m: TableMatch | ColumnMatch | ValueMatch


def mention_spans(d: Draft) -> list[Mention]:
    out: list[Mention] = []
    low = d.prompt.lower()
    pos = 0
    for m in mentions(d):
        start = getattr(m, "start", None)
        end = getattr(m, "end", None)
        if not isinstance(start, int) or not isinstance(end, int):
            i = low.find(m.text.lower(), pos)
            if i < 0:
                i = low.find(m.text.lower())
            if i < 0:
                continue
            start, end = i, i + len(m.text)
        out.append(Mention(start, end, m))
        pos = start
    return out


def tokens_in(d: Draft, start: int, end: int) -> list[Token]:
    return [t for t in d.tokens.overlapping(start, end)]


def free(d: Draft, start: int, end: int) -> bool:
    held = reserved(d)
    return not any(t.used or id(t) in held for t in tokens_in(d, start, end) if t.kind != "punct")


def mark(d: Draft, start: int, end: int) -> None:
    for t in tokens_in(d, start, end):
        t.used = True


def info(d: Draft, table: str, column: str) -> ColumnInfo:
    return d.catalog.table(table).column(column)



def condition_tokens(d: Draft) -> set[int]:
    """ids of the tokens other recognizers (``dates``) used for row conditions."""
    return {id(t) for a, b in d.condition_spans for t in d.tokens.overlapping(a, b)}
