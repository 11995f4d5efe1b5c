"""A group's value next to each row: a window over the row's group, never a grouping.

"each product's unit_price and the average unit_price of its category", "the highest salary in their
department", "the total amount of the same customer", "its customer's total amount", "each transaction's
share of its account's total amount" (as a percent when said so).

The group is said *through the row* — a possessive ("its category", "their department's") or "the same
customer" — so every row stays and carries its group's value (``AVG(x) OVER (PARTITION BY key)``), where
"the average unit_price per category" makes one row per group (aggregates, which run after this step and
would otherwise read the row's own column as a group key). The slots:

- VALUE := FN [of] COLUMN (of|in|for|across|among|within|at) OWNER GROUP
         | OWNER GROUP's FN [of] COLUMN
- SHARE := (share|percent|percentage|fraction|proportion) (of|in) OWNER GROUP's (total|sum) [COLUMN]
- OWNER := its | their | the same

FN: average/mean → avg, total/sum → sum, highest/maximum/largest/biggest → max, lowest/minimum/smallest → min,
"number of <rows>" → a count of the rows. COLUMN is a column of the rows' table (a share without one takes the
column the row's possessive names right before it: "each order's amount as a percent of ..."); GROUP is the
rows' key to the table it names, or a column of the rows ("its category" → ``products.category_id``, "their
city" → ``patients.city``). Refused, with a hint: a group that is no key or column of the rows, a column of
another table than the rows' (the rows would be repeated or lost), a share with no column.
"""

from __future__ import annotations

import re

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, View
from datamorph.planner.recognizers.derived import clean_phrase, snake
from datamorph.planner.recognizers.windows import (
    _entity_key,
    _name,
    _ref,
    _sentence_start,
    _State,
)
from datamorph.planner.refs import split_column
from datamorph.spec import WindowColumn

_FNS = {"average": "avg", "avg": "avg", "mean": "avg", "total": "sum", "sum": "sum", "combined": "sum",
        "highest": "max", "maximum": "max", "max": "max", "largest": "max", "biggest": "max", "greatest": "max",
        "lowest": "min", "minimum": "min", "min": "min", "smallest": "min", "number": "count", "count": "count",
        "earliest": "min", "first": "min", "latest": "max", "last": "max"}  # fmt: skip
_MEASURABLE = ("integer", "float", "decimal", "numeric", "number", "date", "timestamp")
_FN = r"(?P<fn>average|avg|mean|total|sum|combined|highest|maximum|max|largest|biggest|greatest|lowest|minimum|min|" \
      r"smallest|number|count|earliest|first|latest|last)"  # fmt: skip
_STOP = r"(?:of|in|for|across|among|within|at|and|per|by|its|their|the|as|next|side|alongside|with)\b"
_COL = rf"(?P<col>(?!{_STOP})[A-Za-z_]\w*(?:\s+(?!{_STOP})[A-Za-z_]\w*){{0,2}})"
_OWNER = r"(?P<owner>its|their|the\s+same|that\s+same)"
_GROUP = (
    r"(?P<group>[A-Za-z_]\w*(?:\s+(?!(?:and|as|side|next|alongside|with|by|per|for|in|of)\b)[A-Za-z_]\w*)?)"
)
_VALUE_AFTER = re.compile(rf"\b(?:the\s+)?{_FN}\s+(?:of\s+(?:the\s+)?)?{_COL}\s+(?:of|in|for|across|among|within|at)\s+"
                          rf"{_OWNER}\s+{_GROUP}(?!['\w])", re.I)  # fmt: skip
_VALUE_BEFORE = re.compile(rf"\b{_OWNER}\s+(?P<group>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)'s?\s+{_FN}\s+(?:of\s+(?:the\s+)?)?"
                           rf"{_COL}", re.I)  # fmt: skip
_SHARE = re.compile(rf"\b(?P<kind>share|percent(?:age)?|fraction|proportion)\s+(?:of\s+(?:each|every|the|a)\s+"
                    rf"(?P<row>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+)?(?:of|in)\s+{_OWNER}\s+"
                    rf"(?P<group>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)'s?\s+(?:total|sum|overall(?:\s+total)?)"
                    rf"(?:\s+{_COL})?", re.I)  # fmt: skip
_ROW_COLUMN = re.compile(r"\b(?:each|every)\s+[A-Za-z_]\w*'s\s+(?P<c>[A-Za-z_]\w*(?:\s+[A-Za-z_]\w*)?)\s+(?:as\s+a\s+"
                         r"|is\s+(?:a\s+|what\s+)?)?$", re.I)  # fmt: skip
_PERCENT = re.compile(r"\s*,?\s*(?:as|in)\s+(?:a\s+)?(?:percent(?:age)?|%)(?:\s+points)?\b", re.I)
_SIDE = re.compile(
    r"\s*,?\s*(?:side\s+by\s+side|next\s+to\s+each\s+other|alongside(?:\s+each\s+other)?)\b", re.I
)


# the group's value as the object of a comparison or an order ("unit_price higher than the highest unit_price in
# their category", "top 3 orders by the total amount of their customer"): not read here (a filter or an order on
# a window is not planned), refused rather than left to readings that would drop the comparison
_COMPARED = re.compile(r"(?:\b(?:than|above|below|over|under|exceeds?|exceeding|beyond|at\s+least|at\s+most|"
                       r"(?:equal|compared|relative|close)\s+to|by|versus|vs)|[<>=])\s*$", re.I)  # fmt: skip


def rule(v: View) -> list[Claim]:
    """A group's value (or a row's share of its group's total) next to each row (see the module docstring)."""
    s = _State.of(v)
    found = [(m, "value") for m in _VALUE_AFTER.finditer(v.prompt)]
    found += [(m, "value") for m in _VALUE_BEFORE.finditer(v.prompt)]
    found += [(m, "share") for m in _SHARE.finditer(v.prompt)]
    for m, kind in sorted(found, key=lambda f: f[0].start()):
        if not s.free(m.start("owner"), m.end("owner")):
            continue
        if kind == "share":
            _share(s, m)
        else:
            _value(s, m)
    return s.done()


def _not_compared(s: _State, m: re.Match[str]) -> None:
    """Refused: the group's value as the object of a comparison or an order (see :data:`_COMPARED`)."""
    if _COMPARED.search(s.prompt, max(0, m.start() - 40), m.start()):
        raise PlanError(f"'{m.group(0).strip()}' is compared with or ordered by: a condition or an order on a "
                        "group's value is not read yet", hint="ask for the value as a column ('... and the "
                        "average price of its category'), then filter or sort the result")  # fmt: skip


def _groups(s: _State, group: str, table: str) -> bool:
    """``table`` holds the group ``group`` names: a key to the table it names, or a column of its own."""
    if _entity_key(s, group, table):
        return True
    return any(h.score >= 0.85 for h in s.linker.columns(clean_phrase(group), [table]))


def _rows(s: _State, candidates: list[str], group: str, said: str) -> str | None:
    """Of the tables that could hold the value, the one whose rows hold the group: the request's rows when
    they are one of them; refused when the rows are another table, or when several tables could be meant."""
    head = clean_phrase(group).split()[-1:]  # "their active subscriptions": the noun last
    named = {h.table for p in {clean_phrase(group), *head} for h in s.linker.tables(p) if h.score >= 0.85}
    if named & set(candidates):
        return None  # "customers with the total amount of their orders": the rows aggregated, not a group
    grouped = [t for t in dict.fromkeys(candidates) if _groups(s, group, t)]
    words = {t: (s.view.table_words.get(t) or "").lower().removesuffix("'s") for t in (s.base, *s.tables) if t}
    rows = [t for t, w in words.items() if not (t in named and w and w in group.lower())]  # (not the group's own)
    if rows and not any(t in grouped for t in rows):
        raise PlanError(
            f"'{said}' is a value of {' or '.join(grouped or candidates)} per {group}, but the rows are "
            f"{rows[0]}",
            hint="ask for those rows, or for one row per group ('... per <group>')",
        )
    picked = [t for t in grouped if t in rows] or grouped
    if len(picked) != 1:
        raise PlanError(
            f"'{said}': of which rows? ({', '.join(picked or candidates)})",
            hint=f"name the table, e.g. 'each {(picked or candidates)[0]} row with {said}'",
        )
    return picked[0]


def _group_key(s: _State, group: str, rows: str, said: str) -> str:
    """The rows' column that holds the group: its key to the table ``group`` names, or a column of the rows."""
    key = _ref(s, group, key=True, keep=rows)
    if "." not in key or split_column(s.catalog, key)[0] != rows:
        raise PlanError(
            f"'{said}': {rows} holds no key or column for '{group}'",
            hint=f"name a column of {rows} the rows are grouped by",
        )
    return key


def _columns(s: _State, words: str) -> dict[str, str]:
    """The numeric or date columns ``words`` names, by table."""
    out: dict[str, str] = {}
    for h in s.linker.columns(clean_phrase(words)):
        info = s.catalog.table(h.table).column(h.column)
        if h.score >= 0.85 and info.family in _MEASURABLE and h.table not in out:
            out[h.table] = h.column
    return out


def _over_group(s: _State, m: re.Match[str], rows: str, said: str) -> str:
    """The key of the group a value of ``rows`` is taken over (the value never compared nor sorted by), ``rows``
    brought in."""
    _not_compared(s, m)
    key = _group_key(s, m.group("group"), rows, said)
    s.use(rows)
    return key


def _value(s: _State, m: re.Match[str]) -> None:
    fn = _FNS[m.group("fn").lower()]
    said = m.group(0).strip()
    rows_named = s.linker.tables(clean_phrase(m.group("col")))
    column: str | None = None
    if fn == "count":  # "the number of orders of the same customer": a count of the rows
        if not rows_named or rows_named[0].score < 0.85:
            return
        rows = _rows(s, [rows_named[0].table], m.group("group"), said)
        if rows is None:
            return
    else:
        cols = _columns(s, m.group("col"))
        if not cols:
            return  # no numeric column: left to the others
        rows = _rows(s, list(cols), m.group("group"), said)
        if rows is None:
            return
        column = f"{rows}.{cols[rows]}"
    key = _over_group(s, m, rows, said)
    start = m.start()
    end = m.end()
    side = _SIDE.match(s.prompt, end)
    if side and s.free(side.start(), side.end()):
        end = side.end()
    word = {"avg": "avg", "sum": "total", "max": "max", "min": "min", "count": "count"}[fn]
    group = snake(m.group("group"))
    default = f"{group}_{word}_{split_column(s.catalog, column)[1]}" if column else f"{rows}_per_{group}"
    name, end = _name(s, end, default)
    window = WindowColumn(name=name, function=fn, column=column, partition_by=[key],  # type: ignore[arg-type]
                          provenance=s.prompt[m.start() : m.end()])  # fmt: skip
    s.add_window(window, start, end)


def _share(s: _State, m: re.Match[str]) -> None:
    said = m.group(0).strip()
    words, start = m.group("col"), m.start()
    # "each order's amount as a percent of ...": the row's column said before (the same as the total's, if named)
    lead = _ROW_COLUMN.search(s.prompt, _sentence_start(s, m.start()), m.start())
    if lead and (not words or _columns(s, lead.group("c")).items() & _columns(s, words).items()):
        words, start = words or lead.group("c"), lead.start()
    cols = _columns(s, words) if words else {}
    if not cols:
        raise PlanError(
            f"'{said}': a share of which column's total?",
            hint="say e.g. 'each order's share of its customer's total amount'",
        )
    named = [h.table for h in s.linker.tables(clean_phrase(m.group("row") or "")) if h.score >= 0.85][:1]
    rows = _rows(s, [t for t in cols if t in named] or list(cols), m.group("group"), said)  # "of each order"
    if rows is None:
        return
    column = f"{rows}.{cols[rows]}"
    key = _over_group(s, m, rows, said)
    end = m.end()
    percent = m.group("kind").lower().startswith("percent")
    pct = _PERCENT.match(s.prompt, end)
    if pct and s.free(pct.start(), pct.end()):
        percent, end = True, pct.end()
    group = snake(m.group("group"))
    name, end = _name(s, end, f"pct_of_{group}_total" if percent else f"share_of_{group}_total")
    window = WindowColumn(name=name, function="share", column=column, partition_by=[key], percent=percent or None,
                          provenance=s.prompt[start:end])  # fmt: skip
    s.add_window(window, start, end)
