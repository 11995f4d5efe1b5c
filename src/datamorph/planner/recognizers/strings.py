"""String functions as derived columns: case, trimming, length and the first/last characters.

- "email in lower case", "lower-case email", "the email lowercased" → ``lower(email)``;
- "upper-case country code", "country in upper case", "city in capitals" → ``upper(...)``;
- "trim spaces from city", "trimmed city", "city with the spaces trimmed" → ``trim(city)``;
- "length of the product name", "number of characters in the name" → ``length(...)``;
- "the first 3 letters of the name", "last four digits of the phone" → ``left/right(..., n)``.

The column must be a text column (a number's "length" is not meant); the new column takes the
name the request gives (``as``/``called``/``named``), else ``<column>_<function>``.
"""

from __future__ import annotations

import re

from datamorph.planner.claims import Claim, View
from datamorph.planner.recognizers.derivekit import Work, add, column_phrase, family, name_around
from datamorph.planner.text import tokenize

_DET = r"(?:(?:the|each|every|their|its|his|her|all)\s+)?"
_WORD = r"[A-Za-z_]\w*"
_CASE = r"(?:lower|upper)[\s-]?case[sd]?|lowercased|uppercased|lowercase|uppercase|capitali[sz]ed|in\s+capitals"
_PRE = re.compile(
    rf"\b(?:(?P<case>lower[\s-]?case[d]?|upper[\s-]?case[d]?|all[\s-]caps)"
    rf"|(?P<trim>trim(?:med)?(?:\s+(?:the\s+)?(?:spaces|whitespace|blanks|white\s+space)\s+(?:from|off|around|of|in))?)"
    rf"|(?P<len>(?:the\s+)?(?:length|character\s+count|char\s+count|number\s+of\s+(?:characters|chars|letters))"
    rf"\s+(?:of|in)|how\s+many\s+(?:characters|letters)\s+(?:are\s+)?in)"
    rf"|(?P<side>first|last|leading|trailing|initial|final)\s+(?P<n>\d+|[a-z]+)\s+(?:letters?|characters?|chars?|digits?)"
    rf"\s+(?:of|in|from))\s+{_DET}(?P<c>{_WORD}(?:\s+{_WORD}){{0,2}})",
    re.IGNORECASE,
)
_POST = re.compile(
    rf"(?<!\w)(?P<c>{_WORD}+(?:\s+{_WORD}+){{0,2}}?)(?:'s)?\s+(?:(?:written|shown|converted|put|turned)\s+)?(?:"
    rf"in\s+(?:all\s+)?(?P<case>lower[\s-]?case|upper[\s-]?case|capitals|caps|capital\s+letters|small\s+letters)"
    rf"|(?P<case2>lower[\s-]?cased|upper[\s-]?cased|lowercased|uppercased|capitali[sz]ed)"
    rf"|(?:with\s+(?:the\s+)?(?:spaces|whitespace|blanks)\s+)?(?P<trim>trimmed|stripped)"
    rf"|(?P<len>length))\b",
    re.IGNORECASE,
)
_STOP_HEAD = frozenset({"the", "a", "an", "and", "or", "with", "of", "in", "for", "each", "every", "all", "their",
                        "its", "show", "list", "give", "me", "return", "get", "plus", "also", "then", "is", "as"})  # fmt: skip


def rule(v: View) -> list[Claim]:
    """The string functions the request asks for, as new columns."""
    d = Work(v)
    for m in _PRE.finditer(d.prompt):
        if not d.free(m.start(), m.start("c")):
            continue
        found = _column_at_start(d, m.start("c"), m.end("c"))
        if found is None:
            continue
        col, cend = found
        fn = _function(m)
        if fn is None:
            continue
        _add(d, fn, col, m.start(), cend)
    for m in _POST.finditer(d.prompt):
        func_start = m.end("c")
        if not d.free(func_start, m.end()):
            continue
        found = _column_at_end(d, m.start("c"), m.end("c"))
        if found is None:
            continue
        col, cstart = found
        fn = _function(m)
        if fn is None:
            continue
        _add(d, fn, col, cstart, m.end())
    return d.claims()


def _function(m: re.Match[str]) -> tuple[str, str] | None:
    """(SQL template with {c}, default suffix) for the matched wording."""
    g = m.groupdict()
    case = (g.get("case") or g.get("case2") or "").lower()
    if case:
        if case.startswith(("lower", "small")):
            return "lower({c})", "lower"
        return "upper({c})", "upper"
    if g.get("trim"):
        return "trim({c})", "trimmed"
    if g.get("len"):
        return "length({c})", "length"
    if g.get("side"):
        toks = tokenize(g["n"]).items
        n = toks[0].value if toks and toks[0].kind == "number" else None
        if not isinstance(n, int) or n <= 0:
            return None
        if g["side"].lower() in ("first", "leading", "initial"):
            return f"left({{c}}, {n})", "prefix"
        return f"right({{c}}, {n})", "suffix"
    return None


def _column_at_start(d: Work, start: int, end: int) -> tuple[str, int] | None:
    """The text column named by the longest run of words from ``start`` (and where it ends)."""
    words = list(re.finditer(_WORD, d.prompt[start:end]))
    for k in range(len(words), 0, -1):
        cend = start + words[k - 1].end()
        col = _text_column(d, d.prompt[start:cend])
        if col:
            return col, cend
    return None


def _column_at_end(d: Work, start: int, end: int) -> tuple[str, int] | None:
    """The text column named by the longest run of words ending at ``end`` (and where it starts)."""
    words = list(re.finditer(_WORD, d.prompt[start:end]))
    for k in range(len(words)):
        if words[k].group().lower() in _STOP_HEAD:
            continue
        cstart = start + words[k].start()
        col = _text_column(d, d.prompt[cstart:end])
        if col:
            return col, cstart
    return None


def _text_column(d: Work, phrase: str) -> str | None:
    words = phrase.lower().split()
    if not words or words[0] in _STOP_HEAD or words[-1] in _STOP_HEAD or words[-1] in ("called", "named"):
        return None
    col = column_phrase(d, phrase, min_score=0.8)
    if col is None or family(d, col) != "text":
        return None
    return col


def _add(d: Work, fn: tuple[str, str], col: str, start: int, end: int) -> None:
    template, suffix = fn
    if not d.free(start, end):
        return
    name, nstart, nend = name_around(d, start, end)
    name = name or f"{col.split('.')[-1]}_{suffix}"
    add(d, name, template.format(c=col), min(start, nstart), max(end, nend))
