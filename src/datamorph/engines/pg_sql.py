"""Catalog queries and small text helpers of the PostgreSQL engine."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from datamorph.engines.base import HISTORY_SCHEMA, STAGING_SCHEMA
from datamorph.engines.names import one_line
from datamorph.engines.names import split_qualified as _split

MAX_IDENT = 63  # bytes; PostgreSQL silently truncates longer identifiers

_SKIP_SCHEMAS = "('pg_catalog', 'information_schema', 'pg_toast')"

#: (oid, schema, name, kind, comment) of tables and views the user can see, own temp tables included
OBJECTS = f"""
SELECT c.oid, n.nspname, c.relname,
       CASE WHEN c.relkind IN ('v', 'm') THEN 'view' WHEN c.relkind = 'f' THEN 'foreign table' ELSE 'table' END,
       obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN {_SKIP_SCHEMAS} AND n.nspname NOT LIKE 'pg_toast%%'
  AND (n.nspname NOT LIKE 'pg_temp%%' OR n.oid = pg_my_temp_schema())
  AND NOT c.relispartition
  AND has_table_privilege(c.oid, 'SELECT')
"""

#: (table oid, column, type, nullable) of every user column; callers add a filter and ORDER BY
COLUMNS = f"""
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN {_SKIP_SCHEMAS}
"""

#: (table oid, 'p' or 'f', columns, referenced table, referenced columns) of declared keys
KEYS = """
SELECT con.conrelid, con.contype,
       ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
       rc.relname,
       ARRAY(SELECT a.attname FROM unnest(coalesce(con.confkey, '{}'::smallint[])) WITH ORDINALITY AS k(n, i)
             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
FROM pg_constraint con LEFT JOIN pg_class rc ON rc.oid = con.confrelid
WHERE con.contype IN ('p', 'f')
"""

#: (column, collation) of the text columns of table %s; the default collation resolved to the database's
COLLATIONS = """
SELECT a.attname, CASE WHEN co.collname = 'default' THEN (SELECT datcollate FROM pg_database
                                                          WHERE datname = current_database())
                       ELSE co.collname END
FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 0
"""

#: (oid, name, kind, comment) of schema %s, name %s case-insensitively (exact case first)
FIND = """
SELECT c.oid, c.relname, CASE WHEN c.relkind IN ('v', 'm') THEN 'view' WHEN c.relkind = 'f' THEN 'foreign table'
                              ELSE 'table' END, obj_description(c.oid, 'pg_class')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND lower(c.relname) = lower(%s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
ORDER BY c.relname <> %s LIMIT 1
"""

#: whether a relation %s exists in any of the schemas %s (an array)
EXISTS_ANY = """
SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE lower(c.relname) = lower(%s) AND n.nspname = ANY(%s))
"""

#: names of the tables whose foreign keys reference table %s and of the views reading it
DEPENDENTS = """
SELECT con.conrelid::regclass::text FROM pg_constraint con
WHERE con.contype = 'f' AND con.confrelid = %s AND con.conrelid <> %s
UNION
SELECT v.oid::regclass::text FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = %s AND v.oid <> %s
"""

#: (name, comment) of the tables in schema %s
SCHEMA_TABLES = """
SELECT c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""

SETUP = [
    f'CREATE SCHEMA IF NOT EXISTS "{STAGING_SCHEMA}"',
    f'CREATE SCHEMA IF NOT EXISTS "{HISTORY_SCHEMA}"',
    f'CREATE TABLE IF NOT EXISTS "{HISTORY_SCHEMA}"."versions" (id bigserial PRIMARY KEY, target text NOT NULL, '
    "history_table text NOT NULL, run_id text, archived_at timestamptz NOT NULL DEFAULT clock_timestamp(), "
    "row_count bigint)",
]


def redact(url: str) -> str:
    """``url`` without its password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://…"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def message(err: Any) -> str:
    """The server's message on one line (its primary message when there is one)."""
    diag = getattr(err, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return one_line(str(primary or err)) or type(err).__name__


def split_qualified(text: str) -> tuple[str | None, str]:
    """``schema.name`` → (schema, name) in PostgreSQL's quoting."""
    return _split(text, "postgres")


def fit(name: str) -> str:
    """``name`` shortened (with a hash, so distinct names stay distinct) to PostgreSQL's identifier limit."""
    if len(name.encode()) <= MAX_IDENT:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:10]
    head = name.encode()[: MAX_IDENT - 11].decode(errors="ignore")
    return f"{head}_{digest}"


def placeholders(sql: str) -> str:
    """DuckDB-style ``?`` parameters as psycopg's ``%s`` (``%`` escaped), outside quotes and comments."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i : j + 1].replace("%", "%%"))
            i = j + 1
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j].replace("%", "%%"))
            i = j
            continue
        out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
        i += 1
    return "".join(out)

