"""The output list: which columns, in which order, under which names (runs last).

"Return customer_id, email and phone", "Columns: a, b, c", "customers: a, b",
"... - order_id and amount" (a closing list of names), "customer_id as id",
"email -> email_address", "phone (call it phone_number)", "rename department_id
to dept_id", "leave location out", "without the location column", "all order
columns". No list in the request leaves ``d.columns`` empty (the compiler's default).

Only words no other recognizer took make a list (table words excepted: sources
marks those everywhere), and a phrase that names a table ("give me the orders")
is never read as a column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from datamorph.errors import PlanError
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import REQUEST_VERBS, ROW_NOUNS, phrase_tokens
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.common import in_play, mark_chars, mentions
from datamorph.planner.recognizers.derived import (
    clean_phrase,
    column_error,
    defined_name,
    drop_unreferenced,
    snake,
)
from datamorph.planner.text import Token
from datamorph.spec import OutputColumn

_VERB_START = re.compile(
    r"\b(?:return(?:ing)?|show(?:ing)?|give\s+me|list(?:ing)?|output(?:ting)?|includ(?:e|ing)|select(?:ing)?|"
    r"keep(?:ing)?(?:\s+only)?|just|pull|fetch|get|display)\s*:?\s+"
    r"|\bwith\s+(?:only\s+|just\s+)?(?:the\s+)?(?:(?P<n>\w+)\s+)?(?:columns?|fields?)(?:\s+renamed)?\s*:?\s+"
    r"|\b(?:columns?|fields?)\s*:?\s+|(?:^|\n)\s*[-*\u2022]\s+|:\s+"
    r"|\b(?P<add>with|plus|along\s+with|together\s+with|and)\s+(?P<poss>(?:their|its|his|her|the)\s+)?",
    re.I,
)
# a sentence (or a dash-separated tail) that may be nothing but a list of names
_SENTENCE_START = re.compile(r"(?:^|[.!?;]\s+|\s[-\u2013\u2014]\s+|\n\s*)", re.I)
_SENTENCE_END = re.compile(r"\s*(?:[.!?;](?:\s|$)|\n|$)")
_ALL = re.compile(
    r"\b(?:keep\s+|with\s+|return\s+|show\s+)?(?:all|every)\s+(?:of\s+)?(?:the\s+)?(?P<table>[A-Za-z_]\w*\s+)?"
    r"(?:columns?|fields?)\b",
    re.I,
)
_EXCLUDE = re.compile(
    r"\b(?:(?:but|and)\s+)?(?:leave|leaving)\s+(?:the\s+)?(?P<a>[\w' ,]+?)\s+(?:columns?\s+|fields?\s+)?out\b"
    r"|\b(?:(?:but|and)\s+)?(?:leave|leaving)\s+out\s+(?:the\s+)?(?P<d>[\w' ,]+?)(?:\s+(?:columns?|fields?))?"
    r"(?=\s*(?:[.;!?]|$))"
    r"|\b(?:(?:but|and)\s+)?(?:without|except(?:\s+for)?|excluding|but\s+not|minus|dropping|omitting|omit|"
    r"skip(?:ping)?)\s+(?:the\s+)?(?P<b>[\w' ,]+?)\s+(?:columns?|fields?)\b"
    r"|\b(?:except(?:\s+for)?|excluding|omitting|but\s+not)\s+(?:the\s+)?(?P<c>[\w' ]+?)(?=\s*(?:[.;,!?]|$))",
    re.I,
)
_RENAME = re.compile(
    r"\b(?:(?:but|and)\s+)?renam(?:e|ing)\s+(?:the\s+)?(?P<src>[\w.' ]+?)\s+(?:column\s+)?(?:to|as|into)\s+"
    r"(?P<dst>[A-Za-z_]\w*)",
    re.I,
)
_ITEM_RENAME = re.compile(
    r"^(?P<src>.+?)\s*(?:\brenamed\s+(?:to|as)\b|->|=>|\bas\b|\bcalled\b|\bnamed\b|\(\s*(?:call\s+it|as|named)\b)"
    r"\s*(?P<dst>[A-Za-z_]\w*)\s*\)?$"
    r"|^(?P<dst2>[A-Za-z_]\w*)\s*=\s*(?P<src2>.+)$",
    re.I,
)
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&|\bplus\b|\bas\s+well\s+as\b|\balong\s+with\b)\s*", re.I)
_LIST_END = re.compile(
    r"[.?!;\n]|\s[-\u2013\u2014]\s|\b(?:where|for|from|in|sorted|ordered|(?:order|group)\s+by|grouped|who|whose|which|that|per|by|each|"
    r"if|when|but|into|only|having|limit|top|over|under|with)\b",
    re.I,
)
_GRAIN = re.compile(r"^\s*,?\s*(?:for|of)\s+(?:each|every|all)\s+(?:the\s+|of\s+the\s+)?(?P<t>[A-Za-z_]\w*)\b", re.I)
_GRAIN_AHEAD = re.compile(r"\s*,?\s+(?:for|of)\s+(?:each|every|all)\b", re.I)
_EVERY = re.compile(r"\b(?:(?:for|of)\s+)?(?:each|every)\s+(?:single\s+)?(?:one\s+of\s+the\s+)?", re.I)
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}  # fmt: skip
_HEADING_WORDS = {"sheet", "page", "file", "csv", "extract", "card", "index", "catalog", "register", "log", "list", "report", "view", "table", "summary", "overview", "export", "dump",
                  "snapshot", "feed", "roster", "directory", "contact", "contacts", "details", "info", "copy",
                  "lookup", "data", "dataset"}  # fmt: skip
_COPY = re.compile(r"\b(?:a\s+)?(?:copy|clone|duplicate)\s+(?:of\s+)?(?:the\s+)?(?=[A-Za-z_])", re.I)
_OF_TABLE = re.compile(r"^(?P<head>.+?)\s+(?:of|from|for|in)\s+(?:the\s+|all\s+|each\s+|every\s+)*"
                       r"(?P<t>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)$", re.I)
_MIN_SCORE = 0.8  # a weaker column match is not an output item ("every customer" is no column)


def recognize(d: Draft) -> None:
    """Fill ``d.columns`` from the output list the request gives (if any)."""
    if d.union:
        return  # the union recognizer gave each block its list
    renames = _standalone_renames(d)
    excluded = _exclusions(d)
    all_tables = _all_columns(d)
    items, subject = _explicit_list(d)
    _request_verbs(d)
    _stray_names(d)
    _copy_of_table(d)
    _every_row(d)
    if not (items or renames or excluded or all_tables or _shadowing(d)):
        return  # no list, or "all columns": the compiler's default
    base = _defaults(d, all_tables or None) if all_tables or not items else []
    if subject and not base:  # "employees with their department name": the employees' columns, plus it
        base = _defaults(d, [subject]) + [OutputColumn(column=x.name) for x in [*d.derived, *d.windows]]
    d.columns = _apply(d, base + items, renames, excluded)
    _repeated_columns(d)
    _keep_qualified_windows(d)


# -- availability ------------------------------------------------------------------------------


def _table_words(d: Draft) -> set[str]:
    """Words of the table mentions: sources marks them wherever they occur, so they stay available here."""
    return {w for m in mentions(d) if isinstance(m, TableMatch) for w in m.text.lower().split()}


def _free(d: Draft, start: int, end: int, table_words: set[str] | None = None) -> bool:
    """No word in [start, end) was taken by another recognizer (table words do not count)."""
    tw = table_words if table_words is not None else _table_words(d)
    return all(not t.used or t.low in tw for t in d.tokens.items if t.start >= start and t.end <= end)


# -- pieces ------------------------------------------------------------------------------------


def _standalone_renames(d: Draft) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _RENAME.finditer(d.prompt):
        if not _free(d, m.start("src"), m.end()):
            continue
        col = _item_ref(d, m.group("src"))
        if col is None:
            raise column_error(d, m.group("src"))
        out[col.lower()] = m.group("dst")
        mark_chars(d, m.start(), m.end())
    return out


def _exclusions(d: Draft) -> set[str]:
    out: set[str] = set()
    for m in _EXCLUDE.finditer(d.prompt):
        text = m.group("a") or m.group("b") or m.group("c") or m.group("d")
        if not _free(d, m.start(), m.end()) and not (m.group("b") and _reclaim_filters(d, m.start(), m.end())):
            continue
        refs = []
        for piece in (p for p in re.split(r"\s*(?:,|;|&|\b(?:and|or|nor)\b)\s*", text, flags=re.I) if p.strip()):
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


def _reclaim_filters(d: Draft, start: int, end: int) -> bool:
    """"without the location column" is about the output, not a row filter (``location IS NULL``) that
    filters, which runs first, may have read into it: drop such filters when they explain every taken word."""
    span = d.prompt[start:end].lower()
    mine = [f for f in d.filters if f.provenance and f.provenance.lower() in span]
    covered = [t for f in mine for t in _tokens_of(d, f.provenance or "", start, end)]
    tw = _table_words(d)
    if not mine or any(t.used and t.low not in tw and t not in covered
                       for t in d.tokens.items if t.start >= start and t.end <= end):  # fmt: skip
        return False
    d.filters = [f for f in d.filters if f not in mine]
    return True


def _tokens_of(d: Draft, text: str, start: int, end: int) -> list[Token]:
    i = d.prompt.lower().find(text.lower(), start, end)
    return [] if i < 0 else [t for t in d.tokens.items if t.start >= i and t.end <= i + len(text)]


def _all_columns(d: Draft) -> list[str] | None:
    """``all (of the) order columns`` → ['orders']; ``all columns`` → []; None when not said."""
    found: list[str] | None = None
    for m in _ALL.finditer(d.prompt):
        t = m.group("table")
        if t:
            hits = d.linker.tables(t.strip())
            if not hits:
                continue
            d.use_table(hits[0].table)
        mark_chars(d, m.start(), m.end())
        found = found or []
        if t and len(d.referenced_tables()) > 1:
            found.append(hits[0].table)  # only this table's columns, out of several
    return found


def _copy_of_table(d: Draft) -> None:
    """"copy (of) the departments table": the whole table (the compiler's default list)."""
    for m in _COPY.finditer(d.prompt):
        rest = d.prompt[m.end() :]
        word = re.match(r"[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?", rest)
        if word and any(h.table in in_play(d) for h in d.linker.tables(word.group())[:1]):
            mark_chars(d, m.start(), m.end())


def _every_row(d: Draft) -> None:
    """"each order line ...", "for every customer": all rows of a table in play (nothing else took the words)."""
    tables = {m.text.lower(): m.table for m in mentions(d) if isinstance(m, TableMatch) and m.text}
    for m in _EVERY.finditer(d.prompt):
        rest = d.prompt[m.end() :].lower()
        hit = next((t for text, t in tables.items() if re.match(rf"{re.escape(text)}\b", rest)), None)
        if hit in in_play(d) and _free(d, m.start(), m.end()):
            mark_chars(d, m.start(), m.end())


def _split(text: str) -> list[str]:
    return [p for p in _SEPARATOR.split(text) if p and p.strip()]


def _exact_column(d: Draft, phrase: str) -> str | None:
    """The column of a table in play (base first) whose name is exactly ``phrase`` (an identifier)."""
    p = phrase.strip()
    if not re.fullmatch(r"[A-Za-z_]\w*", p):
        return None
    for t in in_play(d):
        info = d.catalog.table(t)
        if info.has_column(p):
            return f"{info.name}.{info.column(p).name}"
    return None


def _item_ref(d: Draft, phrase: str) -> str | None:
    """A defined name or a qualified source column for ``phrase`` (``the order count`` → order_count).

    A phrase that names a table better than any column ("the orders") is not a column.
    """
    exact = _exact_column(d, phrase)
    if exact and exact.split(".")[-1].lower() not in d.defined_names():
        return exact  # "unit_price" is that column, not a computed name that contains its words
    name = defined_name(d, phrase)
    if name:
        return name
    owner = _OF_TABLE.match(phrase.strip())
    if owner:  # "email of employees", "the name for each product"
        named = d.linker.tables(owner.group("t"))
        if named and named[0].score >= 0.85:
            hits = [h for h in d.linker.columns(clean_phrase(owner.group("head")), [named[0].table])
                    if h.score >= _MIN_SCORE]  # fmt: skip
            if hits:
                d.use_table(hits[0].table)
                return f"{hits[0].table}.{hits[0].column}"
    p = clean_phrase(phrase)
    if not p or not re.search(r"[A-Za-z]", p):
        return None
    if "." in p:
        t, _, c = p.partition(".")
        if d.catalog.has_table(t) and d.catalog.table(t).has_column(c):
            info = d.catalog.table(t)
            d.use_table(info.name)
            return f"{info.name}.{info.column(c).name}"
    tables = in_play(d)
    hits = [h for h in (d.linker.columns(p, tables) if tables else []) if h.score >= _MIN_SCORE]
    if not hits:
        hits = [h for h in d.linker.columns(p) if h.score >= _MIN_SCORE]
    if not hits:
        return None
    named = d.linker.tables(p)
    if named and (named[0].score >= hits[0].score or phrase_tokens(p)[-1:] in [(w,) for w in ROW_NOUNS]):
        return None  # "orders", "every customer": a table, not a column
    d.use_table(hits[0].table)
    col = f"{hits[0].table}.{hits[0].column}"
    shadow = hits[0].column.lower()
    return shadow if shadow in {x.name.lower() for x in d.derived} else col


def _starts(d: Draft) -> Iterator[tuple[int, int, bool, re.Match[str] | None]]:
    """(start of the phrase, start of the items, whole sentence only, the match) for every possible list."""
    for m in _VERB_START.finditer(d.prompt):
        yield m.start(), m.end(), False, m
    for m in _SENTENCE_START.finditer(d.prompt):
        yield m.start(), m.end(), True, None


def _explicit_list(d: Draft) -> tuple[list[OutputColumn], str | None]:
    """The longest output list the request gives ([] if none), and the table whose columns it adds to
    ("employees with their department name", "orders plus the customer's email"), if it adds."""
    best: list[OutputColumn] | None = None
    best_span: tuple[int, int, re.Match[str] | None] | None = None
    tw = _table_words(d)
    for start, items_start, whole, m in _starts(d):
        if m is not None and not _free(d, start, start + 4 if m.group("n") else items_start, tw):
            continue  # (the count in "only three columns:" may have been read as a limit; see _column_count)
        if m is not None and m.group("add") and m.group("add").lower() == "and" and _subject(d, start) is None:
            continue  # "and" starts a list only after a table: "employees and department names"
        items, end = _parse_list(d, items_start, tw, whole)
        if items and (best is None or len(items) > len(best)):
            best, best_span = items, (start, end, m)
    if best is None or best_span is None:
        return [], None
    start, end, m = best_span
    subject = _adds_to(d, best, m)
    mark_chars(d, start, end)
    _mark_heading(d, start)
    scope = _mark_grain(d, end)
    last = _OF_TABLE.match((best[-1].provenance or "").strip())
    if last and d.linker.tables(last.group("t")):
        scope = d.linker.tables(last.group("t"))[0].table
    if scope:
        best = _rescope(d, best, scope)
    if m is not None and m.group("n"):
        _column_count(d, m, len(best))
    return best, subject


def _subject(d: Draft, pos: int) -> str | None:
    """The table a mention right before ``pos`` names ("employees" in "employees with ...")."""
    before = d.prompt[:pos].rstrip().rstrip(",").lower()
    for mt in mentions(d):
        if isinstance(mt, TableMatch) and mt.text and before.endswith(mt.text.lower()):
            return mt.table
    return None


def _adds_to(d: Draft, items: list[OutputColumn], m: re.Match[str] | None) -> str | None:
    """The table whose columns the list adds to, or None when the list is the whole output."""
    if m is None or not m.group("add") or d.aggregations or d.group_by:
        return None
    subject = _subject(d, m.start())
    if subject is None:
        return None
    foreign = all("." in (c.column or "") and (c.column or "").split(".")[0] != subject for c in items)
    word = m.group("add").lower()
    possessive = (m.group("poss") or "").strip().lower() in ("their", "its", "his", "her")
    single = len(items) == 1 and not items[0].name  # "customers with email": keep the customers' columns
    return subject if foreign or possessive or single or word != "with" else None


def _parse_list(d: Draft, start: int, tw: set[str], whole: bool) -> tuple[list[OutputColumn], int]:
    """Items from ``start`` up to the end of the list; (items, end offset). ``whole``: all or nothing."""
    text = d.prompt[start:]
    if whole:
        m = _SENTENCE_END.search(text)
        stop = m.start() if m else len(text)
        grain = _GRAIN_AHEAD.search(text[:stop])  # "a, b and c for every product"
        stop = grain.start() if grain else stop
    else:
        m = _LIST_END.search(text)
        stop = m.start() if m else len(text)
    segment = text[:stop]
    out: list[OutputColumn] = []
    pos = 0
    pieces = list(_pieces(segment))
    renamer = _unnamed_computed(d)
    reused = 0  # items whose words the recognizer that defined them had taken
    for i, (piece, p_start, p_end) in enumerate(pieces):
        if not _free(d, start + p_start, start + p_end, tw):
            if not _names_defined(d, piece):
                break  # words another recognizer read as something else (unless they name what it defined)
            reused += 1
        col = _parse_item(d, piece)
        if col is None and renamer and _new_name(d, piece) and (whole or i > 0):
            col = OutputColumn(column=renamer, name=piece.strip(), provenance=piece.strip())
            renamer = None  # "account_type and closed_ratio": the one new name is the one unnamed measure's
        if col is None and i + 1 < len(pieces):  # "first and last name": the head noun is shared
            head = pieces[i + 1][0].strip().split()
            named = d.linker.tables(piece.strip())
            if len(head) >= 2 and len(piece.split()) == 1 and not (named and named[0].score >= 0.85):
                col = _parse_item(d, f"{piece} {head[-1]}")
        if col is None:
            if _IDENT.fullmatch(piece.strip()) and "_" in piece and (out or i + 1 < len(pieces)) and (
                    len(pieces) - 1 == len(out) or not whole):
                raise PlanError(f"the output list names '{piece.strip()}', which is neither a column nor a "
                                f"value the request computes", hint=column_error(d, piece).hint)
            break
        out.append(col)
        pos = p_end
    if whole and (len(out) != len(pieces) or len(out) < 2) or out and reused == len(out):
        return [], start  # (a list of nothing but measure phrases is not an output list: "with how many orders")
    return out, start + pos


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_NAMING = re.compile(r"\b(?:as|called|named|aliased(?:\s+as)?|labell?ed)\s*$", re.I)


def _stray_names(d: Draft) -> None:
    """A name written apart from its measure ("orders per customer as order_count", "..., as cancel_ratio").

    A name the draft already defines is just mentioned again; a new snake_case name, when exactly one
    computed column has no name from the request and nothing refers to it yet, names that column.
    """
    for t in d.tokens.items:
        if t.used or t.kind != "word" or not _IDENT.fullmatch(t.text):
            continue
        low = t.low
        if low not in d.defined_names():
            target = _unnamed_computed(d)
            if target is None or not _new_name(d, t.text) or _referenced(d, target):
                continue
            for a in d.aggregations:
                if a.alias == target:
                    a.alias = t.text
            for x in [*d.derived, *d.windows]:
                if x.name == target:
                    x.name = t.text
        t.used = True
        naming = _NAMING.search(d.prompt[: t.start])
        if naming:
            mark_chars(d, naming.start(), t.start)


def _referenced(d: Draft, name: str) -> bool:
    pattern = re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)", re.I)
    users = [*d.columns, *d.having, *d.qualify, *d.order_by, *d.derived, *d.windows]
    return any(pattern.search(str(u.model_dump(exclude={"name", "provenance"}))) for u in users)


def _new_name(d: Draft, piece: str) -> bool:
    """A snake_case name that is no table or column of the warehouse (``closed_ratio``)."""
    w = piece.strip()
    return bool(_IDENT.fullmatch(w)) and "_" in w.strip("_") and not d.catalog.has_table(w) and not any(
        t.has_column(w) for t in d.catalog.tables.values())


def _names_defined(d: Draft, piece: str) -> bool:
    """The piece names a measure, derived column or window of the draft ("order_count", "the transaction count")."""
    m = _ITEM_RENAME.match(piece.strip())
    src = clean_phrase((m.group("src") or m.group("src2")) if m else piece)
    if not src:
        return False
    for el in [*d.derived, *d.aggregations, *d.windows]:
        name = el.name if hasattr(el, "name") else el.alias  # type: ignore[union-attr]
        if snake(src) == name.lower() or clean_phrase(el.provenance or "").lower() == src.lower():
            return True
    return False


def _unnamed_computed(d: Draft) -> str | None:
    """The one measure/derived column/window whose name the request did not write, if exactly one."""
    names = [*(a.alias for a in d.aggregations), *(x.name for x in d.derived), *(w.name for w in d.windows)]
    unnamed = [n for n in names if not re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", d.prompt, re.I)]
    return unnamed[0] if len(unnamed) == 1 else None


def _pieces(segment: str) -> Iterator[tuple[str, int, int]]:
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


_REQUEST_VERB = re.compile(
    r"(?:^|(?<=[.;:!?\n])|(?<=\s[-\u2013\u2014]))\s*(?:(?:and|then|now|also|just)\s+)*"
    r"(?P<v>(?:" + "|".join(REQUEST_VERBS) + r")(?:\s+(?:me|us|please|out|up))?)\b\s*(?:(?:a|an|the)\s+)?",
    re.I,
)


def _request_verbs(d: Draft) -> None:
    """Verbs that only open the request or a clause ("Pull ...", "Make a ...", "Attach ...", "Tag ...")."""
    for m in _REQUEST_VERB.finditer(d.prompt):
        if _free(d, m.start("v"), m.end("v")):
            mark_chars(d, m.start(), m.end())
            _mark_heading_nouns(d, m.end())


def _mark_heading_nouns(d: Draft, pos: int) -> None:
    """"Make a contact sheet from ...": the result's own name (a heading noun phrase) right after the verb."""
    words = re.match(r"(?:[A-Za-z]+\s+){0,2}(?P<h>" + "|".join(sorted(_HEADING_WORDS)) + r")s?\b", d.prompt[pos:], re.I)
    if words is None:
        return
    span = (pos, pos + words.end())
    toks = [t for t in d.tokens.items if t.start >= span[0] and t.end <= span[1]]
    named = [(m.start, m.end) for m in mentions(d) if not isinstance(m, TableMatch)]
    if all(not any(a <= t.start < b for a, b in named) for t in toks[:-1]):
        for t in toks:
            t.used = True


def _mark_heading(d: Draft, list_start: int) -> None:
    """A short heading before a colon ("customer contact sheet: ...") names the result; mark its nouns."""
    before = d.prompt[:list_start]
    if ":" not in d.prompt[list_start : list_start + 2] or len(before.split()) > 5:
        return
    for t in d.tokens.items:
        if t.end <= list_start and t.low in _HEADING_WORDS:
            t.used = True


def _mark_grain(d: Draft, end: int) -> str | None:
    """"... for every customer" right after the list: one row per row of a table in play (returned)."""
    m = _GRAIN.match(d.prompt[end:])
    if m is None:
        return None
    hits = d.linker.tables(m.group("t"))
    if hits and hits[0].table in in_play(d) and hits[0].score >= 0.85:
        mark_chars(d, end, end + m.end())
        return hits[0].table
    return None


def _rescope(d: Draft, items: list[OutputColumn], scope: str) -> list[OutputColumn]:
    """"first_name, last_name and email of employees": the list's table holds every item it has."""
    info = d.catalog.table(scope)
    out = []
    for c in items:
        table, _, bare = (c.column or "").rpartition(".")
        if table and table != scope and info.has_column(bare):
            c = c.model_copy(update={"column": f"{scope}.{info.column(bare).name}"})
        out.append(c)
    d.use_table(scope)
    mentioned = {m.table for m in mentions(d) if isinstance(m, TableMatch)}
    if d.base != scope and d.base not in mentioned:  # the base was only guessed from the columns' owners
        drop_unreferenced(d, d.base or "", keep=scope)
    return out


def _column_count(d: Draft, m: re.Match[str], n_items: int) -> None:
    """"with only three columns: a, b, c": the count must agree (and is not a row limit)."""
    raw = m.group("n").lower()
    n = _NUMBER_WORDS.get(raw) or (int(raw) if raw.isdigit() else None)
    if n is None:
        return
    if n != n_items:
        raise PlanError(f"'{m.group(0).strip()}' but {n_items} columns are listed", hint="list every column")
    if d.limit == n:  # ordering reads "only three" as a row limit before the word "columns" shows otherwise
        d.limit = None
    mark_chars(d, m.start(), m.end())


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


def _repeated_columns(d: Draft) -> None:
    """A column the request describes in words and lists again ("Attach the category name ...: ..., category_name")."""
    out = {(c.column or "").lower() for c in d.columns}
    for m in mentions(d):
        if not hasattr(m, "column") or hasattr(m, "value") or m.start < 0 or f"{m.table}.{m.column}".lower() not in out:
            continue
        toks = [t for t in d.tokens.items if m.start <= t.start and t.end <= m.end]
        if not toks or any(t.used for t in toks):
            continue
        for t in toks:
            t.used = True
        prev = [t for t in d.tokens.items if t.end <= m.start and t.kind == "word"][-1:]
        if prev and not prev[0].used:
            hits = d.linker.columns(f"{prev[0].text} {m.text}", [m.table])
            if hits and hits[0].column == m.column:  # "the subscription plan of the user"
                prev[0].used = True


def _keep_qualified_windows(d: Draft) -> None:
    """A window the qualify filters test must be an output column (the compiler filters on outputs)."""
    names = {(c.name or c.column or "").lower() for c in d.columns}
    for w in d.windows:
        tested = any(w.name.lower() in str(q.model_dump()).lower() for q in d.qualify)
        if tested and w.name.lower() not in names:
            d.columns.append(OutputColumn(column=w.name))
