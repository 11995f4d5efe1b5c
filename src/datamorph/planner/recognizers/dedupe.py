"""De-duplication: exact duplicate rows, or one row per key (the latest / first by some column).

"page views without exact duplicates", "each distinct row only once",
"latest salary record per employee", "first order per customer by order date",
"each customer's most recent order".
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.derivekit import Work, column_error, column_phrase, in_play, unreferenced
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
_WHICH = r"(?P<which>latest|most\s+recent|newest|last|current|earliest|first|oldest|most\s+recently\s+\w+)"
_KEY_END = r"(?=\s*(?:[,.;!?()]|$|\b(?:where|with|and|sorted|ordered|including|only|into|as|from|in|that|which)\b))"
_BY = r"(?:\s+(?:by|based\s+on|according\s+to|using|going\s+by)\s+(?:the\s+|their\s+|its\s+)?(?P<by>[\w.]+(?:\s+\w+)?))?"
_PER = re.compile(
    rf"\b(?:keep(?:ing)?\s+|take\s+|only\s+)*(?:only\s+)?(?:the\s+|one\s+|a\s+single\s+|each\s+)?{_WHICH}\s+"
    r"(?P<what>[\w ]{0,30}?)\s*\b(?:per|for\s+(?:each|every)|of\s+(?:each|every)|from\s+each|in\s+each)\s+"
    rf"(?P<key>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?){_BY}{_KEY_END}",
    re.I,
)
_POSSESSIVE = re.compile(
    rf"\b(?:each|every)\s+(?P<key>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)'s\s+(?:single\s+)?{_WHICH}\s+"
    rf"(?P<what>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?){_BY}{_KEY_END}",
    re.I,
)
_DESC = {"latest", "most recent", "newest", "last", "current"}
_DATE_PREFERENCE = ("effective", "start", "created", "updated", "date", "at", "time")


def rule(v: View) -> list[Claim]:
    """The de-duplication the request asks for: one row per key (first) or no exact duplicates."""
    d = Work(v)
    for rx in (_POSSESSIVE, _PER):
        for m in rx.finditer(d.prompt):
            if m.group("what") and re.match(r"name\b", m.group("what"), re.I):
                continue  # "first name per ..." is a column
            if m.group("what") and re.match(r"(?:and|or|&)\b", m.group("what").strip(), re.I):
                continue  # "first and last name of every employee": a list sharing its head noun, no row pick
            if any(t.kind == "number" for t in d.tokens.starting(m.start(), m.end("what"))):
                continue  # "the oldest three employees per department" is top N per group, not one per key
            if d.free(m.start("which"), m.end("which")):
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
    """"a cleaned copy of page_views": the table named right after."""
    m = re.match(r"\s*([A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)", d.prompt[end:])
    if m and d.base and any(h.table == d.base and h.score >= 0.85 for h in d.linker.tables(m.group(1))[:1]):
        d.take(((end + m.start(1), end + m.end(1)),), why="the table de-duplicated")


def _whole_rows(d: Work) -> None:
    """"(all columns)": whole rows are compared, and kept."""
    for m in _ALL_COLUMNS.finditer(d.prompt):
        if d.free(m.start(), m.end()):
            d.take(((m.start(), m.end()),), why="whole rows compared")


def _owner(d: Work, what: str | None) -> str:
    """The table whose rows are de-duplicated: the one ``what`` names, else the base."""
    if what:
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
    for p in (phrase, f"{phrase} id", f"{phrase}_id"):
        ref = column_phrase(d, p, [owner])
        if ref:
            return ref
    ref = column_phrase(d, phrase)
    if ref:  # a column of another table: the owner's column of the same name (the join key)
        bare = ref.split(".")[-1]
        if d.catalog.table(owner).has_column(bare):
            return f"{owner}.{d.catalog.table(owner).column(bare).name}"
        return ref
    raise column_error(d, phrase)


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


def _keyed(d: Work, m: re.Match[str]) -> None:
    which = re.sub(r"\s+", " ", m.group("which").lower())
    owner = _owner(d, m.group("what"))
    key = _key(d, m.group("key"), owner)
    by = m.group("by")
    restated = _RESTATED.match(d.prompt, m.end())
    if restated and not by:  # "(the one with the latest effective_date)"
        two = restated.group("by") + (restated.group("by2") or "")
        for phrase, stop in ((two, restated.end()), (restated.group("by"), restated.end("by"))):
            if column_phrase(d, phrase, [owner], min_score=0.8):
                by = phrase
                d.take(((restated.start(), stop),), why="the order restated")
                break
    order = _order_column(d, owner, by)
    direction = "desc" if which in _DESC or which.startswith("most recently") else "asc"
    if d.dedupe is not None:
        raise PlanError("the request de-duplicates twice", hint="ask for one row per key once")
    d.dedupe = Dedupe(keys=[key], order_by=[OrderItem(column=order, direction=direction)],  # type: ignore[arg-type]
                      provenance=m.group(0).strip())  # fmt: skip
    if owner not in in_play(d):
        d.use_table(owner)
    # a table named only as the key ("per employee") is not joined
    d.take(((m.start(), m.end()),), Edit.set("dedupe", d.dedupe), *unreferenced(d, m.group("key"), owner))
