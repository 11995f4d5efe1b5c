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
from datamorph.planner.matches import ColumnMatch
from datamorph.planner.recognizers.derivekit import Work, add, column_phrase, family, in_play, name_around
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


# -- the part of a text before or after a separator ----------------------------------------------

_SEPS = {"dash": "-", "hyphen": "-", "underscore": "_", "slash": "/", "dot": ".", "period": ".", "colon": ":",
         "comma": ",", "space": " ", "at": "@", "at sign": "@", "at-sign": "@", "pipe": "|", "semicolon": ";"}  # fmt: skip
_PART = re.compile(
    r"\b(?:the\s+)?(?P<what>part|portion|text|letters|characters|chars|digits|numbers?|bit|piece|code|word)\s+"
    r"(?:(?:of|in)\s+(?:the\s+|their\s+|its\s+)?(?P<c0>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+)?"  # "the part of the email after the @"
    r"(?P<side>before|after|following|preceding)\s+(?:the\s+)?(?:first\s+)?"
    r"(?P<sep>'[^'\s]{1,3}'|\"[^\"\s]{1,3}\"|[@/|:_-](?=\s|[,;.)]|$)|dash|hyphen|underscore|slash|dot|period|colon|comma|"
    r"space|at[\s-]sign|pipe|semicolon|@)"
    r"(?:\s+(?:of|in)\s+(?:the\s+)?(?P<c>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?))?",
    re.I,
)
_MODIFIER = re.compile(
    r"\s*,?\s*(?:and\s+|then\s+)?(?:(?P<lower>lower[\s-]?cased?|in\s+lower\s+case|lowercased|lowercase)"
    r"|(?P<upper>upper[\s-]?cased?|in\s+upper\s+case|uppercased|uppercase|in\s+capitals)"
    r"|(?P<trim>trimmed|stripped|with\s+(?:the\s+)?spaces\s+(?:trimmed|removed))"
    r"|(?P<int>as\s+(?:an?\s+)?(?:integer|int|whole\s+number|number)))\b",
    re.I,
)
_NAME_PAREN = re.compile(r"(?<!\w)(?P<n>[A-Za-z_]\w*+)\s*\(\s*$")
_EXAMPLE_CLOSE = re.compile(r"\s*,?\s*(?:e\.\s?g\.|eg\.?|for\s+example|for\s+instance|like|such\s+as|say)\s*,?\s*"
                            r"(?:'[^']{0,40}'|\"[^\"]{0,40}\"|[\w.@-]{1,40})\s*\)|\s*\)", re.I)  # fmt: skip


#: "their email domain", "the domain of the billing email": the part of an e-mail address after the @
_DOMAIN = re.compile(r"\b(?:(?P<c1>(?!(?:the|their|its|his|her|our|your|an?|each|every|per|by|of)\b)[A-Za-z_]\w*"
                     r"(?:\s+e-?mail)?)\s+domains?|domains?\s+(?:name\s+)?(?:of|in)\s+"
                     r"(?:the\s+|their\s+|its\s+|each\s+)?(?P<c2>[A-Za-z_]\w*(?:\s+e-?mail)?))\b", re.I)  # fmt: skip


def _domains(d: Work) -> None:
    for m in _DOMAIN.finditer(d.prompt):
        col = _text_column(d, m.group("c1") or m.group("c2"))
        if col is None or "mail" not in col.rsplit(".", 1)[-1].lower() or not d.free(m.start(), m.end()):
            continue  # only an e-mail address has a domain after its @
        add(d, f"{col.rsplit('.', 1)[-1]}_domain", f"split_part({col}, '@', 2)", m.start(), m.end())


def parts(v: View) -> list[Claim]:
    """"the part after the @ of email, lower-cased", "shelf_row (the characters before the slash)", "the number
    following the slash as an integer": ``split_part`` of a text column, then the functions said after it; "the
    email domain": the part after its @."""
    d = Work(v)
    _domains(d)
    for m in _PART.finditer(d.prompt):
        if not d.free(m.start(), m.end("sep")):
            continue
        sep_raw = m.group("sep")
        sep = sep_raw[1:-1] if sep_raw[0] in "'\"" else _SEPS.get(re.sub(r"[\s-]+", " ", sep_raw.lower()), sep_raw)
        col, col_span = _part_column(d, m)
        if col is None:
            continue
        named_before = col_span is not None and col_span[1] <= m.start()  # "..., email and email_user, the part before"
        side = m.group("side").lower()
        sql = f"split_part({col}, '{sep.replace(chr(39), chr(39) * 2)}', {1 if side in ('before', 'preceding') else 2})"
        end = m.end()
        while (x := _MODIFIER.match(d.prompt, end)) is not None:
            if x.group("lower"):
                sql = f"lower({sql})"
            elif x.group("upper"):
                sql = f"upper({sql})"
            elif x.group("trim"):
                sql = f"trim({sql})"
            else:
                sql = f"CAST({sql} AS INTEGER)"
            end = x.end()
        start, spans = m.start(), [] if col_span is None else [col_span]
        before = _NAME_PAREN.search(d.prompt, max(0, start - 40), start)
        close = _EXAMPLE_CLOSE.match(d.prompt, end)
        if before and close and not any(d.catalog.table(t).has_column(before.group("n")) for t in in_play(d)):
            name, start, end = before.group("n"), before.start(), close.end()  # "city_code (the letters before ...)"
        else:
            found, nstart, nend = name_around(d, start, end)
            if found and not (col_span and col_span[0] <= nstart < col_span[1]):  # (not "email:" of the column)
                name, start, end = found, nstart, nend
            else:
                name = f"{col.rsplit('.', 1)[-1]}_{'prefix' if side in ('before', 'preceding') else 'suffix'}"
        split = _SPLIT_LEAD.search(d.prompt, max(0, start - 60), start)
        if split and d.free(split.start(), start):  # "split it into city_code (...) and ..."
            d.take(((split.start(), start),), why="the parts a column is split into")
        add(d, name, sql, start, end)
        for a, b in spans:
            lead = _LEAD.search(d.prompt, max(0, a - 80), a)
            a = lead.start() if lead and d.free(lead.start(), a) else a
            like = _LOOKS_LIKE.match(d.prompt, b)
            if like and d.free(b, like.end()):  # its format shown by an example: no condition
                d.take(((b, like.end()),), why=f"how the column {name} is computed from looks")
            if d.free(a, b):  # a column named earlier may be an item of the output list too: shared
                d.take(((a, b),), shared=named_before, why=f"the column {name} is computed from")
        stays = _NULL_STAYS.search(d.prompt, end)
        if stays and d.free(stays.start(), stays.end()) and _text_column(d, stays.group("c")) == col:
            d.take(((stays.start(), stays.end()),), why="a missing value gives no part (NULL), as said")
    return d.claims()


# "extract the host from every visitor's profile url: ...": what the part is, said before its column
_LEAD = re.compile(r"\b(?:pull|take|get|extract|grab|cut)\s+(?:out\s+)?(?:the\s+)?[A-Za-z]+(?:\s+[A-Za-z]+)?\s+"
                   r"(?:out\s+of|from|off)\s+(?:(?:each|every|the|all)\s+)?(?:[A-Za-z_]+'s\s+)?(?:the\s+)?$", re.I)  # fmt: skip
_SPLIT_LEAD = re.compile(r"\b(?:split|divide|break|separate|cut)\s+(?:it|them|(?:the\s+|each\s+)?[A-Za-z_]\w*)\s+"
                         r"(?:up\s+)?(?:into|in)\s+(?:two\s+|2\s+)?(?:parts\s*:?\s*)?$", re.I)  # fmt: skip
_LOOKS_LIKE = re.compile(r"\s+(?:looks|look|is\s+formatted|is\s+written|reads)\s+like\s+(?:'[^']{1,40}'|\"[^\"]{1,40}\")")
# "members without a contact email get NULL": what the part is for them, not a filter
_NULL_STAYS = re.compile(r"\b[A-Za-z_]+\s+(?:without|with\s+no)\s+(?:an?\s+)?(?P<c>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+"
                         r"(?:get|gets|have|has|show|stay|remain|are|is)\s+(?:a\s+)?(?:NULL|empty|blank|nothing)\b",
                         re.I)  # fmt: skip


def _part_column(d: Work, m: re.Match[str]) -> tuple[str | None, tuple[int, int] | None]:
    """The text column whose part is taken: named after the phrase ("... of email"), else the one text
    column the request names before it in the same or the previous sentence ("login_name: the text
    after the underscore"; "code looks like 'AB-1'. Split it: the letters before the dash"); None when several are."""
    if m.group("c") or m.group("c0"):
        col = _text_column(d, m.group("c") or m.group("c0"))
        return (col, None) if col else (None, None)
    lo = max(0, m.start() - 200)
    cut = [x.end() for x in re.finditer(r"(?<!\be\.g)(?<!\bi\.e)[.!?](?:\s|$)", d.prompt[lo : m.start()])]
    if len(cut) >= 2:
        lo += cut[-2]
    found = [x for x in d.mentions if isinstance(x, ColumnMatch) and lo <= x.start and x.end <= m.start()
             and family(d, f"{x.table}.{x.column}") == "text"]  # fmt: skip
    if not found or len({(x.table, x.column) for x in found}) > 1:
        return None, None  # no text column named, or several: which one's part is not said
    x = found[-1]
    d.use_table(x.table)
    return f"{x.table}.{x.column}", (x.start, x.end)


# -- text pieces put one after the other -------------------------------------------------------------

_N_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}


def _piece(k: int) -> str:
    return (rf"(?<!\w)(?:the\s+)?(?:(?P<side{k}>first|last|initial|final)\s+(?:(?P<n{k}>\d+|two|three|four|five)\s+)?"
            rf"(?:letters?|characters?|chars?|digits?)\s+(?:of|in|from)\s+(?:the\s+|their\s+|its\s+)?)?"
            rf"(?P<c{k}>[A-Za-z_]\w*+)")  # fmt: skip


_JOINED = re.compile(
    _piece(1) + r"\s*,?\s+(?:followed\s+by|and\s+then|then|joined\s+(?:to|with)|glued\s+to)\s+" + _piece(2)
    + r"(?:\s*,?\s*(?:both\s+|all\s+|each\s+)?(?:in\s+)?(?:(?P<upper>upper[\s-]?case[d]?|uppercased|capitals|caps)"
    r"|(?P<lower>lower[\s-]?case[d]?|lowercased)))?"
    r"(?P<ex>\s*\(\s*(?:e\.\s?g\.\s*,?\s*|for\s+example\s*,?\s*)?[^()]{1,40}?(?:->|=>|\u2192|gives|becomes)\s*"
    r"(?:'[^']{0,20}'|\"[^\"]{0,20}\")\s*\))?",
    re.I,
)


def joined(v: View) -> list[Claim]:
    """"the initial letter of city joined with the last 3 digits of postcode, all upper-case": the
    pieces concatenated (``||``), the case said after them applied to each."""
    d = Work(v)
    for m in _JOINED.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        parts = []
        for k in (1, 2):
            col = _text_column(d, m.group(f"c{k}"))
            if col is None:
                break
            side, raw = m.group(f"side{k}"), (m.group(f"n{k}") or "1").lower()
            n = _N_WORDS.get(raw) or int(raw)
            sql = col if side is None else f"{'left' if side.lower() in ('first', 'initial') else 'right'}({col}, {n})"
            if m.group("upper"):
                sql = f"upper({sql})"
            elif m.group("lower"):
                sql = f"lower({sql})"
            parts.append(sql)
        if len(parts) != 2 or not (m.group("side1") or m.group("side2")):
            continue  # two whole columns one after the other: a concatenation with a separator (derived)
        name, start, end = name_around(d, m.start(), m.end())
        add(d, name or f"{m.group('c1')}_{m.group('c2')}", " || ".join(parts), start, end)
    return d.claims()
