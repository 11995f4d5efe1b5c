"""Stacking tables into one result (UNION): one block per table, columns lined up by position (runs before sources).

"stack suppliers and carriers into one list with partner_kind ('supplier' or
'carrier'), partner_ref (the supplier_id or carrier_id), name, country";
"merged feed with one row per shipment (origin='warehouse', ref=shipment_id,
shipped_on) and one row per return (origin='store', ref=return_id, received_at)";
"one list of all customers and employees with their first and last names and a type column".

One claim per phrase read (the trigger, each part's list, "keep every row", "distinct"), then the
edits: the first block's base and columns, one draft per further part, and the mentions later
recognizers see (only the first block's tables: the others are not joined into it).
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View, edit_only
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import NUMBER_WORDS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.common import (
    Work,
    in_play,
    mention_span,
    mentions,
    on_words,
    written_column,
)
from datamorph.planner.recognizers.derived import clean_phrase, column_error
from datamorph.planner.recognizers.derivekit import _FILLER as _NO_COLUMN
from datamorph.planner.refs import tables_read
from datamorph.spec import DerivedColumn, OutputColumn

_NOUN = r"(?:list|table|log|feed|set|result|roster|directory|view|report|dataset)"
_MEASURE = (r"(?:total|totals|spend|spending|amount|amounts|revenue|sales|value|sum|count|cost|costs|price|quantity|"
            r"balance|balances|income|payments?|salary|salaries|budget|score|weight|volume|hours|time|effort|share)")
_TRIGGER = re.compile(
    r"(?<!\btheir\s)(?<!\bits\s)(?<!\bhis\s)(?<!\bher\s)(?<!\bour\s)(?<!'s\s)(?<!\bthe\s)"
    r"\b(?:stack(?:s|ed|ing)?|union(?:ed)?|append(?:s|ed|ing)?(?:\s+to)?|combin(?:ed|ing|e|es)|merg(?:ed|ing|e|es))\b"
    rf"(?!\s+{_MEASURE}\b)(?:\s+(?:[\w]+(?:-[\w]+)?\s+){{0,1}}{_NOUN}\b)?"
    r"|\b(?:into\s+|as\s+)?(?:one|a\s+single|a\s+combined|a\s+unified|a\s+merged|single)\s+"
    rf"(?:combined\s+|unified\s+|merged\s+)?(?:[a-z]+\s+)?{_NOUN}\b|\binto\s+one\b|\btogether\s+in\s+one\b",
    re.I,
)
_KEEP_ALL = re.compile(r"\b(?:keep(?:ing)?|with|including)\s+(?:every|all(?:\s+the)?)\s+rows?\s+(?:from|of)\s+(?:both|all|each)"
                       r"(?:\s+(?:tables|sources|lists|parts))?|\b(?:keep(?:ing)?|including|with)\s+(?:all\s+)?duplicates\b",
                       re.I)  # fmt: skip
# "a single list of unique first names": what the list holds
_OF_WHAT = re.compile(
    r"^\s+of\s+(?:(?:all|the|unique|distinct|different)\s+)*(?P<what>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2}?)"
    r"(?=\s*[:,.;]|\s+(?:with|showing|including|from)\b|\s*$)",
    re.I,
)
_DISTINCT = re.compile(r"\b(?:distinct|unique|without\s+(?:any\s+)?(?:duplicates|repeats|repetitions)|"
                       r"no\s+(?:duplicates|repeats)|deduplicated|(?:duplicates|repeats)\s+removed)\b", re.I)  # fmt: skip
# "every distinct city that appears among suppliers or warehouses", "the tags used in either posts or pages":
# the values of a column two tables share, from both
_EITHER = re.compile(
    r"\b(?:(?:that\s+|which\s+)?(?:appears?|appearing|occurs?|occurring|found|used|present|seen|listed|recorded)\s+"
    r"(?:in|among|across|on)\s+(?:either\s+|both\s+)?|(?:in|among|across|from)\s+(?:either|both)\s+)"
    r"(?:the\s+)?(?P<a>[A-Za-z_]\w*)(?:\s+table)?\s*,?\s+(?:or|and|plus)\s+(?:the\s+)?(?P<b>[A-Za-z_]\w*)(?:\s+tables?)?\b",
    re.I)  # fmt: skip
_PART = re.compile(
    r"(?:\bone\s+row\s+(?:per|for\s+(?:each|every))\s+(?:(?P<qual>[A-Za-z_]\w*)\s+(?=[A-Za-z_]\w*\s*\())?|"
    r"\b(?:all|the|every)\s+)?(?P<table>[A-Za-z_]\w*)\s*"
    r"\((?P<items>[^()]*(?:\([^()]*\)[^()]*)*)\)",
    re.I,
)
_ALT = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s*\(\s*(?:the\s+)?(?P<alts>[^()]+?)\s*\)$"  # person_id (customer_id or employee_id)
    r"|^(?P<alts2>[^()]+?(?:\s*/\s*|\s+or\s+)[^()]+?)\s+(?:as|called|named)\s+(?P<name2>[A-Za-z_]\w*)$",  # a / b as x
    re.I,
)
_TYPE_COLUMN = re.compile(r"^(?:a|an|the)?\s*(?P<name>[A-Za-z_]\w*)\s+(?:column|field|flag|label)$", re.I)
_LIST_START = re.compile(r"\b(?:with|showing|including|having|columns?:?|fields?:?)\s+|:\s*", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*", re.I)


def rule(d: View) -> list[Claim]:
    """Split a stacking request into one block per table: the first is the draft's, the rest ``union``."""
    triggers = list(_TRIGGER.finditer(d.prompt))
    either = _EITHER.search(d.prompt)
    if not triggers and not either and not re.search(r"\bone\s+row\s+per\b.*\band\s+one\s+row\s+per\b", d.prompt, re.I):
        return []
    w = Work(d)
    parts = _parts_with_shared_column(w, either) if either and not triggers else None
    if parts is None and not triggers and either:
        return []
    if parts is None:
        parts = _parts_with_lists(w)
    if parts is None:
        parts = _parts_with_shared_list(w, triggers)
    if parts is None:  # not a stacking request after all: what it read stays read
        return w.claims + ([edit_only(*(Edit.use_table(t) for t in w.brought), why="tables named")] if w.brought else [])
    first, *rest = parts
    _restated_list(w, [c.name or (c.column or "").split(".")[-1] for c in first[1]])
    keep_all = _KEEP_ALL.search(d.prompt)
    if either and not triggers and not keep_all and not _DISTINCT.search(d.prompt):
        raise PlanError(f"'{either.group().strip()}': each value once, or once per row of each table?",
                        hint="say 'distinct' (each value once) or 'keep duplicates' (one per row of each)")  # fmt: skip
    if keep_all:  # "keeping all the rows of each source": UNION ALL, said outright
        w.claims.append(on_words(d, keep_all.start(), keep_all.end(), over=True, why="union all"))
    for dist in _DISTINCT.finditer(d.prompt) if keep_all is None else ():  # "distinct ..., without repeats"
        w.claims.append(on_words(d, dist.start(), dist.end(), Edit.set("union_mode", "distinct"), over=True,
                                 why="union without duplicates"))  # fmt: skip
    w.claims.extend(on_words(d, t.start(), t.end(), over=True, why="stacking") for t in triggers)
    # later recognizers (sources first) work on the first block: they must not join the other parts' tables
    others = {t for t, _ in rest} - {first[0]}
    keep = [m for m in mentions(d) if getattr(m, "table", None) not in others]
    parts_edits = (Edit.set("base", first[0]), Edit.set("columns", first[1]),
                   Edit.add("union", *(_part_draft(d, table, cols) for table, cols in rest)), Edit.set("mentions", keep))
    w.claims.append(edit_only(*(Edit.use_table(t) for t in w.brought), *parts_edits, why="the stacked blocks"))
    return w.claims


_RESTATE = re.compile(r"\b(?:(?P<n>one|two|three|four|five|six|a\s+single|\d{1,2})\s+)?(?:output\s+)?"
                      r"(?:columns?|fields?|output|return|returns)\s*[:,]?\s*(?P<list>[\w ,]{1,300}?)\s*(?:[.;:!?]|$)",
                      re.I)  # fmt: skip


def _restated_list(w: Work, names: list[str]) -> None:
    """"Columns: source, id, signup_date." after the parts: the same names again, in order."""
    for m in _RESTATE.finditer(w.view.prompt):
        items = [x.strip().lower() for x in re.split(r"\s*(?:,|\band\b)\s*", m.group("list")) if x.strip()]
        said = (m.group("n") or "").lower()
        count = int(said) if said.isdigit() else 1 if said == "a single" else NUMBER_WORDS.get(said)
        if said and count != len(names):
            continue  # "two columns: ..." with one name: not this list
        if items == [n.lower() for n in names]:
            w.claims.append(on_words(w.view, m.start(), m.end(), over=True, why="the stacked columns restated"))


def _part_draft(d: View, table: str, cols: list[OutputColumn]) -> Draft:
    """The draft of one further stacked part: its table and its output list (nothing else is said of it)."""
    return Draft(prompt=d.prompt, tokens=d.tokens, catalog=d.catalog, linker=d.linker,
                 reference_date=d.reference_date, base=table, columns=cols)  # fmt: skip


def _table(d: View | Work, word: str) -> str | None:
    hits = d.linker.tables(word)
    return hits[0].table if hits else None


def _literal(text: str) -> str:
    return "'" + text.strip().strip("'\"").replace("'", "''") + "'"


_QUANTIFIER = frozenset({"every", "each", "all", "the", "distinct", "unique", "different"})


def _parts_with_shared_column(w: Work, m: re.Match[str]) -> list[tuple[str, list[OutputColumn]]] | None:
    """"every distinct city that appears among suppliers or warehouses": the column both tables have, named in
    the clause before; one column per part, or None when the words do not name two tables and such a column."""
    a, b = _table(w, m.group("a")), _table(w, m.group("b"))
    if a is None or b is None or a == b:
        return None
    d = w.view
    clause = max(d.prompt.rfind(c, 0, m.start()) for c in ".;:!?\n") + 1
    words = d.tokens.within(clause, m.start())
    found: list[tuple[int, int, str, str]] = []  # (words, start, column of a, column of b)
    for i in range(len(words)):
        for n in (3, 2, 1):
            if i + n > len(words):
                continue
            phrase = d.prompt[words[i].start : words[i + n - 1].end]
            ca, cb = _column(w, phrase, [a], min_score=0.9), _column(w, phrase, [b], min_score=0.9)
            if ca and cb and ca.split(".")[-1].lower() == cb.split(".")[-1].lower():
                found.append((n, i, ca, cb))
                break
    names = {ca.split(".")[-1].lower() for _, _, ca, _ in found}
    if len(names) != 1:
        return None  # no column, or several: not this shape
    n, i, ca, cb = max(found)
    lead = i
    while lead > 0 and words[lead - 1].low in _QUANTIFIER:  # "every distinct city", "all the tags"
        lead -= 1
    w.claims.append(on_words(d, words[lead].start, words[i + n - 1].end, over=True,
                             why="the column both tables have"))  # fmt: skip
    w.claims.append(on_words(d, m.start(), m.end(), over=True, why=f"the values of {a} and {b}"))
    name = ca.split(".")[-1]
    return [(a, [OutputColumn(column=ca, name=name, provenance=name)]),
            (b, [OutputColumn(column=cb, name=name, provenance=name)])]


def _parts_with_lists(w: Work) -> list[tuple[str, list[OutputColumn]]] | None:
    """``customers (a, b) and employees (c, d)``: each table with its own list."""
    d = w
    tabled = [(t, m) for m in _PART.finditer(d.prompt) if (t := _table(d, m.group("table"))) is not None]
    if len(tabled) < 2:
        return None  # one parenthesis after a table is no per-part list
    found = []
    for table, m in tabled:
        cols = [_part_item(d, item.strip(), table) for item in _SPLIT.split(m.group("items")) if item.strip()]
        found.append((table, cols, m))
    if len(found) < 2:
        return None
    widths = {len(c) for _, c, _ in found}
    if len(widths) != 1:
        raise PlanError("the stacked parts list different numbers of columns",
                        hint="give each part the same columns, in the same order")  # fmt: skip
    for _, cols, m in found:
        qual = m.group("qual")
        labels = {(c.expression or "").strip("'").lower() for c in cols}
        start = m.start() if qual is None or qual.lower() in labels else m.start("table")
        # "one row per store return (origin = 'store', ...)": store restates the label
        w.claims.append(on_words(w.view, start, m.end(), over=True, why="a stacked part and its columns"))
    names = [c.name or (c.column or "").split(".")[-1] for c in found[0][1]]
    return [(t, [c.model_copy(update={"name": n}) for c, n in zip(cols, names, strict=True)]) for t, cols, _ in found]


def _part_item(d: Work, item: str, table: str) -> OutputColumn:
    m = re.match(r"^([A-Za-z_]\w*)\s*(?:=|:|as)\s*(.+)$", item) or re.match(r"^(.+?)\s+as\s+([A-Za-z_]\w*)$", item)
    if m and re.match(r"^([A-Za-z_]\w*)\s*(?:=|:|as)", item) and not m.group(2).startswith(("'", '"')):
        name, src = m.group(1), m.group(2)
    elif m and m.group(2).startswith(("'", '"')):
        return OutputColumn(expression=_literal(m.group(2)), name=m.group(1), provenance=item)
    elif m:
        src, name = m.group(1), m.group(2)
    else:
        name, src = None, item
    if src.startswith(("'", '"')):
        return OutputColumn(expression=_literal(src), name=name or "label", provenance=item)
    col = _column(d, src, [table], min_score=0.8) if len(src.split()) > 1 else _column(d, src, [table])
    if col is None:
        expr = _part_expression(d, src, table)
        if expr is not None:  # "received_on = received_at as a calendar date"
            return OutputColumn(expression=expr, name=name or "value", provenance=item)
        raise column_error(d, src)  # type: ignore[arg-type]
    return OutputColumn(column=col, name=name, provenance=item)


_CAST_DATE = re.compile(r"^(?:the\s+)?(?:calendar\s+)?date\s+(?:part\s+)?(?:of|from)\s+(?:the\s+)?(?P<col>[A-Za-z_][\w. ]*)$"
                        r"|^(?P<col2>[A-Za-z_][\w. ]*?)\s+as\s+a\s+(?:plain\s+|calendar\s+)?date$", re.I)  # fmt: skip
_PART_OF = re.compile(r"^(?:the\s+)?(?P<part>year|month|quarter|day|hour)\s+(?:of|from|in)\s+(?:the\s+)?"
                      r"(?P<col>[A-Za-z_][\w. ]*)$", re.I)  # fmt: skip


def _part_expression(w: Work, src: str, table: str) -> str | None:
    """An expression over one part's columns: a date part, a calendar date, arithmetic."""
    m = _CAST_DATE.match(src.strip())
    if m:
        col = _column(w, m.group("col") or m.group("col2"), [table])
        return f"CAST({col} AS DATE)" if col else None
    m = _PART_OF.match(src.strip())
    if m:
        col = _column(w, m.group("col"), [table])
        return f"{m.group('part').lower()}({col})" if col else None
    parsed = _arithmetic(w, src)
    if parsed is None:
        return None
    read = tables_read([DerivedColumn(name="value", expression=parsed[0])])
    return parsed[0] if read <= {table.lower()} else None  # over this part's columns only


def _arithmetic(w: Work, text: str) -> tuple[str, list[str]] | None:
    """:func:`~datamorph.planner.recognizers.derived.parse_arithmetic` of ``text``, without its side effect.

    That helper (of the ``derived`` recognizer) brings the tables of the columns it resolves into
    the draft it is given: it is given a private copy here, and the tables it brought in become
    :meth:`Work.use` edits.
    """
    from datamorph.planner.recognizers.derived import parse_arithmetic

    v = w.view
    scratch = Draft(prompt=v.prompt, tokens=v.tokens, catalog=v.catalog, linker=v.linker,
                    reference_date=v.reference_date, base=w.base, tables=w.tables, derived=list(v.derived),
                    aggregations=list(v.aggregations), windows=list(v.windows), aliases=dict(v.aliases))  # fmt: skip
    parsed = parse_arithmetic(scratch, text)
    for t in in_play(scratch):
        if t not in in_play(w):
            w.use(t)
    return parsed


def _column(w: Work, phrase: str, tables: list[str], min_score: float = 0.0) -> str | None:
    """The qualified column ``phrase`` names among ``tables`` (as ``derived.column_phrase`` with tables).

    A qualified name (``users.created_at``) is taken as written, and brings its table in (:meth:`Work.use`).
    """
    p = clean_phrase(phrase)
    if not p or p.lower() in _NO_COLUMN:
        return None
    written = written_column(w.catalog, p)
    if written:
        w.use(written[0])
        return written[1]
    hits = [h for h in w.linker.columns(p, tables) if h.score >= min_score]
    return f"{hits[0].table}.{hits[0].column}" if hits else None


def _parts_with_shared_list(w: Work, triggers: list[re.Match[str]]) -> list[tuple[str, list[OutputColumn]]] | None:
    """``customers and employees ... with a, b (x or y), c``: one list, resolved in each table."""
    d = w
    tables: list[str] = []
    named = [m for m in mentions(d) if isinstance(m, TableMatch) and m.table]
    strong = [m for m in named if m.score >= 0.95]
    for m in strong if len({x.table for x in strong}) >= 2 else named:  # "people" is a loose name
        t = m.table
        if t not in tables:
            tables.append(t)
            span = mention_span(w.view, m)
            if span is not None:
                w.claims.append(on_words(w.view, *span, over=True, why=f"stacks {t}"))
    if len(tables) < 2:
        return None
    held = _list_holds(w, triggers, tables)
    start = _LIST_START.search(d.prompt)
    if start is None and held:
        return list(zip(tables, held, strict=True))
    if start is None:
        raise PlanError("stacking tables needs the columns to line up", hint="say which columns, e.g. 'with id, name'")
    items = _split_top_level(d.prompt[start.end() :])
    per_table: list[list[OutputColumn]] = [[] for _ in tables]
    end = start.end()
    i = 0
    while i < len(items):
        text, s, e = items[i]
        cols = _shared_item(w, text.strip(), tables, items[i + 1][0] if i + 1 < len(items) else None)
        if cols is None:
            break
        for lst, c in zip(per_table, cols, strict=True):
            lst.append(c)
        end = start.end() + e
        i += 1
    if not per_table[0]:
        raise PlanError("could not read which columns to stack", hint="e.g. 'with first_name, last_name'")
    w.claims.append(on_words(w.view, start.start(), end, over=True, why="the stacked columns"))
    return list(zip(tables, per_table, strict=True))


def _list_holds(w: Work, triggers: list[re.Match[str]], tables: list[str]) -> list[list[OutputColumn]] | None:
    """"a single list of unique first names": when the words name a column of every table, claim them;
    the column per table (one item lists), or None."""
    d = w.view
    for trig in triggers:
        m = _OF_WHAT.match(d.prompt[trig.end() :])
        if m is None:
            continue
        cols = [_column(w, m.group("what"), [t], min_score=0.8) for t in tables]
        if all(cols):
            w.claims.append(on_words(d, trig.end(), trig.end() + m.end(), over=True, why="what the list holds"))
            return [[OutputColumn(column=c, name=(c or "").split(".")[-1], provenance=m.group("what"))]
                    for c in cols]  # fmt: skip
    return None


def _split_top_level(text: str) -> list[tuple[str, int, int]]:
    """Split on , ; and — outside parentheses — stopping at the end of the sentence."""
    out, depth, pos, i = [], 0, 0, 0
    stop = re.search(r"[.;!?](?:\s|$)", text)
    text = text[: stop.start()] if stop else text
    while i < len(text):
        ch = text[i]
        depth += ch == "("
        depth -= ch == ")"
        sep = re.match(r"\s*(?:,|&|\band\b)\s*", text[i:], re.I) if depth == 0 else None
        if sep and sep.end() > 0 and (ch in ",&" or text[i:i + 1].isspace()):
            if text[pos:i].strip():
                out.append((text[pos:i], pos, i))
            i += sep.end()
            pos = i
            continue
        i += 1
    if text[pos:].strip():
        out.append((text[pos:].rstrip(), pos, len(text.rstrip())))
    return out


def _shared_item(d: Work, text: str, tables: list[str], nxt: str | None) -> list[OutputColumn] | None:
    alt = _ALT.match(text)
    if alt:
        alts, name = alt.group("alts") or alt.group("alts2"), alt.group("name") or alt.group("name2")
        choices = [c for c in re.split(r"\s*(?:,|/|\bor\b)\s*", alts, flags=re.I) if c.strip()]
        if len(choices) != len(tables):
            raise PlanError(f"'{text}' gives {len(choices)} choices for {len(tables)} tables")
        out = []
        for table, choice in zip(tables, choices, strict=True):
            if choice.strip().startswith(("'", '"')):
                out.append(OutputColumn(expression=_literal(choice), name=name, provenance=text))
            else:
                col = _column(d, choice, [table])
                if col is None:
                    raise column_error(d, choice)  # type: ignore[arg-type]
                out.append(OutputColumn(column=col, name=name, provenance=text))
        return out
    typ = _TYPE_COLUMN.match(text)
    if typ and not all(_column(d, typ.group("name"), [t]) for t in tables):
        return [OutputColumn(expression=_literal(_singular(t)), name=typ.group("name").lower(), provenance=text)
                for t in tables]  # fmt: skip
    phrase = clean_phrase(text)
    out = []
    for t in tables:
        col = _column(d, phrase, [t])
        if col is None and nxt and len(phrase.split()) == 1:  # "first and last names"
            col = _column(d, f"{phrase} {clean_phrase(nxt).split()[-1]}", [t])
        if col is None:
            return None
        out.append(OutputColumn(column=col, name=col.split(".")[-1], provenance=text))
    return out


def _singular(table: str) -> str:
    t = table.lower()
    if t.endswith("ies"):
        return t[:-3] + "y"
    if t.endswith(("ses", "xes")):
        return t[:-2]
    return t[:-1] if t.endswith("s") else t
