"""The target table's name, when the request gives one: "into X", "called X", "save as X".

Articles, filler and SQL keywords after the lead words are never the name: "into table deals"
writes ``deals``, "into the table" names nothing. A name the request states outright ("into
table deals", "save as deals") that is a source table is refused: sources are never written.
"""

from __future__ import annotations

import re

from datamorph.errors import DataMorphError, TargetConflict
from datamorph.names import check_target, is_keyword
from datamorph.planner.claims import Claim, Edit, View, claim

_TARGET = re.compile(
    r"\b(?P<lead>into|save (?:it |this )?as|store (?:it |this )?as|"
    r"(?:a |the )?(?:new |output |target )?table (?:called|named))\s+"
    r"(?P<filler>(?:(?:a|an|the|new|output|target|final|separate)\s+)*"
    r"(?:(?:table|view|dataset)\s+)?(?:(?:called|named)\s+)?)"
    r"[`'\"]?(?P<name>[A-Za-z_][A-Za-z0-9_]*)[`'\"]?",
    re.IGNORECASE,
)
_SPLIT_BEFORE = re.compile(r"\b(?:split|divide|break|separate|cut)(?:\s+[\w']+){0,3}\s*$", re.I)
#: a verb of joining something right before a bare "into" ("opted into marketing", "signed into the portal",
#: "upgraded into premium"): what the rows did, not where the result goes
_JOINED_BEFORE = re.compile(r"\b(?:opt(?:s|ed|ing)?|sign(?:s|ed|ing)|log(?:s|ged|ging)|enrol+(?:s|ed|ing)|"
                            r"upgrad(?:es|ed|ing)|convert(?:s|ed|ing)|tapp(?:ed|ing)|buy(?:s|ing)|bought)\s*$", re.I)
#: Words that only lead to a name; never a name themselves.
_FILLER = frozenset(
    "a an the one each it this that them new output target final separate table tables view dataset "
    "called named".split()
)


def recognize(d: View) -> list[Claim]:
    """The words that name the target (and the name, unless the caller's ``--target`` decided it)."""
    for m in _TARGET.finditer(d.prompt):
        name = m.group("name")
        if name.lower() in _FILLER or is_keyword(name) or not _valid(name):
            continue
        explicit = m.group("lead").lower() != "into" or bool(m.group("filler").strip())
        if not explicit and _SPLIT_BEFORE.search(d.prompt, max(0, m.start() - 40), m.start()):
            continue  # "split the code into region_code and ...": new columns, not where the result goes
        if (m.group("lead").lower() == "into" and not re.search(r"table|view|dataset|called|named", m.group("filler"), re.I)
                and _JOINED_BEFORE.search(d.prompt, max(0, m.start() - 20), m.start())):  # fmt: skip
            continue
        if d.catalog.has_table(name):
            if not explicit:
                continue  # "merge orders into customers": a source, not where the result goes
            if d.target is not None:  # the caller's --target decides; these words only said where to write
                return [claim(m.start(), m.end(), why="target named by the caller")]
            raise TargetConflict(f"the request writes into '{name}', which is a source table; sources are "
                                 "never overwritten", hint="name a new table, e.g. --target "
                                 f"{name}_summary")  # fmt: skip
        edits = () if d.target is not None else (Edit.set("target", name),)
        return [claim(m.start(), m.end(), *edits)]
    return []


def _valid(name: str) -> bool:
    try:
        check_target(name)
    except DataMorphError:
        return False
    return True

