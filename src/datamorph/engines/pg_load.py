"""Moving data in and out of PostgreSQL: CSV/Parquet files in with COPY, query results out as Arrow.

Files are read with DuckDB (the same readers the DuckDB engine uses), written to a temporary
CSV file, and streamed to the server with ``COPY ... FROM STDIN (FORMAT csv)``: both sides
parse and write CSV in C, which is much faster than row-by-row inserts. Column types are
mapped from DuckDB's to PostgreSQL's names (:func:`pg_type`).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from datamorph.engines.base import LoadResult

_COPY_CHUNK = 1 << 20

# DuckDB type (upper case, without arguments) -> PostgreSQL type
_SIMPLE_TYPES = {
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "UTINYINT": "smallint",
    "INTEGER": "integer",
    "USMALLINT": "integer",
    "BIGINT": "bigint",
    "UINTEGER": "bigint",
    "UBIGINT": "numeric(20,0)",
    "HUGEINT": "numeric(38,0)",
    "UHUGEINT": "numeric(39,0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "VARCHAR": "text",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval",
    "UUID": "uuid",
    "JSON": "jsonb",
}


def pg_type(duck_type: str) -> str:
    """The PostgreSQL column type for a DuckDB type name (``DECIMAL(12,2)`` → ``numeric(12,2)``).

    Types without a PostgreSQL counterpart (lists, structs, maps, blobs) become ``text``.
    """
    t = duck_type.strip().upper()
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t)
    if m:
        return f"numeric({m.group(1)},{m.group(2)})"
    return _SIMPLE_TYPES.get(t, "text")


def quote(name: str) -> str:
    """A quoted PostgreSQL identifier."""
    return exp.to_identifier(name, quoted=True).sql(dialect="postgres")


def literal(value: str) -> str:
    """A PostgreSQL string literal (for statements that take no parameters, like COMMENT)."""
    return exp.Literal.string(value).sql(dialect="postgres")


def qualified(name: str, schema: str | None) -> str:
    return f"{quote(schema)}.{quote(name)}" if schema else quote(name)


def load_query(
    pg: Any,
    duck: Any,
    select_sql: str,
    name: str,
    schema: str | None,
    *,
    temporary: bool = False,
    primary_key: Sequence[str] = (),
    comment: str | None = None,
) -> LoadResult:
    """Create ``schema.name`` with the columns of DuckDB query ``select_sql`` and COPY its rows in.

    Runs inside the caller's transaction on psycopg connection ``pg`` (``duck`` is a DuckDB
    connection that can run ``select_sql``). The table must not exist yet.
    """
    rel = duck.sql(select_sql)
    duck_cols = list(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    cols = [(c, pg_type(t)) for c, t in duck_cols]
    target = quote(name) if temporary else qualified(name, schema)
    ddl = ", ".join(f"{quote(c)} {t}" for c, t in cols)
    pk = f", PRIMARY KEY ({', '.join(quote(c) for c in primary_key)})" if primary_key else ""
    pg.execute(f"CREATE {'TEMPORARY ' if temporary else ''}TABLE {target} ({ddl}{pk})".encode())
    if comment is not None:
        pg.execute(f"COMMENT ON TABLE {target} IS {literal(comment)}".encode())
    # text for the types PostgreSQL cannot parse from DuckDB's CSV
    select = ", ".join(
        exp.column(c, quoted=True).sql(dialect="duckdb") if pt != "text" or t.upper() == "VARCHAR"
        else f"CAST({exp.column(c, quoted=True).sql(dialect='duckdb')} AS VARCHAR)"
        for (c, t), (_, pt) in zip(duck_cols, cols, strict=True)
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dm_load_") as tmp:
        csv = Path(tmp) / "rows.csv"
        src = exp.Literal.string(str(csv)).sql(dialect="duckdb")
        duck.execute(f"COPY (SELECT {select} FROM ({select_sql}) AS _dm_src) TO {src} (FORMAT csv, HEADER false)")
        cur = pg.cursor()
        with cur.copy(f"COPY {target} FROM STDIN (FORMAT csv)".encode()) as copy, open(csv, "rb") as f:
            while chunk := f.read(_COPY_CHUNK):
                copy.write(chunk)
        rows = cur.rowcount
    return LoadResult(table=name, rows=int(rows), columns=cols)


# -- out: query results as Arrow ------------------------------------------------------------


def _arrow_type(pa: Any, pg: str) -> Any:
    t = pg.lower()
    m = re.fullmatch(r"numeric\((\d+),(\d+)\)", t)
    if m:
        p, s = int(m.group(1)), int(m.group(2))
        return pa.decimal128(p, s) if p <= 38 else None
    return {
        "smallint": pa.int16(),
        "integer": pa.int32(),
        "bigint": pa.int64(),
        "real": pa.float32(),
        "double precision": pa.float64(),
        "text": pa.string(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp without time zone": pa.timestamp("us"),
        "timestamp with time zone": pa.timestamp("us", tz="UTC"),
        "time without time zone": pa.time64("us"),
    }.get(t) or (pa.string() if t.startswith(("character", "varchar", "char")) else None)


def rows_to_arrow(columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]) -> Any:
    """A ``pyarrow.Table`` of ``rows`` whose columns have PostgreSQL types ``columns`` ((name, type) pairs)."""
    import pyarrow as pa

    arrays = []
    for i, (_name, typ) in enumerate(columns):
        values = [r[i] for r in rows]
        want = _arrow_type(pa, typ)
        try:
            arrays.append(pa.array(values, type=want) if want is not None else pa.array(values))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            arrays.append(pa.array([None if v is None else str(v) for v in values], type=pa.string()))
    return pa.Table.from_arrays(arrays, names=[c for c, _ in columns])


def csv_select(name: str, pg: str) -> str | None:
    """The SELECT expression that puts column ``name`` (PostgreSQL type ``pg``) in the CSV that
    :func:`csv_to_arrow` parses, or None when that type has no CSV mapping (use :func:`rows_to_arrow`)."""
    import pyarrow as pa

    t = pg.lower()
    if _arrow_type(pa, t) is None:
        return None
    col = quote(name)
    if t == "timestamp with time zone":  # as UTC wall time, whatever the session's TimeZone
        return f"({col} AT TIME ZONE 'UTC')"
    return col


def csv_to_arrow(data: bytes | bytearray, columns: Sequence[tuple[str, str]]) -> Any:
    """A ``pyarrow.Table`` from the output of ``COPY (SELECT <csv_select ...>) TO STDOUT (FORMAT csv)``.

    Types are those of :func:`rows_to_arrow`. In PostgreSQL's CSV a NULL is an empty unquoted
    field and an empty string is ``""``, so only unquoted empty fields become nulls; booleans are
    ``t``/``f``. Raises ``pyarrow.ArrowInvalid`` on values the types cannot hold (e.g. infinite
    dates, numeric NaN): the caller falls back to :func:`rows_to_arrow`.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(len(columns))]  # column names may repeat or be empty
    types = {}
    for n, (_name, pg) in zip(names, columns, strict=True):
        want = _arrow_type(pa, pg)
        types[n] = pa.timestamp("us") if pg.lower() == "timestamp with time zone" else want
    if not data:
        arrays = [pa.array([], type=_arrow_type(pa, pg)) for _c, pg in columns]
        return pa.Table.from_arrays(arrays, names=[c for c, _ in columns])
    table = pcsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pcsv.ReadOptions(column_names=names),
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )  # fmt: skip
    arrays = [
        table.column(i).cast(pa.timestamp("us", tz="UTC")) if pg.lower() == "timestamp with time zone" else table.column(i)
        for i, (_c, pg) in enumerate(columns)
    ]  # fmt: skip
    return pa.Table.from_arrays(arrays, names=[c for c, _ in columns])
