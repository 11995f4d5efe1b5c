"""The sample warehouse and the example request."""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datamorph.spec import ETLSpec

EXAMPLE_PROMPT = (
    "Join customers and orders on customer_id, calculate total order amount per customer, "
    "filter customers with total > 1000"
)


def example_spec() -> ETLSpec:
    """The example request as a spec (shipped with the package)."""
    from datamorph.spec import load_spec

    text = resources.files("datamorph.demo").joinpath("example_spec.json").read_text(encoding="utf-8")
    return load_spec(json.loads(text))
