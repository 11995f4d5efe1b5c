"""The rule-based planner: a request in plain English → an ETL spec, offline.

Recognizers run in order over the request's tokens (spelling corrected first); each
understands one kind of clause (a filter, a grouping, an output list...), marks the words
it used and adds to the :class:`~datamorph.planner.draft.Draft`. Words nobody used that
carry meaning (:mod:`datamorph.planner.meaning`: numbers, dates, negations, comparisons,
names of tables, columns or values...) are reported in a :class:`PlanError` — the planner
never drops part of a request silently, and never invents a table or a column; the others
("lean", "export", "for the board deck") are set aside and listed in ``ignored_words``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from datamorph.catalog import Catalog
from datamorph.errors import DataMorphError, PlanError, suggestion
from datamorph.names import check_target
from datamorph.planner import budget
from datamorph.planner.ambiguity import Doubt
from datamorph.planner.doubts import find_doubts
from datamorph.planner.draft import Draft, assemble
from datamorph.planner.linking import SchemaLinker
from datamorph.planner.meaning import Corrected, correct_spelling, sort_leftover
from datamorph.planner.recognizers import RECOGNIZERS
from datamorph.spec import ETLSpec

Recognizer = Callable[[Draft], None]


@budget.bounded
def plan(
    prompt: str,
    catalog: Catalog,
    linker: SchemaLinker,
    *,
    target: str | None = None,
    reference_date: dt.date | None = None,
    recognizers: tuple[Recognizer, ...] = RECOGNIZERS,
    doubts: list[Doubt] | None = None,
) -> ETLSpec:
    """Turn ``prompt`` into a spec grounded in ``catalog``.

    Raises:
        UnsafeRequest: the request asks to delete, drop or overwrite data.
        SpecError, TargetConflict: ``target`` cannot be a target table (see :func:`datamorph.names.check_target`).
        PlanError: part of the request could not be understood (the error quotes it), or planning it took
            longer than the planner's time limit (:mod:`datamorph.planner.budget`).

    ``doubts``, when given, receives the phrases planned one way of several (see :mod:`.ambiguity`).
    """
    if not prompt or not prompt.strip():
        raise PlanError("the request is empty", hint="describe the table you want")
    if target is not None:
        check_target(target)  # the caller's --target: its own error (a reserved schema is a 409), not a PlanError
    short, _ = budget.squeezed(prompt.strip())  # runs of spaces mean nothing, and make patterns slow
    spelled = correct_spelling(short, linker)  # every recognizer reads the corrected words
    _, tokens = budget.squeezed(spelled.text, typed_from=prompt.strip())  # quoted values as typed
    draft = Draft(prompt=spelled.text, tokens=tokens, catalog=catalog, linker=linker,
                  reference_date=reference_date or dt.date.today(), target=target)  # fmt: skip
    for recognize in recognizers:
        budget.check()
        recognize(draft)
    _set_aside_context(draft)
    leftover = sort_leftover(draft.tokens, linker, spelled)  # words nobody used: meaningful ones are fatal
    if leftover.meaningful:
        words = [w for w, _ in leftover.meaningful]
        raise PlanError(
            f"could not understand {', '.join(repr(w) for w in words[:8])} in the request",
            hint=_nearest(words, catalog) or "rephrase, or name the tables and columns as they are in the warehouse",
            unused=words,
        )
    draft.notes.extend(f"spelling: read {c.original!r} as {c.corrected!r}" for c in spelled.corrections)
    try:
        spec = assemble(draft)
    except PlanError:
        raise
    except DataMorphError as e:
        raise PlanError(f"the request does not make a valid spec: {e.message}", hint=e.hint) from None
    if doubts is not None:
        doubts.extend(find_doubts(draft, spec))
    return _as_written(spec, spelled, leftover.ignored)


def _as_written(spec: ETLSpec, spelled: Corrected, ignored: list[str]) -> ETLSpec:
    """The spec with the request as written (not as spell-corrected) and the words set aside."""
    update: dict[str, object] = {"ignored_words": ignored}
    if spelled.corrections:
        target = spec.target_table.model_copy(update={"description": spelled.original[:500]})
        update |= {"description": spelled.original, "target_table": target}
    return spec.model_copy(update=update)


_CLAUSE_SPLIT = re.compile(r"[.;!?]\s+|,\s*(?:so|and so|which is why|that is why)\b|\s+-\s+|:\s")
_CONTEXT_START = re.compile(r"^\s*(?:our|we|we've|we're|my|because|since|fyi|note|context|background|as you know)\b",
                            re.IGNORECASE)  # fmt: skip


def _set_aside_context(d: Draft) -> None:
    """Background clauses ("Our tracker double-fired, so ...") are reported in the spec, not planned.

    Only a clause that opens like background, and in which no recognizer used a word, no table,
    column or data value is named, and no number or quoted value appears, is set aside; anything
    else that is left over is still an error.
    """
    text = d.prompt
    bounds = [0, *(m.end() for m in _CLAUSE_SPLIT.finditer(text)), len(text)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        clause = text[start:end]
        if not _CONTEXT_START.match(clause):
            continue
        toks = [t for t in d.tokens.items if t.start >= start and t.end <= end]
        if any(t.used or t.kind in ("number", "quoted", "date") for t in toks):
            continue
        if d.linker.find_mentions(clause):
            continue
        for t in toks:
            t.used = True
        d.notes.append(f"context, not planned: {clause.strip(' ,.;')!r}")


def _nearest(words: list[str], catalog: Catalog) -> str | None:
    names = catalog.table_names() + [c.name for t in catalog.tables.values() for c in t.columns]
    known = {n.lower() for n in names}
    for w in list(dict.fromkeys(words))[:8]:  # the words the error quotes, each once
        if w.lower() in known:  # a real name the request used in a way the planner could not read
            continue
        hint = suggestion(w, names)
        if hint:
            return f"'{w}': {hint}"
    tables = ", ".join(catalog.table_names()[:12])
    return f"tables are: {tables}" if tables else None
