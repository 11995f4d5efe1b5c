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
from datamorph.planner.rules import RULES, claims_of, plan, prepare, run_step
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
    "for every transaction, add the month number of transaction_date and the status in lower case",
    "products: product_id and price_band, which is 'premium' if unit_price exceeds 200 and 'standard' otherwise",
    "the most recent session of each user, with user_id, browser and started_at",
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


# -- recognizer fixture cases (tests/fixtures/claims) the recognizer does not read: strict xfails ---------------
# A fixture file cannot mark a case as expected to fail, so the cases whose request the recognizer misses are
# here, each with the edit it should propose (a field and what its value holds), checked on the Edit itself.


def _xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


def _holds(value: Any, want: Any) -> bool:
    """``value`` (a model, a list of them, or text) holds ``want`` (a dict of fields, or a piece of text)."""
    if isinstance(value, list | tuple):
        return any(_holds(v, want) for v in value)
    if isinstance(want, str):
        return want in str(value)
    data = value.model_dump(exclude_none=True) if hasattr(value, "model_dump") else value
    return isinstance(data, dict) and all(data.get(k) == v for k, v in want.items())


_SESSION_SECONDS = "EXTRACT(EPOCH FROM sessions.ended_at - sessions.started_at)"


@pytest.mark.parametrize(("recognizer", "request_text", "field", "want"), [
    pytest.param("dateparts.truncs", "users created in 2025, each with its month written as that month's opening "
                 "date", "derived", {"expression": "CAST(date_trunc('month', users.created_at) AS DATE)"},
                 id="dateparts.truncs-first-day",
                 marks=_xfail("a month as the date of its first day, said as 'its month written as that month's "
                              "opening date', the date column not named: no claim")),
    pytest.param("dedupe.picked", "the earliest transaction of every account_id by transaction_date, lowest "
                 "transaction_id winning ties", "dedupe",
                 {"keys": ["transactions.account_id"],
                  "order_by": [{"column": "transactions.transaction_date", "direction": "asc"},
                               {"column": "transactions.transaction_id", "direction": "asc"}]},
                 id="dedupe.picked-winning-ties",
                 marks=_xfail("first row per key, the tie-break said as 'lowest X winning ties': no claim")),
    pytest.param("dedupe.picked", "sessions sharing user_id and device_type count as a single session; retain the "
                 "row whose started_at is most recent (ties: highest session_id)", "dedupe",
                 {"keys": ["sessions.user_id", "sessions.device_type"],
                  "order_by": [{"column": "sessions.started_at", "direction": "desc"},
                               {"column": "sessions.session_id", "direction": "desc"}]},
                 id="dedupe.picked-sharing-keys",
                 marks=_xfail("rows sharing keys are one, said as 'sharing X and Y count as a single ...; retain "
                              "the row whose ...': no claim")),
    pytest.param("durations", "sessions that went on for over 45 minutes", "filters",
                 {"expression": f"{_SESSION_SECONDS} > 2700"},
                 id="durations-went-on-for",
                 marks=_xfail("a duration said as 'went on for over 45 minutes': no claim")),
    pytest.param("policy.grain", "number of employees by department_id and employment_type, with a row only for "
                 "the pairs that exist", "notes",
                 "one row per combination of employees.department_id, employees.employment_type",
                 id="policy.grain-pairs-that-exist",
                 marks=_xfail("the grain said as 'a row only for the pairs that exist': no claim")),
    pytest.param("policy.kept", "transaction count per account_id, including account ids that have no accounts row",
                 "notes", "keep transactions rows whose transactions.account_id matches no accounts row",
                 id="policy.kept-no-row",
                 marks=_xfail("orphan keys kept, said as 'including X ids that have no X row': orphans reads it "
                              "first (policy.kept finds the words held), and the aggregates read 'no accounts' as "
                              "groups to keep at 0, so the plan is refused; 'no row in accounts' is read")),
    pytest.param("policy.nulls", "active products only; a product with no is_active value is treated as inactive.",
                 "notes", "a missing products.is_active satisfies no condition on it",
                 id="policy.nulls-treated-as",
                 marks=_xfail("a missing true/false value counts as false, said as 'a product with no is_active "
                              "value is treated as inactive': no claim")),
    pytest.param("series.moving", "total amount per month of order_date: month and smooth = the mean of the current "
                 "and previous two months' total_amount, rounded to 1 decimal", "windows",
                 {"name": "smooth", "function": "avg", "column": "total_amount", "preceding": 2, "round": 1},
                 id="series.moving-frame-in-words",
                 marks=_xfail("a moving average's frame said as 'the mean of the current and previous two months': "
                              "no claim")),
    pytest.param("windows.running", "running balance of transactions for each account: credits add the amount and "
                 "debits subtract it. Order by transaction_date, then transaction_id.", "windows",
                 {"name": "running_balance", "function": "sum", "partition_by": ["transactions.account_id"],
                  "expression": "CASE WHEN transactions.direction = 'credit' THEN transactions.amount "
                                "ELSE -transactions.amount END",
                  "order_by": [{"column": "transactions.transaction_date", "direction": "asc"},
                               {"column": "transactions.transaction_id", "direction": "asc"}]},
                 id="windows.running-of-a-table"),  # was a signed sum of transaction_id (the table's key)
    pytest.param("windows.running", "per account, a running balance of the transactions where a credit increases it "
                 "by the amount and a debit lowers it; sort each account's rows by transaction_date, then "
                 "transaction_id.", "windows",
                 {"name": "running_balance", "function": "sum", "partition_by": ["transactions.account_id"],
                  "expression": "CASE WHEN transactions.direction = 'credit' THEN transactions.amount "
                                "ELSE -transactions.amount END",
                  "order_by": [{"column": "transactions.transaction_date", "direction": "asc"},
                               {"column": "transactions.transaction_id", "direction": "asc"}]},
                 id="windows.running-sort-each",
                 marks=_xfail("a running balance signed by direction, the order said as 'sort each account's rows "
                              "by ...': PlanError 'a running balance of the transactions' needs an order (and on "
                              "the fixture's former wording the sum is of transaction_id, not amount)")),
])  # fmt: skip
def test_reworded_fixture_cases(recognizer: str, request_text: str, field: str, want: Any,
                                linker: SchemaLinker) -> None:  # fmt: skip
    got = claims_of(recognizer, request_text, linker.catalog, linker, reference_date=REF)
    values = [e.value for c in got for e in c.edits if e.field == field]
    assert any(_holds(v, want) for v in values), [e.describe() for c in got for e in c.edits]


def test_a_presence_test_after_the_anti_joined_table_goes_in_the_join(linker: SchemaLinker) -> None:
    """orphans.txt: 'employees who never had a salary row with an end_date' is claimed there as an anti join;
    the presence test is read after it and must end in the join's ON, not in the WHERE (no rows at all)."""
    spec = plan("employees who never had a salary row with an end_date", linker.catalog, linker, reference_date=REF)
    (join,) = spec.join_conditions
    assert join.right_table == "salaries" and join.join_type == "left"
    assert [(f.column, f.operator) for f in join.conditions] == [("salaries.end_date", "is_not_null")]
    assert [(f.column, f.operator) for f in spec.filters] == [("salaries.employee_id", "is_null")]
