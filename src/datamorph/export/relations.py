"""Table references in compiled SQL swapped for what an export reads instead.

An export reads the run's sources through something else than the warehouse's tables: temp views
in a PySpark job, ``{{ source(...) }}`` in a dbt model. :func:`render` rewrites every reference
to a source (as :func:`datamorph.compiler.scope.source_table` built it) into a placeholder
identifier, renders the SQL in a dialect, then puts the replacement text where each placeholder
is. A reference keeps its alias; one without an alias gets the table's own name as alias, so
columns qualified by the table name still resolve.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from datamorph.catalog import TableInfo
from datamorph.compiler.scope import source_table

_TOKEN = "__dm_rel_{}__"


def table_key(table: exp.Table) -> tuple[str, str]:
    """(schema, name) of a table reference, lower case; schema '' when unqualified."""
    return (table.db or "").lower(), table.name.lower()


def source_key(info: TableInfo) -> tuple[str, str]:
    """The key of the reference the compiler writes for the source table ``info``."""
    return table_key(source_table(info))


def render(tree: exp.Expr, replacements: Mapping[tuple[str, str], str], dialect: str, *, pretty: bool = True) -> str:
    """``tree`` as SQL in ``dialect``, each table reference whose key is in ``replacements`` replaced
    by its text (inserted verbatim: a quoted identifier, a Jinja call...)."""
    tokens: dict[str, str] = {}
    keys = {k: _TOKEN.format(i) for i, k in enumerate(replacements)}

    def swap(node: exp.Expr) -> exp.Expr:
        if not isinstance(node, exp.Table) or not isinstance(node.this, exp.Identifier):
            return node
        key = table_key(node)
        if key not in keys:
            return node
        token = keys[key]
        tokens[token] = replacements[key]
        alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.name, quoted=True))
        return exp.Table(this=exp.to_identifier(token, quoted=False), alias=alias.copy())

    sql = tree.transform(swap, copy=True).sql(dialect=dialect, pretty=pretty)
    for token, text in tokens.items():
        sql = sql.replace(token, text)
    return sql
