"""How a sorted result's tie-breakers are said: "ties broken by [the lower] X", "break ties by X (higher
first)", "ties go to the smaller X", "ties: lowest X", "(newest first, ties by X)", "tie-break on X", and
"..., then by Y" after one of them (the next key).

The grammar of one clause: a lead that speaks of ties, then one or more keys. A key is
``[the] [direction word] <column> [direction after]``: the direction word before the column (lower,
smallest, earliest → ascending; higher, largest, newest → descending) or after it, right after the column
("descending", "asc", "(higher first)"), never after a comma (", descending" may be the main key's); said
by neither, the key ascends. A later key is said with "then by X" or "then the <direction> X" ("then keep
only ..." starts a new step and is not read).

A lead is read only where a clause starts (after punctuation, "with", "and", or at the start), and only
after words that order something (:data:`ORDERS`); a clause whose keys are not said in the sentence is not
a tie clause. This module finds the words; the caller says which column a phrase names (``resolve``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ASC_WORDS = frozenset({"lower", "lowest", "smaller", "smallest", "earlier", "earliest", "older", "oldest"})
DESC_WORDS = frozenset({"higher", "highest", "larger", "largest", "bigger", "biggest", "later", "latest", "newer",
                        "newest", "greater", "greatest"})  # fmt: skip
_DIR = "|".join(sorted(ASC_WORDS | DESC_WORDS, key=len, reverse=True))

_LEADS = (
    # "ties broken by", "with ties settled on", "ties are resolved using", "any ties decided by"
    r"(?:(?:with|and)\s+)?(?:(?:any|the|all)\s+)?ties?\s+(?:(?:are|get|should\s+be|will\s+be)\s+)?"
    r"(?:broken|settled|resolved|decided)\s+(?:by|on|using|with)",
    # "ties go to"
    r"(?:(?:with|and)\s+)?ties?\s+go(?:es)?\s+to",
    # "break ties by", "breaking any ties on"
    r"(?:(?:and|while)\s+)?break(?:ing|s)?\s+(?:(?:any|the|all)\s+)?ties\s+(?:by|on|with|using)",
    # "ties: lowest id", "ties -> the higher id", "ties by id"
    r"ties?\s*+(?::|->|→|=>|\bby\b)",
    # "tie-break by id", "tiebreaker: id"
    r"tie[-\s]?break(?:er)?s?\s*+(?::|->|\bby\b|\bon\b|\bis\b)",
)
_LEAD = re.compile(r"\b(?:" + "|".join(_LEADS) + r")\s*+(?:the\s+)?", re.I)
_KEY_WORDS = re.compile(r"\s*+(?:the\s+)?(?:(?P<dir>" + _DIR + r")\s+)?(?P<col>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?(?:\s+[A-Za-z_]\w*){0,2})",
                        re.I)  # fmt: skip
_SHORT = re.compile(r"ties?\s*+(?::|->|→|=>|by\b)|tie[-\s]?break", re.I)  # leads read only where a clause starts
#: a direction said right after the column: "descending", "asc", "(higher first)", "(lowest first)"
_AFTER = re.compile(r"\s+(?P<w>desc(?:ending)?|asc(?:ending)?)\b|\s*+\(\s*+(?P<p>" + _DIR + r"|desc(?:ending)?|"
                    r"asc(?:ending)?)(?:\s+first)?\s*+\)", re.I)  # fmt: skip
_THEN = re.compile(r"\s*+,?\s*+(?:and\s+)?then\s+(?:by\s+(?:the\s+)?(?=\S)|(?:the\s+)?(?=(?:" + _DIR + r")\s))", re.I)
_STOPS = frozenset({"and", "then", "with", "for", "in", "where", "who", "that", "from", "of", "desc", "asc",
                    "descending", "ascending", "first", "into", "limit", "only", "on", "by", "as", "if", "when",
                    "per", "each", "to", "is", "are", "keep", "show", "list", "return", "wins", "win", "but"})
#: words before a tie clause that order something (a sort, a top N, a superlative)
ORDERS = re.compile(r"\b(?:sort(?:ed|s)?|order(?:ed)?\s+(?:by|on)|rank(?:ed|s)?|top|bottom|first|last|\w+est|most|least|"
                    r"desc(?:ending)?|asc(?:ending)?)\b", re.I)  # fmt: skip

Resolve = Callable[[str], "str | None"]


@dataclass(frozen=True)
class TieKey:
    """One key of a tie clause: its words [start, end), the column's words, the reference (None: no column of
    the rows), its direction, and whether that direction was said."""

    start: int
    end: int
    words: str
    column: str | None
    direction: str
    said: bool


@dataclass(frozen=True)
class TieClause:
    """A tie clause: from its lead to its last key; ``keys`` in order (the first may name no column)."""

    start: int
    end: int
    keys: tuple[TieKey, ...]


def clauses(text: str, resolve: Resolve, free: Callable[[int, int], bool]) -> list[TieClause]:
    """The tie clauses of ``text`` whose lead is ``free``, at a clause's start, after words that order."""
    out: list[TieClause] = []
    for m in _LEAD.finditer(text):
        if not free(m.start(), m.end()) or not _at_clause_start(text, m) or not ORDERS.search(text, 0, m.start()):
            continue
        keys = [_key(text, m.end(), m.start(), resolve)]
        while keys[-1].column is not None and (t := _THEN.match(text, keys[-1].end)) is not None:
            nxt = _key(text, t.end(), keys[-1].end, resolve)
            if nxt.column is None:
                break
            keys.append(nxt)
        out.append(TieClause(m.start(), keys[-1].end, tuple(keys)))
    return out


def _at_clause_start(text: str, m: re.Match[str]) -> bool:
    """A short lead ("ties:", "ties by", "tie-break on") opens a clause: at the start or after punctuation."""
    if not _SHORT.match(m.group(0)):  # "ties broken by", "break ties on": said anywhere
        return True
    before = text[: m.start()].rstrip()
    return not before or before[-1] in "(,;:.!?-"


def _key(text: str, pos: int, start: int, resolve: Resolve) -> TieKey:
    """The key at ``pos`` (its words from ``start``): the longest run of its first words that names a column."""
    k = _KEY_WORDS.match(text, pos)
    if k is None:
        return TieKey(start, pos, "", None, "asc", False)
    words = []
    for w in re.finditer(r"\S+", k.group("col")):
        if w.group(0).lower() in _STOPS:
            break
        words.append(w)
    said = k.group("dir").lower() if k.group("dir") else None
    for n in range(len(words), 0, -1):
        phrase = " ".join(w.group(0) for w in words[:n])
        ref = resolve(phrase)
        if ref is None:
            continue
        end = k.start("col") + words[n - 1].end()
        after = _AFTER.match(text, end)
        direction = "desc" if said in DESC_WORDS else "asc"
        if after is not None:
            word = (after.group("w") or after.group("p")).lower()
            post = "desc" if word in DESC_WORDS or word.startswith("desc") else "asc"
            if said is not None and post != direction:  # "the lower id (descending)": which?
                return TieKey(start, after.end(), phrase, None, direction, True)
            direction, end = post, after.end()
        return TieKey(start, end, phrase, ref, direction, said is not None or after is not None)
    end = k.start("col") + words[-1].end() if words else k.end()
    return TieKey(start, end, k.group("col"), None, "asc", said is not None)
