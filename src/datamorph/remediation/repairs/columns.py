"""Column names: a misspelled column → the nearest catalog column; an ambiguous one → qualified."""

from __future__ import annotations

from typing import Any

from datamorph.catalog import ColumnInfo
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis, Repair, RepairContext
from datamorph.remediation.repairs.common import (
    BlockSource,
    block_sources,
    closest_name,
    defined_names,
    find_source,
    is_join_key,
    pick_source,
)
from datamorph.remediation.spec_edit import Usage, blocks, family_fits, rewrite_columns, spec_dict, to_spec
from datamorph.spec import ETLSpec


class UnknownColumnRepairer:
    """``o.amout`` → ``o.amount``: the closest column name of a compatible type.

    Candidates are the columns of the qualifying table (of every source when the name is
    not qualified) and the names the block defines (derived columns, aggregation aliases,
    windows); the place the name is used says the
    type (a sum needs a number, ``> '2024-01-01'`` a date). The closest name must be
    clearly closer than any other; when it exists in several sources the usual rules pick
    the table (see :func:`pick_source`), else nothing is proposed.
    """

    name = "unknown_column"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        if diagnosis.kind != k.UNKNOWN_COLUMN:
            return None
        wrong = str(diagnosis.detail.get("column") or "").lower()
        table = (diagnosis.detail.get("table") or "").lower()
        if not wrong:
            return None
        data = spec_dict(spec)
        changes: list[str] = []
        for prefix, block in blocks(data):
            sources = block_sources(block, context.catalog)
            own = defined_names(block)
            derived = [d["name"] for d in block.get("derived_columns") or []]
            derived += [a["alias"] for a in block.get("aggregations") or []]
            derived += [w["name"] for w in block.get("windows") or []]

            def rename(q: str | None, name: str, usage: Usage, sources: list[BlockSource] = sources,
                       own: set[str] = own, derived: list[str] = derived,
                       block: dict[str, Any] = block) -> str | None:  # fmt: skip
                if name.lower() != wrong:
                    return None
                written = q
                if usage.join_side:
                    q = q or usage.join_side
                if q is None and (name.lower() in own or any(s.table.has_column(name) for s in sources)):
                    return None
                if q is not None:
                    src = find_source(sources, q)
                    if src is None or src.table.has_column(name) or (table and src.table.name.lower() != table):
                        return None
                    pool = [(src, c) for c in src.table.columns if family_fits(usage.family, c.family)]
                else:
                    pool = [(s, c) for s in sources for c in s.table.columns if family_fits(usage.family, c.family)]
                names = [c.name for _s, c in pool] + ([] if q or usage.join_side else derived)
                best = closest_name(name, names)
                if best is None:
                    return None
                entries = [(s, c) for s, c in pool if c.name.lower() == best.lower()]
                new: str | None
                if not entries:  # a name the block defines
                    new = best
                elif q is not None:
                    new = f"{written}.{entries[0][1].name}" if written else entries[0][1].name
                else:
                    new = _qualified(entries, usage, block, sources)
                    if new is None:
                        return None
                changes.append(f"'{name}' → '{new}' in {usage.place}")
                return new

            rewrite_columns(block, rename, prefix)
        return _result(spec, data, changes, "corrected the unknown column")


class AmbiguousColumnRepairer:
    """``unit_price`` in two joined tables → ``oi.unit_price``: the table whose column fits the place.

    Every unqualified use of a name that several sources have (and that no join makes
    equal) is qualified: by the type the place needs, then the table the expression's
    other columns come from, then the side an outer join keeps whole (for join keys, the
    first table joined). When none of these decides, nothing is proposed.
    """

    name = "ambiguous_column"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        if diagnosis.kind != k.AMBIGUOUS_COLUMN:
            return None
        data = spec_dict(spec)
        changes: list[str] = []
        failed: list[str] = []
        for prefix, block in blocks(data):
            sources = block_sources(block, context.catalog)
            own = defined_names(block)
            aggregate = bool(block.get("aggregations") or block.get("group_by"))

            def rename(q: str | None, name: str, usage: Usage, sources: list[BlockSource] = sources,
                       own: set[str] = own, block: dict[str, Any] = block,
                       aggregate: bool = aggregate) -> str | None:  # fmt: skip
                if q is not None or name.lower() in own or usage.place.startswith("order_by"):
                    return None
                if usage.join_side or (aggregate and usage.place.startswith("columns")):
                    return None
                entries = [(s, s.table.column(name)) for s in sources if s.table.has_column(name)]
                if len(entries) < 2 or _equated(block, entries):
                    return None
                new = _qualified(entries, usage, block, sources)
                if new is None:
                    failed.append(f"'{name}' in {usage.place}")
                    return None
                changes.append(f"'{name}' → '{new}' in {usage.place}")
                return new

            rewrite_columns(block, rename, prefix)
        if failed:
            context.notes.append(f"cannot tell which table {', '.join(failed)} comes from")
            return None
        return _result(spec, data, changes, "qualified the ambiguous column")


def _qualified(entries: list[tuple[BlockSource, ColumnInfo]], usage: Usage, block: dict,
               sources: list[BlockSource]) -> str | None:  # fmt: skip
    if len({s.ref.lower() for s, _c in entries}) == 1:
        return entries[0][1].name if len(entries) == 1 else f"{entries[0][0].ref}.{entries[0][1].name}"
    chosen = pick_source(entries, usage, sources, join_key=is_join_key(block, entries[0][1].name))
    if chosen is None:
        return None
    return f"{chosen[0].ref}.{chosen[1].name}"


def _equated(block: dict, entries: list[tuple[BlockSource, ColumnInfo]]) -> bool:
    """True when the joins equate all these columns (the compiler then picks one itself)."""
    pairs = set()
    for jc in block.get("join_conditions") or []:
        for p in jc.get("on_columns") or []:
            lname, rname = p["left"].split(".")[-1].lower(), p["right"].split(".")[-1].lower()
            pairs.add((jc["left_table"].lower(), lname))
            pairs.add((jc["right_table"].lower(), rname))
    return all((s.ref.lower(), c.name.lower()) in pairs or (s.table.name.lower(), c.name.lower()) in pairs
               for s, c in entries)  # fmt: skip


def _result(spec: ETLSpec, data: dict, changes: list[str], what: str) -> Repair | None:
    if not changes:
        return None
    new = to_spec(data)
    if new is None or new == spec:
        return None
    return Repair(new, f"{what}: " + "; ".join(dict.fromkeys(changes)))
