"""Submitting an exported Glue job script to AWS Glue (the aws extra: boto3).

:func:`submit_glue_job` uploads the script to S3 (as ``<prefix>/<run_id>/<file>``, through the
S3 artifact store), creates the Glue job that runs it (or updates it when a job of that name
exists) and starts one run with the given job arguments. Every AWS failure is a DataMorphError
naming what was being done (see :mod:`datamorph.aws_clients`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from datamorph.aws_clients import aws_client, aws_error, aws_exceptions, error_code
from datamorph.errors import ConfigError, ExecutionError

GLUE_VERSION = "5.0"  # Spark 3.5, Python 3.11


@dataclass
class GlueSubmission:
    job_name: str
    script_uri: str
    job_run_id: str
    created: bool  # the job was created (False: an existing job was updated)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def job_arguments(pairs: list[str], required: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` pairs as Glue job arguments (``{"--KEY": "VALUE"}``); ConfigError when one is
    malformed or a name in ``required`` is missing (Glue would fail the run for it)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().removeprefix("--")
        if not sep or not key:
            raise ConfigError(f"job argument {pair!r} is not KEY=VALUE", hint="e.g. --job-arg target=s3://bucket/out")
        out[f"--{key}"] = value
    missing = [n for n in required if f"--{n}" not in out]
    if missing:
        raise ConfigError(f"the Glue job needs the argument(s) {', '.join(missing)}",
                          hint=" ".join(f"--job-arg {n}=LOCATION" for n in missing))  # fmt: skip
    return out


def submit_glue_job(
    script: Path, run_id: str, *, s3_location: str, job_name: str, role: str, arguments: dict[str, str],
    description: str = "",
) -> GlueSubmission:
    """Upload ``script`` under ``s3_location``, create or update the Glue job ``job_name``, start a run."""
    from datamorph.artifacts_s3 import S3ArtifactStore

    uri = S3ArtifactStore(s3_location).put(run_id, script.name, script.read_bytes())
    glue = aws_client("glue")
    job: dict[str, Any] = {
        "Role": role,
        "Command": {"Name": "glueetl", "ScriptLocation": uri, "PythonVersion": "3"},
        "GlueVersion": GLUE_VERSION,
        "DefaultArguments": {"--job-language": "python"},
        "Description": description[:2048],
    }
    try:
        created = not _job_exists(glue, job_name)
        if created:
            glue.create_job(Name=job_name, **job)
        else:
            glue.update_job(JobName=job_name, JobUpdate=job)
        run = glue.start_job_run(JobName=job_name, Arguments=arguments)
    except aws_exceptions() as e:
        raise aws_error(e, service="Glue", action="create and start the job", resource=job_name,
                        permission="glue:CreateJob, glue:UpdateJob and glue:StartJobRun",
                        fallback=ExecutionError) from None  # fmt: skip
    return GlueSubmission(job_name, uri, str(run["JobRunId"]), created)


def _job_exists(glue: Any, job_name: str) -> bool:
    try:
        glue.get_job(JobName=job_name)
    except aws_exceptions() as e:
        if error_code(e) == "EntityNotFoundException":
            return False
        raise
    return True
