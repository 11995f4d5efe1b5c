"""Rows whose related row is missing: drop them (inner join) or keep them (left join from the base).

Runs right after ``sources``. A clause names a related thing that may be
missing — "without a category", "whose department isn't in the departments
table", "whose user we can't find", "if the customer is unknown", "anonymous
sessions" — and says what to do with those rows:

- dropped ("can be dropped", "skip", "leave out", "ignore", "exclude"...), or "only orders whose
  customer exists" / "with a matching customer": the related table comes into play and the
  default inner join drops them (a NULL key, as for anonymous sessions, drops too);
- kept ("keep orders even if the customer is unknown", "including products without a
  category", "don't drop..."): ``d.preserve_base = True`` (left joins from the base).

Without such a verb ("products without a category") the clause is a NULL test, left to ``filters``.
The related thing must be a table (or a key column pointing at one); otherwise the clause is not
about orphans ("drop customers without an email") and is left alone.
"""

from __future__ import annotations

import re

from datamorph.errors import DataMorphError
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.common import in_play, mentions
from datamorph.spec import Filter

_W = r"[A-Za-z_][\w]*"
_X = rf"(?P<x>{_W}(?:\s+(?:or|and|its|their|the|/|,)*\s*{_W}){{0,4}}?)"
_TBL = rf"(?:\s+(?:in|from|of)\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?"
_MISSING = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        # without a category / with no matching customer / that have no department / missing a product
        rf"\b(?:without|lacking|missing|with\s+no|(?:that|which|who)\s+(?:has|have|had)\s+no|having\s+no)\s+"
        rf"(?:an?\s+|any\s+|the\s+|their\s+|its\s+)?(?:matching\s+|valid\s+|known\s+|corresponding\s+|existing\s+)?"
        rf"(?P<x>{_W}(?:\s+{_W})?)(?:\s+(?:row|record|entry|match))?{_TBL}",
        # that never had a deal / who have never placed an order / never booked any appointment
        rf"\b(?:(?:that|which|who)\s+)?(?:(?:has|have|had)\s+)?never\s+(?:(?:had|have|has|got|placed|made|received|"
        rf"booked|opened|signed|bought|ordered|closed|won|held|attended|written|wrote|issued|paid)\s+)?"
        rf"(?:an?\s+|any\s+)?(?P<x>{_W}(?:\s+{_W})?){_TBL}",
        # whose department isn't in the departments table / whose product can't be found / is unknown
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:is|are|was|were)\s+(?:not|n't)\s+|isn't\s+|aren't\s+|wasn't\s+|weren't\s+)"
        rf"(?:in|found\s+in|present\s+in|listed\s+in|part\s+of|among|there|found|known|present|listed)"
        rf"(?:\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:does|do|did)\s+not|doesn't|don't|didn't|no\s+longer)\s+(?:exist|match|appear|resolve)s?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:can't|cannot|can\s+not|couldn't|could\s+not)\s+be\s+(?:found|matched|looked\s+up|resolved){_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:we|you|i|one)\s+(?:can't|cannot|can\s+not|couldn't|could\s+not|don't|do\s+not)\s+"
        rf"(?:find|match|look\s+up|resolve|know)(?:\s+(?:it|them))?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:is|are|was|were)\s+(?:unknown|missing|not\s+found|invalid|orphaned|dangling|gone|deleted)",
    )
)
_EXISTS = tuple(
    re.compile(rx, re.IGNORECASE)
    for rx in (
        rf"\b(?:whose|where)\s+(?:the\s+|its\s+|their\s+)?{_X}\s+(?:exists?|is\s+known|can\s+be\s+found|is\s+found|"
        rf"is\s+(?:in|present\s+in|listed\s+in))(?:\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?",
        rf"\b(?:with|having|that\s+(?:has|have)|which\s+(?:has|have))\s+(?:an?\s+)?(?:matching|valid|known|existing|"
        rf"corresponding)\s+(?P<x>{_W}(?:\s+{_W})?)(?:\s+(?:row|record|entry))?{_TBL}",
    )
)
_ANON = re.compile(rf"\b(?:anonymous|unidentified|guest|logged[\s-]out)\s+(?P<s>{_W}(?:\s+{_W})?)", re.IGNORECASE)
_DROP = re.compile(
    r"\b(?:(?:can|should|may|must|will|could)\s+(?:safely\s+|just\s+|simply\s+)?(?:be\s+)?)?"
    r"(?:drop(?:ped|ping)?|skip(?:ped|ping)?|ignor(?:e|ed|ing)|leav(?:e|ing)\s+out|left\s+out|exclud(?:e|ed|ing)|"
    r"remov(?:e|ed|ing)|omit(?:ted|ting)?|filter(?:ed)?\s+out|discard(?:ed)?|thrown?\s+(?:away|out)|can\s+go|"
    r"get\s+rid\s+of|don't\s+need|do\s+not\s+need|not\s+needed|don't\s+count|do\s+not\s+count)\b"
    r"(?:\s+(?:them|those|these|it))?",
    re.IGNORECASE,
)
_NOT_DROP = re.compile(r"\b(?:don't|do\s+not|never|shouldn't|should\s+not|must\s+not|mustn't|without)\s+"
                       r"(?:be\s+)?(?:drop|skip|ignor|leav|exclud|remov|omit|discard|filter|los)\w*"
                       r"(?:\s+(?:out|them|those|these|it))?", re.IGNORECASE)  # fmt: skip
_KEEP = re.compile(
    r"\b(?:keep(?:ing)?|kept|retain(?:ed|ing)?|preserv(?:e|ed|ing)|includ(?:e|ed|ing)|still\s+(?:show|list|include|"
    r"count|return)|(?:with\s+or\s+without|even\s+(?:if|when|those|the\s+ones|ones|where|though))(?:\s+(?:they|it))?)\b",
    re.IGNORECASE,
)
_EVEN = re.compile(r"\beven\s+(?:if|when|where|though|those|the\s+ones|ones)\b|\bwith\s+or\s+", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.;!?\n,]+")
_CONNECT = frozenset(STOPWORDS | {"or", "and", "only", "even", "if", "when", "just", "simply", "safely", "too",
                                  "also", "any", "those", "ones", "can", "should", "may", "be", "not"})  # fmt: skip


def recognize(d: Draft) -> None:
    """Bring related tables into play for orphan-row clauses; set ``preserve_base`` when they are kept."""
    if d.base is None:
        return
    for clause in _CLAUSE.finditer(d.prompt):
        _clause(d, clause.start(), clause.end())


def _clause(d: Draft, cstart: int, cend: int) -> None:
    text = d.prompt[:cend]
    found: list[tuple[int, int, list[str], str]] = []  # start, end, related tables, kind (missing/exists)
    nulls: list[Filter] = []  # anonymous rows with no table to join: a NOT NULL test instead
    for kind, rxs in (("missing", _MISSING), ("exists", _EXISTS)):
        for rx in rxs:
            for m in rx.finditer(text, cstart):
                if any(m.start() < e and s < m.end() for s, e, _, _ in found) or not _free(d, m.start(), m.end()):
                    continue
                rel = _related(d, m.group("x"), m.groupdict().get("y"))
                if rel:
                    found.append((m.start(), m.end(), rel, kind))
    for m in _ANON.finditer(text, cstart):
        if _free(d, m.start(), m.end()) and not any(m.start() < e and s < m.end() for s, e, _, _ in found):
            anon = _anonymous(d, m.group("s"))
            if anon is not None:
                found.append((m.start(), m.end(), anon[0], "missing"))
                if anon[1] is not None:
                    nulls.append(anon[1])
    if found:
        _subject(d, d.prompt[cstart : min(s for s, *_ in found)], [t for *_, rel, _ in found for t in rel])
    found = [f for f in found if any(t != d.base for t in f[2])]
    if not found:
        return
    first, last = min(s for s, *_ in found), max(e for _, e, *_ in found)
    clause = d.prompt[cstart:cend]
    not_drop = _NOT_DROP.search(clause)
    drop = None if not_drop else _DROP.search(clause)
    keep = not_drop or _KEEP.search(clause)
    even = _EVEN.search(clause)
    if all(k == "exists" for *_, k in found):
        mode = "keep" if even else "drop"
    elif even or not_drop:
        mode = "keep"
    elif drop is not None:
        mode = "drop"
    elif keep is not None:
        mode = "keep"
    elif _anti(d, found):
        mode = "anti"  # "accounts with no deals": accounts without a matching deal row
    else:
        return  # "products without a category": a NULL test, for filters
    verbs = [v for v in (not_drop, drop if mode == "drop" else None, keep if mode == "keep" else None, even) if v]
    for v in verbs:
        first, last = min(first, cstart + v.start()), max(last, cstart + v.end())
    for s, e, rel, _ in found:
        for t in rel:
            d.use_table(t)
            if mode == "drop" and t not in d.required_tables:
                d.required_tables.append(t)  # joined (inner) to drop rows whose t is missing
        _mark(d, s, e)
    for v in verbs:
        _mark(d, cstart + v.start(), cstart + v.end())
    nouns = _table_spans(d)
    for tok in d.tokens.items:  # the small words and table nouns in between
        if first <= tok.start and tok.end <= last and not tok.used and (
            tok.low in _CONNECT or _is_table_word(d, tok.text) or any(s <= tok.start and tok.end <= e for s, e in nouns)
        ):
            tok.used = True
    for tok in reversed([t for t in d.tokens.within(cstart, first)]):
        if tok.low in _CONNECT or _is_table_word(d, tok.text) or any(s <= tok.start and tok.end <= e for s, e in nouns):
            tok.used, first = True, tok.start  # the rows the clause is about: "products with no category ..."
            continue
        break
    lead = re.search(r"^\s*(?:(?:but|and|also|then|please|just|simply|otherwise|so)\s+)+", d.prompt[cstart:first], re.I)
    if lead:
        _mark(d, cstart + lead.start(), cstart + lead.end())
    only = re.search(r"\b(?:only|just)\s+(?:the\s+)?(?:\w+\s+){0,2}$", d.prompt[cstart:first], re.IGNORECASE)
    if only and mode == "drop":
        _mark(d, cstart + only.start(), cstart + only.start() + 4)
    tables = sorted({t for *_, rel, _ in found for t in rel})
    if mode == "anti":
        for t in tables:
            _anti_join(d, t)
        d.notes.append(f"only {d.base} rows without a matching {', '.join(tables)} row")
        return
    if mode == "keep":
        d.preserve_base = True
    else:
        d.filters.extend(nulls)
    d.notes.append(f"{'keep' if mode == 'keep' else 'drop'} rows without a matching {', '.join(tables)} row")


# ------------------------------------------------------------------------------------------------


_AGGREGATE_CUE = re.compile(r"\b(?:count|counts|number\s+of|how\s+many|totals?|sum|average|avg|mean|per|zero|appear|"
                            r"(?:show|with|as)\s+(?:a\s+)?0)\b", re.IGNORECASE)  # fmt: skip


def _anti(d: Draft, found: list[tuple[int, int, list[str], str]]) -> bool:
    """"accounts with no deals", "authors that have no books", "members who never borrowed a book": the
    related table points at the base (one base row, many related rows), so the request asks for the base
    rows that no related row points at. Where the request counts or totals ("with no orders must appear
    with 0"), the clause is a wish to keep groups, which the aggregates read."""
    if d.base is None or _AGGREGATE_CUE.search(d.prompt):
        return False
    related = {t for *_, rel, kind in found for t in rel if t != d.base}
    return bool(related) and all(k == "missing" for *_, k in found) and all(
        _child_key(d, d.base, t) is not None for t in related)


def _child_key(d: Draft, base: str, table: str) -> str | None:
    """The column of ``table`` that points at ``base``'s own key (``deals.account_id`` → accounts), if any."""
    try:
        edges = d.linker.join_path([base, table])
    except DataMorphError:
        return None
    if len(edges) != 1:
        return None
    e = edges[0]
    base_col, col = (e.left_column, e.right_column) if e.left_table == base else (e.right_column, e.left_column)
    if not _own_key(d, base, base_col) or _own_key(d, table, col):
        return None
    return f"{table}.{col}"


def _own_key(d: Draft, table: str, column: str) -> bool:
    """The table's own key: its primary key, ``id``, or ``<table>_id`` where no key is declared."""
    info = d.catalog.table(table)
    low = column.lower()
    if info.primary_key:
        return low in (p.lower() for p in info.primary_key)
    stem = re.sub(r"_?(?:id|key|code|no|number)$", "", low)
    return low == "id" or bool(stem) and _table(d, stem) == info.name


def _anti_join(d: Draft, table: str) -> None:
    """Base rows with no row in ``table``: a left join to it, and its key pointing back is NULL (an equality
    join never matches a NULL, so the key is NULL exactly on the base rows without a match)."""
    assert d.base is not None
    key = _child_key(d, d.base, table)
    assert key is not None
    d.use_table(table)
    d.preserve_base = True
    if table not in d.anti_tables:
        d.anti_tables.append(table)
    d.filters.append(Filter(column=key, operator="is_null", provenance=f"no matching {table} row"))


def _free(d: Draft, start: int, end: int) -> bool:
    return not any(t.used for t in d.tokens.overlapping(start, end) if t.kind in ("word", "quoted")
                   and t.low not in _CONNECT and not _is_table_word(d, t.text))  # fmt: skip


def _mark(d: Draft, start: int, end: int) -> None:
    for t in d.tokens.items:
        if t.start < end and t.end > start:
            t.used = True


def _table_spans(d: Draft) -> list[tuple[int, int]]:
    texts = {m.text.lower() for m in mentions(d) if isinstance(m, TableMatch)}
    return [(m.start(), m.end()) for x in texts for m in re.finditer(rf"\b{re.escape(x)}\b", d.prompt, re.IGNORECASE)]


def _subject(d: Draft, before: str, related: list[str]) -> None:
    """The rows the clause is about are the base ("leave out employees whose department isn't in the
    departments table": employees, even when "departments table" was named first)."""
    if d.base not in related:
        return
    words = re.findall(r"[A-Za-z_]\w*", before)
    for n in (2, 1):
        if len(words) >= n:
            t = _table(d, " ".join(words[-n:]))
            if t is not None and t not in related:
                old = d.base
                d.base = t
                d.tables = [x for x in d.tables if x != t]
                if old is not None:
                    d.tables.insert(0, old)
                return


def _is_table_word(d: Draft, word: str) -> bool:
    hits = d.linker.tables(word)
    return bool(hits) and hits[0].score >= 0.85


def _related(d: Draft, phrase: str, table_phrase: str | None) -> list[str]:
    """The tables the (possibly listed) phrase names: "product or its category" → products, categories."""
    if table_phrase:
        t = _table(d, table_phrase)
        if t is not None:
            return [t]
    out: list[str] = []
    for part in re.split(r"\s*(?:\bor\b|\band\b|/|,)\s*", phrase):
        part = re.sub(r"^(?:(?:its|their|the|an?)\s+)+", "", part.strip(), flags=re.IGNORECASE)
        if not part:
            continue
        t = _table(d, part) or _key_target(d, part)
        if t is None:
            return []
        out.append(t)
    return out


def _table(d: Draft, phrase: str) -> str | None:
    hits = d.linker.tables(phrase)
    if hits and hits[0].score >= 0.85:
        return hits[0].table
    return None


def _key_target(d: Draft, phrase: str) -> str | None:
    """"department_id" / "department id" (a key column of a table in play) → the table it points at."""
    for cm in d.linker.columns(phrase, in_play(d))[:1]:
        stem = re.sub(r"_(?:id|key|code|no|number)$", "", cm.column.lower())
        if stem == cm.column.lower():
            return None
        return _table(d, stem)
    return None


def _anonymous(d: Draft, phrase: str) -> tuple[list[str], Filter | None] | None:
    """"anonymous sessions": the sessions' key to a person table is NULL. The person table, if there is one."""
    table = _table(d, phrase) or (d.base if any(h.table == d.base for h in d.linker.tables(phrase)[:1]) else None)
    if table is None:
        return None
    info = d.catalog.table(table)
    keys = [c.name for c in info.columns if re.match(r"(?:user|customer|member|visitor|account|person|client)_?id$",
                                                     c.name, re.IGNORECASE)]  # fmt: skip
    if len(keys) != 1:
        return None
    target = _table(d, re.sub(r"_?id$", "", keys[0], flags=re.IGNORECASE))
    if target is not None and target != table:
        return [table, target], None
    return [table], Filter(column=f"{table}.{keys[0]}", operator="is_not_null", provenance=f"not anonymous {phrase}")
