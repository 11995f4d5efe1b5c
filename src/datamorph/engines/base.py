"""The small protocol every warehouse engine implements.

An engine runs SQL that the compiler produced, reads its catalog, and
implements write–audit–publish: ``stage`` materialises a result in a staging
schema, validation reads it there, ``publish`` swaps it into the target in one
transaction (keeping the previous version in a history schema), ``rollback``
restores the previous version. Source tables are never written.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from datamorph.catalog import Catalog, ColumnInfo, TableInfo
from datamorph.errors import ExecutionError, TableNotFound, TargetConflict, suggestion

STAGING_SCHEMA = "datamorph_staging"
HISTORY_SCHEMA = "datamorph_history"
INTERNAL_SCHEMAS = frozenset({STAGING_SCHEMA, HISTORY_SCHEMA})
VERSIONS_TABLE = "versions"  # in HISTORY_SCHEMA: one row per archived version of a target
ROLLBACK_RUN_ID = "rollback"  # the run id recorded for a version that a rollback archived
MANAGED_MARK = "datamorph:"  # table comment prefix on every table publish or rollback wrote


def query_timeout(sql: str, seconds: float) -> ExecutionError:
    """The error :meth:`Engine.fetch` raises when a query ran past its ``timeout_s``."""
    return ExecutionError(
        f"query stopped after {seconds:g} s: it ran longer than its time limit",
        hint="narrow the query (more filters, fewer rows or joins) or allow it more time",
        sql=sql,
        timed_out=True,
        timeout_s=seconds,
    )


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass
class PublishResult:
    target: str
    rows: int
    previous_version: str | None  # history table holding the replaced target, if there was one


@dataclass
class VersionInfo:
    table: str  # qualified history table name
    run_id: str
    created_at: str
    rows: int | None = None


@dataclass
class RollbackResult:
    target: str
    restored_from: str  # history table that became the target again
    replaced_version: str | None  # history table now holding what was the target
    extra: dict[str, Any] = field(default_factory=dict)


class Engine(ABC):
    """Base of every engine. One instance holds one open connection."""

    name: ClassVar[str]
    dialect: ClassVar[str]  # SQLGlot dialect name
    SUPPORTS_TRANSACTIONS: ClassVar[bool] = True

    # -- reading ------------------------------------------------------------
    @abstractmethod
    def catalog(
        self, tables: Iterable[str] | None = None, *, row_counts: bool = True, exact: bool = False
    ) -> Catalog:
        """Tables and views of the user's schema (never staging/history), with columns, keys, counts.

        ``exact`` asks for exact row counts where an engine would otherwise report an estimate.
        """

    @abstractmethod
    def fetch(
        self,
        sql: str,
        params: list[Any] | None = None,
        *,
        max_rows: int | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        """Run a read query and return its rows (at most ``max_rows``, ``truncated`` set if cut).

        ``timeout_s`` stops the query after that many seconds with an :class:`ExecutionError`
        whose context has ``timed_out=True``; the engine stays usable.
        """

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        res = self.fetch(sql, params, max_rows=1)
        return res.rows[0][0] if res.rows else None

    def read_arrow(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        where_in: tuple[str, Sequence[Any]] | None = None,
    ) -> Any:
        """The rows of ``table`` as a ``pyarrow.Table`` (the differential check reads sources this way).

        ``columns`` limits the columns read; ``where_in=(column, values)`` keeps only the rows whose
        ``column`` is one of ``values`` (NULL never is). Engines that cannot return Arrow keep this default.
        """
        raise NotImplementedError(f"the {self.name} engine cannot read tables as Arrow")

    def text_collations(self, table: str) -> dict[str, str]:
        """``{column: collation}`` of the text columns of ``table`` that compare other than byte by byte.

        The differential check cannot reproduce a collation (``'A' = 'a'``), so it needs to know.
        """
        raise NotImplementedError(f"the {self.name} engine cannot list collations")

    @abstractmethod
    def sample(self, table: str, limit: int = 10) -> QueryResult:
        """Random sample rows of a table."""

    @abstractmethod
    def table_columns(self, qualified_table: str) -> list[ColumnInfo]:
        """Columns of any table, staging tables included (``schema.table``)."""

    # -- writing ------------------------------------------------------------
    @abstractmethod
    def stage(self, select_sql: str, target: str, run_id: str) -> str:
        """Materialise ``select_sql`` as a fresh staging table; return its qualified name."""

    @abstractmethod
    def drop_staged(self, staged: str) -> None:
        """Drop a staging table (no error if it is gone)."""

    @abstractmethod
    def publish(self, staged: str, target: str, run_id: str) -> PublishResult:
        """In one transaction: keep the current target in history, make the staged table the target."""

    @abstractmethod
    def rollback(self, target: str) -> RollbackResult:
        """Make the latest history version of ``target`` the target again (the current one goes to history).

        Raises:
            TableNotFound: ``target`` is neither a table nor has history (:meth:`unknown_target`).
            TargetConflict: ``target`` is a table DataMorph did not publish (:meth:`unmanaged_target`),
                or its name is not a valid target (:func:`datamorph.names.check_target`).
            RollbackError: it has no earlier version, or is a view.
        """

    def unknown_target(self, target: str) -> TableNotFound:
        """The error for a target that is neither a table nor has history (rollback), with did-you-mean."""
        names = self.catalog(row_counts=False).table_names()
        return TableNotFound(f"unknown table '{target}'", target=target,
                             hint=suggestion(target, names) or "`datamorph tables` lists the tables")  # fmt: skip

    @staticmethod
    def unmanaged_target(target: str) -> TargetConflict:
        """The error for replacing a table DataMorph did not create (the rule ``run`` follows, see is_managed)."""
        return TargetConflict(f"table '{target}' was not created by DataMorph; rollback never replaces a table "
                              "it did not create", target=target,
                              hint="rename or drop that table first to get DataMorph's earlier version back")  # fmt: skip

    @abstractmethod
    def history(self, target: str) -> list[VersionInfo]:
        """History versions of ``target``, newest first."""

    @abstractmethod
    def is_managed(self, target: str) -> bool:
        """Whether ``target`` is a table DataMorph published (so a later run may replace it)."""

    @abstractmethod
    def register_file(self, name: str, path: str, *, persist: bool = False) -> TableInfo:
        """Expose a CSV or Parquet file (or a folder of them) as a source table called ``name``."""

    @contextmanager
    def target_lock(self, target: str) -> Iterator[None]:
        """Hold an exclusive lock on ``target`` for the duration (engines that need one override this)."""
        yield

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
