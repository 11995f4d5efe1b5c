"""ordering recognizer (in progress)."""

from __future__ import annotations


def recognize(d: object) -> None:
    return None
