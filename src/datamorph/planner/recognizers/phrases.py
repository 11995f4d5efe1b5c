"""Phrase helpers of the aggregate recognizers: words after or before a position, the table or
column a phrase names, values of a table, names written next to a measure, default aliases.
"""

from __future__ import annotations

import bisect
import functools
import re

from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import lemmas, phrase_tokens
from datamorph.planner.lexicon import singular as singular
from datamorph.planner.linking import ColumnMatch, TableMatch, ValueMatch
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.recognizers.derived import clean_phrase, snake
from datamorph.planner.recognizers.derivekit import is_key as is_key
from datamorph.planner.recognizers.filter_base import unprefixed
from datamorph.planner.refs import split_column
from datamorph.planner.text import Token, find_words
from datamorph.spec import Filter

NUMERIC = ("integer", "float", "decimal", "numeric", "number")
TEMPORAL = ("date", "timestamp", "datetime")

# Words that end a measure's or a group key's phrase.
BOUNDARY = frozenset("""
per by for in each every and or with where whose who that which as called named rounded round including
across grouped broken split from to than over on at is are was were be been of having sorted ordered
ranked plus also but only not then into showing listing along while if when percent
percentage share ratio fraction rate excluding except among within under above below more less fewer greater
times between x without lacking not no never
""".split())  # fmt: skip

_AGG_WORD = re.compile(
    r"^(?:total|sum|average|avg|mean|count|number|minimum|min|maximum|max|highest|lowest|largest|smallest|"
    r"combined|overall|median|how|distinct|unique)$", re.I)  # fmt: skip
_ATTRIBUTE = re.compile(r"\s(?:ids?|keys?|codes?|numbers?|names?|titles?|labels?|types?|dates?|emails?)$")  # a column
_NAME = re.compile(r"^\s*(?:,\s*)?\(?\s*(?:(?:as|called|named|aliased(?:\s+as)?|labelled|labeled|into\s+a\s+column)\s+|"
                   r"call\s+it\s+)[`'\"]?(?P<n>[A-Za-z_]\w*)(?!-\w)[`'\"]?\s*\)?", re.I)  # fmt: skip
_NAME_BEFORE = re.compile(
    r"\b(?P<n>[A-Za-z_]\w*)\s*(?:=|:)\s*$|\b(?:called|named)\s+(?P<n2>[A-Za-z_]\w*)\s*(?:=|:|,)?\s*$"
)
_NOT_NAMES = frozenset({"it", "the", "a", "an", "is", "and", "with", "per", "each", "total", "count", "columns", "column",
                        "output", "show", "return", "include", "then", "be", "percentage", "percent", "share"})  # fmt: skip


# -- phrases -------------------------------------------------------------------------------------------


def planned_spans(d: Work) -> list[tuple[int, int]]:
    """The words of the row filters and derived columns other recognizers planned (by their provenance), and of
    the tie clauses ``ordering.tie_hold`` holds."""
    low = d.prompt.lower()
    found = []
    for el in [*d.filters, *d.derived, *d.windows, *([d.dedupe] if d.dedupe else [])]:  # a row pick's order is no measure
        prov = (el.provenance or "").lower()
        i = find_words(low, prov)
        if i >= 0:
            found.append((i, i + len(prov)))
    # a tie clause held for the order ("ties: lowest id" is no minimum, "break ties by id" no grouping)
    found.extend(s for r in d.view.records if r.recognizer == "ordering.tie_hold" for s in r.spans)
    return found


def planned(d: Work, start: int, end: int) -> bool:
    """A word of ``[start, end)`` lies in the words of a row filter or a derived column already planned.

    Not whether the words are free (:meth:`Work.free`): such words are part of an element of the
    plan, so no measure, group or condition on a measure reads them, while words merely held (a
    table's name) may still be part of a measure's phrase ("number of orders").
    """
    spans = planned_spans(d)
    return any(s <= t.start and t.end <= e for t in d.tokens.within(start, end) if t.kind != "punct" for s, e in spans)


def tokens_from(d: Work, pos: int, limit: int = 5) -> list[Token]:
    """Word tokens from character ``pos`` up to a boundary word, punctuation or another recognizer's words."""
    out: list[Token] = []
    items = d.tokens.items
    first = bisect.bisect_right(items, pos, key=lambda t: t.end)  # (the tokens ending after pos)
    for i in range(first, len(items)):
        t = items[i]
        if t.end <= pos:
            continue
        if _hyphen_inside(items, i):
            continue  # "no-show", "follow-up": one word, written with a hyphen
        if t.kind != "word" or planned(d, t.start, t.end) or len(out) >= limit:
            break
        if t.low in BOUNDARY and not (out and inside_a_name(d, t)) and not _hyphened(items, i):
            break
        out.append(t)
    return out


def _hyphen_inside(items: list[Token], i: int) -> bool:
    """``items[i]`` is a hyphen between two words, touching both ("no-show")."""
    t = items[i]
    return (t.text == "-" and 0 < i < len(items) - 1 and items[i - 1].kind == "word" and items[i + 1].kind == "word"
            and items[i - 1].end == t.start and items[i + 1].start == t.end)  # fmt: skip


def _hyphened(items: list[Token], i: int) -> bool:
    """``items[i]`` is a word joined to the one before or after it by a hyphen ("no" of "no-show")."""
    return i + 1 < len(items) and _hyphen_inside(items, i + 1) or i > 0 and _hyphen_inside(items, i - 1)


def tokens_before(d: Work, pos: int, limit: int = 4) -> list[Token]:
    """Word tokens ending at or before ``pos``, nearest last, stopping at a boundary or punctuation."""
    out: list[Token] = []
    items = d.tokens.items
    for t in reversed(items[: bisect.bisect_left(items, pos, key=lambda t: t.start)]):  # (those starting before pos)
        if t.start >= pos:
            continue
        if t.kind != "word" or len(out) >= limit or t.low in BOUNDARY and not inside_a_name(d, t, before=True):
            break
        out.insert(0, t)
    return out


def inside_a_name(d: Work, t: Token, before: bool = False) -> bool:
    """``t`` is a word of a column's name of several words, not its first (or, reading backwards, not its
    last): "hourly rate", "cost per unit" name hourly_rate and cost_per_unit, so "rate" and "per" do not
    end the phrase there."""
    return any(isinstance(m, ColumnMatch) and m.score >= 0.9 and m.start <= t.start and t.end <= m.end
               and (t.end < m.end if before else m.start < t.start) for m in d.mentions)  # fmt: skip


def text_of(d: Work, toks: list[Token]) -> str:
    return d.prompt[toks[0].start : toks[-1].end] if toks else ""



@functools.lru_cache(maxsize=16)
def _table_forms(names: tuple[str, ...]) -> dict[str, str]:
    """Each way a phrase names a table whole ("orders", "order", "line items"), first table first."""
    forms: dict[str, str] = {}
    for name in names:
        for form in (name.lower(), singular(name), name.lower().replace("_", " "), singular(name).replace("_", " ")):
            forms.setdefault(form, name)
    return forms


_COMPOUND = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def _loose_compound(d: Work, p: str) -> bool:
    """A phrase of several words with a hyphenated word in it that names no table or column by itself ("no-show
    appointments"): the linker drops edge words it deems small ("no", "show"), but a word written with a hyphen
    is one word, and here a data value, so the phrase names no table or column as a whole."""
    return any(c != p and table_of(d, c) is None and column_of(d, c) is None for c in _COMPOUND.findall(p))


def whole_table(d: Work, phrase: str) -> str | None:
    """The table a phrase is the name of ("doctors", "the order lines"), with no fuzzy or partial match."""
    return _table_forms(tuple(t.name for t in d.catalog.tables.values())).get(clean_phrase(phrase).lower())


def table_of(d: Work, phrase: str) -> str | None:
    """The table a phrase names ("orders", "customer", "staff"), if it names one as a whole."""
    p = clean_phrase(phrase).lower()
    if not p or _AGG_WORD.match(p) or _ATTRIBUTE.search(p):
        return None
    whole = _table_forms(tuple(t.name for t in d.catalog.tables.values())).get(p)
    if whole is not None:
        return whole
    said = {t for t, words in getattr(d, "table_words", {}).items() if words.lower() == p}
    if len(said) == 1:  # "completed visits": the word read in this request as appointments (not web sessions)
        return said.pop()
    if _loose_compound(d, p):
        return None
    hits = d.linker.tables(p)
    if not hits:
        return None
    best = hits[0]
    words = p.split()
    if len(words) > 1:  # "reversed transactions", "transactions x": a word that names a table decides
        named = {table_of(d, w) for w in words} - {None}
        if named and best.table not in named:
            return None
    if best.score < 0.75:  # a partial word of a table name ('status' of status_counts) is no entity
        return None
    text = (getattr(best, "text", "") or p).lower()
    return best.table if len(text) >= len(p) - 1 else None


def column_of(d: Work, phrase: str, tables: list[str] | None = None) -> str | None:
    """The qualified column a phrase names, preferring tables in play and their neighbours."""
    p = clean_phrase(phrase)
    if not p or _AGG_WORD.match(p):
        return None
    if "." in p:
        t, _, c = p.partition(".")
        if d.catalog.has_table(t) and d.catalog.table(t).has_column(c):
            return f"{d.catalog.table(t).name}.{d.catalog.table(t).column(c).name}"
    if _loose_compound(d, p.lower()):
        return None
    scopes: list[list[str] | None] = [tables] if tables else [d.in_play(), _neighbours(d), None]
    for scope in scopes:
        if scope is not None and not scope:
            continue
        hits = d.linker.columns(p, scope) if scope is not None else d.linker.columns(p)
        hits = [h for h in hits if _covers(h, p)]
        if hits:
            return f"{hits[0].table}.{hits[0].column}"
    return None


def _covers(hit: object, phrase: str) -> bool:
    """The linker's match accounts for the whole phrase, not one word of a longer one."""
    text = str(getattr(hit, "text", "") or phrase).lower()
    return len(text.split()) >= len(phrase.split()) or len(phrase.split()) == 1


def _neighbours(d: Work) -> list[str]:
    """Tables one foreign key away from the tables in play."""
    play = {t.lower() for t in d.in_play()}
    out: list[str] = []
    for t in d.catalog.tables.values():
        for fk in t.foreign_keys:
            if t.name.lower() in play and fk.ref_table.lower() not in play:
                out.append(fk.ref_table)
            elif fk.ref_table.lower() in play and t.name.lower() not in play:
                out.append(t.name)
    return list(dict.fromkeys(out))


def family(d: Work, column: str) -> str:
    if "." not in column:
        return "other"
    t, c = split_column(d.catalog, column)
    return (
        d.catalog.table(t).column(c).family
        if d.catalog.has_table(t) and d.catalog.table(t).has_column(c)
        else "other"
    )


def derived_at(d: Work, start: int, end: int) -> str | None:
    """The derived column whose words lie in (or overlap) the span [start, end)."""
    low = d.prompt.lower()
    for dc in d.derived:
        prov = (dc.provenance or "").lower()
        i = find_words(low, prov)
        if i >= 0 and i < end and i + len(prov) > start:
            return dc.name
    return None


def value_conditions(d: Work, words: list[Token], table: str) -> list[Filter] | None:
    """Values of ``table`` the words name ("cancelled", "web"), as conditions; None if a word is not one."""
    conds: list[Filter] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + 3), i, -1):
            phrase = text_of(d, words[i:j])
            hits = [h for h in d.linker.values(phrase, [table]) if _covers(h, phrase)]
            negated = False
            if not hits and j == i + 1 and (rest := unprefixed(phrase)) is not None:  # "unpaid": the value, negated
                hits = [h for h in d.linker.values(rest, [table]) if not isinstance(h.value, bool) and h.score >= 0.88]
                negated = True
            if hits:
                h = hits[0]
                conds.append(Filter(column=f"{h.table}.{h.column}", operator="!=" if negated else "=", value=h.value,
                                    provenance=phrase))  # fmt: skip
                i = j
                break
            if j == i + 1 and (flag := state_word(d, phrase, table)) is not None:
                conds.append(Filter(column=flag, operator="=", value=True, provenance=phrase))
                i = j
                break
        else:
            return None
    return conds


def state_word(d: Work, word: str, table: str) -> str | None:
    """The true/false column of ``table`` a word names by the last word of its name or its noun ("insured" →
    is_insured, "students" → is_student): the one such column, or None."""
    forms = lemmas(word.lower()) | {word.lower().removesuffix("s")}
    found = [c.name for c in d.catalog.table(table).columns if c.family == "boolean"
             and (last := phrase_tokens(c.name)[-1:]) and (last[0] in forms or lemmas(last[0]) & forms
                                                            or f"{last[0]}s" == word.lower())]  # fmt: skip
    return f"{d.catalog.table(table).name}.{found[0]}" if len(found) == 1 else None


def name_after(d: Work, end: int) -> tuple[str, int] | None:
    """An alias written right after a measure: "as order_count", "called total_spend", "(call it n)"."""
    m = _NAME.match(d.prompt[end:])
    if m and m.group("n").lower() not in _NOT_NAMES and not _is_column(d, m.group("n")):
        return m.group("n"), end + m.end()
    return None


def name_before(d: Work, start: int) -> tuple[str, int] | None:
    """An alias written right before a measure: "order_count = number of orders"."""
    window = d.prompt[max(0, start - 40) : start]
    m = _NAME_BEFORE.search(window)
    if m:
        name = m.group("n") or m.group("n2")
        if name.lower() not in _NOT_NAMES and not _is_column(d, name) and not d.catalog.has_table(name):
            return name, start - len(window) + m.start()
    return None


def _is_column(d: Work, word: str) -> bool:
    return any(t.has_column(word) for t in d.catalog.tables.values())


def default_alias(fn: str, target: str | None, table: str | None, conds: list[Filter]) -> str:
    prefix = "_".join(("not_" if c.operator == "!=" else "") + snake(
        str(c.provenance or c.column.split(".")[-1]) if isinstance(c.value, bool) else str(c.value))  # "students"
        for c in conds)  # fmt: skip
    prefix = prefix + "_" if prefix else ""
    if fn == "count" and target is None:
        return f"{prefix}{singular(table or 'row')}_count"
    bare = (target or "value").split(".")[-1]
    if fn == "count":
        return f"{prefix}{bare}_count"
    if fn == "count_distinct":
        stem = re.sub(r"_(id|key|code|no|number)$", "", bare)
        return f"{prefix}distinct_{stem}_count"
    word = {"sum": "total", "avg": "avg", "min": "min", "max": "max"}[fn]
    return f"{prefix}{word}_{bare}"


def reserved(d: Draft) -> set[int]:
    """ids of the tokens :func:`reserve` set aside."""
    return {id(t) for a, b in d.reserved for t in d.tokens.items if a <= t.start and t.end <= b}


def d_has(d: Work, name: str) -> bool:
    """``name`` is a table or a column of the warehouse."""
    return d.catalog.has_table(name) or _is_column(d, name)


def mention_at(d: Work, m: TableMatch | ColumnMatch | ValueMatch) -> tuple[int, int] | None:
    """Where a linker mention's words first occur in the request (word-bounded, case-insensitive).

    The first occurrence, not the mention's own offsets: "revenue summed over order lines (... every order)"
    reads the table named by "order" as covered by the measure's words. (Kept as it was in this refactor:
    with the offsets, that request joins orders as well.)
    """
    found = re.search(rf"\b{re.escape(m.text)}\b", d.prompt, re.I) if m.text else None
    return (found.start(), found.start() + len(m.text)) if found else None


# -- what follows a column: its table, the path to the group --------------------------------------


_THROUGH = re.compile(
    r"\s*(?:on|in|across|from|of|under)\s+(?:every|each|all|the|their|his|her|its)\s+(?P<t>[A-Za-z_]\w*)\s+"
    r"(?:(?:they|he|she|it|we|you)\s+)?(?:hold|holds|held|own|owns|owned|have|has|had|opened|use|uses|manage|manages)\b",
    re.I,
)  # fmt: skip


def through(d: Work, end: int) -> int:
    """ "distance of each trip across all vehicles they manage": the path to the grouped entity."""
    m = _THROUGH.match(d.prompt[end:])
    table = table_of(d, m.group("t")) if m else None
    if m is None or table is None:
        return end
    d.use_table(table)
    return end + m.end()


def owner_after(d: Work, end: int) -> str | None:
    """The table named right after a column phrase ("amount of every transaction" → transactions)."""
    m = _OF.match(d.prompt[end:])
    if not m:
        return None
    words = tokens_from(d, end + m.end(), 3)
    for n in range(len(words), 0, -1):
        table = table_of(d, words[n - 1].text)
        if table is not None:
            return table
    return None


_OF = re.compile(
    r"\s*(?:of|across|over|for|from|on|among|amongst)\s+(?:all\s+|the\s+|their\s+|its\s+|every\s+|each\s+)*", re.I
)


def of_table(d: Work, end: int, table: str) -> tuple[int, list[Filter]]:
    """ "amount of completed orders", "salary across all employees": the table (and values) after a column."""
    m = _OF.match(d.prompt[end:])
    if not m:
        return end, []
    words = tokens_from(d, end + m.end(), 4)
    for n in range(len(words), 0, -1):
        if table_of(d, words[n - 1].text) != table:
            continue
        conds = value_conditions(d, words[: n - 1], table) if n > 1 else []
        if conds is None:
            continue
        return words[n - 1].end, conds
    return end, []
