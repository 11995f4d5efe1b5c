"""The Apache Spark engine: ``--warehouse spark:///ABSOLUTE/DIR`` (local) or ``spark://HOST:PORT/DIR`` (a cluster).

A warehouse is a folder: Parquet folders under ``DIR/data`` and the catalog in ``DIR/catalog.db``
(:mod:`datamorph.engines.spark_catalog`, SQLite: Derby, the metastore Spark runs without a server,
admits one process at a time). One SparkSession per process (``local[*]``, or the master of a
``spark://`` address or ``DATAMORPH_SPARK_MASTER``; ``DATAMORPH_SPARK_CONF_*`` variables add Spark
settings); before it runs SQL, an engine registers the warehouse's tables in the session's
in-memory catalog (``default``, ``datamorph_staging``, ``datamorph_history``), again only after
the catalog changed.

Write–audit–publish. Overwriting a Spark table is not atomic (files are deleted, then written), so
a table's files are never rewritten: every staged result is a new Parquet folder (a version), and
the target is a catalog entry that points at one. ``publish`` is one SQLite transaction that renames
the current target entry into ``datamorph_history`` (its files stay where they are) and renames the
staging entry to the target. It switches the *catalog entry*, rather than running ``ALTER TABLE ...
SET LOCATION`` on a Spark table, because a location change keeps the table's old columns, and a new
version may have other columns. What a SIGKILL leaves:

* while staging: a ``datamorph_staging`` entry (recorded before the files are written) and maybe
  part of its folder; the next command's sweep drops both. The target is untouched.
* inside publish, before the commit: SQLite rolls the transaction back; the target is the old version.
* after the commit: the target is the new version; the old one is in history.
* after a drop of a version, before its folder is deleted: an unreferenced folder, which
  ``compact`` (``datamorph gc``) removes. A folder a catalog entry still points at is never deleted.

``rollback`` points the target at the newest history version's folder in one transaction the same
way (the version it replaces goes to history). Source tables are never written.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from sqlglot import exp

from datamorph.catalog import Catalog, ColumnInfo, ForeignKey, TableInfo
from datamorph.engines.base import (
    HISTORY_SCHEMA,
    MANAGED_MARK,
    STAGING_SCHEMA,
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
from datamorph.engines.files import CsvOptions, LoadPlan, file_reader, file_source, read_error, read_sql
from datamorph.engines.names import one_line
from datamorph.engines.spark_catalog import CATALOG_FILE, DEFAULT_SCHEMA, Obj, SparkCatalog
from datamorph.errors import (
    CatalogError,
    ConcurrencyError,
    ConfigError,
    ExecutionError,
    TargetConflict,
    WarehouseNotFound,
    suggestion,
)

MASTER_ENV = "DATAMORPH_SPARK_MASTER"
CONF_ENV_PREFIX = "DATAMORPH_SPARK_CONF_"
SCHEMAS = (DEFAULT_SCHEMA, STAGING_SCHEMA, HISTORY_SCHEMA)
COMPACT_MIN_AGE_S = 600
EXACT_COUNT_ROWS = 10_000_000  # views are counted for the catalog only while the tables hold fewer rows  # registered CSV files above this size get an estimated row count

# One SparkSession per process; every engine of the process runs Spark SQL under _SPARK_LOCK, and
# _REGISTERED says which warehouse's tables the session's catalog holds now (and at which generation).
_SPARK_LOCK = threading.RLock()
_SESSION: Any = None
_SESSION_MASTER: str | None = None
_REGISTERED: dict[str, Any] = {"folder": None, "generation": -1, "tables": {}}


def _ident(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="spark")


def _table_sql(name: str, schema: str | None = None) -> str:
    return f"{_ident(schema)}.{_ident(name)}" if schema else _ident(name)


def _display(schema: str, name: str) -> str:
    """``schema.name`` as Spark SQL, quoting only where needed."""
    return exp.table_(exp.to_identifier(name), db=exp.to_identifier(schema)).sql(dialect="spark")


def _spark_name(text: str) -> str:
    """A name Spark's catalog accepts for a staging or history table (letters, digits, ``_``): other
    characters become ``_``, plus a short hash of the original when any did."""
    safe = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return safe if safe == text else f"{safe}_{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def _literal(value: str) -> str:
    return exp.Literal.string(value).sql(dialect="spark")


def _message(err: BaseException) -> str:
    """Spark's message on one line, without the query plan it appends."""
    text = str(getattr(err, "getMessage", lambda: None)() or err)
    text = text.split("\n== ")[0].split(";\n'")[0].split("\nJVM stacktrace:")[0].split("\n\tat ")[0]
    text = re.sub(r"^An error occurred while calling [\w.]+\.\s*:\s*[\w.$]+:\s*", "", text.strip())
    return one_line(re.sub(r"\s*SQLSTATE: \w+", "", text))[:2000] or type(err).__name__


def parse_address(warehouse: str) -> tuple[str, Path]:
    """(Spark master, warehouse folder) of ``spark:///DIR`` or ``spark://HOST:PORT/DIR``."""
    parts = urlsplit(warehouse)
    if parts.scheme != "spark" or not parts.path.startswith("/"):
        raise ConfigError(f"'{warehouse}' is not a Spark warehouse address",
                          hint="use spark:///ABSOLUTE/DIR (local) or spark://HOST:PORT/ABSOLUTE/DIR (a cluster)")  # fmt: skip
    master = f"spark://{parts.netloc}" if parts.netloc else "local[*]"
    return os.environ.get(MASTER_ENV) or master, Path(parts.path)


def spark_conf(env: dict[str, str] | None = None) -> dict[str, str]:
    """Settings from ``DATAMORPH_SPARK_CONF_*``: ``..._X="spark.key=value"``, or ``..._SPARK_EXECUTOR_MEMORY=2g``
    (the name after the prefix, lower case, ``_`` read as ``.``)."""
    out: dict[str, str] = {}
    for key, value in sorted((env if env is not None else os.environ).items()):
        if not key.startswith(CONF_ENV_PREFIX):
            continue
        if "=" in value and value.split("=", 1)[0].strip().startswith("spark."):
            k, v = value.split("=", 1)
            out[k.strip()] = v.strip()
        else:
            out[key[len(CONF_ENV_PREFIX):].lower().replace("_", ".")] = value
    return out


def session(master: str = "local[*]") -> Any:
    """The process's SparkSession, started on first use (UI off, bound to 127.0.0.1 when local)."""
    global _SESSION, _SESSION_MASTER
    with _SPARK_LOCK:
        if _SESSION is not None:
            if master != _SESSION_MASTER:
                raise ConfigError(f"this process already runs Spark on {_SESSION_MASTER}; cannot also use {master}",
                                  hint="use one Spark master per process")  # fmt: skip
            return _SESSION
        try:
            from pyspark.sql import SparkSession
        except ImportError as e:
            raise ConfigError("the Spark engine needs pyspark", hint='pip install "datamorph[spark]"') from e
        import tempfile

        scratch = tempfile.mkdtemp(prefix="datamorph_spark_")
        builder = SparkSession.builder.master(master).appName("datamorph")
        conf = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "4",
            "spark.sql.catalogImplementation": "in-memory",
            "spark.sql.warehouse.dir": str(Path(scratch) / "spark-warehouse"),
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.ansi.enabled": "false",  # NULL for 1/0 and bad casts, as the other engines' SQL expects
            "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
            "spark.local.dir": scratch,
        }
        if master.startswith("local"):
            conf.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"})
        conf.update(spark_conf())
        for k, v in conf.items():
            builder = builder.config(k, v)
        _SESSION = builder.getOrCreate()
        _SESSION.sparkContext.setLogLevel("ERROR")
        _SESSION_MASTER = master
        return _SESSION


_ARROW_TO_SPARK = {"bool": "boolean", "int8": "tinyint", "int16": "smallint", "int32": "int", "int64": "bigint",
                   "float": "float", "double": "double", "string": "string", "large_string": "string",
                   "date32[day]": "date", "binary": "binary"}


def parquet_columns(location: str) -> tuple[list[tuple[str, str]], int] | None:
    """(columns with the types Spark reads them as, row count) of a Parquet folder DuckDB wrote, from the files'
    footers (no Spark job); None when a column's type has no plain mapping."""
    import pyarrow.parquet as pq

    files = sorted(Path(location).glob("*.parquet"))
    if not files:
        return None
    schema = pq.read_schema(files[0])
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    cols = []
    for f in schema:
        t = str(f.type)
        m = re.fullmatch(r"decimal128\((\d+), (\d+)\)", t)
        if m:
            cols.append((f.name, f"decimal({m.group(1)},{m.group(2)})"))
        elif t.startswith("timestamp[") and "tz=" not in t:
            cols.append((f.name, "timestamp_ntz"))
        elif t.startswith("timestamp["):
            cols.append((f.name, "timestamp"))
        elif t in _ARROW_TO_SPARK:
            cols.append((f.name, _ARROW_TO_SPARK[t]))
        else:
            return None
    return cols, rows


def _spark_errors() -> tuple[type[BaseException], ...]:
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JError)


class SparkEngine(Engine):
    """A Spark warehouse folder (see the module docstring)."""

    name: ClassVar[str] = "spark"
    dialect: ClassVar[str] = "spark"
    SUPPORTS_TRANSACTIONS: ClassVar[bool] = False

    def __init__(self, warehouse: str, *, create: bool = False, lock_timeout: float = 30.0,
                 read_only: bool = False, external_access: bool = True) -> None:  # fmt: skip
        self.address = warehouse
        self.master, self.folder = parse_address(warehouse)
        self.path = str(self.folder)
        self.lock_timeout = float(lock_timeout)
        self.read_only = read_only
        self.created = False
        self._temp: dict[str, Obj] = {}  # registered files of this engine (temp views), by lower name
        self._tag = f"datamorph-{uuid.uuid4().hex[:12]}"
        self._mutex = threading.RLock()
        exists = (self.folder / CATALOG_FILE).exists()
        if not exists:
            if self.folder.exists() and not self.folder.is_dir():
                raise WarehouseNotFound(f"'{self.folder}' is a file, not a Spark warehouse folder",
                                        hint="pass spark:///ABSOLUTE/DIR of a folder", path=str(self.folder))  # fmt: skip
            if not create or read_only:
                raise WarehouseNotFound(
                    f"Spark warehouse '{self.folder}' does not exist (no {CATALOG_FILE} there)",
                    hint=f"create one from your files with `datamorph load FILE_OR_FOLDER --warehouse {warehouse}`",
                    path=str(self.folder),
                )
            self.folder.mkdir(parents=True, exist_ok=True)
            self.created = True
        self.cat = SparkCatalog(self.folder, create=True, timeout=self.lock_timeout)

    # -- the session -----------------------------------------------------------------------------
    @property
    def spark(self) -> Any:
        return session(self.master)

    def _sync(self) -> None:
        """Register the warehouse's tables in the session (call under _SPARK_LOCK): default-schema tables and
        views as temporary views (Spark's catalog refuses table names with spaces or dashes; a temporary view
        takes any name and is what an unqualified name finds first), staging and history tables as external
        Parquet tables of the databases of those names (their names are made of letters, digits and ``_``)."""
        spark = self.spark
        gen = self.cat.generation()
        folder = str(self.folder)
        if _REGISTERED["folder"] == folder and _REGISTERED["generation"] == gen:
            return
        tables: dict[tuple[str, str], tuple[str, ...]] = _REGISTERED["tables"]

        def drop(key: tuple[str, str]) -> None:
            schema, name = key
            if schema == DEFAULT_SCHEMA:
                spark.sql(f"DROP VIEW IF EXISTS {_ident(name)}")
            else:
                spark.sql(f"DROP TABLE IF EXISTS {_table_sql(name, schema)}")
            tables.pop(key, None)

        if _REGISTERED["folder"] != folder:
            for key in list(tables):
                drop(key)
        for schema in (STAGING_SCHEMA, HISTORY_SCHEMA):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {_ident(schema)}")
        objs = [o for o in self.cat.objects() if o.state == "ready"]
        wanted = {(o.schema, o.name): (o.kind, o.location or "", o.view_sql or "", json.dumps(o.columns)) for o in objs}
        for key in [k for k in tables if wanted.get(k) != tables[k]]:
            drop(key)
        pending = [o for o in objs if (o.schema, o.name) not in tables]
        for o in [o for o in pending if o.kind != "view"]:
            ddl = ", ".join(f"{_ident(c)} {t}" for c, t, _n in o.columns)
            if o.schema == DEFAULT_SCHEMA:
                spark.read.schema(ddl).parquet(o.location).createOrReplaceTempView(_ident(o.name))
            else:
                spark.sql(f"CREATE TABLE {_table_sql(o.name, o.schema)} ({ddl}) USING parquet "
                          f"LOCATION {_literal(o.location or '')}")  # fmt: skip
            tables[(o.schema, o.name)] = wanted[(o.schema, o.name)]
        views = [o for o in pending if o.kind == "view"]
        for _ in range(len(views)):  # views over views: create what can be created, then again
            left = []
            for o in views:
                try:
                    spark.sql(f"CREATE OR REPLACE TEMP VIEW {_ident(o.name)} AS {o.view_sql}")
                    tables[(o.schema, o.name)] = wanted[(o.schema, o.name)]
                except _spark_errors():
                    left.append(o)
            if not left or len(left) == len(views):
                break
            views = left
        _REGISTERED.update(folder=folder, generation=gen)

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """The session with this warehouse's tables registered, held for this thread."""
        with _SPARK_LOCK:
            self._sync()
            yield self.spark

    def close(self) -> None:
        with _SPARK_LOCK:
            if _SESSION is not None:
                for low in list(self._temp):
                    _SESSION.sql(f"DROP VIEW IF EXISTS {_ident(self._temp.pop(low).name)}")
        self.cat.close()

    def interrupt(self) -> None:
        if _SESSION is not None:
            _SESSION.interruptTag(self._tag)


    # -- names -----------------------------------------------------------------------------------
    def _split(self, text: str) -> tuple[str | None, str]:
        text = text.strip()
        if "`" in text or '"' in text:
            try:
                node = exp.to_table(text.replace('"', "`"), dialect="spark")
                if node.name:
                    return node.db or None, node.name
            except Exception:
                pass
        if "." in text:
            schema, name = text.split(".", 1)
            return schema, name
        return None, text

    @staticmethod
    def _schema_of(schema: str | None) -> str | None:
        if schema is None:
            return None
        low = schema.lower()
        return DEFAULT_SCHEMA if low in ("main", "public", DEFAULT_SCHEMA) else low

    def _resolve(self, text: str) -> Obj:
        """The object a user named (temp registrations first, then default, then other schemas)."""
        stripped = text.strip()
        attempts: list[tuple[str | None, str]] = [(None, stripped)]
        schema, bare = self._split(stripped)
        if schema is not None or bare != stripped:
            attempts.append((self._schema_of(schema), bare))
        objs = self.cat.objects()
        for want_schema, want in attempts:
            low = want.lower()
            if want_schema in (None, "temp") and low in self._temp:
                return self._temp[low]
            hits = [o for o in objs if o.name.lower() == low and o.state == "ready"
                    and (want_schema is None or o.schema == want_schema)]  # fmt: skip
            hits.sort(key=lambda o: 0 if o.schema == DEFAULT_SCHEMA else 1)
            if hits:
                return hits[0]
        names = [o.name for o in objs if o.schema == DEFAULT_SCHEMA] + list(self._temp)
        raise CatalogError(f"unknown table '{text}'", hint=suggestion(text, names) or "list the tables with the catalog",
                           table=text)  # fmt: skip

    @staticmethod
    def _ref(o: Obj) -> str:
        return _ident(o.name) if o.schema in ("temp", DEFAULT_SCHEMA) else _table_sql(o.name, o.schema)

    def _target_name(self, target: str) -> str:
        schema, name = self._split(target)
        if schema is None or not name:
            return target.strip()
        if self._schema_of(schema) != DEFAULT_SCHEMA:
            raise TargetConflict(f"target '{target}' is not in the {DEFAULT_SCHEMA} schema",
                                 hint="name the target without a schema; DataMorph writes targets to default",
                                 target=target)  # fmt: skip
        return name

    def _staged_name(self, staged: str) -> str:
        schema, name = self._split(staged)
        if schema is not None and schema.lower() != STAGING_SCHEMA:
            raise ExecutionError(f"'{staged}' is not a staging table",
                                 hint=f"staging tables live in the {STAGING_SCHEMA} schema; pass the name stage() "
                                 "returned", table=staged)  # fmt: skip
        return name

    def _new_location(self, name: str, version: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_")[:60] or "t"
        return str(self.folder / "data" / safe.lower() / f"{version}_{uuid.uuid4().hex[:8]}")

    # -- reading ---------------------------------------------------------------------------------
    def catalog(self, tables: Iterable[str] | None = None, *, row_counts: bool = True, exact: bool = False) -> Catalog:
        infos: dict[str, TableInfo] = {}
        objs = [o for o in self.cat.objects(DEFAULT_SCHEMA) if o.state == "ready"] + list(self._temp.values())
        for o in sorted(objs, key=lambda o: 0 if o.schema == "temp" else 1):
            low = o.name.lower()
            if low in infos:
                continue
            managed = str(o.note or "").startswith(MANAGED_MARK)
            infos[low] = TableInfo(
                name=o.name, columns=[ColumnInfo(c, t, n) for c, t, n in o.columns], schema=o.schema,
                kind="file" if o.kind == "file" else ("view" if o.kind == "view" and not managed else "table"),
                primary_key=list(o.primary_key),
                foreign_keys=[ForeignKey(tuple(a), b, tuple(c)) for a, b, c in o.foreign_keys],
                source=o.source,
            )  # fmt: skip
        if tables is not None:
            lookup = Catalog(dict(infos), dialect=self.dialect)
            chosen: dict[str, TableInfo] = {}
            for t in tables:
                info = lookup.table(t)
                chosen[info.name.lower()] = info
            infos = chosen
        if row_counts:
            for low, info in infos.items():
                found = self._temp.get(low) or self.cat.find(DEFAULT_SCHEMA, info.name)
                info.row_count = self._row_count(found, exact) if found is not None else None
        return Catalog.of(infos.values(), dialect=self.dialect)

    def _row_count(self, o: Obj, exact: bool) -> int | None:
        """Tables and files: the count taken from the Parquet footers when their files were written (exact,
        no Spark job). Views: counted by Spark when the tables hold fewer than EXACT_COUNT_ROWS rows in all
        (or with ``exact``), otherwise left unknown (None) rather than scanning everything for a listing."""
        if o.kind != "view" and o.row_count is not None:
            return o.row_count
        if not exact and sum(t.row_count or 0 for t in self.cat.objects(DEFAULT_SCHEMA)) >= EXACT_COUNT_ROWS:
            return None
        try:
            return int(self.scalar(f"SELECT count(*) FROM {self._ref(o)}") or 0)
        except ExecutionError:
            return None

    def fetch(self, sql: str, params: list[Any] | None = None, *, max_rows: int | None = None,
              timeout_s: float | None = None, max_bytes: int | None = None) -> QueryResult:  # fmt: skip
        errors = _spark_errors()
        timer: threading.Timer | None = None
        fired = threading.Event()
        with self._session() as spark:
            spark.addTag(self._tag)
            if timeout_s is not None:
                def fire() -> None:
                    fired.set()
                    spark.interruptTag(self._tag)

                timer = threading.Timer(max(float(timeout_s), 0.001), fire)
                timer.daemon = True
                timer.start()
            try:
                df = spark.sql(sql, args=list(params)) if params else spark.sql(sql)
                columns = list(df.columns)
                if not columns:
                    return QueryResult([], [])
                if max_rows is None and max_bytes is None:
                    return QueryResult(columns, [tuple(r) for r in df.collect()])
                if max_bytes is None:
                    got = [tuple(r) for r in df.limit(int(max_rows or 0) + 1).collect()]
                    return QueryResult(columns, got[: max_rows], len(got) > int(max_rows or 0))
                it = df.toLocalIterator()

                def fetchmany(n: int) -> list[tuple[Any, ...]]:
                    out = []
                    for r in it:
                        out.append(tuple(r))
                        if len(out) >= n:
                            break
                    return out

                rows, truncated = read_limited(fetchmany, columns, sql, max_rows=max_rows, max_bytes=max_bytes)
                return QueryResult(columns, rows, truncated)
            except errors as e:
                if fired.is_set():
                    assert timeout_s is not None
                    raise query_timeout(sql, timeout_s) from e
                raise ExecutionError(f"query failed: {_message(e)}", sql=sql, params=params) from e
            finally:
                if timer is not None:
                    timer.cancel()
                spark.removeTag(self._tag)

    def sample(self, table: str, limit: int = 10) -> QueryResult:
        n = int(limit)
        if n < 0:
            raise ExecutionError(f"sample size must be 0 or more, got {limit}")
        o = self._resolve(table)
        return self.fetch(f"SELECT * FROM {self._ref(o)} ORDER BY rand() LIMIT {n}")

    def read_arrow(self, table: str, columns: Sequence[str] | None = None, *,
                   where_in: tuple[str, Sequence[Any]] | None = None) -> Any:  # fmt: skip
        """The rows through Arrow (``DataFrame.toArrow``); ``where_in`` is an ``isin`` filter."""
        from pyspark.sql import functions as F

        o = self._resolve(table)
        with self._session() as spark:
            try:
                df = spark.table(self._ref(o))
                if where_in is not None:
                    column, values = where_in
                    kept = [v for v in values if v is not None]
                    df = df.where(F.col(_ident(column)).isin(kept)) if kept else df.where(F.lit(False))
                if columns:
                    df = df.select(*[F.col(_ident(c)) for c in columns])
                return df.toArrow()
            except _spark_errors() as e:
                raise ExecutionError(f"reading '{table}' failed: {_message(e)}") from e

    def text_collations(self, table: str) -> dict[str, str]:
        o = self._resolve(table)
        out = {}
        for c, t, _n in o.columns:
            m = re.search(r"collate\s+(\w+)", t, re.IGNORECASE)
            if m and m.group(1).upper() != "UTF8_BINARY":
                out[c] = m.group(1)
        return out

    def table_columns(self, qualified_table: str) -> list[ColumnInfo]:
        o = self._resolve(qualified_table)
        return [ColumnInfo(c, t, n) for c, t, n in o.columns]

    # -- writing files -----------------------------------------------------------------------------
    def _write(self, df: Any, location: str) -> tuple[list[tuple[str, str, bool]], int]:
        """Write ``df`` as a new Parquet folder; (its columns, its row count from the files' footers)."""
        import pyarrow.parquet as pq

        df.write.mode("errorifexists").parquet(location)
        cols = [(f.name, f.dataType.simpleString(), f.nullable) for f in df.schema.fields]
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in Path(location).glob("*.parquet"))
        return cols, int(rows)

    @staticmethod
    def _remove(location: str | None) -> None:
        if location and os.path.isdir(location):
            shutil.rmtree(location, ignore_errors=True)

    # -- write–audit–publish -------------------------------------------------------------------------
    def stage(self, select_sql: str, target: str, run_id: str) -> str:
        self._require_writable(f"stage '{target}'", ExecutionError)
        name = f"{_spark_name(self._target_name(target))}__{_spark_name(run_id)}"
        body = select_sql.strip().rstrip(";").strip()
        location = self._new_location(self._target_name(target), run_id)
        now = datetime.now(UTC).isoformat()
        with self.cat.write() as con:  # recorded first: a kill while writing leaves an entry the sweep drops
            old = self.cat.find(STAGING_SCHEMA, name, con=con)
            self.cat.delete(con, STAGING_SCHEMA, name)
            self.cat.insert(con, Obj(STAGING_SCHEMA, name, "table", state="writing", location=location,
                                     note=f"datamorph-staging: run {run_id}", created_at=now))  # fmt: skip
        if old is not None:
            self._remove(old.location)
        try:
            with self._session() as spark:
                cols, rows = self._write(spark.sql(body), location)
        except _spark_errors() as e:
            self.drop_staged(_display(STAGING_SCHEMA, name))
            raise ExecutionError(f"staging '{target}' failed: {_message(e)}", sql=select_sql, target=target,
                                 run_id=run_id) from e  # fmt: skip
        with self.cat.write() as con:
            con.execute("UPDATE objects SET state = 'ready', columns = ?, row_count = ? "
                        "WHERE schema_name = ? AND lname = ?",
                        [json.dumps([list(c) for c in cols]), rows, STAGING_SCHEMA, name.lower()])  # fmt: skip
        return _display(STAGING_SCHEMA, name)

    def drop_staged(self, staged: str) -> None:
        name = self._staged_name(staged)
        self._drop(STAGING_SCHEMA, name)

    def _drop(self, schema: str, name: str) -> None:
        """Forget a table and delete its folder unless another entry still reads it."""
        with self.cat.write() as con:
            o = self.cat.find(schema, name, con=con)
            if o is None:
                return
            self.cat.delete(con, schema, name)
            gone = o.location if o.location and not self.cat.referenced(o.location, con) else None
        if o.kind == "table":
            self._remove(gone)

    def _target_kind(self, tname: str) -> str | None:
        if tname.lower() in self._temp:
            return "view"
        o = self.cat.find(DEFAULT_SCHEMA, tname)
        if o is None:
            return None
        return "table" if o.kind == "table" else "view"

    # hooks of Engine.publish / Engine.rollback: versions are catalog entries (files never move),
    # the switch one SQLite transaction of the catalog
    def _switch_transaction(self, tname: str) -> AbstractContextManager[Any]:
        return self.cat.write()

    def _staged_table(self, con: Any, sname: str) -> Any:
        stage = self.cat.find(STAGING_SCHEMA, sname, con=con)
        return stage if stage is not None and stage.state == "ready" else None

    def _current_target(self, con: Any, tname: str) -> Current | None:
        o = self.cat.find(DEFAULT_SCHEMA, tname, con=con)
        if o is None:
            return None
        return Current("table" if o.kind == "table" else "view",
                       o.kind == "table" and str(o.note or "").startswith(MANAGED_MARK), o)  # fmt: skip

    def _version_count(self, con: Any, target: str) -> int:
        return int(con.execute("SELECT count(*) FROM versions WHERE lower(target) = lower(?)", [target]).fetchone()[0])

    def _history_table_name(self, target: str, n: int) -> str:
        return f"{_spark_name(target)}__v{n}"

    def _history_name_taken(self, con: Any, hist: str) -> bool:
        return self.cat.find(HISTORY_SCHEMA, hist, con=con) is not None

    def _store_version(self, con: Any, current: Current, hist: str) -> int | None:
        """Move the target's entry into history (its files stay where they are)."""
        self.cat.move(con, DEFAULT_SCHEMA, current.handle.name, HISTORY_SCHEMA, hist)
        return current.handle.row_count

    def _record_version(self, con: Any, target: str, hist: str, run_id: str, rows: int | None) -> None:
        con.execute("INSERT INTO versions (target, history_table, run_id, archived_at, row_count) "
                    "VALUES (?, ?, ?, ?, ?)", [target, hist, run_id, datetime.now(UTC).isoformat(), rows])  # fmt: skip

    def _history_display(self, hist: str) -> str:
        return _display(HISTORY_SCHEMA, hist)

    def _swap_in(self, con: Any, staged: Any, tname: str, note: str) -> int | None:
        self.cat.move(con, STAGING_SCHEMA, staged.name, DEFAULT_SCHEMA, tname, note=note)
        return staged.row_count

    def _history_version(self, con: Any, hist: str) -> tuple[str, Any] | None:
        o = self.cat.find(HISTORY_SCHEMA, hist, con=con)
        return None if o is None else (o.name, o)

    def _restore(self, con: Any, version: Any, tname: str, note: str) -> int | None:
        """Point a new target entry at the version's folder (the version keeps it too)."""
        self.cat.insert(con, Obj(DEFAULT_SCHEMA, tname, "table", location=version.location, columns=version.columns,
                                 row_count=version.row_count, created_at=datetime.now(UTC).isoformat(), note=note))  # fmt: skip
        return version.row_count

    def history(self, target: str) -> list[VersionInfo]:
        tname = self._target_name(target)
        return [VersionInfo(table=_display(HISTORY_SCHEMA, r["history_table"]), run_id=r["run_id"],
                            created_at=r["archived_at"], rows=r["row_count"])
                for r in self.cat.versions(tname)]  # fmt: skip

    def is_managed(self, target: str) -> bool:
        o = self.cat.find(DEFAULT_SCHEMA, self._target_name(target))
        return o is not None and o.kind == "table" and str(o.note or "").startswith(MANAGED_MARK)

    def _bare(self, table: str) -> str:
        return self._split(table)[1]

    # -- recovery and garbage collection ---------------------------------------------------------
    def staging_tables(self) -> list[StagingTable]:
        return [StagingTable(_display(STAGING_SCHEMA, o.name), run_id_in(o.name) or run_id_in(o.note))
                for o in self.cat.objects(STAGING_SCHEMA)]  # fmt: skip

    def history_targets(self) -> list[str]:
        seen: dict[str, str] = {}
        for r in reversed(self.cat.versions()):
            seen.setdefault(r["target"].lower(), r["target"])
        return sorted(seen.values())

    def history_tables(self) -> set[str]:
        return {o.name.lower() for o in self.cat.objects(HISTORY_SCHEMA)}

    def drop_version(self, target: str, version: VersionInfo) -> None:
        self._require_writable(f"drop a version of '{target}'", ExecutionError)
        hist = self._bare(version.table)
        with self.cat.write() as con:
            con.execute("DELETE FROM versions WHERE lower(target) = lower(?) AND history_table = ?", [target, hist])
            o = self.cat.find(HISTORY_SCHEMA, hist, con=con)
            if o is not None:
                self.cat.delete(con, HISTORY_SCHEMA, hist)
            gone = o.location if o is not None and o.location and not self.cat.referenced(o.location, con) else None
        self._remove(gone)

    def table_note(self, table: str) -> str | None:
        o = self._resolve(table)
        return o.note

    def storage_size(self) -> int | None:
        return sum(f.stat().st_size for f in self.folder.rglob("*") if f.is_file())

    def compact(self) -> bool:
        """Checkpoint the catalog's write-ahead log; delete version folders under ``data/`` that no catalog entry
        reads (left by a kill) and that are older than COMPACT_MIN_AGE_S; True if any folder was deleted."""
        data = self.folder / "data"
        if self.read_only:
            return False
        self.cat.checkpoint()
        if not data.is_dir():
            return False
        used = {os.path.normpath(o.location) for o in self.cat.objects() if o.location}
        removed = False
        recent = datetime.now(UTC).timestamp() - COMPACT_MIN_AGE_S
        for table_dir in data.iterdir():
            for version in table_dir.iterdir() if table_dir.is_dir() else []:
                # a load writes its folder before it enters it in the catalog: leave young folders alone
                if os.path.normpath(str(version)) not in used and version.stat().st_mtime < recent:
                    shutil.rmtree(version, ignore_errors=True)
                    removed = True
        return removed

    # -- files -----------------------------------------------------------------------------------
    def register_file(self, name: str, path: str, *, persist: bool = False,
                      options: CsvOptions | None = None) -> TableInfo:  # fmt: skip
        """A Parquet file or folder is read where it is; CSV is read once by DuckDB (the same sniffer and
        checks as the other engines) into a Parquet copy in the warehouse."""
        if persist:
            self._require_writable(f"register '{name}' permanently", ConfigError)
        select, source = read_sql(path, options)  # checks every CSV file first
        existing = self.cat.find(DEFAULT_SCHEMA, name)
        if existing is not None and not (persist and existing.kind == "file"):
            raise ConfigError(f"the warehouse already has a {existing.kind} called '{name}'",
                              hint="register the file under another name", table=name)  # fmt: skip
        src = file_source(path)
        if src.reader == "read_parquet" and not src.folder:
            location = str(src.files[0])
        else:  # a folder may hold other files, which Spark's reader would not skip
            location = self._new_location(name, "file")
            self._duck_to_parquet(select, location, source)
        with self._session() as spark:
            try:
                df = spark.read.parquet(location)
                cols = [(f.name, f.dataType.simpleString(), True) for f in df.schema.fields]
                rows = int(df.count())
            except _spark_errors() as e:
                raise read_error(e, source) from e
        obj = Obj("temp" if not persist else DEFAULT_SCHEMA, name, "file", location=location, columns=cols,
                  row_count=rows, source=source, created_at=datetime.now(UTC).isoformat())  # fmt: skip
        if persist:
            with self.cat.write() as con:
                self.cat.delete(con, DEFAULT_SCHEMA, name)
                self.cat.insert(con, obj)
        else:
            with self._session() as spark:
                spark.read.parquet(location).createOrReplaceTempView(_ident(name))
            self._temp[name.lower()] = obj
        return TableInfo(name=name, columns=[ColumnInfo(c, t, n) for c, t, n in cols], schema=obj.schema,
                         kind="file", row_count=rows, source=source)  # fmt: skip

    @staticmethod
    def _duck_to_parquet(select: str, location: str, source: str, attach: str | None = None) -> None:
        """Run a DuckDB query (a file reader, or a query of the DuckDB file ``attach`` attached read-only as
        ``src``) into a new Parquet folder at ``location``."""
        import duckdb

        Path(location).mkdir(parents=True, exist_ok=False)
        duck = file_reader()
        try:
            if attach is not None:
                duck.execute(f"ATTACH {exp.Literal.string(attach).sql('duckdb')} AS src (READ_ONLY)")
            duck.execute(f"COPY ({select}) TO {exp.Literal.string(str(Path(location) / 'part-0.parquet')).sql('duckdb')} "
                         "(FORMAT parquet)")  # fmt: skip
        except duckdb.Error as e:
            shutil.rmtree(location, ignore_errors=True)
            raise read_error(e, source) from e
        finally:
            duck.close()

    def _load_plan(self, plan: LoadPlan, *, replace: bool) -> LoadResult:
        rows, cols = self.load_table(plan.table, plan.select, plan.source, replace=replace)
        return LoadResult(plan.table, rows, cols)

    def remove_created(self) -> None:
        self.close()
        if self.created:
            shutil.rmtree(self.folder, ignore_errors=True)

    def load_table(self, name: str, select: str, source: str, *, replace: bool = False,
                   primary_key: Sequence[str] = (), foreign_keys: Sequence[tuple[list[str], str, list[str]]] = (),
                   nullable: dict[str, bool] | None = None, attach: str | None = None,
                   ) -> tuple[int, list[tuple[str, str]]]:  # fmt: skip
        """Create table ``name`` from a DuckDB query (a file reader, or a table of a DuckDB file attached as
        ``src``): written as a new Parquet folder, then entered in the catalog in one transaction."""
        self._require_writable(f"load '{source}'", ConfigError)
        found = self.cat.find(DEFAULT_SCHEMA, name)
        if (found is not None or name.lower() in self._temp) and not replace:
            kind = found.kind if found is not None else "file"
            raise ConfigError(f"the warehouse already has a {kind} called '{name}'",
                              hint="pass --replace to replace it, or --table to load under another name",
                              table=name)  # fmt: skip
        location = self._new_location(name, "load")
        self._duck_to_parquet(select, location, source, attach)
        found_cols = parquet_columns(location)
        if found_cols is None:  # a type without a plain Spark name: ask Spark
            with self._session() as spark:
                back = spark.read.parquet(location)
                found_cols = ([(f.name, f.dataType.simpleString()) for f in back.schema.fields], int(back.count()))
        cols = [(c, t, (nullable or {}).get(c, True)) for c, t in found_cols[0]]
        rows = found_cols[1]
        with self.cat.write() as con:
            old = self.cat.find(DEFAULT_SCHEMA, name, con=con)
            self.cat.delete(con, DEFAULT_SCHEMA, name)
            self.cat.insert(con, Obj(DEFAULT_SCHEMA, name, "table", location=location, columns=cols, row_count=rows,
                                     primary_key=list(primary_key), foreign_keys=list(foreign_keys),
                                     created_at=datetime.now(UTC).isoformat()))  # fmt: skip
            gone = old.location if old is not None and old.location and not self.cat.referenced(old.location, con) \
                else None  # fmt: skip
        if old is not None and old.kind == "table":
            self._remove(gone)
        return rows, [(c, t) for c, t, _n in cols]

    def create_view(self, name: str, view_sql: str) -> None:
        """A view in the default schema (Spark SQL), kept in the catalog."""
        self._require_writable(f"create view '{name}'", ConfigError)
        with self._session() as spark:
            try:
                df = spark.sql(view_sql)  # analysed now: a view over unknown tables fails here
                cols = [(f.name, f.dataType.simpleString(), f.nullable) for f in df.schema.fields]
            except _spark_errors() as e:
                raise ExecutionError(f"creating view '{name}' failed: {_message(e)}", sql=view_sql) from e
        with self.cat.write() as con:
            self.cat.delete(con, DEFAULT_SCHEMA, name)
            self.cat.insert(con, Obj(DEFAULT_SCHEMA, name, "view", view_sql=view_sql, columns=cols,
                                     created_at=datetime.now(UTC).isoformat()))  # fmt: skip

    def create_table(self, name: str, select_sql: str) -> int:
        """A table of the default schema from a Spark SQL query (a new Parquet folder; not managed by DataMorph,
        so no run replaces it); its row count."""
        self._require_writable(f"create table '{name}'", ExecutionError)
        if self.cat.find(DEFAULT_SCHEMA, name) is not None:
            raise ExecutionError(f"the warehouse already has a table called '{name}'", table=name)
        location = self._new_location(name, "create")
        with self._session() as spark:
            try:
                cols, rows = self._write(spark.sql(select_sql), location)
            except _spark_errors() as e:
                self._remove(location)
                raise ExecutionError(f"creating table '{name}' failed: {_message(e)}", sql=select_sql) from e
        with self.cat.write() as con:
            self.cat.insert(con, Obj(DEFAULT_SCHEMA, name, "table", location=location, columns=cols, row_count=rows,
                                     created_at=datetime.now(UTC).isoformat()))  # fmt: skip
        return rows

    def drop_table(self, name: str) -> None:
        """Drop a table or view of the default schema (its folder too, unless a version still reads it)."""
        self._require_writable(f"drop '{name}'", ExecutionError)
        self._drop(DEFAULT_SCHEMA, self._target_name(name))

    # -- locking -----------------------------------------------------------------------------------
    @contextmanager
    def target_lock(self, target: str) -> Iterator[None]:
        """An exclusive ``flock`` on ``DIR/locks/<target>.lock``, retried until ``lock_timeout``."""
        locks = self.folder / "locks"
        locks.mkdir(exist_ok=True)
        low = target.strip().lower()
        key = re.sub(r"[^a-z0-9_]+", "_", low)[:60] + "_" + hashlib.sha1(low.encode()).hexdigest()[:10]
        fd = os.open(locks / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                retry_while_locked(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB), self.lock_timeout,
                                   lambda e: isinstance(e, BlockingIOError))  # fmt: skip
            except BlockingIOError as e:
                raise ConcurrencyError(f"target '{target}' is being written by another run",
                                       hint=f"waited {self.lock_timeout:g}s; let the other run finish, then retry",
                                       target=target) from e  # fmt: skip
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)



def load_duckdb_tables(engine: SparkEngine, duck_path: str) -> list[LoadResult]:
    """Copy the tables of a DuckDB warehouse file (with primary and foreign keys, nullability) and its views
    (translated to Spark SQL by SQLGlot) into the Spark warehouse. The tests, the benchmark bridge and the
    kill-point harness load their DuckDB fixtures this way."""
    import duckdb
    import sqlglot

    duck = duckdb.connect(duck_path, read_only=True)
    try:
        tables = [r[0] for r in duck.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' "
                                             "ORDER BY table_name").fetchall()]  # fmt: skip
        cons = duck.execute("SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
                            "referenced_column_names FROM duckdb_constraints() WHERE schema_name = 'main' "
                            "AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')").fetchall()  # fmt: skip
        nulls = duck.execute("SELECT table_name, column_name, is_nullable FROM duckdb_columns() "
                             "WHERE schema_name = 'main'").fetchall()  # fmt: skip
        views = duck.execute("SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal "
                             "ORDER BY view_name").fetchall()  # fmt: skip
    finally:
        duck.close()
    out = []
    for t in tables:
        pk = next((list(c[2]) for c in cons if c[0] == t and c[1] == "PRIMARY KEY"), [])
        fks = [(list(c[2]), c[3], list(c[4] or ())) for c in cons if c[0] == t and c[1] == "FOREIGN KEY"]
        nullable = {c[1]: bool(c[2]) and c[1] not in pk for c in nulls if c[0] == t}
        select = f"SELECT * FROM src.main.{exp.to_identifier(t, quoted=True).sql('duckdb')}"
        rows, cols = engine.load_table(t, select, duck_path, replace=True, primary_key=pk, foreign_keys=fks,
                                       nullable=nullable, attach=duck_path)  # fmt: skip
        out.append(LoadResult(t, rows, cols))
    for name, sql in views:
        body = sqlglot.parse_one(sql, read="duckdb")
        assert isinstance(body, exp.Create)
        engine.create_view(name, body.expression.sql(dialect="spark"))
    return out
