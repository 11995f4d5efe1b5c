"""Small text helpers every engine needs: qualified names and one-line driver messages."""

from __future__ import annotations

from sqlglot import exp


def one_line(text: str) -> str:
    """A driver's message on one line, without the ``LINE 1: ... ^^^`` pointer that follows it."""
    lines: list[str] = []
    for line in str(text).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines)


def split_qualified(text: str, dialect: str) -> tuple[str | None, str]:
    """``schema.name`` → (schema, name); quoted identifiers are parsed as SQL, other text split on the first dot."""
    text = text.strip()
    if '"' in text:
        try:
            node = exp.to_table(text, dialect=dialect)
        except Exception:  # fall back to plain splitting
            node = None
        if node is not None and node.name:
            return (node.db or None), node.name
    if "." in text:
        schema, name = text.split(".", 1)
        return schema, name
    return None, text
