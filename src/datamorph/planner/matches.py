"""Schema-linking vocabulary: the match types, score scale and small text helpers shared by
:mod:`~datamorph.planner.linking` and :mod:`~datamorph.planner.values`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from datamorph.planner.lexicon import (
    MEASURE_WORDS,
    NON_SCHEMA_WORDS,
    TABLE_AFFIXES,
    phrase_tokens,
    split_identifier,
)


@dataclass(frozen=True)
class TableMatch:
    table: str
    score: float
    text: str  # the words matched
    start: int = -1  # character offsets of ``text`` in the sentence (find_mentions), else -1
    end: int = -1


@dataclass(frozen=True)
class ColumnMatch:
    table: str
    column: str
    score: float
    text: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class ValueMatch:
    table: str
    column: str
    value: Any  # exactly as stored (case preserved); True/False for boolean columns
    score: float
    text: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True)
class JoinEdge:
    """``left_table.left_column = right_table.right_column``; in a path, ``left_table`` is already joined."""

    left_table: str
    left_column: str
    right_table: str
    right_column: str


Mention = TableMatch | ColumnMatch | ValueMatch

# -- scores ----------------------------------------------------------------------------------
S_EXACT = 1.0
S_NORMAL = 0.97
S_AFFIX = 0.95
S_TABLE_SYNONYM = 0.9
S_HEAD = 0.92  # the last word of one table's name alone ("entries" ← ledger_entries): above a synonym
S_COLUMN_SYNONYM = 0.88
S_LOCAL = 0.85
S_QUALIFIED = 0.96  # factor on the inner column score
S_PARTIAL = 0.6  # plus up to 0.2 for the share of the name covered
S_FUZZY = 0.8  # minus 0.05 per extra edit
S_REORDERED = 0.9  # a column's words in another order or form ("date of hire", "status of the payment")
S_INITIALS = 0.86  # a one-word column name made of the phrase's initials ("estimated time of arrival" → eta)
S_CLIPPED = 0.82  # the clipped form of one table's name ("orgs" ← organizations, "appts" ← appointments)
S_RANK_STEP = 0.01  # per position of a synonym target after the first
S_FK = 0.01  # an exact name that is a foreign key ranks after the table that owns it
V_EXACT = 0.95
V_NORMAL = 0.9
V_NEGATED = 0.88
V_FUZZY = 0.75
V_QUALIFIED = 0.96
SPAN_BONUS = 0.05  # per extra word of a mention, when choosing between overlapping spans
CONTEXT_SLACK = 0.1  # how far below the best candidate the sentence's context may pick

_BOOL_PREFIXES = frozenset({"is", "has", "was", "can", "should", "did", "flag", "b"})
_CONNECTIVES = frozenset({"and", "the", "a", "an", "of"})
_DETERMINERS = frozenset({"the", "a", "an", "each", "every", "all", "their", "its", "our", "his", "her"})
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_JOINER_RE = re.compile(r"\s*&?\s*")  # what may stand between the words of one mention
_WORD_RE = re.compile(r"[A-Za-z0-9_]+(?:['\u2019\-.][A-Za-z0-9_]+)*['\u2019]?")
_INFLECTIONS = ("ed", "ing")


def is_measure_name(word: str) -> bool:
    """One identifier that names a measure (``order_count``, ``total_amount``, ``avgSalary``, ``pct_sessions``).

    Such a name is the request's own name for a computed column: it never names a table, nor a
    column by a part of it or a typo (only a column of exactly that name).
    """
    w = word.strip()
    if not w or any(ch.isspace() for ch in w) or not ("_" in w or re.search(r"[a-z][A-Z]", w)):
        return False
    toks = phrase_tokens(w)
    return len(toks) > 1 and any(t in MEASURE_WORDS for t in toks)


def _compact(tokens: Iterable[str]) -> str:
    return "".join(tokens)


def _alnum(text: str) -> str:
    return _NON_ALNUM_RE.sub("", text.lower())


def _strip_edges(tokens: Sequence[str], words: frozenset[str] = NON_SCHEMA_WORDS) -> tuple[str, ...]:
    """Tokens without leading and trailing stopwords (empty when all are stopwords)."""
    i, j = 0, len(tokens)
    while i < j and tokens[i] in words:
        i += 1
    while j > i and tokens[j - 1] in words:
        j -= 1
    return tuple(tokens[i:j])


def _strip_raw(phrase: str, words: frozenset[str] = NON_SCHEMA_WORDS) -> str:
    """The phrase lower-cased, without leading/trailing whitespace-separated stopwords."""
    split = phrase.strip().lower().split()
    i, j = 0, len(split)
    while i < j and set(phrase_tokens(split[i])) <= words:
        i += 1
    while j > i and set(phrase_tokens(split[j - 1])) <= words:
        j -= 1
    return " ".join(split[i:j])


def _max_edits(n: int) -> int:
    if n < 4:
        return 0
    return 1 if n <= 8 else 2


class _Fuzzy:
    """Compact keys bucketed by first character, searched by edit distance (rapidfuzz OSA).

    Strict on purpose: the first letter must match; words of 4-8 letters allow one edit
    (and up to 5 letters only an inserted or dropped letter, so ``store`` never becomes
    ``score``), longer words two.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, list[str]] = {}
        self._seen: set[str] = set()

    def add(self, key: str) -> None:
        if len(key) >= 3 and key not in self._seen:
            self._seen.add(key)
            self._buckets.setdefault(key[0], []).append(key)

    def search(self, query: str) -> list[tuple[str, int]]:
        maxd = _max_edits(len(query))
        bucket = self._buckets.get(query[:1]) if maxd else None
        if not bucket:
            return []
        out: list[tuple[str, int]] = []
        for key, dist, _ in process.extract(
            query, bucket, scorer=OSA.distance, score_cutoff=maxd, limit=None
        ):
            if dist == 0:
                continue
            if not short_typo(query, key):
                continue
            if query.endswith(_INFLECTIONS) and not query.startswith(key) and Indel.distance(query, key) != 1:
                # an inflected verb is no typo of another word: 'computed' is not 'Computers', 'skipped'
                # is not 'shipped'; a dropped or doubled letter still is ('shiped' → 'shipped')
                continue
            out.append((key, int(dist)))
        return out


def short_typo(query: str, key: str) -> bool:
    """A short word is a typo of another only one letter off (added or dropped): 'set' is no 'seats'."""
    return min(len(key), len(query)) > 5 or Indel.distance(query, key) == 1


def typo_of(query: str, key: str) -> bool:
    """Whether ``query`` is the same as ``key`` or a typo of it, by the rules of :meth:`_Fuzzy.search` on its own
    (a word of three letters has no typos: 'set' is no 'seat')."""
    dist = OSA.distance(query, key)
    return dist == 0 or dist <= _max_edits(len(query)) and short_typo(query, key)


def _put(out: dict[Any, float], key: Any, score: float) -> None:
    if score > out.get(key, 0.0):
        out[key] = score


# -- values ----------------------------------------------------------------------------------

_SKIP_TOKENS = frozenset({
    "id", "uuid", "guid", "email", "mail", "url", "uri", "link", "href", "website", "phone", "fax",
    "ip", "hash", "password", "passwd", "token", "secret", "salt", "description", "comment",
    "comments", "note", "notes", "body", "message", "html", "json", "xml", "address", "street",
    "signature", "path", "filename",
})  # fmt: skip
_PERSON_NAME_TOKENS = frozenset({
    "first", "last", "middle", "full", "given", "family", "sur", "user", "nick", "display",
    "contact", "maiden", "legal", "preferred",
})  # fmt: skip
_PERSON_NAME_COLUMNS = frozenset(
    {"surname", "forename", "username", "login", "firstname", "lastname", "fullname"}
)


def _skip_value_column(name: str) -> bool:
    """Columns whose values are identifiers, contact details, person names or free text."""
    toks = set(split_identifier(name))
    if toks & _SKIP_TOKENS or name.lower() in _PERSON_NAME_COLUMNS:
        return True
    return "name" in toks and bool(toks & _PERSON_NAME_TOKENS)


def _path_column(name: str) -> bool:
    """A column of paths or links ("page_url", "landing_path"): its values are found only as written ("/pricing")."""
    return bool(set(split_identifier(name)) & _PATH_TOKENS)


_PATH_TOKENS = frozenset({"url", "uri", "link", "href", "path", "route", "endpoint", "slug"})


def _value_key(tokens: Sequence[str]) -> str:
    """Compact key of a value's words, inner connectives dropped (``Phones & Accessories`` ↔ ``phones and accessories``)."""
    if len(tokens) < 3:
        return _compact(tokens)
    inner = [t for t in tokens[1:-1] if t not in _CONNECTIVES]
    return _compact([tokens[0], *inner, tokens[-1]])


def _table_stems(name: str) -> set[str]:
    """Compact forms that name a table: its words singular, with and without warehouse affixes."""
    toks = phrase_tokens(name)
    out = {_compact(toks)} if toks else set()
    core = list(toks)
    while len(core) > 1 and core[0] in TABLE_AFFIXES:
        core.pop(0)
    while len(core) > 1 and core[-1] in TABLE_AFFIXES:
        core.pop()
    if core:
        out.add(_compact(core))
    return out


def _identity(m: Mention) -> tuple[Any, ...]:
    return (type(m).__name__, m.table, getattr(m, "column", None), getattr(m, "value", None))


def _table_of(m: Mention) -> str:
    return m.table


_KIND_ORDER = {TableMatch: 0, ColumnMatch: 1, ValueMatch: 2}


def _mention_order(m: Mention) -> tuple[Any, ...]:
    return (-m.score, _KIND_ORDER[type(m)], m.table, getattr(m, "column", ""), str(getattr(m, "value", "")))


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    tokens: tuple[str, ...]
    stop: bool
    alpha: bool
    measure: bool = False
