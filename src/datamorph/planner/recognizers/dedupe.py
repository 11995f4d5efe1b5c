"""De-duplication: exact duplicate rows, or one row per key (the latest / first by some column).

"page views without exact duplicates", "each distinct row only once",
"latest salary record per employee", "first order per customer by order date",
"each customer's most recent order".
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner import lexicon
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.common import RenamedMatch
from datamorph.planner.recognizers.derivekit import Work, column_error, column_phrase, in_play, unreferenced
from datamorph.planner.recognizers.sources import rows_owner_at
from datamorph.spec import Dedupe, OrderItem

_EXACT = re.compile(
    r"\b(?:remov(?:e|ing)|drop(?:ping)?|without|no|eliminat(?:e|ing)|exclud(?:e|ing)|minus|skip(?:ping)?|"
    r"get\s+rid\s+of|filter(?:ing)?\s+out)\s+(?:any\s+|all\s+|the\s+)?(?:exact|full|complete|identical|fully)?\s*"
    r"(?:duplicate[ds]?|dupes?|repeated|identical)(?:\s+(?:rows|records|entries|lines))?\b"
    r"|\b(?:de-?dup(?:e|ed|licated?|licating)?|deduplicat\w*)\b(?:\s+(?:rows|records|the\s+rows))?"
    r"|\b(?:(?:in\s+which|where|so\s+that|such\s+that)\s+)?(?:each|every)\s+(?:distinct|unique|identical)\s+(?:row|record)"
    r"(?:\s+(?:appears|shows\s+up|occurs|is\s+kept|is\s+listed|remains|is\s+left))?(?:\s+only)?\s+once\b"
    r"|\b(?:only\s+)?(?:distinct|unique)\s+(?:rows|records)\b"
    r"|\b(?:contains?|has|have|includes?|with)\s+(?:some\s+|a\s+few\s+|many\s+|several\s+)?(?:rows|records|entries)\s+"
    r"(?:that\s+are|which\s+are)\s+(?:exact\s+)?(?:duplicates|copies)(?:\s+of\s+(?:each\s+other|one\s+another))?"
    r"|\b(?:contains?|has|have|includes?)\s+(?:some\s+|a\s+few\s+|many\s+)?(?:exact\s+)?(?:duplicate|repeated)\s+(?:rows|records)"
    r"|\b(?:a\s+|the\s+)?(?:cleaned|clean|cleaned-up|deduplicated|de-duplicated|tidy)\s+(?:copy|version)(?:\s+of)?"
    r"|\b(?:with\s+)?duplicates?\s+(?:rows\s+)?removed\b|\bevery\s+(?:row|record)\s+(?:only\s+)?once\b",
    re.I,
)
_WHICH = r"(?P<which>(?:latest|most\s+recent|newest|last|current|earliest|first|oldest|most\s+recently\s+\w+)(?:\s+ever)?)"
_KEY_END = r"(?=\s*(?:[,.;:!?()]|$|\b(?:where|with|and|sorted|ordered|including|only|into|as|from|in|that|which)\b))"
_BY = r"(?:\s+(?:by|based\s+on|according\s+to|using|going\s+by)\s+(?:the\s+|their\s+|its\s+)?(?P<by>[\w.]+(?:\s+\w+)?))?"
_PER = re.compile(
    rf"\b(?:(?:keep(?:ing)?|take|only)\s+){{0,2}}(?:only\s+)?(?:the\s+|one\s+|a\s+single\s+|each\s+)?{_WHICH}\s+"
    r"(?P<what>[\w ]{0,30}?)\s*\b(?:per|for\s+(?:each|every)|of\s+(?:each|every)|from\s+each|in\s+each)\s+"
    rf"(?P<key>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?){_BY}{_KEY_END}",
    re.I,
)
_POSSESSIVE = re.compile(
    rf"(?:\b(?:keep(?:ing)?|take|retain)\s+(?:only\s+)?)?"
    rf"\b(?:each|every)\s+(?P<key>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)'s\s+(?:single\s+)?{_WHICH}\s+"
    rf"(?P<what>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?){_BY}{_KEY_END}",
    re.I,
)
_DESC = {"latest", "most recent", "newest", "last", "current"}
_DATE_PREFERENCE = ("effective", "start", "created", "updated", "date", "at", "time")


def picked(v: View) -> list[Claim]:
    """One row per key whose order the request spells out — "(earliest started_at, ties -> lowest id)",
    "if two share the same time, take the higher id", "de-duplicate accounts on the email, case-insensitively,
    keeping each email's oldest signup": read before the aggregates, which would read the order words as
    a minimum or maximum per group."""
    d = Work(v)
    for m in _ON_KEYS.finditer(d.prompt):
        if d.free(m.start(), m.end("keys")):
            _on_keys(d, m)
            _why(d)
            return d.claims()
    for m in _SAME.finditer(d.prompt):
        if d.free(m.start(), m.end()):
            _same(d, m)
            _why(d)
            return d.claims()
    for m in _candidates(d):
        if _ORDER_NOTE.match(d.prompt, m.end()) or _tie(d, m.end()):
            _keyed(d, m, early=True)
            _why(d)
            return d.claims()
    for m in _value_picks(d):  # before the aggregates: "their largest order" is no max per group
        _keyed(d, m, early=True)
        return d.claims()
    return d.claims()


#: "Some accounts were created twice (...).": why the request de-duplicates, said before it asks
_WHY = re.compile(r"(?:^|(?<=[.;!?]\s))\s*+some\s+[^.;!?]*?\b(?:twice|more\s+than\s+once|two\s+times|several\s+times|"
                  r"duplicated?|repeated)\b[^.;!?]*+[.;!?]", re.I)  # fmt: skip


def _why(d: Work) -> None:
    """A sentence opening with "Some" that says rows are duplicated is the reason for the de-duplication
    planned in the same request: explained by it (and nothing else is read from it)."""
    for m in _WHY.finditer(d.prompt):
        if d.free(m.start(), m.end()) and d.dedupe is not None and not (m.start() <= d.prompt.find(
                d.dedupe.provenance or "\0") < m.end()):
            d.take(((m.start(), m.end()),), why="why rows are de-duplicated")


#: "for each reader keep only the latest loan", "one row per reader: the loan with the latest lent_on"
_FOR_EACH = re.compile(
    r"\b(?:for|in)\s+(?:each|every)\s+(?P<key>[A-Za-z_]\w*)(?:\s*,)?\s+(?:keep|take|return|show|list|give)\s+"
    rf"(?:only\s+)?(?:the|their|its)\s+{_WHICH}\s+(?P<what>[A-Za-z_]\w*){_BY}{_KEY_END}"
    r"|\bone\s+(?:row|record|line|entry)\s+(?:per|for\s+each|for\s+every)\s+(?P<key2>[A-Za-z_]\w*)\s*+[:,-]?\s*+"
    rf"(?:the|their|its)\s+(?P<what2>[A-Za-z_]\w*)\s+(?:with|having)\s+the\s+{_WHICH.replace('which', 'which2')}\s+"
    r"(?P<by2>[A-Za-z_]\w*)",
    re.I,
)


_SECOND_NAMES = {"key": "key2", "what": "what2", "which": "which2", "by": "by2"}


def _pick(m: re.Match[str]) -> RenamedMatch:
    """A match of :data:`_FOR_EACH` or :data:`_VALUE_PICK` read through the group names of :data:`_PER`."""
    return RenamedMatch(m, _SECOND_NAMES if m.group("key2") is not None else {})


_VALUE_SUP = r"(?P<which>largest|biggest|highest|greatest|most\s+expensive|smallest|lowest|cheapest|least\s+expensive)"
_VALUE_BY = r"\s*\(?\s*(?:by|based\s+on|in\s+terms\s+of|going\s+by)\s+(?:the\s+|their\s+|its\s+)?(?P<by>[A-Za-z_]\w*)"
#: "one row per customer: their largest order (by amount", "each crew's biggest job by hours": a row picked by the
#: highest or lowest value of a column the request names (a value superlative picks no row without its column)
_VALUE_PICK = re.compile(
    rf"\bone\s+(?:row|record|line|entry)\s+(?:per|for\s+each|for\s+every)\s+(?P<key>[A-Za-z_]\w*)\s*+[:,-]?\s*+"
    rf"(?:the|their|its)\s+{_VALUE_SUP}\s+(?P<what>[A-Za-z_]\w*){_VALUE_BY}"
    rf"|\b(?:each|every)\s+(?P<key2>[A-Za-z_]\w*)'s\s+{_VALUE_SUP.replace('which', 'which2')}\s+(?P<what2>[A-Za-z_]\w*)"
    rf"{_VALUE_BY.replace('by>', 'by2>')}",
    re.I,
)
_VALUE_DESC = {"largest", "biggest", "highest", "greatest", "most expensive"}


def _value_picks(d: Work) -> list[re.Match[str]]:
    """The "one row per K: their largest X (by col" phrases: a row picked by a value, highest or lowest."""
    return [_pick(m) for m in _VALUE_PICK.finditer(d.prompt) if d.free(m.start(), m.end())]  # type: ignore[misc]


def _candidates(d: Work) -> list[re.Match[str]]:
    """The "latest X per K" / "each K's first X" phrases that pick one row per key."""
    out: list[re.Match[str]] = []
    for f in _FOR_EACH.finditer(d.prompt):
        if d.free(f.start(), f.end()):
            out.append(_pick(f))  # type: ignore[arg-type]  # the same reading interface
    for rx in (_POSSESSIVE, _PER):
        for m in rx.finditer(d.prompt):
            if m.group("what") and re.match(r"name\b", m.group("what"), re.I):
                continue  # "first name per ..." is a column
            if m.group("what") and re.match(r"(?:and|or|&)\b", m.group("what").strip(), re.I):
                continue  # "first and last name of every employee": a list sharing its head noun, no row pick
            if any(t.kind == "number" for t in d.tokens.starting(m.start(), m.end("what"))):
                continue  # "the oldest three employees per department" is top N per group, not one per key
            if d.free(m.start("which"), m.end("which")):
                out.append(m)
    return out


def rule(v: View) -> list[Claim]:
    """The de-duplication the request asks for: one row per key (first) or no exact duplicates."""
    d = Work(v)
    for m in _candidates(d):
        _keyed(d, m)
        return d.claims()
    found = [m for m in _EXACT.finditer(d.prompt) if d.free(m.start(), m.end())]
    if not any(_DUPE_WORD.search(m.group(0)) for m in found):
        found = []  # "a cleaned copy" alone says nothing of duplicates
    for m in found:
        edits: tuple[Edit, ...] = ()
        if d.dedupe is None:
            d.dedupe = Dedupe(provenance=m.group(0))
            edits = (Edit.set("dedupe", d.dedupe),)
        d.take(((m.start(), m.end()),), *edits)
        _table_after(d, m.end())
    if found:
        _whole_rows(d)
    return d.claims()


_DUPE_WORD = re.compile(r"dup|distinct|unique|identical|once", re.I)
_ALL_COLUMNS = re.compile(r"\(?\s*\b(?:with\s+)?(?:all|every)\s+(?:of\s+its\s+|of\s+the\s+|the\s+|its\s+)?columns?\s*\)?",
                          re.I)  # fmt: skip


def _table_after(d: Work, end: int) -> None:
    """"a de-duplicated copy of sensor_readings": the table named right after."""
    m = re.match(r"\s*([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)", d.prompt[end:])
    if m and d.base and any(h.table == d.base and h.score >= 0.85 for h in d.linker.tables(m.group(1))[:1]):
        d.take(((end + m.start(1), end + m.end(1)),), why="the table de-duplicated")


def _whole_rows(d: Work) -> None:
    """"(all columns)": whole rows are compared, and kept."""
    for m in _ALL_COLUMNS.finditer(d.prompt):
        if d.free(m.start(), m.end()):
            d.take(((m.start(), m.end()),), why="whole rows compared")


def _owner(d: Work, what: str | None, at: tuple[int, int] = (0, 0)) -> str:
    """The table whose rows are de-duplicated: the one ``what`` (at ``at``) names, else the base. A loose
    table word after a value of another table ("resolved visits") names that table's rows."""
    if what:
        if at[0] < at[1] and (rows := rows_owner_at(d.view, *at)):
            d.use_table(rows)
            return rows
        for phrase in (what, what.split()[-1] if what.split() else what):
            hits = d.linker.tables(phrase)
            if hits:
                table = hits[0].table
                d.use_table(table)
                return table
    if d.base is None:
        raise PlanError("could not tell which table to de-duplicate", hint="name the table")
    return d.base


def _key(d: Work, phrase: str, owner: str) -> str:
    """The owner's column for ``phrase`` ("employee" → salaries.employee_id)."""
    ref = _key_of(d, phrase, owner, min_score=0.0)
    if ref:
        return ref
    ref = column_phrase(d, phrase)
    if ref:  # a column of another table: the owner's column of the same name (the join key)
        bare = ref.split(".")[-1]
        if d.catalog.table(owner).has_column(bare):
            return f"{owner}.{d.catalog.table(owner).column(bare).name}"
        return ref
    raise column_error(d, phrase)


def _key_of(d: Work, phrase: str, owner: str, min_score: float = 0.85) -> str | None:
    """The column of ``owner`` that ``phrase`` names, itself or as its id ("patient" → patient_id); None if none."""
    for p in (phrase, f"{phrase} id", f"{phrase}_id"):
        ref = column_phrase(d, p, [owner], min_score=min_score)
        if ref:
            return ref
    return None


def _order_column(d: Work, owner: str, phrase: str | None) -> str:
    if phrase:
        ref = column_phrase(d, phrase, [owner]) or column_phrase(d, phrase)
        if ref is None:
            raise column_error(d, phrase)
        return ref
    dates = [c.name for c in d.catalog.table(owner).columns if c.family in ("date", "timestamp")]
    if not dates:
        raise PlanError(f"which column says which {owner} row is the latest?",
                        hint="add e.g. 'by <date column>'")  # fmt: skip
    if len(dates) > 1:
        ranked = sorted(dates, key=lambda c: next((i for i, w in enumerate(_DATE_PREFERENCE) if w in c.lower()), 99))
        dates = ranked
    return f"{owner}.{dates[0]}"


_RESTATED = re.compile(
    r"\s*+[(,]\s*+(?:i\.?e\.?,?\s*+|that\s+is,?\s*+)?(?:the\s++)?(?:one|row|record|entry)?\s*+(?:with|having|that\s+has)\s+the\s+"
    r"(?:latest|most\s+recent|newest|highest|largest|greatest|earliest|oldest|lowest|smallest|first|last)\s+"
    r"(?P<by>[A-Za-z_]\w*)(?P<by2>\s+[A-Za-z_]\w*)?(?P<close>\s*\))?",
    re.I,
)


def _keyed(d: Work, m: re.Match[str], *, early: bool = False) -> None:
    """``early``: read before the row filters — the words between the pick and the key that do not name the
    table ("latest *cancelled* order per customer") are left to them."""
    which = re.sub(r"\s+ever$", "", re.sub(r"\s+", " ", m.group("which").lower()))  # "first ever"
    owner = _owner(d, m.group("what"), (m.start("what"), m.end("what")) if m.group("what") else (0, 0))
    key = _key(d, m.group("key"), owner)
    by = m.group("by")
    note = _ORDER_NOTE.match(d.prompt, m.end()) if not by else None
    if note:  # "(earliest started_at, ...": the order, spelled out
        by, which = note.group("col"), re.sub(r"\s+", " ", note.group("which").lower())
        d.take(((note.start(), note.end()),), why="the order spelled out")
    restated = _RESTATED.match(d.prompt, m.end())
    if restated and not by:  # "(i.e. the row having the newest modified_at)"
        two = restated.group("by") + (restated.group("by2") or "")
        for phrase, stop in ((two, restated.end()), (restated.group("by"), restated.end("by"))):
            if column_phrase(d, phrase, [owner], min_score=0.8):
                by = phrase
                d.take(((restated.start(), stop),), why="the order restated")
                break
    order = _order_column(d, owner, by)
    direction = "desc" if which in _DESC | _VALUE_DESC or which.startswith("most recently") else "asc"
    if d.dedupe is not None:
        raise PlanError("the request de-duplicates twice", hint="ask for one row per key once")
    before = len(d.pending.claims)
    items = [OrderItem(column=order, direction=direction), *_ties(d, m.end(), owner, order)]  # type: ignore[arg-type]
    after = [b for c in d.pending.claims[before:] for _, b in c.spans]
    case = _no_case(d, m.end(), *([note.end()] if note else []), *after)
    last = max((b for c in d.pending.claims[before:] for _, b in c.spans), default=m.end())
    last = max(last, note.end() if note else m.end())
    d.dedupe = Dedupe(keys=[key], order_by=items, ignore_case=case,
                      provenance=d.prompt[m.start() : last].strip())  # fmt: skip
    if owner not in in_play(d):
        d.use_table(owner)
    # a table named only as the key ("per employee") is not joined
    d.take(_spans(d, m, owner) if early else ((m.start(), m.end()),), Edit.set("dedupe", d.dedupe),
           *unreferenced(d, m.group("key"), owner))
    _pick_restated(d, m.group("what") or "", owner, direction, m.end())
    _key_restated(d, key, owner, m.end())


#: "... and title of their latest returned loan": the row picked, named again after the output list
_AGAIN = re.compile(rf"\b(?:of|from|on|in|for)\s+(?:their|its|the|that|this|each\s+one's)\s+{_WHICH}\s+"
                    r"(?P<what>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2})", re.I)  # fmt: skip


#: "one row per reader_id seen on returned loans": the key of a pick said again
_ONE_PER = re.compile(r"\bone\s+(?:row|record|line|entry)\s+(?:per|for\s+each|for\s+every)\s+(?:the\s+)?"
                      r"(?P<key>[A-Za-z_]\w*)(?:\s+(?P<seen>(?:found|seen|appearing|present|that\s+appears?)\s+(?:on|in)"
                      r"(?:\s+the)?)(?P<rows>(?:\s+[A-Za-z_]\w*){1,3}))?", re.I)  # fmt: skip


def _key_restated(d: Work, key: str, owner: str, pos: int) -> None:
    """"one row per <key>" after a pick on that key: claimed, and so is "found on <rows of the owner>" after
    it (the words between, "completed", are left to the conditions)."""
    for m in _ONE_PER.finditer(d.prompt, pos):
        if not d.free(m.start(), m.end("key")) or _key_of(d, m.group("key"), owner) != key:
            continue
        d.take(((m.start(), m.end("key")),), why="the pick's key said again")
        rows = next((w for w in re.finditer(r"\w+", m.group("rows") or "") if _names(d, w.group(0), owner)), None)
        if m.group("seen") and rows:
            at = m.start("rows") + rows.start()
            d.take(((m.start("seen"), m.end("seen")), (at, at + len(rows.group(0)))), why="the rows the keys are found on")
        return


def named_key(d: Work) -> str | None:
    """The key of the one-row-per-key pick when the request calls it by its column's own name ("one row per
    patient_id"): the rows are told apart by that column, which the output shows (first)."""
    if d.dedupe is None or len(d.dedupe.keys) != 1:
        return None
    key = d.dedupe.keys[0]
    bare = key.rsplit(".", 1)[-1].lower()
    return key if any(m.group("key").lower() == bare for m in _ONE_PER.finditer(d.prompt)) else None


def _names(d: Work, word: str, owner: str) -> bool:
    hits = d.linker.tables(word)
    return bool(hits) and hits[0].table == owner and hits[0].score >= 0.85


def _pick_restated(d: Work, what: str, owner: str, direction: str, pos: int) -> None:
    """The picked row named again later with the same words (its noun may be another name of the same table)
    and the same end ("latest"/"most recent"): it adds nothing, and is claimed; other words are left to be read."""
    said = what.lower().split()
    if not said:
        return
    for m in _AGAIN.finditer(d.prompt, pos):
        which = re.sub(r"\s+", " ", m.group("which").lower())
        same_end = ("desc" if which in _DESC or which.startswith("most recently") else "asc") == direction
        words = m.group("what").lower().split()
        if not same_end or not (words[: len(said)] == said or words[: len(said) - 1] == said[:-1]
                                and len(words) >= len(said) and _names(d, words[len(said) - 1], owner)):
            continue
        head = re.match(rf"(?:\S+\s*){{{len(said)}}}", m.group("what"))
        end = m.start("what") + len(head.group(0).rstrip()) if head else m.end()
        if d.free(m.start(), m.end("which")):  # the row's own words may hold a condition read already
            d.take(((m.start(), end),), why="the picked row named again")
            return


_ROW_NOUNS = frozenset({"one", "row", "rows", "record", "records", "entry", "entries", "line", "lines"})


def _spans(d: Work, m: re.Match[str], owner: str) -> tuple[tuple[int, int], ...]:
    """The words of a pick phrase without those of ``what`` that do not name ``owner``."""
    a, b = m.start("what"), m.end("what")
    if a == b:
        return ((m.start(), m.end()),)
    named = [(t.start, t.end) for t in d.tokens.within(a, b) if t.text.lower() in _ROW_NOUNS
             or (hits := d.linker.tables(t.text)) and hits[0].table == owner and hits[0].score >= 0.85]  # fmt: skip
    return tuple(s for s in ((m.start(), a), *named, (b, m.end())) if s[0] < s[1] and d.prompt[s[0]:s[1]].strip())


# -- the order spelled out, ties, case ------------------------------------------------------------------

_FIRST_WORDS = r"earliest|oldest|first|lowest|smallest|least"
_LAST_WORDS = r"latest|most\s+recent|newest|last|highest|largest|greatest|biggest"
_ORDER_NOTE = re.compile(
    rf"\s*+\(\s*+(?:by\s+|i\.e\.\s+|the\s+)?(?P<which>{_FIRST_WORDS}|{_LAST_WORDS})\s+(?P<col>[A-Za-z_]\w*)(?=\s*[,;)])",
    re.I,
)
_TIE_DIR = rf"(?:the\s+)?(?P<dir>{_FIRST_WORDS}|{_LAST_WORDS}|lower|smaller|higher|larger|bigger|minimum|maximum)"
#: "ties: lowest id", "ties -> the higher id", "tie-break by the smallest id", "if two share the same
#: time, take the higher id", "when more than one arrived on one date, prefer the smaller id", "if two share
#: that date, the higher id" (after a comma, no verb), "on a tie of dates keep the higher id" (``tied``: what the
#: rows tie on, which must be the main order's column or, for a date, a word for dates)
_TIE = re.compile(
    r"\(?\s*+,?\s*+(?:\b(?:(?:on\s+a\s+|for\s+|any\s+|breaking\s+|break\s+)?ties?|tie-?break(?:ers?|s)?|if\s+tied|when\s+tied)"
    r"(?:\s+(?:of|on|in)\s+(?:the\s+)?(?P<tied>[A-Za-z_]\w*)(?=\s*+,?\s*+(?:take|keep|pick|choose|use)\b))?\s*+"
    r"(?::|->|→|=>|-|,)?\s*+(?:(?:go(?:es)?\s+to|broken\s+by|by|on|use|take|keep|pick|choose)\s+)?"
    rf"(?:{_TIE_DIR}\s+|(?!(?:break(?:s|ers?)?|by|on|to|the|go(?:es)?|use|take|keep|pick|choose|are|is|was|were)\b))"
    r"(?P<col>[A-Za-z_]\w*)"
    r"|\b(?:if|when)\s+(?:two|several|more\s+than\s+one|both)\b(?:\s++[\w'/-]+){0,8}?,?\s+"
    r"(?:(?:take|keep|use|pick|choose|prefer)\s+(?:only\s+)?|(?<=,\s)(?=the\s))"
    rf"{_TIE_DIR.replace('dir', 'dir2')}\s+(?P<col2>[A-Za-z_]\w*))"
    r"(?:\s+(?:one|wins|first))?\s*+\)?",
    re.I,
)
_NO_CASE = re.compile(
    r"\s*+[(,]?\s*+\b(?:case[-\s]?insensitive(?:ly)?|not\s+case[-\s]?sensitive|(?:ignoring|regardless\s+of|whatever)\s+"
    r"(?:the\s+)?(?:upper\s*+(?:/|and|or)?\s*+lower\s*+[-\s]?case|letter\s+case|case|capitali[sz]ation)|"
    r"in\s+any\s+(?:case|capitali[sz]ation))\b\s*+\)?",
    re.I,
)
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n")
_SORTS = re.compile(r"\b(?:sort(?:ed)?|order(?:ed)?\s+by|rank(?:ed)?|top|bottom|highest\s+first|lowest\s+first)\b", re.I)
_TIE_STOP = re.compile(r"[.!?](?:\s|$)|\n")


def _sentence_end(d: Work, pos: int) -> int:
    m = _SENTENCE_END.search(d.prompt, pos)
    return m.start() if m else len(d.prompt)


def _tie(d: Work, pos: int) -> re.Match[str] | None:
    """The first free tie-break clause in the rest of the sentence from ``pos`` — or of the request, when the
    sentence is a question the next ones spell out ("each reader's newest loan? ...; on a tie of dates
    keep the higher id"); a sort said before it owns it (below)."""
    stop = _TIE_STOP.search(d.prompt, pos)  # "(oldest first; ties: lowest id)": a semicolon goes on
    end = len(d.prompt) if stop is None or d.prompt[stop.start()] == "?" else stop.start() + 1
    for t in _TIE.finditer(d.prompt, pos, end):
        if _SORTS.search(d.prompt, pos, t.start()):
            return None  # "..., sorted by amount (ties: lowest id)": the sort's tie-breaker
        if d.free(t.start(), t.end()):
            return t
    return None


def _ties(d: Work, pos: int, owner: str, main: str) -> list[OrderItem]:
    """The tie-breakers after ``pos`` ("ties: lowest org_id"): more order items, claimed. What the rows are said
    to tie on ("on a tie of dates") must be ``main``, the order they break the ties of (else refused)."""
    t = _tie(d, pos)
    if t is None:
        return []
    said = [t.group("tied")] if t.group("tied") else []
    if t.group("col2"):  # "if two share the same time, ...": the words of what they share
        said = [w for w in re.findall(r"[A-Za-z_]\w*", d.prompt[t.start() : t.start("dir2")])
                if w.lower() not in _DATE_WORDS and column_phrase(d, w, [owner], min_score=0.9)]  # fmt: skip
    for word in said:
        if not _ties_on(d, word, owner, main):
            raise PlanError(f"'{t.group(0).strip(' ,()')}': the rows are ordered by {main}, not by {word}",
                            hint=f"say 'ties broken by <column>' (ties of {main})")  # fmt: skip
    phrase, word = t.group("col") or t.group("col2"), (t.group("dir") or t.group("dir2") or "").lower()
    ref = column_phrase(d, phrase, [owner], min_score=0.8)
    if ref is None:
        raise PlanError(f"'{t.group(0).strip(' ,()')}': which column of {owner} breaks the ties?",
                        hint=f"name a column of {owner}")  # fmt: skip
    if not word:  # "ties by salary_id": lowest first, and whether the other direction gives other rows is checked
        doubt = Doubt("tie_direction", t.group(0).strip(" ,()"), ref)
        d.take(((t.start(), t.end()),), Edit.add("doubts", doubt), why="the tie-breaker, its direction not said")
        return [OrderItem(column=ref, direction="asc")]
    d.take(((t.start(), t.end()),), why="the tie-breaker")
    desc = re.fullmatch(rf"{_LAST_WORDS}|higher|larger|bigger|maximum", word, re.I) is not None
    return [OrderItem(column=ref, direction="desc" if desc else "asc")]


_DATE_WORDS = frozenset({"date", "dates", "day", "days", "time", "times", "timestamp", "timestamps", "moment"})


def _ties_on(d: Work, word: str, owner: str, main: str) -> bool:
    """``word`` ("dates", "started_at") names the main order's column: a word for dates when it is a date or a
    time, else its name."""
    table, _, name = main.partition(".")
    if word.lower() in _DATE_WORDS:
        return d.catalog.table(table).column(name).family in ("date", "timestamp")
    return column_phrase(d, word, [owner], min_score=0.85) == main


def _no_case(d: Work, *at: int) -> bool:
    """Whether the keys are compared without case ("case-insensitively", "regardless of capitalisation"), said
    right after the key or right after the order (at one of ``at``): the words are claimed. Said elsewhere
    it may be about a filter's value, and is left to be read there (or reported)."""
    for pos in at:
        m = _NO_CASE.match(d.prompt, pos)
        if m and d.free(m.start(), m.end()):
            d.take(((m.start(), m.end()),), why="keys compared without case")
            return True
    return False


#: "de-duplicate accounts on the email, case-insensitively, keeping each email's oldest signup"
_ON_KEYS = re.compile(
    r"\b(?:de-?dup(?:e|licate)|deduplicate|dedup|(?:remove|drop|eliminate)\s+(?:the\s+)?duplicated?)\s+"
    r"(?:the\s+)?(?P<table>[A-Za-z_]\w*)(?:\s*[:,-]?\s*one\s+(?:row\s+|record\s+)?per|\s+(?:on|by|over))\s+"
    r"(?:the\s+|their\s+|its\s+|each\s+)?(?P<keys>[A-Za-z_]\w*"
    r"(?:\s+(?!(?:ignoring|regardless|case|keeping|keep|in|not|and)\b)[A-Za-z_]\w*)?)"
    r"(?=\s*[,;(]|\s+(?:keeping|and\s+keep|keep|ignoring|regardless|case|in\s+any|not\s+case)\b)",
    re.I,
)
_KEEPING = re.compile(
    r"\s*+,?\s*+(?:keeping|and\s+keep(?:ing)?|keep(?:ing)?)\s+(?:only\s+)?(?:the\s+|each\s+[A-Za-z_]\w*'s\s+|one\s+)?"
    rf"(?:(?:row|record|entry|one)\s+with\s+the\s+)?(?P<which>{_FIRST_WORDS}|{_LAST_WORDS})\s+"
    r"(?P<col>[A-Za-z_][\w-]*(?:\s+[A-Za-z_]\w*)?)(?=\s*(?:[,;.()]|$))",
    re.I,
)


def _on_keys(d: Work, m: re.Match[str]) -> None:
    hits = d.linker.tables(m.group("table"))
    if not hits or hits[0].score < 0.85:
        return
    owner = hits[0].table
    d.use_table(owner)
    key = _owner_column(d, m.group("keys"), owner)
    if key is None:
        raise column_error(d, m.group("keys"))
    d.take(((m.start(), m.end()),), why="the table and its key")
    said = _NO_CASE.match(d.prompt, m.end())
    pos = said.end() if said else m.end()
    keep = _KEEPING.match(d.prompt, pos)
    if keep is None:
        raise PlanError(f"'{m.group(0)}': which {owner} row of each {m.group('keys')} is kept?",
                        hint="say e.g. 'keeping the earliest <date column>'")  # fmt: skip
    order = _owner_column(d, keep.group("col"), owner, dated=True)
    if order is None:
        raise column_error(d, keep.group("col"))
    which = re.sub(r"\s+", " ", keep.group("which").lower())
    direction = "desc" if re.fullmatch(_LAST_WORDS, which, re.I) else "asc"
    d.take(((keep.start(), keep.end()),), why="the row kept")
    items = [OrderItem(column=order, direction=direction), *_ties(d, keep.end(), owner, order)]  # type: ignore[arg-type]
    if d.dedupe is not None:
        raise PlanError("the request de-duplicates twice", hint="ask for one row per key once")
    case = _no_case(d, m.end(), keep.end(), *(b for c in d.pending.claims for _, b in c.spans))
    last = max(b for c in d.pending.claims for _, b in c.spans)
    d.dedupe = Dedupe(keys=[key], order_by=items, ignore_case=case, provenance=d.prompt[m.start() : last].strip())
    d.take(((m.start(), m.end()),), Edit.set("dedupe", d.dedupe), over=True)


def _owner_column(d: Work, phrase: str, owner: str, *, dated: bool = False) -> str | None:
    """The one column of ``owner`` that ``phrase`` names: a close match, else the one column whose name's
    words hold every word of the phrase in any form ("name" → account_name when no other column has
    "name"; "sign-up" → signed_up_at); ``dated``: among its date and time columns only."""
    ref = column_phrase(d, phrase, [owner], min_score=0.85)
    if ref:
        return ref
    info = d.catalog.table(owner)
    words = [lexicon.lemmas(w) for w in re.split(r"[\s_-]+", phrase.lower()) if w and w not in ("the", "its", "their")]
    if not words:
        return None
    found = []
    for c in info.columns:
        if dated and c.family not in ("date", "timestamp"):
            continue
        have = set().union(*(lexicon.lemmas(w) for w in lexicon.split_identifier(c.name)))
        if all(w & have for w in words):
            found.append(c.name)
    return f"{info.name}.{found[0]}" if len(found) == 1 else None



#: "entries sharing the same plate_number and the same make are one vehicle; keep the entry having the
#: latest registered_on" — the keys listed after "the same", the row kept said next
_SAME = re.compile(
    r"\b(?:(?:the\s+)?(?:records|rows|entries)|(?P<table>[A-Za-z_]\w*))\s+(?:with|sharing|that\s+share|having)\s+"
    r"the\s+same\s+(?P<keys>[^.;:!?]{1,160}?)\s*,?\s+(?:are|count\s+as|belong\s+to|refer\s+to|are\s+duplicates\s+of)\s+"
    r"(?:one|the\s+same|a\s+single)\s+(?P<noun>[A-Za-z_]\w*)",
    re.I,
)
_KEEP_RECORD = re.compile(
    r"\s*+[;:,.]?\s*+(?:and\s+)?(?:keep|keeping|retain|take)\s+(?:only\s+)?the\s+(?:record|row|entry|one)\s+"
    rf"(?:with|that\s+has|having)\s+the\s+(?P<which>{_FIRST_WORDS}|{_LAST_WORDS})\s+(?P<col>[A-Za-z_]\w*)",
    re.I,
)
_KEY_SPLIT = re.compile(r"\s*+(?:,\s*+(?:and\s+)?|\band\b)\s*+(?:(?:also\s+)?the\s+same\s+)?", re.I)


def _same(d: Work, m: re.Match[str]) -> None:
    owner = None
    if m.group("table"):
        hits = d.linker.tables(m.group("table"))
        owner = hits[0].table if hits and hits[0].score >= 0.85 else None
    owner = owner or d.base
    if owner is None:
        return
    d.use_table(owner)
    keys_text = m.group("keys")
    keys: list[str] = []
    folded_at: int | None = None
    for part in _KEY_SPLIT.split(keys_text):
        case = _NO_CASE.search(part)
        if case:
            part = part[: case.start()] + part[case.end() :]
            folded_at = len(keys) + 1
        ref = _owner_column(d, part, owner)
        if ref is None:
            raise column_error(d, part.strip())
        keys.append(ref)
    info = d.catalog.table(owner)
    text_keys = [i for i, k in enumerate(keys) if info.column(k.split(".")[-1]).family == "text"]
    if folded_at is not None and any(i >= folded_at for i in text_keys):
        raise PlanError(f"'{keys_text.strip()}': which of these are compared without case?",
                        hint="say 'ignoring case' after the last of them, or for none")  # fmt: skip
    keep = _KEEP_RECORD.match(d.prompt, m.end())
    if keep is None:
        raise PlanError(f"'{m.group(0)}': which {owner} row of each is kept?",
                        hint="say e.g. 'keeping the row that has the latest <date column>'")  # fmt: skip
    order = _owner_column(d, keep.group("col"), owner)
    if order is None:
        raise column_error(d, keep.group("col"))
    which = re.sub(r"\s+", " ", keep.group("which").lower())
    direction = "desc" if re.fullmatch(_LAST_WORDS, which, re.I) else "asc"
    d.take(((m.start(), m.end()), (keep.start(), keep.end())), why="the keys and the row kept")
    items = [OrderItem(column=order, direction=direction), *_ties(d, keep.end(), owner, order)]  # type: ignore[arg-type]
    if d.dedupe is not None:
        raise PlanError("the request de-duplicates twice", hint="ask for one row per key once")
    last = max(b for c in d.pending.claims for _, b in c.spans)
    d.dedupe = Dedupe(keys=keys, order_by=items, ignore_case=folded_at is not None,
                      provenance=d.prompt[m.start() : last].strip())  # fmt: skip
    # "are one reader": the noun names what the rows stand for, not a table to join
    d.take(((m.start(), m.end()),), Edit.set("dedupe", d.dedupe), *unreferenced(d, m.group("noun"), owner), over=True)
