"""Plan and run DataMorph's own accuracy set: hand-written requests with reference SQL.

The requests (``bench/accuracy/requests.jsonl``) are written over warehouses the repo builds itself:
the demo warehouse (``datamorph.demo.warehouse``, scale 0.1) and a small clinic warehouse
(``bench/accuracy/warehouse.py``). Each request is planned in-process (``plan_request`` +
``compile_spec``) and its query run on the same copy; the rows are compared with the reference
SQL's: the same multiset of rows, column names and column order aside, numbers within a small
tolerance. A request marked ``"expect": "refuse"`` must be refused (a plan for it is WRONG).

One line per request (correct / refused / WRONG / error handled), then
``correct N/M, refused R, wrong W``. A measuring tool: it prints figures, never pass/fail.

    python bench/accuracy.py                  # every request except the held-out third
    python bench/accuracy.py --fold holdout   # only the summary of the held-out third
    python bench/accuracy.py --fold all
    python bench/accuracy.py --ids c01,d05    # just those (any fold)
    python bench/accuracy.py --prefix k       # only ids starting with k (with any fold, or --ids)
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import json
import sys
import tempfile
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "accuracy"
REF = dt.date(2026, 6, 30)
TOLERANCE = 1e-6


def in_holdout(request_id: str) -> bool:
    """A fixed third of the requests, chosen by the sha1 of the id."""
    return int(hashlib.sha1(request_id.encode()).hexdigest(), 16) % 3 == 0


def build_warehouses(root: Path) -> dict[str, Path]:
    from datamorph.demo.warehouse import build_demo_warehouse

    spec = importlib.util.spec_from_file_location("accuracy_warehouse", HERE / "warehouse.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    demo, clinic = root / "demo.duckdb", root / "clinic.duckdb"
    build_demo_warehouse(demo, scale=0.1, seed=7)
    mod.build_clinic_warehouse(clinic)
    return {"demo": demo, "clinic": clinic}


def _cell(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float, Decimal)):
        return round(float(v), 6)
    return str(v)


def _column_key(col: list[Any]) -> tuple[str, ...]:
    return tuple(sorted(repr(c) for c in col))


def same_rows(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> str | None:
    """None when ``got`` holds the same multiset of rows as ``want`` (column order aside), else why not."""
    if len(got) != len(want):
        return f"{len(got)} rows, expected {len(want)}"
    g = [tuple(_cell(c) for c in r) for r in got]
    w = [tuple(_cell(c) for c in r) for r in want]
    gw, ww = (len(g[0]) if g else 0), (len(w[0]) if w else 0)
    if g and gw != ww:
        wide = gw > ww and _contains(g, w)
        return f"{gw} columns, expected {ww}" + ("; the reference's rows are all there in some of them" if wide else "")
    if not g:
        return None
    # line the produced columns up with the reference's by their values (names and order aside)
    gcols = [[r[i] for r in g] for i in range(gw)]
    wcols = [[r[i] for r in w] for i in range(ww)]
    free = list(range(gw))
    order = []
    for wc in wcols:
        key = _column_key(wc)
        pick = next((i for i in free if _column_key(gcols[i]) == key), None)
        if pick is None:  # no exact match: take the first free column and let the tolerance decide
            pick = free[0]
        free.remove(pick)
        order.append(pick)
    g2 = Counter(tuple(r[i] for i in order) for r in g)
    w2 = Counter(w)
    if g2 == w2:
        return None
    # numbers within the tolerance: compare sorted rows pairwise
    for a, b in zip(sorted(g2.elements(), key=repr), sorted(w2.elements(), key=repr), strict=True):
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if abs(x - y) > TOLERANCE * max(1.0, abs(y)):
                    return f"value {x} vs {y}"
            elif x != y:
                return f"row {a} vs expected {b}"
    return None


def _contains(got: list[tuple[Any, ...]], want: list[tuple[Any, ...]]) -> bool:
    """Whether some of ``got``'s columns hold exactly ``want``'s rows (a result with extra columns)."""
    gcols = [_column_key([r[i] for r in got]) for i in range(len(got[0]))]
    picks = []
    for k in range(len(want[0])):
        key = _column_key([r[k] for r in want])
        pick = next((i for i, c in enumerate(gcols) if c == key and i not in picks), None)
        if pick is None:
            return False
        picks.append(pick)
    return Counter(tuple(r[i] for i in picks) for r in got) == Counter(want)


def judge(request: dict[str, Any], engine: Any, catalog: Any) -> tuple[str, str]:
    """(verdict, detail) for one request: correct / refused / WRONG / error handled."""
    from datamorph.compiler import compile_spec
    from datamorph.errors import DataMorphError, PlanError
    from datamorph.planner import plan_request

    try:
        spec = plan_request(request["prompt"], engine, catalog=catalog, target="result", reference_date=REF)
        sql = compile_spec(spec, catalog).sql("duckdb", pretty=False)
    except PlanError as e:  # PlanAmbiguous is a PlanError
        verdict = "correct" if request.get("expect") == "refuse" else "refused"
        return verdict, f"{type(e).__name__}: {e.message}"[:200]
    except DataMorphError as e:
        return "error handled", f"{type(e).__name__}: {e.message}"[:200]
    if request.get("expect") == "refuse":
        return "WRONG", f"planned instead of refusing: {sql[:200]}"
    try:
        got = _run(engine, sql)
    except Exception as e:  # noqa: BLE001 - a plan that does not run is reported, not raised
        return "error handled", f"the plan does not run: {e}"[:200]
    why = same_rows(got, _run(engine, request["sql"]))
    return ("correct", sql[:200]) if why is None else ("WRONG", f"{why}; plan: {sql[:300]}")


def _run(engine: Any, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in engine.fetch(sql).rows]


def run(requests: list[dict[str, Any]], *, quiet: bool = False) -> Counter[str]:
    from datamorph.engines import connect

    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory(prefix="dm-accuracy-") as tmp:
        paths = build_warehouses(Path(tmp))
        for name, path in paths.items():
            todo = [r for r in requests if r["warehouse"] == name]
            if not todo:
                continue
            engine = connect(str(path))
            try:
                catalog = engine.catalog()
                for r in todo:
                    verdict, detail = judge(r, engine, catalog)
                    counts[verdict] += 1
                    if not quiet:
                        print(f"{r['id']:5} {verdict:13} {r['prompt']!r}  -- {detail}")
            finally:
                engine.close()
    return counts


def summary(counts: Counter[str]) -> str:
    total = sum(counts.values())
    line = f"correct {counts['correct']}/{total}, refused {counts['refused']}, wrong {counts['WRONG']}"
    return line + (f", error handled {counts['error handled']}" if counts["error handled"] else "")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", default=str(HERE / "requests.jsonl"))
    ap.add_argument("--fold", choices=["dev", "holdout", "all"], default="dev")
    ap.add_argument("--ids", default=None, help="comma-separated ids to run (any fold)")
    ap.add_argument("--prefix", default=None, help="keep only the requests whose id starts with this (any fold)")
    a = ap.parse_args(argv)
    requests = [json.loads(line) for line in Path(a.requests).read_text().splitlines() if line.strip()]
    if a.ids:
        wanted = set(a.ids.split(","))
        requests = [r for r in requests if r["id"] in wanted]
    elif a.fold == "dev":
        requests = [r for r in requests if not in_holdout(r["id"])]
    elif a.fold == "holdout":
        requests = [r for r in requests if in_holdout(r["id"])]
    if a.prefix:
        requests = [r for r in requests if r["id"].startswith(a.prefix)]
    counts = run(requests, quiet=a.fold == "holdout")
    print(summary(counts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
