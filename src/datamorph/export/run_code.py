"""What an export starts from: a run's newest spec, the catalog of its sources, the compiled query.

A run keeps the catalog entries of its sources as the ``sources.json`` artifact (written when it
compiles; :func:`sources_snapshot`), so exporting it compiles the spec against the tables exactly
as the run saw them, without the warehouse. A run that predates that artifact is compiled against
the warehouse it recorded (or ``warehouse``), read-only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from datamorph.artifacts import ArtifactStore
from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.compiler import CompiledSpec, compile_spec
from datamorph.errors import ArtifactError
from datamorph.spec import ETLSpec, load_spec
from datamorph.store import RunStore

SOURCES_ARTIFACT = "sources.json"


@dataclass
class RunCode:
    """A run's spec compiled again, with what an export says about where it came from."""

    run_id: str
    status: str  # of the run: completed, failed, ...
    version: int  # of the spec (1 as planned or loaded, one more per repair)
    spec: ETLSpec
    catalog: Catalog
    compiled: CompiledSpec

    @property
    def target(self) -> str:
        return self.spec.target_table.name

    @property
    def sources(self) -> list[TableInfo]:
        """The spec's source tables, in the order the spec names them."""
        return [self.catalog.table(n) for n in self.spec.source_table_names()]

    def header(self, what: str) -> str:
        """One line saying what generated a file and from which run."""
        note = "" if self.status in ("completed", "running") else f"; the run {self.status}: this code was NOT validated"
        return (f"DataMorph run {self.run_id} (spec v{self.version}): {self.target} from "
                f"{', '.join(t.name for t in self.sources)} — {what}, generated{note}")  # fmt: skip


def sources_snapshot(spec: ETLSpec, catalog: Catalog) -> str:
    """The catalog entries of ``spec``'s sources as JSON (the ``sources.json`` artifact)."""
    tables = []
    for name in spec.source_table_names():
        t = catalog.table(name)
        d = t.to_dict()
        d.update(schema=t.schema, source=t.source)
        tables.append(d)
    return json.dumps({"dialect": catalog.dialect, "tables": tables}, indent=2)


def catalog_from_snapshot(text: str) -> Catalog:
    """The :class:`Catalog` a ``sources.json`` artifact describes."""
    data: dict[str, Any] = json.loads(text)
    tables = [
        TableInfo(
            name=t["table"], schema=t.get("schema") or "main", kind=t.get("kind") or "table",
            columns=[ColumnInfo(c["name"], c["type"], bool(c.get("nullable", True))) for c in t["columns"]],
            primary_key=list(t.get("primary_key") or []), row_count=t.get("rows"), source=t.get("source"),
            foreign_keys=[ForeignKey(tuple(f["columns"]), f["ref_table"], tuple(f["ref_columns"]),
                                     bool(f.get("inferred"))) for f in t.get("foreign_keys") or []],
        )
        for t in data["tables"]
    ]  # fmt: skip
    return Catalog({t.name.lower(): t for t in tables}, data.get("dialect") or "duckdb")


def load_run_code(store: RunStore, artifacts: ArtifactStore, run_id: str, *, warehouse: str | None = None) -> RunCode:
    """The newest spec of run ``run_id``, compiled against its sources.

    Raises:
        RunNotFound: no such run.
        ArtifactError: the run saved no spec (it stopped while planning).
        WarehouseNotFound, CompileError: a run without ``sources.json`` whose warehouse cannot be
            opened, or whose spec no longer compiles against it.
    """
    from datamorph.recovery import saved_spec_version
    from datamorph.remediation.loop import versioned

    run = store.get_run(run_id)
    names = artifacts.list(run_id)
    version = saved_spec_version(names)
    if version == 0:
        raise ArtifactError(f"run {run_id} saved no spec: there is nothing to export",
                            hint="export a run that got past planning (see `datamorph show RUN_ID`)",
                            run_id=run_id)  # fmt: skip
    spec = load_spec(json.loads(artifacts.get_text(run_id, versioned("spec.json", version))))
    snapshot = next((n for v in range(version, 0, -1) if (n := versioned(SOURCES_ARTIFACT, v)) in names), None)
    if snapshot is not None:
        catalog = catalog_from_snapshot(artifacts.get_text(run_id, snapshot))
    else:
        catalog = _warehouse_catalog(warehouse or run.get("warehouse"), run_id)
    return RunCode(run_id, str(run["status"]), version, spec, catalog, compile_spec(spec, catalog))


def _warehouse_catalog(warehouse: str | None, run_id: str) -> Catalog:
    from datamorph.engines import connect
    from datamorph.errors import ConfigError

    if not warehouse:
        raise ConfigError(f"run {run_id} has no {SOURCES_ARTIFACT} and recorded no warehouse",
                          hint="pass --warehouse to read its sources' schemas from there")  # fmt: skip
    with connect(warehouse, read_only=True) as engine:
        return engine.catalog()
