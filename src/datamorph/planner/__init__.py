"""Planners: a request in plain English → an ETL spec.

The default is the offline rule-based planner (``rules.py``) grounded in the
warehouse catalog through schema linking (``linking.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datamorph.catalog import Catalog
    from datamorph.engines.base import Engine
    from datamorph.spec import ETLSpec

MAX_REQUEST_CHARS = 4000
"""Longest request the planner reads; a data request is a few sentences, and the cost grows faster than
the length on pathological text."""


def plan_request(
    prompt: str,
    engine: Engine,
    *,
    catalog: Catalog | None = None,
    target: str | None = None,
    reference_date: dt.date | None = None,
) -> ETLSpec:
    """Plan ``prompt`` against the warehouse behind ``engine`` (catalog and data values).

    A phrase with several reasonable readings is run each way (:mod:`datamorph.planner.ambiguity`):
    readings that agree keep the default (noted in ``transformations``), readings that disagree raise
    :class:`~datamorph.errors.PlanAmbiguous`.
    """
    if len(prompt) > MAX_REQUEST_CHARS:
        from datamorph.errors import PlanError

        raise PlanError(f"the request is {len(prompt):,} characters long; DataMorph plans requests of up to "
                        f"{MAX_REQUEST_CHARS:,} characters", hint="shorten it, or split it into several runs")  # fmt: skip
    from datamorph.compiler import compile_spec
    from datamorph.drift import read_columns
    from datamorph.errors import DataMorphError, PlanError
    from datamorph.planner.ambiguity import Doubt, check
    from datamorph.planner.linking import SchemaLinker, ValueIndex
    from datamorph.planner.rules import plan

    catalog = catalog or engine.catalog()
    linker = SchemaLinker(catalog, ValueIndex.build(engine, catalog))
    doubts: list[Doubt] = []
    spec = plan(prompt, catalog, linker, target=target, reference_date=reference_date, doubts=doubts)
    try:
        compiled = compile_spec(spec, catalog)  # a plan is a spec that compiles, or a PlanError
    except DataMorphError as e:
        raise PlanError(f"the request does not make a valid spec: {e.message}", hint=e.hint) from None
    spec = check(spec, doubts, engine, catalog)  # readings that disagree on the warehouse: PlanAmbiguous
    # the source columns it reads, so that a run of this spec later can tell they changed
    return spec.model_copy(update={"source_schemas": read_columns(compiled)})


__all__ = ["MAX_REQUEST_CHARS", "plan_request"]
