"""A cleaned copy of a text column described by its steps: "a tidied version of city called city_key:
upper-case, spaces trimmed", "a normalised copy named email_norm (lower case, leading and trailing
whitespace removed)".

The copy's column is the one "of X" names, else the nearest text column written before it in the
same sentence ("the raw title and a cleaned version called title_clean: ..."). The steps, in any
order, joined by commas, "and" or "with": lower case / upper case (``lower``/``upper``) and
removing the spaces around the value (``trim``). The expression is the SQLGlot tree of the steps
(``lower(trim(x))``), the same on DuckDB and PostgreSQL. A step this grammar does not know leaves
the copy unread (its words then refuse the request).
"""

from __future__ import annotations

import re

from sqlglot import exp

from datamorph.errors import PlanError
from datamorph.planner.claims import Claim, Edit, View
from datamorph.planner.recognizers.derivekit import Work, column_phrase, family, in_play
from datamorph.spec import DerivedColumn

_HEAD = re.compile(
    r"\b(?:a|an|the)\s+(?:cleaned|cleaned-up|clean|normali[sz]ed|tidied|tidy|standardi[sz]ed|canonical)\s+(?:up\s+)?"
    r"(?:version|copy|form|variant)(?:\s+of\s+(?:the\s+)?(?P<col>[A-Za-z_]\w*))?\s+(?:called|named|as)\s+"
    r"(?P<name>[A-Za-z_]\w*)\s*(?:[:(]|,|-|=)\s*",
    re.I,
)
_CASE = r"(?:in\s+)?(?P<case>lower|upper)[\s-]?(?:case[d]?|cased)"
_TRIM = (r"(?:(?:with\s+)?(?:the\s+)?(?:leading\s+and\s+trailing|surrounding|outer|stray|extra)\s+(?:white\s*space|spaces|blanks)"
         r"\s+(?:removed|trimmed|stripped|dropped)|(?:spaces|whitespace)\s+(?:trimmed|stripped)|trimmed|stripped)")  # fmt: skip
_STEP = re.compile(rf"(?:{_CASE}|(?P<trim>{_TRIM}))", re.I)
_JOIN = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\b\s*|;\s*)?(?:with\s+)?", re.I)

_MORE_STEP = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\s+|;\s*)(?:with\s+)?(?P<step>[^.;:()]{0,40}?\b(?:removed|stripped|"
                        r"replaced|dropped|collapsed|normali[sz]ed|fixed|converted|deleted|cleaned|squeezed|taken\s+out))\b",
                        re.I)  # fmt: skip


def rule(v: View) -> list[Claim]:
    """A cleaned copy of a text column (see the module docstring)."""
    d = Work(v)
    for m in _HEAD.finditer(d.prompt):
        if not d.free(m.start(), m.end()):
            continue
        steps: list[str] = []
        pos = m.end()
        while True:
            j = _JOIN.match(d.prompt, pos)
            at = j.end() if j and steps else pos
            s = _STEP.match(d.prompt, at)
            if s is None:
                break
            step = "trim" if s.group("trim") else s.group("case").lower()
            if step in steps or ({"lower", "upper"} <= {*steps, step}):
                return d.claims()  # a step said twice, or lower and upper case: not one cleaning
            steps.append(step)
            pos = s.end()
        if not steps:
            continue
        more = _MORE_STEP.match(d.prompt, pos)
        if more:  # "lower case, accents removed": a step this grammar does not know is not dropped
            raise PlanError(f"cannot clean '{more.group('step').strip()}' (known steps: lower case, upper case, "
                            "spaces trimmed)", hint="leave that step out, or compute it yourself")
        close = re.match(r"\s*\)", d.prompt[pos:])
        end = pos + (close.end() if close and "(" in m.group() else 0)
        col = _column(d, m)
        if col is None:
            continue
        table, name = col.rsplit(".", 1)
        tree: exp.Expr = exp.column(name, table=table)
        for step in ("trim", "lower", "upper"):  # spaces off first, then the case
            if step in steps:
                tree = {"trim": exp.Trim, "lower": exp.Lower, "upper": exp.Upper}[step](this=tree)
        name = m.group("name")
        if name.lower() in d.defined_names():
            raise PlanError(f"the name '{name}' is given to two new columns", hint="give each a different name")
        head = d.prompt[m.start() : m.end("name")]  # what an output list that holds the copy repeats
        copy = DerivedColumn(name=name, expression=tree.sql("duckdb"), provenance=head)
        d.derived.append(copy)
        d.take(((m.start(), end),), Edit.add("derived", copy), why=f"a cleaned copy of {col}")
    return d.claims()


def _column(d: Work, m: re.Match[str]) -> str | None:
    if m.group("col"):
        col = column_phrase(d, m.group("col"), min_score=0.9)
        return col if col and family(d, col) == "text" else None
    start = max(d.prompt.rfind(".", 0, m.start()), d.prompt.rfind("?", 0, m.start()), 0)
    for word in reversed(re.findall(r"[A-Za-z_]\w*", d.prompt[start : m.start()])):
        for t in in_play(d):  # a column written out as it is named
            info = d.catalog.table(t)
            if info.has_column(word) and info.column(word).family == "text":
                return f"{t}.{info.column(word).name}"
    return None
