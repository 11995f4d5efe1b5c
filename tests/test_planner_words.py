"""Words that qualify, list, or carry no schema meaning, and the table the request names (issue 11).

- a column word before its values is read with them, even when the linker first read it as another
  table's column of the same name ("jobs with state open or waiting");
- literals joined by "or" after an equality are a list of values ("rating is 4 or 5");
- shorthand ("w/", "w/o", "cols") is written out; a closing "only those N" / "nothing else" ends the
  output list; "x renamed y", "x stays x"; "columns, in this order:" names no table;
- a table named by the last word of its name ("bills" → utility_bills) ranks above a synonym's table;
- a verb in its own base form keeps no other verb lemma ("feed" is not a form of "fee").

The warehouse is a small utility company built here (meters, utility_bills, repair jobs and alerts), unlike
the benchmark's domains; an ``orders`` table is there so that the synonym bill → order has a target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from datamorph.planner import plan_request
from datamorph.planner.lexicon import lemmas
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.meaning import correct_spelling
from datamorph.spec import ETLSpec
from planner_support import sql_engine

UTILITY_SQL = """
CREATE TABLE meters (meter_id INTEGER PRIMARY KEY, street VARCHAR, meter_kind VARCHAR, installed_on DATE);
INSERT INTO meters VALUES (1, 'Elm', 'smart', '2021-03-01'), (2, 'Oak', 'analog', '2019-07-15'),
  (3, 'Elm', 'smart', '2023-11-30'), (4, 'Pine', 'analog', '2020-01-01');
CREATE TABLE utility_bills (bill_id INTEGER PRIMARY KEY, meter_id INTEGER REFERENCES meters(meter_id),
  amount DECIMAL(10,2), state VARCHAR, rating INTEGER);
INSERT INTO utility_bills VALUES (10, 1, 120.00, 'settled', 5), (11, 1, 480.50, 'due', 4),
  (12, 2, 75.25, 'disputed', 2), (13, 3, 910.00, 'due', 3), (14, 4, 330.00, 'settled', 4);
CREATE TABLE orders (order_id INTEGER PRIMARY KEY, amount DECIMAL(10,2), placed_on DATE);
INSERT INTO orders VALUES (1, 10.00, '2025-01-01'), (2, 20.00, '2025-01-02');
CREATE TABLE alerts (alert_id INTEGER PRIMARY KEY, meter_id INTEGER, state VARCHAR, closed_at TIMESTAMP);
INSERT INTO alerts VALUES (1, 1, 'open', NULL), (2, 2, 'closed', '2025-05-01 10:00:00'), (3, 3, 'open', NULL);
CREATE TABLE repair_jobs (job_id INTEGER PRIMARY KEY, meter_id INTEGER, crew VARCHAR, state VARCHAR, hours INTEGER,
  auto_close BOOLEAN);
INSERT INTO repair_jobs VALUES (100, 1, 'north', 'open', 3, true), (101, 1, 'south', 'waiting', 5, false),
  (102, 2, 'north', 'done', 2, true), (103, 3, 'north', 'open', 8, false), (104, 4, 'south', 'done', 1, NULL);
"""
REF = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "utility", UTILITY_SQL)


@pytest.fixture(scope="module")
def linker(engine: Any) -> SchemaLinker:
    catalog = engine.catalog()
    return SchemaLinker(catalog, ValueIndex.build(engine, catalog))


def plan(engine: Any, prompt: str) -> ETLSpec:
    return plan_request(prompt, engine, reference_date=REF)


def rows(engine: Any, prompt: str) -> list[tuple[Any, ...]]:
    spec = plan(engine, prompt)
    return sorted(engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows)


def filters(spec: ETLSpec) -> list[tuple[str, str, Any]]:
    return [(f.column, f.operator, f.value) for f in spec.filters]  # type: ignore[union-attr]


# -- the table the request names -------------------------------------------------------------------


def test_the_last_word_of_a_table_name_beats_a_synonym(linker: SchemaLinker) -> None:
    hits = linker.tables("bills")
    assert hits[0].table == "utility_bills" and hits[0].score > max(h.score for h in hits[1:])


def test_a_bare_amount_compares_the_named_tables_measure(engine: Any) -> None:
    spec = plan(engine, "Disputed bills for more than $50: bill_id, amount")
    assert [t.table_name for t in spec.source_tables] == ["utility_bills"]
    assert sorted(filters(spec)) == [("utility_bills.amount", ">", 50), ("utility_bills.state", "=", "disputed")]


def test_a_word_ending_two_table_names_names_neither(tmp_path: Path) -> None:
    import duckdb

    from datamorph.catalog import Catalog
    from datamorph.engines import connect

    path = tmp_path / "two.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE water_bills (bill_id INTEGER, amount INTEGER);"
                "CREATE TABLE power_bills (bill_id INTEGER, amount INTEGER);"
                "CREATE TABLE invoice_lines (line_id INTEGER, qty INTEGER);")  # fmt: skip
    con.close()
    eng = connect(str(path))
    try:
        catalog: Catalog = eng.catalog()
        linker = SchemaLinker(catalog)
        hits = linker.tables("bills")
        assert not hits or hits[0].score < 0.92 or len({h.score for h in hits[:2]}) == 1
        assert all(h.score < 0.92 for h in linker.tables("lines"))  # a row noun: not every "line" is an invoice's
    finally:
        eng.close()


# -- a column word qualifying its values ----------------------------------------------------------


def test_column_word_before_values_of_another_tables_column(engine: Any) -> None:
    spec = plan(engine, "number of repair jobs per crew, counting only jobs with state open or waiting")
    assert filters(spec) == [("repair_jobs.state", "in", ["open", "waiting"])]
    assert rows(engine, "number of repair jobs per crew, counting only jobs with state open or waiting") == [
        ("north", 2), ("south", 1)]  # fmt: skip


def test_column_word_before_a_quoted_value(engine: Any) -> None:
    spec = plan(engine, "repair jobs (job state 'done'): job_id, crew")
    assert filters(spec) == [("repair_jobs.state", "=", "done")]
    assert "state" not in spec.ignored_words


# -- alternatives after an equality ----------------------------------------------------------------


@pytest.mark.parametrize(("prompt", "expected"), [
    ("bills whose rating is 4 or 5: bill_id", [("utility_bills.rating", "in", [4, 5])]),
    ("bills whose rating is 2, 3 or 4: bill_id", [("utility_bills.rating", "in", [2, 3, 4])]),
    ("meters whose street is 'Elm' or 'Pine': meter_id", [("meters.street", "in", ["Elm", "Pine"])]),
])  # fmt: skip
def test_literals_joined_by_or_are_a_list(engine: Any, prompt: str, expected: list[tuple[str, str, Any]]) -> None:
    assert filters(plan(engine, prompt)) == expected


def test_the_list_gives_the_rows(engine: Any) -> None:
    assert rows(engine, "bills whose rating is 4 or 5: bill_id") == [(10,), (11,), (14,)]


def test_literals_without_or_are_no_list(engine: Any) -> None:
    with pytest.raises(PlanError, match="'7'"):  # "rating is 2, 7 hours": not a list; 7 stays unexplained
        plan(engine, "bills whose rating is 2, 7 times: bill_id")


# -- shorthand, renames and the end of the output list ---------------------------------------------


def test_shorthand_is_written_out(linker: SchemaLinker) -> None:
    assert correct_spelling("meters w/ renamed cols", linker).text == "meters with renamed columns"
    assert correct_spelling("meters w/o a street", linker).text == "meters without a street"
    assert correct_spelling("street is 'w/ cols'", linker).text == "street is 'w/ cols'"  # quoted: as typed


def test_renamed_list_closed_by_a_count(engine: Any) -> None:
    spec = plan(engine, "meter extract w/ renamed cols: meter_id -> mid, street -> road. only those 2")
    assert [(c.column, c.name) for c in spec.columns] == [("meters.meter_id", "mid"), ("meters.street", "road")]


def test_a_closing_count_must_agree(engine: Any) -> None:
    with pytest.raises(PlanError, match="just those three' but 2 columns"):
        plan(engine, "meters: meter_id, street. just those three")


def test_renamed_without_to_and_a_name_that_stays(engine: Any) -> None:
    spec = plan(engine, "meters, renamed for the field team: meter_id renamed mid, street stays street. Nothing else.")
    assert [(c.column, c.name) for c in spec.columns] == [("meters.meter_id", "mid"), ("meters.street", None)]


def test_columns_in_this_order_names_no_table(engine: Any) -> None:
    spec = plan(engine, "Meter register for the field team. Columns, in this order: meter_id renamed mid, street renamed road.")
    assert [t.table_name for t in spec.source_tables] == ["meters"]
    assert [(c.column, c.name) for c in spec.columns] == [("meters.meter_id", "mid"), ("meters.street", "road")]


# -- lemmas ------------------------------------------------------------------------------------------


def test_a_base_form_verb_keeps_no_other_verb_lemma() -> None:
    assert "fee" not in lemmas("feed") and "find" not in lemmas("found")
    assert "order" in lemmas("ordered") and "leave" in lemmas("left") and "client" in lemmas("clients")


def test_a_noun_naming_the_result_after_a_table_word_is_set_aside(engine: Any) -> None:
    spec = plan(engine, "Meter feed for the field team: meter_id, street")
    assert "feed" in spec.ignored_words and [t.table_name for t in spec.source_tables] == ["meters"]


# -- a request to change rows of a table in place ---------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "Set every due bill to settled in the utility_bills table.",
    "Change the state of open repair jobs to done in the repair_jobs table",
    "Please mark all open alerts as closed in the alerts table.",
])  # fmt: skip
def test_setting_values_in_a_table_is_refused(engine: Any, prompt: str) -> None:
    from datamorph.errors import UnsafeRequest

    with pytest.raises(UnsafeRequest):
        plan(engine, prompt)


def test_set_and_mark_that_shape_the_result_are_not_refused(engine: Any) -> None:
    from datamorph.errors import UnsafeRequest

    for prompt in ("mark repair jobs over 4 hours as long: job_id, hours", "set the street to upper case"):
        try:
            plan(engine, prompt)
        except UnsafeRequest:  # pragma: no cover - the failure this test looks for
            pytest.fail(f"refused as unsafe: {prompt!r}")
        except PlanError:
            pass  # (whether the planner reads it is another matter: it must not call it a write)


# -- a grouping verb split around its object ----------------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "Break repair jobs down by crew with the number of jobs",
    "break down repair jobs by crew, number of jobs",
    "Split repair jobs up by crew and count the jobs",
])  # fmt: skip
def test_break_down_by_groups(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert spec.group_by == ["repair_jobs.crew"] and not spec.ignored_words
    assert rows(engine, prompt) == [("north", 3), ("south", 2)]


# -- a negation before the verb that sets a yes/no column ---------------------------------------------


@pytest.mark.parametrize(("prompt", "value"), [
    ("repair jobs that are NOT set to auto-close: job_id", False),
    ("repair jobs which aren't marked as auto close: job_id", False),
    ("repair jobs set to auto-close: job_id", True),
])  # fmt: skip
def test_not_set_to_a_yes_no_column(engine: Any, prompt: str, value: bool) -> None:
    spec = plan(engine, prompt)
    assert filters(spec) == [("repair_jobs.auto_close", "=", value)]


# -- a parenthesis naming the column of the value before it; "now" with a NULL test ---------------------


def test_a_parenthesis_naming_the_values_column_says_it_again(engine: Any) -> None:
    prompt = "smart meters (the meter kind): meter_id, street"
    assert filters(plan(engine, prompt)) == [("meters.meter_kind", "=", "smart")]
    assert rows(engine, prompt) == [(1, "Elm"), (3, "Elm")]
    assert filters(plan(engine, "repair jobs waiting (their state): job_id")) == [("repair_jobs.state", "=", "waiting")]


def test_a_parenthesis_naming_another_column_is_not_a_gloss(engine: Any) -> None:
    with pytest.raises(PlanError, match="crew"):
        plan(engine, "repair jobs waiting (their crew): job_id")


def test_now_with_a_null_test_is_the_current_state(engine: Any) -> None:
    spec = plan(engine, "alerts that are still there now, i.e. whose closed_at is empty: alert_id, meter_id")
    assert filters(spec) == [("alerts.closed_at", "is_null", None)] and "now" not in spec.ignored_words


# -- who asks ------------------------------------------------------------------------------------------


def test_the_requesting_team_is_not_a_value(tmp_path: Path) -> None:
    """A warehouse whose plans include one called 'Field': "Field team here." names who asks, not that plan."""
    import duckdb

    from datamorph.engines import connect

    path = tmp_path / "crews.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE crews (crew_id INTEGER PRIMARY KEY, plan VARCHAR, size INTEGER);"
                "INSERT INTO crews VALUES (1, 'Field', 4), (2, 'Office', 9), (3, 'Field', 12);")  # fmt: skip
    con.close()
    eng = connect(str(path))
    try:
        spec = plan_request("Field team here. We need crews with size over 5: crew_id, size", eng, reference_date=REF)
        assert filters(spec) == [("crews.size", ">", 5)]
        assert any("who asks" in n for n in spec.transformations)
    finally:
        eng.close()


# -- a comparison "in total" is never a row filter --------------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "meters billed more than $500 in total: meter_id",
    "meters whose bills come to over 500 overall: meter_id",
])  # fmt: skip
def test_a_comparison_in_total_is_not_a_row_filter(linker: SchemaLinker, prompt: str) -> None:
    from datamorph.planner.rules import claims_of

    claims = claims_of("filters.comparisons", prompt, linker.catalog, linker, reference_date=REF)
    assert not [e for c in claims for e in c.edits]  # no condition on each bill's amount


# -- emphasis on a negated existence; a list after an arrow ---------------------------------------------------

KENNEL_SQL = """
CREATE TABLE owners (owner_id INTEGER PRIMARY KEY, owner_name VARCHAR, town VARCHAR);
INSERT INTO owners VALUES (1, 'Ines', 'Split'), (2, 'Jon', 'Zadar'), (3, 'Kai', 'Split'), (4, 'Lea', 'Pula');
CREATE TABLE dogs (dog_id INTEGER PRIMARY KEY, owner_id INTEGER REFERENCES owners(owner_id), breed VARCHAR);
INSERT INTO dogs VALUES (1, 1, 'collie'), (2, 1, 'pug'), (3, 3, 'collie');
"""


@pytest.fixture(scope="module")
def kennel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "kennel", KENNEL_SQL)


@pytest.mark.parametrize("prompt", [
    "owners who never had a single dog: owner_id",
    "owners without even one dog",
    "Which owners have not got even a single dog? owner_id, owner_name",
    "owners with no dogs -> owner_id, owner_name",
])  # fmt: skip
def test_emphasis_on_a_missing_related_row_is_any(kennel: Any, prompt: str) -> None:
    """'a single', 'even one' after a negation say 'any': the owners with no dog at all."""
    assert sorted(r[0] for r in rows(kennel, prompt)) == [2, 4]


def test_a_single_without_a_negation_is_not_emphasis(kennel: Any) -> None:
    """'owners with a single dog' is a count of one: never read as 'with any dog' (refused until counts read it)."""
    with pytest.raises(PlanError):
        plan(kennel, "owners with a single dog")


def test_an_arrow_opens_the_output_list_unless_it_renames(kennel: Any) -> None:
    assert rows(kennel, "owners with an owner_id above 2 -> owner_id, owner_name") == [(3, "Kai"), (4, "Lea")]
    spec = plan(kennel, "owners: owner_id -> id, town -> city")
    assert [(c.column, c.name) for c in spec.columns] == [("owners.owner_id", "id"), ("owners.town", "city")]


def test_a_zero_clause_naming_the_kind_counted_and_every_row_by_name(kennel: Any) -> None:
    """'an owner with no collie dogs gets 0' names the kind of rows counted: still a clause about empty groups;
    'list every owner by name' groups by the owner's name (it was the dogs' column a word 'name' fits first)."""
    prompt = ("How many collie dogs does each owner have? List every owner by name; an owner with no collie dogs "
              "gets 0.")
    assert rows(kennel, prompt) == [("Ines", 1), ("Jon", 0), ("Kai", 1), ("Lea", 0)]


def test_an_output_list_in_brackets_after_the_grouping(kennel: Any) -> None:
    assert rows(kennel, "dogs per owner (owner_id, owner_name, count)") == [(1, "Ines", 2), (3, "Kai", 1)]
    prompt = "Number of dogs per owner (owner_id, owner_name, count). Owners with no dogs must appear too, with 0."
    assert rows(kennel, prompt) == [(1, "Ines", 2), (2, "Jon", 0), (3, "Kai", 1), (4, "Lea", 0)]
    # a bracket of words that name no columns is no output list
    with pytest.raises(PlanError):
        plan(kennel, "dogs per owner (every single one, please)")


@pytest.mark.parametrize(("prompt", "names"), [
    ("owners with owner_id, owner_name and town; owner_name should be called name",
     ["owner_id", "name", "town"]),
    ("owners: just owner_id and owner_name, the latter called name", ["owner_id", "name"]),
    ("owners: just owner_id and owner_name, the former renamed to id", ["id", "owner_name"]),
])  # fmt: skip
def test_renames_said_apart_from_the_list(kennel: Any, prompt: str, names: list[str]) -> None:
    spec = plan(kennel, prompt)
    assert [c.name or c.column.split(".")[-1] for c in spec.columns] == names  # type: ignore[union-attr]


def test_own_after_a_possessive_is_dropped_but_not_before_a_place(linker: SchemaLinker) -> None:
    assert correct_spelling("meters and their own street", linker).text == "meters and their street"
    kept = "the year in its own column called yr"
    assert correct_spelling(kept, linker).text == kept
