"""Test helpers: run the real CLI, fingerprint tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(*args: str, home: Path, timeout: float = 120, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``datamorph ARGS`` in a fresh process, as a user would."""
    full_env = {**os.environ, "DATAMORPH_HOME": str(home), **(env or {})}
    full_env.pop("DATAMORPH_WAREHOUSE", None)
    return subprocess.run([sys.executable, "-m", "datamorph", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)  # fmt: skip


def result_json(proc: subprocess.CompletedProcess) -> dict[str, Any]:
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, f"--json must print exactly one line, got: {proc.stdout!r} / {proc.stderr!r}"
    return json.loads(lines[0])


def fingerprint(warehouse: Path) -> dict[str, Any]:
    """{table: (columns, row count, content hash)} for every user table."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        out = {}
        for (name,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall():
            cols = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name='main' "
                               "AND table_name = ? ORDER BY column_index", [name]).fetchall()  # fmt: skip
            n, h = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{name}" AS t').fetchone()
            out[name] = (tuple(cols), n, h)
        return out
    finally:
        con.close()
