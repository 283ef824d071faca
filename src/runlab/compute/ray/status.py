"""A cluster's status, in the Azure ML SDK's shape (``AmlComputeStatus``)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from runlab.compute.ray._client import JobsClient, JobState, RayNode
from runlab.compute.ray.provisioning import RayProvisioningConfiguration
from runlab.errors import RunlabError

__all__ = ["ClusterStatus", "NodeState", "read_status", "unreachable_status"]


@dataclasses.dataclass(frozen=True)
class NodeState:
    """A node alive now, and what it does: ``running`` a job's driver, or ``idle``."""

    node: RayNode
    state: str


@dataclasses.dataclass(frozen=True)
class ClusterStatus:
    """What a cluster is doing now.

    Attributes:
        provisioning_state: ``Succeeded`` (the cluster answers), ``Failed`` (it does not),
            ``Deleting``, ``Deleted``.
        allocation_state: ``Steady`` (as many nodes as wanted) or ``Resizing``.
        current_node_count: worker nodes alive.
        target_node_count: nodes wanted now: min_nodes, raised by work running and waiting,
            at most max_nodes.
        node_state_counts: ``idle``, ``running``, ``preparing``, ``leaving``, ``unusable``.
        vm_size: the node size name.
        scale_settings: ``minNodeCount``, ``maxNodeCount``, ``nodeIdleTimeBeforeScaleDown``.
        errors: what went wrong reading the status, if anything.
    """

    provisioning_state: str
    allocation_state: str
    current_node_count: int
    target_node_count: int
    node_state_counts: dict[str, int]
    vm_size: str
    scale_settings: dict[str, Any]
    errors: list[str] = dataclasses.field(default_factory=list)

    def serialize(self) -> dict[str, Any]:
        """The status with the SDK's keys."""
        counts = self.node_state_counts
        return {
            "currentNodeCount": self.current_node_count,
            "targetNodeCount": self.target_node_count,
            "allocationState": self.allocation_state,
            "provisioningState": self.provisioning_state,
            "nodeStateCounts": {
                "idleNodeCount": counts["idle"],
                "runningNodeCount": counts["running"],
                "preparingNodeCount": counts["preparing"],
                "leavingNodeCount": counts["leaving"],
                "unusableNodeCount": counts["unusable"],
            },
            "vmSize": self.vm_size,
            "scaleSettings": dict(self.scale_settings),
            "errors": list(self.errors) or None,
        }


def scale_settings(config: RayProvisioningConfiguration | None) -> dict[str, Any]:
    """The SDK's ``scaleSettings`` of ``config`` (empty for an attached cluster)."""
    if config is None:
        return {}
    return {
        "minNodeCount": config.min_nodes,
        "maxNodeCount": config.max_nodes,
        "nodeIdleTimeBeforeScaleDown": f"PT{config.idle_seconds_before_scaledown}S",
    }


def unreachable_status(config: RayProvisioningConfiguration | None, why: str) -> ClusterStatus:
    """The status of a cluster that does not answer (its head is gone): ``Failed``, no node,
    and ``why`` as its error."""
    vm_size = config.vm_size if config is not None else "unknown"
    return ClusterStatus(
        "Failed", "Steady", 0, 0, _counts(), vm_size, scale_settings(config), [why]
    )


def read_status(
    client: JobsClient, config: RayProvisioningConfiguration | None
) -> tuple[ClusterStatus, list[NodeState]]:
    """The cluster's status and its nodes, read from its HTTP API.

    A node is *running* while a job's driver runs on it, else *idle*; *preparing* counts the
    nodes the waiting jobs still need (for a cluster runlab provisioned).
    """
    vm_size = config.vm_size if config is not None else "unknown"
    try:
        nodes = client.alive_worker_nodes()
        jobs = client.list_jobs()
    except RunlabError as error:
        return unreachable_status(config, error.message), []
    running_jobs = [job for job in jobs if job.state is JobState.RUNNING]
    busy_nodes = {job.driver_node_id for job in running_jobs}
    pending = sum(1 for job in jobs if job.state is JobState.PENDING)
    current = len(nodes)
    running = sum(1 for node in nodes if node.node_id in busy_nodes)
    preparing, target = 0, current
    if config is not None:
        per_node = max(config.node.cpu, 1)
        free_slots = sum(int(node.resources.get("CPU", 0)) for node in nodes) - len(running_jobs)
        needed = math.ceil(max(pending - max(free_slots, 0), 0) / per_node)
        target = min(max(config.min_nodes, running + needed), config.max_nodes)
        preparing = max(min(needed, config.max_nodes - current), 0)
    states = [
        NodeState(node, "running" if node.node_id in busy_nodes else "idle") for node in nodes
    ]
    counts = _counts(idle=current - running, running=running, preparing=preparing)
    # Idle nodes above the target are still "Resizing": they wait for their scale-down.
    allocation = "Steady" if target == current else "Resizing"
    status = ClusterStatus(
        "Succeeded", allocation, current, target, counts, vm_size, scale_settings(config)
    )
    return status, states


def _counts(idle: int = 0, running: int = 0, preparing: int = 0) -> dict[str, int]:
    return {"idle": idle, "running": running, "preparing": preparing, "leaving": 0, "unusable": 0}
