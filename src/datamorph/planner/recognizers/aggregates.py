"""Aggregations, grouping, having, zero-row preservation and ratios."""

from __future__ import annotations

from datamorph.planner.draft import Draft


def recognize(d: Draft) -> None:
    """Placeholder; filled in shortly."""
    return None
