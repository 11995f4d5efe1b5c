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
    r"\b(?P<noun>[A-Za-z][A-Za-z_]*)\s+(?P<mark>#\s*|no\.?\s+|nr\.?\s+|number\s+|id\s+)?(?P<n>\d{1,18})(?![\w%/-]|[.,:]\d)",
    re.IGNORECASE,
)
#: After the number: the end, punctuation, a possessive, or a word that only joins ("of", "and", "in").
_AFTER = re.compile(r"\s*(?:$|[)\],;:!?.]|['\u2019]s\b|(?P<word>[A-Za-z]+))")
_YEARS = range(1900, 2101)
#: Joining and comparing words may follow a key ("agent 14 or 15", "trip 9 over ..."); these count things.
_COUNTED = frozenset({"times", "percent", "percentage", "decimal", "decimals", "row", "rows", "record", "records"})


def rule(d: View) -> list[Claim]:
    """One claim per table row named by its key: the number (and its marker) become a key condition."""
    p = Pending(d)
    for m in _KEYED.finditer(d.prompt):
        if not _ends_cleanly(d.prompt, m.end()) or (not m.group("mark") and int(m.group("n")) in _YEARS):
            continue
        hits = d.linker.tables(m.group("noun"))
        if not hits or hits[0].score < 0.85:
            continue
        column = _key_column(d.catalog, d.base, hits[0].table)
        if column is None or not p.free(m.start("n"), m.end("n")):
            continue
        start = m.start("mark") if m.group("mark") else m.start("n")
        cond = Filter(column=column, operator="=", value=int(m.group("n")), provenance=m.group(0))
        p.take(start, m.end("n"), Edit.add("filters", cond), why="a row named by its key")
    return p.claims


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
