"""SQL fragments written in a spec: parsed with SQLGlot and checked before use.

A fragment is one scalar or boolean expression (``quantity * unit_price``,
``coalesce(rating, 0)``). It may not contain a query, a statement, a table
reference, or a function that reads files, the network or the environment.
Fragments are written in DuckDB's SQL (the spec dialect) and rendered by the
compiler in the target dialect.
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from datamorph.errors import SpecError

SPEC_DIALECT = "duckdb"

# Node types that make a fragment something other than an expression.
_FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = (
    exp.Query,  # SELECT, UNION, ...
    exp.Subquery,
    exp.Table,
    exp.Create,
    exp.Drop,
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Alter,
    exp.Command,
    exp.Copy,
    exp.Pragma,
    exp.Set,
    exp.Use,
    exp.Into,
    exp.Lateral,
    exp.Placeholder,
)

# Functions that read files, the network, settings or the environment, or write anything.
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        "read_csv", "read_csv_auto", "read_parquet", "read_json", "read_json_auto", "read_ndjson",
        "read_text", "read_blob", "read_json_objects", "parquet_scan", "csv_scan", "json_scan",
        "parquet_metadata", "parquet_schema", "glob", "sniff_csv", "query", "query_table",
        "getenv", "current_setting", "duckdb_settings", "pg_read_file", "pg_read_binary_file",
        "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export", "dblink", "dblink_exec", "copy",
        "load_extension", "install", "load", "sqlite_scan", "postgres_scan", "mysql_scan",
        "iceberg_scan", "delta_scan", "httpfs", "http_get", "set_config", "pg_sleep", "sleep",
        "input_file_name", "reflect", "java_method",
    }
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, dialect: str) -> exp.Expr:
    return sqlglot.parse_one(text, read=dialect)


def parse_expression(text: str, *, what: str = "expression", dialect: str = SPEC_DIALECT) -> exp.Expr:
    """Parse one SQL expression and check it is safe; return a fresh tree the caller may change.

    Raises:
        SpecError: the text is not one expression, or uses something forbidden.
    """
    if not isinstance(text, str) or not text.strip():
        raise SpecError(f"{what}: empty expression")
    try:
        tree = _parse_cached(text.strip(), dialect)
    except (SqlglotError, ValueError) as e:  # TokenError too: an unclosed quote
        first = str(e).splitlines()[0] if str(e) else "syntax error"
        raise SpecError(f"{what}: cannot parse {text!r}: {first}", hint="write one SQL expression") from None
    if tree is None:
        raise SpecError(f"{what}: cannot parse {text!r}")
    check_expression(tree, what=what, text=text)
    return tree.copy()


def check_expression(tree: exp.Expr, *, what: str = "expression", text: str | None = None) -> None:
    """Raise SpecError if ``tree`` is not a plain expression."""
    shown = text if text is not None else tree.sql()
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            kind = type(node).__name__.upper()
            raise SpecError(
                f"{what}: {shown!r} contains a {kind}; only expressions over the source columns are allowed",
                hint="use source_tables and join_conditions for other tables",
            )
        if isinstance(node, exp.Func):
            name = function_name(node)
            if name in _FORBIDDEN_FUNCTIONS:
                raise SpecError(f"{what}: function {name}() is not allowed in {shown!r}",
                                hint="expressions cannot read files, settings or the network")  # fmt: skip
    if isinstance(tree, exp.Star):
        raise SpecError(f"{what}: '*' is not an expression")


def function_name(node: exp.Func) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower()


def contains_aggregate(tree: exp.Expr) -> bool:
    """True when ``tree`` uses an aggregate function outside of a window."""
    for node in tree.find_all(exp.AggFunc):
        if not isinstance(node.parent, exp.Window) and not node.find_ancestor(exp.Window):
            return True
    return False


def contains_window(tree: exp.Expr) -> bool:
    return tree.find(exp.Window) is not None


def referenced_names(tree: exp.Expr) -> list[tuple[str | None, str]]:
    """(qualifier, name) of every column the expression reads."""
    return [(c.table or None, c.name) for c in tree.find_all(exp.Column)]
