"""Odd names and values, generated (hypothesis): table and column names with quotes, semicolons,
comment markers, unicode, reserved words, mixed case and spaces; huge decimals, timestamps with
zones, NULLs, all-NULL columns, empty tables, a 500-column table.

For every generated warehouse and spec:

* the compiled SQL parses back as exactly one statement in each dialect (duckdb, postgres, spark)
  and every table it reads is one of the spec's sources;
* a real run on DuckDB either completes or fails with a DataMorphError (never a driver exception);
  the statements it executes (DuckDB's own query log) write only to the staging schema, the
  history schema and the target, and the sources are left unchanged;
* the planner, given text made of those names, raises a PlanError or returns a spec that compiles.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from datamorph.compiler import compile_spec
from datamorph.config import Settings
from datamorph.engines import connect
from datamorph.errors import DataMorphError, PlanError
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.spec import load_spec

DIALECTS = ("duckdb", "postgres", "spark")
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "40"))  # more for a longer hunt
STAGING, HISTORY = "datamorph_staging", "datamorph_history"
TARGET = "prop_target"

ODD_NAMES = [
    'stage" OR 1=1 --', "a;b", "x; DROP TABLE t", "x/*y", "*/", "--", "-- c", "it's", "`bt`", "[br]", "$x",
    "select", "from", "order", "group", "table", "user", "where", "Select", "ORDER BY", "MiXeD", "mixed case",
    "two words", " lead", "trail ", "Ünïcödé", "名前", "ë́", "emoji 🎉", "1abc", "a.b", "_dm_rn", "_dm_s", "null",
]  # fmt: skip
_plain = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
names = st.one_of(st.sampled_from(ODD_NAMES), _plain.filter(lambda s: s.strip() != ""))

TYPES: dict[str, st.SearchStrategy[Any]] = {
    "INTEGER": st.integers(-(2**31), 2**31 - 1),
    "BIGINT": st.integers(-(2**63), 2**63 - 1),
    "DECIMAL(38,10)": st.decimals(min_value=-Decimal("9" * 28), max_value=Decimal("9" * 28), places=10,
                                  allow_nan=False, allow_infinity=False),  # fmt: skip
    "DOUBLE": st.floats(allow_nan=False, allow_infinity=False),
    "VARCHAR": st.one_of(st.sampled_from(ODD_NAMES), st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)),
    "BOOLEAN": st.booleans(),
    "DATE": st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    "TIMESTAMP": st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
    "TIMESTAMPTZ": st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1),
                                timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)),
                                                           dt.timezone(-dt.timedelta(hours=11))])),  # fmt: skip
}
NUMERIC = ("INTEGER", "BIGINT", "DECIMAL(38,10)", "DOUBLE")


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.lower(), v)
    return list(seen.values())


KEYS: dict[str, st.SearchStrategy[Any]] = {  # join keys from a small pool, so that joins match
    "INTEGER": st.integers(0, 3),
    "VARCHAR": st.sampled_from(["k", "K", "k'", "--", ""]),
    "DATE": st.sampled_from([dt.date(2024, 2, 29), dt.date(1, 1, 1)]),
}


@st.composite
def tables(draw: st.DrawFn, name: str | None = None, key_type: str | None = None,
           first: st.SearchStrategy[str] = names) -> dict[str, Any]:  # fmt: skip
    """A table: a name, typed columns (the first called from ``first``, of ``key_type`` with few distinct
    values if given) and rows (maybe none, maybe with all-NULL columns)."""
    cols = _unique([draw(first), *draw(st.lists(names, max_size=4))])
    types = [draw(st.sampled_from(list(TYPES))) for _ in cols]
    values = [TYPES[t] for t in types]
    if key_type is not None:
        types[0], values[0] = key_type, KEYS[key_type]
    all_null = {i for i in range(len(cols)) if draw(st.integers(0, 4)) == 0}
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        rows.append(tuple(None if i in all_null or draw(st.integers(0, 5)) == 0 else draw(v)
                          for i, v in enumerate(values)))  # fmt: skip
    return {"name": name or draw(names), "columns": list(zip(cols, types, strict=True)), "rows": rows}


def _ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def build_warehouse(path: Path, specs: list[dict[str, Any]]) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for t in specs:
            cols = ", ".join(f"{_ident(c)} {typ}" for c, typ in t["columns"])
            con.execute(f"CREATE TABLE {_ident(t['name'])} ({cols})")
            if t["rows"]:
                marks = ", ".join("?" for _ in t["columns"])
                con.executemany(f"INSERT INTO {_ident(t['name'])} VALUES ({marks})", t["rows"])
    finally:
        con.close()


def _value_filter(draw: st.DrawFn, ref: str, column: str, typ: str) -> dict[str, Any]:
    op = draw(st.sampled_from(["=", "!=", "<", ">=", "is_null", "is_not_null", "in"]))
    col = f"{ref}.{column}" if ref else column
    if op in ("is_null", "is_not_null"):
        return {"column": col, "operator": op}
    value = draw(TYPES[typ])
    if isinstance(value, (dt.date, dt.datetime)):
        value = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    elif isinstance(value, Decimal):
        value = float(value) if draw(st.booleans()) else int(value)
    if op == "in":
        return {"column": col, "operator": "in", "value": [value]}
    return {"column": col, "operator": op, "value": value}


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One or two tables (joined on their first columns) and a spec over them."""
    key_type = draw(st.sampled_from(["INTEGER", "VARCHAR", "DATE"]))
    first = draw(tables(key_type=key_type))
    two = draw(st.booleans())
    tabs = [first]
    if two:
        second = draw(tables(key_type=key_type))
        if second["name"].lower() == first["name"].lower():
            second["name"] = second["name"] + "_2"
        tabs.append(second)
    refs = ["a", "b"] if two else [""]
    spec: dict[str, Any] = {"target_table": TARGET}
    if two:
        spec["source_tables"] = [{"table_name": t["name"], "alias": r} for t, r in zip(tabs, refs, strict=True)]
        spec["join_conditions"] = [{"left_table": "a", "right_table": "b",
                                    "join_type": draw(st.sampled_from(["inner", "left", "full"])),
                                    "on_columns": [{"left": tabs[0]["columns"][0][0], "right": tabs[1]["columns"][0][0]}]}]  # fmt: skip
    else:
        spec["source_tables"] = [first["name"]]
    pool = [(r, c, typ) for t, r in zip(tabs, refs, strict=True) for c, typ in t["columns"]]
    spec["filters"] = [_value_filter(draw, *draw(st.sampled_from(pool))) for _ in range(draw(st.integers(0, 2)))]
    shape = draw(st.sampled_from(["rows", "aggregate", "dedupe"] if not two else ["rows", "aggregate"]))
    if shape == "rows":
        chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique_by=lambda p: (p[0], p[1])))
        spec["columns"] = [{"column": f"{r}.{c}" if r else c, "name": f"{c}_{i}"} for i, (r, c, _t) in enumerate(chosen)]
        if draw(st.booleans()):
            spec["distinct"] = True
        if draw(st.booleans()):
            spec["order_by"] = [{"column": spec["columns"][0]["name"], "direction": draw(st.sampled_from(["asc", "desc"]))}]
            spec["limit"] = draw(st.integers(0, 5))
    elif shape == "aggregate":
        r, c, _t = draw(st.sampled_from(pool))
        spec["group_by"] = [f"{r}.{c}" if r else c]
        aggs = [{"function": "count", "alias": draw(names)}]
        numeric = [p for p in pool if p[2] in NUMERIC]
        if numeric:
            nr, nc, _nt = draw(st.sampled_from(numeric))
            aggs.append({"function": draw(st.sampled_from(["sum", "avg", "min", "max"])),
                         "column": f"{nr}.{nc}" if nr else nc, "alias": draw(names)})  # fmt: skip
        spec["aggregations"] = aggs
        if draw(st.booleans()):
            spec["having"] = [{"column": aggs[0]["alias"], "operator": ">", "value": draw(st.integers(0, 3))}]
    else:
        key = first["columns"][0][0]
        spec["dedupe"] = {"keys": [key], "order_by": [{"column": first["columns"][-1][0]}],
                          "keep": draw(st.sampled_from(["first", "last"]))}  # fmt: skip
    return tabs, spec


# -- what the checks look at -------------------------------------------------------------------------


def assert_reads_only_sources(sql: str, dialect: str, sources: set[str]) -> None:
    """``sql`` is one SELECT whose every table reference is one of ``sources`` (no schema, no catalog)."""
    statements = sqlglot.parse(sql, read=dialect)
    assert len(statements) == 1, f"{dialect}: {len(statements)} statements in {sql!r}"
    tree = statements[0]
    assert isinstance(tree, exp.Query), f"{dialect}: not a query: {sql!r}"
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for t in tree.find_all(exp.Table):
        if t.name in ctes and not t.db:
            continue
        assert t.name in sources and not t.db and not t.catalog, f"{dialect}: reads {t.sql(dialect)} in {sql!r}"


_WRITES = (exp.Create, exp.Drop, exp.Insert, exp.Update, exp.Delete, exp.Alter, exp.Merge, exp.Copy, exp.Comment)
_NOT_WRITING = ("BEGIN", "COMMIT", "ROLLBACK", "SET ", "RESET ", "CALL ENABLE_LOGGING")


def _written_tables(node: exp.Expression) -> list[exp.Expression | None]:
    if isinstance(node, exp.Drop) and node.args.get("tables"):
        return list(node.args["tables"])
    this = node.this
    return [this.this if isinstance(this, exp.Schema) else this]


def assert_writes_only_ours(statements: list[str], target: str) -> None:
    """Every statement that writes, writes into the staging or history schema, or the target table."""
    for sql in statements:
        text = sql.strip()
        if text.upper().startswith(_NOT_WRITING):
            continue
        try:
            tree = sqlglot.parse_one(text, read="duckdb")
        except sqlglot.errors.TokenError:  # DuckDB's log cuts a statement at a NUL in a literal: its head says
            head = text.split("\n", 1)[0]  # what it writes ("CREATE OR REPLACE TABLE x AS SELECT"), or nothing
            if re.match(r"(?:SELECT|WITH)\b", head.strip(), re.I):
                continue
            if not re.fullmatch(r"CREATE OR REPLACE TABLE \S+ AS SELECT(?: DISTINCT)?", head.strip()):
                raise
            tree = sqlglot.parse_one(head + " 1", read="duckdb")  # ("... AS SELECT DISTINCT 1" parses too)
        assert not isinstance(tree, exp.Command), f"unexpected statement {text!r}"
        for node in tree.walk():
            if not isinstance(node, _WRITES):
                continue
            for written in _written_tables(node):
                assert isinstance(written, exp.Table), f"cannot tell what {text!r} writes"
                if str(node.args.get("kind", "")).upper() == "SCHEMA":
                    assert (written.db or written.name) in (STAGING, HISTORY), text
                    continue
                ours = written.db in (STAGING, HISTORY) or (written.db in ("", "main") and written.name == target)
                assert ours, f"writes {written.sql('duckdb')}: {text!r}"


def fingerprint(path: Path) -> dict[str, Any]:
    """{table: (columns, row count, content hash)} of every table in main."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall():
            cols = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'main' "
                               "AND table_name = ? ORDER BY column_index", [name]).fetchall()  # fmt: skip
            out[name] = (tuple(cols), *con.execute(f"SELECT count(*), sum(hash(t)) FROM {_ident(name)} AS t").fetchone())
        return out
    finally:
        con.close()


class QueryLog:
    """DuckDB's own log of every statement run on one warehouse file by this process."""

    def __init__(self, path: Path) -> None:
        self.engine = connect(str(path))
        self.engine.fetch("CALL enable_logging('QueryLog')")

    def statements(self) -> list[str]:
        rows = self.engine.fetch("SELECT message FROM duckdb_logs WHERE type = 'QueryLog' ORDER BY timestamp").rows
        return [r[0] for r in rows]

    def close(self) -> None:
        self.engine.close()


# -- the properties -----------------------------------------------------------------------------------


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases())
def test_odd_names_and_values_compile_parse_and_run_cleanly(case: tuple[list[dict[str, Any]], dict[str, Any]]) -> None:
    tabs, raw = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        build_warehouse(path, tabs)
        sources = {t["name"] for t in tabs}
        with connect(str(path), read_only=True) as engine:
            catalog = engine.catalog()
        try:
            spec = load_spec(raw)
            compiled = compile_spec(spec, catalog)
        except DataMorphError as e:
            event(f"refused: {e.error_type}")
            return  # refused with our own error: that is a clean outcome
        for dialect in DIALECTS:
            assert_reads_only_sources(compiled.sql(dialect), dialect, sources)

        before = fingerprint(path)
        log = QueryLog(path)
        try:
            orch = Orchestrator(Settings(home=Path(tmp) / "home", lock_timeout=10))
            result = orch.run(RunRequest(warehouse=str(path), spec=spec))  # raises only on a non-DataMorphError
            statements = log.statements()
        finally:
            log.close()
        body = result["body"]
        event(f"run: {body.get('error_type') or 'completed'}")
        assert result["statusCode"] in (200, 500)
        if result["statusCode"] == 500:
            assert body["error_type"] and body["message"].startswith("Workflow failed: ")
            assert "\n" not in body["message"]
        assert orch.store.get_run(body["run_id"])["status"] in ("completed", "failed")
        assert_writes_only_ours(statements, TARGET)
        after = fingerprint(path)
        assert {k: v for k, v in after.items() if k != TARGET} == before


RESERVED = ["order", "group", "user", "select", "table", "from", "where", "limit", "MiXeD", "Values", "user_id"]
PROMPT_WORDS = ["count", "per", "total", "sum of", "average", "by", "where", "is", "over", "10", "top 3", "from",
                "with", "and", "rows", "each", "'x'", "null", "distinct", "sorted by", "latest", "for", "join"]
TEMPLATES = ["{t}", "count {t} per {c}", "total {n} per {c} from {t}", "average {n} by {c}", "join {t} and {u}",
             "{t} with {n} over 10", "{t} where {c} is 'x'", "top 3 {c} by total {n}", "{c} and {n} of {t}"]


@st.composite
def prompts(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str]:
    """Two tables named with reserved words or odd names, and a request about them."""
    odd = st.one_of(st.sampled_from(RESERVED), names)
    tabs = [draw(tables(name=draw(odd), first=odd)), draw(tables(name=draw(odd), first=odd))]
    if tabs[1]["name"].lower() == tabs[0]["name"].lower():
        tabs[1]["name"] += "_2"
    cols = [c for t in tabs for c, _ in t["columns"]]
    nums = [c for t in tabs for c, typ in t["columns"] if typ in NUMERIC] or cols
    if draw(st.booleans()):
        text = draw(st.sampled_from(TEMPLATES)).format(t=tabs[0]["name"], u=tabs[1]["name"], c=draw(st.sampled_from(cols)),
                                                       n=draw(st.sampled_from(nums)))  # fmt: skip
    else:
        vocabulary = [t["name"] for t in tabs] + cols + PROMPT_WORDS
        text = " ".join(draw(st.lists(st.one_of(st.sampled_from(vocabulary), names), min_size=1, max_size=10)))
    return tabs, text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(prompts())
def test_planner_over_odd_catalogs_raises_plan_errors_or_plans_what_compiles(case: tuple[list[dict[str, Any]], str]) -> None:
    from datamorph.planner import plan_request

    tabs, text = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "w.duckdb"
        build_warehouse(path, tabs)
        with connect(str(path), read_only=True) as engine:
            catalog = engine.catalog()
            try:
                spec = plan_request(text, engine, catalog=catalog, reference_date=dt.date(2024, 6, 30))
            except PlanError:
                event("planner: PlanError")
                return
        event("planner: planned")
        compiled = compile_spec(spec, catalog)
        for dialect in DIALECTS:
            assert_reads_only_sources(compiled.sql(dialect), dialect, {t["name"] for t in tabs})


# -- fixed odd shapes ------------------------------------------------------------------------------------


@pytest.fixture
def wide(tmp_path: Path) -> Path:
    """A 500-column table (odd names included), an all-NULL column, huge decimals, zoned timestamps."""
    cols = [(f"c{i}" if i % 7 else ODD_NAMES[i % len(ODD_NAMES)] + f" {i}", "INTEGER") for i in range(496)]
    cols += [("big", "DECIMAL(38,10)"), ("at", "TIMESTAMPTZ"), ("nothing", "VARCHAR"), ("id", "INTEGER")]
    rows = [tuple([i] * 496 + [Decimal("9" * 28) - i, dt.datetime(2024, 3, 31, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=5 + i))),
                               None, i]) for i in range(5)]  # fmt: skip
    path = tmp_path / "wide.duckdb"
    build_warehouse(path, [{"name": "wide table", "columns": cols, "rows": rows},
                           {"name": "empty", "columns": [("id", "INTEGER")], "rows": []}])  # fmt: skip
    return path


def test_a_500_column_table_runs_end_to_end(wide: Path, tmp_path: Path) -> None:
    orch = Orchestrator(Settings(home=tmp_path / "home"))
    res = orch.run(RunRequest(warehouse=str(wide), spec=load_spec({"source_tables": ["wide table"],
                                                                    "target_table": "wide_copy"})))  # fmt: skip
    assert res["statusCode"] == 200, res["body"].get("message")
    with connect(str(wide), read_only=True) as eng:
        info = eng.catalog(["wide_copy"]).table("wide_copy")
        assert len(info.columns) == 500 and info.row_count == 5
        assert eng.scalar('SELECT max("big") FROM "wide_copy"') == Decimal("9" * 28)
        assert eng.scalar('SELECT count("nothing") FROM "wide_copy"') == 0

    agg = {"source_tables": ["wide table"], "target_table": "wide_agg", "group_by": ["nothing"],
           "aggregations": [{"function": "max", "column": "at", "alias": "last"}, {"function": "count", "alias": "n"}]}
    res = orch.run(RunRequest(warehouse=str(wide), spec=load_spec(agg)))
    assert res["statusCode"] == 200, res["body"].get("message")
    # five numbers of 38 digits do not add up in DECIMAL(38): a clean failure, not a crash
    agg["aggregations"].append({"function": "sum", "column": "big", "alias": "total"})
    res = orch.run(RunRequest(warehouse=str(wide), spec=load_spec({**agg, "target_table": "wide_sum"})))
    assert res["statusCode"] == 500 and res["body"]["error_type"] == "ExecutionError"
    assert "Overflow" in res["body"]["message"] and res["body"]["failed_step"] == "stage"


def test_an_empty_source_fails_cleanly(wide: Path, tmp_path: Path) -> None:
    shutil.copy(wide, tmp_path / "copy.duckdb")
    orch = Orchestrator(Settings(home=tmp_path / "home"))
    res = orch.run(RunRequest(warehouse=str(tmp_path / "copy.duckdb"),
                              spec=load_spec({"source_tables": ["empty"], "target_table": "t"})))  # fmt: skip
    assert res["statusCode"] == 500 and res["body"]["error_type"] == "SourceDataError"
    assert "'empty' is empty" in res["body"]["message"]


# -- regressions the properties found -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ['stage" OR 1=1 --', "a;b", "x/*y", "it's", "`bt`"])
def test_a_source_name_is_never_read_as_sql(name: str, tmp_path: Path) -> None:
    """The compiler and the validation suite used to parse source names as SQL text: a name with a quote,
    a semicolon or a comment marker raised a raw TokenError or AttributeError."""
    path = tmp_path / "w.duckdb"
    build_warehouse(path, [{"name": name, "columns": [("id", "INTEGER"), ("k", "VARCHAR")], "rows": [(1, "a"), (2, "b")]},
                           {"name": "other", "columns": [("id", "INTEGER")], "rows": [(1,)]}])  # fmt: skip
    spec = load_spec({"source_tables": [{"table_name": name, "alias": "s"}, {"table_name": "other", "alias": "o"}],
                      "join_conditions": [{"left_table": "s", "right_table": "o", "join_type": "left", "on_columns": ["id"]}],
                      "group_by": ["s.k"], "aggregations": [{"function": "count", "column": "o.id", "alias": "n"}],
                      "target_table": "t"})  # fmt: skip
    with connect(str(path), read_only=True) as engine:
        sql = compile_spec(spec, engine.catalog()).sql("duckdb")
    assert exp.to_identifier(name, quoted=True).sql("duckdb") in sql
    res = Orchestrator(Settings(home=tmp_path / "home")).run(RunRequest(warehouse=str(path), spec=spec))
    assert res["statusCode"] == 200, res["body"].get("message")


def test_probes_never_read_a_source_name_as_sql(tmp_path: Path) -> None:
    from datamorph.remediation.probes import differing_duplicate_keys, near_values

    path = tmp_path / "w.duckdb"
    build_warehouse(path, [{"name": "a;b --", "columns": [("k", "VARCHAR")], "rows": [("Web",), ("web ",), ("Web",)]}])
    with connect(str(path), read_only=True) as engine:
        assert near_values(engine, "a;b --", "k", ["WEB"]) == {"WEB": ["Web", "web "]}
        assert differing_duplicate_keys(engine, "a;b --", ["k"]) == 0


def test_a_failing_check_on_a_table_named_with_braces_is_reported(tmp_path: Path) -> None:
    """A check's failure message was filled in with str.format: a '{' in a table name raised ValueError."""
    path = tmp_path / "w.duckdb"
    build_warehouse(path, [{"name": "left {x", "columns": [("id", "INTEGER")], "rows": [(1,)]},
                           {"name": "right}", "columns": [("id", "INTEGER")], "rows": [(2,)]}])  # fmt: skip
    spec = load_spec({"source_tables": ["left {x", "right}"], "target_table": "t",
                      "join_conditions": [{"left_table": "left {x", "right_table": "right}", "on_columns": ["id"]}]})
    res = Orchestrator(Settings(home=tmp_path / "home", max_remediation_iterations=0)).run(
        RunRequest(warehouse=str(path), spec=spec))
    assert res["statusCode"] == 500 and res["body"]["error_type"] == "ValidationFailed"
    assert "no value of left {x matches one of right}" in res["body"]["message"]


@pytest.fixture
def odd_catalog(tmp_path: Path) -> Any:
    path = tmp_path / "w.duckdb"
    build_warehouse(path, [
        {"name": "order", "columns": [("id", "INTEGER"), ("two words", "VARCHAR"), ("f(x)", "INTEGER"), ("a.b", "INTEGER"),
                                      ("user_id", "INTEGER"), ("placed", "DATE")], "rows": [(1, "x", 2, 3, 1, None)]},
        {"name": "user", "columns": [("id", "INTEGER"), ("name", "VARCHAR")], "rows": [(1, "u")]},
    ])  # fmt: skip
    with connect(str(path), read_only=True) as engine:
        yield path, engine.catalog()


@pytest.mark.parametrize("group", ["two words", "f(x)", "a.b", "order.a.b"])
def test_names_with_spaces_parentheses_and_dots_are_columns(odd_catalog: Any, group: str) -> None:
    """group_by and filters read a name with a space or a parenthesis as an SQL expression, and split a name
    at its dot, even when the name is a column."""
    _path, catalog = odd_catalog
    spec = load_spec({"source_tables": ["order"], "target_table": "t", "group_by": [group],
                      "filters": [{"column": group, "operator": "is_not_null"}],
                      "aggregations": [{"function": "count", "alias": "n"}]})  # fmt: skip
    sql = compile_spec(spec, catalog).sql("duckdb")
    column = exp.to_identifier(group.removeprefix("order."), quoted=True).sql("duckdb")
    assert f'GROUP BY\n  "order".{column}' in sql


def test_an_unparseable_fragment_is_a_spec_error(odd_catalog: Any) -> None:
    """An unclosed quote raised sqlglot's TokenError (not a ParseError) straight out of the compiler."""
    from datamorph.errors import SpecError

    _path, catalog = odd_catalog
    spec = load_spec({"source_tables": ["order"], "target_table": "t", "group_by": ['stage" OR 1=1 --'],
                      "aggregations": [{"function": "count", "alias": "n"}]})  # fmt: skip
    with pytest.raises(SpecError, match="group_by: cannot parse"):
        compile_spec(spec, catalog)


def test_a_renamed_join_column_never_takes_another_columns_name(odd_catalog: Any) -> None:
    """user.id was renamed user_id for the output, next to order.user_id: "two output columns are called"."""
    _path, catalog = odd_catalog
    spec = load_spec({"source_tables": ["order", "user"], "target_table": "t", "join_conditions": [
        {"left_table": "order", "right_table": "user", "on_columns": [{"left": "user_id", "right": "id"}]}]})
    compiled = compile_spec(spec, catalog)
    names = [o.name for o in compiled.outputs]
    assert names.count("user_id") == 1 and "user_id_2" in names and len(set(names)) == len(names)


def test_the_planner_refuses_what_does_not_compile(odd_catalog: Any) -> None:
    """The planner returned a spec comparing a date column with a number (found by the planner property): now the
    comparison itself is refused, before any spec is made."""
    from datamorph.planner import plan_request

    path, catalog = odd_catalog
    with connect(str(path), read_only=True) as engine:
        with pytest.raises(PlanError, match="order.placed is a date, compared with the number 10"):
            plan_request("order with placed over 10", engine, catalog=catalog, reference_date=dt.date(2024, 6, 30))
