"""Finding the tables, columns and values a whole request mentions (for :class:`SchemaLinker`)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from datamorph.catalog import NUMERIC_FAMILIES
from datamorph.planner.lexicon import GENERIC_WORDS, NON_SCHEMA_WORDS, phrase_tokens
from datamorph.planner.matches import (
    _JOINER_RE,
    _WORD_RE,
    CONTEXT_SLACK,
    S_EXACT,
    S_PARTIAL,
    S_TABLE_SYNONYM,
    SPAN_BONUS,
    ColumnMatch,
    Mention,
    TableMatch,
    _identity,
    _table_of,
    _Word,
    is_measure_name,
)
from datamorph.planner.text import PATH_LITERAL

if TYPE_CHECKING:
    from datamorph.planner.linking import SchemaLinker


_PATH = re.compile(PATH_LITERAL)
_PART_SCORE = 0.9  # how well a part of a hyphenated word must name something for the word to be split


def _parts(linker: SchemaLinker, m: re.Match[str]) -> list[tuple[int, int]]:
    """A word's span, or the spans of the words of a hyphenated compound whose parts name a value, column or
    table ("corporate-segment", "annual-billing"): the parts together still make a span of several words. A
    compound of grammar words ("no-show") or of words that name nothing well ("double-fired") stays one word."""
    word = m.group()
    if "-" not in word or all(t in NON_SCHEMA_WORDS for t in phrase_tokens(word)):
        return [m.span()]
    pieces = [p for p in word.split("-") if p]
    if not any(_names_well(linker, p) for p in pieces) or _ranks(pieces[0]):
        return [m.span()]  # ("best-paid", "top-selling": an adjective of rank, never a data value 'paid')
    out, at = [], m.start()
    for piece in word.split("-"):
        if piece:
            out.append((at, at + len(piece)))
        at += len(piece) + 1
    return out


def _ranks(word: str) -> bool:
    """An ordering word or a superlative ("best", "top", "highest", "most") opening a compound adjective."""
    from datamorph.planner.meaning import word_class  # (meaning reads the linker, which reads this module)

    return word_class(word) == "ordering" or word.lower() in ("most", "least", "well", "better", "worse")


def _names_well(linker: SchemaLinker, word: str) -> bool:
    if word.lower() in NON_SCHEMA_WORDS or len(word) < 3:
        return False
    hits: list[Mention] = [*linker.values(word)[:1], *linker.columns(word)[:1], *linker.tables(word)[:1]]
    return any(h.score >= _PART_SCORE for h in hits)


def _own_table(linker: SchemaLinker, words: list[_Word]) -> str | None:
    """Which table a word of a column phrase names by its own name (not a synonym): "transaction" in "transaction
    amount" → transactions."""
    found = {h.table for w in words if not w.stop for h in linker.tables(" ".join(w.tokens))[:1] if h.score >= _OWN_NAME}
    return found.pop() if len(found) == 1 else None


_OWN_NAME = 0.95  # a table's name or its plural, above any synonym


def find_mentions(linker: SchemaLinker, text: str) -> list[Mention]:
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
    paths = [m.span() for m in _PATH.finditer(text)]  # "/pricing": one word, found as written (its raw text)
    for m in sorted([*_WORD_RE.finditer(text), *_PATH.finditer(text)], key=lambda m: m.start()):
        if m.re is _WORD_RE and any(a <= m.start() < b for a, b in paths):
            continue
        for start, end in _parts(linker, m) if m.re is _WORD_RE else [m.span()]:
            word = text[start:end]
            word_toks = phrase_tokens(word)
            stop = not word_toks or all(t in NON_SCHEMA_WORDS for t in word_toks) or len(word) == 1
            words.append(_Word(start, end, word_toks, stop, any(ch.isalpha() for ch in word), is_measure_name(word)))
    n = len(words)
    spans: list[tuple[float, int, int, list[Mention]]] = []
    deferred: list[tuple[int, int]] = []
    for i in range(n):
        if not words[i].alpha:
            continue
        toks: tuple[str, ...] = ()
        for j in range(i, min(n, i + 4)):
            if not words[j].alpha or (
                j > i and not _JOINER_RE.fullmatch(between := text[words[j - 1].end : words[j].start]) and between != "-"
            ):
                break
            toks = toks + words[j].tokens
            raw = text[words[i].start : words[j].end].lower()
            if i == j and words[i].stop:
                hit = linker._table_raw.get(raw)
                if hit and len(raw) > 1:
                    spans.append((S_EXACT, i, j, [TableMatch(hit, S_EXACT, "")]))
                elif len(words[i].tokens) > 1 and linker.value_index is not None:
                    # "no-show(s)": one hyphenated word of stopwords that is a data value's words (no_show)
                    vs = linker.value_index._scores(words[i].tokens, raw, None, fuzzy=False, qualified=False)
                    if vs:
                        spans.append((max(vs.values()), i, j, list(linker.value_index._matches(vs, ""))))
                continue
            if all(t in GENERIC_WORDS for t in toks):
                if not any(w.stop for w in words[i : j + 1]):
                    deferred.append((i, j))
                continue
            strict = words[i].stop or words[j].stop or any(w.measure for w in words[i : j + 1])
            key = ("s", toks, raw, strict, j - i <= 1)
            cands = linker._cache.get(key)
            if cands is None:
                cands = linker._cached(key, partial(linker._span, toks, raw, strict, j - i <= 1))
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
    order = {ab: r for r, ab in enumerate(sorted(by_span, key=lambda ab: ab[0] - ab[1]))}  # longest first
    for entry in chosen:
        i, j, cands, _ = entry
        ident = _identity(cands[0])
        around = [(a, b) for a in range(i - 3, i + 1) for b in range(j, a + 4) if (a, b) in order]  # (spans: 4 words)
        for a, b in sorted(around, key=order.__getitem__):
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
        i, j, cands, _ = entry
        if len(cands) < 2:
            continue
        if isinstance(cands[0], TableMatch) and cands[0].score >= S_EXACT and cands[1].score < S_EXACT:
            continue  # a table's own name ("users") is never read as another table's synonym
        own = _own_table(linker, words[i : j + 1]) if j > i else None
        if own is not None and isinstance(cands[0], ColumnMatch) and any(
                isinstance(c, ColumnMatch) and c.table == own and c.score >= cands[0].score - CONTEXT_SLACK
                for c in cands):  # fmt: skip
            # "transaction amount": the table the phrase's own word names, never a neighbour's column by context
            entry[3] = next(k for k, c in enumerate(cands) if isinstance(c, ColumnMatch) and c.table == own)
            continue
        ctx1 = {t for k, t in enumerate(picked_tables) if k != idx}
        ctx2 = {nb for t in ctx1 for nb in linker.neighbors(t)} - ctx1
        agg = linker._after_aggregate(words, i)
        best = cands[0].score
        pool = [c for c in cands if c.score >= best - CONTEXT_SLACK]

        def rank(
            c: Mention, ctx1: set[str] = ctx1, ctx2: set[str] = ctx2, agg: bool = agg
        ) -> tuple[int, int]:
            t = _table_of(c)
            numeric = (
                isinstance(c, ColumnMatch) and linker._cols[(c.table, c.column)].family in NUMERIC_FAMILIES
            )
            return (0 if (agg and numeric) else 1, 0 if t in ctx1 else 1 if t in ctx2 else 2)

        entry[3] = cands.index(min(pool, key=lambda c: (*rank(c), -c.score)))
    mentioned = {_table_of(c[2][c[3]]) for c in chosen}

    # lone generic words, read within the mentioned tables (then their neighbours)
    deferred.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    near = {nb for t in mentioned for nb in linker.neighbors(t)} - mentioned
    for i, j in deferred:
        if any(taken[i : j + 1]):
            continue
        toks = tuple(t for w in words[i : j + 1] for t in w.tokens)
        raw = text[words[i].start : words[j].end].lower()
        scores: dict[tuple[str, str], float] = {}
        contexts: list[set[str] | None] = [mentioned, near] if mentioned else [None]
        for ctx in contexts:
            restrict = frozenset(ctx) if ctx is not None else None
            if ctx is not None and not ctx:
                continue
            scores = linker._col_scores(toks, raw, restrict, "inner")
            if scores:
                break
        cands = [c for c in linker._col_matches(scores, "") if c.score >= S_PARTIAL]
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
