"""Request bodies of the HTTP API (validated by pydantic; a bad body is a 422 in the error shape)."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_PROMPT = 4000  # the planner's limit (datamorph.planner.MAX_REQUEST_CHARS)
MAX_TABLES = 100
TABLE_NAME = Field(min_length=1, max_length=255)


def _table_names(names: list[str] | None) -> list[str] | None:
    if names is None:
        return None
    out = []
    for n in names:
        n = n.strip()
        if not n:
            raise ValueError("table names must not be empty")
        if len(n) > 255:
            raise ValueError("table names are at most 255 characters")
        out.append(n)
    return out


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class StartRequest(_Body):
    """``POST /start``: the original API's request."""

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT, validation_alias=AliasChoices("prompt", "user_prompt"),
                        description="The request in plain English (`user_prompt` is accepted too).")  # fmt: skip
    source_tables: list[str] | None = Field(None, max_length=MAX_TABLES, description="Tables the request may use.")
    target_table: str | None = Field(None, min_length=1, max_length=255, description="Name of the table to write.")

    _names = field_validator("source_tables")(_table_names)


class SchemasRequest(_Body):
    """``POST /get/schemas``."""

    table_names: list[str] | None = Field(None, max_length=MAX_TABLES,
                                          description="Tables to describe; omitted or empty: every table.")  # fmt: skip

    _names = field_validator("table_names")(_table_names)


class DataRequest(_Body):
    """``POST /get/data``."""

    table_names: list[str] = Field(min_length=1, max_length=MAX_TABLES, description="Tables to sample.")
    limit: int = Field(10, ge=0, le=1000, description="Random rows per table.")

    _names = field_validator("table_names")(_table_names)


class QueryRequest(_Body):
    """``POST /execute/query``."""

    query: str = Field(min_length=1, max_length=100_000, description="One read-only SELECT (or WITH ... SELECT).")


class RunCreate(_Body):
    """``POST /api/runs`` and ``POST /api/plan``: a request in plain English, or a spec."""

    prompt: str | None = Field(None, min_length=1, max_length=MAX_PROMPT, description="The request in plain English.")
    spec: dict[str, Any] | None = Field(None, description="An ETL spec (see `datamorph spec-schema`) instead of a prompt.")
    source_tables: list[str] | None = Field(None, max_length=MAX_TABLES, description="Tables the request may use.")
    target_table: str | None = Field(None, min_length=1, max_length=255, description="Name of the table to write.")

    _names = field_validator("source_tables")(_table_names)

    @model_validator(mode="after")
    def _one_of(self) -> RunCreate:
        if (self.prompt is None) == (self.spec is None):
            raise ValueError("give exactly one of 'prompt' (plain English) or 'spec' (an ETL spec)")
        return self
