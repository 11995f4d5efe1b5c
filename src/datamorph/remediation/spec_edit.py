"""Edit a spec as plain data: paths to its elements, every column reference, invariants.

Repairs work on the JSON form of a spec (``spec_dict``) and validate the result back
into an :class:`~datamorph.spec.ETLSpec` (``to_spec``). A *path* is the list of keys and
indexes that leads to an element, e.g. ``["filters", 0]`` or
``["union", "blocks", 1, "join_conditions", 0, "on_columns", 0, "left"]``.

:func:`rewrite_columns` visits every column reference of a block (condition columns,
SQL fragments, group keys, aggregation and window arguments, output columns, dedupe
keys, join keys) with what the place needs (:class:`Usage`), and lets a callback
rename it. :func:`check_invariants` is the guard every repair passes: a repair may move
or correct an element, never drop a requested clause, a source or an output.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from datamorph.catalog import NUMERIC_FAMILIES, TypeFamily
from datamorph.compiler.expressions import SPEC_DIALECT, parse_expression
from datamorph.errors import DataMorphError
from datamorph.spec import ETLSpec

Path = tuple[Any, ...]
CONDITION_LISTS = ("filters", "having", "qualify")
_TEXT_OPERATORS = frozenset({"like", "not_like", "ilike", "contains", "starts_with", "ends_with"})


# -- conversion ---------------------------------------------------------------------


def spec_dict(spec: ETLSpec) -> dict[str, Any]:
    """The spec as JSON-ready data (a fresh copy the caller may change)."""
    return json.loads(spec.to_json())


def to_spec(data: dict[str, Any]) -> ETLSpec | None:
    """``data`` validated as a spec, or None when it is not a valid spec."""
    try:
        return ETLSpec.model_validate(data)
    except (ValueError, DataMorphError):
        return None


def spec_diff(old: ETLSpec, new: ETLSpec, old_name: str, new_name: str) -> str:
    """A unified diff of the two specs' JSON."""
    lines = difflib.unified_diff(old.to_json().splitlines(), new.to_json().splitlines(),
                                 fromfile=old_name, tofile=new_name, lineterm="", n=2)  # fmt: skip
    return "\n".join(lines)


def get_at(data: Any, path: Path) -> Any:
    for key in path:
        data = data[key]
    return data


def set_at(data: Any, path: Path, value: Any) -> None:
    get_at(data, path[:-1])[path[-1]] = value


# -- blocks and conditions ------------------------------------------------------------


def blocks(data: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, block) for the main block and each union block."""
    yield (), data
    for i, b in enumerate((data.get("union") or {}).get("blocks") or []):
        yield ("union", "blocks", i), b


def condition_kind(cond: dict[str, Any]) -> str:
    for key in ("any_of", "all_of", "not", "expression"):
        if key in cond:
            return key
    return "filter"


def walk_condition(cond: dict[str, Any], path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The condition and every condition nested in it, with their paths."""
    yield path, cond
    kind = condition_kind(cond)
    if kind in ("any_of", "all_of"):
        for i, c in enumerate(cond[kind]):
            yield from walk_condition(c, (*path, kind, i))
    elif kind == "not":
        yield from walk_condition(cond["not"], (*path, "not"))


def block_conditions(block: dict[str, Any], prefix: Path = ()) -> Iterator[tuple[Path, dict[str, Any], str]]:
    """(path, condition, clause) of every condition of a block, nested ones included.

    ``clause`` is ``filters``, ``having``, ``qualify``, ``join`` (extra ON conditions) or
    ``aggregation`` (conditional aggregation filters).
    """
    for clause in CONDITION_LISTS:
        for i, c in enumerate(block.get(clause) or []):
            for p, sub in walk_condition(c, (*prefix, clause, i)):
                yield p, sub, clause
    for j, jc in enumerate(block.get("join_conditions") or []):
        for i, c in enumerate(jc.get("conditions") or []):
            for p, sub in walk_condition(c, (*prefix, "join_conditions", j, "conditions", i)):
                yield p, sub, "join"
    for j, agg in enumerate(block.get("aggregations") or []):
        for i, c in enumerate(agg.get("filter") or []):
            for p, sub in walk_condition(c, (*prefix, "aggregations", j, "filter", i)):
                yield p, sub, "aggregation"


def count_conditions(data: dict[str, Any]) -> int:
    """Leaf conditions (filters and expressions) in every clause of every block."""
    return sum(1 for _bp, b in blocks(data) for _p, c, _k in block_conditions(b)
               if condition_kind(c) in ("filter", "expression"))  # fmt: skip


def source_refs(block: dict[str, Any]) -> dict[str, str]:
    """lower ref (alias, and table name) -> table name, for a block's sources."""
    out: dict[str, str] = {}
    for s in block.get("source_tables") or []:
        name = s["table_name"]
        out.setdefault(name.lower(), name)
        if s.get("alias"):
            out[s["alias"].lower()] = name
    return out


def ref_of(block: dict[str, Any], table_or_alias: str) -> str:
    """The name a block uses for a source (its alias, else its table name)."""
    low = table_or_alias.lower()
    for s in block.get("source_tables") or []:
        if (s.get("alias") or "").lower() == low or s["table_name"].lower() == low:
            return s.get("alias") or s["table_name"]
    return table_or_alias


# -- column references ------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What a place in the spec needs from the column written there."""

    place: str  # e.g. "filters[0].column", "aggregations[1].expression"
    family: TypeFamily | None = None  # the type family the place needs, when it says
    siblings: frozenset[str] = field(default_factory=frozenset)  # the other columns it reads, as written
    join_side: str | None = None  # for a join key: the ref of the source it must come from
    join_key: bool = False


# callback: (qualifier or None, column name, usage) -> the new reference, or None to keep it
Renamer = Callable[[str | None, str, Usage], str | None]


def split_name(name: str) -> tuple[str | None, str]:
    q, _, bare = name.rpartition(".")
    return (q or None), bare


def value_family(value: Any, operator: str | None = None) -> TypeFamily | None:
    """The family a comparison value implies (None when it says nothing)."""
    if operator in _TEXT_OPERATORS:
        return "text"
    if isinstance(value, list):
        fams = {value_family(v) for v in value if v is not None}
        return fams.pop() if len(fams) == 1 else None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "decimal"
    if isinstance(value, str):
        from datamorph.remediation.literals import looks_like_date, parse_number

        if parse_number(value) is not None:
            return None  # "1000": a number or a code, the value alone does not say
        return "date" if looks_like_date(value) else "text"
    return None


def rewrite_columns(block: dict[str, Any], rename: Renamer, prefix: Path = ()) -> list[Path]:
    """Call ``rename`` on every column reference of ``block`` and apply its answers in place.

    Returns the paths of the elements that changed.
    """
    changed: list[Path] = []

    def name_at(path: Path, usage: Usage) -> None:
        value = get_at(block, path)
        if not isinstance(value, str) or not value.strip():
            return
        if "(" in value or " " in value.strip():
            return sql_at(path, usage)
        q, bare = split_name(value.strip())
        new = rename(q, bare, usage)
        if new is not None and new != value:
            set_at(block, path, new)
            changed.append((*prefix, *path))

    def sql_at(path: Path, usage: Usage) -> None:
        text = get_at(block, path)
        if not isinstance(text, str):
            return
        try:
            tree = parse_expression(text)
        except DataMorphError:
            return
        columns = [c for c in tree.find_all(exp.Column) if not isinstance(c.this, exp.Star)]
        hit = False
        for col in columns:
            siblings = frozenset((f"{c.table}.{c.name}" if c.table else c.name).lower()
                                 for c in columns if c is not col)  # fmt: skip
            u = Usage(usage.place, _family_in_tree(col) or usage.family, siblings | usage.siblings)
            new = rename(col.table or None, col.name, u)
            if new is not None and new != (f"{col.table}.{col.name}" if col.table else col.name):
                q, bare = split_name(new)
                col.replace(exp.column(bare, table=q))
                hit = True
        if hit:
            set_at(block, path, tree.sql(dialect=SPEC_DIALECT))
            changed.append((*prefix, *path))

    for path, cond, _clause in list(block_conditions(block)):
        kind = condition_kind(cond)
        place = _place(path)
        if kind == "filter":
            value_fam = value_family(cond.get("value"), cond.get("operator"))
            name_at((*path, "column"), Usage(f"{place}.column", value_fam))
            if cond.get("value_column"):
                name_at((*path, "value_column"), Usage(f"{place}.value_column"))
        elif kind == "expression":
            sql_at((*path, "expression"), Usage(f"{place}.expression"))
    for i, _d in enumerate(block.get("derived_columns") or []):
        sql_at(("derived_columns", i, "expression"), Usage(f"derived_columns[{i}]"))
    for i, _g in enumerate(block.get("group_by") or []):
        name_at(("group_by", i), Usage(f"group_by[{i}]"))
    for i, agg in enumerate(block.get("aggregations") or []):
        fam: TypeFamily | None = "decimal" if agg.get("function") in ("sum", "avg") else None
        if agg.get("column"):
            name_at(("aggregations", i, "column"), Usage(f"aggregations[{i}].column", fam))
        if agg.get("expression"):
            sql_at(("aggregations", i, "expression"), Usage(f"aggregations[{i}].expression", fam))
        for j, _g in enumerate(agg.get("group_by") or []):
            name_at(("aggregations", i, "group_by", j), Usage(f"aggregations[{i}].group_by[{j}]"))
    for i, w in enumerate(block.get("windows") or []):
        if w.get("column"):
            name_at(("windows", i, "column"), Usage(f"windows[{i}].column"))
        if w.get("expression"):
            sql_at(("windows", i, "expression"), Usage(f"windows[{i}].expression"))
        for j, _p in enumerate(w.get("partition_by") or []):
            name_at(("windows", i, "partition_by", j), Usage(f"windows[{i}].partition_by[{j}]"))
        for j, _o in enumerate(w.get("order_by") or []):
            name_at(("windows", i, "order_by", j, "column"), Usage(f"windows[{i}].order_by[{j}]"))
    for i, c in enumerate(block.get("columns") or []):
        if c.get("column"):
            name_at(("columns", i, "column"), Usage(f"columns[{i}]"))
        if c.get("expression"):
            sql_at(("columns", i, "expression"), Usage(f"columns[{i}]"))
    dd = block.get("dedupe") or {}
    for i, _k in enumerate(dd.get("keys") or []):
        name_at(("dedupe", "keys", i), Usage(f"dedupe.keys[{i}]"))
    for i, _o in enumerate(dd.get("order_by") or []):
        name_at(("dedupe", "order_by", i, "column"), Usage(f"dedupe.order_by[{i}]"))
    for j, jc in enumerate(block.get("join_conditions") or []):
        for i, _pair in enumerate(jc.get("on_columns") or []):
            for side, table in (("left", jc["left_table"]), ("right", jc["right_table"])):
                usage = Usage(f"join_conditions[{j}].on_columns[{i}].{side}",
                              join_side=ref_of(block, table), join_key=True)  # fmt: skip
                name_at(("join_conditions", j, "on_columns", i, side), usage)
    if not prefix:
        for i, _o in enumerate(block.get("order_by") or []):
            name_at(("order_by", i, "column"), Usage(f"order_by[{i}]"))
    return changed


def _place(path: Path) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def place(path: Path) -> str:
    """A path as readable text: ``filters[0].column``."""
    return _place(path)


def _family_in_tree(col: exp.Column) -> TypeFamily | None:
    """The family a column's place in an expression implies: arithmetic → number, lower() → text..."""
    parent = col.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    if isinstance(parent, (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod, exp.Sum, exp.Avg)):
        return "decimal"
    if isinstance(parent, (exp.Lower, exp.Upper, exp.Trim, exp.Like, exp.ILike, exp.Concat, exp.DPipe)):
        return "text"
    if isinstance(parent, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        other = parent.expression if parent.this is col else parent.this
        if isinstance(other, exp.Literal):
            return "text" if other.is_string else "decimal"
    return None


def family_fits(needed: TypeFamily | None, actual: TypeFamily) -> bool:
    """Whether a column of ``actual`` family can serve where ``needed`` is needed (None: anything)."""
    if needed is None or "other" in (needed, actual) or needed == actual:
        return True
    if needed in NUMERIC_FAMILIES and actual in NUMERIC_FAMILIES:
        return True
    return needed in ("date", "timestamp") and actual in ("date", "timestamp")


# -- invariants ------------------------------------------------------------------------


def check_invariants(old: ETLSpec, new: ETLSpec) -> str | None:
    """Why ``new`` is not an acceptable repair of ``old`` (None when it is).

    A repair keeps every source, join (and its type), condition, aggregation, derived
    column, window, output column, group key, dedupe, order, limit and union block.
    """
    o, n = spec_dict(old), spec_dict(new)
    if count_conditions(n) < count_conditions(o):
        return "it would drop a condition"
    for (_p, ob), (_q, nb) in zip(blocks(o), blocks(n), strict=False):
        if sorted(s["table_name"].lower() for s in ob["source_tables"]) != sorted(
            s["table_name"].lower() for s in nb["source_tables"]
        ):
            return "it would change the source tables"
        oj, nj = ob.get("join_conditions") or [], nb.get("join_conditions") or []
        if len(oj) != len(nj) or any(a.get("join_type", "inner") != b.get("join_type", "inner")
                                     for a, b in zip(oj, nj, strict=True)):  # fmt: skip
            return "it would change a join's type or drop a join"
        for key in ("aggregations", "derived_columns", "windows", "columns", "group_by"):
            if len(ob.get(key) or []) != len(nb.get(key) or []):
                return f"it would change the number of {key}"
        od, nd = ob.get("dedupe"), nb.get("dedupe")
        if od and (not nd or _dedupe_shape(od) != _dedupe_shape(nd)):
            return "it would change the requested de-duplication"
    if len(list(blocks(o))) != len(list(blocks(n))):
        return "it would change the union blocks"
    if len(o.get("order_by") or []) != len(n.get("order_by") or []):
        return "it would change the order"
    for key in ("limit", "distinct", "target_table"):
        if o.get(key) != n.get(key):
            return f"it would change {key}"
    return None


def _dedupe_shape(d: dict[str, Any]) -> tuple[int, list[str], str]:
    """A dedupe without its column names (a repair may correct a name, not what is de-duplicated)."""
    return len(d.get("keys") or []), [o.get("direction", "asc") for o in d.get("order_by") or []], d.get("keep", "first")
