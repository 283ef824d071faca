"""The Python API over HTTP: ``Workspace.connect`` and a config naming a server URL."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import json
import math
from pathlib import Path

import pytest

from runlab.artifacts.rest import RestArtifactStore
from runlab.errors import InvalidStateError
from runlab.store import SqlMetadataStore
from runlab.store.rest import RestMetadataStore
from runlab.tracking import Experiment, Workspace


def test_a_run_logged_over_http_is_in_the_sql_store(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    remote = Workspace.connect(server_url)
    assert remote.name == served_workspace.name
    run = Experiment(remote, "mnist").start_logging()
    for step in range(500):
        run.log("loss", 1.0 / (step + 1))
    run.log("note", "ü ✓")
    run.log("bad", math.nan)
    run.log_list("sizes", [1, 2, 3])
    (tmp_path / "model.txt").write_text("weights")
    run.upload_file("outputs/model.txt", str(tmp_path / "model.txt"))
    run.complete()
    remote.close()

    store_uri = served_workspace.to_dict()["store_uri"]
    with SqlMetadataStore(store_uri) as local:
        record = local.get_run(run.id)
        assert record.status.value == "Completed"
        histories = local.get_metric_histories(run.id)
        assert histories["loss"].steps == list(range(500))
        assert histories["loss"].values[-1] == 1.0 / 500
        assert histories["note"].values == ["ü ✓"]
        assert math.isnan(histories["bad"].values[0])
        assert histories["sizes"].values == [[1, 2, 3]]
    files = served_workspace.artifacts.list_files(f"runs/{run.id}")
    assert f"runs/{run.id}/outputs/model.txt" in files


def test_a_config_naming_a_server_url_opens_it(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    served_workspace.store.create_experiment("seen-remotely")
    folder = tmp_path / "client"
    (folder / ".runlab").mkdir(parents=True)
    config = {"name": "served", "server_url": server_url}
    (folder / ".runlab" / "config.json").write_text(json.dumps(config))
    remote = Workspace.from_config(folder)
    assert list(remote.experiments) == ["seen-remotely"]
    assert remote.store.uri == server_url
    remote.close()


def test_a_connected_workspace_shares_one_pool_and_closes_it(
    server_url: str, served_workspace: Workspace
) -> None:
    with Workspace.connect(server_url) as remote:
        store, artifacts = remote.store, remote.artifacts
        assert isinstance(store, RestMetadataStore)
        assert isinstance(artifacts, RestArtifactStore)
        assert store.client is artifacts.client
        store.create_experiment("both")
        artifacts.put_bytes("notes/a.txt", b"hello")
        assert artifacts.get_bytes("notes/a.txt") == b"hello"
    assert store.client.closed
    with pytest.raises(InvalidStateError, match="closed"):
        store.list_experiments()
    with pytest.raises(InvalidStateError, match="closed"):
        artifacts.list_files()
    with pytest.raises(InvalidStateError, match="closed"):
        artifacts.put_bytes("notes/b.txt", b"late")
    remote.close()  # closing again does nothing
    assert served_workspace.artifacts.list_files("notes") == ["notes/a.txt"]
