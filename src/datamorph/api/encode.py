"""Warehouse values as JSON: dates as ISO text, decimals as numbers, NaN/infinity as null."""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

from datamorph.engines import QueryResult


def json_value(v: Any) -> Any:
    """``v`` as a value ``json.dumps`` accepts without losing its meaning."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        return int(v) if v == v.to_integral_value() and abs(v) < 2**53 else float(v)
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [json_value(x) for x in v]
    return str(v)


def rows_json(res: QueryResult) -> list[dict[str, Any]]:
    """The rows of a query result as JSON objects (column → value)."""
    return [{c: json_value(x) for c, x in zip(res.columns, row, strict=True)} for row in res.rows]
