"""Find planner regexes whose matching time grows faster than the text: a backtracking audit.

    python bench/scan_patterns.py [--warehouse PATH] [--tasks TASKS.jsonl] [--size 1000]

Every pattern the planner compiles (at import, and while planning the benchmark prompts, so
patterns built from schema names are included) is run with ``search``, ``match``, ``fullmatch``
and ``finditer`` against adversarial texts of growing length: long runs of spaces, a word of the
pattern repeated (``"for for for ..."``), with commas, pairs of its words, punctuation runs, numbers.
A pattern whose time grows more than ``--ratio`` times when the text doubles, and takes more
than ``--min-ms`` at the largest size, is printed with where it was compiled and the text
that shows it. Exit status 1 when any pattern is flagged. Every pattern is tried with
``search`` at every position, so a pattern the planner only matches at one place (``match``,
``fullmatch``, or ``search(text, back(pos), pos)`` over a bounded window) may be flagged
without being slow in the planner; ``tests/test_planner_bounds.py`` counts the planner's steps.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

_seen: dict[tuple[Any, int], str] = {}
_orig_compile = re._compile  # type: ignore[attr-defined]


def _recording_compile(pattern: Any, flags: Any) -> Any:
    compiled = _orig_compile(pattern, flags)
    key = (compiled.pattern, compiled.flags)
    if key not in _seen and isinstance(compiled.pattern, str):
        f = sys._getframe(1)
        while f is not None and f.f_code.co_filename.endswith(("/re/__init__.py", "re.py")):
            f = f.f_back
        where = f"{f.f_code.co_filename.rsplit('/src/', 1)[-1]}:{f.f_lineno}" if f is not None else "?"
        _seen[key] = where
    return compiled


def _words(src: str) -> list[str]:
    src = re.sub(r"\\[A-Za-z]|\(\?P?<\w+>|\(\?[a-zA-Z]+\)", " ", src)
    out: list[str] = []
    for w in re.findall(r"[A-Za-z]{2,}", src):
        if w.lower() not in out:
            out.append(w.lower())
    return out[:12]


def texts(pattern: str, n: int) -> dict[str, str]:
    """Adversarial texts of about ``n`` characters for ``pattern``."""
    def rep(unit: str) -> str:
        return (unit * (n // max(1, len(unit)) + 1))[:n]

    fam = {
        "spaces": "a" + " " * n + "x",
        "spaces-comma": "a" + " " * (n // 2) + "," + " " * (n // 2) + "x",
        "a": rep("a "), "aa": rep("a"), "digits": rep("1"), "num": rep("1 "), "numc": rep("1,"),
        "commas": rep(", "), "dots": rep(". "), "dash": rep("- "), "quote": rep("'"), "dquote": rep('"'),
        "punct": rep(",;:"), "under": rep("a_"), "dot-ident": rep("a."), "pct": rep("1%"),
    }
    words = _words(pattern)
    for w in words:
        fam[f"w:{w}"] = rep(w + " ")
        fam[f"w,:{w}"] = rep(w + ", ")
        fam[f"w-:{w}"] = rep(w + "  ")
    for a, b in zip(words, words[1:], strict=False):
        fam[f"ab:{a} {b}"] = rep(f"{a} {b} ")
    if words:
        fam["all"] = rep(" ".join(words) + " ")
    return fam


def _cost(p: re.Pattern[str], text: str) -> float:
    t = time.perf_counter()
    p.search(text)
    p.match(text)
    p.fullmatch(text)
    for _ in p.finditer(text):
        pass
    if text.strip():  # where the text starts with a word and goes on
        p.search("x " + text + " x")
    return (time.perf_counter() - t) * 1000


def _min_cost(p: re.Pattern[str], text: str, repeat: int) -> float:
    return min(_cost(p, text) for _ in range(repeat))


def scan(size: int, ratio: float, min_ms: float, only: str, spaces: bool = False) -> list[str]:
    """Patterns whose time on a family of texts grows more than ``ratio`` times from ``size`` to 2 × ``size``."""
    flagged = []
    for (src, flags), where in sorted(_seen.items(), key=lambda kv: kv[1]):
        if only not in where:
            continue
        p = re.compile(src, flags)
        small, big = texts(src, size), texts(src, 2 * size)
        worst = ""
        for name in small:
            if not spaces and "  " in small[name]:
                continue  # the planner squeezes runs of spaces before any pattern reads the request
            c1 = _min_cost(p, small[name], 2)
            if c1 < min_ms / ratio:  # linear or not, too cheap to matter at this size
                continue
            if c1 > 100 * min_ms:  # far too slow already
                worst = f"{name!r}: {c1:.1f} ms at {size} chars"
                break
            c1, c2 = _min_cost(p, small[name], 3), _min_cost(p, big[name], 2)
            if c2 > min_ms and c2 / c1 > ratio:
                worst = f"{name!r}: {c1:.1f} -> {c2:.1f} ms from {size} to {2 * size} chars"
                break
        if worst:
            flagged.append(f"{where}\n    {src[:160]!r}\n    {worst}")
    return flagged


def _plan_all(prompts: list[str], warehouse: str | None) -> None:
    import tempfile

    from datamorph.engines import connect
    from datamorph.errors import DataMorphError
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    with tempfile.TemporaryDirectory() as tmp:
        if warehouse is None:
            from datamorph.demo.warehouse import build_demo_warehouse

            warehouse = str(Path(tmp) / "demo.duckdb")
            build_demo_warehouse(warehouse, scale=1)
        with connect(warehouse, read_only=True) as engine:
            catalog = engine.catalog()
            linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
        for p in prompts:
            try:
                plan(p, catalog, linker)
            except DataMorphError:
                pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", help="DuckDB warehouse whose schema names to plan against (default: the demo)")
    ap.add_argument("--tasks", help="JSONL file of prompts to plan first (collects patterns built at run time)")
    ap.add_argument("--size", type=int, default=1000, help="texts of this length and twice it")
    ap.add_argument("--only", default="datamorph/planner/", help="scan patterns compiled where the path contains this")
    ap.add_argument("--ratio", type=float, default=3.0, help="flag when doubling the text multiplies time by more")
    ap.add_argument("--min-ms", type=float, default=2.0)
    ap.add_argument("--spaces", action="store_true", help="also texts with runs of spaces (the planner squeezes them)")
    a = ap.parse_args(argv)

    re._compile = _recording_compile  # type: ignore[attr-defined]
    re.purge()
    import importlib
    import pkgutil

    import datamorph.planner as pkg
    import datamorph.planner.recognizers as recs

    for mod in [*pkgutil.iter_modules(pkg.__path__, "datamorph.planner."),
                *pkgutil.iter_modules(recs.__path__, "datamorph.planner.recognizers.")]:  # fmt: skip
        importlib.import_module(mod.name)
    prompts = []
    if a.tasks:
        prompts = [json.loads(ln)["prompt"] for ln in Path(a.tasks).read_text().splitlines() if ln.strip()]
    else:
        prompts = [ln.strip() for ln in Path(__file__).with_name("prompts.txt").read_text().splitlines()
                   if ln.strip() and not ln.startswith("#")]  # fmt: skip
    _plan_all(prompts, a.warehouse)
    re._compile = _orig_compile  # type: ignore[attr-defined]
    print(f"patterns: {len(_seen)}")
    flagged = scan(a.size, a.ratio, a.min_ms, a.only, a.spaces)
    for f in flagged:
        print(f)
    print(f"flagged: {len(flagged)}")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
