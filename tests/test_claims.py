"""Each recognizer alone: the claims it returns on the phrases of its fixture file (tests/fixtures/claims)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from claims_support import Case, cases, describe
from datamorph.planner.claims import Claim, Edit, View, claim
from datamorph.planner.draft import apply_claims
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.rules import RULES, claims_of, prepare
from planner_support import REF, WEB_FINANCE_SQL, planner_engine


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from planner_engine(tmp_path_factory, WEB_FINANCE_SQL)


@pytest.fixture(scope="module")
def linker(engine: Any) -> SchemaLinker:
    catalog = engine.catalog()
    return SchemaLinker(catalog, ValueIndex.build(engine, catalog))


@pytest.mark.parametrize("case", cases(), ids=str)
def test_recognizer_claims(case: Case, linker: SchemaLinker) -> None:
    got = claims_of(case.recognizer, case.request, linker.catalog, linker, reference_date=REF)
    prompt, _ = prepare(case.request, linker.catalog, linker, reference_date=REF)
    assert tuple(describe(prompt.prompt, c) for c in got) == case.expected


def test_every_fixture_names_a_recognizer() -> None:
    names = {s.name for s in RULES}
    unknown = sorted({c.recognizer for c in cases()} - names)
    assert not unknown, f"fixture files for no recognizer: {unknown}"


# -- the driver ---------------------------------------------------------------------------------


def test_view_is_read_only(linker: SchemaLinker) -> None:
    d, _ = prepare("orders over 100", linker.catalog, linker, reference_date=REF)
    v = View(d)
    with pytest.raises(AttributeError, match="return claims"):
        v.base = "orders"  # type: ignore[misc]
    assert isinstance(v.filters, tuple)
    with pytest.raises(AttributeError, match="return claims"):
        v.tokens.items[0].used = True  # a read-only copy: recognizers cannot mark words
    assert not d.tokens.items[0].used and v.tokens.items[0].text == d.tokens.items[0].text


def test_claim_on_held_words_is_refused(linker: SchemaLinker) -> None:
    d, _ = prepare("orders over 100", linker.catalog, linker, reference_date=REF)
    apply_claims(d, "first", [claim(0, 6, Edit.use_table("orders"))])
    apply_claims(d, "second", [claim(0, 11, Edit.set("limit", 5))])
    assert d.base == "orders" and d.limit is None
    assert [r.recognizer for r in d.records] == ["first"] and [r.recognizer for r in d.refused] == ["second"]
    apply_claims(d, "third", [claim(0, 11, Edit.set("limit", 5), over=True)])
    assert d.limit == 5


def test_shared_words_stay_free(linker: SchemaLinker) -> None:
    d, _ = prepare("orders over 100", linker.catalog, linker, reference_date=REF)
    apply_claims(d, "tables", [claim(0, 6, Edit.use_table("orders"), shared=True)])
    assert View(d).free(0, 15)
    apply_claims(d, "filter", [claim(0, 15, Edit.set("limit", 1))])
    assert not View(d).free(0, 6)
    assert all(t.used for t in d.tokens.items)


def test_surer_claims_first(linker: SchemaLinker) -> None:
    d, _ = prepare("orders over 100", linker.catalog, linker, reference_date=REF)
    unsure = claim(7, 15, Edit.set("limit", 1), confidence=0.4)
    sure = claim(7, 15, Edit.set("limit", 2), confidence=0.9)
    apply_claims(d, "r", [unsure, sure])
    assert d.limit == 2 and len(d.refused) == 1


def test_edit_of_unknown_field_fails(linker: SchemaLinker) -> None:
    d, _ = prepare("orders", linker.catalog, linker, reference_date=REF)
    with pytest.raises(ValueError, match="may not change"):
        apply_claims(d, "r", [claim(0, 6, Edit.set("prompt", "x"))])


def test_claim_rejects_bad_confidence() -> None:
    with pytest.raises(ValueError):
        Claim(((0, 1),), confidence=1.5)
