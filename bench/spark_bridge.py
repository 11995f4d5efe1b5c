"""Run one request on Spark for an accuracy grader that speaks DuckDB: ``CMD PROMPT WAREHOUSE TARGET``.

Usage (as the grader's command template)::

    DATAMORPH_CMD="python bench/spark_bridge.py {prompt} {warehouse} {target}" python grade.py ...

1. Creates a fresh Spark warehouse folder (``spark:///<tmp>/warehouse``) and copies every table and view
   of the DuckDB file WAREHOUSE into it (Parquet, primary and foreign keys; no Spark job needed).
2. Runs ``datamorph run PROMPT --warehouse spark:///... --target TARGET --json`` (a local SparkSession).
3. If the run completed, copies the target (its current Parquet version) back into WAREHOUSE (replacing a
   table of that name) so the grader compares it there, and checks that every source table's files in
   the Spark warehouse are unchanged (row count + md5 of its rows in order, read with DuckDB). A changed
   source turns the result into ``{"statusCode": 500, "body": {"status": "failed", ...}}`` and exit code 1.
4. Prints the run's JSON unchanged (or that failed result) and exits with the run's exit code; the Spark
   warehouse folder is removed in every case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def _parquet(location: str) -> str:
    from sqlglot import exp

    return f"read_parquet({exp.Literal.string(str(Path(location) / '*.parquet')).sql('duckdb')})"


def fingerprints(folder: Path, tables: list[str]) -> dict[str, tuple[int, str | None]]:
    """(row count, md5 of the rows as text in order) of each source table, read from its Parquet files."""
    from datamorph.engines.files import file_reader
    from datamorph.engines.spark_catalog import DEFAULT_SCHEMA, SparkCatalog

    cat = SparkCatalog(folder, create=False, timeout=30)
    duck = file_reader()
    out: dict[str, tuple[int, str | None]] = {}
    try:
        for t in tables:
            o = cat.find(DEFAULT_SCHEMA, t)
            if o is None or o.location is None:
                out[t] = (-1, None)
                continue
            row = duck.execute(f"SELECT count(*), md5(string_agg(CAST(r AS VARCHAR), chr(10) ORDER BY CAST(r AS VARCHAR))) "
                               f"FROM {_parquet(o.location)} AS r").fetchone()  # fmt: skip
            assert row is not None
            out[t] = (int(row[0]), row[1])
    finally:
        duck.close()
        cat.close()
    return out


def copy_back(folder: Path, target: str, warehouse: str) -> None:
    """Replace table ``target`` in the DuckDB file with the current version of the Spark target."""
    import duckdb
    from sqlglot import exp

    from datamorph.engines.spark_catalog import DEFAULT_SCHEMA, SparkCatalog

    name = target.split(".")[-1].strip('"`')
    cat = SparkCatalog(folder, create=False, timeout=30)
    try:
        o = cat.find(DEFAULT_SCHEMA, name)
    finally:
        cat.close()
    if o is None or o.location is None:
        raise SystemExit(f"the run completed but the Spark warehouse has no table '{name}'")
    duck = duckdb.connect(warehouse)
    try:
        duck.execute(f"CREATE OR REPLACE TABLE {exp.to_identifier(name, quoted=True).sql('duckdb')} AS "
                     f"SELECT * FROM {_parquet(o.location)}")  # fmt: skip
    finally:
        duck.close()


def failed(message: str, run: dict[str, Any] | None) -> dict[str, Any]:
    body = dict((run or {}).get("body") or {})
    body.update(status="failed", validation_status="fail", message=message)
    return {"statusCode": 500, "body": body}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: spark_bridge.py PROMPT WAREHOUSE TARGET", file=sys.stderr)
        return 2
    prompt, warehouse, target = args
    from datamorph.engines.spark import SparkEngine, load_duckdb_tables

    scratch = Path(tempfile.mkdtemp(prefix="dm_spark_bridge_"))
    folder = scratch / "warehouse"
    address = f"spark://{folder}"
    try:
        with SparkEngine(address, create=True) as eng:
            tables = [r.table for r in load_duckdb_tables(eng, warehouse)]
        before = fingerprints(folder, tables)
        proc = subprocess.run([sys.executable, "-m", "datamorph", "run", prompt, "--warehouse", address,
                               "--target", target, "--json"], stdout=subprocess.PIPE, text=True)  # fmt: skip
        out = proc.stdout
        try:
            run = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except (json.JSONDecodeError, IndexError):
            run = None
        if run is not None and (run.get("body") or {}).get("status") == "completed":
            copy_back(folder, target, warehouse)
            after = fingerprints(folder, tables)
            changed = [t for t in tables if after[t] != before[t]]
            if changed:
                print(json.dumps(failed(f"source table(s) changed by the run: {', '.join(changed)}", run)))
                return 1
        sys.stdout.write(out)
        return proc.returncode
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
