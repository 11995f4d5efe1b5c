"""The differential check: the staged result against an independent Polars evaluation of the spec.

The spec-derived tests (:mod:`datamorph.validation.derive`) check properties of
the result (filters hold, keys are unique, totals reconcile) but recompute those
figures with the same compiler whose SQL they check, so a wrong translation
(integer division, NULLs sorted first, a LEFT join for an INNER one, a dropped
DISTINCT) can pass all of them. This check evaluates the spec a second time with
Polars (:mod:`datamorph.validation.polars_eval`, no code shared with the
compiler) and compares the two results row for row.

Above ``max_rows`` source rows it evaluates a key-preserving sample: up to
``sample_keys`` values of the grouping key (or a join / dedupe key), every
source reduced to the rows that can reach those keys through the join keys, and
the staged rows carrying those keys. Polars and PyArrow are optional
(``pip install "datamorph[differential]"``); without them the check is a
warning, never a silent pass.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

from sqlglot import exp

from datamorph.catalog import Catalog, TableInfo
from datamorph.engines.base import Engine
from datamorph.errors import DataMorphError
from datamorph.spec import ETLSpec
from datamorph.validation.compare import Comparison, compare_results, rows_text
from datamorph.validation.model import TestCase
from datamorph.validation.polars_eval import (
    BlockPlan,
    Evaluation,
    SourceRef,
    evaluate,
    evaluate_spec_polars,
    normalise,
    table_ref,
)
from datamorph.validation.polars_expr import DifferentialAmbiguous, DifferentialUnsupported

TEST_ID = "differential_polars_matches_sql"
_HASH_RANGE = 1 << 64  # DuckDB's hash() is a UBIGINT
_SAMPLE_SCAN_FACTOR = 8  # below this many rows per wanted key, the key sample reads the whole column
_PROSE_FIELDS = frozenset({"description", "transformations"})
_WORD = re.compile(r"[^\W\d][\w$]*")
INSTALL_HINT = 'pip install "datamorph[differential]"'
_USE_CASE = (
    "The staged result equals an independent evaluation of the spec with Polars (no code shared with the "
    "SQL compiler): every row, compared as a multiset, numbers within tolerance"
)


# ---------------------------------------------------------------------------------------------
# the test
# ---------------------------------------------------------------------------------------------


def differential_test(
    engine: Engine,
    spec: ETLSpec,
    catalog: Catalog,
    staged_table: str,
    *,
    max_rows: int = 1_000_000,
    sample_keys: int = 10_000,
) -> TestCase:
    """Compare ``staged_table`` with the spec evaluated by Polars; a TestCase with status pass, fail or warning.

    ``warning`` (with the reason in ``message``): Polars is not installed, the spec uses something
    the evaluation does not support, or the data does not determine one result. ``error`` (a
    false positive, not blocking): the check itself broke.
    """
    t = TestCase(
        test_id=TEST_ID, category="transformation", use_case=_USE_CASE,
        query=f"Polars evaluation of the spec (datamorph.validation.polars_eval) compared with {staged_table}",
        expected_result="the same rows as the Polars evaluation", kind="compare", validation_type="rule_based",
    )  # fmt: skip
    t0 = time.perf_counter()
    try:
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        t.status = "warning"
        t.message = f"differential check skipped: Polars and PyArrow are not installed ({INSTALL_HINT})"
        return t
    try:
        _run(t, engine, spec, catalog, staged_table, max_rows, sample_keys)
    except DifferentialUnsupported as e:
        t.status = "warning"
        t.message = f"differential check skipped: {e}"
    except NotImplementedError as e:
        t.status = "warning"
        t.message = f"differential check skipped: {e}"
    except Exception as e:  # the check itself broke: report it, do not block on it
        t.status = "error"
        t.false_positive = True
        t.message = f"the differential check could not run: {type(e).__name__}: {e}"
    t.duration_ms = round((time.perf_counter() - t0) * 1000, 2)
    return t


def _run(t: TestCase, engine: Engine, spec: ETLSpec, catalog: Catalog, staged_table: str,
         max_rows: int, sample_keys: int) -> None:  # fmt: skip
    div = _division_by_zero(engine)
    infos: dict[str, TableInfo] = {}
    for b in spec.blocks():
        for st in b.source_tables:
            if catalog.has_table(st.table_name):
                info = catalog.table(st.table_name)
                infos[table_ref(info).lower()] = info
    names = _spec_names(spec)
    # collations matter only where text is read: the tables whose columns read include text
    unchecked = list(infos.values())
    for i in [i for i in unchecked if _reads_text(i, names)]:
        _refuse_collations(engine, i)
        unchecked.remove(i)
    rows = sum(_row_count(engine, i) for i in infos.values())
    try:
        _attempt(t, engine, spec, catalog, staged_table, rows, max_rows, sample_keys, div, names)
    except Exception:
        # the sources were read without the columns the spec does not name: a column the evaluation
        # reached for after all (or anything else going wrong) gets the whole check again on every column
        for i in unchecked:
            _refuse_collations(engine, i)
        _attempt(t, engine, spec, catalog, staged_table, rows, max_rows, sample_keys, div, None)


def _reads_text(info: TableInfo, names: set[str] | None) -> bool:
    cols = _columns_named(info, names)
    return any(c.family == "text" for c in info.columns if cols is None or c.name in cols)


def _attempt(t: TestCase, engine: Engine, spec: ETLSpec, catalog: Catalog, staged_table: str, rows: int,
             max_rows: int, sample_keys: int, div: str, names: set[str] | None) -> None:  # fmt: skip
    """One run of the check, reading only the source columns whose names occur in ``names`` (None: all)."""
    info: dict[str, Any] = {"mode": "full", "source_rows": rows}
    if rows <= max_rows:
        cache: dict[str, Any] = {}

        def read(_block: int, source: SourceRef) -> Any:
            name = table_ref(source.info)
            if name not in cache:
                cache[name] = engine.read_arrow(name, _columns_named(source.info, names))
            return cache[name]

        ev = evaluate(spec, catalog, read, div_by_zero=div, partial=names is not None)
        staged, _ = normalise(engine.read_arrow(staged_table))
    else:
        ev, staged, info = _sampled(engine, spec, catalog, staged_table, rows, max_rows, sample_keys, div, names)
    _judge(t, ev, staged, info)


def _spec_names(spec: ETLSpec) -> set[str]:
    """Every name the spec could refer to a column by (lower case): its strings and the words in them.

    Prose (``description``, ``transformations``) is left out. A superset is harmless (a column
    read for nothing); a column the evaluation needs that is not here makes it fail, and the check
    then runs again reading every column.
    """
    out: set[str] = set()

    def walk(value: Any, key: str | None = None) -> None:
        if key in _PROSE_FIELDS:
            return
        if isinstance(value, str):
            low = value.lower()
            out.add(low)
            out.update(low.split("."))
            out.update(_WORD.findall(low))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v, key)

    walk(spec.model_dump(mode="json"))
    return out


def _columns_named(info: TableInfo, names: set[str] | None, *extra: str) -> list[str] | None:
    """The columns of ``info`` to read: those in ``names`` and ``extra`` (None: all of them)."""
    if names is None:
        return None
    wanted = names | {e.lower() for e in extra}
    cols = [c.name for c in info.columns if c.name.lower() in wanted]
    return None if len(cols) == len(info.columns) else cols or [info.columns[0].name]


def _judge(t: TestCase, ev: Evaluation, staged: Any, info: dict[str, Any]) -> None:
    import polars as pl

    n = ev.frame.height
    if ev.limit is None or n <= ev.limit:
        cmp = compare_results(staged, ev.result())
        t.actual_result = {**info, **_summary(cmp)}
        t.status = "pass" if cmp.equal else "fail"
        t.message = cmp.message()
        return
    # a limit cuts the ordered rows: which rows is determined unless the cut falls inside a tie
    df = ev.sorted()
    limit = ev.limit
    order_cols = [c for c, _d, _n in ev.order]
    boundary = df.row(limit - 1, named=True)
    tie = pl.lit(True)
    for c in order_cols:
        tie = tie & pl.col(c).eq_missing(pl.lit(boundary[c], dtype=df.schema[c]))
    idx = df.with_row_index("i").filter(tie)["i"]
    first, end = int(idx.min()), int(idx.max()) + 1
    tied = df.slice(first, end - first).select(ev.columns)
    if end == limit or tied.unique().height == 1:
        cmp = compare_results(staged, ev.result())
        t.actual_result = {**info, **_summary(cmp)}
        t.status = "pass" if cmp.equal else "fail"
        t.message = cmp.message()
        return
    fixed = compare_results(staged, df.head(first).select(ev.columns))
    pool = compare_results(staged, df.head(end).select(ev.columns))
    wanted = f"{limit - first} of the {end - first} rows tied on the order_by columns at the cut"
    t.actual_result = {**info, **_summary(pool), "limit_tie": wanted}
    if staged.height == limit and fixed.missing_count == 0 and pool.unexpected_count == 0:
        t.status = "warning"
        t.message = (f"order_by does not determine which rows the limit keeps ({wanted}); the rows before the "
                     "tie match and the tied rows kept are a valid choice")  # fmt: skip
    else:
        t.status = "fail"
        problems = []
        if staged.height != limit:
            problems.append(f"the result has {staged.height} rows, the limit keeps {limit}")
        if fixed.missing_count:
            problems.append(f"{fixed.missing_count} row(s) that order_by puts within the limit are missing, "
                            f"e.g. {rows_text(fixed.missing)}")  # fmt: skip
        if pool.unexpected_count:
            problems.append(f"{pool.unexpected_count} row(s) of the result are not among the first rows, "
                            f"e.g. {rows_text(pool.unexpected)}")  # fmt: skip
        t.message = "; ".join(problems)


def _summary(cmp: Comparison) -> dict[str, Any]:
    return {
        "staged_rows": cmp.staged_rows,
        "expected_rows": cmp.expected_rows,
        "unexpected_rows": cmp.unexpected,
        "missing_rows": cmp.missing,
        "unexpected_count": cmp.unexpected_count,
        "missing_count": cmp.missing_count,
        "column_problems": cmp.column_problems,
    }


def _division_by_zero(engine: Engine) -> str:
    """How the engine's ``/`` treats a zero divisor: "ieee" (±inf, NaN) or "null"."""
    try:
        return "null" if engine.scalar("SELECT CAST(1 AS DOUBLE) / 0") is None else "ieee"
    except Exception:
        return "ieee"


def _refuse_collations(engine: Engine, info: TableInfo) -> None:
    """A collated text column (``'A' = 'a'``) compares, groups and joins in ways Polars does not."""
    try:
        collated = engine.text_collations(table_ref(info))
    except NotImplementedError:
        return  # the engine cannot tell; its read_arrow decides whether the check runs at all
    if collated:
        col, how = next(iter(collated.items()))
        raise DifferentialUnsupported(f"{info.name}.{col} has collation {how}: text comparisons, grouping and joins "
                                      "follow it and the Polars evaluation compares text byte by byte")  # fmt: skip


def _sql_table(engine: Engine, info: TableInfo) -> str:
    schema = None if info.schema in ("main", "public", "default", "temp", "") or info.kind == "file" else info.schema
    node = exp.table_(exp.to_identifier(info.name, quoted=True),
                      db=exp.to_identifier(schema, quoted=True) if schema else None)  # fmt: skip
    return node.sql(dialect=engine.dialect)


def _row_count(engine: Engine, info: TableInfo) -> int:
    if info.row_count is not None:
        return int(info.row_count)
    return int(engine.scalar(f"SELECT count(*) FROM {_sql_table(engine, info)}") or 0)


# ---------------------------------------------------------------------------------------------
# large sources: a key-preserving sample
# ---------------------------------------------------------------------------------------------


def _sampled(engine: Engine, spec: ETLSpec, catalog: Catalog, staged_table: str, rows: int, max_rows: int,
             sample_keys: int, div: str, names: set[str] | None = None) -> tuple[Evaluation, Any, dict[str, Any]]:  # fmt: skip
    import polars as pl

    why = f"the sources have {rows:,} rows (more than max_rows={max_rows:,})"
    if spec.union is not None:
        raise DifferentialUnsupported(f"{why} and a union cannot be evaluated on a sample")
    if spec.limit is not None:
        raise DifferentialUnsupported(f"{why} and a limit cannot be evaluated on a sample")
    plan = BlockPlan(spec, catalog)
    owner, column = _sample_key(plan, spec, why)
    key_class = plan.class_of((owner.key, column))
    values, high = _hashed_key_sample(engine, owner.info, column, sample_keys)
    band = _Band(engine, owner.info.column(column).type, high) if high is not None else None
    frames = _reduced_sources(engine, plan, owner, column, values, names, band)
    ev = evaluate(spec, catalog, lambda _b, s: frames[s.key], div_by_zero=div, partial=names is not None)
    out = _key_output(ev, key_class)
    if out is None:
        raise DifferentialUnsupported(f"{why} and the sample key is not an output column")  # checked before
    keep = pl.Series("k", [_py(v) for v in values], strict=False)
    dtype = ev.frame.schema[out]
    keys = pl.DataFrame({out: keep.cast(dtype, strict=False)}).drop_nulls().unique()
    ev.frame = ev.frame.join(keys, on=out, how="semi")
    staged_rows = band.read_staged(staged_table, out) if band is not None else None
    if staged_rows is None:
        staged, _ = normalise(engine.read_arrow(staged_table, where_in=(out, values)))
    else:  # the rows of the band, then exactly those of the sampled keys
        staged, _ = normalise(staged_rows)
        real_out = {c.lower(): c for c in staged.columns}[out.lower()]
        keys_staged = keys.rename({out: real_out}).with_columns(pl.col(real_out).cast(staged.schema[real_out],
                                                                                       strict=False))  # fmt: skip
        staged = staged.join(keys_staged.drop_nulls(), on=real_out, how="semi")
    real = owner.info.column(column).name
    info = {
        "mode": "sample",
        "source_rows": rows,
        "max_rows": max_rows,
        "sample_key": f"{owner.ref}.{real}",
        "sampled_keys": len(values),
        "sample_source_rows": sum(f.num_rows for f in frames.values()),
        "key_values": [_py(v) for v in values[:20]],
    }
    return ev, staged, info


def _py(v: Any) -> Any:
    return float(v) if isinstance(v, Decimal) else v


def _sample_key(plan: BlockPlan, spec: ETLSpec, why: str) -> tuple[SourceRef, str]:
    """The source column to sample keys of, checked to be safe: every output row depends on one key's rows."""
    candidates: list[list[tuple[SourceRef, str]]] = []
    if spec.is_aggregate:
        derived = {d.name.lower() for d in spec.derived_columns}
        for g in spec.group_by:
            if g.lower() not in derived and "(" not in g:
                candidates.append(plan.lookup(g))
        if not candidates:
            raise DifferentialUnsupported(f"{why} and no group_by key is a source column to sample by")
    else:
        if spec.dedupe is not None and spec.dedupe.keys:
            candidates.append(plan.lookup(spec.dedupe.keys[0]))
        for j in plan.joins:
            candidates.append([(j.left, j.pairs[0][0]), (j.right, j.pairs[0][1])])
        src = plan.sources[0]
        for c in dict.fromkeys([*src.info.primary_key, *(c.name for c in src.info.columns)]):
            candidates.append([(src, c.lower())])
    outputs = _output_identities(plan, spec)
    reason = f"{why} and no key to sample by is an output column"
    for hits in candidates:
        preserved = [h for h in hits if not _null_supplied(plan, h[0])] or hits
        owner, column = preserved[0]
        cls = plan.class_of((owner.key, column))
        if not any(o and o & cls for o in outputs):
            continue
        try:
            _check_separable(plan, spec, cls, why)
        except DifferentialUnsupported as e:
            reason = str(e)
            continue
        return owner, column
    raise DifferentialUnsupported(reason)


def _null_supplied(plan: BlockPlan, src: SourceRef) -> bool:
    for i, j in enumerate(plan.joins):
        if j.right is src and j.how in ("left", "full"):
            return True
        if j.how in ("right", "full") and src in plan.sources[: i + 1]:
            return True
    return False


def _output_identities(plan: BlockPlan, spec: ETLSpec) -> list[frozenset[tuple[str, str]] | None]:
    """The source columns each output column is (without evaluating): for picking the sample key."""
    names: list[str] = []
    if spec.columns:
        names = [c.column for c in spec.columns if c.column is not None]
    elif spec.is_aggregate:
        names = list(spec.group_by)
    else:
        names = [f"{s.ref}.{c.name}" for s in plan.sources for c in s.info.columns]
    out: list[frozenset[tuple[str, str]] | None] = []
    for n in names:
        try:
            out.append(BlockPlan.identity(plan.lookup(n)))
        except DifferentialUnsupported:
            out.append(None)
    return out


def _check_separable(plan: BlockPlan, spec: ETLSpec, cls: set[tuple[str, str]], why: str) -> None:
    def has_key(names: list[str]) -> bool:
        for n in names:
            try:
                if BlockPlan.identity(plan.lookup(n)) & cls:
                    return True
            except DifferentialUnsupported:
                continue
        return False

    for w in spec.windows:
        if not has_key(w.partition_by):
            raise DifferentialUnsupported(f"{why} and window '{w.name}' spans several sample keys "
                                          "(its partition_by does not include the key)")  # fmt: skip
    if spec.dedupe is not None and spec.dedupe.keys and not has_key(spec.dedupe.keys):
        raise DifferentialUnsupported(f"{why} and the dedupe keys do not include the sample key")


def _key_sample(engine: Engine, info: TableInfo, column: str, n: int) -> list[Any]:
    """Up to ``n`` distinct non-NULL values of ``column``, the same ones on every run: those first in hash order."""
    return _hashed_key_sample(engine, info, column, n)[0]


def _hashed_key_sample(engine: Engine, info: TableInfo, column: str, n: int) -> tuple[list[Any], int | None]:
    """The key sample (see :func:`_key_sample`) and, on DuckDB, the hash of its last value.

    On DuckDB the values whose hash is below a threshold are a prefix of that order, and a filter
    on the hash runs as the table is scanned, so the sample is first looked for among them (a
    threshold expected to let about ``2n`` values through); only if fewer than ``n`` get through
    is the threshold raised, up to the whole column. The sample is the same either way.
    """
    col = exp.column(info.column(column).name, quoted=True).sql(dialect=engine.dialect)
    table = _sql_table(engine, info)
    duck = engine.dialect == "duckdb"
    order = f"hash({col})" if duck else f"md5(CAST({col} AS VARCHAR))"

    def sample(where: str) -> list[tuple[Any, ...]]:
        hashed = f", hash({col})" if duck else ""
        sql = (f"SELECT {col}{hashed} FROM (SELECT DISTINCT {col} FROM {table} WHERE {where}) "
               f"AS _dm_k ORDER BY {order}, {col} LIMIT {int(n)}")  # fmt: skip
        return engine.fetch(sql).rows

    rows: list[tuple[Any, ...]] | None = None
    count = _row_count(engine, info)
    if duck and n > 0 and count > _SAMPLE_SCAN_FACTOR * n:
        threshold = (_HASH_RANGE * 2 * n) // count
        while threshold < _HASH_RANGE:
            found = sample(f"{col} IS NOT NULL AND hash({col}) < CAST({threshold} AS UBIGINT)")
            if len(found) >= n:
                rows = found
                break
            threshold *= 16
    if rows is None:
        rows = sample(f"{col} IS NOT NULL")
    return [r[0] for r in rows], (int(rows[-1][1]) if duck and rows else None)


class _Band:
    """DuckDB: the rows whose key hashes at most as high as the last sampled key (the sampled keys and
    a few others), read through a temporary view: ``WHERE hash(key) <= high`` is a filter DuckDB
    applies while scanning (the other columns are fetched for the rows that pass only), where
    ``key IN (list)`` is a join of every row with the list. Equal values of one type hash alike,
    so a source joined on the sample key of the same type keeps every row the join can reach.
    """

    def __init__(self, engine: Engine, key_type: str, high: int) -> None:
        self.engine, self.key_type, self.high = engine, key_type, high

    @staticmethod
    def same_type(a: str, b: str) -> bool:
        return a.strip().upper() == b.strip().upper()

    def read(self, info: TableInfo, columns: list[str] | None, key: str) -> Any:
        """The rows of ``info`` whose ``key`` hashes into the band (``columns`` only), or None if it cannot."""
        if not self.same_type(info.column(key).type, self.key_type):
            return None
        return self._read(_sql_table(self.engine, info), columns, key)

    def read_staged(self, staged: str, key: str) -> Any:
        """The staged rows whose ``key`` hashes into the band, or None (the key's type differs, or no rows)."""
        table = exp.to_table(staged)
        for part in table.parts:
            part.set("quoted", True)
        sql = table.sql(dialect=self.engine.dialect)
        try:
            typed = self.engine.fetch(f"SELECT typeof({exp.column(key, quoted=True).sql(dialect='duckdb')}) "
                                      f"FROM {sql} LIMIT 1").rows  # fmt: skip
        except DataMorphError:
            return None
        if not typed or not self.same_type(str(typed[0][0]), self.key_type):
            return None
        return self._read(sql, None, key)

    def _read(self, table: str, columns: list[str] | None, key: str) -> Any:
        import uuid

        q = lambda c: exp.column(c, quoted=True).sql(dialect="duckdb")  # noqa: E731
        view = f"_dm_band_{uuid.uuid4().hex[:16]}"
        select = ", ".join(q(c) for c in columns) if columns else "*"
        try:
            self.engine.fetch(f"CREATE TEMP VIEW {view} AS SELECT {select} FROM {table} "
                              f"WHERE hash({q(key)}) <= CAST({self.high} AS UBIGINT)")  # fmt: skip
        except DataMorphError:
            return None  # e.g. no temporary objects here: read with the list of keys instead
        try:
            return self.engine.read_arrow(f"temp.{view}")
        finally:
            self.engine.fetch(f"DROP VIEW IF EXISTS temp.{view}")


def _reduced_sources(engine: Engine, plan: BlockPlan, owner: SourceRef, column: str, values: list[Any],
                     names: set[str] | None = None, band: _Band | None = None) -> dict[str, Any]:  # fmt: skip
    """Each source's rows that can join to the sampled keys (a superset is fine: the joins do the rest).

    With ``names``, only the columns named there (and the join keys) are read. With ``band``, a
    source joined on the sample key (same type) is read as the rows whose key hashes into the
    band, a filter DuckDB applies as it scans, instead of a join with the list of keys.
    """
    import polars as pl

    def keys_of(src: SourceRef) -> list[str]:
        return [c for j in plan.joins for side, i in ((j.left, 0), (j.right, 1)) if side is src for c in
                (p[i] for p in j.pairs)]  # fmt: skip

    banded: dict[str, str] = {}  # source key -> a column all of whose values read hash into the band

    def read(src: SourceRef, col: str, keys: list[Any] | None) -> Any:
        cols = _columns_named(src.info, names, col, *keys_of(src))
        if keys is None and band is not None:
            rows = band.read(src.info, cols, src.info.column(col).name)
            if rows is not None:
                banded[src.key] = col
                return rows
            keys = values if src is owner else None
        if keys is None:
            raise DifferentialUnsupported("cannot reduce the sources to the sample")  # pragma: no cover
        return engine.read_arrow(table_ref(src.info), cols, where_in=(src.info.column(col).name, keys))

    def band_joins(src: SourceRef, col: str, other: SourceRef, other_col: str) -> bool:
        """Whether ``other`` can be read through the band: joined on a banded column of the same type."""
        return (band is not None and banded.get(src.key) == col
                and band.same_type(other.info.column(other_col).type, src.info.column(col).type))  # fmt: skip

    real = owner.info.column(column).name
    if _columns_named(owner.info, names, column, *keys_of(owner)) == [real] and _is_integer_key(owner.info, real):
        # all that is read of the owner is its integer primary key, and the sample was drawn from that
        # very column: its rows are the sampled values, one each (no need to scan the table again)
        import pyarrow as pa

        frames = {owner.key: pa.table({real: pa.array([int(v) for v in values], type=pa.int64())})}
        if band is not None:
            banded[owner.key] = column
    else:
        frames = {owner.key: read(owner, column, None if band is not None else values)}
    pending = list(plan.joins)
    while pending:
        progressed = False
        for j in list(pending):
            for have, want, hcol, wcol in ((j.left, j.right, j.pairs[0][0], j.pairs[0][1]),
                                           (j.right, j.left, j.pairs[0][1], j.pairs[0][0])):  # fmt: skip
                if have.key in frames and want.key not in frames:
                    if band_joins(have, hcol, want, wcol):
                        frames[want.key] = read(want, wcol, None)
                        continue
                    df = pl.from_arrow(frames[have.key])
                    assert isinstance(df, pl.DataFrame)
                    real = {c.lower(): c for c in df.columns}[hcol]
                    keys = [_py(v) for v in df.get_column(real).drop_nulls().unique().to_list()]
                    frames[want.key] = read(want, wcol, keys)
            if j.left.key in frames and j.right.key in frames:
                pending.remove(j)
                progressed = True
        if not progressed:  # pragma: no cover - joins always connect every source
            raise DifferentialUnsupported("cannot reduce the sources to the sample")
    return frames


def _is_integer_key(info: TableInfo, column: str) -> bool:
    """``column`` is the whole primary key of ``info`` (unique, never NULL) and holds integers."""
    pk = [c.lower() for c in info.primary_key]
    return pk == [column.lower()] and info.column(column).family == "integer"


def _key_output(ev: Evaluation, cls: set[tuple[str, str]]) -> str | None:
    exact = [n for n, o in zip(ev.columns, ev.origins, strict=True) if o and o & cls]
    return exact[0] if exact else None


__all__ = [
    "Comparison",
    "DifferentialAmbiguous",
    "DifferentialUnsupported",
    "compare_results",
    "differential_test",
    "evaluate_spec_polars",
]
