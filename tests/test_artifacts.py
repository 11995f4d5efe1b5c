"""Local artifact store: round trips, atomic writes, and refused paths."""

from __future__ import annotations

import json
import os

import pytest

from datamorph.artifacts import ArtifactStore, LocalArtifactStore, artifact_store
from datamorph.errors import ArtifactError, ConfigError, DataMorphError
from datamorph.events import new_run_id


@pytest.fixture
def store(tmp_path):
    return LocalArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def run_id():
    return new_run_id()


def test_round_trip_text_and_bytes(store, run_id, tmp_path):
    spec = json.dumps({"target_table": "analytics.revenue"})
    where = store.put(run_id, "spec.json", spec)
    assert where == str(tmp_path / "artifacts" / run_id / "spec.json") == store.uri(run_id, "spec.json")
    assert store.get(run_id, "spec.json") == spec.encode()
    assert store.get_text(run_id, "spec.json") == spec

    blob = bytes(range(256))
    store.put(run_id, "result.bin", blob)
    assert store.get(run_id, "result.bin") == blob

    store.put(run_id, "pipeline.sql", "SELECT 'é' AS x")
    assert store.get_text(run_id, "pipeline.sql") == "SELECT 'é' AS x"
    assert store.list(run_id) == ["pipeline.sql", "result.bin", "spec.json"]


def test_put_overwrites_and_leaves_no_temp_files(store, run_id):
    store.put(run_id, "validation.json", "{}")
    store.put(run_id, "validation.json", '{"passed": true}')
    assert store.get_text(run_id, "validation.json") == '{"passed": true}'
    assert os.listdir(store.base_dir / run_id) == ["validation.json"]


def test_runs_are_separate(store):
    a, b = new_run_id(), new_run_id()
    store.put(a, "spec.json", "a")
    store.put(b, "spec.json", "b")
    assert store.get_text(a, "spec.json") == "a" and store.get_text(b, "spec.json") == "b"
    assert store.list(new_run_id()) == []


def test_get_unknown_artifact_is_clear(store, run_id):
    with pytest.raises(ArtifactError, match="no artifact 'spec.json'") as info:
        store.get(run_id, "spec.json")
    assert "has no artifacts" in str(info.value)
    store.put(run_id, "spec.json", "{}")
    with pytest.raises(ArtifactError, match="did you mean 'spec.json'"):
        store.get(run_id, "spex.json")
    assert isinstance(info.value, DataMorphError)


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/b",
        "..",
        ".",
        "",
        "/etc/passwd",
        "\\windows\\system32",
        "a\\b",
        "C:evil",
        "..\\x",
        "x..y",
        ".hidden",
        "nul\x00byte",
        "new\nline",
        "n" * 129,
    ],
)
def test_bad_names_are_refused(store, run_id, name, tmp_path):
    for call in (
        lambda: store.put(run_id, name, "x"),
        lambda: store.get(run_id, name),
        lambda: store.uri(run_id, name),
    ):
        with pytest.raises(ArtifactError):
            call()
    assert not (tmp_path / "x").exists()
    assert not (store.base_dir / run_id).exists()  # nothing written, not even the run dir


@pytest.mark.parametrize(
    "bad_run",
    [
        "..",
        "../20250113_123456_abc123",
        "20250113_123456_abc123/..",
        "/tmp",
        "20250113_123456_ABC123",
        "run1",
        "",
    ],
)
def test_bad_run_ids_are_refused(store, bad_run):
    for call in (
        lambda: store.put(bad_run, "spec.json", "x"),
        lambda: store.get(bad_run, "spec.json"),
        lambda: store.list(bad_run),
        lambda: store.uri(bad_run, "spec.json"),
    ):
        with pytest.raises(ArtifactError, match="not a run id"):
            call()
    assert not store.base_dir.exists()


def test_max_length_name_is_fine(store, run_id):
    name = "n" * 128
    store.put(run_id, name, "ok")
    assert store.list(run_id) == [name]


def test_factory(tmp_path):
    local = artifact_store(str(tmp_path / "a"))
    assert isinstance(local, LocalArtifactStore) and isinstance(local, ArtifactStore)
    assert local.base_dir == tmp_path / "a"
    assert artifact_store(f"file://{tmp_path}/b").base_dir == tmp_path / "b"
    assert isinstance(artifact_store(tmp_path / "c"), LocalArtifactStore)

    from datamorph.artifacts_s3 import S3ArtifactStore

    assert isinstance(artifact_store("s3://bucket/prefix"), S3ArtifactStore)
    with pytest.raises(ConfigError, match="unsupported"):
        artifact_store("gs://bucket/prefix")
    with pytest.raises(ConfigError):
        artifact_store("  ")
