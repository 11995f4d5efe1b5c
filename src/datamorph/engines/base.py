"""The small protocol every warehouse engine implements.

An engine runs SQL that the compiler produced, reads its catalog, and
implements write–audit–publish: ``stage`` materialises a result in a staging
schema, validation reads it there, ``publish`` swaps it into the target in one
transaction (keeping the previous version in a history schema), ``rollback``
restores the previous version. Source tables are never written.

``Engine.publish`` and ``Engine.rollback`` are template methods: the order of the steps, the checks,
the history names (``target__vN``) and the results are here; each engine supplies the hooks (its
transaction, how a table is swapped in, how a history version is stored and restored).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from datamorph.catalog import Catalog, ColumnInfo, TableInfo
from datamorph.engines.names import split_qualified
from datamorph.errors import (
    CatalogError,
    ConcurrencyError,
    ConfigError,
    DataMorphError,
    ExecutionError,
    PublishError,
    RollbackError,
    TableNotFound,
    TargetConflict,
    suggestion,
)

if TYPE_CHECKING:
    from datamorph.engines.files import CsvOptions, LoadPlan

STAGING_SCHEMA = "datamorph_staging"
HISTORY_SCHEMA = "datamorph_history"
INTERNAL_SCHEMAS = frozenset({STAGING_SCHEMA, HISTORY_SCHEMA})
VERSIONS_TABLE = "versions"  # in HISTORY_SCHEMA: one row per archived version of a target
ROLLBACK_RUN_ID = "rollback"  # the run id recorded for a version that a rollback archived
MANAGED_MARK = "datamorph:"  # table comment prefix on every table publish or rollback wrote
STAGING_MARK = "datamorph-staging: run"  # table comment on a staging table where its name cannot hold the run id
_RUN_ID_IN_TEXT = re.compile(r"\d{8}_\d{6}_[0-9a-f]{6}")


def run_id_in(text: str | None) -> str | None:
    """The (last) run id inside a staging table's name or comment, or None."""
    found = _RUN_ID_IN_TEXT.findall(text or "")
    return found[-1] if found else None


def query_timeout(sql: str, seconds: float) -> ExecutionError:
    """The error :meth:`Engine.fetch` raises when a query ran past its ``timeout_s``."""
    return ExecutionError(
        f"query stopped after {seconds:g} s: it ran longer than its time limit",
        hint="narrow the query (more filters, fewer rows or joins) or allow it more time",
        sql=sql,
        timed_out=True,
        timeout_s=seconds,
    )


def result_too_large(sql: str, max_bytes: int, rows_read: int) -> ExecutionError:
    """The error :meth:`Engine.fetch` raises when the rows read pass its ``max_bytes``."""
    return ExecutionError(
        f"query result exceeds {size_text(max_bytes)}: stopped reading after {rows_read} "
        f"row{'' if rows_read == 1 else 's'}",
        hint="select fewer columns or rows, or allow larger results",
        sql=sql,
        too_large=True,
        max_bytes=max_bytes,
        rows_read=rows_read,
    )


class Locked(Exception):
    """Raised by an attempt that found a lock taken (see :func:`retry_while_locked`)."""


T = TypeVar("T")


def retry_while_locked(attempt: Callable[[], T], timeout: float,
                       locked: Callable[[BaseException], bool] = lambda e: isinstance(e, Locked)) -> T:  # fmt: skip
    """``attempt()``, tried again while it raises an exception ``locked`` accepts, for up to ``timeout``
    seconds (waits growing from 20 ms to 250 ms, by tenacity); then that exception is raised."""
    from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

    retrying = Retrying(retry=retry_if_exception(locked), stop=stop_after_delay(max(timeout, 0.0)),
                        wait=wait_exponential(multiplier=0.01, min=0.02, max=0.25), reraise=True)  # fmt: skip
    return retrying(attempt)


def size_text(n: int) -> str:
    """``10 MB``, ``2.5 MB``, ``4,096 bytes``."""
    return f"{n / 1e6:g} MB" if n >= 1_000_000 else f"{n:,} bytes"


def json_size(value: Any) -> int:
    """About how many bytes ``value`` takes in a JSON response (cheap; exact for ASCII text)."""
    if value is None or isinstance(value, (bool, int, float)):
        return 8
    if isinstance(value, str):
        return 2 + (len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass")))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return 2 + (len(value) * 4 + 2) // 3  # base64
    if isinstance(value, dict):
        return 2 + sum(json_size(k) + json_size(v) + 2 for k, v in value.items())
    if isinstance(value, (list, tuple, set)):
        return 2 + sum(json_size(v) + 1 for v in value)
    return 32  # dates, times, decimals, uuids: short text


READ_BATCH_ROWS = 100  # most rows read_limited asks a cursor for at once


def read_limited(
    fetchmany: Callable[[int], Sequence[Sequence[Any]]],
    columns: Sequence[str],
    sql: str,
    *,
    max_rows: int | None,
    max_bytes: int | None,
) -> tuple[list[tuple[Any, ...]], bool]:
    """Rows from a cursor's ``fetchmany`` in small batches: at most ``max_rows`` (and whether there were more).

    The batches grow from one row to at most ``READ_BATCH_ROWS`` and shrink to what the bytes seen so
    far leave room for, so the rows held pass ``max_bytes`` by at most one batch (usually one row)
    before :func:`result_too_large` is raised. Nothing is read past ``max_rows + 1`` rows.
    """
    per_row = sum(len(c) + 4 for c in columns)  # each row repeats the column names in JSON
    wanted = None if max_rows is None else max(max_rows, 0) + 1  # one more tells whether it was cut
    rows: list[tuple[Any, ...]] = []
    used = 0
    batch = 1
    while wanted is None or len(rows) < wanted:
        got = fetchmany(batch if wanted is None else min(batch, wanted - len(rows)))
        if not got:
            break
        for row in got:
            if max_rows is None or len(rows) < max_rows:  # the extra row is not returned: not counted
                used += per_row + sum(json_size(v) for v in row)
            rows.append(tuple(row))
        if max_bytes is not None and used > max_bytes:
            raise result_too_large(sql, max_bytes, len(rows))
        batch = min(batch * 4, READ_BATCH_ROWS)
        if max_bytes is not None and used:
            batch = max(1, min(batch, (max_bytes - used) * len(rows) // used))
    if max_rows is None:
        return rows, False
    return rows[:max_rows], len(rows) > max_rows


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
class LoadResult:
    table: str
    rows: int
    columns: list[tuple[str, str]]  # (name, the engine's type)


@dataclass
class VersionInfo:
    table: str  # qualified history table name
    run_id: str
    created_at: str
    rows: int | None = None


@dataclass
class StagingTable:
    table: str  # qualified name, as drop_staged takes it
    run_id: str | None  # the run that staged it, when its name or comment says


@dataclass
class Current:
    """The object now called like the target, as the publish and rollback skeleton sees it."""

    kind: str  # 'table', 'view', ...
    managed: bool  # it carries DataMorph's comment (MANAGED_MARK)
    handle: Any = None  # what the engine needs to move it (an oid and name, a catalog entry)


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
    path: str = ""  # the warehouse as shown in messages (a file, a folder, a URL without its password)
    read_only: bool = False

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
        max_bytes: int | None = None,
    ) -> QueryResult:
        """Run a read query and return its rows (at most ``max_rows``, ``truncated`` set if cut).

        ``timeout_s`` stops the query after that many seconds with an :class:`ExecutionError`
        whose context has ``timed_out=True``; the engine stays usable. ``max_bytes`` stops reading
        once the rows read take more (as JSON, see :func:`read_limited`): an :class:`ExecutionError`
        whose context has ``too_large=True``.
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

    # -- publish and rollback: the skeleton (engines fill in the hooks below) ---------------------
    def publish(self, staged: str, target: str, run_id: str) -> PublishResult:
        """In one transaction: keep the current target in history, make the staged table the target.

        The steps, in order: the target's kind is checked (before the transaction where
        :attr:`CHECK_IN_TRANSACTION` is false); inside :meth:`_switch_transaction` the staged table must
        exist, a current target must be a table (:meth:`_before_replace` may refuse it too), it goes to
        history (:meth:`_archive`), the staged table becomes the target (:meth:`_swap_in`), marked as
        published by ``run_id``; then the transaction commits.
        """
        from datamorph.testhook import pause

        tname, sname = self._target_name(target), self._staged_name(staged)
        self._require_writable(f"publish '{tname}'", PublishError)
        with self._writing():
            if not self.CHECK_IN_TRANSACTION:
                self._refuse_replacing(tname, self._target_kind(tname))
            with self._switching("publish", tname, sname, staged, run_id) as con:
                source = self._staged_table(con, sname)
                if source is None:
                    raise self.staged_missing(tname, staged, run_id)
                current = self._current_target(con, tname)
                previous = None
                if current is not None:
                    self._refuse_replacing(tname, current.kind)
                    self._before_replace(con, current, tname, PublishError)
                    previous = self._archive(con, current, tname, run_id)
                rows = self._swap_in(con, source, tname, f"{MANAGED_MARK} published by run {run_id}")
                pause("publish:commit", run_id)
        return PublishResult(target=tname, rows=int(rows or 0), previous_version=previous)

    def rollback(self, target: str) -> RollbackResult:
        """Make the latest history version of ``target`` the target again (the current one goes to history).

        The checks (:meth:`check_rollback`) run before the transaction, or inside it where
        :attr:`CHECK_IN_TRANSACTION`; the newest version whose table still exists is restored
        (:meth:`_restore`) in one transaction with the archiving of the current target.

        Raises:
            TableNotFound: ``target`` is neither a table nor has history (:meth:`unknown_target`).
            TargetConflict: ``target`` is a table DataMorph did not publish (:meth:`unmanaged_target`),
                or its name is not a valid target (:func:`datamorph.names.check_target`).
            RollbackError: it has no earlier version, or is a view.
        """
        from datamorph.names import check_target

        tname = self._target_name(check_target(target))
        self._require_writable(f"roll back '{tname}'", RollbackError)
        with self._writing():
            versions: list[VersionInfo] | None = None
            if not self.CHECK_IN_TRANSACTION:
                versions = self.history(tname)
                kind = self._target_kind(tname)
                self.check_rollback(tname, kind, versions, kind == "table" and self.is_managed(tname))
            with self._switching("rollback", tname) as con:
                current = self._current_target(con, tname)
                if versions is None:
                    versions = self.history(tname)
                    self.check_rollback(tname, None if current is None else current.kind, versions,
                                        current is not None and current.managed)  # fmt: skip
                source = next((found for v in versions
                               if (found := self._history_version(con, self._bare(v.table))) is not None), None)  # fmt: skip
                if source is None:
                    raise self.no_earlier_version(tname)
                name, handle = source
                replaced = None
                if current is not None:
                    self._before_replace(con, current, tname, RollbackError)
                    replaced = self._archive(con, current, tname, ROLLBACK_RUN_ID)
                rows = self._restore(con, handle, tname, f"{MANAGED_MARK} restored from {name} by rollback")
        return RollbackResult(target=tname, restored_from=self._history_display(name),
                              replaced_version=replaced, extra={"rows": int(rows or 0)})  # fmt: skip

    def _archive(self, con: Any, current: Current, target: str, run_id: str) -> str:
        """Put the current target into history as the next version and record it; the version's display name."""
        hist = self._history_name(con, target)
        rows = self._store_version(con, current, hist)
        self._record_version(con, target, hist, run_id, rows)
        return self._history_display(hist)

    def _history_name(self, con: Any, target: str) -> str:
        """``target__vN``: N one past the versions recorded for ``target``, then past any table of that name."""
        n = self._version_count(con, target) + 1
        while self._history_name_taken(con, hist := self._history_table_name(target, n)):
            n += 1
        return hist

    def _history_table_name(self, target: str, n: int) -> str:
        """The name of version ``n`` of ``target`` (engines with name limits shorten it)."""
        return f"{target}__v{n}"

    def _refuse_replacing(self, tname: str, kind: str | None) -> None:
        if kind is not None and kind != "table":
            raise PublishError(f"target '{tname}' is a {kind}, not a table; refusing to replace it",
                               hint="choose another target name (DataMorph never overwrites views or source data)",
                               target=tname)  # fmt: skip

    @staticmethod
    def staged_missing(tname: str, staged: str, run_id: str) -> PublishError:
        """The error for a publish whose staging table is gone."""
        return PublishError(f"publishing '{tname}' failed: staging table '{staged}' does not exist",
                            hint="stage the result again (it may have been dropped); the target was left unchanged",
                            target=tname, staged=staged, run_id=run_id)  # fmt: skip

    @contextmanager
    def _switching(self, action: str, tname: str, sname: str = "", staged: str = "",
                   run_id: str = "") -> Iterator[Any]:  # fmt: skip
        """:meth:`_switch_transaction`, with the engine's errors (:meth:`_engine_errors`) turned into
        DataMorph's: ConcurrencyError for a lock wait that timed out, else PublishError or RollbackError."""
        try:
            with self._switch_transaction(tname) as con:
                yield con
        except self._engine_errors() as e:
            if self._is_lock_timeout(e):
                if action == "publish":
                    raise ConcurrencyError(f"target '{tname}' is being published by another run",
                                           hint=f"waited {self.lock_timeout:g}s; the target was left unchanged; "
                                           "retry later", target=tname) from e  # fmt: skip
                raise ConcurrencyError(f"target '{tname}' is being written by another run",
                                       hint=f"waited {self.lock_timeout:g}s; retry later", target=tname) from e
            if action == "publish":
                if self._staged_gone(sname):
                    raise self.staged_missing(tname, staged, run_id) from e
                raise PublishError(f"publishing '{tname}' failed: {self._error_text(e)}",
                                   hint="the transaction was rolled back; the target was left unchanged",
                                   target=tname, staged=staged, run_id=run_id) from e  # fmt: skip
            raise RollbackError(f"rolling back '{tname}' failed: {self._error_text(e)}",
                                hint="the transaction was rolled back; the target was left unchanged",
                                target=tname) from e  # fmt: skip

    # hooks of the skeleton: what each engine does its own way
    CHECK_IN_TRANSACTION: ClassVar[bool] = False  # check the target inside the switch transaction (under its lock)
    lock_timeout: float = 30.0

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Held around a whole publish or rollback (a per-connection mutex, schema setup)."""
        yield

    @abstractmethod
    def _switch_transaction(self, tname: str) -> AbstractContextManager[Any]:
        """The one transaction a publish or rollback switches the target in; yields what the hooks take as ``con``."""

    def _engine_errors(self) -> tuple[type[BaseException], ...]:
        """The engine's own errors that :meth:`_switching` turns into DataMorph's (none: they pass)."""
        return ()

    def _is_lock_timeout(self, error: BaseException) -> bool:
        return False

    def _error_text(self, error: BaseException) -> str:
        return str(error)

    def _staged_gone(self, sname: str) -> bool:
        """After a failed publish: whether its staging table is missing (engines that do not check first)."""
        return False

    def _target_kind(self, tname: str) -> str | None:
        """'table', 'view' (or another kind) or None, checked before the transaction."""
        raise NotImplementedError(f"the {self.name} engine checks its target inside the transaction")

    @abstractmethod
    def _target_name(self, target: str) -> str:
        """The bare name of a target (a schema other than the target schema is a TargetConflict)."""

    @abstractmethod
    def _staged_name(self, staged: str) -> str:
        """The bare name of a staging table (a schema other than the staging schema is an ExecutionError)."""

    @abstractmethod
    def _staged_table(self, con: Any, sname: str) -> Any:
        """The staging table ``sname`` as :meth:`_swap_in` takes it, or None when it does not exist."""

    @abstractmethod
    def _current_target(self, con: Any, tname: str) -> Current | None:
        """The object now called ``tname`` in the target schema, or None."""

    def _before_replace(self, con: Any, current: Current, tname: str, error: type[ExecutionError]) -> None:
        """Refuse (raise ``error``) to move ``current`` out of the way; by default nothing refuses."""
        return None

    @abstractmethod
    def _version_count(self, con: Any, target: str) -> int:
        """How many versions of ``target`` the versions table records."""

    @abstractmethod
    def _history_name_taken(self, con: Any, hist: str) -> bool:
        """Whether a table called ``hist`` exists where a history version would go."""

    @abstractmethod
    def _store_version(self, con: Any, current: Current, hist: str) -> int | None:
        """Make ``current`` history table ``hist`` (a copy or a move, its comment kept); its row count."""

    @abstractmethod
    def _record_version(self, con: Any, target: str, hist: str, run_id: str, rows: int | None) -> None:
        """Add ``hist`` to the versions table."""

    @abstractmethod
    def _history_display(self, hist: str) -> str:
        """``datamorph_history.<hist>`` as the engine shows a qualified name."""

    @abstractmethod
    def _swap_in(self, con: Any, staged: Any, tname: str, note: str) -> int | None:
        """Make the staged table the target ``tname``, commented ``note``; its row count."""

    @abstractmethod
    def _history_version(self, con: Any, hist: str) -> tuple[str, Any] | None:
        """(actual name, what :meth:`_restore` takes) of history table ``hist``, or None when it is gone."""

    @abstractmethod
    def _restore(self, con: Any, version: Any, tname: str, note: str) -> int | None:
        """Make a copy of (or point the target at) a history version as target ``tname``, commented ``note``; rows."""

    def unknown_target(self, target: str) -> TableNotFound:
        """The error for a target that is neither a table nor has history (rollback), with did-you-mean."""
        names = self.catalog(row_counts=False).table_names()
        return TableNotFound(f"unknown table '{target}'", target=target,
                             hint=suggestion(target, names) or "`datamorph tables` lists the tables")  # fmt: skip

    def check_rollback(self, target: str, kind: str | None, versions: Sequence[VersionInfo], managed: bool) -> None:
        """The checks every rollback makes before it changes anything: ``target`` (now a ``kind`` object, or
        gone) is a table DataMorph manages, or gone but with history ``versions``."""
        if kind is None and not versions:
            raise self.unknown_target(target)
        if kind is not None and kind != "table":
            raise RollbackError(f"target '{target}' is a {kind}, not a table; refusing to replace it",
                                hint="drop or rename the view first", target=target)  # fmt: skip
        if kind == "table" and not managed:
            raise self.unmanaged_target(target)

    @staticmethod
    def no_earlier_version(target: str) -> RollbackError:
        """The error for a rollback of a target none of whose history versions exists any more."""
        return RollbackError(f"'{target}' has no earlier version to roll back to",
                             hint="a version is kept each time publish replaces an existing table", target=target)  # fmt: skip

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
    def register_file(
        self, name: str, path: str, *, persist: bool = False, options: CsvOptions | None = None
    ) -> TableInfo:
        """Expose a CSV or Parquet file (or a folder of them) as a source table called ``name``.

        CSV files are checked first (:func:`datamorph.engines.files.check_csv`); ``options`` override
        what DuckDB's sniffer guesses (delimiter, header, quote, encoding).
        """

    def load(self, path: str, table: str | None = None, *, replace: bool = False,
             options: CsvOptions | None = None) -> list[LoadResult]:  # fmt: skip
        """Load a file (or a folder: one table per file, or all into ``table``) into permanent tables.

        Every CSV file is checked before the first table is written (:func:`files.check_csv`); ``options``
        override what DuckDB's sniffer guesses. An existing table of the same name is a ConfigError unless
        ``replace``. Each engine writes one table with :meth:`_load_plan`.
        """
        from datamorph.engines.files import plan_load

        self._require_writable(f"load '{path}'", ConfigError)
        return [self._load_plan(plan, replace=replace) for plan in plan_load(path, table, options)]

    def _load_plan(self, plan: LoadPlan, *, replace: bool) -> LoadResult:
        """Create table ``plan.table`` from DuckDB query ``plan.select`` (a file reader)."""
        raise ConfigError(f"`datamorph load` does not support the {self.name} engine")

    def remove_created(self) -> None:
        """Remove the warehouse this engine created when it opened (a failed first load); closes the engine."""
        self.close()

    def _require_writable(self, action: str, error: type[DataMorphError]) -> None:
        """Raise ``error`` when the engine was opened read-only."""
        if self.read_only:
            raise error(f"cannot {action}: warehouse '{self.path}' is open read-only",
                        hint="open the warehouse without read_only to write to it")  # fmt: skip

    # -- per-run limits (see datamorph.limits) -----------------------------------
    def interrupt(self) -> None:
        """Stop the statement running on this connection now; called from another thread. The statement
        fails with an ExecutionError and the engine stays usable; with nothing running it does nothing."""
        raise NotImplementedError(f"the {self.name} engine cannot interrupt a statement")

    def set_memory_limit(self, limit: str) -> bool:
        """Cap the memory this engine's queries may use (``2GB``); False when the engine cannot."""
        return False

    def set_statement_timeout(self, seconds: float | None) -> None:
        """Stop any statement of this session after ``seconds`` on the server's side (None: no limit).
        Engines without a server-side statement timeout rely on :meth:`interrupt` alone."""
        return None

    # -- recovery and garbage collection ------------------------------------------
    def staging_tables(self) -> list[StagingTable]:
        """Every table in the staging schema, with the run that staged it."""
        raise NotImplementedError(f"the {self.name} engine cannot list staging tables")

    def history_targets(self) -> list[str]:
        """The targets that have history versions (one spelling per target)."""
        raise NotImplementedError(f"the {self.name} engine cannot list history targets")

    def history_tables(self) -> set[str]:
        """Lower-case names of the tables that exist in the history schema."""
        raise NotImplementedError(f"the {self.name} engine cannot list history tables")

    def drop_version(self, target: str, version: VersionInfo) -> None:
        """In one transaction: forget ``version`` of ``target`` and drop its table (if it still exists)."""
        raise NotImplementedError(f"the {self.name} engine cannot drop history versions")

    def table_note(self, table: str) -> str | None:
        """The comment on a table (``target`` or ``schema.name``); CatalogError if there is no such table."""
        raise NotImplementedError(f"the {self.name} engine cannot read table comments")

    def storage_size(self) -> int | None:
        """Bytes the warehouse takes on disk, where the engine can tell."""
        return None

    def compact(self) -> bool:
        """Give the space of dropped tables back to the file system; True if the warehouse was rewritten."""
        return False

    def prune_history(self, keep: int) -> list[VersionInfo]:
        """Drop history versions beyond the newest ``keep`` of each target; the versions dropped.

        The newest version whose table exists is always kept (it is what ``rollback`` restores), even
        with ``keep=0``; entries whose table is gone are dropped. Each target is pruned under its
        :meth:`target_lock`, so a publish or rollback of that target waits.
        """
        removed: list[VersionInfo] = []
        for target in self.history_targets():
            with self.target_lock(target):
                tables = self.history_tables()
                kept = 0
                for v in self.history(target):
                    if kept < max(keep, 1) and self._bare(v.table).lower() in tables:
                        kept += 1
                        continue
                    self.drop_version(target, v)
                    removed.append(v)
        return removed

    def published_version(self, target: str, run_id: str) -> PublishResult | None:
        """What run ``run_id`` published to ``target``, if its publish committed; else None.

        A publish leaves the run id in the target's comment (kept when the target moves to history)
        and, when it replaced a table, in the history entry of the version it archived.
        """
        mark = f"{MANAGED_MARK} published by run {run_id}"
        versions = self.history(target)
        previous = next((v.table for v in versions if v.run_id == run_id), None)
        try:
            note = self.table_note(target)
        except CatalogError:
            note = None
        if note == mark:
            rows = self.catalog([target], exact=True).table(target).row_count
            return PublishResult(target=target, rows=int(rows or 0), previous_version=previous)
        tables = self.history_tables()
        for v in versions:  # replaced since by a later run
            if self._bare(v.table).lower() in tables and self.table_note(v.table) == mark:
                return PublishResult(target=target, rows=int(v.rows or 0), previous_version=previous)
        if previous is not None:
            return PublishResult(target=target, rows=0, previous_version=previous)
        return None

    def _bare(self, table: str) -> str:
        return split_qualified(table, self.dialect)[1]

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
