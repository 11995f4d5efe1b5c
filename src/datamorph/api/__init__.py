"""The HTTP API (FastAPI): the original system's endpoints and a REST API. Needs the ``api`` extra."""

from __future__ import annotations

from typing import Any


def create_app(settings: Any) -> Any:
    """See :func:`datamorph.api.app.create_app`."""
    from datamorph.api.app import create_app as _create

    return _create(settings)
