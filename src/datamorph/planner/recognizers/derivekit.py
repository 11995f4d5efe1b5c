"""Shared phrase helpers of the shape recognizers (derived, buckets, dateparts, columns, windows, dedupe, union).

Resolving a phrase to a qualified column or to a name the draft already defines, naming
things in snake_case, giving a new column a name written around it, and claiming it.

The helpers read a *scope*: the :class:`~datamorph.planner.draft.Draft` itself (recognizers
not yet converted to claims), or a :class:`Work` — one recognizer call's working copy of the
few draft fields a lookup may change (the tables in play, the new columns, the aliases). A
lookup that brings a table in changes the ``Work`` only; the edit goes into the next claim.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from datamorph.errors import PlanError, suggestion
from datamorph.planner.claims import Claim, Edit, Pending, Span, View, edit_only
from datamorph.planner.draft import Draft
from datamorph.planner.lexicon import STOPWORDS
from datamorph.planner.recognizers.common import resolve_column, written_column
from datamorph.planner.refs import split_column, tables_read
from datamorph.planner.text import Token
from datamorph.spec import Aggregation, Condition, Dedupe, DerivedColumn, OutputColumn, WindowColumn

if TYPE_CHECKING:
    from datamorph.catalog import Catalog


class Work:
    """One recognizer call's claims, and the draft as they would leave it (for the lookups that follow).

    Reads fall through to the :class:`~datamorph.planner.claims.View`; the fields in :data:`LOCAL`
    are copies that the claims taken so far have changed (the recognizer changes the copy and puts
    the matching edit in its claim). Tables a lookup brings in (:meth:`use_table`) are kept as edits
    for the next claim (:meth:`take`), or for a claim of their own at the end (:meth:`claims`), in
    the order the lookups made them.
    """

    #: The draft fields a recognizer call may change on its copy.
    LOCAL = ("base", "tables", "derived", "aliases", "dedupe", "filters", "aggregations", "windows", "columns",
             "limit")  # fmt: skip

    def __init__(self, view: View) -> None:
        self.view = view
        self.pending = Pending(view)
        self.base: str | None = view.base
        self.tables: list[str] = list(view.tables)
        self.derived: list[DerivedColumn] = list(view.derived)
        self.aliases: dict[str, str] = dict(view.aliases)
        self.dedupe: Dedupe | None = view.dedupe
        self.filters: list[Condition] = list(view.filters)
        self.aggregations: list[Aggregation] = list(view.aggregations)
        self.windows: list[WindowColumn] = list(view.windows)
        self.columns: list[OutputColumn] = list(view.columns)
        self.limit: int | None = view.limit
        self._edits: list[Edit] = []  # table edits no claim carries yet

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    def use_table(self, table: str) -> None:
        """As :meth:`Draft.use_table`, on this copy; the edit goes into the next claim."""
        if self.base is None:
            self.base = table
        elif table == self.base or table in self.tables:
            return
        else:
            self.tables.append(table)
        self._edits.append(Edit.use_table(table))

    def snapshot(self) -> tuple[str | None, list[str], int]:
        return self.base, list(self.tables), len(self._edits)

    def restore(self, snap: tuple[str | None, list[str], int]) -> None:
        """Undo the tables lookups brought in since :meth:`snapshot` (a failed attempt)."""
        self.base, self.tables, n = snap[0], list(snap[1]), snap[2]
        del self._edits[n:]

    def defined_names(self) -> set[str]:
        return Draft.defined_names(self)  # type: ignore[arg-type]  # the draft's definition, on this copy

    def referenced_tables(self) -> list[str]:
        return Draft.referenced_tables(self)  # type: ignore[arg-type]

    def held(self, t: Token) -> bool:
        """Whether a claim (applied, or taken in this call) holds the word ``t``."""
        return not self.free(t.start, t.end)

    def free(self, start: int, end: int) -> bool:
        """No word of ``[start, end)`` is held by an applied claim or by one taken in this call."""
        return self.pending.free(start, end)

    def take(self, spans: tuple[Span, ...], *edits: Edit, over: bool | None = None, shared: bool = False,
             why: str = "") -> Claim:  # fmt: skip
        """Claim ``spans`` with ``edits`` (after the table edits lookups made). ``over`` defaults to
        whether a word of them is already held: the claim then builds on words another claim explains.
        ``shared``: the words stay free for a later claim too (a column named once, read twice)."""
        if over is None:
            over = not all(self.free(a, b) for a, b in spans)
        c = Claim(spans, (*self._edits, *edits), 1.0, shared, over, why)
        self._edits.clear()
        self.pending.claims.append(c)
        return c

    def edit(self, *edits: Edit, why: str = "") -> None:
        """Edits that explain no words (with the table edits lookups made before them)."""
        if self._edits or edits:
            self.pending.claims.append(edit_only(*self._edits, *edits, why=why))
            self._edits.clear()

    def attach(self, *edits: Edit) -> None:
        """Add ``edits`` to the first claim of this call that explains words (an edit of the whole
        call's reading, such as the output list, goes with its first words), else to a claim of their own."""
        for i, c in enumerate(self.pending.claims):
            if c.spans:
                self.pending.claims[i] = replace(c, edits=(*c.edits, *edits))
                return
        self.edit(*edits)

    def claims(self) -> list[Claim]:
        """The claims of this call; tables lookups brought in without a claim last."""
        self.edit(why="tables the lookups named")
        return self.pending.claims


Scope = Draft | Work


def in_play(d: Scope | View) -> list[str]:
    """The tables the request is about so far, base first (:func:`.common.in_play`, for a :class:`Work` too)."""
    return [t for t in [d.base, *d.tables] if t]

_DETERMINERS = re.compile(r"^(?:the|a|an|its|their|his|her|each|every|all|of|that|this|those|these)\s+", re.I)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FILLER = {"the", "a", "an", "its", "their", "of", "each", "every", "column", "field", "value", "number"}


def clean_phrase(phrase: str) -> str:
    """``the customer's email`` → ``customer email``: determiners and possessives off."""
    p = phrase.strip().strip(",;:.()'\"`")
    while True:
        q = _DETERMINERS.sub("", p)
        if q == p:
            break
        p = q
    return re.sub(r"'s\b", "", p).strip()


def snake(text: str) -> str:
    """A snake_case identifier from free text."""
    s = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return ("c_" + s if s[:1].isdigit() else s) or "value"


def column_phrase(d: Scope, phrase: str, tables: list[str] | None = None, min_score: float = 0.0) -> str | None:
    """The qualified column ``phrase`` names (``orders.amount``), or None.

    ``min_score``: ignore weaker linker matches (``every customer`` is only a partial match of customer_id).
    """
    p = clean_phrase(phrase)
    if not p or p.lower() in _FILLER:
        return None
    written = written_column(d.catalog, p)
    if written:
        d.use_table(written[0])
        return written[1]
    if tables is not None:
        hits = [h for h in d.linker.columns(p, tables) if h.score >= min_score]
        return f"{hits[0].table}.{hits[0].column}" if hits else None
    if min_score:
        scoped = [h for h in d.linker.columns(p, in_play(d)) if h.score >= min_score] if in_play(d) else []
        if not scoped and not [h for h in d.linker.columns(p) if h.score >= min_score]:
            return None
    m = resolve_column(d, p)  # type: ignore[arg-type]  # a Work's use_table changes only the Work
    if m is None and not min_score:
        return short_name(d, p)
    return f"{m.table}.{m.column}" if m else None


def short_name(d: Scope, phrase: str) -> str | None:
    """``the limit`` → credit_limit: the one column of a table in play whose name holds all the words."""
    words = {w.rstrip("s") for w in clean_phrase(phrase).lower().split() if len(w) > 2}
    if not words:
        return None
    found = [f"{t}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if words <= {x.rstrip("s") for x in c.name.lower().split("_")}]  # fmt: skip
    return found[0] if len(found) == 1 else None


def alias_edit(w: Work, noun: str, name: str) -> Edit:
    """``the label (call it rating_group)``: from now on "the label" refers to ``name`` (the edit, and the Work's copy)."""
    w.aliases[clean_phrase(noun).lower()] = name
    return Edit.set("aliases", dict(w.aliases))


class _Cataloged(Protocol):
    @property
    def catalog(self) -> Catalog: ...


def is_key(d: _Cataloged, column: str) -> bool:
    """An identifying column (a key, a reference to another table, a code): a group, never a measure."""
    t, c = split_column(d.catalog, column)
    info = d.catalog.table(t)
    low = c.lower()
    return (low == "id" or low.endswith(("_id", "_key", "_code", "_no")) or low in (p.lower() for p in info.primary_key)
            or any(low in (x.lower() for x in fk.columns) for fk in info.foreign_keys))  # fmt: skip


def defined_name(d: Scope | View, phrase: str) -> str | None:
    """A name the draft defines (aggregation alias, derived, window) that ``phrase`` refers to, loosely."""
    p = clean_phrase(phrase).lower()
    if not p:
        return None
    alias = d.aliases.get(p)
    if alias:
        return alias
    key = snake(p)
    names = [*(x.name for x in d.derived), *(a.alias for a in d.aggregations), *(w.name for w in d.windows)]
    for n in names:
        if n.lower() == key:
            return n
    if re.fullmatch(r"[A-Za-z_]\w*", phrase.strip()) and is_column(d, phrase.strip()):
        return None  # "shipped_on" written out is that column, not the new "shipped_late" that shares a word
    words = set(key.split("_")) - _FILLER
    table_word = len(words) == 1 and d.catalog.has_table(p)  # "sessions": a count of them, not session_length_minutes
    for n in names:  # "the order count" ~ order_count, "count of orders" ~ order_count
        if table_word and n in {x.name for x in d.derived}:
            continue
        parts = set(n.lower().split("_"))
        stems = {w.rstrip("s") for w in words}
        if words and stems <= {x.rstrip("s") for x in parts} | {"count", "number", "total", "sum"} and (
            stems & {x.rstrip("s") for x in parts}
        ):
            return n
    defined: list[DerivedColumn | Aggregation | WindowColumn] = [*d.derived, *d.aggregations, *d.windows]
    for el in defined:  # the words that defined it
        if table_word and isinstance(el, WindowColumn):
            continue  # "sessions and the number of sessions of the same user": the rows, not the window
        prov = (el.provenance or "").lower()
        if prov and len(p) > 3 and (p in prov or prov in p):
            return el.alias if isinstance(el, Aggregation) else el.name
    return None


def column_error(d: Scope | View, phrase: str, what: str = "column") -> PlanError:
    """A PlanError quoting ``phrase`` with the nearest column names."""
    names = [c.name for t in in_play(d) or d.catalog.table_names() for c in d.catalog.table(t).columns]
    hint = suggestion(clean_phrase(phrase).replace(" ", "_"), names) or (
        f"columns are: {', '.join(names[:15])}" if names else None
    )
    return PlanError(f"no {what} matches '{phrase.strip()}'", hint=hint)


def stem(column: str) -> str:
    """``hire_date`` → ``hire``, ``created_at`` → ``created``: a column's name without its date suffix."""
    bare = column.split(".")[-1]
    return re.sub(r"_(date|at|on|time|timestamp|ts|dt)$", "", bare) or bare


_NAME_BEFORE = re.compile(
    r"(?:\b(?:called|named)\s+([A-Za-z_]\w*)\s*(?:=|:|as|which\s+is|that\s+is|being|computed\s+as|calculated\s+as|"
    r"from|by)?\s*|\b([A-Za-z_]\w*)\s*(?:=|:)\s*|\b([A-Za-z_]\w*)\s+(?:(?:computed|calculated|defined)\s+)?as\s+"
    r"|\b([A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+)\s*(?:,|\s[-\u2013\u2014])\s*(?:i\.e\.\s*,?\s*|which\s+is\s+|that\s+is\s+)?"  # "email_user, the part ..." / "email_user - the part ..."
    r"|\b(?:where|with|and)\s+([A-Za-z_]\w*)\s+(?:is|being|means|equals)\s+)$",  # "where net_amount is ..."
    re.I,
)
#: the words of a name said before its last word and a colon: "show the markup percent: (a - b) / b"
_NAME_LEAD = re.compile(r"(?:\b(?:the|a|an|its|their|each|every|with|plus|and)|[A-Za-z]'s)\s+(?P<w>(?:(?!(?:the|a|an|its|their)\b)[A-Za-z]+\s+){1,2})$", re.I)
_NAME_FOR_EACH = re.compile(
    r"(?:\b(?:compute|calculate|work\s+out|figure\s+out|derive|add|create|get|give\s+me|show|include)\s+)?"
    r"(?:(?:a|an|the)\s+)?(?:new\s+)?\b(?P<name>[A-Za-z_]\w*)\s+(?:for|of|on)\s+(?:each|every|all|the)\s+"
    r"(?P<rows>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*){0,2}?)\s*(?:,\s*)?(?:as|=|:|being|computed\s+as|calculated\s+as)\s*$",
    re.I,
)
_NAME_AFTER = re.compile(
    r"^\s*(?:,\s*)?(?:\(\s*call\s+it\s+([A-Za-z_]\w*)\s*\)|(?:as|called|named|aliased\s+as|into\s+a\s+column)\s+"
    r"([A-Za-z_]\w*))",
    re.I,
)


CONNECTIVES = frozenset({"with", "and", "as", "is", "are", "but", "plus", "or", "to", "by", "of", "for", "from", "in",
                          "computed", "calculated", "called", "named", "where", "when", "if", "then", "that", "which"})
PART_SQL = {"year": "year", "month": "month", "quarter": "quarter", "day": "day", "week": "week",
             "weekday": "dayofweek", "hour": "hour"}  # fmt: skip


def period_sql(unit: str, col: str) -> str:
    """The group a row's date falls in, per ``unit``: a year, weekday or hour by its number, any other unit by its
    first day (``CAST(date_trunc('month', col) AS DATE)``)."""
    if unit in ("year", "weekday", "hour"):
        return f"{PART_SQL[unit]}({col})"
    return f"CAST(date_trunc('{unit}', {col}) AS DATE)"


def add(w: Work, name: str, expression: str, start: int, end: int, *more: Edit) -> Claim:
    """Claim ``[start, end)`` (and a lead-in such as "plus a column") for a new column ``name``."""
    if name.lower() in w.defined_names():
        raise PlanError(f"the name '{name}' is given to two new columns", hint="give each a different name")
    if len(name) > 63:  # a name made of the expression's words ("a_times_b_times_..."): too long to be one
        raise PlanError(f"'{w.prompt[start:end].strip()[:60]}...' is too long a formula to name from its words",
                        hint="name the column ('... as total_cost')")  # fmt: skip
    col = DerivedColumn(name=name, expression=expression, provenance=w.prompt[start:end].strip())
    w.derived.append(col)
    spans: tuple[Span, ...] = ((start, end),)
    intro = _INTRO.search(w.prompt[max(0, start - 40) : start])
    if intro:  # "plus a column ...", "adding a new field ..."
        spans += ((start - (min(start, 40) - intro.start()), start),)
    return w.take(spans, *more, Edit.add("derived", col))


_INTRO = re.compile(r"\b(?:plus|adding|add|also)\s+(?:(?:a|an|the)\s+)?(?:new\s+)?(?:(?:derived|computed|calculated|"
                    r"extra)\s+)?(?:(?:column|field)\s+)?$", re.I)  # fmt: skip


def name_around(d: Scope | View, start: int, end: int) -> tuple[str | None, int, int]:
    """A name given just before or after [start, end): ``X = ...``, ``... as X``, ``(call it X)``,
    ``a trip_cost for each booking leg as ...`` (the name, then the rows it is computed for)."""
    window = d.prompt[max(0, start - 90) : start]
    scoped = _NAME_FOR_EACH.search(window)
    if scoped and not is_column(d, scoped.group("name")) and d.linker.tables(scoped.group("rows")):
        return scoped.group("name"), start - (len(window) - scoped.start()), end
    before = _NAME_BEFORE.search(d.prompt[max(0, start - 60) : start])
    if before is None and d.prompt[start : start + 1] == "(":  # "margin (unit price minus cost)": its formula in brackets
        before = re.search(r"\b([A-Za-z_]\w*)\s*$", d.prompt[max(0, start - 60) : start])
        before = before if before and before.group(1).lower() not in STOPWORDS else None
    if before:
        name = next(g for g in before.groups() if g)
        named_table = any(m.score >= 0.9 for m in d.linker.tables(name)[:1])  # "products (price minus cost)"
        if not (name.lower() in ("is", "it", "with", "and", "a", "the") or named_table):
            at = start - (len(d.prompt[max(0, start - 60) : start]) - before.start())
            lead = _NAME_LEAD.search(d.prompt[max(0, at - 40) : at]) if before.re is _NAME_BEFORE and before.group(2) else None
            words = lead.group("w").split() if lead else []
            if lead and not any(w.lower() in STOPWORDS or is_column(d, w) or d.linker.tables(w)[:1] for w in words) \
                    and not is_column(d, " ".join([*words, name])):  # fmt: skip
                # "the markup percent: ...", "with net amount: ..." (a new name, though "amount" alone is a column)
                return snake(" ".join([*words, name])), at - len(lead.group("w")), end
            if not is_column(d, name):
                return name, at, end
    after = _NAME_AFTER.match(d.prompt[end:])
    if after:
        return next(g for g in after.groups() if g), start, end + after.end()
    return None, start, end


_IDENTIFIER = re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def listed_names(d: Scope, after: int) -> list[str]:
    """snake_case names the request uses after ``after`` that are no column of a table in play nor defined yet
    ("Columns: trip_id, depart_year, depart_month"): what the request calls its new columns."""
    known = {c.name.lower() for t in in_play(d) for c in d.catalog.table(t).columns} | d.defined_names()
    return [m.group() for m in _IDENTIFIER.finditer(d.prompt, after) if m.group().lower() not in known]


def is_column(d: Scope | View, word: str) -> bool:
    return any(d.catalog.table(t).has_column(word) for t in in_play(d))


def date_col(d: Scope, phrase: str | None) -> str | None:
    """The date column ``phrase`` names; with no phrase (or a generic one), the only date column in play.

    A snake_case name that is no column ("runs_out_on") is a new name the request gives, never
    another date column.
    """
    if phrase:
        named = "_" in phrase.strip() and bool(_IDENT.fullmatch(phrase.strip()))
        if named and not any(spelt_as(phrase.strip(), h.column) for h in d.linker.columns(phrase.strip())[:3]):
            return None  # "expires_on" is not end_date: a name written out is that column, a typo of it, or new
        col = column_phrase(d, phrase)
        if col and family(d, col) in ("date", "timestamp"):
            return col
        if named:
            return None
    dates = [f"{t}.{c.name}" for t in in_play(d) for c in d.catalog.table(t).columns
             if c.family in ("date", "timestamp")]  # fmt: skip
    vague = not phrase or all(w in STOPWORDS for w in phrase.lower().split())
    if len(dates) > 1 and vague:  # several: the one the request's periods are on ("rentals in 2023 ... month start")
        dated = {getattr(f, "column", None) for f in d.filters} & set(dates)
        return dated.pop() if len(dated) == 1 else None
    return dates[0] if len(dates) == 1 else None


def spelt_as(written: str, column: str) -> bool:
    """Whether a name written out is ``column`` or a typo of it (not another column the words also suggest)."""
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(written.lower(), column.lower()) <= max(1, len(column) // 6)


def family(d: Scope | View, col: str) -> str:
    t, c = split_column(d.catalog, col)  # either name may hold a dot
    return d.catalog.table(t).column(c).family


def unreferenced(d: Scope, phrase: str, keep: str | None = None) -> list[Edit]:
    """A table named only as a key ("per employee", "within each region") is not joined: the edits that take it out.

    Sources adds every table the request names; when ``phrase`` names a table that no
    qualified column of the draft uses, take it out again (making ``keep`` the base if it was).
    On a :class:`Work` the edits are made to its copy too.
    """
    hits = d.linker.tables(clean_phrase(phrase))
    if not hits:
        return []
    table = hits[0].table
    if table == keep or table in d.required_tables:
        return []
    read = tables_read([*d.filters, *d.derived, *d.aggregations, *d.having, *d.windows, *d.columns, *d.order_by,
                        *([d.dedupe] if d.dedupe else [])], d.group_by)  # fmt: skip
    if table.lower() in read:
        return []
    edits: list[Edit] = []
    if table in d.tables:
        edits = [Edit.remove("tables", table)]
    elif table == d.base and keep is not None:
        edits = [Edit.set("base", keep), *([Edit.remove("tables", keep)] if keep in d.tables else [])]
    if isinstance(d, Work):
        for e in edits:
            if e.op == "remove":
                d.tables.remove(e.value[0])
            else:
                d.base = e.value
    return edits


def drop_unreferenced(d: Draft, phrase: str, keep: str | None = None) -> None:
    """:func:`unreferenced`, carried out on the draft (for recognizers not yet converted to claims)."""
    from datamorph.planner.draft import apply_edit

    for e in unreferenced(d, phrase, keep):
        apply_edit(d, e)


_ROW_SCOPE = re.compile(r"\b(?P<lead>(?:for|of|on|to)\s+(?:each|every|all(?:\s+the)?)\s+)(?P<q>[A-Za-z]\w*\s+)?$", re.I)


def row_scope(d: View) -> list[Claim]:
    """"For each library loan add ...": the rows the new columns are computed for. Claims "for each" and a
    descriptive word before the table's name ("library") when it is no value of that table (then it filters)."""
    from datamorph.planner.linking import TableMatch

    p = Pending(d)
    tables = tables_read(d.derived)  # the tables the new columns' expressions read (lower case)
    for m in d.mentions:
        if not isinstance(m, TableMatch) or m.table.lower() not in tables or m.start < 0:
            continue
        scope = _ROW_SCOPE.search(d.prompt[max(0, m.start - 40) : m.start])
        if scope is None:
            continue
        offset = m.start - len(d.prompt[max(0, m.start - 40) : m.start])
        spans: list[Span] = [(offset + scope.start("lead"), offset + scope.end("lead"))]
        if scope.group("q"):
            q = scope.group("q").strip()
            if d.linker.values(q, [m.table]) or d.linker.columns(q, [m.table]):
                continue  # "for each web order": web is a value of the orders (a filter)
            spans.append((offset + scope.start("q"), offset + scope.end("q")))
        c = Claim(tuple(spans), over=not all(p.free(a, b) for a, b in spans), why="the rows the new columns are for")
        p.claims.append(c)
    return p.claims
