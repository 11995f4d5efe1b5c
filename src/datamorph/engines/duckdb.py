"""The DuckDB engine: one warehouse file, one open connection.

Notes on DuckDB behaviour this engine relies on or works around:

* A file can be open for writing by one process at a time; a second process
  gets ``IOException: Could not set lock on file``. We retry until
  ``lock_timeout`` and then raise :class:`ConcurrencyError`.
* Temporary objects live in the ``temp`` catalog, which also has a schema
  called ``main`` and is searched first: ``main.x`` can resolve to a temp view.
  Internal SQL therefore always qualifies tables with the database name
  (``"warehouse"."main"."x"``), and ``register_file`` refuses names that would
  shadow a warehouse table.
* There is no ``ALTER TABLE ... SET SCHEMA``: publish and rollback copy rows
  with ``CREATE OR REPLACE TABLE ... AS SELECT`` inside one transaction (DuckDB
  DDL is transactional).
* Extension auto-install and auto-load are off, so nothing is downloaded at
  run time; CSV and Parquet readers are built into the Python wheel.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlglot import exp

from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.engines.base import (
    HISTORY_SCHEMA,
    INTERNAL_SCHEMAS,
    MANAGED_MARK,
    STAGING_SCHEMA,
    VERSIONS_TABLE,
    Current,
    Engine,
    LoadResult,
    QueryResult,
    StagingTable,
    VersionInfo,
    query_timeout,
    read_limited,
    retry_while_locked,
    run_id_in,
)
from datamorph.engines.files import (
    FILE_MARK,
    FILE_READERS,
    CsvOptions,
    LoadPlan,
    read_error,
    read_sql,
    reader_paths,
)
from datamorph.engines.names import one_line, split_qualified
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

_CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
_SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})

# A connection without external access differs in its config from one with it (DuckDB shares one
# database instance per file and config within a process), and _restrict turns access off once
# per instance, after allowing the files of registered tables.
_RESTRICTED_CONFIG = {"custom_user_agent": "datamorph (external access off)"}
_RESTRICT_LOCK = threading.Lock()
_FOREIGN_HINT = ("pass the path of a DuckDB warehouse with --warehouse PATH, or a path that does not exist yet: "
                 "`datamorph load FILE_OR_FOLDER --warehouse PATH` creates the warehouse there")  # fmt: skip
COMPACT_FREE_SHARE = 0.2  # compact() rewrites the file when at least this share of its blocks is free

# Per-process locks keyed by (warehouse, lower-case target): two threads of one
# process that write the same target take turns. DuckDB itself keeps other
# processes out of the file.
_TARGET_LOCKS: dict[tuple[str, str], threading.RLock] = {}
_TARGET_LOCKS_GUARD = threading.Lock()
# Per-process locks keyed by warehouse for creating DataMorph's schemas: two connections of one
# process creating the same schema at once make DuckDB fail one with a write-write conflict.
_SCHEMA_LOCKS: dict[str, threading.Lock] = {}


def _duckdb() -> Any:
    """The duckdb module, imported on first use (keeps `datamorph --help` fast)."""
    import duckdb

    return duckdb


def _refuse_foreign_file(p: Path, shown: str) -> None:
    """WarehouseNotFound for an existing file that is not a DuckDB database, before DuckDB touches it."""
    try:
        with open(p, "rb") as f:
            head = f.read(64)
    except OSError:  # not a regular file, or unreadable: DuckDB says what is wrong
        return
    if len(head) >= 12 and head[8:12] == b"DUCK":
        return
    if not head:
        what = "it is an empty file (0 bytes)"
    elif head.startswith(b"SQLite format 3"):
        what = "it is a SQLite database"
    elif head.startswith(b"PAR1"):
        what = "it is a Parquet file"
    elif head.startswith((b"\x1f\x8b", b"PK")):
        what = "it is a compressed (gzip or zip) file"
    elif b"\x00" not in head:
        first = head.decode("utf-8", errors="replace").strip().splitlines()[0] if head.strip() else ""
        what = f"it is a text file starting '{first[:30]}'"
    else:
        what = "it has no DuckDB header"
    if not head:
        first = "remove the empty file to create the warehouse there, or "
    elif what.startswith(("it is a text", "it is a Parquet")):
        first = f"to load it, run `datamorph load {shown} --warehouse NEW.duckdb`; or "
    else:
        first = ""
    raise WarehouseNotFound(f"'{shown}' is not a DuckDB database: {what}", hint=first + _FOREIGN_HINT, path=shown)


def _restrict(con: Any) -> None:
    """Turn external access off on ``con``'s database, allowing only the files that registered views read.

    DuckDB applies both settings to the whole database instance and refuses to change the allowed
    paths once access is off, so the first connection of a process does it and the others find it done.
    Globs (registered folders) are allowed as their folder.
    """
    with _RESTRICT_LOCK:
        if not con.execute("SELECT current_setting('enable_external_access')").fetchone()[0]:
            return
        try:
            views = con.execute(
                "SELECT sql FROM duckdb_views() WHERE NOT internal AND NOT temporary "
                "AND database_name = current_database() AND starts_with(comment, ?)",
                [FILE_MARK],
            ).fetchall()
            files: set[str] = set()
            folders: set[str] = set()
            for (sql,) in views:
                for path in reader_paths(sql or ""):
                    if any(ch in path for ch in "*?[{"):
                        cut = min(i for i, ch in enumerate(path) if ch in "*?[{")
                        folders.add(path[: path.rfind("/", 0, cut) + 1] or "/")
                    else:
                        files.add(path)
            if files:
                con.execute(f"SET allowed_paths = {exp.array(*map(exp.Literal.string, sorted(files))).sql('duckdb')}")
            if folders:
                con.execute(
                    f"SET allowed_directories = {exp.array(*map(exp.Literal.string, sorted(folders))).sql('duckdb')}"
                )
        finally:
            con.execute("SET enable_external_access = false")


# -- SQL building helpers --------------------------------------------------------


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _table_sql(name: str, schema: str | None = None, catalog: str | None = None) -> str:
    """A fully quoted table reference."""
    node = exp.table_(
        _ident(name), db=_ident(schema) if schema else None, catalog=_ident(catalog) if catalog else None
    )
    return node.sql(dialect="duckdb")


def _display_name(schema: str, name: str) -> str:
    """``schema.name`` as valid DuckDB SQL, quoting only where needed (``datamorph_staging."a b__r1"``)."""
    return exp.table_(exp.to_identifier(name), db=exp.to_identifier(schema)).sql(dialect="duckdb")


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="duckdb")


def _duck_message(err: BaseException) -> str:
    """DuckDB's message on one line, without the ``LINE 1: ... ^^^`` pointer."""
    return one_line(str(err)) or type(err).__name__


def _split_qualified(text: str) -> tuple[str | None, str]:
    return split_qualified(text, "duckdb")


class _Deadline:
    """Interrupts a DuckDB connection once ``seconds`` have passed, unless stopped first.

    ``interrupt()`` is only called while the query is running (the flag is checked under a lock
    that ``stop`` also takes); an interrupt that lands on an idle connection is harmless anyway.
    """

    def __init__(self, con: Any, seconds: float | None) -> None:
        self.fired = False
        self._con = con
        self._lock = threading.Lock()
        self._active = seconds is not None
        self._timer: threading.Timer | None = None
        if seconds is not None:
            self._timer = threading.Timer(max(float(seconds), 0.001), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._active:
                self.fired = True
                self._con.interrupt()

    def stop(self) -> None:
        with self._lock:
            self._active = False
        if self._timer is not None:
            self._timer.cancel()


class DuckDBEngine(Engine):
    """A DuckDB warehouse file (or ``:memory:``)."""

    name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create: bool = False,
        lock_timeout: float = 30.0,
        read_only: bool = False,
        external_access: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self.external_access = external_access
        self.created = False  # whether opening created the warehouse file
        self.lock_timeout = float(lock_timeout)
        self.read_only = read_only
        self._mutex = threading.RLock()
        self._registered: dict[str, tuple[str, str]] = {}  # lower name -> (name, source path)
        self._con: Any = None
        if self.path == ":memory:":
            self._lock_key = f":memory:{id(self)}"
        else:
            p = Path(self.path).expanduser()
            if p.is_dir():
                raise WarehouseNotFound(
                    f"warehouse path '{self.path}' is a folder, not a DuckDB file",
                    hint="pass the path of a .duckdb file with --warehouse PATH",
                    path=self.path,
                )
            if not p.exists():
                if not create or read_only:
                    raise WarehouseNotFound(
                        f"warehouse file '{self.path}' does not exist",
                        hint="create one from your files with `datamorph load FILE_OR_FOLDER --warehouse PATH`, "
                        "or pass --warehouse PATH of an existing warehouse",
                        path=self.path,
                    )
                p.parent.mkdir(parents=True, exist_ok=True)
                self.created = True
            else:
                _refuse_foreign_file(p, self.path)
            self._lock_key = str(p.resolve())
            self.path = str(p)
        self._schemas_ready: set[str] = set()  # DataMorph schemas known to exist in this warehouse
        self._con = self._open()
        self._db: str = self._con.execute("SELECT current_database()").fetchone()[0]

    # -- connection -------------------------------------------------------------
    def _open(self) -> Any:
        duckdb = _duckdb()

        def connect_once() -> Any:
            config: dict[str, Any] = dict(_CONNECT_CONFIG)
            if not self.external_access:
                config.update(_RESTRICTED_CONFIG)
            con = duckdb.connect(self.path, read_only=self.read_only, config=config)
            if not self.external_access:
                _restrict(con)
            return con

        def locked(e: BaseException) -> bool:  # another process holds the file: wait for it
            return isinstance(e, duckdb.IOException) and "could not set lock" in str(e).lower()

        try:
            return retry_while_locked(connect_once, self.lock_timeout, locked)
        except duckdb.IOException as e:
            msg = str(e)
            if not locked(e):
                raise self._open_error(e) from e
            pid = re.search(r"PID (\d+)", msg)
            holder = f" (process {pid.group(1)})" if pid else ""
            raise ConcurrencyError(
                f"warehouse file '{self.path}' is locked: another DataMorph run or program{holder} has it open",
                hint=f"waited {self.lock_timeout:g}s; close the other program or wait for the run to "
                "finish, or wait longer with DATAMORPH_LOCK_TIMEOUT",
                path=self.path,
                detail=_duck_message(e),
            ) from e
        except duckdb.ConnectionException as e:
            raise ConcurrencyError(
                f"warehouse file '{self.path}' is already open in this process with different settings",
                hint="close the other engine first, or open both read-write (or both read-only)",
                path=self.path,
                detail=_duck_message(e),
            ) from e
        except duckdb.Error as e:
            raise self._open_error(e) from e

    def _open_error(self, e: BaseException) -> DataMorphError:
        msg = _duck_message(e)
        if "not a valid duckdb database" in msg.lower():
            return WarehouseNotFound(
                f"'{self.path}' is not a DuckDB database file",
                hint=_FOREIGN_HINT,
                path=self.path,
                detail=msg,
            )
        return WarehouseNotFound(
            f"cannot open warehouse file '{self.path}': {msg}",
            hint="check the path and its permissions, and that it was written by a compatible DuckDB version",
            path=self.path,
        )

    def close(self) -> None:
        with self._mutex:
            if self._con is not None:
                try:
                    self._con.close()
                finally:
                    self._con = None

    def _conn(self) -> Any:
        if self._con is None:
            raise ExecutionError(
                f"the connection to '{self.path}' is closed", hint="open the warehouse again"
            )
        return self._con

    def interrupt(self) -> None:
        con = self._con  # not under the mutex: the statement to stop holds it
        if con is not None:
            con.interrupt()

    def set_memory_limit(self, limit: str) -> bool:
        """DuckDB's ``memory_limit``: a setting of the database, so every connection of this process to the
        warehouse file shares it."""
        with self._mutex:
            self._conn().execute(f"SET memory_limit = {_literal(limit)}")
        return True

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run internal SQL (errors propagate as DuckDB exceptions)."""
        with self._mutex:
            return self._conn().execute(sql, params or None).fetchall()

    def remove_created(self) -> None:
        self.close()
        if self.created and self.path != ":memory:":
            for p in (Path(self.path), Path(f"{self.path}.wal")):
                p.unlink(missing_ok=True)

    def _load_plan(self, plan: LoadPlan, *, replace: bool) -> LoadResult:
        """``CREATE OR REPLACE TABLE main.t AS <file reader>`` in one transaction (a view of that name is dropped)."""
        duckdb = _duckdb()

        target = _table_sql(plan.table, "main", self._db)
        found = self._find(plan.table)
        if found is not None and not replace:
            raise ConfigError(f"the warehouse already has a {found[0]} called '{plan.table}'",
                              hint="pass --replace to replace it, or --table to load under another name",
                              table=plan.table)  # fmt: skip
        try:
            with self._mutex, self._transaction():
                if found is not None and found[0] == "view":
                    self._rows(f"DROP VIEW {target}")
                self._rows(f"CREATE OR REPLACE TABLE {target} AS {plan.select}")
        except duckdb.Error as e:  # e.g. a bad line past the sniffer's sample; nothing was written
            raise read_error(e, plan.source) from e
        cols = self.table_columns(f"main.{plan.table}")
        rows = int(self.scalar(f"SELECT count(*) FROM {target}") or 0)
        return LoadResult(plan.table, rows, [(c.name, c.type) for c in cols])


    # -- object lookup ----------------------------------------------------------
    def _objects(self) -> list[tuple[str, str, str, str, bool, str | None]]:
        """(database, schema, name, kind, temporary, view_sql) of every non-internal table and view."""
        return self._rows(
            "SELECT database_name, schema_name, table_name, 'table', temporary, NULL FROM duckdb_tables() "
            "WHERE NOT internal "
            "UNION ALL "
            "SELECT database_name, schema_name, view_name, 'view', temporary, sql FROM duckdb_views() "
            "WHERE NOT internal"
        )

    def _find(self, name: str, schema: str = "main", *, temp: bool = False) -> tuple[str, str | None] | None:
        """(kind, view sql) of ``schema.name`` in the warehouse (or in temp), or None."""
        db = "temp" if temp else self._db
        for d, s, n, kind, _tmp, sql in self._objects():
            if d == db and s.lower() == schema.lower() and n.lower() == name.lower():
                return kind, sql
        return None

    def _resolve(self, text: str) -> tuple[str, str, str]:
        """(database, schema, name) of a table or view the user named, staging and history included.

        The text is first taken as a whole name (names may hold dots), then as ``schema.name``.
        Unqualified names resolve like DuckDB does: temp objects, then ``main``, then other schemas.
        """
        objs = [o for o in self._objects() if o[0] in (self._db, "temp") and o[1] not in _SYSTEM_SCHEMAS]
        stripped = text.strip()
        attempts: list[tuple[str | None, str]] = [(None, stripped)]
        schema, bare = _split_qualified(stripped)
        if schema is not None or bare != stripped:
            attempts.append((schema, bare))
        for want_schema, want_name in attempts:
            low = want_name.lower()
            hits = [o for o in objs if o[2].lower() == low]
            if want_schema is None:
                hits.sort(key=lambda o: 0 if o[0] == "temp" else 1 if o[1] == "main" else 2)
            elif want_schema.lower() == "temp":
                hits = [o for o in hits if o[0] == "temp"]
            else:
                hits = [o for o in hits if o[1].lower() == want_schema.lower()]
                hits.sort(key=lambda o: o[0] == "temp")  # an explicit schema means the warehouse first
            if hits:
                return hits[0][0], hits[0][1], hits[0][2]
        names = [o[2] for o in objs] + [f"{o[1]}.{o[2]}" for o in objs if o[1] != "main"]
        raise CatalogError(
            f"unknown table '{text}'",
            hint=suggestion(text, names) or "list the tables with the catalog",
            table=text,
        )

    def _columns_of(self, db: str, schema: str, name: str) -> list[ColumnInfo]:
        rows = self._rows(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [db, schema, name],
        )
        return [ColumnInfo(r[0], r[1], bool(r[2])) for r in rows]

    def _count(self, db: str, schema: str, name: str) -> int | None:
        duckdb = _duckdb()

        try:
            return int(self._rows(f"SELECT count(*) FROM {_table_sql(name, schema, db)}")[0][0])
        except duckdb.PermissionException as e:
            raise self._file_access_error(db, schema, name) from e
        except Exception:  # a view over a vanished file has no count
            return None

    def _file_access_error(self, db: str, schema: str, name: str) -> CatalogError:
        """The real reason a view over files cannot be read: external file access is off here."""
        view_sql = next((o[5] for o in self._objects() if o[:3] == (db, schema, name)), None) or ""
        paths = ", ".join(reader_paths(view_sql)) or "files"
        return CatalogError(
            f"table '{name}' reads files ({paths}) and external file access is off in this process",
            hint="`datamorph serve` reads only the files of tables added with `datamorph register`: register it "
            f"again with `datamorph register {name} PATH`, or copy it into the warehouse with "
            f"`datamorph load PATH --table {name} --replace`",
            table=name,
        )

    # -- reading ----------------------------------------------------------------
    def catalog(
        self, tables: Iterable[str] | None = None, *, row_counts: bool = True, exact: bool = False
    ) -> Catalog:
        with self._mutex:
            return self._catalog(tables, row_counts)

    def _catalog(self, tables: Iterable[str] | None, row_counts: bool) -> Catalog:
        duckdb = _duckdb()

        try:
            objs = self._objects()
            col_rows = self._rows(
                "SELECT database_name, schema_name, table_name, column_name, data_type, is_nullable "
                "FROM duckdb_columns() WHERE NOT internal ORDER BY database_name, schema_name, table_name, column_index"
            )
            con_rows = self._rows(
                "SELECT database_name, schema_name, table_name, constraint_type, constraint_column_names, "
                "referenced_table, referenced_column_names FROM duckdb_constraints() "
                "WHERE constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
            )
        except duckdb.Error as e:
            raise CatalogError(f"cannot read the catalog of '{self.path}': {_duck_message(e)}") from e

        def wanted(o: tuple[Any, ...]) -> bool:
            db, schema, name, kind, temporary, _sql = o
            if temporary or db == "temp":
                return kind == "view" and name.lower() in self._registered
            return db == self._db and schema not in INTERNAL_SCHEMAS and schema not in _SYSTEM_SCHEMAS

        def priority(o: tuple[Any, ...]) -> tuple[int, str, str]:
            # what an unqualified name means in DuckDB: temp, then main, then other schemas
            return (0 if o[0] == "temp" else 1 if o[1] == "main" else 2, o[1], o[2])

        columns: dict[tuple[str, str, str], list[ColumnInfo]] = {}
        for db, schema, name, col, typ, nullable in col_rows:
            columns.setdefault((db, schema, name), []).append(ColumnInfo(col, typ, bool(nullable)))
        pks: dict[tuple[str, str, str], list[str]] = {}
        fks: dict[tuple[str, str, str], list[ForeignKey]] = {}
        for db, schema, name, ctype, cols, ref_table, ref_cols in con_rows:
            key = (db, schema, name)
            if ctype == "PRIMARY KEY":
                pks[key] = list(cols)
            elif ref_table:
                fks.setdefault(key, []).append(ForeignKey(tuple(cols), ref_table, tuple(ref_cols or ())))

        infos: dict[str, TableInfo] = {}
        where: dict[str, str] = {}  # lower name -> database
        for o in sorted(filter(wanted, objs), key=priority):
            db, schema, name, kind, _temporary, _sql = o
            low = name.lower()
            if low in infos:
                continue  # shadowed by an object DuckDB would pick first
            key = (db, schema, name)
            reg = self._registered.get(low)
            infos[low] = TableInfo(
                name=name,
                columns=columns.get(key, []),
                schema="temp" if db == "temp" else schema,
                kind="file" if reg else ("table" if kind == "table" else "view"),
                primary_key=pks.get(key, []),
                foreign_keys=list(fks.get(key, [])),
                source=reg[1] if reg else None,
            )
            where[low] = db

        if tables is not None:
            lookup = Catalog(dict(infos), dialect=self.dialect)  # no inference: only used to resolve names
            chosen: dict[str, TableInfo] = {}
            for t in tables:
                info = lookup.table(t)  # CatalogError with did-you-mean
                chosen[info.name.lower()] = info
            infos = chosen

        if row_counts:
            for low, info in infos.items():
                schema = "main" if info.schema == "temp" else info.schema
                info.row_count = self._count(where[low], schema, info.name)
        return Catalog.of(infos.values(), dialect=self.dialect)

    def fetch(
        self,
        sql: str,
        params: list[Any] | None = None,
        *,
        max_rows: int | None = None,
        timeout_s: float | None = None,
        max_bytes: int | None = None,
    ) -> QueryResult:
        duckdb = _duckdb()

        with self._mutex:
            con = self._conn()
            deadline = _Deadline(con, timeout_s)  # DuckDB has no statement timeout: interrupt() from a timer
            try:
                cur = con.execute(sql, params or None)  # a streaming result: rows are produced as read
                if cur.description is None:
                    return QueryResult([], [])
                columns = [d[0] for d in cur.description]
                if max_rows is None and max_bytes is None:
                    return QueryResult(columns, [tuple(r) for r in cur.fetchall()])
                try:
                    rows, truncated = read_limited(cur.fetchmany, columns, sql, max_rows=max_rows,
                                                   max_bytes=max_bytes)  # fmt: skip
                except ExecutionError:  # past max_bytes: drop the rest of the result now, not at the next query
                    cur.abort()
                    raise
                if truncated:
                    cur.abort()
            except duckdb.InterruptException as e:
                if not deadline.fired:
                    raise ExecutionError(f"query failed: {_duck_message(e)}", sql=sql, params=params) from e
                assert timeout_s is not None  # only a deadline fires
                raise query_timeout(sql, timeout_s) from e
            except duckdb.Error as e:
                raise ExecutionError(f"query failed: {_duck_message(e)}", sql=sql, params=params) from e
            finally:
                deadline.stop()
        return QueryResult(columns, rows, truncated)

    def sample(self, table: str, limit: int = 10) -> QueryResult:
        n = int(limit)
        if n < 0:
            raise ExecutionError(f"sample size must be 0 or more, got {limit}")
        with self._mutex:
            db, schema, name = self._resolve(table)
            sql = f"SELECT * FROM {_table_sql(name, schema, db)} USING SAMPLE reservoir({n} ROWS)"
            return self.fetch(sql)

    def read_arrow(
        self,
        table: str,
        columns: Sequence[str] | None = None,
        *,
        where_in: tuple[str, Sequence[Any]] | None = None,
    ) -> Any:
        duckdb = _duckdb()

        cols = ", ".join(exp.column(c, quoted=True).sql(dialect="duckdb") for c in columns) if columns else "*"
        with self._mutex:
            db, schema, name = self._resolve(table)
            sql = f"SELECT {cols} FROM {_table_sql(name, schema, db)}"
            params: list[Any] | None = None
            if where_in is not None:
                column, values = where_in
                values = [v for v in values if v is not None]
                key = exp.column(column, quoted=True).sql(dialect="duckdb")
                sql += f" WHERE {key} IN (SELECT unnest(?))" if values else " WHERE false"
                params = [values] if values else None
            try:
                rel = self._conn().sql(sql, params=params) if params else self._conn().sql(sql)
                to_arrow = getattr(rel, "to_arrow_table", None) or rel.arrow  # duckdb < 1.4: arrow()
                return to_arrow()
            except duckdb.Error as e:
                raise ExecutionError(f"reading '{table}' failed: {_duck_message(e)}", sql=sql) from e

    def text_collations(self, table: str) -> dict[str, str]:
        import sqlglot

        with self._mutex:
            db, schema, name = self._resolve(table)
            default = str(self._rows("SELECT current_setting('default_collation')")[0][0] or "")
            rows = self._rows(
                "SELECT sql FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? AND table_name = ?",
                [db, schema, name],
            )
            columns = self._columns_of(db, schema, name)
        out: dict[str, str] = {}
        if rows and rows[0][0]:
            try:
                tree = sqlglot.parse_one(rows[0][0], read="duckdb")
            except Exception:  # an unreadable definition: say so rather than guess
                return {c.name: "unknown" for c in columns if c.family == "text"}
            for cd in tree.find_all(exp.ColumnDef):
                for con in cd.args.get("constraints") or []:
                    if isinstance(con.args.get("kind"), exp.CollateColumnConstraint):
                        out[cd.name] = con.args["kind"].this.name or con.args["kind"].sql(dialect="duckdb")
        if default and default.lower() not in ("binary", "c"):
            for c in columns:
                if c.family == "text":
                    out.setdefault(c.name, default)
        return out

    def table_columns(self, qualified_table: str) -> list[ColumnInfo]:
        with self._mutex:
            db, schema, name = self._resolve(qualified_table)
            return self._columns_of(db, schema, name)

    # -- write–audit–publish ----------------------------------------------------
    @staticmethod
    def _target_name(target: str) -> str:
        """The bare table name of a target; targets always live in the warehouse's ``main`` schema."""
        schema, name = _split_qualified(target)
        if schema is None or not name:
            return target.strip()
        if schema.lower() != "main":
            raise TargetConflict(
                f"target '{target}' is not in the main schema",
                hint="name the target without a schema; DataMorph writes targets to main",
                target=target,
            )
        return name

    @staticmethod
    def _staged_name(staged: str) -> str:
        schema, name = _split_qualified(staged)
        if schema is not None and schema.lower() != STAGING_SCHEMA:
            raise ExecutionError(
                f"'{staged}' is not a staging table",
                hint=f"staging tables live in the {STAGING_SCHEMA} schema; pass the name stage() returned",
                table=staged,
            )
        return name

    def stage(self, select_sql: str, target: str, run_id: str) -> str:
        duckdb = _duckdb()

        self._require_writable(f"stage '{target}'", ExecutionError)
        name = f"{self._target_name(target)}__{run_id}"
        body = select_sql.strip().rstrip(";").strip()
        sql = f"CREATE OR REPLACE TABLE {_table_sql(name, STAGING_SCHEMA, self._db)} AS {body}"
        with self._mutex:
            try:
                self._ensure_schemas(STAGING_SCHEMA)
                self._conn().execute(sql)
            except duckdb.Error as e:
                raise ExecutionError(
                    f"staging '{target}' failed: {_duck_message(e)}",
                    sql=select_sql,
                    target=target,
                    run_id=run_id,
                ) from e
        return _display_name(STAGING_SCHEMA, name)

    def drop_staged(self, staged: str) -> None:
        duckdb = _duckdb()

        name = self._staged_name(staged)
        with self._mutex:
            try:
                self._conn().execute(f"DROP TABLE IF EXISTS {_table_sql(name, STAGING_SCHEMA, self._db)}")
            except duckdb.CatalogException:
                pass  # no staging schema: nothing to drop
            except duckdb.Error as e:
                raise ExecutionError(f"dropping staging table '{staged}' failed: {_duck_message(e)}") from e

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        con = self._conn()
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except Exception:  # a failed COMMIT already ended the transaction
                pass
            raise

    def _ensure_schemas(self, *schemas: str) -> None:
        """Create DataMorph's schemas (and the versions table with the history schema) if missing.

        Runs in its own autocommit statements, outside any publish transaction, one thread of the
        process at a time, and only until they exist.
        """
        missing = [s for s in schemas if s not in self._schemas_ready]
        if not missing:
            return
        with _TARGET_LOCKS_GUARD:
            lock = _SCHEMA_LOCKS.setdefault(self._lock_key, threading.Lock())
        with lock:
            con = self._conn()
            for schema in missing:
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {_table_sql(schema, self._db)}")
                if schema == HISTORY_SCHEMA:
                    con.execute(
                        f"CREATE TABLE IF NOT EXISTS {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} "
                        "(target VARCHAR, history_table VARCHAR, run_id VARCHAR, archived_at TIMESTAMP, "
                        "row_count BIGINT)"
                    )
                self._schemas_ready.add(schema)

    # hooks of Engine.publish / Engine.rollback: versions are copies, the switch one DuckDB transaction
    @contextmanager
    def _writing(self) -> Iterator[None]:
        with self._mutex:
            yield

    @contextmanager
    def _switch_transaction(self, tname: str) -> Iterator[Any]:
        self._ensure_schemas(HISTORY_SCHEMA)
        with self._transaction() as con:
            yield con

    def _engine_errors(self) -> tuple[type[BaseException], ...]:
        return (_duckdb().Error,)

    def _error_text(self, error: BaseException) -> str:
        return _duck_message(error)

    def _staged_gone(self, sname: str) -> bool:
        return self._find(sname, STAGING_SCHEMA) is None

    def _staged_table(self, con: Any, sname: str) -> Any:
        return sname  # not looked up first: a missing one fails the copy (see _staged_gone)

    def _current_target(self, con: Any, tname: str) -> Current | None:
        found = self._find(tname)
        return None if found is None else Current(found[0], found[0] == "table" and self.is_managed(tname), tname)

    def _version_count(self, con: Any, target: str) -> int:
        return int(con.execute(f"SELECT count(*) FROM {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} "
                               "WHERE lower(target) = lower(?)", [target]).fetchone()[0])  # fmt: skip

    def _history_name_taken(self, con: Any, hist: str) -> bool:
        return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                                "AND lower(table_name) = lower(?)", [self._db, HISTORY_SCHEMA, hist]).fetchone()[0])  # fmt: skip

    def _store_version(self, con: Any, current: Current, hist: str) -> int | None:
        """Copy ``main.<target>`` into the history schema, with its comment."""
        target = current.handle
        con.execute(
            f"CREATE TABLE {_table_sql(hist, HISTORY_SCHEMA, self._db)} AS "
            f"SELECT * FROM {_table_sql(target, 'main', self._db)}"
        )
        rows = con.execute(f"SELECT count(*) FROM {_table_sql(hist, HISTORY_SCHEMA, self._db)}").fetchone()[0]
        note = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
            "AND lower(table_name) = lower(?)", [self._db, target]
        ).fetchone()
        if note and note[0]:  # the version keeps the note of the run that published it
            con.execute(f"COMMENT ON TABLE {_table_sql(hist, HISTORY_SCHEMA, self._db)} IS {_literal(str(note[0]))}")
        return int(rows)

    def _record_version(self, con: Any, target: str, hist: str, run_id: str, rows: int | None) -> None:
        con.execute(f"INSERT INTO {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} VALUES (?, ?, ?, ?, ?)",
                    [target, hist, run_id, datetime.now(UTC).replace(tzinfo=None), rows])  # fmt: skip

    def _history_display(self, hist: str) -> str:
        return _display_name(HISTORY_SCHEMA, hist)

    def _replace_target(self, con: Any, tname: str, select_from: str, note: str) -> int:
        target_sql = _table_sql(tname, "main", self._db)
        con.execute(f"CREATE OR REPLACE TABLE {target_sql} AS SELECT * FROM {select_from}")
        con.execute(f"COMMENT ON TABLE {target_sql} IS {_literal(note)}")
        return int(con.execute(f"SELECT count(*) FROM {target_sql}").fetchone()[0])

    def _swap_in(self, con: Any, staged: Any, tname: str, note: str) -> int | None:
        staged_sql = _table_sql(staged, STAGING_SCHEMA, self._db)
        rows = self._replace_target(con, tname, staged_sql, note)
        con.execute(f"DROP TABLE {staged_sql}")
        return rows

    def _history_version(self, con: Any, hist: str) -> tuple[str, Any] | None:
        return (hist, hist) if self._find(hist, HISTORY_SCHEMA) is not None else None

    def _restore(self, con: Any, version: Any, tname: str, note: str) -> int | None:
        return self._replace_target(con, tname, _table_sql(version, HISTORY_SCHEMA, self._db), note)

    def is_managed(self, target: str) -> bool:
        """True when ``main.target`` is a table that publish or rollback wrote (it carries DataMorph's comment).

        A table someone re-created by hand loses the comment, so it is protected again.
        """
        tname = self._target_name(target)
        rows = self._rows(
            "SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
            "AND lower(table_name) = lower(?)",
            [self._db, tname],
        )
        return bool(rows) and str(rows[0][0] or "").startswith(MANAGED_MARK)

    def _target_kind(self, target: str) -> str | None:
        """'table', 'view' or None for ``main.target``; a registered temp view of that name counts as a view."""
        found = self._find(target)
        if found is not None:
            return found[0]
        if self._find(target, temp=True) is not None:
            return "view"
        return None

    def history(self, target: str) -> list[VersionInfo]:
        tname = self._target_name(target)
        with self._mutex:
            if self._find(VERSIONS_TABLE, HISTORY_SCHEMA) is None:
                return []
            rows = self._rows(
                f"SELECT history_table, run_id, archived_at, row_count "
                f"FROM {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} "
                "WHERE lower(target) = lower(?) ORDER BY archived_at DESC, rowid DESC",
                [tname],
            )
        return [
            VersionInfo(
                table=_display_name(HISTORY_SCHEMA, hist),
                run_id=run_id,
                created_at=archived.isoformat() if isinstance(archived, datetime) else str(archived),
                rows=None if count is None else int(count),
            )
            for hist, run_id, archived, count in rows
        ]

    # -- recovery and garbage collection --------------------------------------------
    def _schema_tables(self, schema: str) -> list[str]:
        return [r[0] for r in self._rows("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                         "AND schema_name = ?", [self._db, schema])]  # fmt: skip

    def staging_tables(self) -> list[StagingTable]:
        with self._mutex:
            return [StagingTable(_display_name(STAGING_SCHEMA, n), run_id_in(n)) for n in self._schema_tables(STAGING_SCHEMA)]

    def history_targets(self) -> list[str]:
        with self._mutex:
            if self._find(VERSIONS_TABLE, HISTORY_SCHEMA) is None:
                return []
            rows = self._rows(f"SELECT min(target) FROM {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} "
                              "GROUP BY lower(target) ORDER BY 1")  # fmt: skip
        return [r[0] for r in rows]

    def history_tables(self) -> set[str]:
        with self._mutex:
            return {n.lower() for n in self._schema_tables(HISTORY_SCHEMA) if n.lower() != VERSIONS_TABLE}

    def drop_version(self, target: str, version: VersionInfo) -> None:
        duckdb = _duckdb()

        self._require_writable(f"drop a version of '{target}'", ExecutionError)
        hist = self._bare(version.table)
        with self._mutex:
            try:
                with self._transaction() as con:
                    con.execute(f"DELETE FROM {_table_sql(VERSIONS_TABLE, HISTORY_SCHEMA, self._db)} "
                                "WHERE lower(target) = lower(?) AND history_table = ?", [target, hist])  # fmt: skip
                    con.execute(f"DROP TABLE IF EXISTS {_table_sql(hist, HISTORY_SCHEMA, self._db)}")
            except duckdb.Error as e:
                raise ExecutionError(f"dropping version {version.table} of '{target}' failed: {_duck_message(e)}",
                                     target=target) from e  # fmt: skip

    def table_note(self, table: str) -> str | None:
        with self._mutex:
            db, schema, name = self._resolve(table)
            rows = self._rows("SELECT comment FROM duckdb_tables() WHERE database_name = ? AND schema_name = ? "
                              "AND table_name = ?", [db, schema, name])  # fmt: skip
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def storage_size(self) -> int | None:
        if self.path == ":memory:":
            return None
        return sum(os.path.getsize(f) for f in (self.path, self.path + ".wal") if os.path.exists(f))

    def compact(self) -> bool:
        """CHECKPOINT; then, when at least :data:`COMPACT_FREE_SHARE` of the file is free blocks, rewrite it.

        DuckDB reuses the blocks of dropped tables but never gives them back to the file system, so
        the file only shrinks when it is rewritten: the whole database is copied into a new file
        (``COPY FROM DATABASE``: tables, views, constraints, comments) that then atomically replaces
        the old one, and the connection is reopened. Needs external access (ATTACH) and a writable file.
        """
        duckdb = _duckdb()

        with self._mutex:
            con = self._conn()
            con.execute("CHECKPOINT")
            if self.path == ":memory:" or self.read_only or not self.external_access:
                return False
            _name, _size, _block, total, _used, free, *_ = con.execute("PRAGMA database_size").fetchone()
            if not total or free < total * COMPACT_FREE_SHARE:
                return False
            tmp = self.path + ".compact"
            for f in (tmp, tmp + ".wal"):
                if os.path.exists(f):
                    os.remove(f)
            try:
                con.execute(f"ATTACH {_literal(tmp)} AS datamorph_compact")
                try:
                    con.execute(f"COPY FROM DATABASE {_ident(self._db).sql(dialect='duckdb')} TO datamorph_compact")
                finally:
                    con.execute("DETACH datamorph_compact")
            except duckdb.Error as e:
                for f in (tmp, tmp + ".wal"):
                    if os.path.exists(f):
                        os.remove(f)
                raise ExecutionError(f"compacting '{self.path}' failed: {_duck_message(e)}",
                                     hint="the warehouse was left as it was") from e  # fmt: skip
            # swap while the old file is still held, so no other process can open it in between
            os.replace(tmp, self.path)
            self._con = None
            try:
                con.close()
            finally:
                self._schemas_ready.clear()
                self._registered.clear()  # temporary views went with the old connection
                self._con = self._open()
            return True

    # -- files --------------------------------------------------------------------
    def register_file(
        self, name: str, path: str, *, persist: bool = False, options: CsvOptions | None = None
    ) -> TableInfo:
        duckdb = _duckdb()

        if persist:
            self._require_writable(f"register '{name}' permanently", ConfigError)
        if not self.external_access:
            raise ConfigError(
                f"cannot register '{path}': this warehouse was opened with external file access off",
                hint="register files with `datamorph register` outside the server, then restart it",
                path=str(path),
            )
        select, source = read_sql(path, options)  # checks every CSV file first
        with self._mutex:
            existing = self._find(name)
            if existing is not None:
                kind, view_sql = existing
                is_file_view = kind == "view" and any(r in (view_sql or "").lower() for r in FILE_READERS)
                if not (persist and is_file_view):
                    raise ConfigError(
                        f"the warehouse already has a {kind} called '{name}'",
                        hint="register the file under another name"
                        + (" (or pass persist to replace a registered file view)" if is_file_view else ""),
                        table=name,
                    )
            con = self._conn()
            try:  # read every row once: a bad line past the sniffer's sample fails now, not in a run
                rows = int(con.execute(f"SELECT count(*) FROM ({select})").fetchone()[0])
            except duckdb.Error as e:
                raise read_error(e, source) from e
            db, schema = ("temp", "main") if not persist else (self._db, "main")
            view = _table_sql(name, schema, db)
            try:
                if persist:
                    con.execute(f"DROP VIEW IF EXISTS {_table_sql(name, 'main', 'temp')}")
                    con.execute(f"CREATE OR REPLACE VIEW {view} AS {select}")
                    # the mark tells `datamorph serve` which files it may read (see _restrict)
                    con.execute(f"COMMENT ON VIEW {view} IS {_literal(f'{FILE_MARK} {source}')}")
                else:
                    con.execute(f"CREATE OR REPLACE TEMP VIEW {_table_sql(name)} AS {select}")
            except duckdb.Error as e:
                raise read_error(e, source) from e
            self._registered[name.lower()] = (name, source)
            return TableInfo(
                name=name,
                columns=self._columns_of(db, schema, name),
                schema="temp" if not persist else "main",
                kind="file",
                row_count=rows,
                source=source,
            )

    # -- locking --------------------------------------------------------------------
    @contextmanager
    def target_lock(self, target: str) -> Iterator[None]:
        key = (self._lock_key, target.strip().lower())
        with _TARGET_LOCKS_GUARD:
            lock = _TARGET_LOCKS.setdefault(key, threading.RLock())
        acquired = (
            lock.acquire(timeout=self.lock_timeout) if self.lock_timeout > 0 else lock.acquire(blocking=False)
        )
        if not acquired:
            raise ConcurrencyError(
                f"target '{target}' is being written by another run in this process",
                hint=f"waited {self.lock_timeout:g}s; let the other run finish, then retry",
                target=target,
            )
        try:
            yield
        finally:
            lock.release()
