"""The ETL spec: a typed description of one transformation.

Planners produce it, the compiler turns it into code, validation derives its
tests from it. The field names of the original system (``source_tables``,
``target_table``, ``transformations``, ``join_conditions``, ``filters``,
``aggregations``, ``derived_columns``) are kept; :func:`load_spec` also reads
specs written in the original, looser shape.

Evaluation order of one query block (the SQL a person would write):

1. ``source_tables`` joined by ``join_conditions`` (extra ``conditions`` go in ON)
2. ``filters`` on the joined rows (may use pre-aggregation ``derived_columns``)
3. ``dedupe`` (of one source table's rows: exact duplicates, or the first/last row per key)
4. ``aggregations`` grouped by ``group_by``; ``having`` on the groups
5. ``windows`` (on the rows, or on the groups when there are aggregations)
6. ``columns``: the output list (default: every column, or keys + aggregates)
7. ``qualify``: filters on window results (e.g. top 3 per group)

then, for the whole spec: ``union`` with further blocks, ``distinct``,
``order_by``, ``limit``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from datamorph.errors import SpecError, TargetConflict
from datamorph.names import check_target, identifier_problem, target_problem

SPEC_VERSION = 1


def _identifier(max_chars: int) -> AfterValidator:
    def check(v: str) -> str:
        problem = identifier_problem(v, max_chars=max_chars)
        if problem:
            raise ValueError(problem)
        return v

    return AfterValidator(check)


#: A name the spec gives or uses: a table, an alias, an output column (see :mod:`datamorph.names`).
Name = Annotated[str, _identifier(255)]
#: A reference to a column: ``column``, ``alias.column`` (filters may hold a small expression).
Ref = Annotated[str, _identifier(1000)]


class Model(BaseModel):
    """Base of every spec element: strict fields, optional provenance."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    provenance: str | None = Field(
        default=None, description="The words of the request that produced this element (planner output)."
    )


# --------------------------------------------------------------------------
# conditions
# --------------------------------------------------------------------------

Operator = Literal[
    "=", "!=", "<", "<=", ">", ">=",
    "in", "not_in", "between", "not_between",
    "is_null", "is_not_null",
    "like", "not_like", "ilike", "contains", "starts_with", "ends_with",
]  # fmt: skip

_OPERATOR_ALIASES = {
    "==": "=", "eq": "=", "equals": "=", "equal": "=", "is": "=",
    "<>": "!=", "ne": "!=", "neq": "!=", "not_equals": "!=", "not_equal": "!=", "is_not": "!=",
    "lt": "<", "less_than": "<", "le": "<=", "lte": "<=", "less_than_or_equal": "<=",
    "gt": ">", "greater_than": ">", "ge": ">=", "gte": ">=", "greater_than_or_equal": ">=",
    "not_in": "not_in", "notin": "not_in", "nin": "not_in",
    "isnull": "is_null", "null": "is_null", "is_not_null": "is_not_null", "notnull": "is_not_null",
    "not_null": "is_not_null", "isnotnull": "is_not_null",
    "notlike": "not_like", "startswith": "starts_with", "endswith": "ends_with",
}  # fmt: skip

NO_VALUE_OPERATORS = frozenset({"is_null", "is_not_null"})


def normalize_operator(op: Any) -> Any:
    if not isinstance(op, str):
        return op
    key = re.sub(r"[\s\-]+", "_", op.strip().lower())
    return _OPERATOR_ALIASES.get(key, key)


class Filter(Model):
    """``column operator value``; ``column`` may be ``alias.column``, a derived column or an aggregate alias."""

    column: Ref = Field(description="Column to test: a source column (optionally `table.column`), "
                        "a derived column, or (in having) an aggregation alias.")  # fmt: skip
    operator: Operator
    value: Any = Field(default=None, description="Scalar; a list for in/not_in; [low, high] for between.")
    value_column: Ref | None = Field(default=None, description="Compare with another column instead of a value.")

    @field_validator("operator", mode="before")
    @classmethod
    def _op(cls, v: Any) -> Any:
        return normalize_operator(v)

    @model_validator(mode="after")
    def _check_value(self) -> Filter:
        op = self.operator
        if op in NO_VALUE_OPERATORS:
            if self.value is not None or self.value_column is not None:
                raise ValueError(f"operator '{op}' takes no value")
            return self
        if self.value_column is not None:
            if op in ("in", "not_in", "between", "not_between"):
                raise ValueError(f"operator '{op}' cannot compare with value_column")
            return self
        if op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"operator '{op}' needs a non-empty list as value")
        elif op in ("between", "not_between"):
            if not isinstance(self.value, list) or len(self.value) != 2:
                raise ValueError(f"operator '{op}' needs [low, high] as value")
        elif self.value is None:
            raise ValueError(f"operator '{op}' needs a value (use is_null to test for NULL)")
        elif isinstance(self.value, (list, dict)):
            raise ValueError(f"operator '{op}' needs a single value, not {type(self.value).__name__}")
        if op in ("like", "not_like", "ilike", "contains", "starts_with", "ends_with") and not isinstance(
            self.value, str
        ):
            raise ValueError(f"operator '{op}' needs a text value")
        return self


class ExpressionCondition(Model):
    """A boolean SQL expression, e.g. ``amount > 2 * discount``; parsed and checked against the catalog."""

    expression: str


class AnyOf(Model):
    """True when at least one condition holds (OR)."""

    any_of: list[Condition] = Field(min_length=1)


class AllOf(Model):
    """True when every condition holds (AND)."""

    all_of: list[Condition] = Field(min_length=1)


class Not(Model):
    """True when the condition does not hold."""

    not_: Condition = Field(alias="not")


def _condition_kind(v: Any) -> str | None:
    if isinstance(v, dict):
        for key in ("any_of", "all_of", "not", "expression"):
            if key in v:
                return key
        return "filter"
    if isinstance(v, Filter):
        return "filter"
    if isinstance(v, AnyOf):
        return "any_of"
    if isinstance(v, AllOf):
        return "all_of"
    if isinstance(v, Not):
        return "not"
    if isinstance(v, ExpressionCondition):
        return "expression"
    return None


Condition = Annotated[
    Annotated[Filter, Tag("filter")]
    | Annotated[AnyOf, Tag("any_of")]
    | Annotated[AllOf, Tag("all_of")]
    | Annotated[Not, Tag("not")]
    | Annotated[ExpressionCondition, Tag("expression")],
    Discriminator(_condition_kind),
]

AnyOf.model_rebuild()
AllOf.model_rebuild()
Not.model_rebuild()


def leaf_filters(conds: list[Condition]) -> list[Filter]:
    """Every :class:`Filter` inside ``conds``, through any_of / all_of / not (expression conditions aside)."""
    out: list[Filter] = []
    for c in conds:
        if isinstance(c, Filter):
            out.append(c)
        elif isinstance(c, AnyOf):
            out += leaf_filters(c.any_of)
        elif isinstance(c, AllOf):
            out += leaf_filters(c.all_of)
        elif isinstance(c, Not):
            out += leaf_filters([c.not_])
    return out


# --------------------------------------------------------------------------
# sources and joins
# --------------------------------------------------------------------------


class SourceTable(Model):
    table_name: Name
    alias: Name | None = None

    @property
    def ref(self) -> str:
        """How the block refers to this table: its alias, else its name."""
        return self.alias or self.table_name


class ColumnPair(Model):
    left: Ref
    right: Ref


JoinType = Literal["inner", "left", "right", "full"]


class JoinCondition(Model):
    """Join ``right_table`` to what came before; ``left_table`` names the side the keys belong to."""

    left_table: Name
    right_table: Name
    join_type: JoinType = "inner"
    on_columns: list[ColumnPair] = Field(min_length=1)
    conditions: list[Condition] = Field(default_factory=list, description="Extra conditions in ON.")

    @field_validator("join_type", mode="before")
    @classmethod
    def _jt(cls, v: Any) -> Any:
        if isinstance(v, str):
            key = v.strip().lower().replace("_", " ")
            key = re.sub(r"\s+(outer\s+)?join$|\s+outer$", "", key).strip()
            return {"full outer": "full", "": "inner"}.get(key, key)
        return v

    @field_validator("on_columns", mode="before")
    @classmethod
    def _pairs(cls, v: Any) -> Any:
        if isinstance(v, (str, dict)):
            v = [v]
        out = []
        for item in v or []:
            if isinstance(item, str):
                parts = [p.strip() for p in re.split(r"\s*==?\s*", item)]
                if len(parts) == 1:
                    out.append({"left": parts[0], "right": parts[0]})
                elif len(parts) == 2:
                    out.append({"left": parts[0], "right": parts[1]})
                else:
                    raise ValueError(f"cannot read join key {item!r}: use 'col' or 'left_col = right_col'")
            elif isinstance(item, (list, tuple)) and len(item) == 2:
                out.append({"left": item[0], "right": item[1]})
            else:
                out.append(item)
        return out


# --------------------------------------------------------------------------
# columns, aggregations, windows
# --------------------------------------------------------------------------


class DerivedColumn(Model):
    """A new column from a SQL expression. Computed before aggregation unless it uses aggregates."""

    name: Name
    expression: str


AggFunction = Literal["sum", "avg", "count", "count_distinct", "min", "max"]

_AGG_ALIASES = {
    "mean": "avg", "average": "avg", "total": "sum",
    "countdistinct": "count_distinct", "distinct_count": "count_distinct", "count_unique": "count_distinct",
    "nunique": "count_distinct", "minimum": "min", "maximum": "max",
}  # fmt: skip


class Aggregation(Model):
    """``function(column or expression)`` per group, optionally only over rows matching ``filter``."""

    function: AggFunction
    column: Ref | None = Field(default=None, description="Column to aggregate; omit (or '*') for count(*).")
    expression: str | None = Field(default=None, description="SQL expression to aggregate, e.g. quantity * unit_price.")
    alias: Name
    group_by: list[Ref] = Field(default_factory=list, description="Grouping columns (original shape); "
                                "must agree with the spec's group_by.")  # fmt: skip
    filter: list[Condition] = Field(default_factory=list, description="Conditional aggregation: only rows "
                                    "meeting every condition count.")  # fmt: skip
    round: int | None = Field(default=None, ge=0, le=12, description="Round the output to this many decimals.")

    @field_validator("function", mode="before")
    @classmethod
    def _fn(cls, v: Any) -> Any:
        if isinstance(v, str):
            key = re.sub(r"[\s\-()]+", "_", v.strip().lower()).strip("_")
            key = key.replace("count_distinct", "count_distinct")
            return _AGG_ALIASES.get(key.replace("_", ""), _AGG_ALIASES.get(key, key))
        return v

    @model_validator(mode="after")
    def _check(self) -> Aggregation:
        if self.column == "*":
            self.column = None
        if self.column is not None and self.expression is not None:
            raise ValueError("give either column or expression, not both")
        if self.column is None and self.expression is None and self.function != "count":
            raise ValueError(f"{self.function} needs a column or an expression")
        return self


class OrderItem(Model):
    column: Ref
    direction: Literal["asc", "desc"] = "asc"
    nulls: Literal["first", "last"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, v: Any) -> Any:
        if isinstance(v, str):
            parts = v.split()
            if not parts:
                raise ValueError("empty order item")
            out: dict[str, Any] = {"column": parts[0]}
            rest = [p.lower() for p in parts[1:]]
            if rest and rest[0] in ("asc", "desc"):
                out["direction"] = rest.pop(0)
            if rest[:1] == ["nulls"] and len(rest) == 2:
                out["nulls"] = rest[1]
            elif rest:
                raise ValueError(f"cannot read order item {v!r}: use 'column [asc|desc] [nulls first|last]'")
            return out
        if isinstance(v, dict) and isinstance(v.get("direction"), str):
            v = {**v, "direction": v["direction"].lower()}
        return v


WindowFunction = Literal[
    "row_number", "rank", "dense_rank", "percent_rank", "ntile",
    "sum", "avg", "count", "min", "max",
    "lag", "lead", "first_value", "last_value", "share",
]  # fmt: skip


class WindowColumn(Model):
    """A window function. ``share`` is value / total over the partition (share of a total)."""

    name: Name
    function: WindowFunction
    column: Ref | None = None
    expression: str | None = None
    partition_by: list[Ref] = Field(default_factory=list)
    order_by: list[OrderItem] = Field(default_factory=list)
    frame: Literal["running", "partition"] | None = Field(
        default=None,
        description="running: from the first row of the partition to this row (by rows); "
        "partition: the whole partition. Default: the SQL default for the function.",
    )
    offset: int | None = Field(default=None, ge=1, description="lag/lead offset, ntile buckets.")
    preceding: int | None = Field(default=None, ge=1, le=1000, description="A moving frame: this row and the N rows "
                                  "before it (ROWS BETWEEN N PRECEDING AND CURRENT ROW); sum, avg, count only.")
    round: int | None = Field(default=None, ge=0, le=12, description="Round the window's value to this many decimals.")
    percent: bool | None = Field(default=None, description="share only: the share as a percent (x 100) of the total.")

    @model_validator(mode="after")
    def _check(self) -> WindowColumn:
        ranking = {"row_number", "rank", "dense_rank", "percent_rank", "ntile"}
        if self.function in ranking:
            if self.column or self.expression:
                raise ValueError(f"{self.function} takes no column")
            if not self.order_by and self.function != "row_number":
                raise ValueError(f"{self.function} needs order_by")
            if self.function == "ntile" and not self.offset:
                raise ValueError("ntile needs offset (the number of buckets)")
        elif self.function != "count" and not (self.column or self.expression):
            raise ValueError(f"{self.function} needs a column or an expression")
        if self.column and self.expression:
            raise ValueError("give either column or expression, not both")
        if self.percent and self.function != "share":
            raise ValueError("percent is for share only")
        if self.preceding is not None and (self.function not in ("sum", "avg", "count") or not self.order_by
                                           or self.frame is not None):  # fmt: skip
            raise ValueError("preceding (a moving frame) is for sum, avg or count with order_by and no frame")
        return self


class OutputColumn(Model):
    """One output column: a column (renamed with ``name``) or an expression."""

    name: Name | None = None
    column: Ref | None = None
    expression: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_str(cls, v: Any) -> Any:
        if isinstance(v, str):
            m = re.match(r"^\s*(.+?)\s+(?:as\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$", v, re.I)
            src = v.strip()
            name = None
            if m and re.search(r"\s+as\s+", v, re.I):
                src, name = m.group(1).strip(), m.group(2)
            if re.match(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)?$", src):
                return {"column": src, "name": name}
            return {"expression": src, "name": name}
        return v

    @model_validator(mode="after")
    def _check(self) -> OutputColumn:
        if (self.column is None) == (self.expression is None):
            raise ValueError("give exactly one of column or expression")
        if self.expression is not None and not self.name:
            raise ValueError(f"expression {self.expression!r} needs a name")
        return self

    @property
    def output_name(self) -> str:
        if self.name:
            return self.name
        assert self.column is not None
        return self.column.split(".")[-1]


class Dedupe(Model):
    """Remove duplicates from one source table's rows, after that table's filters.

    No keys: exact duplicate rows of the (single) source table. With keys: keep one row per key,
    the first by ``order_by`` (``keep: last`` the last); keys and order_by come from one table.
    To remove duplicate output rows of a join, use the spec's ``distinct`` instead.
    """

    keys: list[Ref] = Field(default_factory=list)
    order_by: list[OrderItem] = Field(default_factory=list)
    keep: Literal["first", "last"] = "first"
    ignore_case: bool = Field(default=False, description="Text keys are compared without case "
                              "('Acme' and 'ACME' are one key); other keys as they are.")

    @model_validator(mode="after")
    def _check(self) -> Dedupe:
        if not self.keys and self.order_by:
            raise ValueError("order_by needs keys (which rows compete for the one kept)")
        if self.ignore_case and not self.keys:
            raise ValueError("ignore_case needs keys (exact duplicates are compared as they are)")
        return self


# --------------------------------------------------------------------------
# the spec
# --------------------------------------------------------------------------


class QueryBlock(Model):
    """One SELECT: sources, joins, filters, groups, windows and the output columns."""

    source_tables: list[SourceTable] = Field(min_length=1)
    join_conditions: list[JoinCondition] = Field(default_factory=list)
    filters: list[Condition] = Field(default_factory=list, description="Row filters, ANDed, before aggregation.")
    derived_columns: list[DerivedColumn] = Field(default_factory=list)
    dedupe: Dedupe | None = None
    group_by: list[Ref] = Field(default_factory=list)
    aggregations: list[Aggregation] = Field(default_factory=list)
    having: list[Condition] = Field(default_factory=list, description="Group filters, ANDed, after aggregation.")
    windows: list[WindowColumn] = Field(default_factory=list)
    columns: list[OutputColumn] = Field(default_factory=list, description="Output columns in order; empty = all.")
    qualify: list[Condition] = Field(default_factory=list, description="Filters on window results.")

    @field_validator("source_tables", mode="before")
    @classmethod
    def _sources(cls, v: Any) -> Any:
        if isinstance(v, (str, dict)):
            v = [v]
        return [{"table_name": s} if isinstance(s, str) else s for s in v or []]

    @model_validator(mode="after")
    def _check_block(self) -> QueryBlock:
        refs = [s.ref.lower() for s in self.source_tables]
        dup = {r for r in refs if refs.count(r) > 1}
        if dup:
            raise ValueError(f"source_tables: '{sorted(dup)[0]}' appears twice; give each an alias")
        # group_by of the original shape lives on each aggregation; merge it in.
        groups = list(self.group_by)
        for agg in self.aggregations:
            if agg.group_by and groups and [g.lower() for g in agg.group_by] != [g.lower() for g in groups]:
                raise ValueError(
                    f"aggregations: '{agg.alias}' groups by {agg.group_by} but the spec groups by {groups}"
                )
            if agg.group_by and not groups:
                groups = list(agg.group_by)
        self.group_by = groups
        if self.having and not (self.aggregations or self.group_by):
            raise ValueError("having: needs aggregations or group_by")
        names = [n.lower() for n in self.defined_names()]
        dupn = {n for n in names if names.count(n) > 1}
        if dupn:
            raise ValueError(f"the name '{sorted(dupn)[0]}' is defined twice (derived, aggregation or window)")
        if len(self.source_tables) > 1 and len(self.join_conditions) != len(self.source_tables) - 1:
            raise ValueError(
                f"join_conditions: {len(self.source_tables)} source tables need "
                f"{len(self.source_tables) - 1} join conditions, found {len(self.join_conditions)}"
            )
        return self

    def defined_names(self) -> list[str]:
        return (
            [d.name for d in self.derived_columns]
            + [a.alias for a in self.aggregations]
            + [w.name for w in self.windows]
        )

    @property
    def is_aggregate(self) -> bool:
        return bool(self.aggregations or self.group_by)


class TargetTable(Model):
    name: str
    description: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        problem = target_problem(v)
        if isinstance(problem, TargetConflict):
            raise problem  # a reserved schema: a conflict (409), not a malformed spec
        if problem is not None:
            raise ValueError(problem.message.removeprefix("target table: "))
        return v


class UnionSpec(Model):
    """Stack further blocks under the main one; columns line up by position."""

    mode: Literal["all", "distinct"] = "all"
    blocks: list[QueryBlock] = Field(min_length=1)


class ClaimNote(BaseModel):
    """Provenance of a planned spec: which recognizer of the rule planner took which words."""

    model_config = ConfigDict(extra="forbid")

    recognizer: str
    words: str = ""
    edits: list[str] = Field(default_factory=list)
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class ETLSpec(QueryBlock):
    """A whole transformation: one block (plus union blocks), written into ``target_table``."""

    version: int = SPEC_VERSION
    description: str | None = None
    target_table: TargetTable
    transformations: list[str] = Field(
        default_factory=list, description="Plain-language notes of the steps (documentation; not executed)."
    )
    ignored_words: list[str] = Field(
        default_factory=list, description="Words of the request the planner set aside as carrying no meaning for "
        "the query (\"lean\", \"export\", \"deck\"); documentation, not executed.")  # fmt: skip
    claims: list[ClaimNote] = Field(
        default_factory=list, description="Which recognizer of the rule planner took which words of the request and "
        "what it made of them (documentation; not executed).")  # fmt: skip
    union: UnionSpec | None = None
    distinct: bool = False
    order_by: list[OrderItem] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=0)
    source_schemas: dict[str, dict[str, str]] | None = Field(
        default=None, description="The source columns the spec reads and their types when it was planned "
        "({table: {column: type}}); a run stops (SchemaChanged) if one was dropped, renamed or retyped since. "
        "Filled by the planner; optional.")  # fmt: skip

    @field_validator("target_table", mode="before")
    @classmethod
    def _target(cls, v: Any) -> Any:
        return {"name": v} if isinstance(v, str) else v

    def blocks(self) -> list[QueryBlock]:
        """The main block followed by the union blocks."""
        return [self, *(self.union.blocks if self.union else [])]

    def source_table_names(self) -> list[str]:
        seen: dict[str, None] = {}
        for b in self.blocks():
            for s in b.source_tables:
                seen.setdefault(s.table_name, None)
        return list(seen)

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude_none=True, by_alias=True)

    def retarget(self, name: str) -> ETLSpec:
        """This spec writing into ``name`` instead (SpecError or TargetConflict if ``name`` cannot be a target)."""
        target = TargetTable(name=check_target(name), description=self.target_table.description)
        return self.model_copy(update={"target_table": target})


# --------------------------------------------------------------------------
# loading
# --------------------------------------------------------------------------


def spec_json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`ETLSpec`."""
    return ETLSpec.model_json_schema(by_alias=True)


def _format_validation_error(err: ValidationError) -> str:
    parts = []
    for e in err.errors()[:5]:
        loc = ".".join(str(p) for p in e["loc"] if not (isinstance(p, str) and p in _TAGS))
        msg = e["msg"].removeprefix("Value error, ")
        parts.append(f"{loc or 'spec'}: {msg}")
    more = len(err.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


_TAGS = {"filter", "any_of", "all_of", "not", "expression"}


def load_spec(data: dict[str, Any] | str | Path) -> ETLSpec:
    """Load a spec from a dict, a JSON string or a file, in our shape or the original one.

    Raises:
        SpecError: naming the field and the problem.
    """
    if isinstance(data, Path) or (isinstance(data, str) and not data.lstrip().startswith("{")):
        path = Path(data)
        if not path.exists():
            raise SpecError(f"spec file {str(path)!r} does not exist", hint="check the path")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise SpecError(
                f"spec file {str(path)!r} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}",
                hint="fix the JSON, or run `datamorph spec-schema` to see the expected shape",
            ) from None
    elif isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise SpecError(f"spec is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(data, dict):
        raise SpecError(f"a spec is a JSON object, got {type(data).__name__}")
    data = _from_original_shape(data)
    try:
        return ETLSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"invalid spec: {_format_validation_error(e)}",
                        hint="run `datamorph spec-schema` for the expected shape") from None  # fmt: skip


def _from_original_shape(d: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the original system's looser shape into ours (a copy; ours passes unchanged)."""
    d = dict(d)
    d.pop("$schema", None)
    # Wrapped specs: {"specs": {...}} / {"spec": {...}}
    for key in ("specs", "spec"):
        if key in d and isinstance(d[key], dict) and "source_tables" in d[key]:
            return _from_original_shape(d[key])
    for legacy in ("run_id", "user_prompt", "created_at", "generated_at"):
        d.pop(legacy, None)
    # transformations: free text notes, or dicts describing steps
    trans = d.get("transformations")
    if isinstance(trans, list):
        notes = []
        for t in trans:
            if isinstance(t, str):
                notes.append(t)
            elif isinstance(t, dict):
                notes.append(t.get("description") or json.dumps(t, sort_keys=True))
            else:
                notes.append(str(t))
        d["transformations"] = notes
    elif isinstance(trans, str):
        d["transformations"] = [trans]
    # join_conditions: {"left_table", "right_table", "join_type", "on_columns": ["customer_id"]} already fits;
    # a "condition": "a.x = b.y" string is turned into on_columns.
    joins = []
    for j in d.get("join_conditions") or []:
        if isinstance(j, dict):
            j = dict(j)
            if "on_columns" not in j:
                for key in ("on", "condition", "join_on", "keys"):
                    if key in j:
                        j["on_columns"] = _legacy_join_keys(j.pop(key))
                        break
            else:
                j["on_columns"] = _legacy_join_keys(j["on_columns"])
            if "type" in j and "join_type" not in j:
                j["join_type"] = j.pop("type")
        joins.append(j)
    if joins:
        d["join_conditions"] = joins
    # filters that name an aggregation alias are having conditions in the original shape
    aliases = {a.get("alias", "").lower() for a in d.get("aggregations") or [] if isinstance(a, dict)}
    if aliases and isinstance(d.get("filters"), list):
        keep, having = [], list(d.get("having") or [])
        for f in d["filters"]:
            if isinstance(f, dict) and str(f.get("column", "")).lower() in aliases:
                having.append(f)
            else:
                keep.append(f)
        d["filters"] = keep
        if having:
            d["having"] = having
    # select / output_columns as synonyms of columns
    for key in ("select", "output_columns", "select_columns"):
        if key in d and "columns" not in d:
            d["columns"] = d.pop(key)
    return d


def _legacy_join_keys(v: Any) -> Any:
    """``"o.customer_id = c.id"`` or ``["customer_id"]`` into our key pairs."""
    if isinstance(v, str):
        v = [p for p in re.split(r"\s+and\s+", v, flags=re.I) if p.strip()]
    out = []
    for item in v if isinstance(v, list) else [v]:
        if isinstance(item, str) and "=" in item:
            left, right = (s.strip() for s in re.split(r"==?", item, maxsplit=1))
            out.append({"left": left, "right": right})
        else:
            out.append(item)
    return out


def describe_condition(cond: Condition) -> str:
    """A condition as readable text: ``total_amount > 1000``, ``(a = 1 OR b IS NULL)``."""
    if isinstance(cond, Filter):
        op = cond.operator
        if op in NO_VALUE_OPERATORS:
            return f"{cond.column} {op.replace('_', ' ').upper()}"
        rhs = cond.value_column if cond.value_column is not None else _show(cond.value)
        if op in ("between", "not_between"):
            rhs = f"{_show(cond.value[0])} AND {_show(cond.value[1])}"
        elif op in ("in", "not_in"):
            rhs = "(" + ", ".join(_show(v) for v in cond.value) + ")"
        return f"{cond.column} {op.replace('_', ' ').upper() if op.isalpha() or '_' in op else op} {rhs}"
    if isinstance(cond, AnyOf):
        return "(" + " OR ".join(describe_condition(c) for c in cond.any_of) + ")"
    if isinstance(cond, AllOf):
        return "(" + " AND ".join(describe_condition(c) for c in cond.all_of) + ")"
    if isinstance(cond, Not):
        return f"NOT {describe_condition(cond.not_)}"
    return cond.expression


def _show(v: Any) -> str:
    return repr(v) if isinstance(v, str) else str(v)
