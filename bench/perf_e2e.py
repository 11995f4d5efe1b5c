"""End-to-end benchmark: the example request through the whole pipeline vs. the same query by hand.

Usage::

    python bench/perf_e2e.py --scale S [--keep PATH] [--repeat N] [--warehouse PATH] [--rerun] [-v]

What it does
------------
1. Builds the demo warehouse at ``--scale`` into a temporary directory (or at ``--keep PATH``,
   which is then left in place), unless ``--warehouse PATH`` names an existing one. The build
   runs in a child process, so neither its time nor its memory counts against the pipeline;
   its time is printed on its own line (``build_s``).
2. Runs ``datamorph.demo.example_spec()`` (customers JOIN orders, SUM(amount) per customer,
   HAVING > 1000) through ``Orchestrator(settings).run(...)``, into a target of the
   benchmark's own (``perf_e2e_customer_order_summary``, so a warehouse given with
   ``--warehouse`` keeps its tables): one warm-up run, then the median of ``--repeat`` runs,
   alternating with the hand-written runs of step 3 so that a change in machine load during
   the benchmark hits both sides alike. Before each run the target is dropped (untimed, own
   connection), so every run is a first publish, like the hand-written CREATE TABLE it is
   compared with; ``--rerun`` keeps it instead, so each publish also archives the previous
   version into the history schema. The run store and artifacts go to a temporary home.
3. In the same process, times the hand-written equivalent::

       CREATE TABLE hand_written AS SELECT c.customer_id, sum(o.amount) AS total_amount
       FROM customers c JOIN orders o ON o.customer_id = c.customer_id
       GROUP BY c.customer_id HAVING sum(o.amount) > 1000

   on its own connection to the same file (opened for each run and closed before the next
   pipeline run, so it never holds the file lock while the pipeline runs): one warm-up (after
   the pipeline's), then the median of ``--repeat`` runs. The timed part is the statement
   itself (DuckDB commits it before ``execute`` returns); ``hand_written`` is dropped after
   each run, untimed.

How the overhead is measured
----------------------------
The pipeline's wall time is ``time.perf_counter()`` around ``Orchestrator.run`` (everything:
run store rows, log entries, artifacts, catalog reads, compiling, staging, validation,
publishing, closing the warehouse). Time spent inside DuckDB is measured by wrapping the one
DuckDB connection the engine opens: ``DuckDBEngine._open`` is patched to time
``duckdb.connect`` and to return a proxy (:class:`Timed`) that times every method call on
the connection, and on every DuckDB object such a call returns: ``execute`` and ``fetch*``,
and the relational API (``sql(...)``, then ``to_arrow_table()`` and the like, which the
validation uses to read rows into Arrow). ``close`` checkpoints the file, which is DuckDB
writing data, so it counts as DuckDB time too. Nothing the engine sends to DuckDB bypasses
the proxy, so

    overhead_ms = pipeline wall time - (time inside DuckDB calls, connect and close included)

is the time spent in Python outside DuckDB: catalog bookkeeping, compiling with SQLGlot,
deriving tests, any validation work done in Python (e.g. evaluating with Polars), run-store
writes (SQLite), artifact writes (with fsync), logging. The figures printed are medians over
the ``--repeat`` runs (each run's overhead is computed from that run's own wall and DuckDB
times). ``-v`` also prints each run's step times, each validation test's time (median over the runs, read
from the run's ``validation.json``; a query that answers several tests counts on the first of them)
and the slowest DuckDB calls of the last run.

Peak memory is the process's RSS high-water mark (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
read right after the pipeline's warm-up run, before anything else ran in the process
(``peak_rss_mb``), and again at the very end, after the hand-written runs too.

The script prints only; it asserts nothing about timings. Its last line is
``ratio: X.XX`` = median pipeline wall time / median hand-written time.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

# The example spec's result goes to a target of the benchmark's own (RunRequest.target), so a
# user's warehouse passed with --warehouse keeps its own customer_order_summary untouched.
TARGET = "perf_e2e_customer_order_summary"
HAND_WRITTEN_SQL = (
    "CREATE TABLE hand_written AS SELECT c.customer_id, sum(o.amount) AS total_amount "
    "FROM customers c JOIN orders o ON o.customer_id = c.customer_id "
    "GROUP BY c.customer_id HAVING sum(o.amount) > 1000"
)


# -- DuckDB call timing --------------------------------------------------------------------


class DuckClock:
    """Accumulates the time spent inside DuckDB calls (and, when verbose, each statement)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.connection: Any = None
        self.seconds = 0.0
        self.statements = 0
        self.log: list[tuple[float, str]] = []

    def add(self, seconds: float, what: str | None = None) -> None:
        self.seconds += seconds
        if what is not None:
            self.statements += 1
            self.log.append((seconds, what))
        elif self.log:
            # fetching (or running a relation) belongs to the statement that produced it
            s, w = self.log[-1]
            self.log[-1] = (s + seconds, w)


CLOCK = DuckClock()


_LABELLED = {"execute", "sql", "query", "executemany"}  # calls whose first argument is the SQL


def _from_duckdb(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ("duckdb", "_duckdb")


class Timed:
    """A DuckDB object (the connection, or a relation it returned) whose every call is timed.

    Any method call on it counts as time inside DuckDB: ``execute``/``fetch*`` on the
    connection, and the relational API (``con.sql(...)`` binds a query; ``to_arrow_table()``,
    ``fetchall()``... run it). DuckDB objects a call returns (a relation, the connection
    itself) come back wrapped the same way, so nothing the engine asks DuckDB to do escapes
    the clock. Nested calls are counted once (the outermost one).
    """

    _depth = 0

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            label = None
            if name in _LABELLED and args:
                label = " ".join(str(args[0]).split())
            elif name == "close" and self._obj is CLOCK.connection:
                label = "<close connection (checkpoint)>"
            outer = Timed._depth == 0
            Timed._depth += 1
            t0 = time.perf_counter()
            try:
                res = attr(*args, **kwargs)
            finally:  # a call that fails still spent its time in DuckDB
                Timed._depth -= 1
                if outer:
                    CLOCK.add(time.perf_counter() - t0, label)
            if res is self._obj:
                return self
            return Timed(res) if _from_duckdb(res) else res

        return call


def instrument_engine() -> None:
    """Patch DuckDBEngine._open so the engine's connection is timed (connect included)."""
    from datamorph.engines.duckdb import DuckDBEngine

    original = DuckDBEngine._open

    def timed_open(self: Any) -> Any:
        t0 = time.perf_counter()
        con = original(self)
        CLOCK.add(time.perf_counter() - t0, "<connect>")
        CLOCK.connection = con
        return Timed(con)

    DuckDBEngine._open = timed_open  # type: ignore[method-assign]


# -- helpers -------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024


def build(path: Path, scale: float) -> float:
    """Build the demo warehouse in a child process; return seconds."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "datamorph.demo.warehouse", "--out", str(path), "--scale", f"{scale:g}"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - t0


def sql(path: Path, *statements: str) -> None:
    """Run statements on a short-lived connection of our own (closed before returning)."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        for s in statements:
            con.execute(s)
    finally:
        con.close()


def drop_target(path: Path) -> None:
    sql(path, f'DROP TABLE IF EXISTS main."{TARGET}"')


def cleanup(path: Path) -> None:
    """Remove what the benchmark wrote: its target, its history versions, its staging leftovers."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute(f'DROP TABLE IF EXISTS main."{TARGET}"')
        con.execute("DROP TABLE IF EXISTS hand_written")
        for schema, name in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN "
            "('datamorph_history', 'datamorph_staging') AND starts_with(table_name, ?)",
            [TARGET + "__"],
        ).fetchall():
            con.execute(f'DROP TABLE "{schema}"."{name}"')
        try:
            con.execute("DELETE FROM datamorph_history.versions WHERE target = ?", [TARGET])
        except duckdb.CatalogException:
            pass  # no history schema
    finally:
        con.close()


def pipeline_once(orch: Any, warehouse: Path) -> dict[str, Any]:
    from datamorph.demo import example_spec
    from datamorph.orchestrator import RunRequest

    spec = example_spec()
    CLOCK.reset()
    t0 = time.perf_counter()
    result = orch.run(RunRequest(warehouse=str(warehouse), spec=spec, target=TARGET))
    wall = time.perf_counter() - t0
    body = result["body"]
    if result["statusCode"] != 200:
        raise SystemExit(f"pipeline failed: {body.get('message')}")
    return {
        "wall_ms": wall * 1000,
        "duck_ms": CLOCK.seconds * 1000,
        "overhead_ms": (wall - CLOCK.seconds) * 1000,
        "statements": CLOCK.statements,
        "steps": body["step_timings_ms"],
        "total_ms": body["total_ms"],
        "rows": body.get("rows"),
        "validation": body.get("validation_summary", {}),
        "log": list(CLOCK.log),
        "artifacts": body.get("artifacts", {}),
        "tests": validation_tests(body.get("artifacts", {})),
    }


def validation_tests(artifacts: dict[str, str]) -> list[dict[str, Any]]:
    """(test_id, status, duration_ms, shortcut/settings used) of each validation test, from validation.json."""
    import json

    names = sorted(n for n in artifacts if n.startswith("validation") and n.endswith(".json"))
    if not names or not Path(artifacts[names[-1]]).is_file():
        return []
    report = json.loads(Path(artifacts[names[-1]]).read_text(encoding="utf-8"))
    return [
        {"id": t["test_id"], "status": t["status"], "ms": float(t.get("duration_ms") or 0.0),
         "how": ", ".join(k for k in ("shortcut", "settings") if t.get(k))}
        for t in report.get("tests", [])
    ]  # fmt: skip


def hand_written_once(path: Path) -> float:
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute("DROP TABLE IF EXISTS hand_written")
        t0 = time.perf_counter()
        con.execute(HAND_WRITTEN_SQL)
        ms = (time.perf_counter() - t0) * 1000
        con.execute("DROP TABLE hand_written")
    finally:
        con.close()
    return ms


# -- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="demo warehouse scale (1 = ~10k orders)")
    p.add_argument("--keep", type=Path, help="build the warehouse at PATH and keep it")
    p.add_argument("--warehouse", type=Path, help="use this existing warehouse instead of building one")
    p.add_argument("--repeat", type=int, default=3, help="measured runs of each (median is printed)")
    p.add_argument("--rerun", action="store_true", help="keep the target between runs (publish archives it)")
    p.add_argument("-v", "--verbose", action="store_true", help="print the slowest DuckDB calls of a run")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")

    from datamorph.config import Settings
    from datamorph.orchestrator import Orchestrator

    tmp = Path(tempfile.mkdtemp(prefix="dm_perf_"))
    warehouse: Path | None = None
    try:
        if args.warehouse is not None:
            warehouse = args.warehouse
            if not warehouse.is_file():
                p.error(f"--warehouse {warehouse}: no such file")
            print(f"warehouse: {warehouse} (existing, {warehouse.stat().st_size / 2**20:.0f} MB)")
        else:
            warehouse = args.keep if args.keep is not None else tmp / "warehouse.duckdb"
            secs = build(warehouse, args.scale)
            print(f"build_s: {secs:.2f} (scale {args.scale:g}, {warehouse.stat().st_size / 2**20:.0f} MB, "
                  f"not part of the measured pipeline)")  # fmt: skip

        instrument_engine()
        orch = Orchestrator(Settings(home=tmp / "home"))

        # -- warm-ups: the pipeline first (so peak_rss_mb below is the pipeline's alone), then the
        # hand-written query; then the measured runs, alternating, so that a change in machine load
        # during the benchmark hits both sides alike
        drop_target(warehouse)
        pipeline_once(orch, warehouse)
        rss_pipeline = peak_rss_mb()
        hand_written_once(warehouse)
        runs, hand = [], []
        for _ in range(args.repeat):
            if not args.rerun:
                drop_target(warehouse)
            runs.append(pipeline_once(orch, warehouse))
            hand.append(hand_written_once(warehouse))
        rss_process = peak_rss_mb()

        def med(key: str) -> float:
            return statistics.median(r[key] for r in runs)

        last = runs[-1]
        if args.verbose:
            for n, r in enumerate(runs, start=1):
                steps = ", ".join(f"{k} {v:.0f}" for k, v in r["steps"].items())
                print(f"run {n}: {r['wall_ms']:.0f} ms ({steps}; DuckDB {r['duck_ms']:.0f} ms)")
            print("validation tests (median ms over the runs; a query shared by several tests counts on the first):")
            per_test: dict[str, list[float]] = {}
            for r in runs:
                for t in r["tests"]:
                    per_test.setdefault(t["id"], []).append(t["ms"])
            for t in last["tests"]:
                how = f"  [{t['how']}]" if t["how"] else ""
                print(f"  {statistics.median(per_test[t['id']]):9.1f} ms  {t['status']:<7} {t['id']}{how}")
            print("slowest DuckDB calls of the last run:")
            for secs, what in sorted(last["log"], reverse=True)[:15]:
                print(f"  {secs * 1000:9.1f} ms  {what[:150]}")
        v = last["validation"]
        print(f"result_rows: {last['rows']:,}; validation: {v.get('passed')}/{v.get('total_tests')} tests passed")
        for step in last["steps"]:
            print(f"step_{step}_ms: {statistics.median(r['steps'][step] for r in runs):.1f}")
        print(f"duckdb_ms: {med('duck_ms'):.1f} ({last['statements']} calls incl. connect and close)")
        print(f"overhead_ms: {med('overhead_ms'):.1f}")
        print(f"peak_rss_mb: {rss_pipeline:.0f} (pipeline warm-up run alone; {rss_process:.0f} at the end)")
        walls = ", ".join(f"{r['wall_ms']:.0f}" for r in runs)
        print(f"pipeline_total_ms: {med('wall_ms'):.1f} (runs: {walls})")
        hands = ", ".join(f"{h:.0f}" for h in hand)
        print(f"hand_written_ms: {statistics.median(hand):.1f} (runs: {hands})")
        print(f"ratio: {med('wall_ms') / statistics.median(hand):.2f}")
    finally:
        try:
            kept = args.keep is not None or args.warehouse is not None
            if kept and warehouse is not None and warehouse.is_file():
                cleanup(warehouse)  # a temporary warehouse goes with the temporary directory
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
