"""Rows whose related row is missing (orphans) and rows with no related row, end to end on a small clinic
warehouse (recognizers/orphans.py, policy.py): visits point at pets and vets, pets at owners, vets at clinics;
some keys are NULL and some point at no row.

Each reading is planned, compiled and run, and its rows must equal a hand-written query's; a sentence whose
join type could go either way, or that would repeat rows, must be refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from datamorph.errors import PlanError
from planner_support import check, plan, sql_engine

CLINIC_SQL = """
CREATE TABLE clinics (clinic_id INTEGER PRIMARY KEY, clinic_name VARCHAR, town VARCHAR);
INSERT INTO clinics VALUES (1, 'Riverside', 'Ashby'), (2, 'Hilltop', 'Brack'), (3, 'Old Mill', 'Ashby');
CREATE TABLE vets (vet_id INTEGER PRIMARY KEY, vet_name VARCHAR, clinic_id INTEGER);
INSERT INTO vets VALUES (10, 'Dr Ames', 1), (11, 'Dr Bell', 2), (12, 'Dr Cole', 9), (13, 'Dr Dane', NULL);
CREATE TABLE owners (owner_id INTEGER PRIMARY KEY, owner_name VARCHAR, phone VARCHAR);
INSERT INTO owners VALUES (100, 'Ines Duarte', '555-0100'), (101, 'Lars Berg', NULL), (102, 'Mae Chen', '555-0102');
CREATE TABLE pets (pet_id INTEGER PRIMARY KEY, pet_name VARCHAR, species VARCHAR, owner_id INTEGER);
INSERT INTO pets VALUES (1, 'Rex', 'dog', 100), (2, 'Tom', 'cat', 101), (3, 'Kiwi', 'bird', 99), (4, 'Bo', 'dog', NULL),
  (5, 'Luna', 'cat', 102);
CREATE TABLE visits (visit_id INTEGER PRIMARY KEY, pet_id INTEGER, vet_id INTEGER, visit_date DATE, fee DECIMAL(8,2));
INSERT INTO visits VALUES
  (1, 1, 10, '2025-01-03', 40.00), (2, 1, 11, '2025-01-09', 55.00), (3, 2, 12, '2025-02-01', 30.00),
  (4, 3, 13, '2025-02-02', 25.00), (5, 77, 10, '2025-02-05', 60.00), (6, 4, NULL, '2025-03-01', 20.00),
  (7, 5, 88, '2025-03-02', 35.00), (8, NULL, 11, '2025-03-03', 15.00), (9, 2, 10, '2025-03-04', 45.00);
"""


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    yield from sql_engine(tmp_path_factory, "clinic", CLINIC_SQL)


def _joins(spec: Any) -> dict[str, str]:
    return {j.right_table: j.join_type for j in spec.join_conditions}


# -- dropped: the verb, a permission, an exception ------------------------------------------------------

WITH_PET = "select v.visit_id, v.fee from visits v join pets p using (pet_id)"


@pytest.mark.parametrize("prompt", [
    "visit_id and fee; it's fine to lose visits whose pet is missing",
    "visit_id, fee. It is ok if we drop visits whose pet can't be found.",
    "visit_id and fee; ignore visits that can't be matched to a pet",
    "visit_id, fee; visits not tied to any known pet are thrown away",
    "visit_id and fee; leave out visits that point to no pet",
    "visit_id and fee; we don't want visits whose pet is unknown",
    "visit_id, fee; toss any visit whose pet_id has no row in pets",
])  # fmt: skip
def test_orphans_dropped(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, WITH_PET)
    assert _joins(spec) == {"pets": "inner"}


@pytest.mark.parametrize("prompt", [
    "all pets except the ones lacking an owner",
    "pets other than those that lack an owner",
    "pets, apart from any whose owner is not on file",
])  # fmt: skip
def test_an_exception_drops_them(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "select p.* from pets p join owners o using (owner_id)")
    assert _joins(spec) == {"owners": "inner"}


# -- along a chain of keys: every table on the way is joined (inner) ------------------------------------

WITH_CLINIC = "select v.visit_id from visits v join vets t using (vet_id) join clinics c on c.clinic_id = t.clinic_id"


@pytest.mark.parametrize("prompt", [
    "visits, dropping visits whose vet or vet's clinic is unknown",
    "visit ids; visits whose vet has no clinic are left out",
    "visit ids; visits from vets without a known clinic are skipped",
    "visit ids; drop whatever cannot be linked to a known vet and clinic",
])  # fmt: skip
def test_orphans_along_a_chain(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert {s.table_name for s in spec.source_tables} == {"visits", "vets", "clinics"}
    assert set(_joins(spec).values()) == {"inner"}
    got = sorted(r[0] for r in engine.fetch(_sql(engine, spec)).rows)
    assert got == sorted(r[0] for r in engine.fetch(WITH_CLINIC).rows)


def _sql(engine: Any, spec: Any) -> str:
    from datamorph.compiler import compile_spec

    return compile_spec(spec, engine.catalog()).sql("duckdb")


def test_another_row_of_the_same_table_is_not_a_chain(engine: Any) -> None:
    """"the vet's vet" is no key of vets pointing at another table: not read as a chain."""
    with pytest.raises(PlanError):
        plan(engine, "visit ids; drop visits whose vet's vet is unknown")


# -- kept: a negated verb or permission --------------------------------------------------------------------

ALL_VISITS = "select visit_id, fee from visits"


@pytest.mark.parametrize("prompt", [
    "visit_id, fee; we don't want to lose visits whose pet is unknown",
    "visit_id, fee; it's not fine to lose visits whose pet is unknown",
    "visit_id and fee, with the pet name; visits whose pet is missing must not be thrown away",
])  # fmt: skip
def test_orphans_kept(engine: Any, prompt: str) -> None:
    spec = plan(engine, prompt)
    assert _joins(spec) == {"pets": "left"}
    assert len(engine.fetch(_sql(engine, spec)).rows) == len(engine.fetch(ALL_VISITS).rows)


# -- key values kept: no join to the table they point at ---------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "number of visits per pet_id, including pet ids that have no row in pets",
    "number of visits per pet_id, also pet ids without a match in pets",
])  # fmt: skip
def test_keys_without_a_row_kept(engine: Any, prompt: str) -> None:
    spec = check(engine, prompt, "select pet_id, count(*) from visits group by 1")
    assert "pets" not in {s.table_name for s in spec.source_tables}


def test_keys_without_a_row_read_otherwise_are_refused(engine: Any) -> None:
    """"with no pets row" after a count is also a wish to keep empty groups (pets with 0 visits): the two
    readings contradict each other, so the plan is refused with the wording that reads one way."""
    with pytest.raises(PlanError) as e:
        plan(engine, "number of visits per pet_id, keeping pet ids with no pets row")
    assert "including pet ids that have no row in pets" in str(e.value.hint)


# -- refused: which rows, or rows that would repeat --------------------------------------------------------


@pytest.mark.parametrize("prompt", [
    "all visits except those with a known pet",  # the orphans alone? not guessed
    "leave out visits whose pet exists",
    "visits; keep only the ones whose pet is missing",  # only those: a filter, not a left join
    "visits; keeping just those whose vet can't be found",
    "visit ids; drop visits whose pet_id has no row in vets",  # the key and the table disagree
])  # fmt: skip
def test_unclear_treatment_is_refused(engine: Any, prompt: str) -> None:
    with pytest.raises(PlanError):
        plan(engine, prompt)


@pytest.mark.parametrize("prompt", [
    "owners; drop the ones without pets",
    "all owners except those with no pets",
    "owners with at least one pets row",
])  # fmt: skip
def test_rows_without_related_rows_that_point_back_are_a_semi_join(engine: Any, prompt: str) -> None:
    """Pets point at owners: the owners that have a pet, each once (an inner join alone would repeat each owner
    once per pet; it was refused before)."""
    check(engine, prompt, "select o.* from owners o where exists (select 1 from pets p where p.owner_id = o.owner_id)")
