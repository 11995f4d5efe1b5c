"""The aggregate recognizers' scratch (recognizers/agg_work.py): what it takes and gives back, applied by the
driver, leaves the draft's words exactly as the scratch saw them; the draft itself is never written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.planner.claims import Edit, View, claim, held
from datamorph.planner.draft import Draft, apply_claims
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.recognizers.agg_work import Work
from datamorph.planner.rules import RULES, prepare, run_step
from planner_support import REF, WEB_FINANCE_SQL, planner_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory, WEB_FINANCE_SQL)


@pytest.fixture(scope="module")
def linker(engine: Any) -> SchemaLinker:
    catalog = engine.catalog()
    return SchemaLinker(catalog, ValueIndex.build(engine, catalog))


def _draft(linker: SchemaLinker, prompt: str) -> Draft:
    d, _ = prepare(prompt, linker.catalog, linker, reference_date=REF)
    return d


def _at(d: Draft, word: str) -> tuple[int, int]:
    i = d.prompt.index(word)
    return i, i + len(word)


def _held_words(d: Draft) -> list[str]:
    return [t.text for t in d.tokens.items if held(t)]


def test_taken_and_given_back_words_reach_the_draft_as_the_scratch_saw_them(linker: SchemaLinker) -> None:
    d = _draft(linker, "total amount of transactions per account type")
    w = Work(View(d))
    w.take(*_at(d, "total amount of transactions"))
    w.take(*_at(d, "per account type"))
    assert not w.free(*_at(d, "amount")) and not d.tokens.items[0].used  # the draft is not written
    w.give_back(*_at(d, "amount of transactions"))
    assert w.free(*_at(d, "amount")) and not w.free(*_at(d, "total"))
    apply_claims(d, "aggregates", w.claims())
    assert _held_words(d) == ["total", "per", "account", "type"]


def test_a_word_taken_twice_makes_one_claim_and_held_words_are_built_on(linker: SchemaLinker) -> None:
    d = _draft(linker, "accounts with more than 2 transactions")
    apply_claims(d, "sources", [claim(*_at(d, "accounts"), Edit.use_table("accounts"))])
    w = Work(View(d))
    w.take(*_at(d, "with more than 2 transactions"))
    w.take(*_at(d, "more than 2"))  # all its words taken already: no second claim
    w.take(*_at(d, "accounts with"))  # "accounts" is held by another claim: this one builds on it
    spans = [(c.spans, c.over) for c in w.claims()]
    assert spans == [((_at(d, "with more than 2 transactions"),), False), ((_at(d, "accounts with"),), True)]
    apply_claims(d, "aggregates", w.claims())
    assert [r.recognizer for r in d.refused] == []
    assert _held_words(d) == ["accounts", "with", "more", "than", "2", "transactions"]


def test_giving_back_leaves_a_shared_word_between_as_it_was(linker: SchemaLinker) -> None:
    d = _draft(linker, "number of orders and customers")
    apply_claims(d, "sources", [claim(*_at(d, "orders"), shared=True)])
    w = Work(View(d))
    w.take(*_at(d, "number of"))
    w.take(*_at(d, "and customers"))
    w.give_back(0, len(d.prompt))
    release = w.claims()[-1].edits[0]
    assert release.op == "release" and _at(d, "orders") not in release.value and len(release.value) == 2
    apply_claims(d, "aggregates", w.claims())
    orders = next(t for t in d.tokens.items if t.text == "orders")
    assert orders.used and orders.shared and _held_words(d) == []


def test_reserved_words_are_free_and_recorded(linker: SchemaLinker) -> None:
    d = _draft(linker, "department and avg_salary")
    w = Work(View(d))
    w.take(*_at(d, "avg_salary"))
    w.reserve(*_at(d, "avg_salary"))
    apply_claims(d, "aggregates", w.claims())
    assert d.reserved == [_at(d, "avg_salary")] and _held_words(d) == []


def test_changed_fields_come_back_as_one_claim_and_nothing_else_changes(linker: SchemaLinker) -> None:
    d = _draft(linker, "number of sessions per device type")
    for step in RULES:
        if step.name == "aggregates":
            break
        run_step(d, step)
    before = {name: getattr(d, name) for name in ("base", "tables", "filters", "derived", "having")}
    aggregates = next(s for s in RULES if s.name == "aggregates")
    claims = list(aggregates.rule(View(d)))  # type: ignore[arg-type]
    assert {name: getattr(d, name) for name in before} == before and d.aggregations == []
    sets = [c for c in claims if c.edits and not c.spans]
    assert len(sets) == 1 and {e.field for e in sets[0].edits} == {"group_by", "aggregations"}
    apply_claims(d, "aggregates", claims)
    assert d.group_by == ["sessions.device_type"] and [a.alias for a in d.aggregations] == ["session_count"]
