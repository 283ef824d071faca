"""One answer to "is this workspace served over HTTP?", asked by every part that needs it."""

from __future__ import annotations

import socket

import pytest

from runlab import Workspace
from runlab.compute.ray import _workspace as ray_workspace
from runlab.compute.ray.compute import RayCompute
from runlab.entities import workspace_config
from runlab.errors import ValidationError

SERVER = "http://127.0.0.1:8765"

CASES = [
    pytest.param(SERVER, SERVER, SERVER, id="both-served"),
    pytest.param(SERVER, "/tmp/runlab-artifacts", SERVER, id="store-served-artifacts-local"),
    pytest.param("sqlite:////tmp/runlab.db", SERVER, None, id="store-local-artifacts-served"),
    pytest.param("sqlite:////tmp/runlab.db", "/tmp/runlab-artifacts", None, id="both-local"),
]


@pytest.mark.parametrize(("store_uri", "artifact_uri", "expected"), CASES)
def test_every_caller_gives_the_same_answer(
    store_uri: str, artifact_uri: str, expected: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_TOKEN", "rl_test")
    workspace = Workspace("ws", store_uri, artifact_uri)

    assert workspace_config.server_url(workspace.to_dict()) == expected
    assert workspace.server_url == expected
    assert ray_workspace.server_url(workspace) == expected
    # What follows from the answer: a job's token, where the workspace says it is.
    assert workspace.job_token() == ("rl_test" if expected else None)
    assert workspace.location == ("127.0.0.1:8765" if expected else socket.gethostname())


@pytest.mark.parametrize(
    ("store_uri", "artifact_uri", "refused"),
    [
        (SERVER, "/tmp/runlab-artifacts", "artifacts"),
        (SERVER, "file:///tmp/runlab-artifacts", "artifacts"),
        ("sqlite:////tmp/runlab.db", SERVER, "local store"),
    ],
)
def test_a_cluster_on_another_machine_needs_both_stores_reachable(
    store_uri: str, artifact_uri: str, refused: str
) -> None:
    workspace = Workspace("ws", store_uri, artifact_uri)

    with pytest.raises(ValidationError, match=refused):
        RayCompute.attach(workspace, "far", "http://203.0.113.7:8265")


def test_artifacts_on_this_machine() -> None:
    assert workspace_config.artifacts_on_this_machine({"artifact_uri": "/data/artifacts"})
    assert workspace_config.artifacts_on_this_machine({"artifact_uri": "file:///data"})
    assert not workspace_config.artifacts_on_this_machine({"artifact_uri": SERVER})
    assert not workspace_config.artifacts_on_this_machine({"artifact_uri": "s3://bucket/ws"})
