"""Planner latency: median planning time per prompt.

    python bench/perf_planner.py [--warehouse PATH] [--prompts FILE | --tasks TASKS.jsonl] [--repeat N]

Without ``--warehouse`` it builds the demo warehouse (scale 1) in a temp folder and
plans DataMorph's own prompts (``bench/prompts.txt``). ``--tasks`` reads the prompts
of a JSONL task file (one object with a ``prompt`` a line), e.g. an external accuracy
benchmark, with ``--warehouse`` pointing at its warehouse.

The catalog and the value index are built once (as a long-running process would);
each prompt is then planned ``--repeat`` times and its median kept. A prompt the
planner refuses (PlanError) counts too: refusing is part of planning. Prints one
line per prompt, then ``median_ms: X.X`` (the median over the prompts).

Then it plans generated long and repetitive requests of up to 4,000 characters
(:func:`stress_prompts`: runs of spaces, a word, a phrase, punctuation or the schema's
names repeated, a prompt repeated, random words), once each, and prints ``max_ms: X.X``,
the slowest of all (benchmark prompts and generated ones) and which it was. The one-time load of
the word lists on the first plan of a process is timed apart (``warmup_ms``), before the others.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

STRESS_LENGTHS = (1000, 2000, 4000)
_PLANNER_WORDS = ["for each", "of the", "per", "by", "and", "not", "top 10", "with", "the", "a", "is", "sum of",
                  "average", "where", "between 1 and", "over 1,000", "in", "without", "each", "latest", "rank",
                  "called x", "as", "from", "then", "only"]  # fmt: skip
_PUNCTUATION = [", ", ",", ".", "(", ")", "'", '"', "-", " - ", ":", ";", "%", "$", "1,000 ", "1", "a", "a_", "a."]


def stress_prompts(catalog: object, prompts: list[str], length: int, seed: int = 7) -> dict[str, str]:
    """Long and repetitive requests of ``length`` characters over ``catalog``'s names (name -> request)."""
    tables = list(catalog.table_names())  # type: ignore[attr-defined]
    cols = sorted({c.name for t in catalog.tables.values() for c in t.columns})  # type: ignore[attr-defined]
    lead = f"count of {tables[0]} per {cols[0]} "

    def rep(unit: str, prefix: str = lead, suffix: str = " x") -> str:
        n = max(1, (length - len(prefix) - len(suffix)) // max(1, len(unit)))
        return (prefix + unit * n + suffix)[:length]

    out = {"spaces": rep(" "), "spaces-in-quotes": rep(" ", prefix=lead + "where status is '", suffix="'"),
           "newlines": rep(" \t\n"), "table": rep(tables[0] + " "), "tables": rep(" ".join(tables) + " "),
           "columns": rep(" ".join(cols) + " "), "columns-comma": rep(", ".join(cols) + ", "),
           "columns-and": rep(" and ".join(cols) + " and "), "conditions": rep(f"{cols[0]} > 1 and ")}  # fmt: skip
    out.update({f"word:{w}": rep(w + " ") for w in _PLANNER_WORDS})
    out.update({f"punct:{u.strip() or 'space'}": rep(u) for u in _PUNCTUATION})
    if prompts:
        out["prompt-repeated"] = rep(max(prompts, key=len) + " ", prefix="")
    rnd = random.Random(seed)
    vocab = tables + cols + [w for p in prompts for w in p.split()] + _PLANNER_WORDS
    out["random-words"] = " ".join(rnd.choice(vocab) for _ in range(length))[:length]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", help="DuckDB warehouse (default: build the demo warehouse)")
    ap.add_argument("--prompts", default=str(Path(__file__).with_name("prompts.txt")))
    ap.add_argument("--tasks", help="JSONL file whose lines have a 'prompt'")
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args(argv)

    from datamorph.engines import connect
    from datamorph.errors import DataMorphError
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    if a.tasks:
        prompts = [json.loads(ln)["prompt"] for ln in Path(a.tasks).read_text().splitlines() if ln.strip()]
    else:
        prompts = [ln.strip() for ln in Path(a.prompts).read_text().splitlines()
                   if ln.strip() and not ln.startswith("#")]  # fmt: skip
    tmp = None
    warehouse = a.warehouse
    if warehouse is None:
        from datamorph.demo.warehouse import build_demo_warehouse

        tmp = tempfile.TemporaryDirectory()
        warehouse = str(Path(tmp.name) / "demo.duckdb")
        build_demo_warehouse(warehouse, scale=1)
    with connect(warehouse, read_only=True) as engine:
        t0 = time.perf_counter()
        catalog = engine.catalog()
        values = ValueIndex.build(engine, catalog)
        linker = SchemaLinker(catalog, values)
        setup_ms = (time.perf_counter() - t0) * 1000
    print(f"setup_ms: {setup_ms:.1f} (catalog + value index, once)")
    t0 = time.perf_counter()
    try:  # the English word list and the lemma tables load on the first plan of a process
        plan("count of rows", catalog, linker)
    except DataMorphError:
        pass
    print(f"warmup_ms: {(time.perf_counter() - t0) * 1000:.1f} (word lists and lemma tables, once per process)")
    medians = []
    worst = (0.0, "")
    for p in prompts:
        times, outcome = [], "planned"
        for _ in range(max(1, a.repeat)):
            t1 = time.perf_counter()
            try:
                plan(p, catalog, linker)
            except DataMorphError as e:
                outcome = f"refused: {e.error_type}"
            times.append((time.perf_counter() - t1) * 1000)
        med = statistics.median(times)
        medians.append(med)
        worst = max(worst, (max(times), p[:60]))
        print(f"{med:8.2f} ms  {outcome:<24} {p[:70]}")
    print(f"prompts: {len(prompts)}")
    print(f"median_ms: {statistics.median(medians):.1f}")
    generated = 0
    for length in STRESS_LENGTHS:
        for name, p in stress_prompts(catalog, prompts, length).items():
            t1 = time.perf_counter()
            try:
                plan(p, catalog, linker)
            except DataMorphError:
                pass
            ms = (time.perf_counter() - t1) * 1000
            generated += 1
            worst = max(worst, (ms, f"generated {name}, {len(p)} chars"))
    if tmp is not None:
        tmp.cleanup()
    print(f"generated prompts: {generated} (up to {max(STRESS_LENGTHS)} characters)")
    print(f"max_ms: {worst[0]:.1f} ({worst[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
