"""The kill-point harness: run a pipeline in a subprocess, SIGKILL it, check what it left behind.

One :class:`KillHarness` works on one warehouse (a DuckDB file, a PostgreSQL URL or a Spark folder) with its own
DataMorph home. :meth:`KillHarness.prepare` publishes two different versions of one target (specs
A and B, so the target always holds exactly one of two known contents); each
:meth:`KillHarness.cycle` then

1. starts ``datamorph run --spec X`` (X: the spec the target does not hold now) in a subprocess
   and kills it with SIGKILL, either where the test hook pauses it (``DATAMORPH_TEST_PAUSE_AT``,
   a step boundary) or after a random delay;
2. checks the target holds exactly the old or the new version (row count and a checksum of all
   rows) and the sources are unchanged (checksums);
3. runs the next command (``datamorph runs --json``) and checks the run store is intact (SQLite
   ``integrity_check``), no run is left ``running`` and no staging table is left;
4. continues: ``datamorph resume RUN_ID`` (or a new run) must complete, and the target must then
   hold the new version.

Used by ``tests/test_killpoints.py`` (a bounded set of kills) and ``bench/killpoints.py`` (the long
version). Only the DataMorph CLI is run; checks read the warehouse directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TARGET = "kill_summary"
SOURCES = ("customers", "orders")
FIXTURE_SQL = Path(__file__).parent / "fixtures" / "warehouse.sql"
STEP_NAMES = ("plan", "read_sources", "compile", "stage", "validate", "publish")
#: every step boundary the test hook can stop at, in workflow order
BOUNDARIES = (*(f"{s}:start" for s in STEP_NAMES), "publish:commit", "publish:end")


def spec(threshold: int) -> dict[str, Any]:
    """Customers with an order total above ``threshold`` (two thresholds give two different tables)."""
    return {
        "source_tables": [{"table_name": "customers", "alias": "c"}, {"table_name": "orders", "alias": "o"}],
        "target_table": {"name": TARGET},
        "join_conditions": [{"left_table": "c", "right_table": "o", "join_type": "inner",
                             "on_columns": ["customer_id"]}],  # fmt: skip
        "aggregations": [{"function": "sum", "column": "o.amount", "alias": "total_amount",
                          "group_by": ["c.customer_id"]}],  # fmt: skip
        "filters": [{"column": "total_amount", "operator": ">", "value": threshold}],
    }


SPECS = {"A": spec(1000), "B": spec(100)}


def build_duckdb(path: Path) -> str:
    """The fixture warehouse (tests/fixtures/warehouse.sql) as a DuckDB file."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(FIXTURE_SQL.read_text())
    finally:
        con.close()
    return str(path)


def build_postgres(url: str, scratch: Path) -> str:
    """The fixture warehouse loaded into the (empty) PostgreSQL database at ``url``."""
    from datamorph.engines.pg_files import load_duckdb_tables
    from datamorph.engines.postgres import PostgresEngine

    duck = build_duckdb(scratch / "kill_fixture.duckdb")
    with PostgresEngine(url) as eng:
        load_duckdb_tables(eng, duck)
    return url


def build_spark(scratch: Path) -> str:
    """The fixture warehouse copied into a Spark warehouse folder; its ``spark:///`` address."""
    from datamorph.engines.spark import SparkEngine, load_duckdb_tables

    address = f"spark://{scratch / 'spark_warehouse'}"
    duck = build_duckdb(scratch / "kill_fixture.duckdb")
    with SparkEngine(address, create=True) as eng:
        load_duckdb_tables(eng, duck)
    return address


@dataclass
class Cycle:
    """What one kill did and left behind."""

    how: str  # "publish:commit", "random 0.83s", ...
    killed: bool = False  # False: the run ended before the kill landed (not a kill)
    run_id: str | None = None
    target_ok: bool = True  # old or new version exactly
    sources_ok: bool = True
    store_ok: bool = True
    stuck: int = 0  # runs still 'running' after the next command
    orphans: int = 0  # staging tables left after the next command
    status: str | None = None  # of the killed run after the next command
    recovery: str = ""  # "resume" or "new run"
    recovered: bool = True  # the resume / new run completed with the new version
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        return f"{self.how}: run {self.run_id} {self.status}, {self.recovery} " + (
            "ok" if self.clean else "PROBLEMS: " + "; ".join(self.problems))


class KillHarness:
    """Kill cycles against one warehouse; see the module docstring."""

    def __init__(self, warehouse: str, workdir: Path, *, seed: int = 0, python: str = sys.executable,
                 timeout: float = 180) -> None:  # fmt: skip
        self.warehouse = warehouse
        self.timeout = timeout  # most seconds a command may take (Spark starts a JVM per command)
        self.workdir = workdir
        self.home = workdir / "home"
        self.python = python
        self.rng = random.Random(seed)
        self.spec_files: dict[str, Path] = {}
        self.expected: dict[str, tuple[int, str]] = {}  # spec name → (rows, checksum) of its target
        self.sources: dict[str, tuple[int, str]] = {}
        self.run_seconds = 2.0  # wall time of a whole `datamorph run` (measured by prepare)
        self.start_seconds = 0.0  # from starting the process to the run being recorded (measured by prepare)
        self.work_seconds = 1.0  # from the run being recorded to its end (measured by prepare)
        self.cycles = 0

    # -- commands ---------------------------------------------------------------------------
    def _env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATAMORPH_")}
        env.update({"DATAMORPH_HOME": str(self.home), "DATAMORPH_LOCK_TIMEOUT": "30"})
        return {**env, **(extra or {})}

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.python, "-m", "datamorph", *args], capture_output=True, text=True,
                              timeout=self.timeout, env=self._env())  # fmt: skip

    def _run_args(self, name: str) -> list[str]:
        return ["run", "--spec", str(self.spec_files[name]), "--warehouse", self.warehouse, "--json"]

    # -- reading the warehouse ----------------------------------------------------------------
    def checksum(self, table: str) -> tuple[int, str]:
        """(row count, sha256 of all rows in a canonical order) of ``table``; (-1, '') if it does not exist."""
        from sqlglot import exp

        from datamorph.engines import connect
        from datamorph.errors import DataMorphError

        with connect(self.warehouse, read_only=True, lock_timeout=30) as eng:
            try:
                rows = eng.fetch(f"SELECT * FROM {exp.to_identifier(table, quoted=True).sql(eng.dialect)}").rows
            except DataMorphError:
                return -1, ""
        lines = sorted(json.dumps([_canon(v) for v in r]) for r in rows)
        return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()

    def staging_count(self) -> int:
        from datamorph.engines import connect

        with connect(self.warehouse, read_only=True, lock_timeout=30) as eng:
            return len(eng.staging_tables())

    def store_intact(self) -> bool:
        path = self.home / "runs.db"
        if not path.exists():
            return True
        con = sqlite3.connect(path)
        try:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            con.close()

    def runs(self) -> list[dict[str, Any]]:
        """``datamorph runs --json`` (the next command after a kill: it sweeps the run store)."""
        proc = self.cli("runs", "--json", "--limit", "1000")
        if proc.returncode != 0:
            raise AssertionError(f"`datamorph runs` failed: {proc.stderr.strip()}")
        return list(json.loads(proc.stdout))

    # -- setting up -----------------------------------------------------------------------------
    def prepare(self) -> None:
        """Write the specs, publish A then B (measuring a run), record the expected contents."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name, body in SPECS.items():
            path = self.workdir / f"spec_{name}.json"
            path.write_text(json.dumps(body))
            self.spec_files[name] = path
        self.sources = {s: self.checksum(s) for s in SOURCES}
        for name in ("A", "B"):
            t0 = time.time()
            proc = self.cli(*self._run_args(name))
            self.run_seconds = time.time() - t0
            if proc.returncode != 0:
                raise AssertionError(f"the clean run of spec {name} failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
            self.expected[name] = self.checksum(TARGET)
            body = json.loads(proc.stdout)["body"]
            self.start_seconds = max(0.0, _epoch(body["run_id"], self.runs()) - t0)
            self.work_seconds = body["total_ms"] / 1000
        if self.expected["A"] == self.expected["B"]:
            raise AssertionError("specs A and B must give different targets")

    def current(self) -> str:
        """Which spec's version the target holds now."""
        now = self.checksum(TARGET)
        for name, value in self.expected.items():
            if value == now:
                return name
        raise AssertionError(f"the target holds neither version: {now}")

    # -- one kill ---------------------------------------------------------------------------------
    def cycle(self, point: str | None = None, delay: float | None = None, *, recover: str = "resume") -> Cycle:
        """Kill a run at ``point`` (a :data:`BOUNDARIES` entry) or after ``delay`` seconds (random when
        both are None), then check and recover (``recover``: "resume", or "run" for a new run)."""
        old = self.current()
        new = "A" if old == "B" else "B"
        if point is None and delay is None:  # mostly while the run works, some before it is recorded or after
            delay = self.rng.uniform(self.start_seconds * 0.8, self.start_seconds + self.work_seconds * 1.3)
        c = Cycle(point or f"random {delay:.2f}s")
        started = time.time()
        c.killed, c.run_id, problem = self.start_and_kill(new, point, delay)
        if problem:
            c.problems.append(problem)
        self._check_after_kill(c, old, new, started)
        self._recover(c, new, recover)
        return c

    def start_and_kill(self, name: str, point: str | None = None, delay: float | None = None,
                       ) -> tuple[bool, str | None, str | None]:  # fmt: skip
        """Start ``datamorph run --spec <name>`` and SIGKILL it where the test hook pauses it at ``point``,
        or after ``delay`` seconds. (killed, run id when the hook said it, a problem or None)."""
        self.cycles += 1
        marker = self.workdir / f"paused_{self.cycles}.json"
        extra = {"DATAMORPH_TEST_PAUSE_AT": point, "DATAMORPH_TEST_PAUSE_FILE": str(marker)} if point else {}
        proc = subprocess.Popen([self.python, "-m", "datamorph", *self._run_args(name)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self._env(extra))  # fmt: skip
        run_id = problem = None
        try:
            if point is not None:
                deadline = time.monotonic() + self.timeout
                while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                if marker.exists():
                    run_id = json.loads(marker.read_text())["run_id"]
                else:
                    problem = f"the run never reached {point} (exit code {proc.poll()})"
            else:
                end = time.monotonic() + (delay or 0.0)
                while proc.poll() is None and time.monotonic() < end:
                    time.sleep(0.01)
            killed = proc.poll() is None
            if killed:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        return killed, run_id, problem

    def _check_after_kill(self, c: Cycle, old: str, new: str, started: float) -> None:
        got = self.checksum(TARGET)
        if got not in (self.expected[old], self.expected[new]):
            c.target_ok = False
            c.problems.append(f"target is neither the old nor the new version: {got}")
        changed = [s for s in SOURCES if self.checksum(s) != self.sources[s]]
        if changed:
            c.sources_ok = False
            c.problems.append(f"sources changed: {changed}")
        runs = self.runs()  # the next command
        if c.run_id is None:  # a random kill: the run recorded since the process started, if any
            fresh = [r for r in runs if _epoch(r["run_id"], runs) >= started - 0.01]  # newest first
            c.run_id = fresh[0]["run_id"] if fresh else None
        c.status = next((r["status"] for r in runs if r["run_id"] == c.run_id), None)
        c.store_ok = self.store_intact()
        if not c.store_ok:
            c.problems.append("run store integrity_check failed")
        c.stuck = sum(r["status"] == "running" for r in runs)
        if c.stuck:
            c.problems.append(f"{c.stuck} run(s) still running after the next command")
        c.orphans = self.staging_count()
        if c.orphans:
            c.problems.append(f"{c.orphans} staging table(s) left after the next command")

    def _recover(self, c: Cycle, new: str, recover: str) -> None:
        resumable = c.run_id is not None and c.status in ("abandoned", "failed")
        if recover == "resume" and resumable:
            assert c.run_id is not None
            c.recovery = "resume"
            proc = self.cli("resume", c.run_id, "--json")
        else:
            c.recovery = "new run"
            proc = self.cli(*self._run_args(new))
        if proc.returncode != 0:
            c.recovered = False
            c.problems.append(f"{c.recovery} failed: {proc.stdout.strip()[-300:]} {proc.stderr.strip()[-300:]}")
            return
        if self.checksum(TARGET) != self.expected[new]:
            c.recovered = False
            c.problems.append(f"after the {c.recovery} the target is not the new version")
        if self.staging_count():
            c.problems.append(f"staging tables left after the {c.recovery}")
        if self.running_in_store():
            c.problems.append(f"a run is left running after the {c.recovery}")

    def running_in_store(self) -> int:
        """Runs in status running, read from the run store file directly (no sweep)."""
        con = sqlite3.connect(f"file:{self.home / 'runs.db'}?mode=ro", uri=True)
        try:
            return int(con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0])
        finally:
            con.close()


def _epoch(run_id: str, runs: list[dict[str, Any]]) -> float:
    """When run ``run_id`` was recorded (its ``created_at``), in seconds since the epoch."""
    from datamorph.events import parse_timestamp

    created = next(r["created_at"] for r in runs if r["run_id"] == run_id)
    return parse_timestamp(created).timestamp()


def _canon(value: Any) -> Any:
    """A value in one form whichever engine returned it (Decimal('1.50') and 1.5 agree)."""
    from decimal import Decimal

    if isinstance(value, Decimal | float):
        return format(Decimal(str(value)).normalize(), "f")
    if isinstance(value, int | str | bool) or value is None:
        return value
    return str(value)


def summary(cycles: list[Cycle]) -> str:
    """``kills: N, clean: N, stuck: 0, orphans: 0`` over the cycles that really killed a run."""
    killed = [c for c in cycles if c.killed]
    return (f"kills: {len(killed)}, clean: {sum(c.clean for c in killed)}, stuck: {sum(c.stuck for c in killed)}, "
            f"orphans: {sum(c.orphans for c in killed)}")  # fmt: skip
