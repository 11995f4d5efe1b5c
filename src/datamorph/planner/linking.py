"""Schema linking: ground the words of a request in the catalog and in the data.

:class:`SchemaLinker` answers "which table / column / value does this phrase mean?" for
the rule-based planner: ``"clients"`` → ``customers``, ``"hire date"`` →
``employees.hire_date``, ``"revenue"`` → ``orders.amount``, ``"cancelled"`` →
``orders.status = 'cancelled'`` (through a :class:`ValueIndex` of the distinct values of
low-cardinality text columns), and finds a join tree between tables over foreign keys.

Every answer is a list, best first, with a score in 0..1. Rough scale:

========  =================================================================
1.00      the exact name (``customer_id``)
0.97      the same words (``Customer IDs``, ``customerId``, ``order items``)
0.95      a table name without its warehouse affix (``dim_customer`` ← ``customer``)
~0.93     a table-qualified column (``customer email`` → ``customers.email``)
0.9/0.88  a synonym from the lexicon (``clients`` → customers, ``revenue`` → amount)
0.85      a column's own name without its table's (``name`` of departments)
0.6-0.8   part of a name (``title`` → ``job_title``) or a typo (``custmers``)
========  =================================================================

Values score 0.95 (same text, any case), 0.9 (same words: ``mobile app`` ↔
``mobile_app``, ``contractors`` ↔ ``Contractor``, ``cancelled`` ↔ ``canceled``) and at
most 0.75 for a typo. Indexes are built once in ``__init__``; look-ups are dictionary
probes plus a rapidfuzz search within a small bucket, and are cached per linker.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

from datamorph.catalog import NUMERIC_FAMILIES, Catalog, TableInfo
from datamorph.errors import DataMorphError, PlanError
from datamorph.planner.lexicon import (
    AGGREGATE_WORDS,
    GENERIC_WORDS,
    MEASURE_WORDS,
    NON_SCHEMA_WORDS,
    ROW_NOUNS,
    TABLE_AFFIXES,
    phrase_tokens,
    split_identifier,
    synonym_index,
)

__all__ = ["ColumnMatch", "JoinEdge", "Mention", "SchemaLinker", "TableMatch", "ValueIndex", "ValueMatch"]


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
S_COLUMN_SYNONYM = 0.88
S_LOCAL = 0.85
S_QUALIFIED = 0.96  # factor on the inner column score
S_PARTIAL = 0.6  # plus up to 0.2 for the share of the name covered
S_FUZZY = 0.8  # minus 0.05 per extra edit
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


def _strip_edges(tokens: Sequence[str]) -> tuple[str, ...]:
    """Tokens without leading and trailing stopwords (empty when all are stopwords)."""
    i, j = 0, len(tokens)
    while i < j and tokens[i] in NON_SCHEMA_WORDS:
        i += 1
    while j > i and tokens[j - 1] in NON_SCHEMA_WORDS:
        j -= 1
    return tuple(tokens[i:j])


def _strip_raw(phrase: str) -> str:
    """The phrase lower-cased, without leading/trailing whitespace-separated stopwords."""
    words = phrase.strip().lower().split()
    i, j = 0, len(words)
    while i < j and set(phrase_tokens(words[i])) <= NON_SCHEMA_WORDS:
        i += 1
    while j > i and set(phrase_tokens(words[j - 1])) <= NON_SCHEMA_WORDS:
        j -= 1
    return " ".join(words[i:j])


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
            if min(len(key), len(query)) <= 5 and Indel.distance(query, key) != 1:
                continue
            if query.endswith(_INFLECTIONS) and not query.startswith(key) and Indel.distance(query, key) != 1:
                # an inflected verb is no typo of another word: 'computed' is not 'Computers', 'skipped'
                # is not 'shipped'; a dropped or doubled letter still is ('shiped' → 'shipped')
                continue
            out.append((key, int(dist)))
        return out


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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class ValueIndex:
    """Distinct values of low-cardinality text columns (and booleans), for grounding words like 'cancelled'.

    Build it from a warehouse with :meth:`build` (one ``SELECT DISTINCT`` per text column),
    or directly: ``ValueIndex({("orders", "status"): ["completed", "cancelled"]})``.
    A boolean column (values ``[True, False]``) is found by the words of its name:
    ``is_active`` answers ``active`` (True) and ``inactive`` / ``not active`` (False).
    Cache it as JSON with :meth:`to_dict` / :meth:`from_dict`.
    """

    def __init__(self, columns: Mapping[tuple[str, str], Sequence[Any]] | None = None) -> None:
        self._columns: dict[tuple[str, str], list[Any]] = {}
        self._items: list[tuple[str, str, Any]] = []  # (table, column, value)
        self._item_table: list[str] = []  # lower-case table of each item
        self._exact: dict[str, list[int]] = {}
        self._norm: dict[str, list[tuple[int, float]]] = {}
        self._qualifiers: dict[str, set[tuple[str, str]]] = {}
        self._fuzzy = _Fuzzy()
        self._syn = synonym_index()
        for (table, column), values in (columns or {}).items():
            self.add_column(table, column, values)

    # -- building -----------------------------------------------------------------------
    @classmethod
    def build(
        cls, engine: Any, catalog: Catalog, *, max_distinct: int = 200, max_len: int = 60
    ) -> ValueIndex:
        """Index the values of ``catalog``'s text columns with at most ``max_distinct`` distinct values.

        One query per text column (``SELECT DISTINCT col ... LIMIT max_distinct + 1``);
        columns with more distinct values are skipped, and so are identifiers, e-mails,
        phones, URLs, person names and free text (judged by the column name, and by
        values that look like e-mails or URLs). Values longer than ``max_len`` or without
        a letter are left out. Boolean columns need no query.
        """
        idx = cls()
        for t in catalog.tables.values():
            for c in t.columns:
                family = c.family
                if family == "boolean":
                    idx.add_column(t.name, c.name, [True, False])
                    continue
                if family != "text" or _skip_value_column(c.name):
                    continue
                values = _distinct_values(engine, t, c.name, max_distinct)
                if values is None:
                    continue
                texts = [v if isinstance(v, str) else str(v) for v in values]
                texts = [v for v in texts if 0 < len(v.strip()) <= max_len and any(ch.isalpha() for ch in v)]
                if not texts or sum(("@" in v or "://" in v) for v in texts) * 2 > len(texts):
                    continue
                idx.add_column(t.name, c.name, texts)
        return idx

    def add_column(self, table: str, column: str, values: Sequence[Any]) -> None:
        """Index the distinct ``values`` of ``table.column`` (``[True, False]`` for a boolean column)."""
        key = (table, column)
        self._columns.setdefault(key, [])
        stems = _table_stems(table)
        col_toks = phrase_tokens(column)
        col_forms = {_compact(col_toks)}
        for stem in stems:
            if col_forms and _compact(col_toks).startswith(stem) and len(_compact(col_toks)) > len(stem):
                col_forms.add(_compact(col_toks)[len(stem) :])
        for q in stems | col_forms:
            self._qualifiers.setdefault(q, set()).add(key)
        for v in values:
            if v in self._columns[key]:
                continue
            self._columns[key].append(v)
            if isinstance(v, bool):
                self._add_boolean(table, column, col_toks, v)
            else:
                self._add_text(table, column, str(v))

    def _new_item(self, table: str, column: str, value: Any) -> int:
        self._items.append((table, column, value))
        self._item_table.append(table.lower())
        return len(self._items) - 1

    def _add_text(self, table: str, column: str, value: str) -> None:
        i = self._new_item(table, column, value)
        self._exact.setdefault(value.strip().lower(), []).append(i)
        toks = phrase_tokens(value)
        if toks:
            k = _value_key(toks)
            self._norm.setdefault(k, []).append((i, V_NORMAL))
            self._fuzzy.add(k)

    def _add_boolean(self, table: str, column: str, col_toks: tuple[str, ...], value: bool) -> None:
        words = list(col_toks)
        while len(words) > 1 and words[0] in _BOOL_PREFIXES:
            words.pop(0)
        if not words or all(w in GENERIC_WORDS for w in words):
            return
        pos = _compact(words)
        i = self._new_item(table, column, value)
        if value:
            keys = [(pos, V_NORMAL)]
        else:
            keys = [(p + pos, V_NEGATED) for p in ("not", "non", "in", "un", "no")]
        for k, s in keys:
            self._norm.setdefault(k, []).append((i, s))

    # -- looking up ---------------------------------------------------------------------
    def lookup(self, phrase: str, tables: Iterable[str] | None = None) -> list[ValueMatch]:
        """Values that ``phrase`` names, best first (restricted to ``tables`` when given).

        Exact text (any case) first, then the same words (``mobile app`` ↔ ``mobile_app``,
        ``Full time`` ↔ ``Full-time``, ``contractors`` ↔ ``Contractor``, ``cancelled`` ↔
        ``canceled``), then typos. A table or column word next to the value narrows it
        (``cancelled orders``, ``status cancelled``). The value is returned as stored.
        """
        restrict = {t.lower() for t in tables} if tables is not None else None
        text = phrase.strip()
        toks = phrase_tokens(text)
        if not toks:
            return []
        stripped = _strip_edges(toks)
        scores = self._scores(toks, text.lower(), restrict, fuzzy=stripped == toks, qualified=True)
        if not scores and stripped and stripped != toks:
            scores = self._scores(stripped, _strip_raw(text), restrict, fuzzy=True, qualified=True)
        return self._matches(scores, text)

    def _matches(self, scores: dict[int, float], text: str) -> list[ValueMatch]:
        out = [ValueMatch(*self._items[i], score=round(s, 4), text=text) for i, s in scores.items()]
        out.sort(key=lambda m: (-m.score, m.table, m.column, str(m.value)))
        return out

    def _scores(
        self,
        toks: tuple[str, ...],
        raw: str | None,
        restrict: set[str] | None,
        *,
        fuzzy: bool,
        qualified: bool,
        only: set[tuple[str, str]] | None = None,
    ) -> dict[int, float]:
        out: dict[int, float] = {}

        def ok(i: int) -> bool:
            if restrict is not None and self._item_table[i] not in restrict:
                return False
            return only is None or self._items[i][:2] in only

        if raw:
            for i in self._exact.get(raw, ()):
                if ok(i):
                    _put(out, i, V_EXACT)
        key = _value_key(toks)
        for i, s in self._norm.get(key, ()):
            if ok(i):
                _put(out, i, s)
        if qualified and len(toks) >= 2 and not out:
            for qual, rest in ((toks[0], toks[1:]), (toks[-1], toks[:-1])):
                cols = self._qualified_columns(qual)
                rest = _strip_edges(rest) or rest
                if cols:
                    inner = self._scores(rest, None, restrict, fuzzy=fuzzy, qualified=False, only=cols)
                    for i, s in inner.items():
                        _put(out, i, s * V_QUALIFIED)
        if (
            fuzzy
            and not out
            and len(key) >= 6
            and not all(t in NON_SCHEMA_WORDS or t in GENERIC_WORDS for t in toks)
        ):
            for k, dist in self._fuzzy.search(key):
                if len(k) < 6:  # short values are too often real words one letter away ('shore', 'Shoes')
                    continue
                for i, s in self._norm.get(k, ()):
                    if ok(i):
                        _put(out, i, min(s, V_FUZZY) - 0.05 * (dist - 1))
        return out

    def _qualified_columns(self, word: str) -> set[tuple[str, str]] | None:
        cols = set(self._qualifiers.get(word, ()))
        for target in self._syn.get(word, ()):
            cols |= self._qualifiers.get(target, set())
        return cols or None

    # -- serialising --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form: ``{"version": 1, "columns": [{"table", "column", "values"}]}``."""
        return {
            "version": 1,
            "columns": [
                {"table": t, "column": c, "values": list(vs)} for (t, c), vs in self._columns.items()
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueIndex:
        """The index :meth:`to_dict` wrote."""
        idx = cls()
        for col in data.get("columns", []):
            idx.add_column(str(col["table"]), str(col["column"]), list(col.get("values", [])))
        return idx

    def columns(self) -> list[tuple[str, str]]:
        """The ``(table, column)`` pairs indexed."""
        return list(self._columns)

    def values_of(self, table: str, column: str) -> list[Any]:
        """The indexed values of ``table.column`` (case-insensitive names; empty when not indexed)."""
        for (t, c), vs in self._columns.items():
            if t.lower() == table.lower() and c.lower() == column.lower():
                return list(vs)
        return []

    def __len__(self) -> int:
        return len(self._items)


def _distinct_values(engine: Any, table: TableInfo, column: str, max_distinct: int) -> list[Any] | None:
    """Up to ``max_distinct`` distinct non-null values of a column, or None (too many, or unreadable)."""
    col = _quote(column)
    names = [_quote(table.name)]
    if table.schema and table.schema not in ("main", "temp"):
        names.insert(0, f"{_quote(table.schema)}.{_quote(table.name)}")
    for ref in names:
        sql = f"SELECT DISTINCT {col} FROM {ref} WHERE {col} IS NOT NULL ORDER BY 1 LIMIT {max_distinct + 1}"
        try:
            rows = engine.fetch(sql).rows
        except DataMorphError:
            continue
        if len(rows) > max_distinct:
            return None
        return [r[0] for r in rows]
    return None


# -- the linker ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Col:
    table: str
    column: str
    tokens: tuple[str, ...]
    compact: str
    locals: tuple[str, ...]  # compact names without the table's own words (customer_id of customers → id)
    family: str
    fk: bool  # references another table


@dataclass(slots=True)
class _Word:
    start: int
    end: int
    tokens: tuple[str, ...]
    stop: bool
    alpha: bool
    measure: bool = False


class SchemaLinker:
    """Grounds phrases in a catalog (and optionally its values). Build once, ask many times."""

    def __init__(self, catalog: Catalog, values: ValueIndex | None = None) -> None:
        self.catalog = catalog
        self.value_index = values
        self._cache: dict[tuple[Any, ...], Any] = {}
        syn = synonym_index()

        # tables
        self._names: dict[str, str] = {}  # lower name -> display name
        self._table_raw: dict[str, str] = {}
        self._table_keys: dict[str, dict[str, float]] = {}
        self._table_tokens: dict[str, tuple[str, ...]] = {}
        self._table_token_index: dict[str, set[str]] = {}
        self._table_fuzzy = _Fuzzy()
        stems_of: dict[str, set[str]] = {}
        for key, info in catalog.tables.items():
            name = info.name
            self._names[key] = name
            self._names[name.lower()] = name
            self._table_raw[name.lower()] = name
            if info.schema:
                self._table_raw[f"{info.schema}.{name}".lower()] = name
            toks = phrase_tokens(name)
            self._table_tokens[name] = toks
            raw_compact = _alnum(name)
            if raw_compact and raw_compact != _compact(toks):
                _put(self._table_keys.setdefault(raw_compact, {}), name, S_NORMAL)
                self._table_fuzzy.add(raw_compact)
            stems = _table_stems(name)
            stems_of[name] = stems
            for stem in stems:
                score = S_NORMAL if stem == _compact(toks) else S_AFFIX
                _put(self._table_keys.setdefault(stem, {}), name, score)
                self._table_fuzzy.add(stem)
            for t in toks:
                if t not in TABLE_AFFIXES:
                    self._table_token_index.setdefault(t, set()).add(name)
        for word, targets in syn.items():
            for rank, target in enumerate(targets):
                for name, stems in stems_of.items():
                    if target in stems:
                        score = S_TABLE_SYNONYM - S_RANK_STEP * min(rank, 3)
                        _put(self._table_keys.setdefault(word, {}), name, score)
                        self._table_fuzzy.add(word)

        # columns
        self._cols: dict[tuple[str, str], _Col] = {}
        self._col_raw: dict[str, list[tuple[str, str]]] = {}
        self._col_norm: dict[str, list[tuple[str, str]]] = {}
        self._col_local: dict[str, list[tuple[str, str]]] = {}
        self._col_syn: dict[str, list[tuple[tuple[str, str], float, bool]]] = {}
        self._col_token_index: dict[str, set[tuple[str, str]]] = {}
        self._col_fuzzy = _Fuzzy()
        self._col_fuzzy_map: dict[str, list[tuple[tuple[str, str], float, bool]]] = {}
        self._adj: dict[str, list[tuple[str, tuple[JoinEdge, ...], bool]]] = {n: [] for n in stems_of}
        for info in catalog.tables.values():
            name = info.name
            fk_cols = {
                c.lower()
                for fk in info.foreign_keys
                if fk.ref_table.lower() != name.lower()
                for c in fk.columns
            }
            table_forms = [tuple(phrase_tokens(s)) for s in stems_of[name]] + [self._table_tokens[name]]
            for c in info.columns:
                toks = phrase_tokens(c.name)
                if not toks:
                    continue
                locals_: list[str] = []
                for form in table_forms:
                    if form and len(toks) > len(form) and toks[: len(form)] == form:
                        locals_.append(_compact(toks[len(form) :]))
                if len(toks) > 1 and toks[0] in _BOOL_PREFIXES:
                    locals_.append(_compact(toks[1:]))
                col = _Col(
                    name,
                    c.name,
                    toks,
                    _compact(toks),
                    tuple(dict.fromkeys(locals_)),
                    c.family,
                    c.name.lower() in fk_cols,
                )
                key = (name, c.name)
                self._cols[key] = col
                self._col_raw.setdefault(c.name.lower(), []).append(key)
                self._col_norm.setdefault(col.compact, []).append(key)
                self._add_col_fuzzy(col.compact, key, S_NORMAL, False)
                for loc in col.locals:
                    self._col_local.setdefault(loc, []).append(key)
                    self._add_col_fuzzy(loc, key, S_LOCAL, True)
                    for stem in stems_of[name]:
                        self._add_col_fuzzy(stem + loc, key, S_NORMAL * S_QUALIFIED, False)
                if not col.locals:
                    for stem in stems_of[name]:
                        self._add_col_fuzzy(stem + col.compact, key, S_NORMAL * S_QUALIFIED, False)
                for t in set(toks):
                    self._col_token_index.setdefault(t, set()).add(key)
        for word, targets in syn.items():
            for rank, target in enumerate(targets):
                step = S_RANK_STEP * min(rank, 3)
                hits = [(k, S_COLUMN_SYNONYM - step, False) for k in self._col_norm.get(target, ())]
                hits += [(k, S_LOCAL - step, True) for k in self._col_local.get(target, ())]
                for k, s, local in hits:
                    self._col_syn.setdefault(word, []).append((k, s, local))
                    if len(word) >= 5:
                        self._add_col_fuzzy(word, k, s, local)

        # foreign-key graph (both directions), declared keys first
        for info in catalog.tables.values():
            for fk in info.foreign_keys:
                ref = self._names.get(fk.ref_table.lower()) or self._names.get(
                    fk.ref_table.lower().split(".")[-1]
                )
                if (
                    ref is None
                    or ref == info.name
                    or len(fk.columns) != len(fk.ref_columns)
                    or not fk.columns
                ):
                    continue
                ref_cols = [
                    self.catalog.table(ref).column(rc).name if self.catalog.table(ref).has_column(rc) else rc
                    for rc in fk.ref_columns
                ]
                fwd = tuple(JoinEdge(info.name, a, ref, b) for a, b in zip(fk.columns, ref_cols, strict=True))
                back = tuple(
                    JoinEdge(ref, b, info.name, a) for a, b in zip(fk.columns, ref_cols, strict=True)
                )
                self._adj[info.name].append((ref, fwd, not fk.inferred))
                self._adj[ref].append((info.name, back, not fk.inferred))
        for nbs in self._adj.values():
            nbs.sort(key=lambda e: (not e[2], e[0], e[1][0].left_column))

    def _add_col_fuzzy(self, key: str, col: tuple[str, str], score: float, local: bool) -> None:
        if len(key) < 4 or key in NON_SCHEMA_WORDS:
            return
        self._col_fuzzy.add(key)
        self._col_fuzzy_map.setdefault(key, []).append((col, score, local))

    # -- helpers ------------------------------------------------------------------------
    def _restrict(self, tables: Iterable[str] | None) -> frozenset[str] | None:
        if tables is None:
            return None
        if isinstance(tables, str):
            tables = [tables]
        out = set()
        for t in tables:
            low = t.lower()
            name = self._names.get(low) or self._names.get(low.split(".")[-1])
            if name:
                out.add(name)
        return frozenset(out)

    def _cached(self, key: tuple[Any, ...], compute: Any) -> Any:
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) > 20000:
                self._cache.clear()
            hit = self._cache[key] = compute()
        return hit

    def neighbors(self, table: str) -> list[str]:
        """Tables one foreign key away from ``table``."""
        name = self._names.get(table.lower())
        return list(dict.fromkeys(nb for nb, _, _ in self._adj.get(name or "", ())))

    # -- tables -------------------------------------------------------------------------
    def tables(self, phrase: str) -> list[TableMatch]:
        """Tables ``phrase`` names, best first (``customers``, ``clients``, ``order lines``, ``custmers``)."""
        text = phrase.strip()
        toks = phrase_tokens(text)
        if is_measure_name(text):
            scores = self._table_scores(toks, text.lower(), True)
            out = [TableMatch(t, round(s, 4), text) for t, s in scores.items()]
            return sorted(out, key=lambda m: (-m.score, m.table))
        scores = self._cached(("t", toks, text.lower()), lambda: self._table_scores_edges(toks, text))
        out = [TableMatch(t, round(s, 4), text) for t, s in scores.items()]
        out.sort(key=lambda m: (-m.score, m.table))
        return out

    def _table_scores_edges(self, toks: tuple[str, ...], text: str) -> dict[str, float]:
        """Scores of the whole phrase when it names something, else of the phrase without edge stopwords."""
        stripped = _strip_edges(toks)
        whole = self._table_scores(toks, text.strip().lower(), strict=not stripped) if toks else {}
        if stripped == toks:
            return whole
        part = self._table_scores(stripped, _strip_raw(text), False) if stripped else {}
        return whole if max(whole.values(), default=0.0) >= max(part.values(), default=0.0) else part

    def _table_scores(
        self, toks: tuple[str, ...], raw: str, strict: bool, fuzzy: bool = True
    ) -> dict[str, float]:
        out: dict[str, float] = {}
        hit = self._table_raw.get(raw)
        if hit:
            out[hit] = S_EXACT
        compact = _compact(toks)
        for t, s in self._table_keys.get(compact, {}).items():
            _put(out, t, s)
        if not out and len(toks) > 1 and toks[-1] in ROW_NOUNS:  # "salary records", "order rows"
            prefix = toks[:-1]
            if not any(t in NON_SCHEMA_WORDS for t in prefix):
                out = self._table_scores(prefix, " ".join(prefix), True)
        if strict or out:
            return out
        content = [
            t for t in toks if t not in NON_SCHEMA_WORDS and t not in GENERIC_WORDS and t not in TABLE_AFFIXES
        ]
        if content and len(content) == len([t for t in toks if t not in NON_SCHEMA_WORDS]):
            sets = [self._table_token_index.get(t) for t in content]
            if all(sets):
                for name in set.intersection(*sets):  # type: ignore[arg-type]
                    size = len([t for t in self._table_tokens[name] if t not in TABLE_AFFIXES]) or 1
                    _put(out, name, S_PARTIAL + 0.2 * min(1.0, len(content) / size) - 0.05)
        if (
            fuzzy
            and not out
            and compact not in NON_SCHEMA_WORDS
            and not all(t in GENERIC_WORDS for t in toks)
        ):
            for query in dict.fromkeys((compact, _alnum(raw))):
                for key, dist in self._table_fuzzy.search(query):
                    for t, s in self._table_keys.get(key, {}).items():
                        _put(out, t, min(s, S_FUZZY) - 0.05 * (dist - 1))
        return out

    # -- columns ------------------------------------------------------------------------
    def columns(self, phrase: str, tables: Iterable[str] | None = None) -> list[ColumnMatch]:
        """Columns ``phrase`` names, best first, restricted to ``tables`` when given.

        Exact and normalized names (``hire date``, ``customerId``), table-qualified
        phrases (``customer email``, ``email of the customer``, ``orders.status``),
        synonyms (``revenue`` → amount), a table's column by its own word (``name`` of
        departments → ``department_name``, only with ``tables``), parts of names and typos.
        A lone generic word (``id``, ``name``, ``date``) matches only exact names and
        synonyms unless ``tables`` says where to look.
        """
        text = phrase.strip()
        restrict = self._restrict(tables)
        dotted = re.fullmatch(r"\s*([A-Za-z_][\w]*)\.([A-Za-z_][\w]*)\s*", text)
        if dotted:
            owner = self._restrict([dotted.group(1)])
            if owner:
                restrict = owner if restrict is None else restrict & owner
                text_for_lookup = dotted.group(2)
            else:
                text_for_lookup = text
        else:
            text_for_lookup = text
        toks = phrase_tokens(text_for_lookup)
        key = ("c", toks, text_for_lookup.lower(), restrict)
        if is_measure_name(text_for_lookup):
            scores = self._col_scores(toks, text_for_lookup.strip().lower(), restrict, "strict")
        else:
            scores = self._cached(key, lambda: self._col_scores_edges(toks, text_for_lookup, restrict))
        return self._col_matches(scores, text)

    def _col_scores_edges(
        self, toks: tuple[str, ...], text: str, restrict: frozenset[str] | None
    ) -> dict[tuple[str, str], float]:
        """Scores of the whole phrase when it names something, else of the phrase without edge stopwords."""
        stripped = _strip_edges(toks)
        level = "full" if stripped else "strict"
        whole = self._col_scores(toks, text.strip().lower(), restrict, level) if toks else {}
        if stripped == toks:
            return whole
        part = self._col_scores(stripped, _strip_raw(text), restrict, "full") if stripped else {}
        return whole if max(whole.values(), default=0.0) >= max(part.values(), default=0.0) else part

    def _col_matches(self, scores: dict[tuple[str, str], float], text: str) -> list[ColumnMatch]:
        out = [ColumnMatch(t, c, round(s, 4), text) for (t, c), s in scores.items()]
        out.sort(key=lambda m: (-m.score, m.table, m.column))
        return out

    def _col_scores(
        self,
        toks: tuple[str, ...],
        raw: str | None,
        restrict: frozenset[str] | None,
        level: str,  # "strict": names and synonyms; "inner": + parts; "full": + qualified, typos
        fuzzy: bool = True,
    ) -> dict[tuple[str, str], float]:
        out: dict[tuple[str, str], float] = {}

        def put(key: tuple[str, str], score: float) -> None:
            if restrict is None or key[0] in restrict:
                _put(out, key, score)

        compact = _compact(toks)
        if not compact:
            return out
        generic = all(t in GENERIC_WORDS for t in toks)
        for key in self._col_raw.get(raw or "", ()):
            put(key, S_EXACT - (S_FK if self._cols[key].fk else 0.0))
        for key in self._col_norm.get(compact, ()):
            put(key, S_NORMAL - (S_FK if self._cols[key].fk else 0.0))
        for key, s, local in self._col_syn.get(compact, ()):
            if not (local and generic and restrict is None):
                put(key, s)
        if not generic or restrict is not None:
            for key in self._col_local.get(compact, ()):
                put(key, S_LOCAL)
        if level == "strict":
            return out
        if level == "full" and len(toks) >= 2:
            self._qualified(toks, restrict, put)
        content = [t for t in toks if t not in NON_SCHEMA_WORDS]
        names_table = restrict is None and compact in self._table_keys
        if content and len(content) == len(toks) and not names_table and not (generic and restrict is None):
            sets = [self._col_token_index.get(t) for t in content]
            if all(sets):
                for key in set.intersection(*sets):  # type: ignore[arg-type]
                    col = self._cols[key]
                    put(key, S_PARTIAL + 0.2 * len(content) / len(col.tokens))
        if (
            level == "full"
            and fuzzy
            and max(out.values(), default=0.0) < S_LOCAL
            and not generic
            and compact not in NON_SCHEMA_WORDS
        ):
            hits = self._col_fuzzy.search(compact)
            if raw and _alnum(raw) != compact:
                hits += self._col_fuzzy.search(_alnum(raw))
            for k, dist in hits:
                for key, s, local in self._col_fuzzy_map.get(k, ()):
                    if local and restrict is None and all(t in GENERIC_WORDS for t in phrase_tokens(k)):
                        continue
                    put(key, min(s, S_FUZZY) - 0.05 * (dist - 1))
        return out

    def _qualified(self, toks: tuple[str, ...], restrict: frozenset[str] | None, put: Any) -> None:
        """``customer email`` / ``email of the customer``: a table's words, then the column's (or after 'of')."""
        splits: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        for i in range(1, len(toks)):
            splits.append((toks[:i], toks[i:]))
        if "of" in toks:
            k = toks.index("of")
            tab = tuple(t for t in toks[k + 1 :] if t not in _DETERMINERS)
            if k > 0 and tab:
                splits.append((tab, toks[:k]))
        for tab_toks, col_toks in splits:
            tabs = self._table_keys.get(_compact(tab_toks))
            if (
                not tabs
                or not col_toks
                or col_toks[0] in NON_SCHEMA_WORDS
                or col_toks[-1] in NON_SCHEMA_WORDS
            ):
                continue
            allowed = frozenset(tabs) if restrict is None else frozenset(tabs) & restrict
            if not allowed:
                continue
            inner = self._col_scores(col_toks, "_".join(col_toks), allowed, "inner")
            for key, s in inner.items():
                factor = S_QUALIFIED * (1.0 if tabs[key[0]] >= S_AFFIX else 0.97)
                put(key, s * factor)

    # -- values -------------------------------------------------------------------------
    def values(self, phrase: str, tables: Iterable[str] | None = None) -> list[ValueMatch]:
        """Values ``phrase`` names (see :meth:`ValueIndex.lookup`); empty without a value index."""
        if self.value_index is None:
            return []
        restrict = self._restrict(tables)
        return self.value_index.lookup(phrase, sorted(restrict) if restrict is not None else None)

    # -- sentences ------------------------------------------------------------------------
    def find_mentions(self, text: str) -> list[Mention]:
        """Tables, columns and values a whole request mentions, in text order, not overlapping.

        Scans spans of up to 4 words; prefers longer spans and better matches. Stopwords,
        numbers and single letters never make a mention alone; a lone generic word
        (``name``, ``date``, ``id``) is read in the light of the tables the request names
        (``departments and their names`` → ``department_name``). When a word could mean
        several things, the reading that belongs to a table mentioned elsewhere in the
        request wins if it is nearly as good (``employees in sales`` → the Sales
        department; ``total sales by channel`` → ``orders.amount``). Each mention's
        ``text`` is the exact substring of ``text``.
        """
        words = []
        for m in _WORD_RE.finditer(text):
            toks = phrase_tokens(m.group())
            stop = not toks or all(t in NON_SCHEMA_WORDS for t in toks) or len(m.group()) == 1
            words.append(_Word(m.start(), m.end(), toks, stop, any(ch.isalpha() for ch in m.group()),
                               is_measure_name(m.group())))
        n = len(words)
        spans: list[tuple[float, int, int, list[Mention]]] = []
        deferred: list[tuple[int, int]] = []
        for i in range(n):
            if not words[i].alpha:
                continue
            toks: tuple[str, ...] = ()
            for j in range(i, min(n, i + 4)):
                if not words[j].alpha or (
                    j > i and not _JOINER_RE.fullmatch(text[words[j - 1].end : words[j].start])
                ):
                    break
                toks = toks + words[j].tokens
                raw = text[words[i].start : words[j].end].lower()
                if i == j and words[i].stop:
                    hit = self._table_raw.get(raw)
                    if hit and len(raw) > 1:
                        spans.append((S_EXACT, i, j, [TableMatch(hit, S_EXACT, "")]))
                    continue
                if all(t in GENERIC_WORDS for t in toks):
                    if not any(w.stop for w in words[i : j + 1]):
                        deferred.append((i, j))
                    continue
                strict = words[i].stop or words[j].stop or any(w.measure for w in words[i : j + 1])
                key = ("s", toks, raw, strict, j - i <= 1)
                cands = self._cache.get(key)
                if cands is None:
                    cands = self._cached(key, partial(self._span, toks, raw, strict, j - i <= 1))
                if cands:
                    bonus = SPAN_BONUS * (j - i)
                    if j > i and isinstance(cands[0], TableMatch) and cands[0].score >= S_TABLE_SYNONYM - 0.03:
                        bonus *= 2  # "order lines" is one table, not 'order' and 'lines'
                    elif j > i and "of" in toks and isinstance(cands[0], ColumnMatch) and cands[0].score >= 0.8:
                        bonus *= 2  # "the name of their department" is one column
                    spans.append((cands[0].score + bonus, i, j, cands))
        spans.sort(key=lambda s: (-s[0], -(s[2] - s[1]), s[1]))
        taken = [False] * n
        chosen: list[list[Any]] = []  # [i, j, candidates, pick]
        for _, i, j, cands in spans:
            if any(taken[i : j + 1]):
                continue
            for k in range(i, j + 1):
                taken[k] = True
            chosen.append([i, j, cands, 0])

        # a longer span naming the same thing takes its words too ("email address", "phone number")
        by_span = {(i, j): cands for _, i, j, cands in spans}
        for entry in chosen:
            i, j, cands, _ = entry
            ident = _identity(cands[0])
            for a, b in sorted(by_span, key=lambda ab: ab[0] - ab[1]):
                if not (a <= i and j <= b) or (a, b) == (i, j):
                    continue
                if any(taken[k] for k in range(a, b + 1) if not i <= k <= j):
                    continue
                same = [c for c in by_span[(a, b)] if _identity(c) == ident]
                if same:
                    for k in range(a, b + 1):
                        taken[k] = True
                    best = max(same[0].score, cands[0].score)
                    entry[0], entry[1] = a, b
                    entry[2] = [
                        replace(same[0], score=best),
                        *[c for c in by_span[(a, b)] if c is not same[0]],
                    ]
                    break

        # context: prefer readings in tables the rest of the request mentions
        picked_tables = [_table_of(c[2][0]) for c in chosen]
        for idx, entry in enumerate(chosen):
            i, _, cands, _ = entry
            if len(cands) < 2:
                continue
            ctx1 = {t for k, t in enumerate(picked_tables) if k != idx}
            ctx2 = {nb for t in ctx1 for nb in self.neighbors(t)} - ctx1
            agg = self._after_aggregate(words, i)
            best = cands[0].score
            pool = [c for c in cands if c.score >= best - CONTEXT_SLACK]

            def rank(
                c: Mention, ctx1: set[str] = ctx1, ctx2: set[str] = ctx2, agg: bool = agg
            ) -> tuple[int, int]:
                t = _table_of(c)
                numeric = (
                    isinstance(c, ColumnMatch) and self._cols[(c.table, c.column)].family in NUMERIC_FAMILIES
                )
                return (0 if (agg and numeric) else 1, 0 if t in ctx1 else 1 if t in ctx2 else 2)

            entry[3] = cands.index(min(pool, key=lambda c: (*rank(c), -c.score)))
        mentioned = {_table_of(c[2][c[3]]) for c in chosen}

        # lone generic words, read within the mentioned tables (then their neighbours)
        deferred.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
        near = {nb for t in mentioned for nb in self.neighbors(t)} - mentioned
        for i, j in deferred:
            if any(taken[i : j + 1]):
                continue
            toks = tuple(t for w in words[i : j + 1] for t in w.tokens)
            raw = text[words[i].start : words[j].end].lower()
            scores: dict[tuple[str, str], float] = {}
            for ctx in [mentioned, near] if mentioned else [None]:
                restrict = frozenset(ctx) if ctx is not None else None
                if ctx is not None and not ctx:
                    continue
                scores = self._col_scores(toks, raw, restrict, "inner")
                if scores:
                    break
            cands = [c for c in self._col_matches(scores, "") if c.score >= S_PARTIAL]
            if cands:
                for k in range(i, j + 1):
                    taken[k] = True
                chosen.append([i, j, cands, 0])

        chosen.sort(key=lambda c: c[0])
        return [
            replace(c[2][c[3]], text=text[words[c[0]].start : words[c[1]].end], start=words[c[0]].start,
                    end=words[c[1]].end)
            for c in chosen
        ]

    def _span(self, toks: tuple[str, ...], raw: str, strict: bool, fuzzy: bool) -> list[Mention]:
        """All readings of one span of a sentence, best first (text left empty)."""
        out: list[Mention] = [
            TableMatch(t, round(s, 4), "") for t, s in self._table_scores(toks, raw, strict, fuzzy).items()
        ]
        level = "strict" if strict else "full"
        out += [
            ColumnMatch(t, c, round(s, 4), "")
            for (t, c), s in self._col_scores(toks, raw, None, level, fuzzy).items()
        ]
        if self.value_index is not None:
            vs = self.value_index._scores(toks, raw, None, fuzzy=fuzzy and not strict, qualified=False)
            out += self.value_index._matches(vs, "")
        out.sort(key=_mention_order)
        return out

    @staticmethod
    def _after_aggregate(words: list[_Word], i: int) -> bool:
        """Whether the word before position ``i`` (skipping 'of', 'the') asks for an aggregate."""
        k = i - 1
        while k >= 0 and words[k].tokens and words[k].tokens[-1] in ("of", "the", "a", "an", "all"):
            k -= 1
        return k >= 0 and bool(words[k].tokens) and words[k].tokens[-1] in AGGREGATE_WORDS

    # -- joins ----------------------------------------------------------------------------
    def join_path(self, tables: list[str]) -> list[JoinEdge]:
        """Join edges connecting all ``tables`` (a tree over declared and inferred foreign keys).

        Tables are added in the order given, each by a shortest path (BFS) from the tables
        joined so far, through bridge tables when needed (``orders`` → ``order_items`` →
        ``products``); declared keys are preferred to inferred ones on equal length. In the
        result every edge's ``left_table`` is already joined and ``right_table`` is new, so
        the edges read as a chain of JOINs from the first table. A composite key gives one
        edge per column pair.

        Raises:
            CatalogError: a table is not in the catalog.
            PlanError: no chain of foreign keys connects some of the tables.
        """
        names: list[str] = []
        for t in tables:
            name = self.catalog.table(t).name
            if name not in names:
                names.append(name)
        if len(names) < 2:
            return []
        tree = [names[0]]
        joined = {names[0]}
        edges: list[JoinEdge] = []
        remaining = list(names[1:])
        while remaining:
            want = set(remaining)
            parent: dict[str, tuple[str, tuple[JoinEdge, ...]] | None] = {t: None for t in tree}
            queue = deque(tree)
            found = None
            while queue and found is None:
                cur = queue.popleft()
                for nb, es, _declared in self._adj.get(cur, ()):
                    if nb in parent:
                        continue
                    parent[nb] = (cur, es)
                    if nb in want:
                        found = nb
                        break
                    queue.append(nb)
            if found is None:
                missing = ", ".join(remaining)
                raise PlanError(
                    f"cannot join {missing} to {', '.join(tree)}: no foreign keys connect them",
                    hint="declare a foreign key, or name the join columns in the request",
                    tables=list(names),
                )
            path: list[tuple[JoinEdge, ...]] = []
            node = found
            while (step := parent[node]) is not None:
                path.append(step[1])
                node = step[0]
            for es in reversed(path):
                edges.extend(es)
                new = es[0].right_table
                if new not in joined:
                    joined.add(new)
                    tree.append(new)
            remaining = [t for t in remaining if t not in joined]
        return edges


def _identity(m: Mention) -> tuple[Any, ...]:
    return (type(m).__name__, m.table, getattr(m, "column", None), getattr(m, "value", None))


def _table_of(m: Mention) -> str:
    return m.table


_KIND_ORDER = {TableMatch: 0, ColumnMatch: 1, ValueMatch: 2}


def _mention_order(m: Mention) -> tuple[Any, ...]:
    return (-m.score, _KIND_ORDER[type(m)], m.table, getattr(m, "column", ""), str(getattr(m, "value", "")))
