"""The accuracy tool (bench/accuracy.py) itself: it tells a right plan from a wrong one (no accuracy threshold)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "accuracy.py"


@pytest.fixture(scope="module")
def accuracy() -> ModuleType:
    spec = importlib.util.spec_from_file_location("accuracy_bench", BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["accuracy_bench"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_five_requests_are_classified(accuracy: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reqs = [
        {"id": "t1", "warehouse": "clinic", "prompt": "clinics in Leeds", "sql": "select * from clinics where city = 'Leeds'"},
        # a deliberately wrong reference: the tool must call the (right) plan WRONG
        {"id": "t2", "warehouse": "clinic", "prompt": "cardiology doctors",
         "sql": "select * from doctors where specialty = 'Neurology'"},
        {"id": "t3", "warehouse": "clinic", "prompt": "delete all missed appointments", "expect": "refuse"},
        # a request that must be refused but is plannable: a plan is WRONG
        {"id": "t4", "warehouse": "demo", "prompt": "cancelled orders", "expect": "refuse"},
        {"id": "t5", "warehouse": "demo", "prompt": "average order amount", "sql": "select avg(amount) from orders"},
    ]  # fmt: skip
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reqs))
    assert accuracy.main(["--requests", str(path), "--fold", "all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    verdicts = {ln.split()[0]: ln.split()[1] for ln in lines[:-1]}
    assert verdicts == {"t1": "correct", "t2": "WRONG", "t3": "correct", "t4": "WRONG", "t5": "correct"}
    assert lines[-1] == "correct 3/5, refused 0, wrong 2"


def test_rows_compare_as_a_multiset_with_column_order_and_small_differences_aside(accuracy: ModuleType) -> None:
    same = accuracy.same_rows
    assert same([(1, "a"), (2, "b")], [("b", 2), ("a", 1)]) is None
    assert same([(1, 0.30000000000000004)], [(1, 0.3)]) is None
    assert same([(1, "a"), (1, "a")], [(1, "a")]) is not None  # a multiset: duplicates count
    assert same([(1, "a")], [(1, "b")]) is not None
    assert same([(1, 2.5)], [(1, 2.6)]) is not None
    assert "columns" in same([(1, "a", "x")], [(1, "a")])


def test_the_holdout_fold_is_a_fixed_third(accuracy: ModuleType) -> None:
    ids = [json.loads(line)["id"] for line in (BENCH.parent / "accuracy" / "requests.jsonl").read_text().splitlines()]
    held = [i for i in ids if accuracy.in_holdout(i)]
    assert 0.2 * len(ids) < len(held) < 0.45 * len(ids)
    assert held == [i for i in ids if accuracy.in_holdout(i)]  # by the id alone


@pytest.mark.parametrize("fold", ["dev", "holdout", "all"])
def test_prefix_keeps_only_the_ids_starting_with_it_in_every_fold(
    accuracy: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fold: str
) -> None:
    ids = [f"{p}{n:02d}" for p in ("k", "c") for n in range(1, 13)]
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps({"id": i, "warehouse": "clinic", "prompt": "p", "sql": "select 1"}) + "\n" for i in ids))
    seen: list[list[str]] = []

    def fake_run(requests: list[dict[str, str]], *, quiet: bool = False) -> object:
        seen.append([r["id"] for r in requests])
        return accuracy.Counter(correct=len(requests))

    monkeypatch.setattr(accuracy, "run", fake_run)
    assert accuracy.main(["--requests", str(path), "--fold", fold, "--prefix", "k"]) == 0
    in_fold = {"dev": lambda i: not accuracy.in_holdout(i), "holdout": accuracy.in_holdout, "all": lambda i: True}[fold]
    want = [i for i in ids if i.startswith("k") and in_fold(i)]
    assert want and seen == [want]
    assert accuracy.main(["--requests", str(path), "--ids", "k01,c01", "--prefix", "c"]) == 0
    assert seen[-1] == ["c01"]
