"""Sentences that say which rows are kept: what happens to rows whose value is missing, or that do not link.

Requests often add a sentence about the rows a careful reader would worry about. Each rule here reads
one shape of such a sentence structurally — the rows it is about, the condition (a value missing, a
reference that does not resolve), the verb (kept, dropped, negated "don't count") — and returns the
edit it implies, or a note when it only restates what the plan does anyway:

- :func:`links`: "drop what doesn't link", "ignore any rows that do not match a known supplier
  or depot", "rows that don't match are left out", "throw away whatever ...": the named tables (or every
  table the request joins) are required, so their inner joins drop those rows (``orphans`` reads the
  same with "tied to"/"linked to" first);
- :func:`nulls`:

  * "missing bonuses add nothing" said of a column the plan sums: SUM skips missing values, nothing
    to change (noted);
  * "accounts whose overdraft flag is blank aren't treated as overdrawn" said of a true/false
    column: a missing flag is neither true nor false, so it satisfies no condition on the flag —
    nothing to change (noted);
  * "guest carts without a shopper_id don't form a shopper": the rows' own column is required, ``IS NOT NULL``
    (said with a verb of leaving out, "readings with no sensor_id are skipped", it is ``orphans``');
- :func:`kept`: "count every visit, even when the pet_id isn't in the pets table", "including pet ids that
  have no row in pets": the rows are kept and pets is not joined (:func:`keep_keys`, also used by
  ``orphans``); :func:`unlinked` checks, once every table is in, that no later reading joined pets again or
  made other rows the plan's (refused);
- :func:`grain`: "one record for each pair that shows up in the data", "one row per such booking": the
  grain the plan already has (a grouping's combinations, the base table's rows), noted; a grain the
  plan does not have is left unclaimed, so the request is refused rather than misread.

A sentence whose words do not resolve to the schema is left alone (other recognizers, or a refusal
quoting it).
"""

from __future__ import annotations

import re

from datamorph.catalog import ColumnInfo
from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View, held
from datamorph.planner.lexicon import normalize, split_identifier
from datamorph.planner.linking import ColumnMatch, TableMatch
from datamorph.planner.recognizers.filter_base import Play
from datamorph.planner.refs import tables_read
from datamorph.planner.text import Token
from datamorph.spec import Filter

_W = r"[A-Za-z_]\w*"
_NEG = r"(?:(?:do|does|did|will|would|should)\s+not|don't|doesn't|didn't|won't|never|(?:are|is)\s+not|aren't|isn't)"
_GONE = r"(?:dropped|skipped|ignored|excluded|left\s+out|removed|discarded|omitted|filtered\s+out|thrown\s+out)"
#: The verbs that say rows are left out, in every form ("drop", "dropping", "thrown away", "lose", "get rid of"):
#: one list for the sentences read here and in ``orphans``.
DROP_VERB = (r"(?:drop(?:s|ped|ping)?|skip(?:s|ped|ping)?|ignor(?:e|es|ed|ing)|leav(?:e|es|ing)\s+out|left\s+out|"
             r"exclud(?:e|es|ed|ing)|remov(?:e|es|ed|ing)|omit(?:s|ted|ting)?|filter(?:s|ed|ing)?\s+out|"
             r"discard(?:s|ed|ing)?|throw(?:s|n|ing)?\s+(?:away|out)|threw\s+(?:away|out)|toss(?:es|ed|ing)?(?:\s+out)?|"
             r"los(?:e|es|ing)|(?:be|been|are|is|get|gets|got)\s+lost|get(?:s|ting)?\s+rid\s+of|got\s+rid\s+of|"
             r"weed(?:s|ed|ing)?\s+out)")

# -- rows that do not link -------------------------------------------------------------------------------

_LINK_VERB = (r"(?:(?:does|do|did|will)\s+not|doesn't|don't|didn't|won't|can't|cannot|can\s+not|fails?\s+to)\s+"
              r"(?:be\s+)?(?:link(?:ed)?|match(?:ed)?|join(?:ed)?|resolve[ds]?|tie[ds]?|connect(?:ed)?)(?:\s+up)?")
_LINK_TO = (rf"(?:(?:\s+(?:to|with|against))?\s+(?:an?\s+|the\s+|any\s+)?(?:existing\s+|known\s+|valid\s+|matching\s+)?"
            rf"(?P<list>{_W}(?:\s*(?:,|\band\b|\bor\b|&)\s*(?:an?\s+|the\s+)?(?:existing\s+)?{_W}){{0,4}}))?")
_WHAT = r"(?:what(?:ever)?|anything|everything|any\s+rows?|rows|records|those|the\s+ones|ones)"
_LINKS = (
    # drop what doesn't link / ignore any rows that do not match a known supplier or depot
    re.compile(rf"\b{DROP_VERB}\s+{_WHAT}\s+(?:that\s+|which\s+)?"
               rf"{_LINK_VERB}{_LINK_TO}", re.IGNORECASE),
    # rows that don't link (to a vendor) are dropped
    re.compile(rf"\b{_WHAT}\s+(?:that|which)\s+{_LINK_VERB}{_LINK_TO}\s+(?:are|is|get|gets|can\s+be|should\s+be|"
               rf"will\s+be|may\s+be|must\s+be)\s+{_GONE}", re.IGNORECASE),
)


def links(d: View) -> list[Claim]:
    """"ignore any rows that do not match a known supplier or depot": those tables are required
    (early, so the tables are in play for the recognizers after)."""
    return _links(d, listed=True)


def unlinked(d: View) -> list[Claim]:
    """"drop what doesn't link" (no table named): every table the request joins is required (late, once the
    output list brought its tables in). Also checks, once every table is in, that rows kept for a key that
    names no row (:func:`keep_keys`) are still the plan's rows and that table is still not joined."""
    _kept_keys_hold(d)
    return _links(d, listed=False)


_KEPT_NOTE = re.compile(r"keep (?P<rows>\w+) rows whose (?P<key>[\w.]+) matches no (?P<missing>\w+) row")


def _kept_keys_hold(d: View) -> None:
    """A later reading that joins the missing table or makes other rows the base ("number of orders per customer_id
    keeping customer ids with no customers row" read as customers to keep at 0) contradicts keeping those rows."""
    read = tables_read([*d.filters, *d.derived, *d.aggregations, *d.having, *d.windows, *d.columns], d.group_by)
    for note in d.notes:
        m = _KEPT_NOTE.match(note)
        if m is None:
            continue
        rows, missing = m.group("rows"), m.group("missing")
        if d.base != rows or missing in d.tables or missing.lower() in read:
            doing = f"joins {missing}" if d.base == rows else f"is about {d.base} rows"
            col = m.group("key").split(".", 1)[1]
            ids = f"{col[:-3].replace('_', ' ')} ids" if col.lower().endswith("_id") else f"{col} keys"
            raise PlanError(f"the request keeps {rows} rows whose {m.group('key')} matches no {missing} row, but "
                            f"another part of it read the same words otherwise (the plan {doing})",
                            hint=f"say 'including {ids} that have no row in {missing}'")  # fmt: skip


def _links(d: View, *, listed: bool) -> list[Claim]:
    w = Play.of(d)
    if w.base is None:
        return []
    for rx in _LINKS:
        for m in rx.finditer(d.prompt):
            if bool(m.group("list")) != listed or not w.open(m.start(), m.end()):
                continue
            tables = _listed_tables(w, m.group("list")) if listed else [t for t in _joined(w) if t != w.base]
            if not tables:
                continue  # a list that names no table, or a request on one table: nothing to link
            edits: list[Edit] = []
            for t in tables:
                edits.append(w.use(t))
                if t not in d.required_tables:
                    edits.append(Edit.add("required_tables", t))
            edits.append(Edit.add("notes", f"drop rows without a matching {', '.join(tables)} row (inner joins)"))
            w.take_free(m.start(), m.end(), *edits, why="rows that do not link are dropped")
    return w.claims


def _joined(w: Play) -> list[str]:
    """The tables the plan reads so far: those in play and those its columns, conditions and measures read."""
    read = tables_read([*w.filters, *w.derived, *w.aggregations, *w.having, *w.windows, *w.columns], w.group_by)
    return list(dict.fromkeys([*w.in_play(), *(t for t in w.catalog.table_names() if t.lower() in read)]))


def _listed_tables(w: Play, phrase: str) -> list[str]:
    """Every part of "an existing vendor and warehouse" names a table, or the list names none."""
    out: list[str] = []
    for part in re.split(r"\s*(?:,|\band\b|\bor\b|&)\s*", phrase):
        part = re.sub(r"^(?:(?:an?|the|existing)\s+)+", "", part.strip(), flags=re.IGNORECASE)
        if not part:
            continue
        hits = w.linker.tables(part)
        if not hits or hits[0].score < 0.85:
            return []
        out.append(hits[0].table)
    return list(dict.fromkeys(out))


# -- missing values --------------------------------------------------------------------------------------

_MISSING = r"(?:missing|null|empty|blank|unknown|unset|not\s+set|not\s+recorded|absent)"
_ADD_NOTHING = (
    # missing bonuses add nothing / empty amounts contribute zero
    re.compile(rf"\b{_MISSING}\s+(?P<c>{_W}(?:\s+{_W})?)\s+(?:add|adds|contribute|contributes|count\s+as|counts\s+as)"
               rf"\s+(?:nothing|zero|0)\b", re.IGNORECASE),
    # bonuses that are missing add nothing
    re.compile(rf"\b(?P<c>{_W}(?:\s+{_W})?)\s+(?:that|which)\s+(?:is|are)\s+{_MISSING}\s+(?:add|adds|contribute|"
               rf"contributes)\s+(?:nothing|zero|0)\b", re.IGNORECASE),
)
# accounts whose overdraft flag is blank aren't treated as overdrawn
_NOT_COUNTED = re.compile(
    rf"\b(?:whose|where|with|if|when)\s+(?:the\s+|their\s+|its\s+|a\s+)?(?P<c>{_W}(?:\s+{_W}){{0,2}}?)\s+"
    rf"(?:is|are|was|were)\s+{_MISSING}\s*,?\s+{_NEG}\s+(?:count(?:ed)?|treated|considered|taken)\s+as\s+"
    rf"(?:an?\s+)?(?P<v>{_W}(?:[\s-]+{_W})?)",
    re.IGNORECASE,
)
_SUBJECT = rf"(?P<subj>(?:(?:anonymous|unidentified|guest|unassigned|orphan(?:ed)?)\s+)?{_W}(?:\s+{_W})?)\s+"
_OWN_NULL = (
    # guest carts without a shopper_id don't form a shopper ("readings with no sensor_id are skipped", said with a
    # verb of leaving out, is ``orphans``': the rows' own column filled in)
    re.compile(rf"\b{_SUBJECT}(?:without|with\s+no|missing|lacking)\s+(?:an?\s+|any\s+)?(?P<c>{_W}(?:\s+{_W})?)\s+"
               rf"{_NEG}\s+(?:form|make|constitute|represent|become|count\s+as|belong\s+to)\s+(?:an?\s+|any\s+)?"
               rf"(?P<n>{_W})", re.IGNORECASE),
)
_FLAG_WORDS = frozenset({"flag", "flags", "indicator", "field", "column", "value", "status", "marker"})


def nulls(d: View) -> list[Claim]:
    """What a sentence says about rows whose value is missing (see the module docstring)."""
    w = Play.of(d)
    if w.base is None:
        return []
    for rx in _ADD_NOTHING:
        for m in rx.finditer(d.prompt):
            _add_nothing(w, m)
    for m in _NOT_COUNTED.finditer(d.prompt):
        _not_counted(w, m)
    for rx in _OWN_NULL:
        for m in rx.finditer(d.prompt):
            _own_null(w, m)
    return w.claims


def _column(w: Play, phrase: str, tables: list[str] | None = None) -> tuple[str, ColumnInfo] | None:
    """The column of a table in play (or of ``tables``) ``phrase`` names surely: (``table.column``, its info)."""
    hits = w.linker.columns(phrase, tables or w.in_play())
    if not hits or hits[0].score < 0.85 or len(hits) > 1 and hits[1].score == hits[0].score and (
            hits[1].table, hits[1].column) != (hits[0].table, hits[0].column):  # fmt: skip
        return None
    h = hits[0]
    return f"{h.table}.{h.column}", w.catalog.table(h.table).column(h.column)


def _add_nothing(w: Play, m: re.Match[str]) -> None:
    """"missing bonuses add nothing": a no-op where the plan sums that column (SUM skips NULLs)."""
    if not w.open(m.start(), m.end()):
        return
    found = _column(w, m.group("c"))
    if found is None:
        return
    col = found[0]
    aggs = [a for a in w.aggregations if a.column == col]
    if not aggs or any(a.function != "sum" for a in aggs):
        return  # an average or a count is changed by how missing values count: not read here
    w.take_free(m.start(), m.end(), Edit.add("notes", f"'{m.group(0)}': a sum skips missing {col} values (nothing "
                                                      "to change)"), why="restates what a sum does")  # fmt: skip


def _boolean(w: Play, phrase: str) -> str | None:
    """The true/false column of a table in play that ``phrase`` names ("overdraft flag" → ``has_overdraft``)."""
    found = _column(w, phrase)
    if found is not None:
        return found[0] if found[1].family == "boolean" else None
    words = [normalize(x.lower()) for x in re.findall(r"[A-Za-z]+", phrase) if x.lower() not in _FLAG_WORDS]
    if not words:
        return None
    hits = [f"{t}.{c.name}" for t in w.in_play() for c in w.catalog.table(t).columns
            if c.family == "boolean" and set(words) <= {normalize(p) for p in split_identifier(c.name)}]
    return hits[0] if len(hits) == 1 else None


def _not_counted(w: Play, m: re.Match[str]) -> None:
    """"accounts whose overdraft flag is blank aren't treated as overdrawn": a missing true/false value
    satisfies neither ``flag`` nor ``NOT flag``; nothing to change unless the plan fills missing flags."""
    if not w.open(m.start(), m.end()):
        return
    col = _boolean(w, m.group("c"))
    if col is None:
        return
    bare = col.split(".", 1)[1].lower()
    if any("coalesce" in x.expression.lower() and bare in x.expression.lower() for x in w.derived):
        return  # the plan fills missing flags: the sentence may contradict it, not read here
    start = _with_subject(w, m.start())
    w.take_free(start, m.end(), Edit.add("notes", f"'{m.group(0)}': a missing {col} satisfies no condition on it "
                                                  "(nothing to change)"), why="restates how a missing flag counts")  # fmt: skip


def _own_null(w: Play, m: re.Match[str]) -> None:
    """"guest carts without a shopper_id don't form a shopper": the rows' own column must be filled in."""
    if not w.open(m.start("subj"), m.end()):
        return
    subj = re.sub(r"^(?:anonymous|unidentified|guest|unassigned|orphan(?:ed)?)\s+", "", m.group("subj"), flags=re.I)
    tables = [h.table for h in w.linker.tables(subj)[:1] if h.score >= 0.85]
    found = _column(w, m.group("c"), tables)
    if found is None or tables and found[0].split(".", 1)[0] != tables[0]:
        return  # a column of other rows than the sentence is about
    col, info = found
    table = col.split(".", 1)[0]
    if info.name.lower() in (p.lower() for p in w.catalog.table(table).primary_key):
        return  # the row's own key is never missing
    start = m.start("subj") if tables else _start_of(w, m)
    f = Filter(column=col, operator="is_not_null", provenance=m.group(0))
    edits = [Edit.add("filters", f)]
    noun = m.groupdict().get("n")
    entity = [h.table for h in w.linker.tables(noun)[:1] if h.score >= 0.85] if noun else []
    read = tables_read([*w.filters, *w.derived, *w.aggregations, *w.having, *w.windows, *w.columns], w.group_by)
    if entity and entity[0] != table and entity[0].lower() not in read:  # "don't form a shopper": named, not joined
        if entity[0] in w.tables:
            edits.append(w.drop(entity[0]))
        elif entity[0] == w.base:  # ("Busy shoppers: shopper ids with ..." made it the base)
            w.base, w.tables = table, [t for t in w.tables if t != table]
            edits += [Edit.set("base", table), Edit.set("tables", list(w.tables))]
    w.take_free(start, m.end(), *edits, why="rows without the value are left out")


def _start_of(w: Play, m: re.Match[str]) -> int:
    """Where the missing-value phrase starts when the subject words name no table: at "without"."""
    cue = re.search(r"\b(?:without|with\s+no|missing|lacking)\b", m.group(0), re.IGNORECASE)
    return m.start() + (cue.start() if cue else 0)


def _with_subject(w: Play, start: int) -> int:
    """Include the table word right before "whose ..." ("patients whose ..."): the rows the sentence is about."""
    before = re.search(rf"({_W})\s*$", w.view.prompt[:start])
    if before is not None:
        hits = w.linker.tables(before.group(1))
        if hits and hits[0].score >= 0.85 and hits[0].table in w.in_play():
            return before.start(1)
    return start


# -- the grain -------------------------------------------------------------------------------------------

_GRAIN = re.compile(
    rf"\b(?:(?:just|only|exactly)\s+)?(?:one|a|1)\s+(?:output\s+)?(?:row|line|record)\s+(?:per|for\s+each|for\s+every|"
    rf"for)\s+(?:each\s+|every\s+|such\s+|distinct\s+|unique\s+)?(?P<x>{_W}(?:\s+(?!that\b|which\b){_W})?)"
    rf"(?P<occurs>\s+(?:that|which)\s+(?:actually\s+|really\s+)?(?:occurs?|exists?|appears?|is\s+present|"
    rf"shows\s+up)(?:\s+in\s+the\s+data)?)?",
    re.IGNORECASE,
)


def grain(d: View) -> list[Claim]:
    """"one record for each pair that shows up in the data", "one row per such booking": the plan's own grain."""
    w = Play.of(d)
    if w.base is None:
        return []
    for m in _GRAIN.finditer(d.prompt):
        if not w.open(m.start(), m.end()):
            continue
        x = m.group("x")
        said = _grain_of(w, x)
        if said is None and " " in x:
            x = x.split()[0]
            said = _grain_of(w, x)
        if said is None:
            continue
        end = m.end() if x == m.group("x") else m.start("x") + len(x)
        w.take_free(m.start(), end, Edit.add("notes", f"one row per {said}: the plan's own grain"),
                    why="says the grain the plan has")
    return w.claims


def _grain_of(w: Play, x: str) -> str | None:
    """What "one row per ``x``" is, when it is the plan's grain: the grouping, or the base table's rows."""
    low = x.lower()
    groups = list(w.group_by)
    if re.fullmatch(r"combinations?|pairs?|groups?|(?:combination|pair|group)s?\s+of\s+\w+", low):
        return f"combination of {', '.join(groups)}" if len(groups) >= 2 else None
    if groups or w.aggregations:
        found = _column(w, x)
        return found[0] if found is not None and found[0] in groups else None
    hits = w.linker.tables(x)
    if not hits or hits[0].score < 0.85:
        return None
    t = hits[0].table
    joined = _joined(w)
    if t in joined and all(many_to_one(w, t, o) for o in joined if o != t):
        return f"{t} row"  # every other table is joined to t's rows many-to-one: the plan has one row per t row
    return None


def _key_of(w: Play, table: str, column: str) -> bool:
    info = w.catalog.table(table)
    low = column.lower()
    if info.primary_key:
        return [p.lower() for p in info.primary_key] == [low]
    return low == "id" or low == f"{normalize(table.lower())}_id"


def many_to_one(w: Play, start: str, end: str) -> bool:
    """Whether each row of ``start`` meets at most one row of ``end`` along the join path (key → primary key)."""
    try:
        edges = list(w.linker.join_path([start, end]))
    except Exception:  # noqa: BLE001 - no path
        return False
    cur = start
    while edges:
        e = next((x for x in edges if cur in (x.left_table, x.right_table)), None)
        if e is None:
            return False
        edges.remove(e)
        mine, nxt, theirs = ((e.left_column, e.right_table, e.right_column) if e.left_table == cur
                             else (e.right_column, e.left_table, e.left_column))  # fmt: skip
        if _key_of(w, cur, mine) or not _key_of(w, nxt, theirs):
            return False
        cur = nxt
    return cur == end


# -- rows whose reference is missing, kept ---------------------------------------------------------------

_ROW = r"(?:rows?|records?|entry|entries|match(?:es)?)"
_NOT_IN = (r"(?:isn't|is\s+not|aren't|are\s+not|wasn't|was\s+not|weren't|(?:does|do)\s+not\s+appear|doesn't\s+appear|"
           r"don't\s+appear|can't\s+be\s+found|cannot\s+be\s+found|is\s+missing|are\s+missing)\s+(?:in|among|from)")
_KEPT = (
    # even when the bay_id isn't in the bays table / including those whose bay_id is not in bays
    re.compile(rf"\b(?:even\s+(?:when|if|where|though)|including\s+(?:those\s+|ones\s+|rows\s+)?(?:where|whose|when)|"
               rf"(?:those|ones|rows)\s+whose)\s+(?:the\s+|its\s+|their\s+|a\s+)?(?P<c>{_W}(?:\s+{_W})?)\s+{_NOT_IN}\s+"
               rf"(?:the\s+)?(?P<y>{_W})(?:\s+tables?)?", re.IGNORECASE),
    # also bay ids missing from bays / keep ids that are missing from the bays table
    re.compile(rf"\b(?:also|including|include|keep(?:ing)?|with)\s+(?:the\s+)?(?P<c>{_W}(?:\s+{_W})?)\s+"
               rf"(?:(?:that|which)\s+(?:are|is)\s+)?(?:missing|absent)\s+from\s+(?:the\s+)?(?P<y>{_W})(?:\s+tables?)?",
               re.IGNORECASE),
    # including account ids that have no accounts row / keeping ids with no row in accounts / without a match in bays
    re.compile(rf"\b(?:also|including|include|keep(?:ing)?|with|plus)\s+(?:the\s+|any\s+)?(?P<c>{_W}(?:\s+{_W})?)\s+"
               rf"(?:(?:that|which)\s+(?:have|has|had)\s+no|with\s+no|without\s+(?:an?|any))\s+"
               rf"(?:matching\s+|corresponding\s+)?(?:(?P<y>{_W})\s+{_ROW}|{_ROW}\s+(?:in|from|among)\s+(?:the\s+)?"
               rf"(?P<y2>{_W})(?:\s+tables?)?)", re.IGNORECASE),
)


def kept(d: View) -> list[Claim]:
    """"count every visit, even when the pet_id isn't in the pets table": the rows are kept, so the table
    their key points at is not inner-joined (the key is grouped or filtered on the rows' own column)."""
    w = Play.of(d)
    if w.base is None:
        return []
    for rx in _KEPT:
        for m in rx.finditer(d.prompt):
            y = "y" if m.group("y") else "y2"  # "no accounts row" or "no row in accounts"
            if w.open(m.start(), m.end(y)):  # "table" after the name may be held with it (sources)
                _kept(w, m, m.group(y))
    return w.claims


def _kept(w: Play, m: re.Match[str], y: str) -> None:
    hits = w.linker.tables(y)
    if not hits or hits[0].score < 0.85:
        return
    keep_keys(w, hits[0].table, m.group("c"), m.start(), m.end())


def keep_keys(w: Play, missing: str, phrase: str, start: int, end: int) -> bool:
    """Keep the rows whose key ``phrase`` ("bay ids") names no ``missing`` row: ``[start, end)`` is claimed,
    the rows that hold the key become the base, ``missing`` is not joined. False (nothing claimed) when the
    phrase names no such key, or the plan so far reads ``missing`` or a table behind it."""
    key = _key_into(w, missing, phrase)
    if key is None:
        return False
    rows = key.split(".", 1)[0]
    read = tables_read([*w.filters, *w.derived, *w.aggregations, *w.having, *w.windows, *w.columns], w.group_by)
    if missing.lower() in read or any(_through(w, rows, t, missing) for t in w.catalog.table_names()
                                      if t.lower() in read and t not in (rows, missing)):  # fmt: skip
        return False  # the plan needs that table (a column of it, or of a table behind it): left unclaimed, refused
    edits: list[Edit] = []
    if w.base != rows:  # the sentence is about the rows that hold the key ("count every visit, even when ...")
        old, w.base = w.base, rows
        w.tables = [t for t in [old, *w.tables] if t and t not in (rows, missing)]
        edits += [Edit.set("base", rows), Edit.set("tables", list(w.tables))]
    elif missing in w.tables:
        edits.append(w.drop(missing))
    edits += [Edit.set("preserve_base", True),
              Edit.add("notes", f"keep {rows} rows whose {key} matches no {missing} row (no inner join to {missing})")]
    w.take_free(start, end, *edits, why="rows whose reference is missing are kept")
    return True


def _key_into(w: Play, table: str, phrase: str) -> str | None:
    """The one column of another table the plan reads that points at ``table`` ("bay_id", "bay ids", "ids"), or,
    where the plan reads none, of any table ("also account ids missing from accounts" said before the rows are)."""
    for tables in (_joined(w), w.catalog.table_names()):
        key = _one_key_into(w, table, phrase, tables)
        if key is not None:
            return key
    return None


def _one_key_into(w: Play, table: str, phrase: str, tables: list[str]) -> str | None:
    found: list[str] = []
    for t in tables:
        if t == table:
            continue
        try:
            edges = w.linker.join_path([t, table])
        except Exception:  # noqa: BLE001 - no path: not a key into the table
            continue
        if len(edges) != 1:
            continue
        e = edges[0]
        col, other = (e.left_column, e.right_column) if e.left_table == t else (e.right_column, e.left_column)
        info = w.catalog.table(t)
        if col.lower() in (p.lower() for p in info.primary_key) or other.lower() not in (
                p.lower() for p in w.catalog.table(table).primary_key):  # fmt: skip
            continue  # t's own key, or table pointing at t: not a reference of t's rows into table
        found.append(f"{t}.{col}")
    if len(found) != 1:
        return None
    words = {normalize(x.lower()) for x in re.findall(r"[A-Za-z]+", phrase)} - {"id", "ids", "key", "keys"}
    col_words = {normalize(p) for p in split_identifier(found[0].split(".", 1)[1])} | {normalize(table.lower())}
    return found[0] if words <= col_words else None


def _through(w: Play, start: str, end: str, via: str) -> bool:
    """Whether the join path from ``start`` to ``end`` goes through ``via``."""
    try:
        edges = w.linker.join_path([start, end])
    except Exception:  # noqa: BLE001 - no path at all
        return False
    return any(via in (e.left_table, e.right_table) for e in edges)


# -- a label before the request ----------------------------------------------------------------------------

_LABEL = re.compile(r"^\s*(?P<label>[A-Za-z][\w' -]{0,60}?)\s*:\s")
_LABEL_WORDS = 6


def label(d: View) -> list[Claim]:
    """"Heavy readers: member ids with more than 20 loans": a name the request gives the rows it then defines.

    Read only when every word of the label is free and carries no condition of its own: no number, date,
    quoted value, comparison, quantifier or ordering word, and no word naming a column or a data value (a
    table's name is allowed when that table is in the plan). A negation ("Members that never returned:")
    is allowed only where the definition after the colon is itself rows without a match (an anti join).
    """
    from datamorph.planner.meaning import meaning_of

    m = _LABEL.match(d.prompt)
    if m is None or d.base is None:
        return []
    start, end = m.start("label"), m.end("label")
    toks = [t for t in d.tokens.within(start, end) if t.kind != "punct"]
    if not toks or len([t for t in toks if t.kind == "word"]) > _LABEL_WORDS:
        return []
    read = [t for t in toks if held(t)]  # a word the output list read as one of its columns, said again
    if len(read) == len(toks) or any(not _listed_column(d, t) for t in read):
        return []
    toks = [t for t in toks if not held(t)]
    plan_tables = {t.lower() for t in [d.base, *d.tables]} | {  # and the tables the definition names
        m.table.lower() for m in d.mentions if isinstance(m, TableMatch) and m.start >= end}
    for t in toks:
        if t.kind == "op" and t.text == "-":
            continue
        cls = meaning_of(t, d.linker)
        if cls is None:
            continue
        if cls == "negation" and d.anti_tables:
            continue
        if cls == "schema" and _only_table(d, t.text, plan_tables):
            continue
        return []
    spans = ((start, end),) if not read else tuple((t.start, t.end) for t in toks)
    return [Claim(spans, (Edit.add("notes", f"a name for the rows, not planned: {m.group('label')!r}"),),
                  why="a label the request gives the rows it defines")]


def _listed_column(d: View, t: Token) -> bool:
    """The word names a column of the output list ("Hires: ..., hired_on")."""
    listed = {(c.column or "").lower() for c in d.columns}
    return any(m.start <= t.start and t.end <= m.end and f"{m.table}.{m.column}".lower() in listed
               for m in d.mentions if isinstance(m, ColumnMatch))


def _only_table(d: View, word: str, plan_tables: set[str]) -> bool:
    """The word names a table of the plan, and no column or data value."""
    tables = [h for h in d.linker.tables(word) if h.score >= 0.85]
    if not tables or tables[0].table.lower() not in plan_tables:
        return False
    return not any(c.score >= 0.85 for c in d.linker.columns(word)[:1]) and not any(
        v.score >= 0.9 for v in d.linker.values(word)[:1])
