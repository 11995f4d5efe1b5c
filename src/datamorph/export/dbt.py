"""A run as a dbt project: the model reads its sources through ``source()``, the run's tests are dbt tests.

Written files (``dbt_project.yml`` beside them)::

    models/<target>.sql    the compiled query, each source as {{ source('datamorph', '<table>') }}
    models/schema.yml      the sources, the model and its columns, and the tests' descriptions
    tests/<test_id>.sql    one singular test per validation test of the run: rows only when it fails

The tests are derived from the spec as the run derives them (:func:`datamorph.validation.derive_tests`
and the source checks), rendered in the project's dialect: a count of violating rows must be 0,
an at-most count must hold, a staged figure must equal the one recomputed from the sources (within
the run's tolerance), and the model must have exactly the expected columns (by name). A test the
run reports as a warning is a dbt test with ``severity: warn``. The Polars differential check is
not SQL and has no dbt counterpart. The sources' schema is the dbt variable ``datamorph_source_schema``
(default: the schema the run read them from).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlglot import exp, parse_one

from datamorph.compiler import CompiledSpec
from datamorph.export.relations import render, source_key
from datamorph.export.run_code import RunCode
from datamorph.validation.derive import derive_tests
from datamorph.validation.model import TestCase
from datamorph.validation.runner import ABS_TOL, REL_TOL
from datamorph.validation.source_checks import source_checks

SOURCE_NAME = "datamorph"
_MODEL_PLACEHOLDER = "dm_model_placeholder"
_VALUE = "dm_value"


def model_name(code: RunCode) -> str:
    """The dbt model's name: the target's table name (without its schema)."""
    return code.target.split(".")[-1]


def dbt_project(code: RunCode, dialect: str, out: Path) -> list[Path]:
    """Write the dbt project for ``code`` under ``out``; the files written."""
    model = model_name(code)
    files: dict[str, str] = {
        "dbt_project.yml": _project_yml(model),
        f"models/{model}.sql": model_sql(code, dialect),
    }
    tests = dbt_tests(code.compiled, dialect)
    for name, t in tests.items():
        files[f"tests/{name}.sql"] = test_sql(t, code, dialect)
    files["models/schema.yml"] = _schema_yml(code, tests)
    written = []
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _relations(code: RunCode) -> dict[tuple[str, str], str]:
    rel = {source_key(t): f"{{{{ source('{SOURCE_NAME}', '{t.name}') }}}}" for t in code.sources}
    rel[("", _MODEL_PLACEHOLDER)] = f"{{{{ ref('{model_name(code)}') }}}}"
    return rel


def model_sql(code: RunCode, dialect: str) -> str:
    """``models/<target>.sql``: the compiled query over ``source()`` relations, materialised as a table."""
    body = render(code.compiled.query, _relations(code), dialect)
    return f"{{{{ config(materialized='table') }}}}\n-- {code.header('dbt model')}\n{body}\n"


def dbt_tests(compiled: CompiledSpec, dialect: str) -> dict[str, TestCase]:
    """The run's SQL validation tests for ``compiled`` over the model, by dbt test name (the test id,
    any character but [A-Za-z0-9_] made ``_``). No dense-key shortcuts: the project runs on data
    the run never saw."""
    tests = derive_tests(compiled, _MODEL_PLACEHOLDER, dialect)
    tests += [c.test for c in source_checks(compiled, _MODEL_PLACEHOLDER, dialect)]
    out: dict[str, TestCase] = {}
    for t in tests:
        base = re.sub(r"[^A-Za-z0-9_]", "_", t.test_id)
        name, i = base, 2
        while name in out:
            name, i = f"{base}_{i}", i + 1
        out[name] = t
    return out


def test_sql(t: TestCase, code: RunCode, dialect: str) -> str:
    """A singular dbt test for ``t``: it selects rows only when ``t`` fails."""
    config = "{{ config(severity='warn') }}" if t.severity == "warning" else "{{ config(severity='error') }}"
    head = f"{config}\n-- {t.category}: {t.use_case}\n"
    if t.kind == "columns":
        return head + _columns_test(t, model_name(code))
    query = parse_one(t.query, read=dialect)
    assert isinstance(query, exp.Query)
    if t.kind == "compare":
        assert t.actual_column and t.expected_column
        actual, expected = (exp.func("COALESCE", exp.column(c), exp.Literal.number(0))
                            for c in (t.actual_column, t.expected_column))  # fmt: skip
        tol = exp.Add(this=exp.Literal.number(ABS_TOL), expression=exp.Mul(
            this=exp.Literal.number(REL_TOL), expression=exp.Abs(this=expected.copy())))  # fmt: skip
        failing: exp.Expr = exp.GT(this=exp.Abs(this=exp.Sub(this=actual, expression=expected)), expression=tol)
    else:
        column = t.actual_column or _VALUE
        if t.actual_column is None:
            query = _named_first_column(query)
        value = exp.func("COALESCE", exp.column(column), exp.Literal.number(0))
        if t.kind == "at_most" and t.expected_result is None:  # "not empty"
            failing = exp.EQ(this=value, expression=exp.Literal.number(0))
        elif t.kind == "at_most":
            failing = exp.GT(this=value, expression=exp.Literal.number(int(t.expected_result)))
        else:
            failing = exp.NEQ(this=value, expression=exp.Literal.number(0))
    check = exp.select("*").from_(query.subquery("dm_check")).where(failing)
    return head + render(check, _relations(code), dialect) + "\n"


def _named_first_column(query: exp.Query) -> exp.Query:
    """``query`` with its first output column named dm_value (a scalar subquery when it is not a SELECT)."""
    if isinstance(query, exp.Select) and query.selects:
        first, *rest = query.selects
        named = exp.alias_(first.unalias() if isinstance(first, exp.Alias) else first, _VALUE)
        return query.select(named, *rest, append=False)
    return exp.select(exp.alias_(query.subquery(), _VALUE))


def _columns_test(t: TestCase, model: str) -> str:
    names = [str(c["name"]).lower() for c in t.expected_result]
    return (
        f"{{% set relation = ref('{model}') -%}}\n"
        f"{{%- set expected = {json.dumps(sorted(names))} -%}}\n"
        "{%- set actual = [] -%}\n"
        "{%- if execute -%}\n"
        "{%- for c in adapter.get_columns_in_relation(relation) -%}{%- do actual.append(c.name | lower) -%}{%- endfor -%}\n"
        "{%- endif -%}\n"
        "select 1 as dm_columns_differ where "
        "{{ 'false' if not execute or (actual | sort | list) == expected else 'true' }}\n"
    )


def _q(text: str) -> str:
    """A YAML scalar (JSON's double-quoted strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _project_yml(model: str) -> str:
    name = "datamorph_" + re.sub(r"[^0-9a-z]+", "_", model.lower()).strip("_")
    return (f"name: {_q(name)}\nversion: \"1.0.0\"\nconfig-version: 2\nprofile: \"datamorph\"\n"
            "model-paths: [\"models\"]\ntest-paths: [\"tests\"]\n")  # fmt: skip


def _schema_yml(code: RunCode, tests: dict[str, TestCase]) -> str:
    schemas = {src.schema for src in code.sources if src.kind != "file"}
    default_schema = schemas.pop() if len(schemas) == 1 else "main"
    lines = ["version: 2", "", "sources:", f"  - name: {SOURCE_NAME}",
             f"    schema: \"{{{{ var('datamorph_source_schema', '{default_schema}') }}}}\"", "    tables:"]  # fmt: skip
    for src in code.sources:
        lines.append(f"      - name: {_q(src.name)}")
        lines.append("        columns:")
        lines += [f"          - name: {_q(c.name)}" for c in src.columns]
    description = code.spec.target_table.description or code.header("dbt model")
    lines += ["", "models:", f"  - name: {_q(model_name(code))}", f"    description: {_q(description)}", "    columns:"]
    lines += [f"      - name: {_q(o.name)}\n        description: {_q(o.kind.replace('_', ' '))}"
              for o in code.compiled.outputs]  # fmt: skip
    lines += ["", "data_tests:"]
    for name, t in tests.items():
        note = " (in dbt: the column names)" if t.kind == "columns" else ""
        lines += [f"  - name: {_q(name)}", f"    description: {_q(f'{t.category}: {t.use_case}{note}')}"]
    return "\n".join(lines) + "\n"
