"""Provisioning configurations and bad input: checked before anything starts (no Ray needed)."""

from __future__ import annotations

import pytest

from runlab import Workspace
from runlab.compute import ComputeTarget, LocalCompute, get_compute_target
from runlab.compute.ray import VM_SIZES, JobsClient, RayCompute
from runlab.compute.ray._processes import free_ports
from runlab.compute.ray.status import ClusterStatus
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError


def test_sizes_give_node_shapes() -> None:
    config = RayCompute.provisioning_configuration("standard_nc6", max_nodes=2)
    assert (config.vm_size, config.node.cpu, config.node.gpu) == ("STANDARD_NC6", 6, 1)
    assert VM_SIZES["STANDARD_D2_V2"].cpu == 2
    custom = RayCompute.provisioning_configuration(None, cpu=3, memory_gb=5)
    assert (custom.vm_size, custom.node.cpu, custom.node.memory_gb) == ("CUSTOM", 3, 5)
    assert RayCompute.provisioning_configuration("STANDARD_D2_V2", gpu=2).node.gpu == 2
    assert type(config).from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"min_nodes": 3, "max_nodes": 2}, "must not exceed"),
        ({"vm_size": "STANDARD_X9000"}, "unknown vm_size"),
        ({"max_nodes": 0}, "at least 1"),
        ({"min_nodes": -1}, "whole number"),
        ({"vm_priority": "cheap"}, "vm_priority"),
        ({"vm_size": None}, "cpu="),
        ({"vm_size": None, "cpu": 0}, "at least 1 cpu"),
    ],
)
def test_bad_configurations(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RayCompute.provisioning_configuration(**arguments)  # type: ignore[arg-type]


def test_a_duplicate_name_is_refused_before_anything_starts(workspace: Workspace) -> None:
    workspace.store.create_compute_target("cpu-cluster", "ray", state={"owned": False})
    config = RayCompute.provisioning_configuration(max_nodes=1)
    with pytest.raises(AlreadyExistsError):
        RayCompute.create(workspace, "cpu-cluster", config)
    with pytest.raises(AlreadyExistsError):
        RayCompute.attach(workspace, "cpu-cluster", "http://127.0.0.1:1")
    assert not (workspace.config_path.parent / "clusters").exists()  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["", "x", "local", "has space", "1st", "a" * 40])
def test_bad_names(workspace: Workspace, name: str) -> None:
    with pytest.raises(ValidationError):
        RayCompute.create(workspace, name, RayCompute.provisioning_configuration())
    assert workspace.store.list_compute_targets() == []


def test_an_address_nobody_answers_at(workspace: Workspace) -> None:
    (port,) = free_ports(1)
    with pytest.raises(BackendError, match=r"cannot reach the Ray cluster|Ray is not installed"):
        JobsClient(f"http://127.0.0.1:{port}")
    with pytest.raises(BackendError, match="no Ray Jobs API answered"):
        RayCompute.attach(workspace, "nobody", f"127.0.0.1:{port}")
    assert workspace.store.list_compute_targets() == []
    assert not (workspace.config_path.parent / "clusters").exists()  # type: ignore[union-attr]


def test_a_remote_cluster_needs_a_served_workspace(workspace: Workspace) -> None:
    with pytest.raises(ValidationError, match="runlab server"):
        RayCompute.attach(workspace, "far", "http://10.1.2.3:8265")


def test_unknown_names(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="no compute target named 'gpu'"):
        get_compute_target("gpu", workspace)
    with pytest.raises(NotFoundError):
        ComputeTarget(workspace, "gpu")
    with pytest.raises(NotFoundError):
        RayCompute(workspace, "gpu")
    with pytest.raises(ValidationError):
        ComputeTarget.create(workspace, "gpu", {"vm_size": "STANDARD_NC6"})
    assert workspace.compute_targets == {}
    assert ComputeTarget.list(workspace) == []


def test_one_compute_target_class_finds_targets_by_name(workspace: Workspace) -> None:
    # A recorded target, read without starting anything (nobody answers at its address).
    workspace.store.create_compute_target(
        "team", "ray", state={"owned": False, "address": "http://127.0.0.1:1"}
    )
    found = ComputeTarget(workspace, "team")
    assert type(found) is RayCompute and found.name == "team" and not found.owned
    assert type(RayCompute(workspace=workspace, name="team")) is RayCompute
    assert RayCompute.get(workspace, "team").address == "http://127.0.0.1:1"
    assert [target.name for target in ComputeTarget.list(workspace)] == ["team"]
    assert [target.name for target in RayCompute.list(workspace)] == ["team"]
    assert LocalCompute.list(workspace) == []
    assert isinstance(ComputeTarget(workspace, "local"), LocalCompute)
    with pytest.raises(NotFoundError, match="local"):
        RayCompute.get(workspace, "local")
    with pytest.raises(NotFoundError, match="not a LocalCompute"):
        LocalCompute.get(workspace, "team")
    assert isinstance(LocalCompute(max_concurrent_runs=1), ComputeTarget)


def test_status_serializes_with_the_sdk_keys() -> None:
    status = ClusterStatus(
        "Succeeded", "Resizing", 1, 2,
        {"idle": 0, "running": 1, "preparing": 1, "leaving": 0, "unusable": 0},
        "STANDARD_D2_V2", {"minNodeCount": 0, "maxNodeCount": 2},
    )  # fmt: skip
    serialized = status.serialize()
    assert serialized["currentNodeCount"] == 1 and serialized["targetNodeCount"] == 2
    assert serialized["allocationState"] == "Resizing"
    assert serialized["nodeStateCounts"]["preparingNodeCount"] == 1
    assert set(serialized) >= {
        "provisioningState", "vmSize", "scaleSettings", "nodeStateCounts",
    }  # fmt: skip
