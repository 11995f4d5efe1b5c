"""Engine settings that make an aggregate query cheaper to run without changing what it computes.

The staging query and the reconciliation (which recomputes the result's groups from the sources)
are each one GROUP BY over the whole fact table. When the group keys are integers spanning a small enough range, DuckDB can
aggregate into a perfect hash table (an array indexed by the key: no hashing, no probing), which
at ten million rows and two million groups takes less than half the time of its default hash
aggregate. It only does so when the keys' range fits in ``perfect_ht_threshold`` bits (12 by
default, i.e. 4096 groups), so :func:`aggregate_settings` raises that threshold for those
queries, to exactly the bits their keys need, when

* every group key is an integer source column (together with the columns it is joined to, as
  the recomputation may group by either side of the join), whose min and max DuckDB reads from
  its statistics;
* the range needs at most :data:`MAX_PERFECT_HASH_BITS` bits (a table of at most 4M slots per
  thread), and the table has no more than :data:`MAX_SLOTS_PER_ROW` slots per row of the
  largest source (a sparse range would cost more memory than the rows it aggregates).

:func:`session_settings` applies settings to the engine's session around one query and restores
the previous values after it. Engines other than DuckDB ignore both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlglot import exp

from datamorph.catalog import Catalog, TableInfo
from datamorph.compiler import CompiledSpec
from datamorph.engines.base import Engine
from datamorph.errors import DataMorphError
from datamorph.validation.derive import DenseKeys, dense_key_name
from datamorph.validation.differential import _sql_table

PERFECT_HASH_SETTING = "perfect_ht_threshold"
MAX_PERFECT_HASH_BITS = 22
MAX_SLOTS_PER_ROW = 4


def aggregate_settings(engine: Engine, compiled: CompiledSpec) -> dict[str, str]:
    """DuckDB settings for the aggregate queries of ``compiled``: its staging query and the reconciliation
    (empty: run them as they are)."""
    if engine.dialect != "duckdb" or len(compiled.blocks) != 1:
        return {}
    b = compiled.blocks[0]
    group = b.query.args.get("group") if isinstance(b.query, exp.Select) else None
    if not b.block.is_aggregate or group is None or set(group.args) - {"expressions"} or not group.expressions:
        return {}
    scope = b.scope
    by_ref = {s.ref.lower(): s for s in scope.sources}
    rows = [s.table.row_count for s in scope.sources]
    if any(r is None for r in rows):
        return {}
    largest = max(int(r or 0) for r in rows)
    bits = 0
    try:
        for g in group.expressions:
            if not isinstance(g, exp.Column) or g.table.lower() not in by_ref:
                return {}
            src = by_ref[g.table.lower()]
            if not src.table.has_column(g.name):
                return {}
            columns = {(src.table.name, src.table.column(g.name).name)}
            for rj in scope.joins:  # the columns this key is joined to hold the same values
                for lc, rc in rj.pairs:
                    for (s1, c1), (s2, c2) in (((rj.left, lc), (rj.right, rc)), ((rj.right, rc), (rj.left, lc))):
                        if s1 is src and c1.name.lower() == g.name.lower():
                            columns.add((s2.table.name, c2.name))
            span = _span(engine, scope.catalog, columns)
            if span is None:
                return {}
            bits += span.bit_length()
    except DataMorphError:
        return {}
    if bits > MAX_PERFECT_HASH_BITS or (1 << bits) > MAX_SLOTS_PER_ROW * largest:
        return {}
    try:
        current = int(engine.scalar(f"SELECT current_setting('{PERFECT_HASH_SETTING}')"))
    except (DataMorphError, TypeError, ValueError):
        return {}
    return {PERFECT_HASH_SETTING: str(bits)} if bits > current else {}


def dense_integer_keys(engine: Engine, compiled: CompiledSpec) -> DenseKeys:
    """The sources of ``compiled``'s join whose integer primary key holds every value from its min to its max.

    Such a key (unique and never NULL, as DuckDB enforces for a primary key) with ``count = max -
    min + 1`` rows is exactly the integers from min to max, so "the key exists in the table" is a
    range check (see :func:`~datamorph.validation.derive.derive_tests`). DuckDB answers count, min
    and max from its statistics; other engines would scan, so they get nothing here. Like every
    test, this reads the sources as they are when validation runs.
    """
    if engine.dialect != "duckdb" or len(compiled.blocks) != 1:
        return {}
    scope = compiled.blocks[0].scope
    if not compiled.blocks[0].block.is_aggregate or len(scope.sources) != 2 or len(scope.joins) != 1:
        return {}
    out: dict[str, tuple[int, int]] = {}
    for src in scope.sources:
        info = src.table
        if len(info.primary_key) != 1 or not info.has_column(info.primary_key[0]):
            continue
        key = info.column(info.primary_key[0])
        if key.family != "integer":
            continue
        col = exp.column(key.name, quoted=True).sql(dialect=engine.dialect)
        try:
            n, low, high = engine.fetch(f"SELECT count(*), min({col}), max({col}) FROM {_sql_table(engine, info)}").rows[0]
        except DataMorphError:
            continue
        if n and low is not None and high is not None and int(high) - int(low) + 1 == int(n):
            out[dense_key_name(info)] = (int(low), int(high))
    return out


def _span(engine: Engine, catalog: Catalog, columns: set[tuple[str, str]]) -> int | None:
    """How many values lie between the smallest and the largest of ``columns`` (None: not integers)."""
    low: int | None = None
    high: int | None = None
    for table, column in columns:
        info: TableInfo = catalog.table(table)
        if info.column(column).family != "integer":
            return None
        col = exp.column(info.column(column).name, quoted=True).sql(dialect=engine.dialect)
        row = engine.fetch(f"SELECT min({col}), max({col}) FROM {_sql_table(engine, info)}").rows[0]
        if row[0] is None:
            continue  # no values: nothing to widen the range with
        low = int(row[0]) if low is None else min(low, int(row[0]))
        high = int(row[1]) if high is None else max(high, int(row[1]))
    if low is None or high is None:
        return None
    return high - low + 1


@contextmanager
def session_settings(engine: Engine, settings: dict[str, str]) -> Iterator[None]:
    """Run the body with ``settings`` set on the engine's session (DuckDB only), restoring them after."""
    if not settings or engine.dialect != "duckdb":
        yield
        return
    previous: dict[str, str] = {}
    try:
        for name, value in settings.items():
            previous[name] = str(engine.scalar(f"SELECT current_setting('{name}')"))
            engine.fetch(f"SET SESSION {name} = {value}")
    except DataMorphError:
        pass  # a setting this DuckDB does not know: the query runs as it is
    try:
        yield
    finally:
        for name, value in previous.items():
            try:
                engine.fetch(f"SET SESSION {name} = {value}")
            except DataMorphError:  # pragma: no cover - the value was read from this session
                pass
