"""Words of a request, with their positions, and the literals in it (numbers, dates, quoted text).

The planner marks every word it uses; what is left unused at the end is
reported, so nothing in a request is dropped silently.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "thirteen": 13, "fourteen": 14, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "forty": 40, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "fifty": 50, "hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000, "dozen": 12,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
MONTHS = {
    m: i + 1
    for i, names in enumerate([
        ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
        ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
        ("november", "nov"), ("december", "dec"),
    ])
    for m in names
}  # fmt: skip

#: A path written as stored ("/pricing", "/blog/how-to"): a value as written, never a division (only after a space,
#: an opening bracket, a comma or a colon: "amount/quantity", "and/or", "a + /b" are not paths).
PATH_LITERAL = r"(?:(?<=[\s(\[,:])|^)/[A-Za-z0-9](?:[\w\-/]|\.(?=\w))*"

_TOKEN = re.compile(
    r"""
    (?P<quoted>'[^']*'|"[^"]*"|`[^`]*`|""" + PATH_LITERAL + r""")
  | (?P<date>\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?)
  | (?P<number>-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:(?:[kK]|[mM]{1,2}|bn|BN)\b)?)
  | (?P<op>>=|<=|!=|<>|->|=>|==|[<>=*/+%()|-])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:'[a-z]+)?(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<punct>[,;:.?!])
    """,
    re.VERBOSE,
)


@dataclass
class Token:
    text: str  # as written
    kind: str  # quoted, date, number, op, word, punct
    start: int
    end: int
    value: object = None  # number, date or unquoted text
    used: bool = False  # explained by an applied claim (see planner/claims.py)
    shared: bool = False  # explained by a shared claim only: still free for others

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def lemmas(self) -> frozenset[str]:
        """The word in lower case, singular and as its lemmas (``"ordered"`` → {ordered, order})."""
        from datamorph.planner.lexicon import lemmas

        return lemmas(self.text) if self.kind == "word" else frozenset({self.low})


@dataclass
class Tokens:
    source: str
    items: list[Token] = field(default_factory=list)
    _index: tuple[int, int, list[int], list[int]] | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Token:
        return self.items[i]

    def words(self) -> list[str]:
        return [t.low for t in self.items]

    def text(self, i: int, j: int) -> str:
        """The source text from token i to token j-1."""
        if i >= j:
            return ""
        return self.source[self.items[i].start : self.items[j - 1].end]

    def mark(self, i: int, j: int) -> None:
        for t in self.items[i:j]:
            t.used = True

    # Tokens in a span of the source, found by bisection: a scan of all tokens for each of many spans
    # makes planning quadratic in the request's length. (Tokens are sorted and do not overlap.)
    def within(self, start: int, end: int) -> list[Token]:
        """The tokens lying wholly in ``[start, end)``."""
        return [t for t in self.starting(start, end) if t.end <= end]

    def _bounds(self) -> tuple[list[int], list[int]]:
        """The tokens' start and end offsets, built once per list of tokens (a key function per
        bisection step costs a call each time)."""
        key = (id(self.items), len(self.items))
        if self._index is None or self._index[:2] != key:
            self._index = (*key, [t.start for t in self.items], [t.end for t in self.items])
        return self._index[2], self._index[3]

    def starting(self, start: int, end: int) -> list[Token]:
        """The tokens that start in ``[start, end)``."""
        starts, _ = self._bounds()
        return self.items[bisect.bisect_left(starts, start) : bisect.bisect_left(starts, end)]

    def overlapping(self, start: int, end: int) -> list[Token]:
        """The tokens that share a character with ``[start, end)``."""
        starts, ends = self._bounds()
        return self.items[bisect.bisect_right(ends, start) : bisect.bisect_left(starts, end)]

    def unused_words(self, ignore: frozenset[str]) -> list[str]:
        return [t.text for t in self.items if not t.used and t.kind in ("word", "quoted", "number", "date")
                and t.low not in ignore]  # fmt: skip


def tokenize(text: str) -> Tokens:
    out = Tokens(text)
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "punct"
        raw = m.group()
        value: object = None
        if kind == "quoted":
            value = raw if raw[0] == "/" else raw[1:-1]  # a path ("/pricing") is a value as written
        elif kind == "number":
            value = parse_number(raw)
        elif kind == "date":
            value = raw
        elif kind == "word" and raw.lower() in _NUMBER_WORDS:
            kind, value = "number", _NUMBER_WORDS[raw.lower()]
        out.items.append(Token(raw, kind, m.start(), m.end(), value))
    _join_number_words(out)
    return out


def _join_number_words(toks: Tokens) -> None:
    """"two thousand", "five hundred and fifty", "1.5 million", "twenty five": one number token."""
    items, out, i = toks.items, [], 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j].kind == "number" and _continues(items, j + 1):
            j += 2 if items[j + 1].low == "and" else 1
        if j > i:
            value = _compose(items[i : j + 1])
            if value is not None:
                first, last = items[i], items[j]
                out.append(Token(toks.source[first.start : last.end], "number", first.start, last.end, value))
                i = j + 1
                continue
        out.append(items[i])
        i += 1
    toks.items = out


def _continues(items: list[Token], k: int) -> bool:
    nxt = items[k]
    if nxt.low == "and":  # "five hundred and fifty"
        return k + 1 < len(items) and items[k - 1].low in _SCALES and items[k + 1].low in _NUMBER_WORDS
    return nxt.low in _NUMBER_WORDS and not nxt.text[0].isdigit() and (
        nxt.low in _SCALES or items[k - 1].low in _NUMBER_WORDS and _NUMBER_WORDS[items[k - 1].low] % 10 == 0
        and _NUMBER_WORDS[items[k - 1].low] >= 20 and _NUMBER_WORDS[nxt.low] < 10)


def _compose(parts: list[Token]) -> int | float | None:
    total: float = 0
    current: float = 0
    for p in parts:
        if p.low == "and":
            continue
        if p.low in _SCALES:
            scale = _SCALES[p.low]
            current = (current or 1) * scale
            if scale >= 1000:
                total, current = total + current, 0
        elif isinstance(p.value, (int, float)):
            current += p.value
        else:
            return None
    v = total + current
    return int(v) if float(v).is_integer() else v


_SUFFIXES = {"k": 1000, "m": 1_000_000, "mm": 1_000_000, "bn": 1_000_000_000}


def parse_number(raw: str) -> int | float:
    """A number in digits: ``"12,500"`` → 12500, ``"12.5k"`` → 12500, ``"1.2M"`` → 1200000, ``"3bn"``, ``"0.5"``."""
    s = raw.replace(",", "").lstrip("$")
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)(k|mm|m|bn)?", s, re.IGNORECASE)
    if m is None:
        raise ValueError(f"not a number: {raw!r}")
    digits, suffix = m.group(1), (m.group(2) or "").lower()
    v = float(digits) * _SUFFIXES.get(suffix, 1)
    return int(v) if v.is_integer() and ("." not in digits or suffix) else v


def iso(d: dt.date) -> str:
    return d.isoformat()


def month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


@lru_cache(maxsize=4096)
def find_words(text: str, phrase: str, start: int = 0) -> int:
    """Where ``phrase`` first occurs in ``text`` from ``start`` as whole words (case-insensitive), or -1: "age" is
    not found inside "average". (Cached: recognizers look up the same provenance again and again.)"""
    if not phrase:
        return -1
    m = re.compile(rf"(?<!\w){re.escape(phrase)}(?!\w)", re.IGNORECASE).search(text, start)
    return m.start() if m else -1
