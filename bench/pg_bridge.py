"""Run one request on PostgreSQL for an accuracy grader that speaks DuckDB: ``CMD PROMPT WAREHOUSE TARGET``.

Usage::

    DATAMORPH_PG_URL=postgresql://postgres@127.0.0.1:PORT/postgres python bench/pg_bridge.py PROMPT WAREHOUSE.duckdb TARGET

1. Creates a fresh database ``bench_<random>`` on the server ``DATAMORPH_PG_URL`` names (an admin
   connection that may CREATE/DROP DATABASE; ``bench/pg_bench_server.py`` prints one) and loads every
   table of the DuckDB file WAREHOUSE into it (COPY, primary keys, ANALYZE).
2. Runs ``datamorph run PROMPT --warehouse postgresql://.../bench_<random> --target TARGET --json``.
3. If the run completed (the target was published), copies the target table back into WAREHOUSE
   (replacing a table of that name) so the grader compares it there, and checks that every source
   table in PostgreSQL is unchanged (row count + md5 of its rows in order). A changed source turns
   the result into ``{"statusCode": 500, "body": {"status": "failed", ...}}`` and exit code 1.
4. Prints the run's JSON unchanged (or that failed result) and exits with the run's exit code; the
   database is dropped in every case.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def database_url(server_url: str, name: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


def fingerprints(url: str, tables: list[str]) -> dict[str, tuple[int, str | None]]:
    """(row count, md5 of the rows as text in order) of each table in schema public."""
    import psycopg
    from psycopg import sql

    out: dict[str, tuple[int, str | None]] = {}
    with psycopg.connect(url, autocommit=True) as con:
        for t in tables:
            q = sql.SQL("SELECT count(*), md5(string_agg(r::text, E'\\n' ORDER BY r::text COLLATE \"C\")) "
                        "FROM {} AS r").format(sql.Identifier("public", t))  # fmt: skip
            row = con.execute(q).fetchone()
            assert row is not None
            out[t] = (int(row[0]), row[1])
    return out


def copy_back(url: str, target: str, warehouse: str) -> None:
    """Replace table ``target`` in the DuckDB file with the PostgreSQL table of that name."""
    import duckdb
    from sqlglot import exp

    from datamorph.engines.postgres import PostgresEngine

    with PostgresEngine(url, read_only=True) as eng:
        arrow = eng.read_arrow(target)
    name = target.split(".")[-1].strip('"')
    duck = duckdb.connect(warehouse)
    try:
        duck.register("_dm_bridge_result", arrow)
        duck.execute(f"CREATE OR REPLACE TABLE {exp.to_identifier(name, quoted=True).sql('duckdb')} AS "
                     "SELECT * FROM _dm_bridge_result")  # fmt: skip
        duck.unregister("_dm_bridge_result")
    finally:
        duck.close()


def failed(message: str, run: dict[str, Any] | None) -> dict[str, Any]:
    body = dict((run or {}).get("body") or {})
    body.update(status="failed", validation_status="fail", message=message)
    return {"statusCode": 500, "body": body}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3:
        print("usage: pg_bridge.py PROMPT WAREHOUSE TARGET (with DATAMORPH_PG_URL set)", file=sys.stderr)
        return 2
    prompt, warehouse, target = args
    server_url = os.environ.get("DATAMORPH_PG_URL")
    if not server_url:
        print("DATAMORPH_PG_URL is not set (start a server with bench/pg_bench_server.py)", file=sys.stderr)
        return 2
    import psycopg
    from psycopg import sql

    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    name = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = database_url(server_url, name)
    try:
        with PostgresEngine(url) as eng:
            tables = [r.table for r in load_duckdb_tables(eng, warehouse)]
        before = fingerprints(url, tables)
        proc = subprocess.run([sys.executable, "-m", "datamorph", "run", prompt, "--warehouse", url,
                               "--target", target, "--json"], stdout=subprocess.PIPE, text=True)  # fmt: skip
        out = proc.stdout
        try:
            run = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
        except (json.JSONDecodeError, IndexError):
            run = None
        if run is not None and (run.get("body") or {}).get("status") == "completed":
            copy_back(url, target, warehouse)
            after = fingerprints(url, tables)
            changed = [t for t in tables if after[t] != before[t]]
            if changed:
                print(json.dumps(failed(f"source table(s) changed by the run: {', '.join(changed)}", run)))
                return 1
        sys.stdout.write(out)
        return proc.returncode
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    sys.exit(main())
