"""The value index: distinct values of low-cardinality text columns, so that a request's words
("cancelled", "mobile app", "contractors") can be grounded as conditions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlglot import exp

from datamorph.catalog import Catalog, TableInfo
from datamorph.errors import DataMorphError
from datamorph.planner.lexicon import (
    GENERIC_WORDS,
    NON_SCHEMA_WORDS,
    phrase_tokens,
    synonym_index,
)
from datamorph.planner.matches import (
    _BOOL_PREFIXES,
    V_EXACT,
    V_FUZZY,
    V_NEGATED,
    V_NORMAL,
    V_QUALIFIED,
    ValueMatch,
    _compact,
    _Fuzzy,
    _path_column,
    _put,
    _skip_value_column,
    _strip_edges,
    _strip_raw,
    _table_stems,
    _value_key,
)


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
        self._exact_only: set[tuple[str, str]] = set()
        self._ranges: dict[tuple[str, str], tuple[float, float]] = {}  # (table, column) → (min, max), lower case
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
                exact = _path_column(c.name)  # "/pricing": a value only as written, never by its words
                if family != "text" or _skip_value_column(c.name) and not exact:
                    continue
                values = _distinct_values(engine, t, c.name, max_distinct)
                if values is None:
                    continue
                texts = [v if isinstance(v, str) else str(v) for v in values]
                texts = [v for v in texts if 0 < len(v.strip()) <= max_len and any(ch.isalpha() for ch in v)]
                if not texts or sum(("@" in v or "://" in v) for v in texts) * 2 > len(texts):
                    continue
                idx.add_column(t.name, c.name, texts, exact_only=exact)
            for column, lo, hi in _ranges(engine, t):
                idx.set_range(t.name, column, lo, hi)
        return idx

    def set_range(self, table: str, column: str, lo: float, hi: float) -> None:
        """The smallest and largest value of a decimal column (how its numbers are scaled: 0.15 or 15)."""
        self._ranges[(table.lower(), column.lower())] = (lo, hi)

    def range_of(self, table: str, column: str) -> tuple[float, float] | None:
        """The (min, max) of a decimal column, or None when not known (no rows, not decimal, not read)."""
        return self._ranges.get((table.lower(), column.lower()))

    def add_column(self, table: str, column: str, values: Sequence[Any], *, exact_only: bool = False) -> None:
        """Index the distinct ``values`` of ``table.column`` (``[True, False]`` for a boolean column); with
        ``exact_only`` (paths, links) a value is found only as written, any case ("/pricing"), not by its words."""
        key = (table, column)
        if exact_only:
            self._exact_only.add(key)
        self._columns.setdefault(key, [])
        stems = _table_stems(table)
        col_toks = phrase_tokens(column)
        col_forms = {_compact(col_toks)}
        for stem in stems:
            if col_forms and _compact(col_toks).startswith(stem) and len(_compact(col_toks)) > len(stem):
                col_forms.add(_compact(col_toks)[len(stem) :])
        for q in stems | col_forms:
            self._qualifiers.setdefault(q, set()).add(key)
        countries = country_names(values)
        for v in values:
            if v in self._columns[key]:
                continue
            self._columns[key].append(v)
            if isinstance(v, bool):
                self._add_boolean(table, column, col_toks, v)
            elif exact_only:
                self._exact.setdefault(str(v).strip().lower(), []).append(self._new_item(table, column, str(v)))
            else:
                i = self._add_text(table, column, str(v))
                for name in countries.get(str(v), ()):  # "Norway" finds 'NO' in a column of country codes
                    self._add_words(i, name)

    def _new_item(self, table: str, column: str, value: Any) -> int:
        self._items.append((table, column, value))
        self._item_table.append(table.lower())
        return len(self._items) - 1

    def _add_text(self, table: str, column: str, value: str) -> int:
        i = self._new_item(table, column, value)
        self._exact.setdefault(value.strip().lower(), []).append(i)
        self._add_words(i, value)
        return i

    def _add_words(self, i: int, words: str) -> None:
        """Find item ``i`` by ``words`` (its own text, or a name it stands for) the way any value is found."""
        toks = phrase_tokens(words)
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
                {"table": t, "column": c, "values": list(vs), **({"exact_only": True} if (t, c) in self._exact_only
                                                                 else {})}  # fmt: skip
                for (t, c), vs in self._columns.items()
            ],
            "ranges": [{"table": t, "column": c, "min": lo, "max": hi} for (t, c), (lo, hi) in self._ranges.items()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValueIndex:
        """The index :meth:`to_dict` wrote."""
        idx = cls()
        for col in data.get("columns", []):
            idx.add_column(str(col["table"]), str(col["column"]), list(col.get("values", [])),
                           exact_only=bool(col.get("exact_only")))  # fmt: skip
        for r in data.get("ranges", []):
            idx.set_range(str(r["table"]), str(r["column"]), float(r["min"]), float(r["max"]))
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
    dialect = getattr(engine, "dialect", "duckdb")

    def q(name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect=dialect)

    col = q(column)
    names = [q(table.name)]
    if table.schema and table.schema not in ("main", "default", "temp"):
        names.insert(0, f"{q(table.schema)}.{q(table.name)}")
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


def country_names(values: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    """The country names of each value of a column of ISO 3166 codes ('NO' → Norway; 'GBR' → United Kingdom, ...):
    empty unless (nearly) every value is a code, upper case, of two or three letters (``pycountry``'s data)."""
    codes = [v for v in values if isinstance(v, str)]
    if not codes or any(not (c.isalpha() and c.isupper() and len(c) in (2, 3)) for c in codes):
        return {}
    import pycountry

    found: dict[str, tuple[str, ...]] = {}
    for c in codes:
        country = pycountry.countries.get(alpha_2=c) if len(c) == 2 else pycountry.countries.get(alpha_3=c)
        if country is not None:
            names = {country.name, getattr(country, "common_name", country.name)}
            found[c] = tuple(sorted(n for n in names if "," not in n))
    if len(found) * 10 < len(codes) * 9:
        return {}  # not a column of country codes (a few letters that happen to be codes)
    if "GB" in found or "GBR" in found:
        found["GB" if "GB" in found else "GBR"] += ("UK", "Britain", "Great Britain")
    return found


def _ranges(engine: Any, table: TableInfo) -> list[tuple[str, float, float]]:
    """The min and max of each decimal or float column of ``table`` (one query), for columns with values."""
    cols = [c.name for c in table.columns if c.family in ("decimal", "float")]
    if not cols:
        return []
    dialect = getattr(engine, "dialect", "duckdb")

    def q(name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect=dialect)

    ref = q(table.name) if not table.schema or table.schema in ("main", "default", "temp") else \
        f"{q(table.schema)}.{q(table.name)}"
    sql = "SELECT " + ", ".join(f"MIN({q(c)}), MAX({q(c)})" for c in cols) + f" FROM {ref}"
    try:
        row = engine.fetch(sql).rows[0]
    except (DataMorphError, IndexError):
        return []
    return [(c, float(row[2 * i]), float(row[2 * i + 1])) for i, c in enumerate(cols)
            if row[2 * i] is not None and row[2 * i + 1] is not None]  # fmt: skip


# -- the linker ------------------------------------------------------------------------------


