"""Rows that have at least one related row (a semi join): "members with at least one loan", "customers who
have ordered at least once", "shops that have any sales", "authors with one or more books".

The answer is the base table's rows, each once: the related table is joined (inner) to require a match and
the output is the base's columns, distinct. A condition on the related rows ("at least one loan in 2025")
is left to the row filters and narrows which related rows count. Only when the base is the "one" side of
the relation (the related table references it); otherwise nothing is claimed.
"""

from __future__ import annotations

import re

from lemminflect import getLemma

from datamorph.planner.claims import Claim, Edit, Pending, View
from datamorph.spec import OutputColumn

_AT_LEAST_ONE = re.compile(
    r"\b(?:with|having|(?:who|that|which)\s+(?:has|have|had))\s+(?:made\s+|placed\s+|got\s+)?"
    r"(?:at\s+least\s+(?:one|1|a\s+single)|one\s+or\s+more|1\s+or\s+more|any)\s+(?P<r>[A-Za-z_]+)\b"
    r"|\b(?:who|that|which)\s+(?:(?:has|have|had)\s+)?(?P<v>[A-Za-z]+ed)\s+at\s+least\s+once\b",
    re.IGNORECASE,
)


_MEASURED = re.compile(r"\b(?:per|each|every|by|how\s+many|number|count|total|sum|average|avg|mean|share|percent"
                       r"|ratio|rank|top)\b", re.IGNORECASE)


_NEGATED = re.compile(r"\b(?:never|no|not|none|without|nothing|neither|nor)\b|n't\b", re.IGNORECASE)


def rule(d: View) -> list[Claim]:
    """One claim per "with at least one R" / "who have R-ed at least once" whose R references the base."""
    p = Pending(d)
    base = d.base
    if base is None or d.group_by or d.aggregations or _MEASURED.search(d.prompt) or _NEGATED.search(d.prompt):
        # "how many members with at least one loan per town": a count's condition, read by aggregates;
        # "... but never a DVD": a missing match too, which needs the table joined twice (not planned)
        return []
    for m in _AT_LEAST_ONE.finditer(d.prompt):
        word = m.group("r") or getLemma(m.group("v"), upos="VERB")[0]
        hits = d.linker.tables(word)
        if not hits or hits[0].score < 0.85 or hits[0].table == base or not p.free(m.start(), m.end()):
            continue
        related = hits[0].table
        if not any(fk.ref_table.lower() == base.lower() for fk in d.catalog.table(related).foreign_keys):
            continue
        columns = [OutputColumn(column=f"{base}.{c.name}", name=c.name) for c in d.catalog.table(base).columns]
        p.take(m.start(), m.end(), Edit.use_table(related), Edit.add("required_tables", related),
               Edit.set("distinct", True), Edit.add("columns", *columns),
               why="rows with at least one related row (each once)")  # fmt: skip
        break
    return p.claims
