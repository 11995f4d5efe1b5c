"""A run as one SQL script in a dialect: ``CREATE TABLE <target> AS <the compiled query>``."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from datamorph.compiler import CompiledSpec
from datamorph.errors import ConfigError, suggestion


def check_dialect(dialect: str) -> str:
    """``dialect`` (lower case) if SQLGlot can write it; ConfigError with a suggestion otherwise."""
    name = dialect.strip().lower()
    known = sorted(d.value for d in sqlglot.Dialects if d.value)
    if name not in known:
        raise ConfigError(f"unknown SQL dialect '{dialect}'",
                          hint=suggestion(name, known) or f"dialects: {', '.join(known)}")  # fmt: skip
    return name


def sql_script(compiled: CompiledSpec, dialect: str, *, header: str) -> str:
    """The statement that builds the target from the sources, in ``dialect``, after a comment line."""
    *schema, name = compiled.spec.target_table.name.split(".")
    table = exp.table_(exp.to_identifier(name, quoted=True),
                       db=exp.to_identifier(schema[-1], quoted=True) if schema else None)  # fmt: skip
    create = exp.Create(this=table, kind="TABLE", expression=compiled.query.copy())
    return f"-- {header}\n" + create.sql(dialect=check_dialect(dialect), pretty=True) + ";\n"
