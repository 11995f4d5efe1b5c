"""Words that carry meaning vs words that may be set aside (planner/meaning.py), spelling correction,
numbers with separators, suffixes and currency, and ``ignored_words`` end to end.

The warehouse is a small library built here (members, loans), unlike the benchmark's domains.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import run_cli

from datamorph.compiler import compile_spec
from datamorph.errors import PlanError
from datamorph.planner import plan_request
from datamorph.planner.lexicon import lemmas
from datamorph.planner.linking import SchemaLinker, ValueIndex
from datamorph.planner.meaning import correct_spelling, phrase_meaning, word_class
from datamorph.planner.text import parse_number, tokenize

LIBRARY_SQL = """
CREATE TABLE members (member_id INTEGER PRIMARY KEY, full_name VARCHAR, tier VARCHAR, city VARCHAR, joined_on DATE);
INSERT INTO members VALUES (1, 'Ada Byron', 'gold', 'Lisbon', '2023-01-05'), (2, 'Bo Chen', 'basic', 'Porto', '2024-02-01'),
  (3, 'Cy Diaz', 'gold', 'Porto', '2024-06-30'), (4, 'Di Evans', 'basic', 'Lisbon', '2025-01-10');
CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, member_id INTEGER REFERENCES members(member_id), bookcode VARCHAR,
  fee DECIMAL(12,2), loaned_on DATE, status VARCHAR);
INSERT INTO loans VALUES (10, 1, 'B-1', 2.50, '2025-01-03', 'returned'), (11, 1, 'B-2', 7.00, '2025-02-11', 'overdue'),
  (12, 2, 'B-1', 1500.00, '2025-03-01', 'returned'), (13, 3, 'B-3', 12.00, '2025-03-15', 'open'),
  (14, 3, 'B-4', 0.00, '2025-04-01', 'open'), (15, 4, 'B-5', 1300000.00, '2025-04-02', 'open');
"""
REF = dt.date(2025, 7, 1)


def _library(path: Path) -> Path:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute(LIBRARY_SQL)
    con.close()
    return path


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _library(tmp_path_factory.mktemp("library") / "library.duckdb")


@pytest.fixture(scope="module")
def engine(warehouse: Path):  # type: ignore[no-untyped-def]
    from datamorph.engines import connect

    eng = connect(str(warehouse))
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def linker(engine: Any) -> SchemaLinker:
    catalog = engine.catalog()
    return SchemaLinker(catalog, ValueIndex.build(engine, catalog))


def plan(engine: Any, prompt: str):  # type: ignore[no-untyped-def]
    return plan_request(prompt, engine, reference_date=REF)


def rows(engine: Any, prompt: str) -> list[tuple[Any, ...]]:
    spec = plan(engine, prompt)
    return sorted(engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows)


def classes(phrase: str, linker: SchemaLinker | None = None) -> dict[str, str | None]:
    return dict(phrase_meaning(phrase, linker))


# -- the classifier alone ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("phrase", "cls"), [
    ("not never no without excluding except isn't doesn't non", "negation"),
    ("over under below above between than exceeding equal contains", "comparison"),
    ("each per only total average averaged counted distinct or including flag indicator", "quantifier"),
    ("top bottom first last highest lowest sorted ranked descending", "ordering"),
    ("March quarter yesterday ytd weekly annual since ago", "date"),
    ("twelve 12,500 1.2M 5k 12.5k dozen 15 euros dollars", "number"),
])  # fmt: skip
def test_words_that_carry_meaning_by_their_form(phrase: str, cls: str) -> None:
    got = classes(phrase)
    assert set(got.values()) == {cls}, got


def test_quoted_text_dates_and_names_carry_meaning() -> None:
    got = classes("'Gold' 2024-03-01 member_id loans.fee xqzvt")
    assert got == {"'Gold'": "quoted", "2024-03-01": "date", "member_id": "schema", "loans.fee": "schema",
                   "xqzvt": "unknown"}  # fmt: skip


@pytest.mark.parametrize("phrase", [
    "Give me a lean export for the board deck, please",
    "put the numbers into a tidy sheet for finance",
    "a quick snapshot we can send to the team",
])  # fmt: skip
def test_filler_words_may_be_set_aside(phrase: str) -> None:
    got = classes(phrase)
    assert set(got.values()) == {None}, got


def test_words_that_link_to_the_warehouse_carry_meaning(linker: SchemaLinker) -> None:
    got = classes("loaned members tier Porto overdue fees", linker)
    assert got.pop("overdue") == "date", got  # a timing word first (it carries meaning with no value too)
    assert set(got.values()) == {"schema"}, got  # "loaned" through its lemma, "Porto" is a value
    assert classes("lean board deck", linker) == {"lean": None, "board": None, "deck": None}


def test_lemmas_and_word_classes() -> None:
    assert {"client"} <= lemmas("clients") and {"order"} <= lemmas("ordered") and {"average"} <= lemmas("averaged")
    assert word_class("Ranked") == "ordering" and word_class("wasn't") == "negation" and word_class("lean") is None
    assert word_class("numbers") is None  # figures; "number" (of rows) counts
    assert word_class("number") == "quantifier"


# -- spelling ---------------------------------------------------------------------------------------------


def test_corrects_misspelt_common_and_schema_words(linker: SchemaLinker) -> None:
    fixed = correct_spelling("Avrage fee of loans recived by membres, with the bokcode", linker)
    assert fixed.text == "Average fee of loans received by members, with the bookcode"
    assert [(c.original, c.corrected) for c in fixed.corrections] == [
        ("Avrage", "Average"), ("recived", "received"), ("membres", "members"), ("bokcode", "bookcode")]
    c = fixed.corrections[1]
    assert fixed.original[c.start : c.end] == "recived" and fixed.text[c.new_start : c.new_end] == "received"
    assert correct_spelling("all bokcodes", linker).text == "all bookcodes"  # a plural stays plural


def test_a_misspelt_grammar_word_is_set_aside_as_written(engine: Any) -> None:
    spec = plan(engine, "Whcih loans have a fee over 5?")
    assert spec.ignored_words == ["Whcih"] and [f.value for f in spec.filters] == [5]  # type: ignore[union-attr]


@pytest.mark.parametrize("text", [
    "lean loans of gold members in Lisbon",  # real words and data values
    "loans with 'avrage' in the bookcode",  # quoted text
    "MRR of the Fibonaci members",  # acronyms and capitalised names inside a sentence
    "book_titel and fee",  # identifiers
    "fees ovr 5",  # short words
    "the zqwerty of loans",  # no word within one edit
])  # fmt: skip
def test_leaves_real_words_values_names_and_unclear_words_alone(linker: SchemaLinker, text: str) -> None:
    assert correct_spelling(text, linker).text == text


def test_a_corrected_request_plans_and_keeps_the_words_as_written(engine: Any) -> None:
    spec = plan(engine, "avrage fee of loans per tier")
    assert [(a.function, a.column) for a in spec.aggregations] == [("avg", "loans.fee")]
    assert spec.group_by == ["members.tier"]
    assert "spelling: read 'avrage' as 'average'" in spec.transformations
    assert spec.description == "avrage fee of loans per tier"


# -- numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "value"), [
    ("$12,500", 12500), ("1.2M", 1_200_000), ("5k", 5000), ("12.5k", 12500), ("3bn", 3_000_000_000),
    ("2.5 million", 2_500_000), ("twelve", 12), ("a dozen", 12), ("twenty five", 25), ("0.5", 0.5),
    ("1,000,000.75", 1000000.75),
])  # fmt: skip
def test_numbers_with_separators_suffixes_and_words(text: str, value: float) -> None:
    nums = [t.value for t in tokenize(text).items if t.kind == "number"]
    assert nums == [value]


def test_parse_number() -> None:
    assert parse_number("$1,250.5") == 1250.5 and parse_number("1.2M") == 1_200_000 and parse_number("7k") == 7000
    with pytest.raises(ValueError):
        parse_number("lots")


@pytest.mark.parametrize(("prompt", "ids"), [
    ("loans with a fee over $1.2M", [15]),
    ("loans with a fee over $1,499.99", [12, 15]),
    ("loans with a fee under 1.5k", [10, 11, 13, 14]),
    ("loans with fees above twelve dollars", [12, 15]),
])  # fmt: skip
def test_amounts_with_currency_and_suffixes_filter_rows(engine: Any, prompt: str, ids: list[int]) -> None:
    spec = plan(engine, prompt)
    got = sorted(r[0] for r in engine.fetch(compile_spec(spec, engine.catalog()).sql("duckdb")).rows)
    assert got == ids


# -- end to end: what is set aside, what refuses ------------------------------------------------------------


def test_filler_is_set_aside_and_listed(engine: Any) -> None:
    spec = plan(engine, "Give me a lean export of loans with a fee over 5 for the board deck, please")
    assert {"board", "deck"} <= set(spec.ignored_words)
    assert not {"give", "me", "please", "the", "fee", "loans"} & {w.lower() for w in spec.ignored_words}
    assert rows(engine, "loans with a fee over 5") == rows(engine, "Give me a lean export of loans with a fee "
                                                                    "over 5 for the board deck, please")  # fmt: skip
    assert plan(engine, "loans with a fee over 5").ignored_words == []


def test_plan_command_shows_the_words_set_aside(tmp_path: Path) -> None:
    warehouse = _library(tmp_path / "library.duckdb")  # its own file: the module's engine holds the other open
    prompt = "loans with a fee over 5 for the board deck"
    proc = run_cli("plan", prompt, "--warehouse", str(warehouse), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "set aside" in proc.stdout and "board, deck" in proc.stdout
    proc = run_cli("plan", prompt, "--warehouse", str(warehouse), "--json", home=tmp_path)
    assert json.loads(proc.stdout)["spec"]["ignored_words"] == ["board", "deck"]


@pytest.mark.parametrize(("prompt", "quoted"), [
    ("loans with their wibble", "'wibble'"),  # an unknown, column-like word
    ("the loans of members who have not paid", "'not'"),  # a negation nobody used
    ("premium members", "'premium'"),  # a word that qualifies a table
    ("members who complained", "'complained'"),  # what the rows did
    ("loans recived by gold members", "'recived'"),  # corrected, then unused: quoted as written
    ("loan_id and fee of loans, just the first 3 letters of the wibble", "'letters'"),  # what a number counts
    ("members with their tier history", "'history'"),  # the head of a noun phrase opened by "their"
    ("loans with a flag, fees over 5", "'flag'"),  # a value per row asked for (was set aside: a row filter)
])  # fmt: skip
def test_an_unused_word_that_carries_meaning_refuses(engine: Any, prompt: str, quoted: str) -> None:
    with pytest.raises(PlanError) as ei:
        plan(engine, prompt)
    assert quoted in str(ei.value)
