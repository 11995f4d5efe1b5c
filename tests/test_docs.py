"""The README documents every CLI command and every setting, and opens with the two commands."""

from __future__ import annotations

from pathlib import Path

from datamorph.cli import app
from datamorph.config import setting_docs

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_opens_with_make_demo_and_make_test() -> None:
    head = "\n".join(README.splitlines()[:15])
    assert "make demo" in head and "make test" in head


def test_every_cli_command_is_documented() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert len(names) >= 10
    for name in names:
        assert f"datamorph {name}" in README, f"README does not document `datamorph {name}`"


def test_every_setting_is_documented() -> None:
    for var in setting_docs():
        assert var in README, f"README does not document {var}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "make test" in ci


def test_ci_runs_the_linters_then_the_tests() -> None:
    root = Path(__file__).parent.parent
    ci = (root / ".ci" / "run").read_text()
    assert "make lint" in ci and ci.index("make lint") < ci.index("make test")
    recipe = (root / "Makefile").read_text().split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "ruff check" in recipe and "mypy" in recipe, recipe
