"""Exports of a run (`datamorph export`), each checked with the real tool that runs it.

The PySpark and Glue scripts run under spark-submit (pyspark's own, local Spark, Java 17) on the
run's sources exported to Parquet and CSV; the dbt project runs under dbt-duckdb with a profile in
a temporary folder; the SQL export runs on DuckDB and PostgreSQL; `--submit` talks to moto's
server on 127.0.0.1. Each compares the table it builds with the one the run published.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from tests.helpers import result_json, run_cli
from tests.test_aws import aws_env, moto_endpoint  # noqa: F401  (fixtures: moto's server on 127.0.0.1)

from datamorph.artifacts import artifact_store
from datamorph.config import Settings
from datamorph.export import export_code, load_run_code
from datamorph.export.run_code import RunCode
from datamorph.orchestrator import Orchestrator, RunRequest
from datamorph.spec import load_spec
from datamorph.store import RunStore

# joins, an IN filter and a date filter, two aggregates, a derived column over them, an order
SPEC = {
    "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
    "target_table": {"name": "segment_sales", "description": "Order totals per segment and city since 2024"},
    "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "inner", "on_columns": ["customer_id"]}],
    "filters": [{"column": "o.status", "operator": "in", "value": ["completed", "shipped", "pending"]},
                {"column": "o.order_date", "operator": ">=", "value": "2024-01-01"}],
    "aggregations": [
        {"function": "sum", "column": "o.amount", "alias": "total_amount", "group_by": ["c.segment", "c.city"]},
        {"function": "count", "column": "o.order_id", "alias": "order_count", "group_by": ["c.segment", "c.city"]},
    ],
    "derived_columns": [{"name": "avg_amount", "expression": "round(total_amount / order_count, 2)"}],
    "order_by": ["total_amount desc"],
}  # fmt: skip
SPARK_ENV_HINT = "spark-submit needs Java (17) and pyspark>=4 (pip install -e '.[test]')"


def _settings(home: Path) -> Settings:
    return Settings.from_env({}, home=home)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One completed run of SPEC on a copy of the fixture warehouse: its ids, paths and published rows."""
    import duckdb
    from tests.conftest import build_fixture_warehouse

    base = tmp_path_factory.mktemp("export-run")
    warehouse = build_fixture_warehouse(base / "warehouse.duckdb")
    home = base / "home"
    result = Orchestrator(_settings(home)).run(RunRequest(warehouse=str(warehouse), spec=load_spec(SPEC)))
    body = result["body"]
    assert body["status"] == "completed", body.get("message")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute("SELECT * FROM segment_sales").fetchall()
        columns = [d[0] for d in con.description]
    finally:
        con.close()
    assert len(rows) == 3  # consumer/London, small_business/Austin, corporate/Manchester
    return {"warehouse": warehouse, "home": home, "run_id": body["run_id"], "body": body, "rows": rows,
            "columns": columns, "base": base}  # fmt: skip


def _code(run: dict[str, Any]) -> RunCode:
    settings = _settings(run["home"])
    return load_run_code(RunStore(settings.store_path), artifact_store(settings.artifacts_location), run["run_id"])


def _norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows compared by value: numbers as floats rounded to 6 places (DECIMAL vs DOUBLE), sorted."""

    def v(x: Any) -> Any:
        return round(float(x), 6) if isinstance(x, (int, float, Decimal)) and not isinstance(x, bool) else x

    return sorted((tuple(v(x) for x in r) for r in rows), key=repr)


def _export_sources(run: dict[str, Any], folder: Path, fmt: str) -> dict[str, Path]:
    """The run's source tables copied out of the warehouse as files (``fmt``: parquet or csv)."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(run["warehouse"]), read_only=True)
    try:
        out = {}
        for table in ("customers", "orders"):
            path = folder / f"{table}.{fmt}"
            con.execute(f"COPY {table} TO '{path}' " + ("(FORMAT parquet)" if fmt == "parquet" else "(HEADER)"))
            out[table] = path
        return out
    finally:
        con.close()


def _read_parquet_dir(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    rel = duckdb.sql(f"SELECT * FROM read_parquet('{path}/*.parquet')")
    return rel.columns, rel.fetchall()


def _spark_submit(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``spark-submit script args`` with pyspark's own launcher on local Spark."""
    import pyspark

    if shutil.which("java") is None:
        if os.environ.get("CI"):
            pytest.fail(SPARK_ENV_HINT, pytrace=False)
        pytest.skip(SPARK_ENV_HINT)
    submit = Path(sys.executable).parent / "spark-submit"
    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent), "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable}  # fmt: skip
    # a short job: the client JIT alone and the serial GC start the JVM faster
    cmd = [str(submit), "--master", "local[1]", "--conf", "spark.ui.enabled=false",
           "--conf", "spark.sql.shuffle.partitions=2", "--conf", "spark.sql.session.timeZone=UTC",
           "--driver-java-options", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC", str(script), *args]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, cwd=cwd)


# -- what every run keeps ----------------------------------------------------------------------------


def test_every_run_stores_its_pyspark_script_and_sources(run: dict[str, Any]) -> None:
    body = run["body"]
    arts = body["artifacts"]
    assert {"pipeline.py", "sources.json", "pipeline.sql"} <= set(arts)
    assert body["glue_code_path"] == arts["pipeline.py"] and body["code_path"] == arts["pipeline.sql"]
    script = Path(arts["pipeline.py"]).read_text()
    ast.parse(script)  # valid Python
    assert run["run_id"] in script and "spark.sql(QUERY)" in script
    snapshot = json.loads(Path(arts["sources.json"]).read_text())
    assert [t["table"] for t in snapshot["tables"]] == ["customers", "orders"] and snapshot["dialect"] == "duckdb"


def test_exports_compile_from_the_snapshot_to_the_run_sql(run: dict[str, Any], tmp_path: Path) -> None:
    code = _code(run)
    res = export_code(code, "sql", tmp_path)
    exported = Path(res.files[0]).read_text()
    run_sql = Path(run["body"]["artifacts"]["pipeline.sql"]).read_text()
    query = run_sql.split("\n", 1)[1].rstrip().rstrip(";")  # without the header line
    assert query in exported and 'CREATE TABLE "segment_sales" AS' in exported
    # the same export against the warehouse itself (a run from before sources.json) is identical
    settings = _settings(run["home"])

    class NoSnapshot:
        def __init__(self) -> None:
            self.store = artifact_store(settings.artifacts_location)

        def list(self, run_id: str) -> list[str]:
            return [n for n in self.store.list(run_id) if n != "sources.json"]

        def get_text(self, run_id: str, name: str) -> str:
            return self.store.get_text(run_id, name)

    old = load_run_code(RunStore(settings.store_path), NoSnapshot(), run["run_id"])  # type: ignore[arg-type]
    assert export_code(old, "sql", tmp_path / "old").files and \
        Path(tmp_path / "old" / "segment_sales.sql").read_text() == exported  # fmt: skip


# -- sql ---------------------------------------------------------------------------------------------


def test_sql_export_builds_the_same_table_on_duckdb(run: dict[str, Any], tmp_path: Path) -> None:
    import duckdb

    proc = run_cli("export", run["run_id"], "--format", "sql", "--out", str(tmp_path), "--json", home=run["home"])
    assert proc.returncode == 0, proc.stderr
    res = result_json(proc)
    assert res["dialect"] == "duckdb" and res["validated"] is True
    con = duckdb.connect(str(tmp_path / "fresh.duckdb"))  # a new database holding only the sources
    try:
        con.execute(f"ATTACH '{run['warehouse']}' AS src (READ_ONLY)")
        con.execute("CREATE TABLE customers AS FROM src.customers; CREATE TABLE orders AS FROM src.orders")
        con.execute(Path(res["files"][0]).read_text())
        rows = con.execute("SELECT * FROM segment_sales").fetchall()
    finally:
        con.close()
    assert _norm(rows) == _norm(run["rows"])


def test_sql_export_for_postgres_runs_on_postgres(run: dict[str, Any], pg_server: Any, tmp_path: Path) -> None:
    import duckdb
    import psycopg

    res = export_code(_code(run), "sql", tmp_path, dialect="postgres")
    sql = Path(res.files[0]).read_text()
    db = f"export_{os.getpid()}"
    pg_server.drop_database(db)
    url = pg_server.create_database(db)
    src = duckdb.connect(str(run["warehouse"]), read_only=True)
    try:
        with psycopg.connect(url) as con:
            con.execute("CREATE TABLE customers (customer_id INTEGER PRIMARY KEY, first_name TEXT, last_name TEXT, "
                        "email TEXT, city TEXT, segment TEXT, signup_date DATE)")  # fmt: skip
            con.execute("CREATE TABLE orders (order_id INTEGER PRIMARY KEY, customer_id INTEGER, order_date DATE, "
                        "status TEXT, channel TEXT, amount NUMERIC(12,2), discount_code TEXT)")  # fmt: skip
            for table, n in (("customers", 7), ("orders", 7)):
                rows = src.execute(f"SELECT * FROM {table}").fetchall()
                with con.cursor() as cur:
                    cur.executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * n)})", rows)
            con.execute(sql)
            got = con.execute("SELECT * FROM segment_sales").fetchall()
    finally:
        src.close()
        pg_server.drop_database(db)
    assert _norm(got) == _norm(run["rows"])


# -- PySpark and Glue under spark-submit -------------------------------------------------------------


@pytest.mark.xdist_group("spark")
def test_pyspark_export_with_spark_submit_writes_the_runs_table(run: dict[str, Any], tmp_path: Path) -> None:
    proc = run_cli("export", run["run_id"], "--format", "pyspark", "--out", str(tmp_path), "--json", home=run["home"])
    assert proc.returncode == 0, proc.stderr
    script = Path(result_json(proc)["files"][0])
    assert script.name == "segment_sales.py"
    assert script.read_text() == Path(run["body"]["artifacts"]["pipeline.py"]).read_text()  # the run's own script
    sources = _export_sources(run, tmp_path / "src", "parquet")
    out = tmp_path / "out" / "segment_sales"
    done = _spark_submit(script, "--source_customers", str(sources["customers"]), "--source_orders",
                         str(sources["orders"]), "--target", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    columns, rows = _read_parquet_dir(out)
    assert columns == run["columns"]
    assert _norm(rows) == _norm(run["rows"])


@pytest.mark.xdist_group("spark")
def test_glue_export_runs_locally_without_awsglue(run: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ImportError):
        __import__("awsglue")  # the Glue-only parts must be skipped, not needed
    res = export_code(_code(run), "glue", tmp_path)
    script = Path(res.files[0])
    tree = ast.parse(script.read_text())
    # every awsglue import sits inside a function that returns None without it
    glue_imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("awsglue")]
    top = {id(n) for n in tree.body}
    assert len(glue_imports) == 3 and not any(id(n) in top for n in glue_imports)
    assert "GlueContext(" in script.read_text() and "getResolvedOptions(" in script.read_text()
    sources = _export_sources(run, tmp_path / "src", "csv")  # CSV: read with the schema the run's catalog had
    out = tmp_path / "out"
    done = _spark_submit(script, "--JOB_NAME", "local-test", "--source_customers", str(sources["customers"]),
                         "--source_orders", str(sources["orders"]), "--target", str(out), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    columns, rows = _read_parquet_dir(out)
    assert columns == run["columns"]
    assert _norm(rows) == _norm(run["rows"])


# -- dbt ---------------------------------------------------------------------------------------------


def _dbt(project: Path, profiles: Path, *args: str) -> subprocess.CompletedProcess:
    dbt = Path(sys.executable).parent / "dbt"
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_PROFILES_DIR": str(profiles),
           "DO_NOT_TRACK": "1"}  # fmt: skip
    return subprocess.run([str(dbt), *args, "--project-dir", str(project)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=project)  # fmt: skip


def test_dbt_export_runs_and_its_tests_pass_with_dbt_duckdb(run: dict[str, Any], tmp_path: Path) -> None:
    import duckdb

    project = tmp_path / "project"
    proc = run_cli("export", run["run_id"], "--format", "dbt", "--out", str(project), home=run["home"])
    assert proc.returncode == 0, proc.stderr
    model = (project / "models" / "segment_sales.sql").read_text()
    assert "{{ source('datamorph', 'customers') }}" in model and "{{ source('datamorph', 'orders') }}" in model
    schema_yml = (project / "models" / "schema.yml").read_text()
    tests = sorted(p.stem for p in (project / "tests").glob("*.sql"))
    report = json.loads(Path(run["body"]["artifacts"]["validation.json"]).read_text())
    sql_tests = {t["test_id"] for t in report["tests"] if not t["test_id"].startswith("differential_")}
    assert set(tests) == sql_tests  # every SQL test of the run, and only those
    assert all(f'name: "{t}"' in schema_yml for t in tests)

    db = tmp_path / "dbt.duckdb"
    shutil.copy(run["warehouse"], db)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        f"datamorph:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: {json.dumps(str(db))}\n"
        "      schema: dbt_out\n      threads: 1\n"
    )
    built = _dbt(project, profiles, "run")
    assert built.returncode == 0, built.stdout[-3000:]
    checked = _dbt(project, profiles, "test")
    assert checked.returncode == 0, checked.stdout[-3000:]
    assert f"PASS={len(tests)} " in checked.stdout and "ERROR=0" in checked.stdout
    con = duckdb.connect(str(db), read_only=True)
    try:
        rel = con.execute("SELECT * FROM dbt_out.segment_sales")
        rows, columns = rel.fetchall(), [d[0] for d in rel.description]
    finally:
        con.close()
    assert columns == run["columns"] and _norm(rows) == _norm(run["rows"])

    # the tests can fail: a model that loses a group breaks the reconciliation with the sources
    assert model.rstrip().endswith("DESC")  # ordered by total_amount: LIMIT 2 drops the smallest group
    (project / "models" / "segment_sales.sql").write_text(model.rstrip() + "\nLIMIT 2\n")
    broken = _dbt(project, profiles, "build")  # the model is rebuilt, then tested
    assert broken.returncode != 0 and "Failure in test extraction_row_count_reconciles" in broken.stdout


# -- Glue submission against moto ----------------------------------------------------------------------


def test_glue_submit_uploads_creates_and_starts_the_job(run: dict[str, Any], aws_env: str, tmp_path: Path) -> None:  # noqa: F811
    from datamorph.aws_clients import aws_client

    s3, glue = aws_client("s3"), aws_client("glue")
    s3.create_bucket(Bucket="dm-glue-jobs")
    env = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    base = ["export", run["run_id"], "--format", "glue", "--out", str(tmp_path), "--submit",
            "--s3", "s3://dm-glue-jobs/scripts", "--role", "arn:aws:iam::123456789012:role/glue", "--json"]  # fmt: skip
    missing = run_cli(*base, "--job-arg", "target=s3://dm-out/segment_sales", home=run["home"], env=env)
    assert missing.returncode == 1 and "source_customers, source_orders" in missing.stdout
    assert "Contents" not in s3.list_objects_v2(Bucket="dm-glue-jobs")  # nothing uploaded

    args = ["--job-arg", "source_customers=s3://dm-in/customers/", "--job-arg", "source_orders=s3://dm-in/orders.csv",
            "--job-arg", "target=s3://dm-out/segment_sales"]  # fmt: skip
    proc = run_cli(*base, *args, home=run["home"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = result_json(proc)
    sub = res["submission"]
    assert sub["job_name"] == "datamorph-segment_sales" and sub["created"] is True
    key = f"scripts/{run['run_id']}/segment_sales_glue.py"
    assert sub["script_uri"] == f"s3://dm-glue-jobs/{key}"
    uploaded = s3.get_object(Bucket="dm-glue-jobs", Key=key)["Body"].read().decode()
    assert uploaded == Path(res["files"][0]).read_text()
    job = glue.get_job(JobName=sub["job_name"])["Job"]
    assert job["Command"]["ScriptLocation"] == sub["script_uri"] and job["Command"]["Name"] == "glueetl"
    assert job["Role"] == "arn:aws:iam::123456789012:role/glue"
    started = glue.get_job_run(JobName=sub["job_name"], RunId=sub["job_run_id"])["JobRun"]
    assert started["Id"] == sub["job_run_id"]
    assert started["Arguments"]["--source_orders"] == "s3://dm-in/orders.csv"
    # (submitting again updates the job with UpdateJob, which moto's server does not implement)


# -- the command line's refusals ------------------------------------------------------------------------


def test_export_refuses_bad_requests(run: dict[str, Any], tmp_path: Path) -> None:
    rid, home = run["run_id"], run["home"]
    cases = [
        (["--format", "excel"], "unknown export format 'excel'"),
        (["--format", "sql", "--dialect", "postgress"], "did you mean 'postgres'?"),
        (["--format", "pyspark", "--dialect", "postgres"], "runs Spark SQL"),
        (["--format", "sql", "--submit"], "--submit goes with --format glue"),
        (["--format", "glue", "--submit"], "--submit needs --s3"),
    ]
    for extra, message in cases:
        proc = run_cli("export", rid, *extra, "--out", str(tmp_path), "--json", home=home,
                       env={"DATAMORPH_GLUE_S3": "", "DATAMORPH_GLUE_ROLE": ""})  # fmt: skip
        assert proc.returncode == 1 and message in result_json(proc)["message"], (extra, proc.stdout)
    unknown = run_cli("export", "20250113_123456_abc123", "--json", home=home)
    assert unknown.returncode == 1 and result_json(unknown)["error_type"] == "RunNotFound"
    assert list(tmp_path.iterdir()) == []  # nothing was written for a refused export


# -- the PySpark script of every golden spec, in one spark-submit ----------------------------------------

_DRIVER = """
import importlib.util, json, sys
from pyspark.sql import SparkSession

plan = json.load(open(sys.argv[1]))
spark = SparkSession.builder.appName("datamorph-export-golden").getOrCreate()
for case in plan["cases"]:
    spec = importlib.util.spec_from_file_location(case["name"], case["script"])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        module.transform(spark, case["args"]).write.parquet(case["out"])
    except Exception as e:  # reported per case; the others still run
        open(case["out"] + ".error", "w").write(f"{type(e).__name__}: {e}")
spark.stop()
"""


@pytest.mark.xdist_group("spark")
def test_pyspark_scripts_of_the_golden_specs_give_duckdbs_rows(pristine_warehouse: Path, fixture_catalog: Any,
                                                                tmp_path: Path) -> None:  # fmt: skip
    """Every golden spec (joins, windows, unions, dates, text...) as a PySpark script, run by
    Spark, gives the rows DuckDB gives for the compiled SQL."""
    import duckdb

    from datamorph.compiler import compile_spec
    from datamorph.export.pyspark import argument_names, job_script

    golden = Path(__file__).parent / "golden"
    con = duckdb.connect(str(pristine_warehouse), read_only=True)
    try:
        data = tmp_path / "data"
        data.mkdir()
        files: dict[str, Path] = {}
        for t in fixture_catalog.tables.values():
            if t.kind == "table":
                files[t.name] = data / f"{t.name}.parquet"
                con.execute(f"COPY \"{t.name}\" TO '{files[t.name]}' (FORMAT parquet)")
        cases, expected = [], {}
        for path in sorted(golden.glob("*.json")):
            compiled = compile_spec(load_spec(json.loads(path.read_text())["spec"]), fixture_catalog)
            sources = [fixture_catalog.table(n) for n in compiled.spec.source_table_names()]
            script = tmp_path / f"{path.stem}.py"
            script.write_text(job_script(compiled, sources, header=f"golden {path.stem}"))
            args = {arg: str(files[name]) for name, arg in argument_names(sources).items()}
            cases.append({"name": path.stem, "script": str(script), "args": args, "out": str(tmp_path / "out" / path.stem)})
            expected[path.stem] = con.execute(compiled.sql("duckdb")).fetchall()
    finally:
        con.close()
    assert len(cases) >= 20
    (tmp_path / "plan.json").write_text(json.dumps({"cases": cases}))
    (tmp_path / "driver.py").write_text(_DRIVER)
    done = _spark_submit(tmp_path / "driver.py", str(tmp_path / "plan.json"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    problems = {}
    for case in cases:
        err = Path(case["out"] + ".error")
        if err.exists():
            problems[case["name"]] = err.read_text()[:300]
            continue
        _, rows = _read_parquet_dir(Path(case["out"]))
        if _norm(rows) != _norm(expected[case["name"]]):
            problems[case["name"]] = f"spark {_norm(rows)[:3]} vs duckdb {_norm(expected[case['name']])[:3]}"
    assert not problems, json.dumps(problems, indent=1)
