"""The rules for names: the target tables DataMorph writes, and the identifiers a spec holds.

One place decides what a target name may be, and every entry point asks it: the CLI's
``--target``, spec files (:class:`datamorph.spec.TargetTable`), the HTTP API's bodies, the
planner's "into X", ``rollback``. A target is a plain identifier (letters, digits, ``_`` and
``$``, not starting with a digit, at most 63 characters: PostgreSQL's limit), optionally
qualified by one schema; it is never an SQL keyword and never lives in a schema reserved for
DataMorph or the database system.

Column names are freer (users' own tables have columns such as ``Order Date``) and are quoted
by the SQL generator wherever they go, so the spec only refuses the ones no database can hold:
empty, control characters, over-long.
"""

from __future__ import annotations

import re
import unicodedata

from datamorph.errors import SpecError, TargetConflict

MAX_TARGET_CHARS = 63  # PostgreSQL truncates longer identifiers (NAMEDATALEN - 1)
MAX_IDENTIFIER_CHARS = 255  # column names, aliases and references in a spec

#: Schemas a target may never be written to: DataMorph's own, and the database system's
#: (any ``pg_*`` schema is refused too).
RESERVED_SCHEMAS = frozenset(
    {"datamorph_staging", "datamorph_history", "information_schema", "pg_catalog", "system", "temp", "temporary"}
)

#: Words that are never a table name: the reserved keywords of PostgreSQL and DuckDB, and the
#: statement words a request may put before a name ("into table X", "as view X").
SQL_KEYWORDS = frozenset(
    """
    all alter analyse analyze and any array as asc asymmetric authorization between binary both case cast
    check collate collation column concurrently constraint create cross current_catalog current_date
    current_role current_schema current_time current_timestamp current_user database default deferrable
    delete desc describe distinct do drop else end except false fetch for foreign freeze from full grant
    group having ilike in index initially inner insert intersect into is isnull join lambda lateral leading
    left like limit localtime localtimestamp natural not notnull null offset on only or order outer overlaps
    pivot pivot_longer pivot_wider placing primary qualify references returning right schema select
    session_user set show similar some summarize symmetric system_user table then to trailing true truncate
    union unique unpivot update user using values variadic verbose view when where window with
    """.split()
)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")


def is_keyword(word: str) -> bool:
    """True when ``word`` is an SQL keyword that is never taken as a table name."""
    return word.strip().lower() in SQL_KEYWORDS


def control_character(text: str) -> str | None:
    """The first control character in ``text`` (as ``U+0000``), or None."""
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Zl", "Zp"):
            return f"U+{ord(ch):04X}"
    return None


def identifier_problem(text: object, *, max_chars: int = MAX_IDENTIFIER_CHARS) -> str | None:
    """Why ``text`` cannot be a column name or reference in a spec, or None when it can.

    Quotes, spaces, unicode and SQL comment markers are allowed: the generator quotes identifiers.
    """
    if not isinstance(text, str):
        return f"a name must be text, got {type(text).__name__}"
    if not text.strip():
        return "a name cannot be empty"
    if len(text) > max_chars:
        return f"a name of {len(text):,} characters is too long (at most {max_chars})"
    bad = control_character(text)
    if bad:
        return f"a name cannot contain the control character {bad}"
    return None


def check_target(name: object) -> str:
    """``name`` if it is a valid target table name.

    Raises:
        TargetConflict: the name is in a schema reserved for DataMorph or the database system.
        SpecError: the name is empty, too long, has a control character, is not a plain
            identifier (optionally ``schema.name``) or is an SQL keyword.
    """
    problem = target_problem(name)
    if problem is not None:
        raise problem
    assert isinstance(name, str)
    return name


def target_problem(name: object) -> SpecError | TargetConflict | None:
    """The error :func:`check_target` raises for ``name`` (its message starts ``target table``), or None."""
    if not isinstance(name, str):
        return SpecError(f"target table: the name must be text, got {type(name).__name__}")
    shown = _shown(name)
    if not name.strip():
        return SpecError("target table: the name is empty", hint="name the table to write, e.g. --target order_summary")
    bad = control_character(name)
    if bad:
        return SpecError(f"target table: '{shown}' contains the control character {bad}", hint=_RULE)
    parts = name.split(".")
    if len(parts) > 2:
        return SpecError(f"target table: '{shown}' has more than one qualifier", hint=_RULE)
    if len(parts) == 2:
        schema = parts[0].strip().strip('"').lower()
        if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
            return TargetConflict(
                f"target table '{shown}' is in the reserved schema '{_shown(parts[0])}'; DataMorph writes targets "
                "only to the warehouse's own tables",
                hint="name the target without a schema",
                target=shown,
            )
    for part in parts:
        if len(part) > MAX_TARGET_CHARS:
            return SpecError(f"target table: a name of {len(part):,} characters is too long "
                             f"(at most {MAX_TARGET_CHARS})", hint=_RULE)  # fmt: skip
        if not _IDENT.match(part):
            return SpecError(f"target table: '{shown}' is not a valid table name", hint=_RULE)
    if is_keyword(parts[-1]):
        return SpecError(f"target table: '{parts[-1]}' is an SQL keyword, not a table name",
                         hint=f"choose another name, e.g. {parts[-1].lower()}_1")  # fmt: skip
    return None


_RULE = "letters, digits and _, not starting with a digit, at most 63 characters; optionally schema.table"


def _shown(name: str, limit: int = 80) -> str:
    """``name`` shortened for a one-line message, control characters escaped."""
    text = "".join(ch if unicodedata.category(ch) not in ("Cc", "Zl", "Zp") else f"\\u{ord(ch):04x}" for ch in name)
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "MAX_IDENTIFIER_CHARS",
    "MAX_TARGET_CHARS",
    "RESERVED_SCHEMAS",
    "SQL_KEYWORDS",
    "check_target",
    "control_character",
    "identifier_problem",
    "is_keyword",
    "target_problem",
]
