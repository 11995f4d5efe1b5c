"""Joins: a lookup with duplicate rows → de-duplicated; keys that never match → the pair that does."""

from __future__ import annotations

from collections.abc import Iterator

from datamorph.catalog import Catalog, ColumnInfo, TableInfo
from datamorph.errors import DataMorphError
from datamorph.remediation import base as k
from datamorph.remediation.base import Diagnosis, Repair, RepairContext
from datamorph.remediation.probes import differing_duplicate_keys, key_overlap
from datamorph.remediation.repairs.common import block_sources, find_source
from datamorph.remediation.spec_edit import get_at, spec_dict, to_spec
from datamorph.spec import ETLSpec

MIN_OVERLAP = 0.5  # least share of the smaller side's key values found on the other side
CLEAR_LEAD = 0.1  # a key pair chosen on overlap alone must lead the next by this much
MAX_PAIRS = 150  # key pairs probed at most per join


class FanoutRepairer:
    """A lookup joined to the measures has duplicate keys → de-duplicate it on its key.

    The data decides: when the rows sharing a key are exact copies, keeping one per key
    (``dedupe`` on the lookup's key) gives each measure row its one match, so the totals
    stop multiplying. When rows with the same key differ, which one is meant is a business
    question (pre-aggregating them is out of scope): nothing is proposed. Also nothing when
    the block already de-duplicates another table (a block has one ``dedupe``).
    """

    name = "join_fanout"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        d = diagnosis.detail
        if diagnosis.kind != k.JOIN_FANOUT or context.engine is None or not d.get("keys"):
            return None
        data = spec_dict(spec)
        block = get_at(data, tuple(d.get("block", [])))
        table, lookup, keys = d["lookup_table"], d["lookup"], list(d["keys"])
        if block.get("dedupe"):
            context.notes.append(f"the block already de-duplicates; {table} cannot be de-duplicated too")
            return None
        try:
            differing = differing_duplicate_keys(context.engine, table, keys)
        except DataMorphError as e:
            context.notes.append(f"could not inspect the duplicates of {table}: {e.message}")
            return None
        if differing:
            context.notes.append(
                f"{differing} key(s) of {table} have rows that differ, not exact copies; choosing or "
                "pre-aggregating them is a business decision, so the join was not changed"
            )
            return None
        block["dedupe"] = {"keys": [f"{lookup}.{key}" for key in keys]}
        new = to_spec(data)
        if new is None:
            return None
        return Repair(new, f"de-duplicated {lookup} ({table}) on {', '.join(keys)}: its duplicate keys are "
                           "exact duplicate rows that multiplied the joined totals")  # fmt: skip


class JoinKeyRepairer:
    """A join on columns that never match (or cannot be compared) → the key pair whose values overlap.

    Candidate pairs of comparable type between the two tables are tried in this order:
    the catalog's foreign keys between them, columns of the same name, pairs that keep one
    of the two columns written, then any pair; the first group with a pair whose values
    overlap (at least half of the smaller side's distinct values found on the other side)
    gives the repair, the pair with the most overlap. Chosen on overlap alone (the last two
    groups), it must clearly lead the next pair, else nothing is proposed.
    """

    name = "join_key"

    def propose(self, spec: ETLSpec, diagnosis: Diagnosis, context: RepairContext) -> Repair | None:
        d = diagnosis.detail
        if diagnosis.kind != k.JOIN_KEY_MISMATCH or context.engine is None or "join" not in d:
            return None
        data = spec_dict(spec)
        block = get_at(data, tuple(d.get("block", [])))
        jc = block["join_conditions"][d["join"]]
        if len(jc["on_columns"]) != 1:
            context.notes.append("only joins on one key pair are re-keyed")
            return None
        sources = block_sources(block, context.catalog)
        left, right = find_source(sources, jc["left_table"]), find_source(sources, jc["right_table"])
        if left is None or right is None:
            return None
        pair = jc["on_columns"][0]
        written = (pair["left"].split(".")[-1].lower(), pair["right"].split(".")[-1].lower())
        if pair["left"].split(".")[0].lower() in (right.ref.lower(), right.table.name.lower()) and "." in pair["left"]:
            written = written[::-1]
        best = self._choose(context, left.table, right.table, written)
        if best is None:
            return None
        lcol, rcol, score = best
        jc["on_columns"] = [{"left": f"{left.ref}.{lcol}", "right": f"{right.ref}.{rcol}"}]
        new = to_spec(data)
        if new is None:
            return None
        return Repair(new, f"joined {left.ref}–{right.ref} on {left.ref}.{lcol} = {right.ref}.{rcol} instead of "
                           f"{pair['left']} = {pair['right']} (those never match; {score:.0%} of the new keys "
                           "match)")  # fmt: skip

    def _choose(self, context: RepairContext, left: TableInfo, right: TableInfo,
                written: tuple[str, str]) -> tuple[str, str, float] | None:  # fmt: skip
        assert context.engine is not None
        probed: dict[tuple[str, str], float] = {}
        for tier, pairs in enumerate(_candidate_tiers(context.catalog, left, right, written)):
            scored = []
            for lc, rc in pairs:
                key = (lc.name, rc.name)
                if key in probed or (lc.name.lower(), rc.name.lower()) == written or len(probed) >= MAX_PAIRS:
                    continue
                try:
                    probed[key] = key_overlap(context.engine, left.name, lc.name, right.name, rc.name)
                except DataMorphError:
                    probed[key] = 0.0
                scored.append((probed[key], lc.name, rc.name))
            good = sorted((s for s in scored if s[0] >= MIN_OVERLAP), reverse=True)
            if not good:
                continue
            if tier >= 2 and len(good) > 1 and good[0][0] - good[1][0] < CLEAR_LEAD:
                context.notes.append(f"several key pairs overlap about as much: {[(g[1], g[2]) for g in good[:3]]}")
                return None
            return good[0][1], good[0][2], good[0][0]
        context.notes.append(f"no column pair of {left.name} and {right.name} has values in common")
        return None


def _key_family(c: ColumnInfo) -> str | None:
    if c.family in ("integer", "decimal"):
        return "number"
    return c.family if c.family in ("text", "date", "timestamp") else None


def _comparable(a: ColumnInfo, b: ColumnInfo) -> bool:
    fa = _key_family(a)
    return fa is not None and fa == _key_family(b)


def _candidate_tiers(catalog: Catalog, left: TableInfo, right: TableInfo,
                     written: tuple[str, str]) -> Iterator[list[tuple[ColumnInfo, ColumnInfo]]]:  # fmt: skip
    fks: list[tuple[ColumnInfo, ColumnInfo]] = []
    for a, b, flip in ((left, right, False), (right, left, True)):
        for fk in a.foreign_keys:
            if fk.ref_table.lower() != b.name.lower() or len(fk.columns) != 1:
                continue
            try:
                pa, pb = a.column(fk.columns[0]), b.column(fk.ref_columns[0])
            except DataMorphError:
                continue
            fks.append((pb, pa) if flip else (pa, pb))
    yield fks
    pairs = [(lc, rc) for lc in left.columns for rc in right.columns if _comparable(lc, rc)]
    yield [(lc, rc) for lc, rc in pairs if lc.name.lower() == rc.name.lower()]
    yield [(lc, rc) for lc, rc in pairs if lc.name.lower() == written[0] or rc.name.lower() == written[1]]
    yield pairs

