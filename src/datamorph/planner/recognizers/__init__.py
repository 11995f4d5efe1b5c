"""Recognizers: each module understands one kind of clause and returns claims.

The order they run in, and the driver that applies their claims, are in
:mod:`datamorph.planner.rules` (``RULES``).
"""
