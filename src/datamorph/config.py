"""Settings: where runs and artifacts live, limits, defaults.

Every setting can be given by an environment variable (``DATAMORPH_<NAME>``);
command-line options override them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from datamorph.errors import ConfigError

ENV_PREFIX = "DATAMORPH_"
_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)


class Settings(BaseModel):
    """DataMorph settings. Env var for each field: ``DATAMORPH_`` + the name in capitals."""

    model_config = ConfigDict(extra="forbid")

    home: Path = Field(default=Path(".datamorph"), description="Folder for the run store and artifacts.")
    warehouse: str | None = Field(default=None, description="Default warehouse (a DuckDB file path).")
    store: Path | None = Field(default=None, description="Run store (SQLite) path; default HOME/runs.db.")
    artifacts: str | None = Field(default=None, description="Artifacts location; default HOME/artifacts.")
    lock_timeout: float = Field(default=60.0, ge=0, description="Seconds to wait for a warehouse held by "
                                "another run before failing.")  # fmt: skip
    reference_date: dt.date | None = Field(default=None, description="Date that relative dates in requests "
                                           "('last 90 days') count from; default today.")  # fmt: skip
    sample_rows: int = Field(default=10, ge=0, le=1000, description="Sample rows read per source table.")
    max_remediation_iterations: int = Field(default=5, ge=0, le=50, description="Repairs of a failing spec "
                                            "tried per run before giving up (0: no remediation).")  # fmt: skip

    duckdb_external_access: bool = Field(default=True, description="Let DuckDB read and write files other than "
                                         "the warehouse (CSV/Parquet registration). `datamorph serve` turns it "
                                         "off.")  # fmt: skip
    log_table: str | None = Field(default=None, description="DynamoDB table that receives every run log entry "
                                  "(key run_id), besides the run store; needs the aws extra.")  # fmt: skip
    api_token: str | None = Field(default=None, description="Bearer token the HTTP API requires on every endpoint "
                                  "but /health; unset: no token needed.")  # fmt: skip
    workers: int = Field(default=2, ge=1, le=64, description="Runs the HTTP API executes at once; more wait.")
    query_max_rows: int = Field(default=1000, ge=1, le=100_000, description="Rows the query endpoint returns "
                                "at most.")  # fmt: skip
    query_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds a query endpoint query may "
                                 "run.")  # fmt: skip
    plan_timeout: float = Field(default=30.0, gt=0, le=3600, description="Seconds /api/plan waits for a dry-run "
                                "plan before it answers 503 (planning itself stops with a PlanError after "
                                "DATAMORPH_PLAN_TIME_LIMIT seconds of work, default 1).")  # fmt: skip
    query_max_bytes: int = Field(default=10_000_000, ge=1000, description="Bytes of rows (as JSON) the query "
                                 "endpoint returns at most; a larger result is refused with 413 while it is "
                                 "read.")  # fmt: skip
    query_connections: int = Field(default=2, ge=1, le=32, description="Warehouse connections the query endpoint "
                                   "may use at once; a query beyond them is answered 503 with Retry-After, so runs "
                                   "and the other endpoints keep theirs.")  # fmt: skip
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest HTTP request body accepted.")
    run_timeout: float | None = Field(default=None, gt=0, description="Seconds a run may take before it is "
                                      "stopped (the running statement is interrupted, the run fails, nothing is "
                                      "published); publishing, once started, completes. Unset: no limit.")  # fmt: skip
    memory_limit: str | None = Field(default=None, description="Memory a run's queries may use on DuckDB, e.g. 2GB (default: "
                                     "DuckDB's own, 80% of RAM); a query that needs more fails the run. Not applied "
                                     "on PostgreSQL, which manages its own memory.")  # fmt: skip

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, v: str | None) -> str | None:
        if v is not None and not _SIZE.match(v):
            raise ValueError(f"'{v}' is not a size: write it like 2GB or 512MB")
        return v.replace(" ", "").upper() if v is not None else None
    heartbeat_interval: float = Field(default=10.0, gt=0, le=3600, description="Seconds between the heartbeats "
                                      "a running run writes to the run store.")  # fmt: skip
    heartbeat_timeout: float = Field(default=120.0, gt=0, description="A run whose process is on another host is "
                                     "marked abandoned when its last heartbeat is older than this many seconds "
                                     "(on the same host a dead process is seen at once).")  # fmt: skip
    history_keep: int = Field(default=5, ge=0, le=10_000, description="History versions `datamorph gc` keeps per "
                              "target (the version a rollback would restore is always kept).")  # fmt: skip

    @property
    def store_path(self) -> Path:
        return self.store or self.home / "runs.db"

    @property
    def artifacts_location(self) -> str:
        return self.artifacts or str(self.home / "artifacts")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``DATAMORPH_*`` variables, then ``overrides`` (None values ignored)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw not in (None, ""):
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            first = e.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"setting {field} (env {ENV_PREFIX}{field.upper()}): {first['msg']}") from None


def setting_docs() -> dict[str, str]:
    """Environment variable → description, for the README and `datamorph config`."""
    return {ENV_PREFIX + n.upper(): f.description or "" for n, f in Settings.model_fields.items()}
