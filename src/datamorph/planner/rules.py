"""The rule-based planner: a request in plain English → an ETL spec, offline.

Recognizers run in the order of :data:`RULES` over the request's tokens (spelling corrected
first); each understands one kind of clause (a filter, a grouping, an output list...). A
recognizer reads the draft through a read-only view and returns claims — the words it explains,
the spec edits it proposes, how sure it is (:mod:`datamorph.planner.claims`); this driver
applies them, refuses a claim on words another claim holds, and records which recognizer took
which words (the spec's ``claims``). Words nobody used that
carry meaning (:mod:`datamorph.planner.meaning`: numbers, dates, negations, comparisons,
names of tables, columns or values...) are reported in a :class:`PlanError` — the planner
never drops part of a request silently, and never invents a table or a column; the others
("lean", "export", "for the board deck") are set aside and listed in ``ignored_words``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from datamorph.catalog import Catalog
from datamorph.errors import DataMorphError, PlanError, suggestion
from datamorph.names import check_target
from datamorph.planner import budget
from datamorph.planner.ambiguity import Doubt, settle
from datamorph.planner.claims import Claim, ClaimRecord, Snapshots, View
from datamorph.planner.doubts import find_doubts
from datamorph.planner.draft import Draft, apply_claims, assemble
from datamorph.planner.linking import SchemaLinker
from datamorph.planner.meaning import Corrected, correct_spelling, sort_leftover
from datamorph.planner.recognizers import (
    ages,
    aggregates,
    asides,
    buckets,
    cleaning,
    columns,
    dateparts,
    dates,
    dedupe,
    derived,
    derivekit,
    durations,
    filter_states,
    filters,
    flags,
    frequency,
    glue,
    joins,
    keyed,
    noops,
    ordering,
    orphans,
    partitions,
    policy,
    questions,
    related,
    safety,
    selfjoin,
    series,
    sources,
    stored,
    strings,
    target,
    union,
    versus,
    windows,
)
from datamorph.spec import ClaimNote, ETLSpec


@dataclass(frozen=True)
class Step:
    """One recognizer in the driver's order: its name (the provenance records and fixture files use it)
    and ``rule``, which reads a :class:`~datamorph.planner.claims.View` and returns claims."""

    name: str
    rule: Callable[[View], Sequence[Claim]]


#: The recognizers, in the order they run. Order matters: safety first; sources before anything
#: that resolves columns; row filters and dates before aggregates (a condition on a measure is a
#: having); aggregates before the output list (which may name a measure); ordering last but one.
RULES: tuple[Step, ...] = (
    Step("safety", safety.rule),
    Step("target", target.recognize),
    Step("noops.bullets", noops.bullets),
    Step("noops.steps", noops.steps),
    Step("noops.regardless", noops.regardless),
    Step("noops.every_row", noops.every_row),
    Step("noops.included", noops.included),
    Step("noops.ignore", noops.ignored),
    Step("noops.no_transform", noops.no_transform),
    Step("noops.as_is", noops.as_is),
    Step("noops.case_examples", noops.case_examples),
    Step("noops.as_integers", noops.as_integers),
    Step("noops.column_order", noops.column_order),
    Step("noops.requester", noops.requester),
    Step("union", union.rule),
    Step("joins", joins.rule),
    Step("sources", sources.rule),
    Step("selfjoin", selfjoin.rule),  # before the output list and dates: "their manager's name" is the other row's
    Step("related", related.rule),  # before orphans ("have jobs but never a parked job") and aggregates ("with at least one loan": no count condition)
    Step("orphans", orphans.rule),
    Step("ages", ages.rule),  # before keys and comparisons: "members 65 or older" is no member 65, no amount
    Step("frequency.busiest", frequency.busiest),  # before date parts: "the busiest day of the week" is a count per weekday
    Step("keyed", keyed.rule),
    Step("policy.links", policy.links),
    Step("dates", dates.rule),
    Step("dateparts.weekdays", dateparts.weekdays),  # "placed on a weekend": the day of the week of the date
    Step("filter_states.two_dates", filter_states.two_dates),  # before date parts and values: "paid late", "same day"
    Step("cleaning.copies", cleaning.rule),  # before the string functions: "lower-case, trimmed" are its steps
    Step("strings.joined", strings.joined),  # before functions: "the first 2 letters of a followed by ..." is one value
    Step("strings.functions", strings.rule),
    Step("strings.parts", strings.parts),
    Step("durations", durations.rule),  # before arithmetic: "ended_at minus started_at in minutes" is one span of time
    Step("derived.concat", derived.concatenations),
    Step("derived.fills", derived.fills),
    Step("derived.flags", flags.rule),
    Step("derived.arithmetic", derived.arithmetic),  # before date parts: "2025 - year of hire_date" is one expression
    Step("derived.rounding", derived.rounding),  # after the computed values it rounds, before the aggregates' rounding
    Step("dateparts.truncs", dateparts.truncs),
    Step("dateparts.dates_of", dateparts.dates_of),
    Step("dateparts.stems", dateparts.stem_parts),
    Step("dateparts.parts", dateparts.parts),
    Step("buckets.cases", buckets.rule),
    Step("derivekit.row_scope", derivekit.row_scope),
    Step("windows.rank_one", windows.rank_one),  # "highest = 1" says a rank's direction: no measure, no "= 1" filter
    Step("versus", versus.rule),  # before the partitions and aggregates: "above the average salary" is no measure
    Step("windows.partitions", partitions.rule),  # before aggregates: "the average price of its category" keeps the rows
    Step("dedupe.picked", dedupe.picked),  # before aggregates: "(earliest X, ties: lowest id)" is no min per group
    Step("ordering.tie_hold", ordering.hold_ties),  # before aggregates: "ties: lowest id" is no minimum, "by id" no grouping
    Step("windows.top_n_rows", windows.top_n_rows),  # before aggregates: "top 2 orders per customer by amount" keeps rows
    Step("frequency", frequency.rule),
    Step("frequency.busiest", frequency.busiest),  # "the busiest day of the week": rows counted per weekday, the first  # before aggregates: "the 5 most common cities" is a count per city, ranked
    Step("aggregates", aggregates.rule),
    Step("versus.groups", versus.groups),  # "keeping the months above the average": the groups' average
    Step("policy.nulls", policy.nulls),  # before the NULL tests: "missing fees add nothing" is no condition
    Step("policy.kept", policy.kept),
    Step("filters.examples", filters.examples),
    Step("filters.in_lists", filters.in_lists),
    Step("filters.comparisons", filters.comparisons),
    Step("filters.text_matches", filters.text_matches),
    Step("filters.case_folds", filters.case_folds),  # "(case-insensitive)" after a text match: ILIKE
    Step("filter_states.booleans", filter_states.booleans),
    Step("filters.null_tests", filters.null_tests),
    Step("filters.related_null_tests", filters.related_null_tests),
    Step("filters.values", filters.values),
    Step("filters.non_values", filters.non_values),
    Step("filter_states.states", filter_states.states),
    Step("filter_states.restated", filter_states.restated),
    Step("filter_states.only", filter_states.only),
    Step("stored", stored.rule),  # once the conditions are in: a value written unlike the stored one is that one
    Step("flags.whether", flags.whether),  # after the conditions: "and whether they were cancelled" is no filter
    Step("asides.glosses", asides.glosses),
    Step("asides.present_time", asides.present_time),
    Step("asides.emphasis", asides.emphasis),
    Step("ordering.tie_release", ordering.release_ties),
    Step("windows.top_n", windows.top_n),
    Step("windows.rank", windows.rank),
    Step("windows.sequence", windows.sequence),
    Step("windows.previous", windows.previous),
    Step("windows.running", windows.running),
    Step("series.moving", series.rule),
    Step("windows.partition_said", windows.partition_said),  # before the output list reads its column
    Step("dedupe.rows", dedupe.rule),
    Step("ordering.top_n", ordering.top_n),
    Step("ordering.sorted_by", ordering.sorted_by),
    Step("ordering.standalone", ordering.standalone),
    Step("ordering.alphabetical", ordering.alphabetical),
    Step("ordering.limit", ordering.limit),
    Step("ordering.among", ordering.among),
    Step("ordering.ties", ordering.ties),
    Step("glue.place", glue.place),
    Step("glue.agent", glue.agent),
    Step("glue.activity", glue.activity),
    Step("glue.recorded", glue.recorded),
    Step("questions", questions.rule),
    Step("durations.as_date", durations.as_date),  # before the output list: "due_back_on as a date" is no renaming
    Step("columns.output", columns.rule),
    Step("columns.rows", columns.rows),
    Step("glue.only", glue.only),
    Step("glue.units", glue.units),
    Step("policy.unlinked", policy.unlinked),
    Step("policy.grain", policy.grain),
    Step("policy.label", policy.label),
    Step("durations.how_long", durations.how_long),
    Step("asides.echoes", asides.echoes),
    Step("sources.owners", sources.owners),  # last: "each vendor's phone" once the phone is used
)


def run_step(d: Draft, step: Step, snapshots: Snapshots | None = None) -> None:
    """Run one recognizer on the draft: give it a read-only view, apply the claims it returns."""
    claims = step.rule(View(d, snapshots.of(d.tokens) if snapshots else None))
    apply_claims(d, step.name, list(claims))


def prepare(prompt: str, catalog: Catalog, linker: SchemaLinker, *, target: str | None = None,
            reference_date: dt.date | None = None) -> tuple[Draft, Corrected]:  # fmt: skip
    """The empty draft of a request: its words spelling-corrected and tokenized, nothing claimed yet."""
    short, _ = budget.squeezed(prompt.strip())  # runs of spaces mean nothing, and make patterns slow
    spelled = correct_spelling(short, linker)  # every recognizer reads the corrected words
    _, tokens = budget.squeezed(spelled.text, typed_from=prompt.strip())  # quoted values as typed
    draft = Draft(prompt=spelled.text, tokens=tokens, catalog=catalog, linker=linker,
                  reference_date=reference_date or dt.date.today(), target=target,
                  mentions=linker.find_mentions(spelled.text))  # fmt: skip
    return draft, spelled


def claims_of(name: str, prompt: str, catalog: Catalog, linker: SchemaLinker, *,
              reference_date: dt.date | None = None, rules: tuple[Step, ...] = RULES) -> list[Claim]:  # fmt: skip
    """What recognizer ``name`` claims on ``prompt``, after the recognizers before it ran (for tests).

    The claims are returned, not applied: this is how each recognizer is tested alone.
    """
    steps = [s.name for s in rules]
    if name not in steps:
        raise KeyError(f"no recognizer {name!r}; they are {', '.join(steps)}")
    draft, _ = prepare(prompt, catalog, linker, reference_date=reference_date)
    for step in rules:
        if step.name == name:
            return list(step.rule(View(draft)))
        run_step(draft, step)
    raise AssertionError("unreachable")  # pragma: no cover


@budget.bounded
def plan(
    prompt: str,
    catalog: Catalog,
    linker: SchemaLinker,
    *,
    target: str | None = None,
    reference_date: dt.date | None = None,
    rules: tuple[Step, ...] = RULES,
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
    draft, spelled = prepare(prompt, catalog, linker, target=target, reference_date=reference_date)
    snapshots = Snapshots()
    for step in rules:
        budget.check()
        run_step(draft, step, snapshots)
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
    spec, left = settle(spec, find_doubts(draft, spec))  # the readings the words decide are applied
    if doubts is not None:
        doubts.extend(left)
    return _as_written(spec, spelled, leftover.ignored, draft.records)


def _as_written(spec: ETLSpec, spelled: Corrected, ignored: list[str], records: list[ClaimRecord]) -> ETLSpec:
    """The spec with the request as written (not as spell-corrected), the words set aside, the claims."""
    notes = [ClaimNote(recognizer=r.recognizer, words=r.words, edits=list(r.edits), confidence=r.confidence)
             for r in records]  # fmt: skip
    update: dict[str, object] = {"ignored_words": ignored, "claims": notes}
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
