"""What repairs share: a block's sources as the compiler will see them, and name similarity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlglot import exp

from datamorph.catalog import Catalog, ColumnInfo, TableInfo
from datamorph.compiler.expressions import contains_aggregate, parse_expression
from datamorph.errors import DataMorphError
from datamorph.remediation.spec_edit import Usage, family_fits

NAME_THRESHOLD = 75.0  # least similarity for a "did you mean" repair
NAME_MARGIN = 5.0  # the best name must beat the next one by this much


@dataclass
class BlockSource:
    ref: str
    table: TableInfo
    preserved: bool  # not null-supplied by an outer join
    order: int  # position in join order


def block_sources(block: dict[str, Any], catalog: Catalog) -> list[BlockSource]:
    """The block's sources in join order, with which ones an outer join keeps whole."""
    out: dict[str, BlockSource] = {}
    for s in block.get("source_tables") or []:
        try:
            table = catalog.table(s["table_name"])
        except DataMorphError:
            continue
        ref = s.get("alias") or table.name
        out[ref.lower()] = BlockSource(ref, table, True, len(out))
    first = next(iter(out.values()), None)
    joined = {first.ref.lower()} if first else set()
    order = 1
    for jc in block.get("join_conditions") or []:
        left, right = jc["left_table"].lower(), jc["right_table"].lower()
        left = _ref_key(out, left)
        right = _ref_key(out, right)
        jt = jc.get("join_type", "inner")
        if right in joined and left not in joined:
            left, right = right, left
            jt = {"left": "right", "right": "left"}.get(jt, jt)
        if right in out:
            out[right].order = order
            order += 1
            if jt in ("left", "full"):
                out[right].preserved = False
            if jt in ("right", "full"):
                for key in joined:
                    out[key].preserved = False
            joined.add(right)
    return sorted(out.values(), key=lambda s: s.order)


def _ref_key(out: dict[str, BlockSource], name: str) -> str:
    if name in out:
        return name
    return next((k for k, s in out.items() if s.table.name.lower() == name), name)


def find_source(sources: list[BlockSource], ref: str) -> BlockSource | None:
    low = ref.lower()
    return next((s for s in sources if s.ref.lower() == low), None) or next(
        (s for s in sources if s.table.name.lower() == low), None)


def defined_names(block: dict[str, Any]) -> set[str]:
    """Names the block itself defines: derived columns, aggregation aliases, windows, output renames."""
    names = {d["name"].lower() for d in block.get("derived_columns") or []}
    names |= {a["alias"].lower() for a in block.get("aggregations") or []}
    names |= {w["name"].lower() for w in block.get("windows") or []}
    names |= {c["name"].lower() for c in block.get("columns") or [] if c.get("name")}
    return names


def aggregate_names(block: dict[str, Any]) -> set[str]:
    """Aggregation aliases and derived columns computed from aggregates (lower case)."""
    names = {a["alias"].lower() for a in block.get("aggregations") or []}
    changed = True
    while changed:
        changed = False
        for d in block.get("derived_columns") or []:
            low = d["name"].lower()
            if low in names:
                continue
            try:
                tree = parse_expression(d["expression"])
            except DataMorphError:
                continue
            refs = {c.name.lower() for c in tree.find_all(exp.Column) if not c.table}
            if contains_aggregate(tree) or refs & names:
                names.add(low)
                changed = True
    return names


def name_score(wrong: str, candidate: str) -> float:
    """How alike two column names are (0..100): edit similarity, ignoring underscores, or an abbreviation."""
    a, b = wrong.lower(), candidate.lower()
    score = max(fuzz.ratio(a, b), fuzz.ratio(a.replace("_", ""), b.replace("_", "")))
    if _abbreviates(a, b):
        score = max(score, 85.0)
    return float(score)


def _abbreviates(short: str, full: str) -> bool:
    """``cust_id`` → ``customer_id``, ``qty`` → ``quantity``: each word a prefix or an in-order subsequence."""
    sw, fw = [w for w in re.split(r"_+", short) if w], [w for w in re.split(r"_+", full) if w]
    if not sw or len(sw) != len(fw) or short == full:
        return False
    for s, f in zip(sw, fw, strict=True):
        if f.startswith(s):
            continue
        if s[0] != f[0] or len(s) < 2 or not _subsequence(s, f):
            return False
    return True


def _subsequence(s: str, f: str) -> bool:
    it = iter(f)
    return all(ch in it for ch in s)


def closest_name(wrong: str, candidates: list[str]) -> str | None:
    """The one candidate clearly closest to ``wrong`` (case-insensitive), or None."""
    scored = sorted(((name_score(wrong, c), c) for c in dict.fromkeys(candidates)), reverse=True)
    if not scored or scored[0][0] < NAME_THRESHOLD:
        return None
    if len(scored) > 1 and scored[0][0] - scored[1][0] < NAME_MARGIN and scored[0][1].lower() != scored[1][1].lower():
        return None
    return scored[0][1]


def sibling_refs(usage: Usage, sources: list[BlockSource]) -> set[str]:
    """The sources (lower refs) the other columns of the same expression come from."""
    out = set()
    for name in usage.siblings:
        q, _, bare = name.rpartition(".")
        if q:
            src = find_source(sources, q)
            if src is not None:
                out.add(src.ref.lower())
            continue
        having = [s for s in sources if s.table.has_column(bare)]
        if len(having) == 1:
            out.add(having[0].ref.lower())
    return out


def pick_source(
    entries: list[tuple[BlockSource, ColumnInfo]],
    usage: Usage,
    sources: list[BlockSource],
    *,
    join_key: bool = False,
) -> tuple[BlockSource, ColumnInfo] | None:
    """Which of several sources' same-named columns a place means, or None when the spec does not say.

    In order: the type the place needs; the table the other columns of the same expression
    come from; the side an outer join keeps whole; for a join key, the first table joined.
    """
    if len(entries) == 1:
        return entries[0]
    siblings = sibling_refs(usage, sources)
    rules = (
        lambda e: family_fits(usage.family, e[1].family) if usage.family else True,
        lambda e: e[0].ref.lower() in siblings if siblings else True,
        lambda e: e[0].preserved,
    )
    for rule in rules:
        kept = [e for e in entries if rule(e)]
        if len(kept) == 1:
            return kept[0]
        if kept:
            entries = kept
    if join_key or usage.join_key:
        return min(entries, key=lambda e: e[0].order)
    return None


def is_join_key(block: dict[str, Any], name: str) -> bool:
    low = name.lower()
    return any(p[side].split(".")[-1].lower() == low for jc in block.get("join_conditions") or []
               for p in jc.get("on_columns") or [] for side in ("left", "right"))  # fmt: skip

