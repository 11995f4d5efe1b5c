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

import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from datamorph.catalog import Catalog
from datamorph.errors import DataMorphError
from datamorph.planner.lexicon import (
    AGGREGATE_WORDS,
    GENERIC_WORDS,
    NON_SCHEMA_WORDS,
    ROW_NOUNS,
    SYNONYMS,
    TABLE_AFFIXES,
    lemmas,
    phrase_tokens,
    synonym_index,
)

__all__ = ["ColumnMatch", "JoinEdge", "Mention", "SchemaLinker", "TableMatch", "ValueIndex", "ValueMatch"]


from datamorph.planner import joinpath as _joinpath
from datamorph.planner import mentions as _mentions
from datamorph.planner.matches import (
    _BOOL_PREFIXES,
    _DETERMINERS,
    S_AFFIX,
    S_CLIPPED,
    S_COLUMN_SYNONYM,
    S_EXACT,
    S_FK,
    S_FUZZY,
    S_HEAD,
    S_INITIALS,
    S_LOCAL,
    S_NORMAL,
    S_PARTIAL,
    S_QUALIFIED,
    S_RANK_STEP,
    S_REORDERED,
    S_TABLE_SYNONYM,
    ColumnMatch,
    JoinEdge,
    Mention,
    TableMatch,
    ValueMatch,
    _alnum,
    _compact,
    _Fuzzy,
    _mention_order,
    _put,
    _strip_edges,
    _strip_raw,
    _table_stems,
    _Word,
    is_measure_name,
    typo_of,
)
from datamorph.planner.meaning import is_english
from datamorph.planner.values import ValueIndex

_MAX_NAME_WORDS = 8  # words of the longest column phrase whose inner spans are tried (see _col_scores_edges)

#: the only other words a column's reordered words may come with: "date of hire", "status of the payment"
#: ("payments of that status" points back at something: not a column)
_REORDER_GLUE = frozenset({"of", "to", "in", "the", "a", "an"})  # not "by", "per", "for": "orders by date" groups
_MIN_CLIP = 3  # letters a clipped form keeps at least
_MIN_CUT = 3  # letters it drops at least ("orgs", not "organizatio")


def _clipped_forms(stems_of: dict[str, set[str]]) -> dict[str, str]:
    """Clipped forms of table names that point at one table only: ``org`` → organizations, ``appt`` → appointments.

    A clipped form is the start of a table's one-word stem, keeping at least three letters and
    dropping at least three; an English word ("cat", "sub", "pat") is never one, nor a start
    that two tables share.
    """
    from datamorph.planner.meaning import is_english  # meaning links words through this module

    owners: dict[str, set[str]] = {}
    for name, stems in stems_of.items():
        for stem in stems:
            if not stem.isalpha():
                continue
            for n in range(_MIN_CLIP, len(stem) - _MIN_CUT + 1):
                owners.setdefault(stem[:n], set()).add(name)
    return {clip: next(iter(names)) for clip, names in owners.items()
            if len(names) == 1 and not is_english(clip)}  # fmt: skip


def _head_words(tokens_of: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """The last word of each table name of several words, when it is that table's alone ("ledger_entries" →
    entry, "web_sessions" → session): a request that says "entries" names that table, before any table a
    synonym of the word points to. A word that ends two tables' names, a warehouse affix, a generic
    word ("id", "date") and a row noun ("lines": "order_lines" is not every "line") name nothing by themselves."""
    heads: dict[str, set[str]] = {}
    for name, toks in tokens_of.items():
        core = [t for t in toks if t not in TABLE_AFFIXES]
        if len(core) > 1 and len(core[-1]) > 2 and core[-1].isalpha() and core[-1] not in GENERIC_WORDS | ROW_NOUNS:
            heads.setdefault(core[-1], set()).add(name)
    whole = {_compact(toks) for toks in tokens_of.values()}
    return {h: next(iter(names)) for h, names in heads.items() if len(names) == 1 and h not in whole}


@dataclass(slots=True)
class _Col:
    table: str
    column: str
    tokens: tuple[str, ...]
    compact: str
    locals: tuple[str, ...]  # compact names without the table's own words (customer_id of customers → id)
    family: str
    fk: bool  # references another table


#: The words a date column's name adds to the event it dates ("hired_on", "hire_date", "checked_in_at").
_DATE_SUFFIXES = frozenset({"date", "on", "at", "dt", "time", "timestamp", "ts", "day"})


def _event_keys(tokens: tuple[str, ...]) -> set[str]:
    """The event a date column's name dates, as compact keys of its words' lemmas: ``hired_on`` → {hire,
    hired}, ``hire_date`` → {hire}, ``checked_in_at`` → {checkin, checkedin, ...}; empty when the name is no
    event with a date suffix."""
    if len(tokens) < 2 or tokens[-1] not in _DATE_SUFFIXES:
        return set()
    words = [w for w in tokens[:-1] if w not in _DATE_SUFFIXES]
    if not words or len(words) > 2:
        return set()
    return {"".join(p) for p in itertools.product(*(sorted(lemmas(w)) for w in words))}


def _event_columns(cols: dict[tuple[str, str], _Col]) -> dict[str, list[tuple[str, str]]]:
    """Date columns by the event they date, keyed like :func:`~datamorph.planner.lexicon.synonym_index`'s
    targets (a synonym written for ``hire_date`` also reaches ``hired_on``)."""
    out: dict[str, list[tuple[str, str]]] = {}
    for key, col in cols.items():
        if col.family not in ("date", "timestamp"):
            continue
        for k in _event_keys(col.tokens):
            out.setdefault(k, []).append(key)
    index: dict[str, list[tuple[str, str]]] = {}
    for target, keys in _target_events().items():
        hits = {c for k in keys for c in out.get(k, ())}
        if hits:
            index[target] = sorted(hits)
    return index


@functools.lru_cache(maxsize=1)
def _target_events() -> dict[str, frozenset[str]]:
    """The event keys of every synonym target that names a date (``hire_date`` → {hire}), once per process."""
    found = {}
    for t in {t for ts in SYNONYMS.values() for t in ts}:
        toks = phrase_tokens(t)
        keys = _event_keys(toks)
        if keys:
            found["".join(toks)] = frozenset(keys)
    return found


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
        for clip, name in _clipped_forms(stems_of).items():
            if clip not in self._table_keys:
                _put(self._table_keys.setdefault(clip, {}), name, S_CLIPPED)
        for head, name in _head_words(self._table_tokens).items():  # "invoices" → billing_invoices, over a synonym
            _put(self._table_keys.setdefault(head, {}), name, S_HEAD)
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
        self._col_bags: dict[frozenset[str], list[tuple[str, str]]] = {}  # content words -> columns
        self._col_fuzzy = _Fuzzy()
        self._col_fuzzy_map: dict[str, list[tuple[tuple[str, str], float, bool]]] = {}
        self._col_fuzzy_part: dict[tuple[str, tuple[str, str]], str] = {}
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
                # a shortened table name before the column's own word ("org_name" in organizations, "cust_id"
                # in customers): the first letters of a one-word table name, at least three of them
                table_word = self._table_tokens[name]
                if (len(toks) > 1 and len(table_word) == 1 and len(toks[0]) >= 3
                        and table_word[0].startswith(toks[0]) and toks[0] != table_word[0]):  # fmt: skip
                    locals_.append(_compact(toks[1:]))
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
                col_key = (name, c.name)
                self._cols[col_key] = col
                self._col_raw.setdefault(c.name.lower(), []).append(col_key)
                self._col_norm.setdefault(col.compact, []).append(col_key)
                self._add_col_fuzzy(col.compact, col_key, S_NORMAL, False)
                for loc in col.locals:
                    self._col_local.setdefault(loc, []).append(col_key)
                    self._add_col_fuzzy(loc, col_key, S_LOCAL, True)
                    for stem in stems_of[name]:
                        self._add_col_fuzzy(stem + loc, col_key, S_NORMAL * S_QUALIFIED, False, part=loc)
                if not col.locals:
                    for stem in stems_of[name]:
                        self._add_col_fuzzy(stem + col.compact, col_key, S_NORMAL * S_QUALIFIED, False,
                                            part=col.compact)  # fmt: skip
                for t in set(toks):
                    self._col_token_index.setdefault(t, set()).add(col_key)
                bag = frozenset(t for t in toks if t not in NON_SCHEMA_WORDS)
                if len(bag) >= 2:
                    self._col_bags.setdefault(bag, []).append(col_key)
        events = _event_columns(self._cols)
        for word, targets in syn.items():
            for rank, target in enumerate(targets):
                step = S_RANK_STEP * min(rank, 3)
                hits = [(k, S_COLUMN_SYNONYM - step, False) for k in self._col_norm.get(target, ())]
                hits += [(k, S_LOCAL - step, True) for k in self._col_local.get(target, ())]
                named = {k for k, _, _ in hits}  # "hire_date" → hired_on too: the event under another naming convention
                hits += [(k, S_COLUMN_SYNONYM - step - S_RANK_STEP, False) for k in events.get(target, ()) if k not in named]
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

    def _add_col_fuzzy(self, key: str, col: tuple[str, str], score: float, local: bool, part: str = "") -> None:
        """``part``: the column's own words at the end of a key that starts with its table's ("subscriptionseats")."""
        if len(key) < 4 or key in NON_SCHEMA_WORDS:
            return
        self._col_fuzzy.add(key)
        self._col_fuzzy_map.setdefault(key, []).append((col, score, local))
        if part:
            self._col_fuzzy_part[(key, col)] = part

    def _column_part_typo(self, query: str, key: str, col: tuple[str, str]) -> bool:
        """A table-qualified key ("subscriptions seats") is matched by a typo only if the words after the table's
        are a typo of the column's own: the table's long name must not make 'set' pass for 'seats'."""
        part = self._col_fuzzy_part.get((key, col))
        if not part:
            return True
        stem = key[: len(key) - len(part)]
        if not query.startswith(stem):
            return True  # the typo is in the table's words: the column's are as written
        return typo_of(query[len(stem) :], part)

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
            and not (len(toks) == 1 and is_english(toks[0], common=True))  # "categorize" is a word, no typo of a name
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
        # every span left when edge words are dropped, the longest first: "unique last names" is the
        # last_name (an ordering word that is part of a name stays while that names a column), not "name"
        best, top = whole, max(whole.values(), default=0.0)
        n = len(toks)
        if n > _MAX_NAME_WORDS:  # longer than a column is ever named: whole or fully stripped (spans are quadratic)
            part = self._col_scores(stripped, _strip_raw(text), restrict, "full") if stripped else {}
            return part if max(part.values(), default=0.0) > top else whole
        for size in range(n - 1, len(stripped) - 1, -1):
            for i in range(n - size + 1):
                part_toks = toks[i : i + size]
                if not part_toks or not set(toks[:i]) | set(toks[i + size :]) <= NON_SCHEMA_WORDS:
                    continue
                raw = _strip_raw(text) if part_toks == stripped else " ".join(part_toks)
                part = self._col_scores(part_toks, raw, restrict, "full")
                if max(part.values(), default=0.0) > top:
                    best, top = part, max(part.values())
        return best

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
        if len(toks) >= 3 and all(t.isalpha() for t in toks):  # initials: "social security number" → ssn
            content = [t for t in toks if t not in _REORDER_GLUE]  # "estimated time of arrival" → eta
            for initials in {"".join(t[0] for t in toks), "".join(t[0] for t in content)}:
                for key in self._col_raw.get(initials, ()) if len(initials) >= 3 else ():
                    if len(self._cols[key].tokens) == 1:
                        put(key, S_INITIALS)
        if not generic or restrict is not None:
            for key in self._col_local.get(compact, ()):
                put(key, S_LOCAL)
        if level == "strict":
            return out
        if level == "full" and len(toks) >= 2:
            self._qualified(toks, restrict, put)
        content = [t for t in toks if t not in NON_SCHEMA_WORDS]
        for key in self._reordered(content) if all(t in _REORDER_GLUE for t in toks if t in NON_SCHEMA_WORDS) else ():
            put(key, S_REORDERED - (S_FK if self._cols[key].fk else 0.0))
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
                    if not self._column_part_typo(compact, k, key):
                        continue
                    put(key, min(s, S_FUZZY) - 0.05 * (dist - 1))
        return out

    def _reordered(self, content: list[str]) -> list[tuple[str, str]]:
        """Columns whose words are ``content``'s in any order and any inflection ("date of hire" → hire_date)."""
        if not 2 <= len(content) <= 4 or len(set(content)) != len(content):
            return []
        options = [sorted(lemmas(t)) for t in content]
        found: dict[tuple[str, str], None] = {}
        for combo in itertools.product(*options):
            for key in self._col_bags.get(frozenset(combo), ()) if len(set(combo)) == len(combo) else ():
                found[key] = None
        return list(found)

    def _qualified(self, toks: tuple[str, ...], restrict: frozenset[str] | None, put: Any) -> None:
        """``customer email`` / ``email of the customer``: a table's words, then the column's (or after 'of')."""
        splits: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        n = len(toks)
        for i in range(max(1, n - _MAX_NAME_WORDS), min(n, _MAX_NAME_WORDS + 1)):  # each part a name's length
            splits.append((toks[:i], toks[i:]))
        if "of" in toks:
            k = toks.index("of")
            tab = tuple(t for t in toks[k + 1 :] if t not in _DETERMINERS)
            if k > 0 and tab:
                splits.append((tab, toks[:k]))
        for tab_toks, col_toks in splits:
            tabs = self._table_keys.get(_compact(tab_toks))
            whole_name = _compact(col_toks) in self._col_norm  # "doctor last name": last_name is a name, "last" too
            if (
                not tabs
                or not col_toks
                or not whole_name and (col_toks[0] in NON_SCHEMA_WORDS or col_toks[-1] in NON_SCHEMA_WORDS)
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
        """Tables, columns and values a whole request mentions, in text order, not overlapping
        (see :func:`datamorph.planner.mentions.find_mentions`)."""
        return _mentions.find_mentions(self, text)

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
        """Join edges connecting all ``tables``: see :func:`datamorph.planner.joinpath.join_path`."""
        return _joinpath.join_path(self.catalog, self._adj, tables)

    def joinable(self, tables: list[str]) -> bool:
        """Whether foreign keys connect all ``tables`` (:meth:`join_path` finds a path; remembered)."""
        key = ("joinable", tuple(tables))
        if key not in self._cache:
            try:
                self.join_path(tables)
                self._cache[key] = True
            except DataMorphError:
                self._cache[key] = False
        return bool(self._cache[key])
