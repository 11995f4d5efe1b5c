"""``datamorph load`` and ``register``: CSV/Parquet files into warehouse tables, on any engine."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from datamorph.engines.base import Engine, LoadResult
from datamorph.engines.files import CsvOptions


@contextmanager
def open_for_loading(warehouse: str, *, lock_timeout: float = 30.0) -> Iterator[Engine]:
    """The warehouse to load files into, created when it is a DuckDB path that does not exist yet.

    ``engine.created`` tells whether it was created here. A warehouse created here is removed again
    when the load fails, so a failed first load leaves nothing behind; an existing file is never
    created over, removed or rewritten (:class:`DuckDBEngine` refuses files that are not DuckDB).
    """
    from datamorph.engines import connect

    engine = connect(warehouse, create=True, lock_timeout=lock_timeout)
    created = bool(getattr(engine, "created", False))
    try:
        yield engine
    except BaseException:
        engine.close()
        if created:
            engine.remove_created()
        raise
    engine.close()


def load_path(engine: Engine, path: str, table: str | None = None, *, replace: bool = False,
              options: CsvOptions | None = None) -> list[LoadResult]:  # fmt: skip
    """``engine.load(...)``: see :meth:`Engine.load`."""
    return engine.load(path, table, replace=replace, options=options)
