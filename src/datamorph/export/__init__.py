"""Exports of a run: the code a user takes away to their own scheduler.

``sql`` (one ``CREATE TABLE ... AS`` script in a SQL dialect), ``pyspark`` (a standalone PySpark
job, sources and target as arguments), ``glue`` (the same as an AWS Glue job script, its Glue-only
parts isolated), ``dbt`` (a dbt project: the model over ``source()`` and the run's tests). Each is
compiled from the run's newest spec against the catalog entries the run saved (see
:mod:`datamorph.export.run_code`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datamorph.errors import ConfigError
from datamorph.export.run_code import RunCode, load_run_code

FORMATS = ("sql", "pyspark", "glue", "dbt")


@dataclass
class ExportResult:
    run_id: str
    format: str
    dialect: str
    target: str
    validated: bool  # the run completed: its code passed its tests on the full data
    files: list[str] = field(default_factory=list)
    submission: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_format(fmt: str) -> str:
    name = fmt.strip().lower()
    if name not in FORMATS:
        raise ConfigError(f"unknown export format '{fmt}'", hint=f"formats: {', '.join(FORMATS)}")
    return name


def export_code(code: RunCode, fmt: str, out: Path, *, dialect: str | None = None) -> ExportResult:
    """Write ``code`` in format ``fmt`` under the folder ``out`` (created if missing).

    ``dialect`` (sql and dbt; default: the dialect of the run's warehouse) is any SQLGlot dialect;
    the PySpark and Glue scripts are Spark SQL and accept only ``spark``.
    """
    from datamorph.export.sql import check_dialect

    fmt = check_format(fmt)
    if fmt in ("pyspark", "glue"):
        if dialect is not None and check_dialect(dialect) != "spark":
            raise ConfigError(f"the {fmt} export runs Spark SQL; --dialect {dialect} applies to sql and dbt",
                              hint="leave out --dialect")  # fmt: skip
        dialect = "spark"
    dialect = check_dialect(dialect or code.catalog.dialect)
    out.mkdir(parents=True, exist_ok=True)
    name = code.target.split(".")[-1]
    files: list[Path]
    if fmt == "sql":
        from datamorph.export.sql import sql_script

        files = [out / f"{name}.sql"]
        files[0].write_text(sql_script(code.compiled, dialect, header=code.header(f"SQL ({dialect})")), encoding="utf-8")
    elif fmt in ("pyspark", "glue"):
        from datamorph.export.pyspark import job_script

        glue = fmt == "glue"
        files = [out / (f"{name}_glue.py" if glue else f"{name}.py")]
        what = "AWS Glue job" if glue else "PySpark job"
        files[0].write_text(job_script(code.compiled, code.sources, header=code.header(what), glue=glue),
                            encoding="utf-8")  # fmt: skip
    else:
        from datamorph.export.dbt import dbt_project

        files = dbt_project(code, dialect, out)
    return ExportResult(code.run_id, fmt, dialect, code.target, code.status == "completed",
                        [str(p) for p in files])  # fmt: skip


__all__ = ["FORMATS", "ExportResult", "RunCode", "check_format", "export_code", "load_run_code"]
