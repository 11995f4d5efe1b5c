"""The persistent catalog of a Spark warehouse: one SQLite file, ``<warehouse>/catalog.db``.

Spark's own persistent catalog is a Hive metastore; the one that runs without a server (embedded
Derby) admits one process at a time, and DataMorph opens a warehouse from several processes (a
run, the server, ``datamorph runs`` sweeping staging tables). So the catalog is a small SQLite
database next to the data: which tables exist in which schema, where their Parquet files are
(``location``), their columns (as Spark reported them when the files were written), keys, row
counts and notes. Each Spark session registers these tables in its in-memory catalog before it runs
SQL (:class:`datamorph.engines.spark.SparkEngine`).

Every change is one SQLite transaction, so a change either happened or did not, whatever kills the
process; ``generation`` counts the committed changes, so a session re-registers only after one.
Data files are never changed in place: a version is a Parquet folder written once.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATALOG_FILE = "catalog.db"
DEFAULT_SCHEMA = "default"

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
INSERT OR IGNORE INTO meta VALUES ('generation', '0');
CREATE TABLE IF NOT EXISTS objects (
    schema_name TEXT NOT NULL,
    name TEXT NOT NULL,
    lname TEXT NOT NULL,
    kind TEXT NOT NULL,                -- table, view or file
    state TEXT NOT NULL DEFAULT 'ready', -- 'writing' while a staging table's files are written
    location TEXT,                     -- the Parquet folder (tables, files)
    view_sql TEXT,                     -- Spark SQL of a view
    columns TEXT,                      -- JSON [[name, spark type, nullable], ...]
    row_count INTEGER,
    primary_key TEXT,                  -- JSON [column, ...]
    foreign_keys TEXT,                 -- JSON [[[cols], ref_table, [ref_cols]], ...]
    note TEXT,
    source TEXT,                       -- the file a registered table was read from
    created_at TEXT,
    PRIMARY KEY (schema_name, lname)
);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    history_table TEXT NOT NULL,
    run_id TEXT,
    archived_at TEXT,
    row_count INTEGER
);
"""


@dataclass
class Obj:
    """One row of ``objects``."""

    schema: str
    name: str
    kind: str
    state: str = "ready"
    location: str | None = None
    view_sql: str | None = None
    columns: list[tuple[str, str, bool]] = field(default_factory=list)
    row_count: int | None = None
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[list[str], str, list[str]]] = field(default_factory=list)
    note: str | None = None
    source: str | None = None
    created_at: str | None = None

    @classmethod
    def of_row(cls, r: sqlite3.Row) -> Obj:
        return cls(
            schema=r["schema_name"], name=r["name"], kind=r["kind"], state=r["state"], location=r["location"],
            view_sql=r["view_sql"], columns=[(c[0], c[1], bool(c[2])) for c in json.loads(r["columns"] or "[]")],
            row_count=r["row_count"], primary_key=list(json.loads(r["primary_key"] or "[]")),
            foreign_keys=[(list(a), b, list(c)) for a, b, c in json.loads(r["foreign_keys"] or "[]")],
            note=r["note"], source=r["source"], created_at=r["created_at"],
        )  # fmt: skip

    def values(self) -> tuple[Any, ...]:
        return (self.schema, self.name, self.name.lower(), self.kind, self.state, self.location, self.view_sql,
                json.dumps([list(c) for c in self.columns]), self.row_count, json.dumps(self.primary_key),
                json.dumps([list(fk) for fk in self.foreign_keys]), self.note, self.source, self.created_at)  # fmt: skip


class SparkCatalog:
    """The SQLite catalog file of one warehouse folder."""

    def __init__(self, folder: Path, *, create: bool, timeout: float) -> None:
        self.folder = folder
        self.path = folder / CATALOG_FILE
        existed = self.path.exists()
        self._con = sqlite3.connect(self.path, timeout=max(timeout, 0.1), isolation_level=None,
                                    check_same_thread=False)  # fmt: skip
        self._con.row_factory = sqlite3.Row
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")
        if create or existed:
            with self.write():
                for stmt in filter(str.strip, _SCHEMA_SQL.split(";")):
                    self._con.execute(stmt)

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: writers of other processes wait), bumping ``generation``."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
            con.execute("UPDATE meta SET v = CAST(CAST(v AS INTEGER) + 1 AS TEXT) WHERE k = 'generation'")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and truncate it (gives its space back)."""
        self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def generation(self) -> int:
        row = self._con.execute("SELECT v FROM meta WHERE k = 'generation'").fetchone()
        return int(row[0]) if row else 0

    # -- reading ---------------------------------------------------------------------------------
    def objects(self, schema: str | None = None, *, con: sqlite3.Connection | None = None) -> list[Obj]:
        c = con or self._con
        if schema is None:
            rows = c.execute("SELECT * FROM objects ORDER BY created_at, name").fetchall()
        else:
            rows = c.execute("SELECT * FROM objects WHERE schema_name = ? ORDER BY created_at, name",
                             [schema]).fetchall()  # fmt: skip
        return [Obj.of_row(r) for r in rows]

    def find(self, schema: str, name: str, *, con: sqlite3.Connection | None = None) -> Obj | None:
        row = (con or self._con).execute("SELECT * FROM objects WHERE schema_name = ? AND lname = ?",
                                         [schema, name.lower()]).fetchone()  # fmt: skip
        return Obj.of_row(row) if row else None

    def versions(self, target: str | None = None) -> list[sqlite3.Row]:
        if target is None:
            return self._con.execute("SELECT * FROM versions ORDER BY seq DESC").fetchall()
        return self._con.execute("SELECT * FROM versions WHERE lower(target) = lower(?) ORDER BY seq DESC",
                                 [target]).fetchall()  # fmt: skip

    def referenced(self, location: str, con: sqlite3.Connection) -> bool:
        """Whether any table still reads ``location`` (a version is never deleted while one does)."""
        return con.execute("SELECT count(*) FROM objects WHERE location = ?", [location]).fetchone()[0] > 0

    # -- writing (inside :meth:`write`) ---------------------------------------------------------
    @staticmethod
    def insert(con: sqlite3.Connection, obj: Obj) -> None:
        con.execute("INSERT INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", obj.values())

    @staticmethod
    def delete(con: sqlite3.Connection, schema: str, name: str) -> None:
        con.execute("DELETE FROM objects WHERE schema_name = ? AND lname = ?", [schema, name.lower()])

    @staticmethod
    def move(con: sqlite3.Connection, schema: str, name: str, new_schema: str, new_name: str,
             note: str | None = None) -> None:  # fmt: skip
        """Rename an object (and move it to another schema): one UPDATE; its files stay where they are."""
        con.execute("UPDATE objects SET schema_name = ?, name = ?, lname = ?, note = coalesce(?, note) "
                    "WHERE schema_name = ? AND lname = ?",
                    [new_schema, new_name, new_name.lower(), note, schema, name.lower()])  # fmt: skip
