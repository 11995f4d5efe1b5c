"""Rows that have at least one related row (a semi join): "members with at least one loan", "guests who
have stayed at least once", "shops that have any sales", "authors with one or more books".

The answer is the base table's rows, each once: the related table is joined (inner) to require a match and
the output is the base's columns, distinct. A condition on the related rows ("at least one loan in 2025")
is left to the row filters and narrows which related rows count. Only when the base is the "one" side of
the relation (the related table references it); otherwise nothing is claimed.
"""

from __future__ import annotations

import re

from lemminflect import getLemma

from datamorph.planner.claims import Claim, Edit, Pending, View
from datamorph.planner.draft import base_columns
from datamorph.planner.linking import TableMatch

_AT_LEAST_ONE = re.compile(
    r"\b(?:with|having|(?:who|that|which)\s+(?:has|have|had))\s+(?:had\s+|made\s+|placed\s+|got\s+)?"
    r"(?:at\s+least\s+(?:one|1|a\s+single)|one\s+or\s+more|1\s+or\s+more|any)\s+"
    r"(?P<r>[A-Za-z_]+(?:\s+[A-Za-z_]+){0,2})"
    r"|\b(?:who|that|which)\s+(?:(?:has|have|had)\s+)?(?P<v>[A-Za-z]+ed)\s+at\s+least\s+once\b"
    # "crews that have jobs but never a parked job": related rows said bare, then a kind of them that is missing
    r"|\b(?:with|having|(?:who|that|which)\s+(?:has|have|had))\s+(?:some\s+)?(?P<b>[A-Za-z_]+)"
    r"(?=\s*,?\s+but\s+(?:never|no|not|none|without)\b)",
    re.IGNORECASE,
)


_MEASURED = re.compile(r"\b(?:per|each|every|by|how\s+many|number|count|total|sum|average|avg|mean|share|percent"
                       r"|ratio|rank|top)\b", re.IGNORECASE)


def rule(d: View) -> list[Claim]:
    """One claim per "with at least one R" / "who have R-ed at least once" whose R references the base."""
    p = Pending(d)
    base = d.base
    if base is None or d.group_by or d.aggregations or _MEASURED.search(d.prompt):
        # "how many members with at least one loan per town": a count's condition, read by aggregates
        # ("... but never a DVD": a kind of them missing too, planned by ``draft._some_but_none``)
        return []
    for m in _AT_LEAST_ONE.finditer(d.prompt):
        found = _related_word(d, m)
        if found is None:
            continue
        hits, r_start, r_end = found
        if hits[0].table == base:
            continue
        related = hits[0].table
        if not any(fk.ref_table.lower() == base.lower() for fk in d.catalog.table(related).foreign_keys):
            continue
        edits = (Edit.use_table(related), Edit.add("required_tables", related), Edit.set("distinct", True),
                 Edit.add("columns", *base_columns(d.catalog, base)))
        spans = ((m.start(), m.start("r")), (r_start, r_end)) if m.group("r") else ((m.start(), m.end()),)
        if not all(p.free(a, b) for a, b in spans):
            continue
        p.claims.append(Claim(spans, edits, why="rows with at least one related row (each once)"))  # values: filters
        break
    return p.claims


def _related_word(d: View, m: re.Match[str]) -> tuple[list[TableMatch], int, int] | None:
    """The table the quantified words name, and its word's span: a verb's lemma ("ordered" → orders), or the
    first of up to three words that names a table when the words before it are data values ("at least one
    missed visit": 'missed' is a status, left to the row filters)."""
    if m.group("b"):
        hits = d.linker.tables(m.group("b"))
        ok = bool(hits) and hits[0].score >= 0.85
        return (hits, m.start(), m.end()) if ok else None
    if m.group("v"):
        hits = d.linker.tables(getLemma(m.group("v"), upos="VERB")[0])
        ok = bool(hits) and hits[0].score >= 0.85
        return (hits, m.start(), m.end()) if ok else None
    words = list(re.finditer(r"[A-Za-z_]+", m.group("r")))
    for k, w in enumerate(words):
        hits = d.linker.tables(w.group(0))
        if hits and hits[0].score >= 0.85:
            if all(d.linker.values(x.group(0)) for x in words[:k]):
                return hits, m.start("r") + w.start(), m.start("r") + w.end()
            return None
    return None
