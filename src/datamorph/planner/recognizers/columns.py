"""The output list: which columns, in which order, under which names (runs last).

"Return customer_id, email and phone", "Columns: a, b, c", "customers: a, b",
"... - order_id and amount" (a closing list of names), "customer_id as id",
"email -> email_address", "phone (call it phone_number)", "rename department_id
to dept_id", "leave location out", "without the location column", "all order
columns". No list in the request leaves ``d.columns`` empty (the compiler's default).

The list itself is read by :mod:`outputs`; this module adds what is said apart
from it (renames, exclusions, "all columns", names written apart from their
measure) and turns it into ``d.columns``.
"""

from __future__ import annotations

import bisect
import dataclasses
import re

from datamorph.errors import PlanError
from datamorph.planner.budget import back
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.lexicon import NAME_PARTS, REQUEST_VERBS
from datamorph.planner.linking import TableMatch
from datamorph.planner.recognizers.dedupe import named_key
from datamorph.planner.recognizers.derived import snake
from datamorph.planner.recognizers.derivekit import Work, clean_phrase, column_error, family, in_play
from datamorph.planner.recognizers.outputs import (
    HEADING_WORDS,
    IDENT,
    explicit_list,
    item_ref,
    name_target,
    new_name,
    open_words,
    table_words,
)
from datamorph.planner.refs import names_read, owner_table, split_column
from datamorph.planner.text import Token
from datamorph.spec import Condition, DerivedColumn, Filter, OutputColumn, WindowColumn

_ALL = re.compile(
    r"\b(?:keep\s+|with\s+|return\s+|show\s+)?(?:all|every)\s+(?:of\s+)?(?:the\s+)?(?P<table>[A-Za-z_]\w*\s+)?"
    r"(?:columns?|fields?)\b",
    re.I,
)
_EXCLUDE = re.compile(
    r"\b(?:(?:but|and)\s+)?(?:leave|leaving)\s+(?:the\s+)?(?P<a>[\w' ,]{1,200}?)\s+(?:columns?\s+|fields?\s+)?out\b"
    r"|\b(?:(?:but|and)\s+)?(?:leave|leaving)\s+out\s+(?:the\s+)?(?P<d>[\w' ,]{1,200}?)(?:\s+(?:columns?|fields?))?"
    r"(?=\s*(?:[.;!?]|$))"
    r"|\b(?:(?:but|and)\s+)?(?:without|except(?:\s+for)?|excluding|but\s+not|minus|dropping|omitting|omit|"
    r"skip(?:ping)?)\s+(?:the\s+)?(?P<b>[\w' ,]{1,200}?)\s+(?:columns?|fields?)\b"
    r"|\b(?:except(?:\s+for)?|excluding|omitting|but\s+not)\s+(?:the\s+)?(?P<c>[\w' ]{1,200}?)(?=\s*(?:[.;,!?]|$))",
    re.I,
)
_RENAME = re.compile(
    r"\b(?:(?:but|and)\s+)?renam(?:e|ing)\s+(?:the\s+)?(?P<src>[\w.' ]{1,200}?)\s+(?:column\s+)?(?:to|as|into)\s+"
    r"(?P<dst>[A-Za-z_]\w*)",
    re.I,
)
_EVERY = re.compile(r"\b(?:(?:for|of)\s+)?(?:each|every)\s+(?:single\s+)?(?:one\s+of\s+the\s+)?", re.I)
_PER = re.compile(r"(?:^|(?<=[.;:!?]\s))per\s+", re.I | re.M)  # "Per product, ...": opening a sentence
_COPY = re.compile(r"\b(?:a\s+)?(?:copy|clone|duplicate)\s+(?:of\s+)?(?:the\s+)?(?=[A-Za-z_])", re.I)

def rule(v: View) -> list[Claim]:
    """The output columns the request gives (if any), and the words around the list it explains.

    One step: the phases (renames, exclusions, "all columns", the list, names written apart) each
    give part of the one list assembled at the end; they see each other's claims through the Work.
    """
    d = Work(v)
    if d.union:
        return []  # the union recognizer gave each block its list
    _output(d)
    return d.claims()


def rows(v: View) -> list[Claim]:
    """"A copy of the departments table", "for every customer": words that only say all rows of a table in
    play (after the output list, which may name that table's columns)."""
    d = Work(v)
    if d.union:
        return []
    _copy_of_table(d)
    _every_row(d)
    return d.claims()


def _output(d: Work) -> None:
    renames = _standalone_renames(d)
    excluded = _exclusions(d)
    all_tables = _all_columns(d)
    items, subject = explicit_list(d)
    _request_verbs(d)
    _stray_names(d)
    if not (items or renames or excluded or all_tables or _shadowing(d)):
        return  # no list, or "all columns": the compiler's default
    base = _defaults(d, all_tables or None) if all_tables or not items else []
    if subject and not base:  # "employees with their department name": the employees' columns, plus it
        computed: list[DerivedColumn | WindowColumn] = [*d.derived, *d.windows]
        base = _defaults(d, [subject]) + [OutputColumn(column=x.name) for x in computed]
    group = list(d.group_by)
    d.columns = _pick_key_first(d, _keys_first(d, _apply(d, base + items, renames, excluded, group), group))
    if items:
        _closing_count(d, len(d.columns))
    _repeated_columns(d)
    _keep_qualified_windows(d)
    d.attach(Edit.set("columns", list(d.columns)) if d.view.columns else Edit.add("columns", *d.columns))
    if group != list(d.group_by):  # listed columns that depend on a grouped key: grouped by too
        d.attach(Edit.set("group_by", group))
    if any(_DISTINCT_ITEM.match(c.provenance or "") for c in items) and not d.aggregations and not d.group_by:
        d.attach(Edit.set("distinct", True))  # "distinct cities of patients": each city once


#: an item opened by a word that asks for each value once ("distinct cities", "the unique countries")
_DISTINCT_ITEM = re.compile(r"^\s*(?:the\s+|all\s+(?:the\s+)?)?(?:distinct|unique|different)\s+\w", re.I)


# -- availability ------------------------------------------------------------------------------



_CLOSING = re.compile(
    r"\b(?:(?:only|just)\s+(?:those|these|the)\s+(?P<n>\w+)(?:\s+(?:columns?|fields?))?|(?:and\s+)?nothing\s+else"
    r"|no\s+other\s+(?:columns?|fields?))(?=\s*(?:[.;!?]|$))",
    re.I,
)
_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip


def _closing_count(d: Work, n_columns: int) -> None:
    """"a, b, c. Only those three", "... Nothing else": a sentence after the list that closes it — no
    other column. A count must agree with the list."""
    words = [t for t in d.tokens.items if t.kind != "punct"]
    ends = [t.end for t in words]
    for m in _CLOSING.finditer(d.prompt):
        k = bisect.bisect_right(ends, m.start())  # the word before (by bisection: a scan per match is quadratic)
        if k == 0 or not d.held(words[k - 1]) or not open_words(d, m.start(), m.end()):
            continue  # only right after words read already (the list, or what follows it)
        if m.group("n"):
            raw = m.group("n").lower()
            n = _COUNT_WORDS.get(raw) or (int(raw) if raw.isdigit() else None)
            if n is None:
                continue
            if n != n_columns:
                raise PlanError(f"'{m.group(0)}' but {n_columns} columns are listed", hint="list every column")
        d.take(((m.start(), m.end()),), why="closes the output list")


#: "device_type should be called device", "amount is to be named total": a rename said of a listed column.
_TO_BE_CALLED = re.compile(r"\b(?P<src>[A-Za-z_][\w.]*)\s+(?:should|must|will|is\s+to|needs\s+to|has\s+to)\s+be\s+"
                           r"(?:called|named|renamed(?:\s+to)?|labell?ed|shown\s+as)\s+(?P<dst>[A-Za-z_]\w*)", re.I)
#: "..., plan_name and price_per_seat, the latter called seat_price": the last (or first) of the two columns before.
_LATTER = re.compile(r",?\s*(?:with\s+)?the\s+(?P<which>latter|former)\s+(?:being\s+)?(?:called|named|renamed(?:\s+to)?|"
                     r"as)\s+(?P<dst>[A-Za-z_]\w*)", re.I)
_IDENT = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def _standalone_renames(d: Work) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in [*_RENAME.finditer(d.prompt), *_TO_BE_CALLED.finditer(d.prompt)]:
        if not open_words(d, m.start("src"), m.end()):
            continue
        col = item_ref(d, m.group("src"))
        if col is None:
            raise column_error(d, m.group("src"))
        out[col.lower()] = m.group("dst")
        d.take(((m.start(), m.end()),), why="a rename")
    for m in _LATTER.finditer(d.prompt):
        start = max(d.prompt.rfind(c, 0, m.start()) for c in ".;:!?\n")
        names = _IDENT.findall(d.prompt, start + 1, m.start())
        if len(names) < 2 or not open_words(d, m.start(), m.end()):
            continue  # "the latter" of fewer than two names says nothing sure
        col = item_ref(d, names[-1] if m.group("which").lower() == "latter" else names[0])
        if col is None:
            continue
        out[col.lower()] = m.group("dst")
        d.take(((m.start(), m.end()),), why="a rename of the latter/former column")
    return out


def _exclusions(d: Work) -> set[str]:
    out: set[str] = set()
    for m in _EXCLUDE.finditer(d.prompt):
        text = m.group("a") or m.group("b") or m.group("c") or m.group("d")
        reclaimed: list[Condition] = []
        if not open_words(d, m.start(), m.end()):
            reclaimed = _reclaim_filters(d, m.start(), m.end()) if m.group("b") else []
            if not reclaimed:
                continue
            d.filters = [f for f in d.filters if f not in reclaimed]  # (the filters read into it are dropped)
        drop = (Edit.remove("filters", *reclaimed),) if reclaimed else ()
        refs: list[str] = []
        for piece in (p for p in re.split(r"\s*(?:,|;|&|\b(?:and|or|nor)\b)\s*", text, flags=re.I) if p.strip()):
            ref = item_ref(d, piece)
            if ref is None:
                if m.group("c"):  # "except ..." may be something else (a filter nobody took)
                    refs = []
                    break
                raise column_error(d, piece)
            refs.append(ref)
        if refs:
            out.update(r.lower() for r in refs)
            d.take(((m.start(), m.end()),), *drop, why="columns left out")
        else:
            d.edit(*drop, why="an exclusion, not a row filter")
    return out


def _reclaim_filters(d: Work, start: int, end: int) -> list[Condition]:
    """"without the location column" is about the output, not a row filter (``location IS NULL``) that
    filters, which runs first, may have read into it: the filters to drop, when they explain every taken word."""
    span = d.prompt[start:end].lower()
    mine = [f for f in d.filters if f.provenance and f.provenance.lower() in span]
    covered = [t for f in mine for t in _tokens_of(d, f.provenance or "", start, end)]
    tw = table_words(d)
    if not mine or any(d.held(t) and t.low not in tw and t not in covered
                       for t in d.tokens.within(start, end)):  # fmt: skip
        return []
    return mine


def _tokens_of(d: Work, text: str, start: int, end: int) -> list[Token]:
    i = d.prompt.lower().find(text.lower(), start, end)
    return [] if i < 0 else [t for t in d.tokens.within(i, i + len(text))]


def _all_columns(d: Work) -> list[str] | None:
    """``all (of the) order columns`` → ['orders']; ``all columns`` → []; None when not said."""
    found: list[str] | None = None
    for m in _ALL.finditer(d.prompt):
        t = m.group("table")
        if t:
            hits = d.linker.tables(t.strip())
            if not hits:
                continue
            d.use_table(hits[0].table)
        d.take(((m.start(), m.end()),), why="all columns")
        found = found or []
        if t and len(d.referenced_tables()) > 1:
            found.append(hits[0].table)  # only this table's columns, out of several
    return found


def _copy_of_table(d: Work) -> None:
    """"copy (of) the departments table": the whole table (the compiler's default list)."""
    for m in _COPY.finditer(d.prompt):
        rest = d.prompt[m.end() :]
        word = re.match(r"[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?", rest)
        if word and any(h.table in in_play(d) for h in d.linker.tables(word.group())[:1]):
            d.take(((m.start(), m.end()),), why="the whole table")


def _every_row(d: Work) -> None:
    """"each order line ...", "for every customer": all rows of a table in play (nothing else took the words)."""
    tables = {m.text.lower(): m.table for m in d.mentions if isinstance(m, TableMatch) and m.text}
    each = [*_EVERY.finditer(d.prompt)]
    if not (d.aggregations or d.group_by or d.windows or d.dedupe):
        each += _PER.finditer(d.prompt)  # "Per product, margin ...": nothing is grouped, so each product row
    for m in each:
        rest = d.prompt[m.end() :].lower()
        hit = next((t for text, t in tables.items() if re.match(rf"{re.escape(text)}\b", rest)), None)
        if hit in in_play(d) and open_words(d, m.start(), m.end()):
            d.take(((m.start(), m.end()),), why="all rows")


_NAMING = re.compile(r"\b(?:as|called|named|aliased(?:\s+as)?|labell?ed)\s*$", re.I)


def _stray_names(d: Work) -> None:
    """A name written apart from its measure ("orders per customer as order_count", "..., as cancel_ratio").

    A name the draft already defines is just mentioned again; a new snake_case name, when exactly one
    computed column has no name from the request and nothing refers to it yet, names that column.
    """
    for t in d.tokens.items:
        if d.held(t) or t.kind != "word" or not IDENT.fullmatch(t.text):
            continue
        edits: list[Edit] = []
        if t.low not in d.defined_names():
            target = name_target(d, t.text)
            if target is None or not new_name(d, t.text) or _referenced(d, target):
                continue
            edits = _rename(d, target, t.text)
        naming = _NAMING.search(d.prompt, back(t.start), t.start)
        spans = ((naming.start(), t.start),) if naming else ()
        d.take((*spans, (t.start, t.end)), *edits, why="a name written apart")


def _rename(d: Work, old: str, new: str) -> list[Edit]:
    """The computed column named ``old`` is called ``new`` (on the Work, and the edits)."""
    edits = []
    if any(a.alias == old for a in d.aggregations):
        d.aggregations = [a.model_copy(update={"alias": new}) if a.alias == old else a for a in d.aggregations]
        edits.append(Edit.set("aggregations", list(d.aggregations)))
    if any(x.name == old for x in d.derived):
        d.derived = [x.model_copy(update={"name": new}) if x.name == old else x for x in d.derived]
        edits.append(Edit.set("derived", list(d.derived)))
    if any(w.name == old for w in d.windows):
        d.windows = [w.model_copy(update={"name": new}) if w.name == old else w for w in d.windows]
        edits.append(Edit.set("windows", list(d.windows)))
    return edits


def _referenced(d: Work, name: str) -> bool:
    users = [*d.columns, *d.having, *d.qualify, *d.order_by, *d.derived, *d.windows]
    return name.lower() in names_read(users)


_REQUEST_VERB = re.compile(
    r"(?:^|(?<=[.;:!?\n])|(?<=\s[-\u2013\u2014]))\s*(?:(?:and|then|now|also|just)\s+)*"
    r"(?P<v>(?:" + "|".join(REQUEST_VERBS) + r")(?:\s+(?:me|us|please|out|up))?)\b\s*(?:(?:a|an|the)\s+)?",
    re.I,
)


def _request_verbs(d: Work) -> None:
    """Verbs that only open the request or a clause ("Pull ...", "Make a ...", "Attach ...", "Tag ...")."""
    for m in _REQUEST_VERB.finditer(d.prompt):
        if open_words(d, m.start("v"), m.end("v")):
            d.take(((m.start(), m.end()),), why="a request verb")
            _heading_nouns(d, m.end())


def _heading_nouns(d: Work, pos: int) -> None:
    """"Build a phone roster from ...": the result's own name (a heading noun phrase) right after the verb."""
    words = re.match(r"(?:[A-Za-z]+\s+){0,2}(?P<h>" + "|".join(sorted(HEADING_WORDS)) + r")s?\b", d.prompt[pos:], re.I)
    if words is None:
        return
    span = (pos, pos + words.end())
    toks = [t for t in d.tokens.within(span[0], span[1])]
    named = [(m.start, m.end) for m in d.mentions if not isinstance(m, TableMatch)]
    if toks and all(not any(a <= t.start < b for a, b in named) for t in toks[:-1]):
        d.take(tuple((t.start, t.end) for t in toks), why="the result's own name")


def _shadowing(d: Work) -> bool:
    """A derived column that keeps a source column's name (``coalesce(rating, 0)`` as rating)."""
    cols = {c.name.lower() for t in d.referenced_tables() for c in d.catalog.table(t).columns}
    return any(x.name.lower() in cols for x in d.derived)


def _defaults(d: Work, tables: list[str] | None) -> list[OutputColumn]:
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


def _apply(d: Work, out: list[OutputColumn], renames: dict[str, str], excluded: set[str],
           group: list[str]) -> list[OutputColumn]:  # fmt: skip
    """The output list, checked against the grouping; ``group`` (the draft's ``group_by``) gains the listed
    columns that depend on a grouped entity (:func:`_dependent`)."""
    result: list[OutputColumn] = []
    aggregating = bool(d.aggregations or d.group_by)
    keys = {g.lower(): g for g in d.group_by}
    bare_keys = {g.split(".")[-1].lower(): g for g in d.group_by}
    defined = d.defined_names()
    used_renames: set[str] = set()
    for c in _whole_names(d, out):
        ref = c.column or ""
        low = ref.lower()
        if low in excluded or any(low == (r.column or "").lower() and r.name == c.name for r in result):
            continue
        if aggregating and low not in defined and low not in keys:
            day = _day_key(d, ref)
            if day is not None:  # "daily orders: order_date, orders": the day key, under the date column's name
                result.append(OutputColumn(column=day, name=c.name or ref.rsplit(".", 1)[-1], provenance=c.provenance))
                continue
            key = bare_keys.get(low.split(".")[-1]) or _dependent(d, ref, group)
            summed = _aggregated(d, ref, c, out) if key is None else None
            if summed is not None:  # "region, takings" where takings names the amount summed: that sum, so named
                result.append(OutputColumn(column=summed, name=c.name or _word_name(c.provenance), provenance=c.provenance))
                continue
            if key is None:
                raise PlanError(f"'{clean_phrase(c.provenance or ref)}' is neither a grouping column nor a measure",
                                hint=f"group by it too, or choose from: {', '.join([*d.group_by, *sorted(defined)])}")  # fmt: skip
            ref, low = key, key.lower()
        name = c.name or renames.get(low)
        if low in renames:
            used_renames.add(low)
        result.append(OutputColumn(column=ref, name=name, provenance=c.provenance))
    missing = [k for k in renames if k not in used_renames]
    if missing:
        raise PlanError(f"cannot rename '{missing[0]}': it is not in the output", hint="add it to the column list")
    return result


_BARE_NAME = re.compile(r"(?:^|\b(?:the|their|its|his|her|\w+'s?)\s+|^\w+\s+)names?$"
                        # "unique doctor names", "the distinct names of customers": each name once, still whole
                        r"|^(?:(?:the|all|distinct|unique|different)\s+)+(?:\w+(?:'s?)?\s+)?names?"
                        r"(?:\s+of\s+(?:the\s+|all\s+|each\s+|every\s+)?\w+)?$", re.I)  # fmt: skip


def _whole_names(d: Work, out: list[OutputColumn]) -> list[OutputColumn]:
    """"the pilot's name", "member names": a person's name is both parts a table keeps it in (first_name
    and last_name), never only the part the linker scored first (a wrong table)."""
    result: list[OutputColumn] = []
    for c in out:
        words = (c.provenance or "").strip()
        table, _, col = (c.column or "").rpartition(".")
        pair = next((p for p in NAME_PARTS if col.lower() in p), None)
        one_name = bool(c.name) and re.search(r"names?$", c.name or "", re.I) and not re.search(
            r"first|last|given|family|sur|fore", c.name or "", re.I)  # "driver_name": one column for the whole name
        if pair and (one_name or re.search(r"\b(?:full|whole|complete)\s+names?$", words, re.I)):
            raise PlanError(f"'{words}': the warehouse keeps a name in parts ({', '.join(pair)})",
                            hint=f"say how to put them together, e.g. '{pair[0]} + one space + {pair[1]}', or list both")  # fmt: skip
        if c.name is None and pair and table and _BARE_NAME.search(words) and not re.search(
                r"\b(?:first|last|given|family|sur|fore)", words, re.I):  # fmt: skip
            info = d.catalog.table(owner_table(d.catalog, c.column or "") or table)
            if all(info.has_column(p) for p in pair):
                result.extend(OutputColumn(column=f"{info.name}.{info.column(p).name}", provenance=words) for p in pair)
                continue
        result.append(c)
    return result


def _day_key(d: Work, ref: str) -> str | None:
    """The grouped day a request computes from the date column ``ref`` ("daily", "per day of order_date"):
    a listed date column is that key, whose values are its own dates (a timestamp's day, or a month, is not)."""
    if "." not in ref or family(d, ref) != "date":
        return None
    day = re.compile(rf"CAST\(date_trunc\('day',\s*{re.escape(ref)}\)\s+AS\s+DATE\)", re.I)
    keys = {g.lower() for g in d.group_by}
    hits = [x.name for x in d.derived if x.name.lower() in keys and day.fullmatch(x.expression.strip())]
    return hits[0] if len(hits) == 1 else None


def _aggregated(d: Work, ref: str, item: OutputColumn, out: list[OutputColumn]) -> str | None:
    """The alias of the one aggregation over column ``ref`` (not a count) that a list item names by another
    word than the column's own ("revenue" for the sum of amount), when the list does not name that
    aggregation elsewhere; None otherwise. The column's own name ("amount") listed beside a sum of it may
    mean the rows' values: that is not guessed."""
    hits = [a.alias for a in d.aggregations if (a.column or "").lower() == ref.lower() and a.function != "count"]
    if len(hits) != 1 or any((o.column or "").lower() == hits[0].lower() for o in out):
        return None
    words = snake(clean_phrase(item.provenance or "")).lower()
    column = ref.rsplit(".", 1)[-1].lower()
    if not words or words == column or words in column.split("_") or column in words:
        return None
    return hits[0]


def _word_name(words: str | None) -> str | None:
    """A listed word as the output's name ("revenue"); None for a phrase of several words."""
    w = (words or "").strip()
    return w.lower() if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", w) else None


def _keys_first(d: Work, out: list[OutputColumn], group: list[str]) -> list[OutputColumn]:
    """"show ticket count per agent": a list that names only measures of a grouped request keeps the group
    keys, first — the counts alone would be rows nobody can tell apart (a wrong table)."""
    measures = {a.alias.lower() for a in d.aggregations}
    if not group or not out:
        return out
    if all((c.column or "").lower() in measures for c in out):
        return [OutputColumn(column=g) for g in group] + out
    listed = {(c.column or "").lower() for c in out}
    missing = [g for g in group if g.lower() not in listed and not _labelled(d, g, listed)]
    if missing and any((c.column or "").lower() in measures for c in out) and any(
            (c.column or "").lower() in {g.lower() for g in group} for c in out):  # fmt: skip
        # "appointments per doctor and status" listing the count and the status: one row per doctor and status,
        # told apart by the doctor too
        return [OutputColumn(column=g) for g in missing] + out
    return out


def _pick_key_first(d: Work, out: list[OutputColumn]) -> list[OutputColumn]:
    """"one row per patient_id with the visit_id and ...": the column the rows are told apart by, named by its
    own name, is shown first when the list leaves it out."""
    key = named_key(d)
    if key is None or not out or any((c.column or "").lower() == key.lower() for c in out):
        return out
    return [OutputColumn(column=key), *out]


def _labelled(d: Work, key: str, listed: set[str]) -> bool:
    """A grouped key of an entity (its table's primary key, or a foreign key to it) that another listed column of
    that entity stands for ("category_name, product_count" grouped by the category's id and name)."""
    if "." not in key or not d.catalog.has_table(owner_table(d.catalog, key)):
        return False
    table, col = split_column(d.catalog, key)
    info = d.catalog.table(table)
    fk = next((f for f in info.foreign_keys if [c.lower() for c in f.columns] == [col.lower()]), None)
    entity = fk.ref_table if fk is not None else table if [p.lower() for p in info.primary_key] == [col.lower()] else None
    return entity is not None and any(x.startswith(f"{entity.lower()}.") and x != key.lower() for x in listed)


_LABEL = re.compile(r"name|title|label", re.I)  # the descriptive column an entity group is shown by


def _dependent(d: Work, ref: str, group: list[str]) -> str | None:
    """A listed column that one row per group already fixes: grouped by too (``group`` gains it), or None.

    One row per book (grouped by ``books.book_id``) has one title: "loans per book: book_id, title, loans"
    adds ``books.title`` to the grouping and changes no row. One row per author name (the label a request
    like "copies per author" is grouped by) listed with ``authors.author_id`` is one row per author: the
    table's own key is grouped by too, so two authors of the same name stay two rows. One row per
    ``loans.member_id``, the key loans join members on, is one row per member (:func:`_keyed_by_link`). Only a
    table the plan already joins: carrying a column of a further table would join it, and drop rows without a match.
    """
    if "." not in ref or not d.catalog.has_table(owner_table(d.catalog, ref)):
        return None
    table, col = split_column(d.catalog, ref)
    fk = next((f for f in d.catalog.table(table).foreign_keys if [c.lower() for c in f.columns] == [col.lower()]
               and d.catalog.has_table(f.ref_table) and f.ref_table in d.referenced_tables()), None)  # fmt: skip
    if fk is not None and len(fk.ref_columns) == 1:  # "customer_id" of the orders, grouped per customer
        table, col = fk.ref_table, fk.ref_columns[0]  # joined on it: the customers' own key
    info = d.catalog.table(table)
    if not info.primary_key or not info.has_column(col) or table not in d.referenced_tables():
        return None
    qualified = f"{info.name}.{info.column(col).name}"
    grouped = {g.lower() for g in group}
    pk = [f"{info.name}.{p}".lower() for p in info.primary_key]
    own = [g for g in group if g.lower().startswith(f"{info.name.lower()}.") and _LABEL.search(g[len(info.name) + 1 :])]
    if all(p in grouped for p in pk) or (len(pk) == 1 and qualified.lower() == pk[0] and own) or _keyed_by_link(
            d, info.name, group):  # fmt: skip
        if qualified.lower() not in grouped:
            group.append(qualified)
        return qualified
    return None


def _keyed_by_link(d: Work, table: str, group: list[str]) -> bool:
    """One row per ``loans.member_id``, where loans join members on that key, is one row per member: a group
    key that is the only foreign key from its table to ``table`` (a one-column primary key), both joined."""
    info = d.catalog.table(table)
    if len(info.primary_key) != 1 or d.join_hints or table not in d.referenced_tables():
        return False
    for g in group:
        if "." not in g or not d.catalog.has_table(owner_table(d.catalog, g)):
            continue
        t, c = split_column(d.catalog, g)
        links = [f for f in d.catalog.table(t).foreign_keys if f.ref_table.lower() == table.lower()]
        if (len(links) == 1 and [x.lower() for x in links[0].columns] == [c.lower()] and t in d.referenced_tables()
                and [x.lower() for x in links[0].ref_columns] == [info.primary_key[0].lower()]):  # fmt: skip
            return True
    return False


def _repeated_columns(d: Work) -> None:
    """A column the request describes in words and lists again ("Attach the category name ...: ..., category_name")."""
    out = {(c.column or "").lower() for c in d.columns}
    listed = sorted({owner_table(d.catalog, c) for c in out if "." in c and d.catalog.has_table(owner_table(d.catalog, c))})
    words = [t for t in d.tokens.items if t.kind == "word"]
    ends = [t.end for t in words]
    for m in d.mentions:
        if not hasattr(m, "column") or hasattr(m, "value") or m.start < 0:
            continue
        if f"{m.table}.{m.column}".lower() not in out:  # linked to another table: read again among the listed ones
            hits = d.linker.columns(m.text, listed) if listed else []
            if not hits or hits[0].score < 0.8 or f"{hits[0].table}.{hits[0].column}".lower() not in out:
                continue
            m = dataclasses.replace(hits[0], start=m.start, end=m.end, text=m.text)
        toks = [t for t in d.tokens.within(m.start, m.end)]
        if not toks or any(d.held(t) for t in toks):
            continue
        d.take(tuple((t.start, t.end) for t in toks), why="a listed column described again")
        k = bisect.bisect_right(ends, m.start)  # the word before the mention (a scan of all tokens is quadratic)
        prev = words[k - 1 : k] if k else []
        if prev and not d.held(prev[0]):
            hits = d.linker.columns(f"{prev[0].text} {m.text}", [m.table])
            if hits and hits[0].column == m.column:  # "the loyalty tier of the member"
                d.take(((prev[0].start, prev[0].end),), why="a listed column described again")


def _keep_qualified_windows(d: Work) -> None:
    """A window or measure the qualify filters test must be an output column (the compiler filters on outputs):
    tested by the name it is listed under, or added to the list."""
    names = {(c.name or c.column or "").lower() for c in d.columns}
    for computed in [*(w.name for w in d.windows), *(a.alias for a in d.aggregations)]:
        tested = computed.lower() in names_read(d.qualify)
        shown = next((c.name for c in d.columns if c.name and (c.column or "").lower() == computed.lower()), None)
        if tested and shown and computed.lower() not in names:  # listed under a new name: test it by that name
            qualify = [_renamed(q, computed, shown) for q in d.qualify]
            d.attach(Edit.set("qualify", qualify))
        elif tested and computed.lower() not in names:
            d.columns.append(OutputColumn(column=computed))


def _renamed(q: Condition, old: str, new: str) -> Condition:
    """``q`` testing ``new`` where it tested ``old`` (its column or the column it compares with)."""
    if not isinstance(q, Filter):
        return q
    update = {k: new for k in ("column", "value_column") if (getattr(q, k) or "").lower() == old.lower()}
    return q.model_copy(update=update) if update else q
