"""Per-run artifacts: spec.json, pipeline.sql, validation.json, result.json...

An :class:`ArtifactStore` keeps named blobs per run. :class:`LocalArtifactStore`
writes ``<base_dir>/<run_id>/<name>`` atomically. Run ids and names are
checked before any path is built, so nothing can be read or written outside
``base_dir``. :func:`artifact_store` picks a store from a location string.
"""

from __future__ import annotations

import builtins
import os
import re
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path

from datamorph.errors import ArtifactError, ConfigError, suggestion
from datamorph.events import is_run_id

MAX_NAME_LEN = 128
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def check_run_id(run_id: object) -> str:
    """``run_id`` if it is in run id format; ArtifactError otherwise."""
    if not is_run_id(run_id):
        raise ArtifactError(
            f"{run_id!r} is not a run id",
            hint="run ids look like 20250113_123456_abc123",
            run_id=str(run_id),
        )
    return str(run_id)


def check_name(name: object) -> str:
    """``name`` if it is a plain file name; ArtifactError otherwise."""
    problem = None
    if not isinstance(name, str) or not name:
        problem = "must be a non-empty string"
    elif len(name) > MAX_NAME_LEN:
        problem = f"is longer than {MAX_NAME_LEN} characters"
    elif "/" in name or "\\" in name:
        problem = "must not contain '/' or '\\'"
    elif ".." in name:
        problem = "must not contain '..'"
    elif name.startswith("."):
        problem = "must not start with '.'"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name) or ":" in name:
        problem = "must not contain control characters or ':'"
    if problem:
        raise ArtifactError(
            f"artifact name {name!r} {problem}",
            hint="use a plain file name such as spec.json",
            name=str(name)[:MAX_NAME_LEN],
        )
    return str(name)


class ArtifactStore(ABC):
    """Named artifacts per run."""

    @abstractmethod
    def put(self, run_id: str, name: str, data: str | bytes) -> str:
        """Store ``data`` (str is written as UTF-8) and return where it went (see :meth:`uri`)."""

    @abstractmethod
    def get(self, run_id: str, name: str) -> bytes:
        """The artifact's bytes; ArtifactError if there is no such artifact."""

    @abstractmethod
    def list(self, run_id: str) -> builtins.list[str]:
        """The run's artifact names, sorted; empty for a run without artifacts."""

    @abstractmethod
    def uri(self, run_id: str, name: str) -> str:
        """Where the artifact lives (a path for local stores, ``s3://...`` for S3)."""

    def get_text(self, run_id: str, name: str) -> str:
        """The artifact decoded as UTF-8."""
        return self.get(run_id, name).decode("utf-8")


class LocalArtifactStore(ArtifactStore):
    """Artifacts as files under ``base_dir/<run_id>/``."""

    def __init__(self, base_dir: str | Path) -> None:
        self.base_dir = Path(base_dir).expanduser().absolute()

    def __repr__(self) -> str:
        return f"LocalArtifactStore({str(self.base_dir)!r})"

    def _path(self, run_id: str, name: str) -> Path:
        path = self.base_dir / check_run_id(run_id) / check_name(name)
        # Belt and braces: the checks above already rule out leaving base_dir.
        if path.parent.parent != self.base_dir:
            raise ArtifactError(f"artifact path {path} is outside {self.base_dir}")
        return path

    def uri(self, run_id: str, name: str) -> str:
        return str(self._path(run_id, name))

    def put(self, run_id: str, name: str, data: str | bytes) -> str:
        path = self._path(run_id, name)
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return str(path)

    def get(self, run_id: str, name: str) -> bytes:
        path = self._path(run_id, name)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            names = self.list(run_id)
            hint = suggestion(name, names) or (
                f"run {run_id} has: {', '.join(names)}" if names else f"run {run_id} has no artifacts"
            )
            raise ArtifactError(
                f"no artifact {name!r} for run {run_id}", hint=hint, run_id=run_id, name=name
            ) from None

    def list(self, run_id: str) -> builtins.list[str]:
        run_dir = self.base_dir / check_run_id(run_id)
        if not run_dir.is_dir():
            return []
        return sorted(p.name for p in run_dir.iterdir() if p.is_file() and not p.name.startswith("."))


def artifact_store(location: str | Path) -> ArtifactStore:
    """The store for ``location``.

    A directory path (or ``file://`` URL) → :class:`LocalArtifactStore`; ``s3://bucket/prefix`` (or
    ``s3a://``; the prefix is optional) → :class:`~datamorph.artifacts_s3.S3ArtifactStore`, which needs
    the aws extra (ConfigError with the install hint without boto3). Anything else → ConfigError.
    """
    loc = str(location).strip()
    if not loc:
        raise ConfigError("artifact location is empty", hint="give a directory such as .datamorph/artifacts")
    m = _SCHEME_RE.match(loc)
    if m is None:
        return LocalArtifactStore(loc)
    scheme = m.group(1).lower()
    if scheme == "file":
        return LocalArtifactStore(loc[len(m.group(0)) :] or "/")
    if scheme in ("s3", "s3a"):
        try:
            import boto3  # noqa: F401
        except ImportError:
            raise ConfigError(
                f"cannot store artifacts at {loc}: S3 support needs the aws extra (boto3 is not installed)",
                hint='pip install "datamorph[aws]"',
                location=loc,
            ) from None
        from datamorph.artifacts_s3 import S3ArtifactStore

        return S3ArtifactStore(loc)
    raise ConfigError(
        f"unsupported artifact location {loc!r}",
        hint="use a local directory or s3://bucket/prefix",
        location=loc,
    )
