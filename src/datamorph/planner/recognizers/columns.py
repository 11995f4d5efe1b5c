"""The output list: which columns, in which order, under which names (runs last).

"Return customer_id, email and phone", "Columns: a, b, c", "customer_id as id",
"rename department_id to dept_id", "leave location out", "all order columns".
No list in the request leaves ``d.columns`` empty (the compiler's default).
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.draft import Draft
from datamorph.planner.recognizers.common import mark_chars
from datamorph.planner.recognizers.derived import clean_phrase, column_error, column_phrase, defined_name
from datamorph.spec import OutputColumn

_LIST_START = re.compile(
    r"\b(?:return(?:ing)?|show(?:ing)?|give\s+me|list(?:ing)?|output(?:ting)?|includ(?:e|ing)|select(?:ing)?|"
    r"keep(?:ing)?(?:\s+only)?|just|pull|fetch|get|display|"
    r"with\s+(?:only\s+|just\s+)?(?:the\s+)?(?:\w+\s+)?(?:columns?|fields?)|(?:columns?|fields?))\s*:?\s+"
    r"|(?:^|\n)\s*[-*\u2022]\s+|:\s+",
    re.I,
)
_ALL = re.compile(
    r"\b(?:keep\s+|with\s+|return\s+|show\s+)?(?:all|every)\s+(?:of\s+)?(?:the\s+)?(?P<table>[A-Za-z_]\w*\s+)?"
    r"(?:columns?|fields?)\b",
    re.I,
)
_EXCLUDE = re.compile(
    r"\b(?:leave|leaving)\s+(?:the\s+)?(?P<a>[\w' ,]+?)\s+(?:columns?\s+)?out\b"
    r"|\b(?:without|except(?:\s+for)?|excluding|but\s+not|minus|dropping|omitting|omit|skip(?:ping)?)\s+(?:the\s+)?"
    r"(?P<b>[\w' ,]+?)\s+(?:columns?|fields?)\b"
    r"|\b(?:except(?:\s+for)?|excluding|omitting|but\s+not)\s+(?:the\s+)?(?P<c>[\w' ]+?)(?=\s*(?:[.;,!?]|$))",
    re.I,
)
_RENAME = re.compile(
    r"\brenam(?:e|ing)\s+(?:the\s+)?(?P<src>[\w.' ]+?)\s+(?:column\s+)?(?:to|as|into)\s+(?P<dst>[A-Za-z_]\w*)", re.I
)
_ITEM_RENAME = re.compile(
    r"^(?P<src>.+?)\s*(?:\brenamed\s+(?:to|as)\b|->|=>|\bas\b|\bcalled\b|\bnamed\b|\(\s*(?:call\s+it|as|named)\b)"
    r"\s*(?P<dst>[A-Za-z_]\w*)\s*\)?$"
    r"|^(?P<dst2>[A-Za-z_]\w*)\s*=\s*(?P<src2>.+)$",
    re.I,
)
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&|\bplus\b|\bas\s+well\s+as\b|\balong\s+with\b)\s*", re.I)
_LIST_END = re.compile(
    r"[.?!\n]|\b(?:where|for|from|in|sorted|ordered|order|grouped|group|who|whose|which|that|per|by|each|"
    r"if|when|but|into|only|having|limit|top|over|under|with)\b",
    re.I,
)
_HEADING_WORDS = {"sheet", "list", "report", "extract", "view", "table", "summary", "overview", "export", "dump",
                  "snapshot", "feed", "roster", "directory", "contact", "contacts", "details", "info", "copy",
                  "lookup", "data", "dataset"}  # fmt: skip


def recognize(d: Draft) -> None:
    """Fill ``d.columns`` from the output list the request gives (if any)."""
    if d.union:
        return  # the union recognizer gave each block its list
    renames = _standalone_renames(d)
    excluded = _exclusions(d)
    all_tables = _all_columns(d)
    items = _explicit_list(d) or []
    if not (items or renames or excluded or all_tables or _shadowing(d)):
        return  # no list, or "all columns": the compiler's default
    base = _defaults(d, all_tables or None) if all_tables or not items else []
    d.columns = _apply(d, base + items, renames, excluded)
    _keep_qualified_windows(d)


# -- pieces ------------------------------------------------------------------------------------


def _unused(d: Draft, start: int, end: int) -> bool:
    return all(not t.used for t in d.tokens.items if t.start >= start and t.end <= end)


def _standalone_renames(d: Draft) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _RENAME.finditer(d.prompt):
        col = _item_ref(d, m.group("src"))
        if col is None:
            raise column_error(d, m.group("src"))
        out[col.lower()] = m.group("dst")
        mark_chars(d, m.start(), m.end())
    return out


def _exclusions(d: Draft) -> set[str]:
    out: set[str] = set()
    for m in _EXCLUDE.finditer(d.prompt):
        text = m.group("a") or m.group("b") or m.group("c")
        if not _unused(d, m.start(), m.end()):
            continue
        refs = []
        for piece in _split(text):
            ref = _item_ref(d, piece)
            if ref is None:
                if m.group("c"):  # "except ..." may be something else (a filter nobody took)
                    refs = []
                    break
                raise column_error(d, piece)
            refs.append(ref)
        if refs:
            out.update(r.lower() for r in refs)
            mark_chars(d, m.start(), m.end())
    return out


def _all_columns(d: Draft) -> list[str] | None:
    """``all (of the) order columns`` → ['orders']; ``all columns`` → []; None when not said."""
    found: list[str] | None = None
    for m in _ALL.finditer(d.prompt):
        found = found or []
        t = m.group("table")
        if t:
            hits = d.linker.tables(t.strip())
            if not hits:
                continue
            table = getattr(hits[0], "table", hits[0])
            d.use_table(table)
            found.append(table)
        mark_chars(d, m.start(), m.end())
    return found


def _split(text: str) -> list[str]:
    return [p for p in _SEPARATOR.split(text) if p and p.strip()]


def _item_ref(d: Draft, phrase: str) -> str | None:
    """A defined name or a qualified source column for ``phrase`` (``the order count`` → order_count)."""
    name = defined_name(d, phrase)
    if name:
        return name
    col = column_phrase(d, phrase)
    if col is None:
        return None
    shadow = col.split(".")[-1].lower()
    return shadow if shadow in {x.name.lower() for x in d.derived} else col


def _explicit_list(d: Draft) -> list[OutputColumn] | None:
    """The longest output list the request gives, or None."""
    best: list[OutputColumn] | None = None
    best_span: tuple[int, int] | None = None
    for m in _LIST_START.finditer(d.prompt):
        items, end = _parse_list(d, m.end())
        if items and (best is None or len(items) > len(best)):
            best, best_span = items, (m.start(), end)
    if best is None or best_span is None:
        return None
    start, end = best_span
    mark_chars(d, start, end)
    _mark_heading(d, start)
    return best


def _parse_list(d: Draft, start: int) -> tuple[list[OutputColumn], int]:
    """Items from ``start`` up to the end of the list; (items, end offset)."""
    text = d.prompt[start:]
    stop = len(text)
    for m in _LIST_END.finditer(text):
        # a clause word ends the list unless it is part of a rename ("X as Y") inside the item
        stop = m.start()
        break
    segment = text[:stop]
    out: list[OutputColumn] = []
    pos = 0
    pieces = list(_pieces(segment))
    i = 0
    while i < len(pieces):
        piece, p_start, p_end = pieces[i]
        col = _parse_item(d, piece)
        if col is None and i + 1 < len(pieces):  # "first and last name": the head noun is shared
            head = pieces[i + 1][0].strip().split()
            if len(head) >= 2 and len(piece.split()) == 1:
                col = _parse_item(d, f"{piece} {head[-1]}")
        if col is None:
            if not _unused(d, start + p_start, start + p_end):
                break
            break
        out.append(col)
        pos = p_end
        i += 1
    return out, start + pos


def _pieces(segment: str):  # type: ignore[no-untyped-def]
    pos = 0
    for m in _SEPARATOR.finditer(segment):
        if m.start() > pos:
            yield segment[pos : m.start()], pos, m.start()
        pos = m.end()
    if pos < len(segment) and segment[pos:].strip():
        yield segment[pos:], pos, len(segment.rstrip())


def _parse_item(d: Draft, piece: str) -> OutputColumn | None:
    piece = piece.strip().strip("`")
    if not piece:
        return None
    m = _ITEM_RENAME.match(piece)
    src, name = (piece, None)
    if m:
        src, name = (m.group("src") or m.group("src2")), (m.group("dst") or m.group("dst2"))
    ref = _item_ref(d, src)
    if ref is None:
        return None
    if name and name.lower() == ref.split(".")[-1].lower():
        name = None
    return OutputColumn(column=ref, name=name, provenance=piece)


def _mark_heading(d: Draft, list_start: int) -> None:
    """A short heading before a colon ("customer contact sheet: ...") names the result; mark its nouns."""
    before = d.prompt[:list_start]
    if ":" not in d.prompt[list_start : list_start + 2] or len(before.split()) > 5:
        return
    for t in d.tokens.items:
        if t.end <= list_start and t.low in _HEADING_WORDS:
            t.used = True


def _shadowing(d: Draft) -> bool:
    """A derived column that keeps a source column's name (``coalesce(rating, 0)`` as rating)."""
    cols = {c.name.lower() for t in d.referenced_tables() for c in d.catalog.table(t).columns}
    return any(x.name.lower() in cols for x in d.derived)


def _defaults(d: Draft, tables: list[str] | None) -> list[OutputColumn]:
    """What the compiler would output by default, as an explicit list (derived columns replace shadowed ones)."""
    if d.aggregations or d.group_by:
        out = [OutputColumn(column=g) for g in d.group_by]
        out += [OutputColumn(column=a.alias) for a in d.aggregations]
        out += [OutputColumn(column=w.name) for w in d.windows]
        return out
    derived = {x.name.lower(): x.name for x in d.derived}
    seen: set[str] = set()
    out = []
    for t in tables or d.referenced_tables():
        for c in d.catalog.table(t).columns:
            low = c.name.lower()
            if low in seen:
                continue
            seen.add(low)
            out.append(OutputColumn(column=derived[low] if low in derived else f"{t}.{c.name}"))
    if not tables:
        out += [OutputColumn(column=x.name) for x in d.derived if x.name.lower() not in seen]
        out += [OutputColumn(column=w.name) for w in d.windows]
    return out


def _apply(d: Draft, out: list[OutputColumn], renames: dict[str, str], excluded: set[str]) -> list[OutputColumn]:
    result: list[OutputColumn] = []
    aggregating = bool(d.aggregations or d.group_by)
    keys = {g.lower(): g for g in d.group_by}
    bare_keys = {g.split(".")[-1].lower(): g for g in d.group_by}
    defined = d.defined_names()
    used_renames: set[str] = set()
    for c in out:
        ref = c.column or ""
        low = ref.lower()
        if low in excluded or any(low == (r.column or "").lower() and r.name == c.name for r in result):
            continue
        if aggregating and low not in defined and low not in keys:
            key = bare_keys.get(low.split(".")[-1])
            if key is None:
                raise PlanError(f"'{clean_phrase(c.provenance or ref)}' is neither a grouping column nor a measure",
                                hint=f"group by it too, or choose from: {', '.join([*d.group_by, *defined])}")  # fmt: skip
            ref, low = key, key.lower()
        name = c.name or renames.get(low)
        if low in renames:
            used_renames.add(low)
        result.append(OutputColumn(column=ref, name=name, provenance=c.provenance))
    missing = [k for k in renames if k not in used_renames]
    if missing:
        raise PlanError(f"cannot rename '{missing[0]}': it is not in the output", hint="add it to the column list")
    return result


def _keep_qualified_windows(d: Draft) -> None:
    """A window the qualify filters test must be an output column (the compiler filters on outputs)."""
    names = {(c.name or c.column or "").lower() for c in d.columns}
    for w in d.windows:
        tested = any(w.name.lower() in str(q.model_dump()).lower() for q in d.qualify)
        if tested and w.name.lower() not in names:
            d.columns.append(OutputColumn(column=w.name))
