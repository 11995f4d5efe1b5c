"""A row named by its key: "tickets of agent 14", "invoices for client #203", "route no. 7", "shelf id 12".

A noun that names a table, followed by a whole number (optionally after "#", "no.", "nr", "number" or
"id"), names that table's row by its one-column numeric primary key. The condition is on the key, or
on the request's base table's reference to that table when it holds one ("tickets of agent 14" keeps
``tickets.agent_id = 14``: no join is needed to name the agent).

Not a key: a number that is a quantity ("3 agents", "agent 14 times"), a year without a marker
("orders 2024": the year, if anything), a number followed by a word that names something
("clinic 2 doctors"), or a table whose key is not a single numeric column.
"""

from __future__ import annotations

import re

from datamorph.catalog import NUMERIC_FAMILIES, Catalog
from datamorph.planner.claims import Claim, Edit, Pending, View
from datamorph.planner.lexicon import NON_SCHEMA_WORDS
from datamorph.spec import Filter

_KEYED = re.compile(
    r"\b(?P<noun>[A-Za-z][A-Za-z_]*)\s+(?P<mark>#\s*|no\.?\s+|nr\.?\s+|number\s+|id\s+)?(?P<n>\d{1,18})(?![\w%/-]|[.,:]\d)"
    r"(?P<more>(?:\s*(?:,\s*(?:and\s+|or\s+)?|\s+(?:and|or)\s+|\s*&\s*)#?\d{1,18}(?![\w%/-]|[.,:]\d))*)",
    re.IGNORECASE,
)
#: "agent 14's tickets": the rows asked for are the other table's, those of that row.
_POSSESSED = re.compile(r"['\u2019]s\s+(?P<t>[A-Za-z_]+)\b")
#: After the number: the end, punctuation, a possessive, or a word that only joins ("of", "and", "in").
_AFTER = re.compile(r"\s*(?:$|[)\],;:!?.]|['\u2019]s\b|(?P<word>[A-Za-z]+))")
_YEARS = range(1900, 2101)
#: Joining and comparing words may follow a key ("agent 14 or 15", "trip 9 over ..."); these count things.
_COUNTED = frozenset({"times", "percent", "percentage", "decimal", "decimals", "row", "rows", "record", "records"})


def rule(d: View) -> list[Claim]:
    """One claim per table row named by its key: the number (and its marker) become a key condition."""
    p = Pending(d)
    for m in _KEYED.finditer(d.prompt):
        if not _ends_cleanly(d.prompt, m.end()) and not _ends_cleanly(d.prompt, m.end("n")) or (
                not m.group("mark") and int(m.group("n")) in _YEARS):  # fmt: skip
            continue
        hits = d.linker.tables(m.group("noun"))
        if not hits or hits[0].score < 0.85:
            continue
        numbers = [int(n) for n in re.findall(r"\d+", m.group("n") + m.group("more"))]
        if len(numbers) > 1 and (not m.group("noun").lower().endswith("s") or any(n in _YEARS for n in numbers)):
            numbers, end = numbers[:1], m.end("n")  # "agent 14 and 15 tickets": several keys follow a plural
        else:
            end = m.end()
        owner = _possessor(d, hits[0].table, end)
        edits = [Edit.set("base", owner), Edit.set("tables", [t for t in (d.base, *d.tables) if t and t != owner])
                 ] if owner is not None and owner != d.base else []  # fmt: skip
        column = _key_column(d.catalog, owner or d.base, hits[0].table)
        if column is None or not p.free(m.start("n"), end):
            continue
        named = hits[0].table
        if not column.lower().startswith(f"{named.lower()}.") and (owner or named in d.tables):
            # named through the base's reference: that table is not joined ("departments 1 and 9")
            kept = [t for t in (owner or d.base, *d.tables) if t and t != named and t != (owner or d.base)]
            edits = [*edits[:1], Edit.set("tables", kept)]
        start = m.start("mark") if m.group("mark") else m.start("n")
        cond = (Filter(column=column, operator="=", value=numbers[0], provenance=d.prompt[m.start():end])
                if len(numbers) == 1 else
                Filter(column=column, operator="in", value=numbers, provenance=d.prompt[m.start():end]))
        p.take(start, end, *edits, Edit.add("filters", cond), why="a row named by its key")
    return p.claims


def _possessor(d: View, table: str, at: int) -> str | None:
    """The table named after "'s" right after the key ("agent 14's tickets" → tickets) when it refers to
    ``table`` by one column: its rows are the ones asked for."""
    m = _POSSESSED.match(d.prompt, at)
    hits = d.linker.tables(m.group("t")) if m else []
    if not hits or hits[0].score < 0.85 or hits[0].table == table:
        return None
    owner = hits[0].table
    refers = [fk for fk in d.catalog.table(owner).foreign_keys if fk.ref_table.lower() == table.lower()]
    return owner if len(refers) == 1 and len(refers[0].columns) == 1 else None


def _ends_cleanly(prompt: str, at: int) -> bool:
    m = _AFTER.match(prompt, at)
    if m is None:
        return False
    word = m.group("word")
    return word is None or word.lower() in NON_SCHEMA_WORDS - _COUNTED


def _key_column(catalog: Catalog, base: str | None, table: str) -> str | None:
    """``base.fk`` when the base table references ``table`` by one column, else ``table``'s own key."""
    info = catalog.table(table)
    if len(info.primary_key) != 1 or info.column(info.primary_key[0]).family not in NUMERIC_FAMILIES:
        return None
    if base and base != table:
        for fk in catalog.table(base).foreign_keys:
            if fk.ref_table.lower() == table.lower() and len(fk.columns) == 1 and fk.ref_columns == tuple(info.primary_key):
                return f"{base}.{fk.columns[0]}"
    return f"{info.name}.{info.primary_key[0]}"
