"""A run as a standalone PySpark job script, and as an AWS Glue job script.

The job runs the run's compiled query as Spark SQL over temp views of the sources, rendered from
the same SQLGlot tree the run validated: one compiler, one meaning, rather than a second
translation of the spec into DataFrame calls that could drift from it. The script needs nothing
but pyspark; sources and target are arguments (Glue-style ``--name value``), so the same file runs
under ``spark-submit``, on a cluster, or as a Glue job. In the Glue variant the Glue-only parts
(``getResolvedOptions``, ``GlueContext``, ``Job``) live in two functions that return None when
``awsglue`` cannot be imported, and the job then runs as the plain script does.
"""

from __future__ import annotations

import re

from sqlglot import exp
from sqlglot.errors import SqlglotError

from datamorph.catalog import TableInfo
from datamorph.compiler import CompiledSpec
from datamorph.export.relations import render, source_key

SPARK_DIALECT = "spark"


def spark_type(type_name: str, dialect: str) -> str:
    """A catalog type in Spark's DDL (``VARCHAR`` → ``STRING``); STRING when it does not parse."""
    try:
        return exp.DataType.build(type_name, dialect=dialect).sql(SPARK_DIALECT)
    except (SqlglotError, ValueError):
        return "STRING"


def spark_schema(table: TableInfo, dialect: str) -> str:
    """The table's columns as a Spark DDL schema string (how CSV and JSON sources are read)."""
    return ", ".join(f"`{c.name.replace('`', '``')}` {spark_type(c.type, dialect)}" for c in table.columns)


def argument_names(tables: list[TableInfo]) -> dict[str, str]:
    """Source table name → its job argument (``source_<name>``), unique and made of [a-z0-9_]."""
    out: dict[str, str] = {}
    for t in tables:
        base = "source_" + (re.sub(r"[^0-9a-z]+", "_", t.name.lower()).strip("_") or "table")
        arg, i = base, 2
        while arg in out.values():
            arg, i = f"{base}_{i}", i + 1
        out[t.name] = arg
    return out


def spark_query(compiled: CompiledSpec, sources: list[TableInfo], views: dict[str, str]) -> str:
    """The compiled query in Spark SQL, reading each source from its temp view (``views``: name → view)."""
    return render(compiled.query, {source_key(t): f"`{views[t.name]}`" for t in sources}, SPARK_DIALECT)


def job_script(compiled: CompiledSpec, sources: list[TableInfo], *, header: str, glue: bool = False) -> str:
    """The PySpark job script (``glue=True``: the AWS Glue job script) for ``compiled``."""
    dialect = compiled.blocks[0].scope.catalog.dialect
    args = argument_names(sources)
    views = {t.name: "dm_" + args[t.name].removeprefix("source_") for t in sources}
    query = spark_query(compiled, sources, views)
    target = compiled.spec.target_table.name
    example_args = " ".join(f"--{args[t.name]} /data/{t.name}.parquet" for t in sources)
    usage = (f"    spark-submit {target}{'_glue' if glue else ''}.py {example_args} \\\n"
             f"        --target /data/out/{target}")  # fmt: skip
    glue_note = (
        "\nAs an AWS Glue job, give the same names as job arguments (--source_..., --target); Glue adds\n"
        "--JOB_NAME. Without awsglue (a local spark-submit) the Glue-only parts are skipped.\n"
    ) if glue else ""  # fmt: skip
    header = header.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    doc = (f'"""{header}.\n\nRun it with spark-submit, saying where each source is and where the target goes:\n\n'
           f"{usage}\n\n{_LOCATIONS}{glue_note}\"\"\"")  # fmt: skip
    consts = [
        f"TARGET = {target!r}",
        "# source table -> (its job argument, the temp view the query reads, its schema for CSV/JSON files)",
        "SOURCES = {",
        *(f"    {t.name!r}: ({args[t.name]!r}, {views[t.name]!r}, {spark_schema(t, dialect)!r})," for t in sources),
        "}",
        f"QUERY = {_triple_quoted(query)}",
    ]
    parts = [f"{_SHEBANG}\n{doc}", _IMPORTS, "\n".join(consts), _COMMON]
    parts.append(_GLUE_MAIN if glue else _MAIN)
    return "\n\n".join(p.strip("\n") for p in parts) + "\n"


def _triple_quoted(text: str) -> str:
    """``text`` as a Python string literal, triple-quoted when that reads back exactly."""
    if '"""' not in text and "\\" not in text and not text.endswith('"'):
        return f'"""\n{text}\n"""'
    return repr(text)


_SHEBANG = "#!/usr/bin/env python3"

_LOCATIONS = """\
A source is a Parquet, CSV (with a header line) or JSON-lines file or folder, the format taken from
its extension (--source_format for all), or table:NAME for a table of the session's catalog. The
target is a folder written as Parquet (--target_format csv for CSV) or table:NAME; an existing
target is an error unless --mode overwrite.
"""

_IMPORTS = """\
from __future__ import annotations

import argparse
import sys
"""

_COMMON = '''
SOURCE_FORMATS = ("parquet", "csv", "json")
TARGET_FORMATS = ("parquet", "csv")
MODES = ("errorifexists", "overwrite")
OPTIONS = {"source_format": None, "target_format": "parquet", "mode": "errorifexists"}


def parse_args(argv):
    """The job's arguments as a dict: source_<name> and target (required), the OPTIONS."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, (arg, _view, _schema) in SOURCES.items():
        p.add_argument(f"--{arg}", required=True, metavar="LOCATION", help=f"where source table {name} is")
    p.add_argument("--target", required=True, metavar="LOCATION", help=f"where to write {TARGET}")
    p.add_argument("--source_format", choices=SOURCE_FORMATS, help="format of every source (default: by extension)")
    p.add_argument("--target_format", choices=TARGET_FORMATS, default=OPTIONS["target_format"])
    p.add_argument("--mode", choices=MODES, default=OPTIONS["mode"], help="when the target exists")
    args, _ = p.parse_known_args(argv)  # a scheduler may add arguments of its own
    return vars(args)


def source_format(location, given):
    """The format to read ``location`` in: ``given``, else from its extension, else parquet."""
    if given:
        return given
    low = location.lower().rstrip("/")
    if low.endswith((".csv", ".csv.gz", ".tsv")):
        return "csv"
    if low.endswith((".json", ".jsonl", ".ndjson", ".json.gz")):
        return "json"
    return "parquet"


def read_source(spark, location, schema, fmt):
    """A DataFrame over one source: a catalog table (table:NAME) or files."""
    if location.startswith("table:"):
        return spark.table(location[len("table:"):])
    if fmt == "csv":
        sep = "\\t" if location.lower().endswith(".tsv") else ","
        return spark.read.schema(schema).option("header", True).option("sep", sep).csv(location)
    if fmt == "json":
        return spark.read.schema(schema).json(location)
    return spark.read.parquet(location)


def transform(spark, args):
    """The target as a DataFrame: each source as a temp view, then the query."""
    for name, (arg, view, schema) in SOURCES.items():
        location = args[arg]
        read_source(spark, location, schema, source_format(location, args.get("source_format"))) \\
            .createOrReplaceTempView(view)
    return spark.sql(QUERY)


def write_target(df, location, fmt, mode):
    """Write the result to a folder (Parquet or CSV) or a catalog table (table:NAME)."""
    if location.startswith("table:"):
        df.write.mode(mode).saveAsTable(location[len("table:"):])
    elif fmt == "csv":
        df.write.mode(mode).option("header", True).csv(location)
    else:
        df.write.mode(mode).parquet(location)
    print(f"{TARGET} written to {location}")
'''

_MAIN = '''
def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName(f"datamorph-{TARGET}").getOrCreate()
    try:
        write_target(transform(spark, args), args["target"], args["target_format"], args["mode"])
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
'''

_GLUE_MAIN = '''
# -- the Glue-only parts: each returns None when awsglue is absent (a local run) -----------------


def glue_args(argv):
    """The job arguments through Glue's getResolvedOptions, or None outside Glue."""
    try:
        from awsglue.utils import getResolvedOptions
    except ImportError:
        return None
    names = ["JOB_NAME", "target", *(arg for arg, _view, _schema in SOURCES.values())]
    names += [n for n in OPTIONS if f"--{n}" in argv]  # getResolvedOptions knows only required names
    args = dict(OPTIONS)
    args.update(getResolvedOptions(argv, names))
    return args


def glue_job(args):
    """(SparkSession, Job) from a GlueContext, the job initialised; None outside Glue."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
    except ImportError:
        return None
    from pyspark.context import SparkContext

    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(args["JOB_NAME"], args)
    return glue_context.spark_session, job


# -- the job ------------------------------------------------------------------------------------


def main(argv=None):
    argv = sys.argv if argv is None else argv
    args = glue_args(argv) or parse_args(argv[1:])
    glue = glue_job(args)
    if glue is not None:
        spark, job = glue
    else:
        from pyspark.sql import SparkSession

        spark, job = SparkSession.builder.appName(f"datamorph-{TARGET}").getOrCreate(), None
    write_target(transform(spark, args), args["target"], args["target_format"], args["mode"])
    if job is not None:
        job.commit()
    else:
        spark.stop()


if __name__ == "__main__":
    main()
'''
