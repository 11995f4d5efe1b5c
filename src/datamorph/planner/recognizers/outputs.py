"""The output list itself: where it starts and ends, its items, and the column each item names.

"Return customer_id, email and phone", "Columns: a, b, c", "... - order id, customer,
amount" (a closing list; a table word stands for that table's key in the rows),
"each driver's name with their licence class" (possessive items), "email (may be
empty)" (a note in parentheses belongs to its item). An item ends at the first word
another recognizer took ("return_rate as a value from 0 to 1": the ratio's words).

A name in the list may stand for a value the request computes but describes in words
("member_id, loans_taken", "day, visits, ma_7d", "the count in signups"): it names the
one computed value its words fit (a kind, a column, the rows counted) or the only one left;
when two could fit, the list refuses.

Only words no other recognizer took make a list (table words excepted: sources
holds those everywhere), and a phrase that names a table ("give me the orders")
is never read as a column. The helpers read, and claim, through the
:class:`~datamorph.planner.recognizers.derivekit.Work` of the columns recognizer.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from datamorph.errors import PlanError
from datamorph.planner import budget
from datamorph.planner.claims import Edit, held
from datamorph.planner.lexicon import NON_SCHEMA_WORDS, ROW_NOUNS, STOPWORDS, lemmas, normalize, phrase_tokens
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.meaning import DATE_WORDS, UNIT_WORDS, superlative
from datamorph.planner.recognizers.common import coined
from datamorph.planner.recognizers.derivekit import (
    Work,
    clean_phrase,
    column_error,
    defined_name,
    family,
    in_play,
    snake,
    spelt_as,
    unreferenced,
)
from datamorph.planner.refs import owner_table
from datamorph.planner.text import MONTHS, Token, find_words
from datamorph.spec import Aggregation, DerivedColumn, OutputColumn, WindowColumn

_VERB_START = re.compile(
    r"(?<![-\w])(?:(?P<verb>return(?:ing)?|show(?:ing)?(?:\s+me)?|give(?:\s+(?:me|us))?|list(?:ing)?|output(?:ting)?|select(?:ing)?|"
    r"display|just|only|need|needs|needed|want|wants)|includ(?:e|ing)|keep(?:ing)?(?:\s+only)?|pull|fetch|get)\s*:?\s+"
    r"|\bwith\s+(?:only\s+|just\s+)?(?:the\s+)?(?:(?P<n>\w+)\s+)?(?:columns?|fields?)(?:\s+renamed)?\s*:?\s+"
    r"|\b(?:columns?|fields?)\s*:?\s+|(?:^|\n)\s*[-*\u2022]\s+|:\s+|\s(?P<arrow>->|=>|\u2192)\s+|(?P<paren>\()\s*(?=[A-Za-z_][\w ]*,[^()]*\))"
    r"|\b(?P<add>with|plus|along\s+with|together\s+with|and)\s+(?P<poss>(?:their|its|his|her|the)\s+)?",
    re.I,
)
# a sentence (or a dash-separated tail) that may be nothing but a list of names
_SENTENCE_START = re.compile(r"(?:^|[.!?;,]\s+|\s[-\u2013\u2014]\s+|\n\s*)", re.I)
_SENTENCE_END = re.compile(r"\s*(?:[.!?;](?:\s|$)|\n|$)")
_ITEM_RENAME = re.compile(
    r"^(?P<src>.+?)\s*(?:\brenamed(?:\s+(?:to|as))?\b|\b(?:stays?|remains?|kept\s+as)\b|->|=>|\bas\b"
    r"|\b(?:in\s+(?:(?:a|an|its\s+own|a\s+new)\s+)?(?:column|field)\s+)?(?:called|named)\b"
    r"|\(\s*(?:call\s+it|as|named)\b)"
    r"\s*(?P<dst>[A-Za-z_]\w*)\s*\)?$"
    r"|^(?P<dst2>[A-Za-z_]\w*)\s*=\s*(?P<src2>.+)$"
    r"|^(?P<src3>.+?)\s*\(\s*(?P<dst3>[A-Za-z_]+_\w+)\s*\)$",  # "the number of returns (return_count)"
    re.I,
)
_POSSESSIVE = r"(?:their|its|his|her)\b"
# "each driver's name with their licence class": "with their" joins items too
_SEPARATOR = re.compile(r"\s*(?:,|;|\band\b|&|\bplus\b|\bas\s+well\s+as\b|\balong\s+with\b|\btogether\s+with\b|\bnext\s+to\b|\balongside\b|"
                        rf"\b(?:along\s+|together\s+)?with\s+(?={_POSSESSIVE}))\s*", re.I)
#: The kind words of a measure named back by a determiner ("that total", "the count"); see :data:`_BACK_REFERENCE`.
_BACK_KIND = r"(?:count|number|tally|total|sum|average|mean|minimum|maximum|lowest|highest)\b"
_LIST_END = re.compile(
    r"[.?!;\n]|:\s|\s[-\u2013\u2014]\s|\s(?:of|for)\s+(?:each|every|all)\b|\b(?:where|for|from|in|sorted|ordered|(?:order|group)\s+by|grouped|who|whose|which|that|per|by|each|"
    r"if|when|but|into|only|having|limit|top|over|under|(?<!\balong\s)(?<!\btogether\s)with(?!\s+" + _POSSESSIVE + r"))\b(?<!\bthat(?=\s+" + _BACK_KIND + r"))"
    r"|\s(?:are|is)\s+(?:all\s+)?(?:needed|required|wanted|necessary|enough)\b",
    re.I,
)
#: Words that close an output list and say only that it is the whole output.
_CLOSING_WORDS = re.compile(r"\s*(?:(?:are|is)\s+(?:all\s+)?(?:that\s+(?:is|are)\s+)?(?:needed|required|wanted|necessary|"
                            r"enough)|,?\s*(?:and\s+)?nothing\s+else|only)\b", re.I)  # fmt: skip
_GRAIN = re.compile(r"^\s*,?\s*(?:for|of)\s+(?:each|every|all)\s+(?:the\s+|of\s+the\s+)?(?P<t>[A-Za-z_]\w*)\b", re.I)
_GRAIN_AHEAD = re.compile(r"(?<!\s)(?:\s*+,\s++|\s++)(?:for|of)\s++(?:each|every|all)\b", re.I)  # linear: see scan_patterns
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}  # fmt: skip
HEADING_WORDS = {"sheet", "page", "file", "csv", "extract", "card", "index", "catalog", "register", "log", "list", "report", "view", "table", "summary", "overview", "export", "dump",
                  "snapshot", "feed", "roster", "directory", "contact", "contacts", "details", "info", "copy",
                  "lookup", "data", "dataset"}  # fmt: skip
# ("the average price in its category": the row's group, not the list's table)
_OF_TABLE = re.compile(r"^(?P<head>.+?)\s+(?:of|from|for|in)\s+(?:the\s+|all\s+|each\s+|every\s+)*"
                       r"(?P<t>(?!(?:its|their|the\s+same)\b)[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)$", re.I)
_BULLET_ITEM = re.compile(r"[ \t]*[-*\u2022][ \t]+\S")
_BULLET_BREAK = re.compile(r"\n(?=[ \t]*[-*\u2022][ \t]+\S)")  # linear: one lookahead of fixed shape per break
_MIN_SCORE = 0.8  # a weaker column match is not an output item ("every customer" is no column)

def table_words(d: Work) -> set[str]:
    """Words of the table mentions: sources holds them wherever they occur, so they stay available here."""
    return {w for m in d.mentions if isinstance(m, TableMatch) for w in m.text.lower().split()}


def open_words(d: Work, start: int, end: int, tw: set[str] | None = None) -> bool:
    """Every word of [start, end) is free (:meth:`Work.free`) or a table word: sources does not claim
    table mentions ``shared`` yet (which would make them free by the one definition)."""
    tw = tw if tw is not None else table_words(d)
    return all(t.low in tw or d.free(t.start, t.end) for t in d.tokens.within(start, end))


# -- pieces ------------------------------------------------------------------------------------

def _exact_column(d: Work, phrase: str) -> str | None:
    """The column of a table in play (base first) whose name is exactly ``phrase`` (an identifier)."""
    p = phrase.strip()
    if not re.fullmatch(r"[A-Za-z_]\w*", p):
        return None
    for t in in_play(d):
        info = d.catalog.table(t)
        if info.has_column(p):
            return f"{info.name}.{info.column(p).name}"
    for t in in_play(d) if not d.aggregations else []:  # "product_ids", "unit_prices": a column's name in the
        info = d.catalog.table(t)  # plural, never another column (with measures, "fines" may name sum(fine))
        names = [x for x in _singulars(p) if info.has_column(x)]
        if names and not any(c.has_column(p) for c in d.catalog.tables.values()):
            return f"{info.name}.{info.column(names[0]).name}"
    return None


def _singulars(name: str) -> list[str]:
    """``product_ids`` → [product_id]; ``categories`` → [categorie, category]: a plural name's singular forms."""
    low = name.lower()
    if not low.endswith("s") or low.endswith("ss") or len(low) < 4:
        return []
    out = [name[:-1]]
    if low.endswith("ies"):
        out.append(name[:-3] + "y")
    elif low.endswith("es"):
        out.append(name[:-2])
    return out


def item_ref(d: Work, phrase: str) -> str | None:
    """A defined name or a qualified source column for ``phrase`` (``the order count`` → order_count).

    A phrase that names a table better than any column ("the orders") is not a column.
    """
    exact = _exact_column(d, phrase)
    if exact and exact.split(".")[-1].lower() not in d.defined_names():
        return exact  # "unit_price" is that column, not a computed name that contains its words
    back = _BACK_REFERENCE.fullmatch(phrase.strip())
    if back is not None and d.aggregations:  # "the total", "the number of them": the one measure of that kind
        return _measure_of_kind(d, back)  # (without measures, "the total" may name a running total: below)
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
    if p != phrase.strip() and (plural := _exact_column(d, p)):
        return plural  # "the product_ids", "their first_names"
    if " " in p and (spaced := _exact_column(d, "_".join(p.split()))):
        return spaced  # "lesson limit": the column of that name, not the table lessons
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
    if new_name(d, p) and not _words_of(p) <= _words_of(hits[0].column) | _words_of(hits[0].table) | _LINKS:
        return None  # "rank_in_region" is a new name that contains a column's word, not the column region
    if any(_ranks(w) and w not in _words_of(hits[0].column) for w in re.findall(r"[a-z]+", p.lower())):
        return None  # "the highest credit limit": one value picked by an order (or a measure), not the column
    d.use_table(hits[0].table)
    col = f"{hits[0].table}.{hits[0].column}"
    shadow = hits[0].column.lower()
    return shadow if shadow in {x.name.lower() for x in d.derived} else col


_LINKS = frozenset({"of", "the", "in", "per", "by", "for", "a", "an"})
_EXTREMES = frozenset({"most", "least", "max", "maximum", "min", "minimum"})


def _ranks(word: str) -> bool:
    """A superlative ("highest", "cheapest") or an extreme ("most", "max"): it picks values, it names none."""
    return word in _EXTREMES or superlative(word)
#: An item that refers back to a measure said before by its kind alone: "the total", "that count", "their
#: average", "the number of them", "how many there are", "how many they had" (a pronoun, then a glue verb).
_BACK_REFERENCE = re.compile(
    r"(?:(?:the|that|this|their|its|his|her)\s+)(?:(?:same|resulting|overall)\s+)?"
    rf"(?P<kind>{_BACK_KIND})(?:\s+of\s+(?:them|those|it))?"
    r"|how\s+many(?:\s+of\s+them)?(?:\s+(?:there\s+(?:are|were|is|was)|(?:they|it|he|she)(?:\s+(?P<verb>[a-z]+))?))?",
    re.I,
)


def _measure_of_kind(d: Work, m: re.Match[str]) -> str | None:
    """The one aggregation of the kind a back-reference says ("the total": a sum, or a count when none is summed
    beside it); None when none or several fit (the item then names nothing, and the request is refused)."""
    fits = _measures_of_kind(d, m)
    return fits[0] if len(fits) == 1 else None


def _measures_of_kind(d: Work, m: re.Match[str]) -> list[str]:
    verb = m.group("verb")
    if verb and verb.lower() not in STOPWORDS:
        return []  # "how many they missed": a word of its own, read as that only by a condition
    kinds = _kinds(m.group("kind") or "many")
    return [a.alias for a in d.aggregations if {"count_distinct": "count"}.get(a.function, a.function) in kinds]


def _back_reference_error(d: Work, item: str, m: re.Match[str]) -> PlanError:
    """Why an item that refers back to a measure by its kind ("the total", "how many ...") names none."""
    fits = _measures_of_kind(d, m)
    verb = m.group("verb")
    if verb and verb.lower() not in STOPWORDS:
        return PlanError(f"the output list names '{item}', but no condition of the request says which rows are "
                         f"'{verb}'", hint=f"say it where the rows are counted ('count the {verb} ...')")
    if len(fits) > 1:
        return PlanError(f"the output list names '{item}', which could be any of {', '.join(fits)}",
                         hint="name the measure in the list ('the total amount'), or name it where it is computed "
                              "('... as NAME') and list that name")  # fmt: skip
    return PlanError(f"the output list names '{item}', which refers to no measure the request computes",
                     hint="say the measure in so many words ('the number of X', 'the total Y')")


def _words_of(name: str) -> set[str]:
    """The words of a snake_case name, singular ("unit_prices" → {"unit", "price"})."""
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in re.split(r"[_\s]+", name.lower()) if w}


def _starts(d: Work) -> Iterator[tuple[int, int, bool, re.Match[str] | None]]:
    """(start of the phrase, start of the items, whole sentence only, the match) for every possible list."""
    for m in _VERB_START.finditer(d.prompt):
        if m.group("arrow") and _renames(d, m.start()):
            continue  # "user_id -> uid": a new name inside a list, not the list after the rows ("... -> a, b")
        yield m.start(), m.end(), False, m
    for m in _SENTENCE_START.finditer(d.prompt):
        yield m.start(), m.end(), True, None


_LAST_WORD = re.compile(r"([A-Za-z_][\w.]*)\s*$")


def _renames(d: Work, pos: int) -> bool:
    """The word before an arrow at ``pos`` names a column: the arrow gives it a new name."""
    last = _LAST_WORD.search(d.prompt, max(0, pos - 60), pos)
    if last is None:
        return False
    word = last.group(1)
    return "_" in word or "." in word or any(c.score >= 0.9 for c in d.linker.columns(word)[:1])


def explicit_list(d: Work) -> tuple[list[OutputColumn], str | None]:
    """The longest output list the request gives ([] if none), and the table whose columns it adds to
    ("employees with their department name", "orders plus the customer's email"), if it adds."""
    best: list[OutputColumn] | None = None
    best_span: tuple[int, int, re.Match[str] | None] | None = None
    tw = table_words(d)
    masked = _mask_notes(d, 0, d.prompt)  # once, not once per possible start (that is quadratic)
    first = d.snapshot()
    notes = [(n.start(), n.end()) for n in _NOTE.finditer(d.prompt)]
    for start, items_start, whole, m in itertools.islice(_starts(d), _MAX_STARTS):
        budget.check()
        if m is not None and not m.group("verb") and not open_words(d, start, start + 4 if m.group("n") else items_start, tw):
            continue  # (the count in "only three columns:" may have been read as a limit; see _column_count)
        if m is not None and m.group("add") and m.group("add").lower() == "and" and _subject(d, start) is None and not (
            m.group("poss") and m.group("poss").strip().lower() != "the" and _subject_of_conditions(d, start)
        ):
            continue  # "and" starts a list only after a table ("employees and department names"), or with a
            # possessive after the conditions on it ("members from Leeds and their email")
        # a list that starts inside a note reads the note as written, and the rest as masked once
        inside = next((b for a, b in notes if a < items_start < b), items_start)
        items, end = _parse_list(d, items_start, tw, whole, d.prompt[items_start:inside] + masked[inside:])
        if items and (best is None or len(items) > len(best)):
            best, best_span = items, (start, end, m)
    if best is None or best_span is None:
        return [], None
    start, end, m = best_span
    d.restore(first)  # the tables the other attempts brought in are not the list's: read the best one again
    items_start = m.end() if m is not None else _SENTENCE_START.match(d.prompt, start).end()  # type: ignore[union-attr]
    inside = next((b for a, b in notes if a < items_start < b), items_start)
    best, _ = _parse_list(d, items_start, tw, m is None, d.prompt[items_start:inside] + masked[inside:])
    subject = _adds_to(d, best, m)
    closing = _CLOSING_WORDS.match(d.prompt, end)
    if closing and closing.group(0).strip():  # "plate and mileage only", "... are needed", "..., nothing else"
        end = closing.end()
    d.take(((start, end),), why="the output list")
    _heading(d, start)
    scope = _grain(d, end)
    last = _OF_TABLE.match((best[-1].provenance or "").strip())
    if last and d.linker.tables(last.group("t")):
        scope = d.linker.tables(last.group("t"))[0].table
    if scope:
        best = _rescope(d, best, scope)
        best = _with_key(d, best, scope, end)
    else:
        best = _home_rows(d, best)
    if m is not None and m.group("n"):
        _column_count(d, m, len(best))
    for c in best:  # "transaction id, account, amount": the account is only named by its key
        named = d.linker.tables(clean_phrase(c.provenance or ""))
        if "." in (c.column or "") and named and named[0].table != owner_table(d.catalog, c.column or ""):
            d.edit(*unreferenced(d, named[0].table), why="a table named only by its key")
    _names_not_tables(d, best, start, end)
    if subject is None and m is not None and (m.group("add") or "").lower() not in ("", "and"):
        best = _computed_before(d, start, best) + best
    return best, subject


def _names_not_tables(d: Work, items: list[OutputColumn], start: int, end: int) -> None:
    """"that count as visits": a new name the list gives is no table, though sources read it as one (a synonym)
    and brought that table in; it is taken out again when nothing else reads it."""
    owners = {owner_table(d.catalog, c.column or "") for c in items if "." in (c.column or "")}
    for c in items:
        if not c.name:
            continue
        named = [mt.table for mt in d.mentions if isinstance(mt, TableMatch) and start <= mt.start < end
                 and mt.text.lower() == c.name.lower()]  # fmt: skip
        if named and named[0] not in owners and named[0] != d.base:
            d.edit(*unreferenced(d, c.name), why="a name the list gives, not a table")


def _computed_before(d: Work, pos: int, items: list[OutputColumn]) -> list[OutputColumn]:
    """"email in lower case, called email_lower, with customer_id": the columns computed before a list
    that adds to them ("with", "plus", "along with") lead the output."""
    listed = {(c.column or "").lower() for c in items}
    out = []
    computed: list[DerivedColumn | WindowColumn] = [*d.derived, *d.windows]
    for x in computed:
        prov = (x.provenance or "").strip()
        at = find_words(d.prompt, prov)
        if 0 <= at < pos and x.name.lower() not in listed:
            out.append(OutputColumn(column=x.name, provenance=prov))
    return out


def _subject(d: Work, pos: int) -> str | None:
    """The table a mention right before ``pos`` names ("employees" in "employees with ...")."""
    end = len(d.prompt[:pos].rstrip().rstrip(","))
    for mt in d.mentions:
        if isinstance(mt, TableMatch) and mt.start >= 0 and mt.end == end:  # the linker's offsets, not its text
            return mt.table
    return None


_CONDITION_SPAN = 12  # words of conditions looked through back to the table they are about
_JOINING = frozenset({"of", "for", "from", "by", "in", "at", "on", "the", "a", "an",
                      # the opening of a relative clause ("patients who don't smoke, with their city")
                      "who", "that", "which", "are", "is", "were", "was", "have", "has", "had"})


def _subject_of_conditions(d: Work, pos: int) -> str | None:
    """The base table, named before the conditions that end at ``pos`` ("orders over 500 | with ...", "orders of
    customer 12 | with ..."): every word between them read by another recognizer, in the same sentence."""
    items = d.tokens.items
    i = bisect.bisect_left(items, pos, key=lambda t: t.start)
    seen = 0
    while i > 0 and seen < _CONDITION_SPAN:
        t = items[i - 1]
        if t.kind == "punct" and t.text in ".;!?":
            return None
        for mt in d.mentions:
            if isinstance(mt, TableMatch) and mt.start >= 0 and mt.end == t.end and seen and mt.table == d.base:
                return mt.table
        if t.kind != "punct" and not held(t) and not t.shared and t.low not in _JOINING:
            return None
        i, seen = i - 1, seen + 1
    return None


def _adds_to(d: Work, items: list[OutputColumn], m: re.Match[str] | None) -> str | None:
    """The table whose columns the list adds to, or None when the list is the whole output."""
    if m is None or not m.group("add") or d.aggregations or d.group_by:
        return None
    subject = _subject(d, m.start())
    if subject is not None and subject in d.anti_tables:
        subject = d.base  # "members without any loans, with their town": no loan row is there; the members' town
    subject = subject or _subject_of_conditions(d, m.start())
    if subject is None:
        return None
    if d.dedupe is not None and d.dedupe.keys and owner_table(d.catalog, d.dedupe.keys[0]) != subject:
        listed = {(c.column or "").lower() for c in items}
        if m.group("add").lower() == "with" and not listed & {k.lower() for k in d.dedupe.keys}:
            # "the latest session per user with device type": the picked rows (their key among them), plus it
            return owner_table(d.catalog, d.dedupe.keys[0])
        return None  # "one row per patient with patient_id, visit_date": the picked rows' list, not the patients'
    foreign = all("." in (c.column or "") and owner_table(d.catalog, c.column or "") != subject for c in items)
    word = m.group("add").lower()
    possessive = (m.group("poss") or "").strip().lower() in ("their", "its", "his", "her")
    single = len(items) == 1 and not items[0].name  # "customers with email": keep the customers' columns
    return subject if foreign or possessive or single or word != "with" else None


def _parse_list(d: Work, start: int, tw: set[str], whole: bool, masked: str | None = None,
                ) -> tuple[list[OutputColumn], int]:  # fmt: skip
    """Items from ``start`` up to the end of the list; (items, end offset). ``whole``: all or nothing.

    A note in parentheses after an item belongs to it and is skipped when reading the item. An item
    ends at the first word another recognizer took when every word from there on is taken too
    ("return_rate as a value from 0 to 1": the rest is the ratio's); a piece that starts
    with a taken word ends the list, unless it names what that recognizer defined.
    """
    text = masked if masked is not None else _mask_notes(d, start, d.prompt[start:])
    if _BULLET_ITEM.match(text):  # one item a line ("- sku\n- stock_level"): the line breaks separate the items
        text = _BULLET_BREAK.sub(",", text)
    if whole:
        m = _SENTENCE_END.search(text)
        if m and m.group().strip() == ";" and _semicolon_items(text):
            m = _FULL_STOP.search(text)  # "a; b; c": semicolons separate the items
        stop = m.start() if m else len(text)
        grain = _GRAIN_AHEAD.search(text[:stop])  # "a, b and c for every product"
        stop = grain.start() if grain else stop
    else:
        stop = _list_stop(d, start, text)
    segment = text[:stop]
    if len(segment) > _MAX_LIST_CHARS:
        return [], start  # no output list is that long: (repetitive text) not a list, and reading each is slow
    out: list[OutputColumn] = []
    pos = 0
    pieces = list(itertools.islice(_pieces(segment), _MAX_ITEMS + 1))
    if len(pieces) > _MAX_ITEMS:
        return [], start  # no output list is that long: (repetitive text) not a list, and reading it is quadratic
    binding: Binding | None = None  # the pieces that name computed values, bound when one is needed
    reused = 0  # items whose words the recognizer that defined them had taken
    keyed = 0  # table words read as that table's key
    done = 0  # pieces read (the rest must be others' words, for a whole sentence)
    explicit: list[bool] = []  # whether each item of ``out`` was renamed in so many words ("x as y")
    for i, (raw, p_start, p_end) in enumerate(pieces):
        piece = _MASKED_NOTE.sub("", raw)
        words = _piece_words(d, start + p_start, raw)
        if not words:
            continue  # nothing but a note or punctuation
        cut = next((k for k, t in enumerate(words) if d.held(t) and t.low not in tw), None)
        if cut is not None:
            if trimmed := _trimmed(d, words, tw):
                piece = trimmed  # the item ends where others' words begin
            elif _names_defined(d, piece) or _names_group_key(d, words):
                reused += 1  # (it names what the recognizer that took its words defined, or a key it grouped by)
            elif words[0].low in {n.lower() for n in d.defined_names()} and d.held(words[0]):
                piece = words[0].text  # "size_band: 'big' when ...": the name, defined by the words after it
                reused += 1
            elif (scoped := _scoped_item(d, piece, words)) is not None:
                piece = scoped  # "margin (...) for jobs [over 500]": the computed value, of those rows
                reused += 1
            elif i > 0 and all(d.held(t) for t in words):
                break  # another recognizer's words end the list
            elif unquantified := _unquantified(d, words):
                piece = unquantified  # "every product's name": the quantifier was read
            else:
                break  # words another recognizer read as something else
        play, snap = set(in_play(d)), d.snapshot()
        col = _parse_item(d, piece)
        ends = (out or i + 1 < len(pieces)) and (len(pieces) - 1 == len(out) or not whole)  # it must be an item
        if col is not None and _loose_link(d, piece, col, play) and (out or i + 1 < len(pieces)):
            d.restore(snap)  # (the column's table is not brought in for a word that may name a computed value)
            binding = binding if binding is not None else _list_binding(d, start, pieces, tw)
            col = _bound(d, piece.strip(), binding, ends, raises=False) or _parse_item(d, piece)  # "hire_year, hires"
        if col is None and new_name(d, piece):  # "account_type, closed_ratio": the value the request computed
            binding = binding if binding is not None else _list_binding(d, start, pieces, tw)
            col = _bound(d, piece.strip(), binding, ends)
        if i + 1 < len(pieces) and (col is None or _last_word_unread(piece, col)):
            # "first and last name", "the customer's first and last name": the head noun is shared
            head = _MASKED_NOTE.sub("", pieces[i + 1][0]).strip().split()
            lone = len(piece.split()) == 1 or col is not None or bool(_OWNED_WORD.match(piece.strip()))
            named = d.linker.tables(piece.split()[-1] if lone and piece.split() else piece.strip())
            if len(head) >= 2 and lone and not (named and named[0].score >= 0.85):
                snap_shared = d.snapshot()
                shared = _parse_item(d, f"{piece} {head[-1]}")
                if shared is not None and not _last_word_unread(f"{piece} {head[-1]}", shared):
                    col = shared
                elif col is not None:
                    d.restore(snap_shared)
        if col is None and not new_name(d, piece) and _name_shaped(d, piece.strip()) and (
                out or i + 1 < len(pieces) and _kinds(piece)):  # "yr, n" after a colon
            binding = binding if binding is not None else _list_binding(d, start, pieces, tw)
            col = _bound(d, piece.strip(), binding, ends, raises=False)  # "ward, nurses": the count of nurses
        if col is None and (out or i + 1 < len(pieces)):
            col = _table_key(d, piece)  # "transaction id, account, amount": the account's key in the rows
            keyed += col is not None
        if col is None:
            if ends and (back := _BACK_REFERENCE.fullmatch(piece.strip())):
                raise _back_reference_error(d, piece.strip(), back)
            if IDENT.fullmatch(piece.strip()) and "_" in piece and ends:
                raise PlanError(f"the output list names '{piece.strip()}', which is neither a column nor a "
                                f"value the request computes", hint=column_error(d, piece).hint)
            break
        same = next((k for k, o in enumerate(out) if col.column and o.column == col.column and not col.expression), None)
        if same is not None and not (_ITEM_RENAME.match(piece) and explicit[same]):
            pos, done = p_end, i + 1  # "orders by channel, the number of orders": one value named twice, listed once
            continue
        out.append(col)
        explicit.append(bool(_ITEM_RENAME.match(piece)))
        pos, done = p_end, i + 1
    rest_taken = whole and all(d.held(t) or t.low in _POLITE for r, a, _ in pieces[done:]
                               for t in _piece_words(d, start + a, r))  # ("a, b and c, please": set aside)
    single = len(out) == 1 and _names_its_table(d, out[0], start + pos)  # "doctors' last names", "the fee of each visit"
    if whole and (not rest_taken or len(out) < 2 and not single) or out and reused == len(out):
        return [], start  # (a list of nothing but measure phrases is not an output list: "with how many orders")
    if out and keyed == len(out):
        return [], start  # table words only ("customers and orders") are no output list
    return out, start + pos


_NEXT_WORDS = re.compile(r"\s+([A-Za-z]\w*)(?:\s+([A-Za-z]\w*))?")


def _column_across(d: Work, text: str, m: re.Match[str]) -> int | None:
    """Where a column's name written in words ends when the word ``m`` that would end the list is inside it
    ("fee per hour", "loan limit": the words around it spell a column of the warehouse), else None."""
    if not re.fullmatch(r"[a-z]+", m.group().lower()):
        return None
    before = clean_phrase(_SEPARATOR.split(text[: m.start()])[-1]).split()
    if not before:
        return None
    after = _NEXT_WORDS.match(text, m.end())
    names = {c.name.lower() for t in d.catalog.tables.values() for c in t.columns}
    for k in range(min(3, len(before)), 0, -1):
        for j in (2, 1, 0):  # words after it ("fee per hour"), or none ("loan limit")
            if j and (after is None or after.group(j) is None):
                continue
            name = "_".join([*before[-k:], m.group(), *(after.groups()[:j] if after else ())]).lower()
            if name in names:
                return after.end(j) if j and after else m.end()
    return None


_FULL_STOP = re.compile(r"\s*(?:[.!?](?:\s|$)|\n|$)")
_SHORT_ITEM = re.compile(r"\s*[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2}\s*")


def _semicolon_items(text: str) -> bool:
    """A sentence of a few short names separated by semicolons ("product_name; unit_price; cost"): each a
    name of one to three words, and no other separator."""
    m = _FULL_STOP.search(text)
    chunks = text[: m.start() if m else len(text)].split(";")
    return len(chunks) > 1 and all(_SHORT_ITEM.fullmatch(c) and not _OTHER_SEPARATOR.search(c) for c in chunks)


_OTHER_SEPARATOR = re.compile(r",|&|\band\b|\bplus\b|\bwith\b", re.I)
_PUT_AFTER = re.compile(r"in\s+(?:(?:a|an|its\s+own|a\s+new)\s+)?(?:(?:column|field)\s+(?:called|named)\s+)?"
                        r"(?P<dst>[A-Za-z_]\w*)\b", re.I)


def _list_stop(d: Work, start: int, text: str) -> int:
    """Where a list that starts ``text`` (at ``start``) ends (:data:`_LIST_END`), reading on past a free "in
    <name>" after a value the request computes ("the year in a column named yr, the count in n_sessions")."""
    pos = 0
    while m := _LIST_END.search(text, pos):
        if m.group() == ";" and _semicolon_items(text):
            pos = m.end()  # "patient_id; first_name; city": semicolons separate the items of this list
            continue
        if (within := _column_across(d, text, m)) is not None:
            pos = within  # "fee per hour": the word is inside a column's name (fee_per_hour)
            continue
        put = _PUT_AFTER.match(text, m.start()) if m.group().lower() == "in" else None
        if put is None or not d.free(start + put.start(), start + put.end()):
            return m.start()  # ("the total in March": the dates recognizer's)
        before = _SEPARATOR.split(text[: m.start()])[-1]
        if _put_in(d, f"{before} in {put.group('dst')}") is None:
            return m.start()
        pos = put.end()
    return len(text)


def _names_its_table(d: Work, item: OutputColumn, end: int) -> bool:
    """A one-item sentence is an output list when it names the column's table too: in its words ("doctors'
    last names", "last names of doctors", "doctor last names") or in a grain right after ("the fee of each
    visit"); a lone column phrase ("amount") or a table ("orders over 100") is not."""
    if item.column is None or "." not in item.column or item.expression is not None:
        return False
    table = owner_table(d.catalog, item.column)
    grain = _GRAIN.match(d.prompt[end:])
    words = [w for w in re.findall(r"[A-Za-z_]\w*", item.provenance or "")]
    if grain is not None:
        words.append(grain.group("t"))
    return any(h.table == table and h.score >= 0.85 for w in words for h in d.linker.tables(w)[:1])


_POLITE = frozenset({"please", "thanks", "thank", "you", "kindly"})
_DETERMINER = re.compile(r"each|every|all|the|their|its|his|her|a|an", re.I)
_MAX_ITEMS = 200  # pieces of one output list
# places a list may start that are tried (a colon, a dash, "return", "with"...): a request has a few; a text
# repeating "- x x" has one every few characters, and reading a list from each is quadratic
_MAX_STARTS = 64
_MAX_LIST_CHARS = 1000  # characters of one output list
_NOTE = re.compile(r"\(([^()]*)\)")
_RENAME_NOTE = re.compile(r"^\(\s*(?:call\s+it|as|named|renamed?)\b", re.I)
_NAME_NOTE = re.compile(r"\(\s*[A-Za-z_]+_\w+\s*\)")
_MASKED_NOTE = re.compile(r"\s*\(\x01*\)")
#: Words that make a note in parentheses an instruction rather than a description of its item.
_INSTRUCTION = frozenset("""
round rounded rounding lowercase uppercase lowercased uppercased lower upper trim trimmed cast convert converted
percent percentage cents multiply multiplied divide divided format formatted truncate truncated sum total
average avg count minus plus times if unless instead replace replaced default fill filled else otherwise when
only excluding except without not sorted order ordered descending ascending top limit distinct unique
""".split())  # fmt: skip


def _names_schema(d: Work, text: str) -> bool:
    """Whether a note says how to build its item: it names a data value, or several columns.

    "(first name, a space, last name)" must be read; "(their login handle)", which names only the
    item's own column again, is a description.
    """
    found = d.linker.find_mentions(text)
    if any(isinstance(m, ValueMatch) for m in found):
        return True
    return len({(m.table, m.column) for m in found if isinstance(m, ColumnMatch)}) > 1


def _mask_notes(d: Work, offset: int, text: str) -> str:
    """``text`` with each descriptive note in parentheses blanked out (same length): "stock_after (the
    level once that movement is booked)", "email (may be empty)". A renaming ("(call it x)"), or a note
    whose untaken words include an instruction or a quoted value, stays as written."""

    def blank(m: re.Match[str]) -> str:
        if _RENAME_NOTE.match(m.group()) or _NAME_NOTE.fullmatch(m.group()) and new_name(d, m.group()[1:-1]):
            return m.group()  # "(call it x)", "(return_count)": the item's name
        a, b = offset + m.start(), offset + m.end()
        loose = [t for t in d.tokens.within(a, b) if not d.held(t)]
        if any(t.kind == "quoted" or t.low in _INSTRUCTION for t in loose):
            return m.group()
        if loose and _names_schema(d, " ".join(t.text for t in loose)):
            return m.group()  # "(first name, a space, last name)" says how to build it: no mere description
        return "(" + "\x01" * (len(m.group()) - 2) + ")"

    return _NOTE.sub(blank, text)


def _piece_words(d: Work, start: int, raw: str) -> list[Token]:
    """The tokens of a piece (``raw``: its text with notes blanked, at ``start``) outside its notes."""
    notes = [(start + m.start(), start + m.end()) for m in _MASKED_NOTE.finditer(raw)]
    end = start + len(raw)
    return [t for t in d.tokens.within(start, end) if t.kind not in ("punct", "op")
            and not any(a <= t.start < b for a, b in notes)]  # fmt: skip


def _table_key(d: Work, phrase: str) -> OutputColumn | None:
    """A table word in a list of the rows' columns stands for that table's key in the rows ("orders - order
    id, customer, amount" → orders.customer_id): a single-column foreign key of a table in play."""
    p = clean_phrase(phrase)
    named = d.linker.tables(p) if p and re.fullmatch(r"[A-Za-z ]+", p) else []
    if not named or named[0].score < 0.85:
        return None
    cols = d.linker.columns(p)
    if cols and cols[0].score >= named[0].score:
        return None  # "category group" is the column category_group, not the categories' key
    target = named[0].table
    if target == d.base:
        return None  # "the orders" among the orders' columns: the rows themselves
    for t in in_play(d):
        if t == target:
            continue
        for fk in d.catalog.table(t).foreign_keys:
            if fk.ref_table == target and len(fk.columns) == 1:
                return OutputColumn(column=f"{t}.{fk.columns[0]}", provenance=phrase.strip())
    return None


IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def new_name(d: Work, piece: str) -> bool:
    """A snake_case name that is no table or column of the warehouse (``closed_ratio``)."""
    return coined(d.catalog, piece)


def _names_group_key(d: Work, words: list[Token]) -> bool:
    """The piece is one column's name, written as is, that the request groups by ("per session_id ... return
    session_id and the count": the grouping read the key again)."""
    if len(words) != 1 or not IDENT.fullmatch(words[0].text):
        return False
    col = _exact_column(d, words[0].text)
    return col is not None and col.lower() in {g.lower() for g in d.group_by}


#: an item and the rows it is of, said after it ("margin for jobs"), and what follows
_SCOPE_TAIL = re.compile(r"^(?P<item>.+?)\s+(?:for|of|from)\s+(?:the\s+|all\s+|each\s+|every\s+)?(?P<t>[A-Za-z_]\w*)"
                         r"(?P<rest>\s.*)?$", re.I | re.S)  # fmt: skip


def _scoped_item(d: Work, piece: str, words: list[Token]) -> str | None:
    """The computed value an item names before the rows it is of ("margin for jobs"), when every word after
    the rows' name is another recognizer's or a grammar word ("... for jobs booked in May")."""
    m = _SCOPE_TAIL.match(piece.strip())
    if m is None or not d.linker.tables(m.group("t"))[:1] or not _names_defined(d, m.group("item")):
        return None
    at = next((k for k in range(len(words) - 1, -1, -1) if words[k].text == m.group("t")), None)
    if at is None or not all(d.held(t) or t.low in STOPWORDS for t in words[at + 1 :]):
        return None
    return m.group("item")


def _names_defined(d: Work, piece: str) -> bool:
    """The piece names a measure, derived column or window of the draft ("order_count", "the transaction count")."""
    m = _ITEM_RENAME.match(piece.strip())
    src = clean_phrase((m.group("src") or m.group("src2") or m.group("src3")) if m else piece)
    if not src:
        return False
    dst = ((m.group("dst") or m.group("dst2") or m.group("dst3")) if m else "").lower()
    if m is not None and m.group("dst3") and defined_name(d, src):
        return True  # "the number of returns (return_count)": the measure those words defined, named
    defined: list[DerivedColumn | Aggregation | WindowColumn] = [*d.derived, *d.aggregations, *d.windows]
    for el in defined:
        name = el.alias if isinstance(el, Aggregation) else el.name
        if snake(src) == name.lower() or clean_phrase(el.provenance or "").lower() == src.lower():
            return True
        if dst == name.lower() and (clean_phrase(piece).lower() in clean_phrase(el.provenance or "").lower()
                                    or m is not None and m.group("dst3")):
            return True  # "the head count as staff_size", "the head count (staff_size)": the value of that name
    return False


# -- names of computed values ----------------------------------------------------------------------
# "member_id, loans_taken", "shop, total_taken", "day, sessions, ma_7d": a list may name a value the request
# describes in words elsewhere. Each such name goes to the one computed value that fits it: by the words of
# the name (a kind: "total_", "_count", "avg_", "pct", "ma_"; a column the value is computed over; a noun of
# the words that defined it or of the rows it counts), or as the only value left. Two values that fit a
# name (or two names that fit a value) bind nothing: the list then refuses, saying which values could fit.

#: Words of a name that say which kind of computed value it names.
_KIND_WORDS = {
    "rank": {"rank", "ranking", "position", "pos", "place", "seq", "sequence", "ordinal"},
    "running": {"running", "cumulative", "cum", "cume"},
    "moving": {"moving", "rolling", "trailing", "ma", "sma"},
    "lag": {"previous", "prev", "prior", "lag", "before"},
    "lead": {"next", "lead", "following"},
    "count": {"count", "counts", "cnt", "num", "n", "number", "nb", "many", "tally"},
    "sum": {"sum", "sums", "summed"},
    "avg": {"avg", "average", "mean"},
    "min": {"min", "minimum", "lowest", "smallest", "low", "lo", "least", "earliest"},
    "max": {"max", "maximum", "highest", "largest", "biggest", "greatest", "high", "hi", "top", "peak", "latest"},
    "share": {"pct", "percent", "percentage", "share", "ratio", "proportion", "fraction", "frac"},
    "period": {"year", "yr", "quarter", "qtr", "month", "mon", "week", "wk", "day", "date", "hour", "weekday",
               "dow", "period"},
}  # fmt: skip
#: Words that say either of two kinds: "total_orders" is a count as often as "total_amount" is a sum.
_EITHER_KIND = {"total": {"sum", "count"}, "tot": {"sum", "count"}, "qty": {"sum", "count"}}
_PERIOD_SQL = re.compile(r"\b(?:year|quarter|month|week|day|hour|dayofweek|isodow|date_trunc|strftime|date_part|"
                         r"extract)\s*\(", re.I)  # fmt: skip
_COLUMN_WORD_SCORE = 0.85  # a weaker link of a name's word to a column is no evidence
_NOUN_SCORE = 0.8  # "orgs", "apps": a shortened plural still names the table counted


@dataclass(frozen=True)
class _Value:
    """A computed value as a name in a list may describe it."""

    name: str
    kinds: frozenset[str]  # empty: a derived column of no known kind (never contradicts a name)
    column: str | None  # the column a sum, average, min, max or window is computed over
    counted: frozenset[str]  # the tables whose rows a count counts
    words: frozenset[str]  # the words of its name and of the words that defined it


@dataclass(frozen=True)
class _Name:
    """What the words of a name in a list say about the value it names."""

    kinds: frozenset[str]
    columns: frozenset[str]
    tables: frozenset[str]
    words: frozenset[str]


def _values(d: Work) -> list[_Value]:
    """Every computed value of the draft (measures, derived columns, windows), described."""
    out = []
    for a in d.aggregations:
        kind = {"count_distinct": "count"}.get(a.function, a.function)
        dated = kind in ("min", "max") and a.column and family(d, a.column) in ("date", "timestamp")
        out.append(_Value(a.alias, frozenset({kind, "period"} if dated else {kind}),  # "last_order_date"
                          a.column if kind != "count" else None,
                          _counted(d, a.provenance, a.column) if kind == "count" else frozenset(),
                          _value_words(a.alias, a.provenance)))  # fmt: skip
    for x in d.derived:  # a period ("per year" → year(...)), or of no kind a name could contradict
        kinds = frozenset({"period"}) if _PERIOD_SQL.search(x.expression) else frozenset()
        out.append(_Value(x.name, kinds, None, frozenset(), _value_words(x.name, x.provenance)))
    for w in d.windows:
        out.append(_Value(w.name, _window_kinds(w), w.column if w.function != "count" else None,
                          _counted(d, w.provenance, w.column) if w.function == "count" else frozenset(),
                          _value_words(w.name, w.provenance)))  # fmt: skip
    return out


def _window_kinds(w: WindowColumn) -> frozenset[str]:
    """A rank, a previous/next value, a share, or a running or moving sum/average/count (or over the partition)."""
    if w.function in ("rank", "dense_rank", "row_number", "percent_rank", "ntile"):
        return frozenset({"rank"})
    if w.function in ("lag", "lead", "share"):
        return frozenset({w.function})
    return frozenset({w.function, "running" if w.frame == "running" else "moving" if w.preceding else w.function})


def _counted(d: Work, provenance: str | None, column: str | None) -> frozenset[str]:
    """The tables whose rows a count counts: its column's, and those the words that defined it name."""
    found: set[str | None] = {owner_table(d.catalog, column)} if column and "." in column else {d.base}  # count(*): the rows'
    play = in_play(d)
    for w in re.findall(r"[A-Za-z]+", provenance or ""):
        hits = d.linker.tables(w) if w.lower() not in STOPWORDS else []
        if hits and hits[0].score >= 0.85 and hits[0].table in play:
            found.add(hits[0].table)  # "the number of subscriptions" per plan: subscriptions, joined to plans
    return frozenset(t for t in found if t)


def _content(words: Iterator[str] | list[str]) -> frozenset[str]:
    """Words that say what a value is about (not how it is computed): singular, no glue, no kind words."""
    kind_words = set().union(*_KIND_WORDS.values(), _EITHER_KIND)
    return frozenset(normalize(w) for w in words if w and not w.isdigit() and w.lower() not in NON_SCHEMA_WORDS
                     and w.lower() not in kind_words and len(w) > 1)  # fmt: skip


def _value_words(name: str, provenance: str | None) -> frozenset[str]:
    return _content([*name.lower().split("_"), *re.findall(r"[a-z]+", (provenance or "").lower())])


def _kinds(name: str) -> frozenset[str]:
    """The kinds of value the words of a name say ("n_orders": count; "total_x": a sum or a count)."""
    kinds: set[str] = set()
    words = re.split(r"[_\s]+", name.strip().lower())
    for before, w in zip(["", *words], words, strict=False):
        if before in ("per", "a", "each", "every") and w in _KIND_WORDS["period"]:
            continue  # "orders_per_day": a rate, not a day
        kinds |= _EITHER_KIND.get(w, set()) | {k for k, ws in _KIND_WORDS.items() if w in ws}
    return frozenset(kinds)


def _name_evidence(d: Work, name: str) -> _Name:
    """What a name's words say: its kinds, the columns and tables its other words name, those words."""
    content = [w for w in re.split(r"[_\s]+", name.strip().lower()) if _content([w])]
    columns: set[str] = set()
    tables: set[str] = set()
    play = in_play(d)
    for phrase in {*content, " ".join(content)} - {""}:
        if play:
            columns |= {f"{h.table}.{h.column}".lower() for h in d.linker.columns(phrase, play)
                        if h.score >= _COLUMN_WORD_SCORE}  # fmt: skip
        hits = d.linker.tables(phrase)
        if " " not in phrase and hits and hits[0].score >= _NOUN_SCORE:
            tables.add(hits[0].table)
    return _Name(_kinds(name), frozenset(columns), frozenset(tables), _content(content))


def _fit(n: _Name, v: _Value) -> int | None:
    """How many of the name's clues point at ``v`` (0: none, but none against it); None when one is against it:
    a kind it is not ("how_many" for an average), or another column than the one it is computed over."""
    if n.kinds and v.kinds and not n.kinds & v.kinds:
        return None
    if n.columns and v.column and v.column.lower() not in n.columns:
        return None
    return (bool(n.kinds & v.kinds) + bool(v.column and v.column.lower() in n.columns)
            + bool(n.tables & v.counted) + bool(n.words & v.words))  # fmt: skip


@dataclass(frozen=True)
class Binding:
    """The names of a list's computed values: each name → the value it names, or the tuple of values that
    could fit it (several: the request must say which; none: no value fits); ``pool``: the values to name."""

    names: dict[str, str | tuple[str, ...]]
    pool: tuple[str, ...] = ()


def bind_names(d: Work, names: list[str], pool: list[_Value]) -> Binding:
    """Each name → the one value of ``pool`` that fits it, or the values that could. A name binds when one
    value fits it, or when its clues point at one value more than at any other; each value takes at most
    one name, and two names that fit one value equally well bind neither."""
    clues = {n: _name_evidence(d, n) for n in dict.fromkeys(names)}
    left, vals = list(clues), list(pool)
    out: dict[str, str | tuple[str, ...]] = {}
    changed = True
    while changed and left and vals:
        budget.check()
        changed = False
        picks: dict[str, list[tuple[int, str]]] = {}
        for n in left:
            scores = {v.name: s for v in vals if (s := _fit(clues[n], v)) is not None}
            if not scores:
                continue
            best = max(scores.values())
            top = [v for v, s in scores.items() if s == best]
            if len(scores) == 1 or (best > 0 and len(top) == 1):
                picks.setdefault(top[0], []).append((best, n))
        for v, by in picks.items():
            by.sort(reverse=True)
            if len(by) > 1 and by[0][0] == by[1][0]:
                continue  # two names fit this value as well: neither is bound
            out[by[0][1]] = v
            left.remove(by[0][1])
            vals = [x for x in vals if x.name != v]
            changed = True
    for n in left:
        out[n] = tuple(v.name for v in vals if _fit(clues[n], v) is not None)
    return Binding(out, tuple(v.name for v in pool))


def _pool(d: Work, refs: set[str]) -> list[_Value]:
    """The values a new name may name: those the request did not name (group keys computed from a period
    word too: "per year" makes ``year``, which a list may call ``yr``), less those the list names (``refs``)."""
    computed = _values(d)
    unwritten = set(_unwritten(d.prompt, tuple(v.name for v in computed)))
    keys = {g.lower() for g in d.group_by}
    return [v for v in computed if (v.name in unwritten or v.name.lower() in keys and "period" in v.kinds)
            and v.name.lower() not in refs]  # fmt: skip


def name_target(d: Work, name: str) -> str | None:
    """The computed value a new name written apart from the list names ("orders per customer as order_count"):
    the one value whose name the request did not write, unless the name's words are against it."""
    computed = _values(d)
    unwritten = set(_unwritten(d.prompt, tuple(v.name for v in computed)))
    left = [v for v in computed if v.name in unwritten]
    return left[0].name if len(left) == 1 and _fit(_name_evidence(d, name), left[0]) is not None else None


def _trimmed(d: Work, words: list[Token], tw: set[str]) -> str | None:
    """A piece's own words when others' words (and glue) end it ("falls_due_on as a date")."""
    cut = next((k for k, t in enumerate(words) if d.held(t) and t.low not in tw), None)
    if cut is None or cut == 0 or not all(d.held(t) or t.low in STOPWORDS or t.low in tw for t in words[cut:]):
        return None
    if all(t.low in STOPWORDS for t in words[:cut]):
        return None  # "and a rate_band: ...": an article is no item; the words after it are the item
    named = _ITEM_RENAME.match(d.prompt[words[0].start : words[-1].end])
    if named and (named.group("dst") or named.group("dst3")) and named.start("dst" if named.group("dst") else "dst3") >= (
            words[cut].start - words[0].start):  # fmt: skip
        return None  # "the year in a column named yr" where another recognizer read "named yr": no item without its name
    tables = [t for t in words[cut:] if t.low in tw and not d.held(t)]
    last = cut - 1
    while last > 0 and words[last].low in _OWNER_GLUE:
        last -= 1
    if last < cut - 1 and len(tables) == 1:  # "the unit_price of active products": the column of that table
        return f"{d.prompt[words[0].start : words[last].end]} {words[last + 1].text} {tables[0].text}"
    if tables:
        return None  # a table word after others' words, not said to own the item
    return d.prompt[words[0].start : words[cut - 1].end]


_OWNER_GLUE = frozenset({"of", "for", "from"})


def _unquantified(d: Work, words: list[Token]) -> str | None:
    """A piece without the quantifier another recognizer read ("every product's name")."""
    if len(words) < 2 or not d.held(words[0]) or not _DETERMINER.fullmatch(words[0].low) or any(
            d.held(t) for t in words[1:]):  # fmt: skip
        return None
    return d.prompt[words[1].start : words[-1].end]


def _list_binding(d: Work, start: int, pieces: list[tuple[str, int, int]], tw: set[str]) -> Binding:
    """The names of a list's pieces bound to the computed values the other pieces do not name."""
    snap = d.snapshot()
    refs: set[str] = set()
    names = []
    for raw, at, _ in pieces:
        words = _piece_words(d, start + at, raw)
        p = _MASKED_NOTE.sub("", raw)
        p = (_trimmed(d, words, tw) or _unquantified(d, words) or p) if words else p
        m = _ITEM_RENAME.match(p)
        src = (m.group("src") or m.group("src2") or m.group("src3")) if m else p
        play, before = set(in_play(d)), d.snapshot()
        ref = item_ref(d, src) if src.strip() else None
        if ref is not None and m is None and _loose_link(d, p, OutputColumn(column=ref), play):
            names.append(p.strip())  # "hires" ~ hire_date, which the request neither groups nor measures
            d.restore(before)
        elif ref is not None:
            refs.add(ref.lower())
        elif _name_shaped(d, p):
            names.append(p.strip())
    d.restore(snap)
    if not names:
        return Binding({})
    pool = _pool(d, refs)
    plural = {t for n in names if (t := _plural_table(d, n))}  # "browser, sessions": the count of sessions,
    pool += [v for v in _values(d) if v.counted & plural and v not in pool and v.name.lower() not in refs]  # named
    return bind_names(d, names, pool)


def _loose_link(d: Work, piece: str, col: OutputColumn, play: set[str]) -> bool:
    """A plain word of a list of an aggregating request that the linker ties to a source column that is neither
    grouped nor measured, only loosely: as the plural of the column's word ("hires" ~ hire_date, "launches" ~
    launch_date) or of an event the column dates ("signups" ~ created_at), or as a column of a table the request had not brought in (``play``: "revenue" ~ the amount of
    invoices, in a request about appointments). The word may then name a value the request computes."""
    ref = (col.column or "").lower()
    w = piece.strip()
    if not d.aggregations or "." not in ref or col.name or not re.fullmatch(r"[A-Za-z]+", w):
        return False
    if ref in {g.lower() for g in d.group_by} or any((a.column or "").lower() == ref for a in d.aggregations):
        return False
    if owner_table(d.catalog, ref) not in play:
        return True
    words = ref.rsplit(".", 1)[-1].split("_")
    plural = [x for x in lemmas(w.lower()) if len(x) < len(w)]
    # a plural of the column's word ("hires" ~ hire_date), or the plural of an event dated by it ("signups" ~ created_at)
    return bool(plural) and (any(x in words for x in plural) or family(d, col.column or "") in ("date", "timestamp"))


def _plural_table(d: Work, word: str) -> str | None:
    """The table a plural word names exactly ("sessions"), if any."""
    if not re.fullmatch(r"[A-Za-z]+", word) or not any(len(w) < len(word) for w in lemmas(word)):
        return None
    named = d.linker.tables(word)
    return named[0].table if named and named[0].score >= 0.97 else None


def _bound(d: Work, name: str, binding: Binding, ends: bool, raises: bool = True) -> OutputColumn | None:
    """The item a name of a computed value makes, or None; a name several values fit (or none, for a new
    snake_case name) where an item must be refuses (``ends``)."""
    hit = binding.names.get(name)
    if isinstance(hit, str):
        return OutputColumn(column=hit, name=name, provenance=name)
    if hit is not None and ends and (raises or len(hit) > 1):
        raise _unbound_error(d, name, hit, binding.pool)
    return None


def _name_shaped(d: Work, piece: str) -> bool:
    """A new snake_case name, or one plain word that names no column or value (a plural table word
    may: "ward, nurses" names the count of nurses)."""
    w = piece.strip()
    if new_name(d, w):
        return True
    if not re.fullmatch(r"[A-Za-z]+\d*", w) or w.lower() in NON_SCHEMA_WORDS and not _kinds(w) or any(
            t.has_column(w) for t in d.catalog.tables.values()):  # fmt: skip
        return False  # ("total", "biggest", "n" are names; "first" in "first and last name" is none)
    named = d.linker.tables(w)
    if named and named[0].score >= 0.97 and not any(len(x) < len(w) for x in lemmas(w)):
        return False  # a table's name in the singular ("account"): its key in the rows, not a name
    play = in_play(d)
    return not any(h.score >= _MIN_SCORE for h in (d.linker.columns(w, play) if play else []))


def _unbound_error(d: Work, name: str, fits: tuple[str, ...], pool: tuple[str, ...]) -> PlanError:
    """Why a name in the list names no computed value: several fit it, another name fits its value as well,
    or none fits (its words say another kind, or another column, than any value the request computes)."""
    if len(fits) > 1:
        return PlanError(f"the output list names '{name}', which could be any of {', '.join(fits)} (values the "
                         f"request computes without naming them)",
                         hint=f"name the value where the request describes it ('... as {name}')")  # fmt: skip
    if fits:
        return PlanError(f"the output list gives {fits[0]} two names: '{name}' and another that fits it as well",
                         hint=f"give {fits[0]} one name ('... as {name}')")
    return PlanError(f"the output list names '{name}', which is neither a column nor a value the request computes"
                     + (f" (it does not fit {', '.join(pool)})" if pool else ""),
                     hint=column_error(d, name).hint)  # fmt: skip


@functools.lru_cache(maxsize=64)
def _unwritten(prompt: str, names: tuple[str, ...]) -> list[str]:
    """The names the request does not write (asked once per list start: cached)."""
    return [n for n in names if not re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", prompt, re.I)]


#: one word after a possessive ("the customer's first"): the word may share the next item's head noun
_OWNED_WORD = re.compile(r"^(?:the\s+|their\s+|its\s+)?(?:[A-Za-z_]+['\u2019]s?\s+)?[A-Za-z_]+$")


def _last_word_unread(piece: str, col: OutputColumn) -> bool:
    """The item's last word is no word of the column it was read as ("the customer's first" → customer_id)."""
    words = re.findall(r"[A-Za-z]+", piece.lower())
    name = (col.column or "").rsplit(".", 1)[-1].lower()
    return bool(words) and bool(name) and words[-1] not in name.split("_") and words[-1] not in name


def _pieces(segment: str) -> Iterator[tuple[str, int, int]]:
    pos = 0
    for m in _SEPARATOR.finditer(segment):
        if m.start() > pos:
            yield segment[pos : m.start()], pos, m.start()
        pos = m.end()
    if pos < len(segment) and segment[pos:].strip():
        yield segment[pos:], pos, len(segment.rstrip())


def _parse_item(d: Work, piece: str) -> OutputColumn | None:
    piece = piece.strip().strip("`")
    if not piece:
        return None
    m = _ITEM_RENAME.match(piece)
    src, name = (piece, None)
    if m:
        src = m.group("src") or m.group("src2") or m.group("src3")
        name = m.group("dst") or m.group("dst2") or m.group("dst3")
    elif put := _put_in(d, piece):  # "the count in signups": that value, under the name after "in"
        return put
    ref = item_ref(d, src)
    if ref is None:
        return None
    if name and name.lower() == ref.split(".")[-1].lower():
        name = None
    if not name and "." not in ref and new_name(d, src) and src.strip().lower() != ref.lower():
        name = src.strip()  # "price_rank" for the rank the request computes (unit_price_rank): the name written
    elif not name and "." not in ref and _plain_new_word(d, src, ref):
        name = src.strip()  # "tier" for "map plan_code onto a price tier: ...": the noun the request gave it
    written = src.strip()
    if not name and "." in ref and "_" in written and IDENT.fullmatch(written) and not spelt_as(written, ref.split(".")[-1]):
        name = written  # "doctor_last_name" for doctors.last_name: the column under the name written (not a typo of it)
    return OutputColumn(column=ref, name=name, provenance=piece)


_PUT_IN = re.compile(r"^(?P<src>.+?)\s+in\s+(?:(?P<col>(?:(?:a|an|its\s+own|a\s+new)\s+)?(?:column|field)\s+"
                     r"(?:called|named))\s+)?(?P<dst>[A-Za-z_]\w*)$", re.I)


def _put_in(d: Work, piece: str) -> OutputColumn | None:
    """"the count in signups", "the total in amount_sum": a value the request computes, put in a column of the
    name after "in" — a new name, or a plain word that is no unit, period, column, table or value ("the total
    in euros" is a unit)."""
    m = _PUT_IN.match(piece)
    if m is None:
        return None
    ref = defined_name(d, m.group("src"))
    dst = m.group("dst")
    if ref is None or ref.lower() == dst.lower() or not (m.group("col") or new_name(d, dst) or _free_word(d, dst)):
        return None
    return OutputColumn(column=ref, name=dst, provenance=piece)


def _free_word(d: Work, w: str) -> bool:
    """One plain word that names nothing: no unit, period or glue word, no table, column or value."""
    low = w.lower()
    if not re.fullmatch(r"[A-Za-z]+", w) or low in NON_SCHEMA_WORDS or low in UNIT_WORDS or low in DATE_WORDS or (
            low in MONTHS):  # fmt: skip
        return False
    if any(t.has_column(w) for t in d.catalog.tables.values()) or d.linker.values(w):
        return False
    tables = d.linker.tables(w)
    if tables and tables[0].score >= 0.85:
        return False
    play = in_play(d)
    return not any(h.score >= _MIN_SCORE for h in (d.linker.columns(w, play) if play else []))


def _plain_new_word(d: Work, src: str, ref: str) -> bool:
    """``src`` is one plain word, no column of the tables in play, and not a part of the computed name ``ref``
    (which it names through the words that defined it): the name the list gives that value."""
    w = src.strip()
    return (bool(re.fullmatch(r"[A-Za-z]+", w)) and w.lower() not in STOPWORDS
            and w.lower() not in ref.lower().split("_")
            and not any(d.catalog.table(t).has_column(w) for t in in_play(d)))  # fmt: skip


def _heading(d: Work, list_start: int) -> None:
    """A short heading before a colon ("customer contact sheet: ...") names the result; claim its nouns."""
    before = d.prompt[:list_start]
    if ":" not in d.prompt[list_start : list_start + 2] or len(before.split()) > 5:
        return
    nouns = tuple((t.start, t.end) for t in d.tokens.items if t.end <= list_start and t.low in HEADING_WORDS)
    if nouns:
        d.take(nouns, why="the heading names the result")


def _grain(d: Work, end: int) -> str | None:
    """"... for every customer" right after the list: one row per row of a table in play (returned)."""
    m = _GRAIN.match(d.prompt[end:])
    if m is None:
        return None
    hits = d.linker.tables(m.group("t"))
    if hits and hits[0].table in in_play(d) and hits[0].score >= 0.85:
        d.take(((end, end + m.end()),), why="one row per row of the table")
        return hits[0].table
    valued = _VALUED_GRAIN.match(d.prompt, end + m.start("t"))  # "for each Volvo vehicle": a value, then the table
    if valued and d.linker.values(m.group("t")):
        hits = d.linker.tables(valued.group("t2"))
        if hits and hits[0].table in in_play(d) and hits[0].score >= 0.85:
            d.take(((end, end + m.start("t")), (valued.start("t2"), valued.end("t2"))), why="one row per row of the table")
            return hits[0].table
    return None


_VALUED_GRAIN = re.compile(r"[A-Za-z_]\w*\s+(?P<t2>[A-Za-z_]\w*)\b")


def _with_key(d: Work, items: list[OutputColumn], scope: str, end: int) -> list[OutputColumn]:
    """"the phone of each supplier": one value per supplier, which the rows say with the supplier's key (first),
    unless the table has none; a list of several columns ("first and last name of every supplier") says
    what each row holds, and "of all suppliers" lists the values only."""
    grain = _GRAIN.match(d.prompt[end:])
    info = d.catalog.table(scope)
    if grain is None or not re.search(r"\b(?:each|every)\b", grain.group(), re.I) or len(info.primary_key) != 1:
        return items
    if len(items) != 1:
        return items
    key = f"{info.name}.{info.primary_key[0]}"
    if any((c.column or "").lower() == key.lower() for c in items):
        return items
    return [OutputColumn(column=key, provenance=grain.group().strip(" ,")), *items]


def _rescope(d: Work, items: list[OutputColumn], scope: str) -> list[OutputColumn]:
    """"first_name, last_name and email of employees": the list's table holds every item it has."""
    info = d.catalog.table(scope)
    out = []
    for c in items:
        table, _, bare = (c.column or "").rpartition(".")
        if table and table != scope and info.has_column(bare):
            c = c.model_copy(update={"column": f"{scope}.{info.column(bare).name}"})
        out.append(c)
    d.use_table(scope)
    mentioned = {m.table for m in d.mentions if isinstance(m, TableMatch)}
    if d.base != scope and d.base not in mentioned:  # the base was only guessed from the columns' owners
        d.edit(*unreferenced(d, d.base or "", keep=scope), why="the list's table")
    return out


def _home_rows(d: Work, items: list[OutputColumn]) -> list[OutputColumn]:
    """A column name written as is that several tables in play have ("loan_id, member_id, due_on")
    is the column of the table most of the list's items come from (the rows listed), not another's copy
    of the key; the other table is then not joined for it. (Not when the base's unmatched rows are kept.)"""
    owners = Counter(owner_table(d.catalog, c.column or "") for c in items if "." in (c.column or ""))
    ranked = owners.most_common(2)
    if d.preserve_base or not ranked or ranked[0][1] < 2 or len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return items
    home = d.catalog.table(ranked[0][0])
    out, moved = [], set()
    for c in items:
        table, _, bare = (c.column or "").rpartition(".")
        said = (c.provenance or "").strip().strip("`")
        if table and table != home.name and home.has_column(bare) and said.lower() == bare.lower():
            c = c.model_copy(update={"column": f"{home.name}.{home.column(bare).name}"})
            moved.add(table)
        out.append(c)
    d.use_table(home.name)
    for t in moved:
        d.edit(*unreferenced(d, t, keep=home.name), why="the rows listed")
    return out


def _column_count(d: Work, m: re.Match[str], n_items: int) -> None:
    """"with only three columns: a, b, c": the count must agree (and is not a row limit)."""
    raw = m.group("n").lower()
    n = _NUMBER_WORDS.get(raw) or (int(raw) if raw.isdigit() else None)
    if n is None:
        return
    if n != n_items:
        raise PlanError(f"'{m.group(0).strip()}' but {n_items} columns are listed", hint="list every column")
    edits: tuple[Edit, ...] = ()
    if d.limit == n:  # ordering reads "only three" as a row limit before the word "columns" shows otherwise
        d.limit = None
        edits = (Edit.set("limit", None),)
    d.take(((m.start(), m.end()),), *edits, why="the count of columns")


