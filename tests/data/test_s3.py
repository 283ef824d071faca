"""An S3 datastore through s3fs against a local S3 server (moto), started by the tests."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from runlab import AlreadyExistsError, BackendError, Workspace
from runlab.data import Datastore, materialize

pytest.importorskip("s3fs", reason="the S3 tests need s3fs: pip install s3fs", exc_type=ImportError)
pytest.importorskip(
    "moto",
    reason="the S3 tests need moto[server]: pip install 'moto[server]'",
    exc_type=ImportError,
)

SECRET = "s3-secret-never-in-the-database"


@pytest.fixture
def s3_datastore(workspace: Workspace, s3_bucket: str, s3_options: Any) -> Datastore:
    return Datastore.register(workspace, "lake", f"s3://{s3_bucket}/raw", **s3_options(SECRET))


def _bucket_keys(endpoint: str, bucket: str) -> list[str]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_register_keeps_the_secret_out_of_the_database(
    workspace: Workspace, s3_datastore: Datastore
) -> None:
    assert s3_datastore.options["secret"] == "***" and not s3_datastore.is_local
    assert s3_datastore.options["client_kwargs"]["region_name"] == "us-east-1"
    workspace.close()
    folder = Path(workspace.config_path).parent  # type: ignore[arg-type]
    for database in folder.glob("metadata.db*"):
        assert SECRET.encode() not in database.read_bytes()
    assert SECRET in (folder / "secrets.json").read_text()
    assert SECRET not in repr(Datastore.get(workspace, "lake"))


def test_upload_download_round_trip(
    s3_datastore: Datastore,
    s3_endpoint: str,
    s3_bucket: str,
    tmp_path: Path,
    make_tree: Any,
    tree_hashes: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "src"
    # 20 MiB: past the size runlab sends in one PUT, so it streams in chunks.
    hashes = make_tree(source, files=40, big_bytes=20 * 1024 * 1024)
    manifest = s3_datastore.upload(source, target_path="mnist")
    assert manifest.files == {f"mnist/{path}": digest for path, digest in hashes.items()}
    assert f"{len(hashes)}/{len(hashes)} files" in capsys.readouterr().err
    keys = _bucket_keys(s3_endpoint, s3_bucket)
    assert sorted(key for key in keys if "/mnist/" in key) == sorted(
        f"raw/mnist/{path}" for path in hashes
    )
    assert f"raw/{manifest.location}" in keys

    written = s3_datastore.download(tmp_path / "out", prefix="mnist", show_progress=False)
    assert len(written) == len(hashes)
    assert tree_hashes(tmp_path / "out" / "mnist") == hashes


@pytest.mark.slow
def test_a_thousand_small_files_and_a_200_mb_file(
    s3_datastore: Datastore, tmp_path: Path, make_tree: Any, tree_hashes: Any
) -> None:
    source = tmp_path / "src"
    hashes = make_tree(source, files=1000, big_bytes=200 * 1024 * 1024)
    manifest = s3_datastore.upload(source, target_path="data", show_progress=False)
    assert manifest.files == {f"data/{path}": digest for path, digest in hashes.items()}
    s3_datastore.download(tmp_path / "out", prefix="data", show_progress=False)
    assert tree_hashes(tmp_path / "out" / "data") == hashes


def test_overwrite_false_writes_nothing(
    s3_datastore: Datastore,
    s3_endpoint: str,
    s3_bucket: str,
    tree: tuple[Path, dict[str, str]],
) -> None:
    source, _hashes = tree
    s3_datastore.upload(source, target_path="d", show_progress=False)
    before = _bucket_keys(s3_endpoint, s3_bucket)
    (source / "new.txt").write_text("new")
    with pytest.raises(AlreadyExistsError, match="would overwrite 40 existing file"):
        s3_datastore.upload(source, target_path="d", show_progress=False)
    assert _bucket_keys(s3_endpoint, s3_bucket) == before
    manifest = s3_datastore.upload(source, target_path="d", overwrite=True, show_progress=False)
    assert "d/new.txt" in manifest.files


def test_references_materialize(
    workspace: Workspace,
    s3_datastore: Datastore,
    tree: tuple[Path, dict[str, str]],
    tmp_path: Path,
    tree_hashes: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from runlab.data._manifest import fresh_hashes

    source, hashes = tree
    s3_datastore.upload(source, target_path="mnist", show_progress=False)
    # The upload's manifest vouches for every file: materializing need not hash them again.
    storage = s3_datastore._storage
    listing = storage.list_files("mnist")
    assert fresh_hashes(storage, listing) == {f"mnist/{p}": d for p, d in hashes.items()}
    workdir = tmp_path / "job"
    with caplog.at_level(logging.WARNING, logger="runlab.data"):
        mounted = materialize(workspace, s3_datastore.path("mnist").as_mount(), workdir)
    assert "became a copy" in caplog.text and "not a local path" in caplog.text
    assert SECRET not in caplog.text
    assert mounted.local_path == workdir / ".runlab-data" / "lake" / "mnist"
    assert mounted.mode == "mount" and mounted.manifest == hashes
    assert tree_hashes(mounted.local_path) == hashes

    reference = json.loads(json.dumps(s3_datastore.path("mnist").as_download("data").to_dict()))
    from runlab.data import DataReference

    downloaded = materialize(workspace, DataReference.from_dict(reference), workdir)
    assert downloaded.local_path == workdir / "data" and downloaded.manifest == hashes
    assert tree_hashes(workdir / "data") == hashes


def test_an_endpoint_nobody_answers_at_is_a_clear_error(
    workspace: Workspace, s3_bucket: str, tree: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    datastore = Datastore.register(
        workspace,
        "gone",
        f"s3://{s3_bucket}/raw",
        key="k",
        secret=SECRET,
        client_kwargs={"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
        config_kwargs={"connect_timeout": 1, "retries": {"max_attempts": 1}},
    )
    source, _hashes = tree
    for attempt in (
        lambda: datastore.upload(source, show_progress=False),
        lambda: datastore.download(tmp_path / "out", show_progress=False),
        lambda: materialize(workspace, datastore.path("x").as_download(), tmp_path / "job"),
    ):
        with pytest.raises(BackendError) as failed:
            attempt()
        message = str(failed.value)
        assert "'gone'" in message and f"127.0.0.1:{port}" in message, message
        assert SECRET not in message
        # Only runlab's own error reaches the caller; botocore's is kept as its cause.
        assert type(failed.value).__module__.startswith("runlab.")
    assert not (tmp_path / "out").exists()


def test_a_submitted_run_reads_an_s3_datastore(
    workspace: Workspace,
    s3_datastore: Datastore,
    tree: tuple[Path, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runlab import Experiment
    from runlab.jobs import ScriptRunConfig

    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    source_data, hashes = tree
    s3_datastore.upload(source_data, target_path="mnist", show_progress=False)
    script = tmp_path / "code" / "count.py"
    script.parent.mkdir()
    script.write_text(
        "import pathlib, sys\n"
        "from runlab import Run\n"
        "files = [p for p in pathlib.Path(sys.argv[2]).rglob('*') if p.is_file()]\n"
        "Run.get_context().log('files', len(files))\n"
    )
    for reference in (
        s3_datastore.path("mnist").as_mount(),
        s3_datastore.path("mnist").as_download(),
    ):
        config = ScriptRunConfig(script.parent, "count.py", arguments=["--data", reference])
        run = Experiment(workspace, "s3").submit(config)
        run.wait_for_completion()
        assert run.get_metrics()["files"] == len(hashes)
        assert run.get_details()["inputDatasets"][0]["files"] == len(hashes)
        log = workspace.artifacts.get_bytes(f"runs/{run.id}/logs/driver.log").decode()
        assert ("became a copy" in log) == (reference.mode == "mount")
