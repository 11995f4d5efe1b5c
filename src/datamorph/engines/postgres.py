"""The PostgreSQL engine (psycopg 3): one database, one open connection.

* The user's tables are read from the system catalogs (``pg_class``, ``pg_attribute``,
  ``pg_constraint``); types are named as PostgreSQL names them (``format_type``).
  ``catalog(row_counts=True)`` counts rows exactly for views and for tables whose
  ``pg_class.reltuples`` estimate is under :attr:`PostgresEngine.EXACT_COUNT_LIMIT` (or
  unknown); bigger tables report the estimate, unless ``exact=True`` asks for exact counts.
* ``fetch`` runs in a read-only transaction with ``statement_timeout``; with ``max_rows`` the
  rows come through a server-side cursor, so only ``max_rows + 1`` rows travel.
* Staging tables live in ``datamorph_staging``; ``publish`` takes a transaction-level advisory
  lock keyed by the target, moves the current target to ``datamorph_history`` (``ALTER TABLE
  ... SET SCHEMA`` + rename, no copy), moves the staged table into the target schema, marks it
  with a ``COMMENT`` and records the version in ``datamorph_history.versions``, all in ONE
  transaction. ``rollback`` copies the newest version back (history stays complete).
* ``target_lock`` holds a session-level advisory lock (and a per-process lock, since advisory
  locks are re-entrant within one session); waiting longer than ``lock_timeout`` raises
  :class:`ConcurrencyError`.
* ``register_file`` loads the file (PostgreSQL cannot read the client's files) into a
  temporary table, or a permanent one with ``persist``, marked as a file table by its comment.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.engines import pg_sql as q
from datamorph.engines.base import (
    HISTORY_SCHEMA,
    MANAGED_MARK,
    STAGING_MARK,
    STAGING_SCHEMA,
    VERSIONS_TABLE,
    Current,
    Engine,
    LoadResult,
    Locked,
    QueryResult,
    StagingTable,
    VersionInfo,
    query_timeout,
    read_limited,
    retry_while_locked,
    run_id_in,
)
from datamorph.engines.files import FILE_MARK, CsvOptions, LoadPlan, file_reader, read_error, read_sql
from datamorph.engines.pg_load import (
    csv_select,
    csv_to_arrow,
    literal,
    load_query,
    qualified,
    quote,
    rows_to_arrow,
)
from datamorph.errors import (
    CatalogError,
    ConcurrencyError,
    ConfigError,
    DataMorphError,
    ExecutionError,
    TargetConflict,
    WarehouseNotFound,
    suggestion,
)

INSTALL_HINT = 'pip install "datamorph[postgres]"'

_TARGET_LOCKS: dict[tuple[str, str], threading.RLock] = {}
_TARGET_LOCKS_GUARD = threading.Lock()


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError("the PostgreSQL driver (psycopg 3) is not installed", hint=INSTALL_HINT) from None
    return psycopg


def _lock_key(*parts: str) -> int:
    """A signed 64-bit advisory lock key for ``parts``."""
    digest = hashlib.sha1("\x00".join(("datamorph", *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _array_cast(pg_type: str, values: Sequence[Any]) -> str:
    """``::type[]`` making ``column = ANY(array)`` compare like types (so PostgreSQL can hash the
    array instead of scanning it for every row), when the values surely convert; else ''."""
    import datetime as dt
    from decimal import Decimal

    t = pg_type.lower()
    ints = all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    if t in ("smallint", "integer", "bigint") and ints:
        return f"::{t}[]"
    if t.startswith("numeric") and all(isinstance(v, (int, Decimal)) and not isinstance(v, bool) for v in values):
        return "::numeric[]"
    if t.startswith(("text", "character varying")) and all(isinstance(v, str) for v in values):
        return "::text[]"
    if t == "date" and all(type(v) is dt.date for v in values):
        return "::date[]"
    if t == "timestamp without time zone" and all(isinstance(v, dt.datetime) and v.tzinfo is None for v in values):
        return "::timestamp[]"
    return ""


class PostgresEngine(Engine):
    """A PostgreSQL database (``postgresql://user@host:port/db``).

    ``create`` is accepted for symmetry with DuckDB and ignored: the database must exist.
    ``statement_timeout`` (seconds) bounds every read query.
    """

    name: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    EXACT_COUNT_LIMIT: ClassVar[int] = 1_000_000
    SMALL_TABLE: ClassVar[int] = 100_000  # ORDER BY random() samples up to this size, TABLESAMPLE above

    def __init__(self, url: str, *, create: bool = False, lock_timeout: float = 30.0, read_only: bool = False,
                 statement_timeout: float = 600.0) -> None:  # fmt: skip
        psycopg = _psycopg()
        self.url = url
        self.path = q.redact(url)  # what messages show: never the password
        self.lock_timeout = float(lock_timeout)
        self.read_only = read_only
        self.statement_timeout = float(statement_timeout)
        self._mutex = threading.RLock()
        self._con: Any = None
        try:
            self._con = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(min(self.lock_timeout, 30)) or 10))
        except psycopg.Error as e:
            raise WarehouseNotFound(f"cannot connect to PostgreSQL warehouse '{self.path}': {q.message(e)}",
                                    hint="check the URL (postgresql://user@host:port/database), that the server "
                                    "runs and that the user may log in", path=self.path) from e  # fmt: skip
        if read_only:
            self._con.execute("SET default_transaction_read_only = on")
        self.schema: str = self._rows("SELECT coalesce(current_schema(), 'public')")[0][0]
        self._lock_ident = self.path

    # -- connection ----------------------------------------------------------------
    def close(self) -> None:
        with self._mutex:
            if self._con is not None:
                try:
                    self._con.close()
                finally:
                    self._con = None

    def _conn(self) -> Any:
        if self._con is None:
            raise ExecutionError(f"the connection to '{self.path}' is closed", hint="open the warehouse again")
        return self._con

    def interrupt(self) -> None:
        con = self._con  # not under the mutex: the statement to cancel holds it
        if con is not None and not con.closed:
            con.cancel()  # a cancel request on its own connection; an idle session ignores it

    def set_statement_timeout(self, seconds: float | None) -> None:
        ms = 0 if seconds is None else max(1, int(seconds * 1000))
        with self._mutex:
            self._rows(f"SET statement_timeout = {ms}")

    def _rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run internal SQL (``%s`` placeholders) in autocommit mode; errors propagate."""
        with self._mutex:
            cur = self._conn().execute(sql.encode(), params)
            return list(cur.fetchall()) if cur.description is not None else []


    # -- object lookup ---------------------------------------------------------------
    def _objects(self) -> list[tuple[int, str, str, str, str | None]]:
        """(oid, schema, name, kind, comment) of every user table and view, own temp tables included."""
        return self._rows(q.OBJECTS)

    def _resolve(self, text: str) -> tuple[int, str, str, str]:
        """(oid, schema, name, kind) of a table or view the user named, staging and history included."""
        objs = self._objects()
        stripped = text.strip()
        attempts: list[tuple[str | None, str]] = [(None, stripped)]
        schema, bare = q.split_qualified(stripped)
        if schema is not None or bare != stripped:
            attempts.append((schema, bare))
        for want_schema, want_name in attempts:
            hits = [o for o in objs if o[2].lower() == want_name.lower()]
            if want_schema is None:
                hits.sort(key=lambda o: (o[1] != want_name and o[2] != want_name, self._rank(o[1])))
            else:
                ws = self.schema if want_schema.lower() == "main" else want_schema
                hits = [o for o in hits if o[1].lower() == ws.lower() or (ws.lower() == "temp" and o[1].startswith("pg_temp"))]
                hits.sort(key=lambda o: o[2] != want_name)  # an exact-case match first
            if hits:
                return hits[0][0], hits[0][1], hits[0][2], hits[0][3]
        names = [o[2] for o in objs if o[1] not in (STAGING_SCHEMA, HISTORY_SCHEMA)]
        raise CatalogError(f"unknown table '{text}'", hint=suggestion(text, names) or "list the tables with the catalog",
                           table=text)  # fmt: skip

    def _rank(self, schema: str) -> int:
        """Search order of an unqualified name: temp tables, the current schema, other schemas, ours last."""
        if schema.startswith("pg_temp"):
            return 0
        if schema == self.schema:
            return 1
        return 3 if schema in (STAGING_SCHEMA, HISTORY_SCHEMA) else 2

    def _columns_of(self, oid: int) -> list[ColumnInfo]:
        return [ColumnInfo(n, t, bool(nullable)) for _oid, n, t, nullable in self._rows(q.COLUMNS + " AND a.attrelid = %s "
                                                                                         "ORDER BY a.attnum", [oid])]

    def _count(self, schema: str, name: str) -> int | None:
        try:
            return int(self.fetch(f"SELECT count(*) FROM {qualified(name, schema)}").rows[0][0])
        except ExecutionError:  # e.g. a view that fails
            return None

    # -- reading ----------------------------------------------------------------------
    def catalog(
        self, tables: Iterable[str] | None = None, *, row_counts: bool = True, exact: bool = False
    ) -> Catalog:
        psycopg = _psycopg()
        with self._mutex:
            try:
                objs = [o for o in self._objects() if o[1] not in (STAGING_SCHEMA, HISTORY_SCHEMA)]
                cols: dict[int, list[ColumnInfo]] = {}
                for oid, n, t, nullable in self._rows(q.COLUMNS + " ORDER BY a.attrelid, a.attnum"):
                    cols.setdefault(oid, []).append(ColumnInfo(n, t, bool(nullable)))
                pks: dict[int, list[str]] = {}
                fks: dict[int, list[ForeignKey]] = {}
                for oid, ctype, ccols, ref_name, ref_cols in self._rows(q.KEYS):
                    if ctype == "p":
                        pks[oid] = list(ccols)
                    else:
                        fks.setdefault(oid, []).append(ForeignKey(tuple(ccols), ref_name, tuple(ref_cols)))
                estimates = dict(self._rows("SELECT c.oid, c.reltuples FROM pg_class c WHERE c.relkind IN ('r','p')"))
            except psycopg.Error as e:
                raise CatalogError(f"cannot read the catalog of '{self.path}': {q.message(e)}") from e
            infos: dict[str, tuple[int, TableInfo]] = {}
            for oid, schema, name, kind, comment in sorted(objs, key=lambda o: (self._rank(o[1]), o[1], o[2])):
                if name.lower() in infos:
                    continue  # shadowed by an object PostgreSQL would pick first
                is_file = str(comment or "").startswith(FILE_MARK)
                infos[name.lower()] = (oid, TableInfo(
                    name=name, columns=cols.get(oid, []), schema="temp" if schema.startswith("pg_temp") else schema,
                    kind="file" if is_file else ("view" if kind == "view" else "table"),
                    primary_key=pks.get(oid, []), foreign_keys=list(fks.get(oid, [])),
                    source=str(comment)[len(FILE_MARK):].strip() if is_file else None))  # fmt: skip
            if tables is not None:
                lookup = Catalog({k: v[1] for k, v in infos.items()}, dialect=self.dialect)
                infos = {(info := lookup.table(t)).name.lower(): infos[info.name.lower()] for t in tables}
            if row_counts:
                for oid, info in infos.values():
                    est = estimates.get(oid)
                    if not exact and est is not None and est >= self.EXACT_COUNT_LIMIT:
                        info.row_count = int(est)
                    else:
                        info.row_count = self._count("pg_temp" if info.schema == "temp" else info.schema, info.name)
        return Catalog.of([v[1] for v in infos.values()], dialect=self.dialect)

    def fetch(self, sql: str, params: list[Any] | None = None, *, max_rows: int | None = None,
              timeout_s: float | None = None, max_bytes: int | None = None) -> QueryResult:  # fmt: skip
        psycopg = _psycopg()
        query = q.placeholders(sql) if params else sql
        limit = self.statement_timeout  # seconds; 0 means no limit, as in PostgreSQL
        if timeout_s is not None:
            limit = float(timeout_s) if limit <= 0 else min(limit, float(timeout_s))
        with self._mutex:
            con = self._conn()
            try:
                with con.transaction():
                    con.execute("SET TRANSACTION READ ONLY")
                    con.execute(f"SET LOCAL statement_timeout = {max(1, int(limit * 1000)) if limit > 0 else 0}".encode())
                    if max_rows is None and max_bytes is None:
                        cur = con.execute(query.encode(), params or None)
                        if cur.description is None:
                            return QueryResult([], [])
                        return QueryResult([d.name for d in cur.description], [tuple(r) for r in cur.fetchall()])
                    with con.cursor(name="datamorph_fetch") as cur:  # server-side: rows come as fetched
                        cur.execute(query.encode(), params or None)
                        columns = [d.name for d in cur.description or []]
                        rows, truncated = read_limited(cur.fetchmany, columns, sql, max_rows=max_rows,
                                                       max_bytes=max_bytes)  # fmt: skip
            except psycopg.errors.QueryCanceled as e:
                if timeout_s is None or "statement timeout" not in q.message(e):
                    raise ExecutionError(f"query failed: {q.message(e)}", sql=sql, params=params) from e
                raise query_timeout(sql, limit) from e
            except psycopg.Error as e:
                raise ExecutionError(f"query failed: {q.message(e)}", sql=sql, params=params) from e
        return QueryResult(columns, rows, truncated)

    def sample(self, table: str, limit: int = 10) -> QueryResult:
        n = int(limit)
        if n < 0:
            raise ExecutionError(f"sample size must be 0 or more, got {limit}")
        with self._mutex:
            oid, schema, name, _kind = self._resolve(table)
            est = self._rows("SELECT reltuples FROM pg_class WHERE oid = %s", [oid])[0][0]
            ref = qualified(name, "pg_temp" if schema.startswith("pg_temp") else schema)
            if est is not None and est > self.SMALL_TABLE and n > 0:
                pct = min(100.0, 100.0 * max(10 * n, 1000) / est)
                res = self.fetch(f"SELECT * FROM {ref} TABLESAMPLE BERNOULLI ({pct:.6f}) ORDER BY random() LIMIT {n}")
                if len(res.rows) == n:
                    return res
            return self.fetch(f"SELECT * FROM {ref} ORDER BY random() LIMIT {n}")

    def read_arrow(self, table: str, columns: Sequence[str] | None = None, *,
                   where_in: tuple[str, Sequence[Any]] | None = None) -> Any:  # fmt: skip
        """The rows as Arrow: streamed with ``COPY (SELECT ...) TO STDOUT (FORMAT csv)`` and parsed by
        ``pyarrow.csv`` when every column type has a CSV mapping, else fetched row by row."""
        psycopg = _psycopg()
        with self._mutex:
            oid, schema, name, _kind = self._resolve(table)
            types = {c.name: c.type for c in self._columns_of(oid)}
            wanted = list(columns) if columns else list(types)
            source = qualified(name, "pg_temp" if schema.startswith("pg_temp") else schema)
            where = ""
            params: list[Any] | None = None
            if where_in is not None:
                column, values = where_in
                vals = [v for v in values if v is not None]
                cast = _array_cast(types.get(column, ""), vals)
                where = f" WHERE {quote(column)} = ANY(%s{cast})" if vals else " WHERE false"
                params = [vals] if vals else None
            typed = [(c, types.get(c, "text")) for c in wanted]
            exprs = [csv_select(c, t) for c, t in typed]
            if wanted and all(e is not None for e in exprs):
                sql = f"SELECT {', '.join(e for e in exprs if e is not None)} FROM {source}{where}"
                try:
                    data = self._copy_out(sql, params)
                except psycopg.Error as e:
                    raise ExecutionError(f"reading '{table}' failed: {q.message(e)}", sql=sql) from e
                import pyarrow as pa

                try:
                    return csv_to_arrow(data, typed)
                except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                    pass  # values the CSV types cannot hold (numeric NaN, ...): row by row
            sql = f"SELECT {', '.join(quote(c) for c in wanted)} FROM {source}{where}"
            try:
                res = self._read(sql, params)
            except psycopg.Error as e:
                raise ExecutionError(f"reading '{table}' failed: {q.message(e)}", sql=sql) from e
        return rows_to_arrow([(c, types.get(c, "text")) for c in res.columns], res.rows)

    def _copy_out(self, sql: str, params: list[Any] | None) -> bytearray:
        """The CSV bytes of ``COPY (sql) TO STDOUT``; parameters are bound client-side (COPY takes none)."""
        con = self._conn()
        buf = bytearray()
        with con.transaction():
            con.execute("SET TRANSACTION READ ONLY")
            cur = con.cursor()
            with cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv, HEADER false)".encode(), params) as copy:
                for chunk in copy:
                    buf += chunk
        return buf

    def _read(self, sql: str, params: list[Any] | None) -> QueryResult:
        con = self._conn()
        with con.transaction():
            con.execute("SET TRANSACTION READ ONLY")
            cur = con.execute(sql.encode(), params)
            return QueryResult([d.name for d in cur.description], [tuple(r) for r in cur.fetchall()])

    def text_collations(self, table: str) -> dict[str, str]:
        """Text columns whose collation is not byte order (``C``/``POSIX``/``ucs_basic``)."""
        with self._mutex:
            oid, *_ = self._resolve(table)
            rows = self._rows(q.COLLATIONS, [oid])
        return {col: coll for col, coll in rows if coll and coll.lower() not in ("c", "posix", "ucs_basic")}

    def table_columns(self, qualified_table: str) -> list[ColumnInfo]:
        with self._mutex:
            oid, *_ = self._resolve(qualified_table)
            return self._columns_of(oid)

    # -- write–audit–publish -----------------------------------------------------------
    def _target_name(self, target: str) -> str:
        schema, name = q.split_qualified(target)
        if schema is None or not name:
            return target.strip()
        if schema.lower() not in ("main", self.schema.lower()):
            raise TargetConflict(f"target '{target}' is not in the {self.schema} schema",
                               hint=f"name the target without a schema; DataMorph writes targets to {self.schema}",
                               target=target)  # fmt: skip
        return name

    @staticmethod
    def _staged_name(staged: str) -> str:
        schema, name = q.split_qualified(staged)
        if schema is not None and schema.lower() != STAGING_SCHEMA:
            raise ExecutionError(f"'{staged}' is not a staging table",
                                 hint=f"staging tables live in the {STAGING_SCHEMA} schema; pass the name stage() returned",
                                 table=staged)  # fmt: skip
        return name

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A read-write transaction with the lock timeout applied to every lock it waits for."""
        con = self._conn()
        with con.transaction():
            con.execute(f"SET LOCAL lock_timeout = {max(1, int(self.lock_timeout * 1000))}".encode())
            yield con

    def _ensure_schemas(self) -> None:
        with self._transaction() as con:
            con.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key("setup")])
            for sql in q.SETUP:
                con.execute(sql.encode())

    def stage(self, select_sql: str, target: str, run_id: str) -> str:
        psycopg = _psycopg()
        self._require_writable(f"stage '{target}'", ExecutionError)
        name = q.fit(f"{self._target_name(target)}__{run_id}")
        body = select_sql.strip().rstrip(";").strip()
        with self._mutex:
            try:
                self._ensure_schemas()
                with self._transaction() as con:
                    con.execute(f"DROP TABLE IF EXISTS {qualified(name, STAGING_SCHEMA)}".encode())
                    con.execute(f"CREATE TABLE {qualified(name, STAGING_SCHEMA)} AS {body}".encode())
                    # a long name is shortened (q.fit) and may lose the run id: the comment keeps it
                    con.execute(f"COMMENT ON TABLE {qualified(name, STAGING_SCHEMA)} IS {literal(f'{STAGING_MARK} {run_id}')}".encode())
            except psycopg.Error as e:
                raise ExecutionError(f"staging '{target}' failed: {q.message(e)}", sql=select_sql, target=target,
                                     run_id=run_id) from e  # fmt: skip
        return f"{STAGING_SCHEMA}.{quote(name)}"

    def drop_staged(self, staged: str) -> None:
        name = self._staged_name(staged)
        with self._mutex:
            try:
                self._rows(f"DROP TABLE IF EXISTS {qualified(name, STAGING_SCHEMA)}")
            except _psycopg().Error as e:
                if "schema" not in q.message(e):
                    raise ExecutionError(f"dropping staging table '{staged}' failed: {q.message(e)}") from e

    def _find(self, con: Any, schema: str, name: str) -> tuple[int, str, str, str | None] | None:
        """(oid, actual name, kind, comment) of ``schema.name`` (case-insensitive, exact case first), or None."""
        rows = con.execute(q.FIND.encode(), [schema, name, name]).fetchall()
        return tuple(rows[0]) if rows else None

    # hooks of Engine.publish / Engine.rollback: versions are moved (no copy) under an advisory lock
    CHECK_IN_TRANSACTION: ClassVar[bool] = True

    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._mutex:
            self._ensure_schemas()
            yield

    @contextmanager
    def _switch_transaction(self, tname: str) -> Iterator[Any]:
        with self._transaction() as con:
            con.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key("target", self.schema, tname.lower())])
            yield con

    def _engine_errors(self) -> tuple[type[BaseException], ...]:
        return (_psycopg().Error,)

    def _is_lock_timeout(self, error: BaseException) -> bool:
        return isinstance(error, _psycopg().errors.LockNotAvailable)

    def _error_text(self, error: BaseException) -> str:
        return q.message(error)

    def _staged_table(self, con: Any, sname: str) -> Any:
        return sname if self._find(con, STAGING_SCHEMA, sname) is not None else None

    def _current_target(self, con: Any, tname: str) -> Current | None:
        found = self._find(con, self.schema, tname)
        if found is None:
            return None
        oid, actual, kind, comment = found
        return Current(kind, kind == "table" and str(comment or "").startswith(MANAGED_MARK), (oid, actual))

    def _before_replace(self, con: Any, current: Current, tname: str, error: type[ExecutionError]) -> None:
        """Moving a table that other objects point at would leave them pointing at the archived version."""
        oid = current.handle[0]
        deps = [r[0] for r in con.execute(q.DEPENDENTS.encode(), [oid, oid, oid, oid]).fetchall()]
        if deps:
            raise error(f"'{tname}' cannot be replaced: {', '.join(sorted(set(deps)))} depend(s) on it "
                        "(a foreign key or a view)", hint="the transaction was rolled back; the target was left unchanged; "
                        "drop the dependent constraint or view first", target=tname)  # fmt: skip

    def _version_count(self, con: Any, target: str) -> int:
        return int(con.execute(f"SELECT count(*) FROM {qualified(VERSIONS_TABLE, HISTORY_SCHEMA)} WHERE lower(target) = lower(%s)".encode(),
                               [target]).fetchone()[0])  # fmt: skip

    def _history_table_name(self, target: str, n: int) -> str:
        return q.fit(f"{target}__v{n}")

    def _history_name_taken(self, con: Any, hist: str) -> bool:
        return bool(con.execute(q.EXISTS_ANY.encode(), [hist, [self.schema, HISTORY_SCHEMA]]).fetchone()[0])

    def _store_version(self, con: Any, current: Current, hist: str) -> int | None:
        """Move the current target (table ``oid``) into the history schema, its indexes renamed after it."""
        oid, actual = current.handle
        rows = con.execute(f"SELECT count(*) FROM {qualified(actual, self.schema)}".encode()).fetchone()[0]
        for i, (index,) in enumerate(con.execute("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                                                 "WHERE i.indrelid = %s", [oid]).fetchall()):  # fmt: skip
            con.execute(f"ALTER INDEX {qualified(index, self.schema)} RENAME TO {quote(q.fit(f'{hist}_idx{i}'))}".encode())
        con.execute(f"ALTER TABLE {qualified(actual, self.schema)} RENAME TO {quote(hist)}".encode())
        con.execute(f"ALTER TABLE {qualified(hist, self.schema)} SET SCHEMA {quote(HISTORY_SCHEMA)}".encode())
        return int(rows)

    def _record_version(self, con: Any, target: str, hist: str, run_id: str, rows: int | None) -> None:
        con.execute(f"INSERT INTO {qualified(VERSIONS_TABLE, HISTORY_SCHEMA)} (target, history_table, run_id, row_count) "
                    "VALUES (%s, %s, %s, %s)".encode(), [target, hist, run_id, rows])  # fmt: skip

    def _history_display(self, hist: str) -> str:
        return f"{HISTORY_SCHEMA}.{quote(hist)}"

    def _mark_and_count(self, con: Any, target_sql: str, note: str) -> int:
        con.execute(f"COMMENT ON TABLE {target_sql} IS {literal(note)}".encode())
        return int(con.execute(f"SELECT count(*) FROM {target_sql}".encode()).fetchone()[0])

    def _swap_in(self, con: Any, staged: Any, tname: str, note: str) -> int | None:
        con.execute(f"ALTER TABLE {qualified(staged, STAGING_SCHEMA)} RENAME TO {quote(tname)}".encode())
        con.execute(f"ALTER TABLE {qualified(tname, STAGING_SCHEMA)} SET SCHEMA {quote(self.schema)}".encode())
        return self._mark_and_count(con, qualified(tname, self.schema), note)

    def _history_version(self, con: Any, hist: str) -> tuple[str, Any] | None:
        found = self._find(con, HISTORY_SCHEMA, hist)
        return None if found is None else (found[1], found[1])

    def _restore(self, con: Any, version: Any, tname: str, note: str) -> int | None:
        target_sql = qualified(tname, self.schema)
        con.execute(f"CREATE TABLE {target_sql} AS TABLE {qualified(version, HISTORY_SCHEMA)}".encode())
        return self._mark_and_count(con, target_sql, note)

    def is_managed(self, target: str) -> bool:
        """True when ``target`` is a table that publish or rollback wrote (it carries DataMorph's comment)."""
        with self._mutex:
            found = self._find(self._conn(), self.schema, self._target_name(target))
        return found is not None and found[2] == "table" and str(found[3] or "").startswith(MANAGED_MARK)

    def history(self, target: str) -> list[VersionInfo]:
        tname = self._target_name(target)
        with self._mutex:
            if not self._rows("SELECT to_regclass(%s) IS NOT NULL", [qualified(VERSIONS_TABLE, HISTORY_SCHEMA)])[0][0]:
                return []
            rows = self._rows(f"SELECT history_table, run_id, archived_at, row_count FROM {qualified(VERSIONS_TABLE, HISTORY_SCHEMA)} "
                              "WHERE lower(target) = lower(%s) ORDER BY archived_at DESC, id DESC", [tname])  # fmt: skip
        return [VersionInfo(table=f"{HISTORY_SCHEMA}.{quote(h)}", run_id=r, created_at=a.isoformat(),
                            rows=None if c is None else int(c)) for h, r, a, c in rows]  # fmt: skip

    # -- recovery and garbage collection -------------------------------------------------------
    def _schema_tables(self, schema: str) -> list[tuple[str, str | None]]:
        """(name, comment) of the tables in ``schema``."""
        return [(r[0], r[1]) for r in self._rows(q.SCHEMA_TABLES, [schema])]

    def staging_tables(self) -> list[StagingTable]:
        with self._mutex:
            return [StagingTable(f"{STAGING_SCHEMA}.{quote(n)}", run_id_in(c) or run_id_in(n))
                    for n, c in self._schema_tables(STAGING_SCHEMA)]  # fmt: skip

    def history_targets(self) -> list[str]:
        versions = qualified(VERSIONS_TABLE, HISTORY_SCHEMA)
        with self._mutex:
            if not self._rows("SELECT to_regclass(%s) IS NOT NULL", [versions])[0][0]:
                return []
            return [r[0] for r in self._rows(f"SELECT min(target) FROM {versions} GROUP BY lower(target) ORDER BY 1")]

    def history_tables(self) -> set[str]:
        with self._mutex:
            return {n.lower() for n, _c in self._schema_tables(HISTORY_SCHEMA) if n.lower() != VERSIONS_TABLE}

    def drop_version(self, target: str, version: VersionInfo) -> None:
        psycopg = _psycopg()
        self._require_writable(f"drop a version of '{target}'", ExecutionError)
        hist = self._bare(version.table)
        with self._mutex:
            try:
                with self._transaction() as con:
                    con.execute(f"DELETE FROM {qualified(VERSIONS_TABLE, HISTORY_SCHEMA)} WHERE lower(target) = "
                                "lower(%s) AND history_table = %s".encode(), [target, hist])  # fmt: skip
                    con.execute(f"DROP TABLE IF EXISTS {qualified(hist, HISTORY_SCHEMA)}".encode())
            except psycopg.Error as e:
                raise ExecutionError(f"dropping version {version.table} of '{target}' failed: {q.message(e)}",
                                     target=target) from e  # fmt: skip

    def table_note(self, table: str) -> str | None:
        with self._mutex:
            oid, *_ = self._resolve(table)
            note = self._rows("SELECT obj_description(%s, 'pg_class')", [oid])[0][0]
        return None if note is None else str(note)

    def storage_size(self) -> int | None:
        return int(self._rows("SELECT pg_database_size(current_database())")[0][0])

    # -- files -----------------------------------------------------------------------------
    def register_file(
        self, name: str, path: str, *, persist: bool = False, options: CsvOptions | None = None
    ) -> TableInfo:
        """The server cannot read the client's files: ``path`` is read by DuckDB (:func:`files.file_reader`)
        and loaded with COPY into table ``name``, temporary (this session) or, with ``persist``, permanent."""
        psycopg = _psycopg()
        if persist:
            self._require_writable(f"register '{name}' permanently", ConfigError)
        select, source = read_sql(path, options)  # checks every CSV file first
        with self._mutex:
            con = self._conn()
            existing = self._find(con, self.schema, name)
            temp_existing = con.execute("SELECT count(*) FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                                        "AND lower(relname) = lower(%s)", [name]).fetchone()[0]  # fmt: skip
            if existing is not None:
                _oid, _actual, kind, comment = existing
                is_file = kind == "table" and str(comment or "").startswith(FILE_MARK)
                if not (persist and is_file):
                    raise ConfigError(f"the warehouse already has a {kind} called '{name}'",
                                      hint="register the file under another name"
                                      + (" (or pass persist to replace a registered file table)" if is_file else ""),
                                      table=name)  # fmt: skip
            duck = file_reader()
            try:
                with con.transaction():
                    if persist and existing is not None:
                        con.execute(f"DROP TABLE {qualified(existing[1], self.schema)}".encode())
                    if temp_existing:
                        con.execute(f"DROP TABLE {qualified(name, 'pg_temp')}".encode())
                    res = load_query(con, duck, select, name, self.schema, temporary=not persist,
                                     comment=f"{FILE_MARK} {source}")  # fmt: skip
            except psycopg.Error as e:
                raise ConfigError(f"cannot load '{path}': {q.message(e)}", path=str(path)) from e
            except Exception as e:  # DuckDB could not read the file
                if isinstance(e, DataMorphError):
                    raise
                raise read_error(e, source) from e
            finally:
                duck.close()
            oid = self._resolve(f"temp.{name}" if not persist else f"{self.schema}.{name}")[0]
            return TableInfo(name=name, columns=self._columns_of(oid), schema="temp" if not persist else self.schema,
                             kind="file", row_count=res.rows, source=source)  # fmt: skip

    def _load_plan(self, plan: LoadPlan, *, replace: bool) -> LoadResult:
        """Read by DuckDB, streamed with COPY in one transaction (replacing a table of that name), then ANALYZE."""
        import duckdb

        psycopg = _psycopg()
        duck = file_reader()
        try:
            with self._mutex:
                con = self._conn()
                existing = self._find(con, self.schema, plan.table)
                if existing is not None and not replace:
                    raise ConfigError(f"the warehouse already has a {existing[2]} called '{plan.table}'",
                                      hint="pass --replace to replace it, or --table to load under another name",
                                      table=plan.table)  # fmt: skip
                try:
                    with con.transaction():
                        if existing is not None:
                            con.execute(f"DROP TABLE {qualified(existing[1], self.schema)}".encode())
                        out = load_query(con, duck, plan.select, plan.table, self.schema)
                    con.execute(f"ANALYZE {qualified(plan.table, self.schema)}".encode())
                except psycopg.Error as e:
                    raise ConfigError(f"loading '{plan.source}' into '{plan.table}' failed: {q.message(e)}",
                                      table=plan.table) from e  # fmt: skip
                except duckdb.Error as e:  # a bad line past the sniffer's sample; the transaction rolled back
                    raise read_error(e, plan.source) from e
        finally:
            duck.close()
        return out

    def copy_duckdb_tables(self, duck_path: str, tables: list[str] | None = None) -> list[LoadResult]:
        """Copy the tables of a DuckDB warehouse file (with their primary keys) into PostgreSQL, then ANALYZE.

        Used by the tests and the benchmarks to load the fixture and demo warehouses.
        """
        import duckdb

        duck = duckdb.connect(duck_path, read_only=True)
        out: list[LoadResult] = []
        try:
            names = [r[0] for r in duck.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                                "ORDER BY table_name").fetchall()]  # fmt: skip
            pks = {r[0]: list(r[1]) for r in duck.execute("SELECT table_name, constraint_column_names FROM "
                                                          "duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                                                          "AND schema_name = 'main'").fetchall()}  # fmt: skip
            with self._mutex:
                con = self._conn()
                for name in names:
                    if tables is not None and name not in tables:
                        continue
                    with con.transaction():
                        select = f"SELECT * FROM main.{qualified(name, None)}"
                        out.append(load_query(con, duck, select, name, self.schema, primary_key=pks.get(name, ())))
                    con.execute(f"ANALYZE {qualified(name, self.schema)}".encode())
        finally:
            duck.close()
        return out

    # -- locking ------------------------------------------------------------------------
    @contextmanager
    def target_lock(self, target: str) -> Iterator[None]:
        tname = target.strip().lower()
        with _TARGET_LOCKS_GUARD:
            local = _TARGET_LOCKS.setdefault((self._lock_ident, tname), threading.RLock())
        deadline = time.monotonic() + max(0.0, self.lock_timeout)
        got = local.acquire(timeout=self.lock_timeout) if self.lock_timeout > 0 else local.acquire(blocking=False)
        if not got:
            raise self._busy(target)
        try:
            key = _lock_key("target", self.schema, self._target_name(target).lower())

            def take() -> None:
                if not self._rows("SELECT pg_try_advisory_lock(%s)", [key])[0][0]:
                    raise Locked(target)

            try:
                retry_while_locked(take, deadline - time.monotonic())
            except Locked as e:
                raise self._busy(target) from e
            try:
                yield
            finally:
                if self._con is not None and not self._con.closed:
                    self._rows("SELECT pg_advisory_unlock(%s)", [key])
        finally:
            local.release()

    def _busy(self, target: str) -> ConcurrencyError:
        return ConcurrencyError(f"target '{target}' is being written by another run",
                                hint=f"waited {self.lock_timeout:g}s; let the other run finish, then retry, or wait "
                                "longer with DATAMORPH_LOCK_TIMEOUT", target=target)  # fmt: skip
