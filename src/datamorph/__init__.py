"""DataMorph: turn a data request into a validated table in your warehouse.

The public API is re-exported here; importing this package stays cheap
(engines and SQL libraries load when first used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "DataMorphError",
    "ETLSpec",
    "Orchestrator",
    "RunRequest",
    "Settings",
    "__version__",
    "compile_spec",
    "connect",
    "load_spec",
]

_LAZY = {
    "DataMorphError": "datamorph.errors",
    "ETLSpec": "datamorph.spec",
    "load_spec": "datamorph.spec",
    "Orchestrator": "datamorph.orchestrator",
    "RunRequest": "datamorph.orchestrator",
    "Settings": "datamorph.config",
    "compile_spec": "datamorph.compiler",
    "connect": "datamorph.engines",
}

if TYPE_CHECKING:
    from datamorph.compiler import compile_spec
    from datamorph.config import Settings
    from datamorph.engines import connect
    from datamorph.errors import DataMorphError
    from datamorph.orchestrator import Orchestrator, RunRequest
    from datamorph.spec import ETLSpec, load_spec


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'datamorph' has no attribute {name!r}")
