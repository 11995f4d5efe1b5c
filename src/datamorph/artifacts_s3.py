"""Artifacts in S3: ``s3://bucket/prefix`` keeps each run's artifacts under ``<prefix>/<run_id>/<name>``.

Run ids and artifact names are checked (:func:`~datamorph.artifacts.check_run_id`,
:func:`~datamorph.artifacts.check_name`) before any request, so a key never leaves
``<prefix>/<run_id>/``. Failures from AWS become ArtifactError (an artifact that is not there) or
ConfigError (no such bucket, access denied, no credentials, endpoint unreachable), naming the bucket
and key. Needs the aws extra (boto3); the client is made on first use.
"""

from __future__ import annotations

import builtins
import mimetypes
import re
import threading
from collections.abc import Callable
from typing import Any

from datamorph.artifacts import ArtifactStore, check_name, check_run_id
from datamorph.aws_clients import aws_client, aws_error, aws_exceptions, error_code, require_boto3
from datamorph.errors import ArtifactError, ConfigError, DataMorphError, suggestion

# Lenient on purpose (older buckets may hold capitals or '_'); S3 itself rejects the rest.
_BUCKET_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")
_S3_RE = re.compile(r"^(s3a?)://([^/?#]*)/?([^?#]*)$", re.IGNORECASE)
_NO_BUCKET = frozenset({"NoSuchBucket"})
_NO_KEY = frozenset({"NoSuchKey", "404", "NotFound"})


def parse_s3_location(location: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` (or ``s3a://``) → ``("bucket", "a/b")``; the prefix may be empty. ConfigError if malformed."""
    loc = str(location).strip()
    m = _S3_RE.match(loc)
    if m is None:
        raise ConfigError(f"{loc!r} is not an S3 location", hint="use s3://bucket or s3://bucket/prefix",
                          location=loc)  # fmt: skip
    bucket, prefix = m.group(2), m.group(3)
    if not _BUCKET_RE.match(bucket):
        raise ConfigError(f"{loc!r} has no valid bucket name ({bucket!r})",
                          hint="use s3://bucket or s3://bucket/prefix", location=loc)  # fmt: skip
    parts = [p for p in prefix.split("/") if p]
    if any(p in (".", "..") for p in parts) or any(ord(c) < 32 for c in prefix):
        raise ConfigError(f"the prefix of {loc!r} must not contain '.', '..' or control characters",
                          hint="use a plain prefix such as s3://bucket/datamorph/artifacts", location=loc)  # fmt: skip
    return bucket, "/".join(parts)


class S3ArtifactStore(ArtifactStore):
    """Artifacts as objects ``s3://<bucket>/<prefix>/<run_id>/<name>``.

    ``client`` is a boto3 S3 client to use instead of a default one (standard retries; the endpoint,
    region and credentials from the usual AWS settings). ``page_size`` is the number of keys asked
    per ``list_objects_v2`` page.
    """

    def __init__(self, location: str, *, client: Any = None, page_size: int = 1000) -> None:
        self.bucket, self.prefix = parse_s3_location(location)
        if client is None:
            require_boto3()
        self._client = client
        self._client_lock = threading.Lock()
        self.page_size = page_size

    def __repr__(self) -> str:
        return f"S3ArtifactStore({self.location!r})"

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    self._client = aws_client("s3")
        return self._client

    # -- keys ---------------------------------------------------------------------------
    def _run_prefix(self, run_id: str) -> str:
        rid = check_run_id(run_id)
        return f"{self.prefix}/{rid}/" if self.prefix else f"{rid}/"

    def key(self, run_id: str, name: str) -> str:
        """The object key of an artifact (run id and name checked)."""
        return self._run_prefix(run_id) + check_name(name)

    def uri(self, run_id: str, name: str) -> str:
        return f"s3://{self.bucket}/{self.key(run_id, name)}"

    # -- calls ----------------------------------------------------------------------------
    def _call(self, action: str, key: str, permission: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """``fn(**kwargs)`` with AWS failures turned into ConfigError / ArtifactError naming bucket and key."""
        try:
            return fn(Bucket=self.bucket, **kwargs)
        except aws_exceptions() as e:
            raise self._error(e, action, key, permission) from None

    def _error(self, e: Exception, action: str, key: str, permission: str) -> DataMorphError:
        """A failed S3 call on ``key`` as a ConfigError (no bucket, access, network) or an ArtifactError."""
        resource = f"s3://{self.bucket}/{key}"
        if error_code(e) in _NO_BUCKET:
            return ConfigError(
                f"S3 bucket '{self.bucket}' does not exist (cannot {action} {resource})",
                hint="create the bucket or fix the artifacts location (DATAMORPH_ARTIFACTS)",
                bucket=self.bucket,
                key=key,
            )
        return aws_error(e, service="S3", action=action, resource=resource, permission=permission,
                         fallback=ArtifactError, bucket=self.bucket, key=key)  # fmt: skip

    # -- the store ------------------------------------------------------------------------
    def put(self, run_id: str, name: str, data: str | bytes) -> str:
        key = self.key(run_id, name)
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        content_type = _content_type(name)
        self._call("write", key, "s3:PutObject", self.client.put_object, Key=key, Body=payload,
                   ContentType=content_type)  # fmt: skip
        return f"s3://{self.bucket}/{key}"

    def get(self, run_id: str, name: str) -> bytes:
        key = self.key(run_id, name)
        try:
            response = self._call("read", key, "s3:GetObject", self.client.get_object, Key=key)
        except ArtifactError as e:
            if e.context.get("error_code") not in _NO_KEY:
                raise
            names = self.list(run_id)
            hint = suggestion(name, names) or (
                f"run {run_id} has: {', '.join(names)}" if names else f"run {run_id} has no artifacts"
            )
            raise ArtifactError(f"no artifact {name!r} for run {run_id} (s3://{self.bucket}/{key})", hint=hint,
                                run_id=run_id, name=name, bucket=self.bucket, key=key) from None  # fmt: skip
        body = response["Body"]
        try:
            return bytes(body.read())
        except aws_exceptions() as e:
            raise aws_error(e, service="S3", action="read", resource=f"s3://{self.bucket}/{key}",
                            permission="s3:GetObject", fallback=ArtifactError) from None  # fmt: skip
        finally:
            body.close()

    def list(self, run_id: str) -> builtins.list[str]:
        prefix = self._run_prefix(run_id)
        paginator = self.client.get_paginator("list_objects_v2")
        pages = paginator.paginate(
            Bucket=self.bucket, Prefix=prefix, PaginationConfig={"PageSize": self.page_size}
        )
        names: set[str] = set()
        try:
            for page in pages:
                for obj in page.get("Contents") or ():
                    name = obj["Key"][len(prefix) :]
                    if name and "/" not in name and not name.startswith("."):
                        names.add(name)
        except aws_exceptions() as e:
            raise self._error(e, "list", prefix, "s3:ListBucket") from None
        return sorted(names)


def _content_type(name: str) -> str:
    if name.endswith(".sql"):
        return "text/plain; charset=utf-8"
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"
