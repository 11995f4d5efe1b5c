"""Rows whose related row is missing: drop them (inner join) or keep them (left join from the base).

Runs right after ``sources``. A clause names a related thing that may be
missing — "without a category", "whose warehouse is not in the warehouses
table", "whose user we can't find", "if the customer is unknown", "guest
carts" — and says what to do with those rows:

- dropped ("can be dropped", "skip", "leave out", "ignore", "exclude"...), or "only orders whose
  customer exists" / "with a matching customer": the related table comes into play and the
  default inner join drops them (a NULL key, as for guest carts, drops too);
- kept ("keep orders even if the customer is unknown", "including products without a
  category", "don't drop..."): ``preserve_base`` (left joins from the base);
- neither, where the related table points at the base ("accounts with no deals"): an anti join
  (the base rows no related row points at). Not where the missing thing is the request's own
  rows' key ("guest carts without a shopper_id"): those are rows to leave out, not an anti join.

Without such a verb ("tickets without an assignee") the clause is a NULL test, left to ``filters``.
The related thing must be a table (or a key column pointing at one); otherwise the clause is not
about orphans ("drop customers without an email") and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from datamorph.errors import DataMorphError
from datamorph.planner.claims import Claim, Edit, Span, View
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.common import mention_span, mentions
from datamorph.planner.recognizers.filter_base import Play
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
        # ... or "who haven't placed any order", "that did not book a room", "who have not had a refund"
        rf"\b(?:(?:that|which|who)\s+)?(?:(?:(?:has|have|had)\s+)?never|(?:has|have|had|did|do|does)\s+not|hasn't|"
        rf"haven't|hadn't|didn't|don't|doesn't)\s+"
        rf"(?!(?:be\s+)?(?:drop|skip|ignor|leav|exclud|remov|omit|discard|filter|los|keep|includ|count|show|list)\w*)"
        rf"(?:(?:had|have|has|got|placed|made|received|"
        rf"booked|opened|signed|bought|ordered|closed|won|held|attended|written|wrote|issued|paid|used|"
        rf"received|got|given|place|make|receive|get|book|open|buy|order|hold|attend|write|issue|pay|use)\s+)?"
        rf"(?:an?\s+|any\s+)?(?P<x>{_W}(?:\s+{_W})?){_TBL}",
        # whose warehouse is not in the warehouses table / whose vendor can't be found / is unknown
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:is|are|was|were)\s+(?:not|n't)\s+|isn't\s+|aren't\s+|wasn't\s+|weren't\s+)"
        rf"(?:in|found\s+in|present\s+in|listed\s+in|part\s+of|among|there|found|known|present|listed)"
        rf"(?:\s+(?:the\s+)?(?P<y>{_W}(?:\s+{_W})?)(?:\s+tables?)?)?",
        # whose account_id doesn't match any account / an existing account
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:does|do|did)\s+not|doesn't|don't|didn't|no\s+longer)\s+(?:match|resolve\s+to|point\s+(?:at|to))(?:es)?\s+"
        rf"(?:any|an?|the)\s+(?:existing\s+|known\s+|valid\s+)?(?P<y>{_W})(?:\s+(?:row|record|entry))?",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:(?:does|do|did)\s+not|doesn't|don't|didn't|no\s+longer)\s+(?:exist|match|appear|resolve)s?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:can't|cannot|can\s+not|couldn't|could\s+not)\s+be\s+(?:found|matched|looked\s+up|resolved){_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:we|you|i|one)\s+(?:can't|cannot|can\s+not|couldn't|could\s+not|don't|do\s+not)\s+"
        rf"(?:find|match|look\s+up|resolve|know)(?:\s+(?:it|them))?{_TBL}",
        rf"\b(?:whose|where|with|if|when|for\s+which)\s+(?:the\s+|its\s+|their\s+|a\s+)?{_X}\s+"
        rf"(?:is|are|was|were)\s+(?:unknown|missing|not\s+found|invalid|orphaned|dangling|gone|deleted)",
        # pointing at a warehouse that doesn't exist / linked to a deleted account / of unknown members
        rf"\b(?:pointing|points|point|referring|refers|refer|linked|tied|belonging|attached|referencing|references)\s+"
        rf"(?:at|to)?\s*(?:an?\s+|the\s+)?(?P<x>{_W})\s+(?:that|which)\s+(?:(?:does|do|did)\s+not|doesn't|don't|"
        rf"didn't|no\s+longer)\s+exists?",
        rf"\b(?:pointing|points|point|referring|refers|refer|linked|tied|belonging|attached|referencing|references)\s+"
        rf"(?:at|to)?\s*(?:an?\s+|the\s+)?(?:unknown|missing|non-?existent|nonexisting|deleted|invalid)\s+(?P<x>{_W})",
        rf"\b(?:of|from|by|for|with|to)\s+(?:an?\s+)?(?:unknown|non-?existent|nonexisting|deleted|invalid)\s+(?P<x>{_W})",
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
_TABLE_WORD = re.compile(r"\s+(?:tables?|datasets?)\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.;!?\n,]+")
_CONNECT = frozenset(STOPWORDS | {"or", "and", "only", "even", "if", "when", "just", "simply", "safely", "too",
                                  "also", "any", "those", "ones", "can", "should", "may", "be", "not"})  # fmt: skip


@dataclass
class _Found:
    start: int
    end: int
    tables: list[str]
    kind: str  # missing, exists, anon (the rows' own key is missing: "anonymous sessions")
    conds: list[Filter] = field(default_factory=list)  # which related rows count: "never had a *refund*"


@dataclass
class _Work(Play):
    """This recognizer's claims, and the draft's ``required_tables``/``anti_tables`` once they apply."""

    required: list[str] = field(default_factory=list)
    anti: list[str] = field(default_factory=list)


def rule(d: View) -> list[Claim]:
    """Bring related tables into play for orphan-row clauses; keep base rows (left joins) when they are kept."""
    if d.base is None:
        return []
    w = _Work(d, base=d.base, tables=list(d.tables), required=list(d.required_tables), anti=list(d.anti_tables))
    for clause in _CLAUSE.finditer(d.prompt):
        _clause(w, clause.start(), clause.end())
    return w.claims


def _clause(w: _Work, cstart: int, cend: int) -> None:
    found, nulls = _found(w, cstart, cend)
    if found:
        _subject(w, w.view.prompt[cstart : min(f.start for f in found)], [t for f in found for t in f.tables])
    found = [f for f in found if any(t != w.base for t in f.tables)]
    if not found:
        return
    clause = w.view.prompt[cstart:cend]
    mode, verbs = _mode(w, clause, found)
    if mode is None:
        return  # "tickets without an assignee": a NULL test, for filters
    if mode != "anti" and any(f.conds for f in found):
        return  # "keep members even if they never had a refund": not read here
    _take_clause(w, cstart, found, [(cstart + v.start(), cstart + v.end()) for v in verbs], mode)
    tables = sorted({t for f in found for t in f.tables})
    if mode == "anti":
        related = [t for t in tables if t != w.base]  # the base's own rows are what is kept
        conds = [c for f in found for c in f.conds]
        kinds = f" ({' and '.join(str(c.provenance) for c in conds)})" if conds else ""
        w.edit(*[e for t in related for e in _anti_join(w, t)],
               *([Edit.add("on_conditions", *conds)] if conds else []),
               Edit.add("notes", f"only {w.base} rows without a matching {', '.join(related)} row{kinds}"))
        return
    edits = [Edit.set("preserve_base", True)] if mode == "keep" else [Edit.add("filters", *nulls)] if nulls else []
    note = f"{'keep' if mode == 'keep' else 'drop'} rows without a matching {', '.join(tables)} row"
    w.edit(*edits, Edit.add("notes", note))


def _found(w: _Work, cstart: int, cend: int) -> tuple[list[_Found], list[Filter]]:
    """The phrases of the clause that name a related thing missing (or present), and NOT NULL tests of
    anonymous rows that have no table to join."""
    text = w.view.prompt[:cend]
    found: list[_Found] = []
    nulls: list[Filter] = []
    for kind, rxs in (("missing", _MISSING), ("exists", _EXISTS)):
        for rx in rxs:
            for m in rx.finditer(text, cstart):
                if _overlaps(found, m.start(), m.end()) or not _open(w, m.start(), m.end()):
                    continue
                x, end = m.group("x"), m.end()
                short = re.sub(r"\s+\w+$", "", x)
                if short != x and not m.groupdict().get("y") and x.split()[-1].lower() in STOPWORDS:
                    x, end = short, m.start("x") + len(short)  # "without any invoice at all": not "invoice at"
                rel = _related(w, x, m.groupdict().get("y"))
                if rel:
                    found.append(_Found(m.start(), _at_all(w, end), rel, kind))
                elif kind == "missing":
                    narrower = _narrower(w, m)
                    if narrower is not None:
                        found.append(narrower)
    for m in _ANON.finditer(text, cstart):
        if _open(w, m.start(), m.end()) and not _overlaps(found, m.start(), m.end()):
            anon = _anonymous(w, m.group("s"))
            if anon is not None:
                found.append(_Found(m.start(), m.end(), anon[0], "anon"))
                if anon[1] is not None:
                    nulls.append(anon[1])
    return found, nulls


_TAIL = re.compile(rf"\s+(?:in|from|of|on|among)\s+(?:any\s+of\s+|one\s+of\s+)?(?:the\s+|their\s+|its\s+)?"
                   rf"(?P<y>{_W}(?:\s+{_W})?)", re.IGNORECASE)  # fmt: skip
_RECORDS = re.compile(r"\s+(?:tables?|datasets?|history|histories|records?|entries|log)\b", re.IGNORECASE)
_AT_ALL = re.compile(r"\s+(?:at\s+all|whatsoever|ever)\b", re.IGNORECASE)


def _at_all(w: _Work, end: int) -> int:
    """Past "at all" / "whatsoever" after a missing thing ("without any invoice at all"): it adds nothing."""
    m = _AT_ALL.match(w.view.prompt, end)
    return m.end() if m else end


def _narrower(w: _Work, m: re.Match[str]) -> _Found | None:
    """A missing thing the whole phrase did not name: its first word alone ("without any invoice at all"),
    or a kind of related row ("who never had a *refund*", "never paid with a *gift card* on any of their
    bookings"): a data value or a column of one table that points at the base, the anti join counting only
    those rows (a condition in the join: equal to the value, or the column filled in). The table may be
    said after it ("in their payment history", "on any of their bookings"): it must be that table."""
    if w.base is None or re.match(r"(?:missing|lacking)\b", m.group(0), re.IGNORECASE):
        return None  # "missing phone values": the rows' own empty column (filters)
    xs, prompt = m.group("x"), w.view.prompt
    if any(c.score >= 0.85 for p in (xs, xs.split()[0]) for c in w.linker.columns(p, [w.base])[:1]):
        return None  # "without a phone": the base's own column, empty (filters)
    words = list(re.finditer(_W, xs))
    ends = [x.end() for x in words if x.group().lower() not in STOPWORDS] or [words[0].end()]
    for cut in dict.fromkeys([ends[-1], ends[0]]):
        end = m.start("x") + cut
        phrase = xs[:cut]
        tail = _TAIL.match(prompt, end)
        owner = None
        if tail is not None:
            y = tail.group("y")
            owner = _table(w, y) or _table(w, y.split()[0])
            if owner is not None:
                end = tail.end() if _table(w, y) else tail.start("y") + len(y.split()[0])
                more = _RECORDS.match(prompt, end)  # "in their payment history", "in the payments table"
                end = more.end() if more else end
        table = _table(w, phrase)
        conds: list[Filter] = []
        if table is None:
            table, conds = _kind_of_rows(w, phrase, owner)
        if table is None or table == w.base or owner not in (None, table) or _child_key(w, w.base, table) is None:
            continue
        return _Found(m.start(), _at_all(w, end), [table], "missing", conds)
    return None


def _kind_of_rows(w: _Work, phrase: str, owner: str | None) -> tuple[str | None, list[Filter]]:
    """The one table pointing at the base where ``phrase`` names a data value ("refund" in
    ``payments.kind``) or a column that may be empty ("coupon code" → ``payments.coupon_code``), and the
    condition that picks those rows; (None, []) when no such table, or several, fit."""
    base = w.base
    assert base is not None
    children = [owner] if owner else [t for t in w.catalog.table_names() if t != base and _child_key(w, base, t)]
    if not children:
        return None, []
    values = [v for v in w.linker.values(phrase, children) if v.score >= 0.9]
    if values:
        picks = {(v.table, v.column, str(v.value)) for v in values if v.score == values[0].score}
        if len(picks) != 1:
            return None, []
        v = values[0]
        return v.table, [Filter(column=f"{v.table}.{v.column}", operator="=", value=v.value, provenance=phrase)]
    cols = [c for c in w.linker.columns(phrase, children) if c.score >= 0.9]
    if len(cols) != 1 and not (cols and cols[0].score > cols[1].score):
        return None, []
    c = cols[0]
    info = w.catalog.table(c.table)
    key = _child_key(w, base, c.table)
    if c.column.lower() in (p.lower() for p in info.primary_key) or key == f"{c.table}.{c.column}":
        return None, []  # "never had a payment id": the rows themselves, not a kind of them
    return c.table, [Filter(column=f"{c.table}.{c.column}", operator="is_not_null", provenance=phrase)]


def _overlaps(found: list[_Found], start: int, end: int) -> bool:
    return any(start < f.end and f.start < end for f in found)


def _mode(w: _Work, clause: str, found: list[_Found]) -> tuple[str | None, list[re.Match[str]]]:
    """What the clause says to do with the rows (drop, keep, anti, or None: not an orphan clause) and the
    verbs that say it."""
    not_drop = _NOT_DROP.search(clause)
    drop = None if not_drop else _DROP.search(clause)
    keep = not_drop or _KEEP.search(clause)
    even = _EVEN.search(clause)
    mode: str | None
    if all(f.kind == "exists" for f in found):
        mode = "keep" if even else "drop"
    elif even or not_drop:
        mode = "keep"
    elif drop is not None:
        mode = "drop"
    elif keep is not None:
        mode = "keep"
    elif _anti(w, found):
        mode = "anti"  # "accounts with no deals": accounts without a matching deal row
    else:
        mode = None
    verbs = [v for v in (not_drop, drop if mode == "drop" else None, keep if mode == "keep" else None, even) if v]
    return mode, verbs


def _take_clause(w: _Work, cstart: int, found: list[_Found], verbs: list[Span], mode: str) -> None:
    """Claim the clause's phrases (bringing their tables in), its verbs, and the small words around them."""
    first = min([f.start for f in found] + [a for a, _ in verbs])
    last = max([f.end for f in found] + [b for _, b in verbs])
    for f in found:
        edits: list[Edit] = []
        for t in f.tables:
            edits.append(w.use(t))
            if mode == "drop" and t not in w.required:
                w.required.append(t)  # joined (inner) to drop rows whose t is missing
                edits.append(Edit.add("required_tables", t))
        w.take_free(f.start, f.end, *edits, why=f"rows whose {', '.join(f.tables)} row is missing ({mode})")
    for a, b in verbs:
        w.take_free(a, b, why=f"what to do with those rows ({mode})")
    tokens = w.view.tokens
    nouns = _table_spans(w)
    between = [t for t in tokens.within(first, last)
               if not w.explained(t) and _small_or_table(w, t.text, t.start, t.end, nouns)]  # fmt: skip
    for tok in reversed(tokens.within(cstart, first)):  # the rows the clause is about: "products with no category"
        if not _small_or_table(w, tok.text, tok.start, tok.end, nouns):
            break
        between.append(tok)
        first = tok.start
    w.take_spans(sorted((t.start, t.end) for t in between), why="the small words and the rows the clause is about")
    prompt = w.view.prompt
    lead = re.search(r"^\s*(?:(?:but|and|also|then|please|just|simply|otherwise|so)\s+)+", prompt[cstart:first], re.I)
    if lead:
        w.take_free(cstart + lead.start(), cstart + lead.end(), why="leads the clause")
    only = re.search(r"\b(?:only|just)\s+(?:the\s+)?(?:\w+\s+){0,2}$", prompt[cstart:first], re.IGNORECASE)
    if only and mode == "drop":
        w.take_free(cstart + only.start(), cstart + only.start() + 4, why="only those with a match")


def _small_or_table(w: _Work, text: str, start: int, end: int, nouns: list[Span]) -> bool:
    return text.lower() in _CONNECT or _is_table_word(w, text) or any(s <= start and end <= e for s, e in nouns)


# ------------------------------------------------------------------------------------------------


_AGGREGATE_CUE = re.compile(r"\b(?:count|counts|number\s+of|how\s+many|totals?|sum|average|avg|mean|per|zero|appear|"
                            r"(?:show|with|as)\s+(?:a\s+)?0)\b", re.IGNORECASE)  # fmt: skip


def _anti(w: _Work, found: list[_Found]) -> bool:
    """"accounts with no deals", "authors that have no books", "members who never borrowed a book": the
    related table points at the base (one base row, many related rows), so the request asks for the base
    rows that no related row points at. Where the request counts or totals ("with no orders must appear
    with 0"), the clause is a wish to keep groups, which the aggregates read."""
    base = w.base
    if base is None or _AGGREGATE_CUE.search(w.view.prompt):
        return False
    related = {t for f in found for t in f.tables if t != base}
    return bool(related) and all(f.kind == "missing" for f in found) and all(
        _child_key(w, base, t) is not None for t in related)


def _child_key(d: View | Play, base: str, table: str) -> str | None:
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


def _own_key(d: View | Play, table: str, column: str) -> bool:
    """The table's own key: its primary key, ``id``, or ``<table>_id`` where no key is declared."""
    info = d.catalog.table(table)
    low = column.lower()
    if info.primary_key:
        return low in (p.lower() for p in info.primary_key)
    stem = re.sub(r"_?(?:id|key|code|no|number)$", "", low)
    if len(stem) >= 3 and info.columns and info.columns[0].name.lower() == low and info.name.lower().startswith(stem):
        return True  # its first column, named by the start of its name (``org_id`` of organizations)
    return low == "id" or bool(stem) and _table(d, stem) == info.name


def _anti_join(w: _Work, table: str) -> list[Edit]:
    """Base rows with no row in ``table``: a left join to it, and its key pointing back is NULL (an equality
    join never matches a NULL, so the key is NULL exactly on the base rows without a match)."""
    key = _child_key(w, w.base, table) if w.base is not None else None
    if key is None:  # _anti checked every related table: not reached
        return []
    edits = [w.use(table), Edit.set("preserve_base", True)]
    if table not in w.anti:
        w.anti.append(table)
        edits.append(Edit.add("anti_tables", table))
    return [*edits, Edit.add("filters", Filter(column=key, operator="is_null", provenance=f"no matching {table} row"))]


def _open(w: _Work, start: int, end: int) -> bool:
    """No word of ``[start, end)`` is held, other than the names of tables (explained, yet free for a phrase
    about missing rows: "orders whose customer isn't in the customers table")."""
    cut = start
    for a, b in sorted(_table_spans(w)):
        if b <= cut or a >= end:
            continue
        if a > cut and not w.free(cut, a):
            return False
        cut = max(cut, b)
    return cut >= end or w.free(cut, end)


def _table_spans(w: _Work) -> list[Span]:
    """Where the request names a table: the linker's table mentions, with "table" after one ("the customers table")."""
    out: list[Span] = []
    for m in mentions(w.view):
        span = mention_span(w.view, m) if isinstance(m, TableMatch) else None
        if span is not None:
            after = _TABLE_WORD.match(w.view.prompt, span[1])
            out.append((span[0], after.end() if after else span[1]))
    return out


def _subject(w: _Work, before: str, related: list[str]) -> None:
    """The rows the clause is about are the base ("leave out shipments whose warehouse is not in the
    warehouses table": shipments, even when "warehouses table" was named first)."""
    if w.base not in related:
        return
    words = re.findall(r"[A-Za-z_]\w*", before)
    for n in (2, 1):
        if len(words) >= n:
            t = _table(w, " ".join(words[-n:]))
            if t is not None and t not in related:
                old = w.base
                w.base = t
                w.tables = [x for x in w.tables if x != t]
                if old is not None:
                    w.tables.insert(0, old)
                w.edit(Edit.set("base", t), Edit.set("tables", list(w.tables)), why=f"the clause is about {t}")
                return


def _is_table_word(d: View | Play, word: str) -> bool:
    hits = d.linker.tables(word)
    return bool(hits) and hits[0].score >= 0.85


def _related(d: Play, phrase: str, table_phrase: str | None) -> list[str]:
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


def _table(d: View | Play, phrase: str) -> str | None:
    hits = d.linker.tables(phrase)
    if hits and hits[0].score >= 0.85:
        return hits[0].table
    return None


def _key_target(d: Play, phrase: str) -> str | None:
    """"department_id" / "department id" (a key column of a table in play) → the table it points at."""
    for cm in d.linker.columns(phrase, d.in_play())[:1]:
        stem = re.sub(r"_(?:id|key|code|no|number)$", "", cm.column.lower())
        if stem == cm.column.lower():
            return None
        return _table(d, stem)
    return None


def _anonymous(d: Play, phrase: str) -> tuple[list[str], Filter | None] | None:
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
