"""windows recognizer (in progress)."""

from __future__ import annotations

from datamorph.planner.draft import Draft


def recognize(d: Draft) -> None:
    """Not yet implemented."""
    return None
