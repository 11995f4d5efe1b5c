"""The shape recognizers (derived columns, date parts, buckets, de-duplication, the output list) return claims
and change nothing themselves; derivekit.Work keeps what their lookups would change for the claims."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.planner.claims import View
from datamorph.planner.draft import Draft
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.recognizers.derived import parse_arithmetic
from datamorph.planner.recognizers.derivekit import Work, add, column_phrase
from datamorph.planner.rules import RULES, prepare, run_step
from planner_support import REF, WEB_FINANCE_SQL, planner_engine

_MINE = ("strings.", "derived.", "dateparts.", "buckets.", "derivekit.", "dedupe.", "columns.")
_STATE = ("base", "tables", "filters", "derived", "dedupe", "aggregations", "windows", "columns", "limit", "aliases")


@pytest.fixture(scope="module")
def linker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaLinker]:
    for engine in planner_engine(tmp_path_factory, WEB_FINANCE_SQL):
        catalog = engine.catalog()
        yield SchemaLinker(catalog, ValueIndex.build(engine, catalog))


def _state(d: Draft) -> tuple[Any, ...]:
    return tuple(copy.deepcopy(getattr(d, f)) for f in _STATE) + (tuple((t.used, t.shared) for t in d.tokens.items),)


@pytest.mark.parametrize("prompt", [
    "order items with line_total = quantity times unit_price, plus the first 3 letters of product_name",
    "for each web session add the hour of started_at and browser in upper case",
    "accounts: account_id and 'high' when credit_limit is 10,000 or more, 'low' otherwise, called limit_tier",
    "latest salary record per employee, return employee_id, salary and effective_date",
    "a deduplicated copy of page_views with all columns",
])  # fmt: skip
def test_steps_leave_the_draft_alone(prompt: str, linker: SchemaLinker) -> None:
    d, _ = prepare(prompt, linker.catalog, linker, reference_date=REF)
    seen = 0
    for step in RULES:
        if step.name.startswith(_MINE):
            before = _state(d)
            claims = step.rule(View(d))  # type: ignore[arg-type]
            assert _state(d) == before, f"{step.name} changed the draft itself"
            seen += bool(claims)
        run_step(d, step)
    assert seen, "no step of the group claimed anything: the prompt tests nothing"


def test_work_keeps_tables_for_the_next_claim(linker: SchemaLinker) -> None:
    d, _ = prepare("order items with quantity", linker.catalog, linker, reference_date=REF)
    w = Work(View(d))
    assert column_phrase(w, "unit price") == "order_items.unit_price"
    assert w.base == "order_items" and d.base is None  # the Work's copy, not the draft
    c = add(w, "double_price", "order_items.unit_price * 2", 0, 11)
    assert [e.describe() for e in c.edits][0] == "table order_items"
    assert w.claims() == [c]


def test_failed_arithmetic_takes_back_its_tables(linker: SchemaLinker) -> None:
    d, _ = prepare("orders", linker.catalog, linker, reference_date=REF)
    run_step(d, next(s for s in RULES if s.name == "sources"))
    w = Work(View(d))
    tables = (w.base, list(w.tables))
    assert parse_arithmetic(w, "unit_price times nonsense_word") is None
    assert (w.base, w.tables) == tables and w.claims() == []
    assert parse_arithmetic(w, "amount times 2") == ("orders.amount * 2", ["amount", "times", "2"])
