"""Literal values in the form a column of a given type family accepts.

``"1000"`` → ``1000`` for a number column, ``"2024/01/31"`` or ``"Jan 31 2024"`` →
``"2024-01-31"`` for a date column, ``"yes"`` → ``true`` for a boolean column. A value
that reads two ways (``"03/04/2024"``: March 4 or April 3) or not at all is not
converted: the caller reports it instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from datamorph.catalog import NUMERIC_FAMILIES, TypeFamily

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%m-%d-%Y",
    "%d-%m-%Y", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b-%d-%Y", "%Y %b %d",
    "%a %b %d %Y", "%A %B %d %Y",
)  # fmt: skip
_TIME_FORMATS = ("", " %H:%M", " %H:%M:%S", "T%H:%M", "T%H:%M:%S", " %H:%M:%S.%f", "T%H:%M:%S.%f")
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.I)
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


def parse_datetime(text: str) -> dt.datetime | None:
    """The one date/time ``text`` can mean, or None (unreadable or ambiguous)."""
    s = _ORDINAL.sub("", text.strip())
    s = re.sub(r"\s*,\s*", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    if not s or len(s) > 40:
        return None
    found: set[dt.datetime] = set()
    for d in _DATE_FORMATS:
        for t in _TIME_FORMATS:
            try:
                found.add(dt.datetime.strptime(s, d + t))
            except ValueError:
                continue
    return found.pop() if len(found) == 1 else None


def looks_like_date(text: str) -> bool:
    """True when ``text`` reads as a date (in any common format) and has digits for a year."""
    return bool(re.search(r"\d{4}", text)) and parse_datetime(text) is not None


def parse_number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        return None
    s = re.sub(r"[\s$€£¥]", "", value.strip())
    if _THOUSANDS.match(s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        return None
    number = float(s)
    if number.is_integer() and not re.search(r"[.eE]", s):
        return int(s)
    return number


def convert_literal(value: Any, family: TypeFamily) -> tuple[bool, Any]:
    """(True, value as ``family`` accepts it) or (False, None) when it cannot be converted."""
    if family in NUMERIC_FAMILIES:
        n = parse_number(value)
        return (n is not None), n
    if family in ("date", "timestamp"):
        if isinstance(value, (dt.date, dt.datetime)):
            return True, value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        if not isinstance(value, str):
            return False, None
        when = parse_datetime(value)
        if when is None:
            return False, None
        if when.time() == dt.time(0) and (family == "date" or not re.search(r"\d:\d", value)):
            return True, when.date().isoformat()
        return True, when.isoformat(sep=" ")
    if family == "boolean":
        if isinstance(value, bool):
            return True, value
        key = str(value).strip().lower()
        if key in _TRUE:
            return True, True
        if key in _FALSE:
            return True, False
        return False, None
    if family == "text":
        if isinstance(value, bool):
            return True, "true" if value else "false"
        if isinstance(value, int):
            return True, str(value)
        if isinstance(value, float):
            return True, str(int(value)) if value.is_integer() else repr(value)
        return isinstance(value, str), value
    return False, None


def family_of_sql_type(name: str) -> TypeFamily | None:
    """The family of an engine type named in an error message (``INT64``, ``DATE``, ``DECIMAL(12,2)``)."""
    t = name.upper()
    if t.startswith(("INT", "BIGINT", "SMALLINT", "TINYINT", "HUGEINT", "UINT", "UBIGINT")):
        return "integer"
    if t.startswith(("DECIMAL", "NUMERIC")):
        return "decimal"
    if t.startswith(("DOUBLE", "FLOAT", "REAL")):
        return "float"
    if t.startswith("DATE"):
        return "date"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t.startswith("BOOL"):
        return "boolean"
    return None
