"""What a Ray cluster is doing: status, nodes, the SDK's dict, waiting for nodes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from runlab.compute.ray.provisioning import RayProvisioningConfiguration
from runlab.compute.ray.status import ClusterStatus, read_status, unreachable_status
from runlab.entities.numbers import whole_number
from runlab.errors import BackendError, RunlabError

if TYPE_CHECKING:
    from runlab.compute.ray._client import JobsClient

__all__ = ["ClusterInfoMixin"]


class ClusterInfoMixin:
    """Status and nodes of a cluster; mixed into :class:`~runlab.compute.ray.RayCompute`."""

    if TYPE_CHECKING:

        @property
        def name(self) -> str: ...

        @property
        def owned(self) -> bool: ...

        @property
        def address(self) -> str: ...

        @property
        def client(self) -> JobsClient: ...

        @property
        def provisioning(self) -> RayProvisioningConfiguration | None: ...

    # -- its state -----------------------------------------------------------------------

    def get_status(self) -> ClusterStatus:
        """The cluster's status now (nodes, their states, the scale settings); ``Failed``,
        saying why, when the cluster does not answer."""
        try:
            client = self.client
        except RunlabError as error:  # the head is gone: its Jobs API cannot even be reached
            return unreachable_status(self.provisioning, error.message)
        return read_status(client, self.provisioning)[0]

    @property
    def status(self) -> ClusterStatus:
        """Same as :meth:`get_status`."""
        return self.get_status()

    def list_nodes(self) -> list[dict[str, Any]]:
        """The nodes alive now: ``nodeId``, ``ipAddress``, ``nodeState`` (``idle`` or
        ``running``), ``resources``."""
        _status, nodes = read_status(self.client, self.provisioning)
        return [
            {
                "nodeId": entry.node.node_id,
                "ipAddress": entry.node.ip_address,
                "nodeState": entry.state,
                "resources": dict(entry.node.resources),
            }
            for entry in nodes
        ]

    def serialize(self) -> dict[str, Any]:
        """The target as the SDK's dict: ``name``, ``type``, ``provisioningState``,
        ``properties`` (address, vmSize, scaleSettings) and ``status``."""
        status = self.get_status()
        return {
            "name": self.name,
            "type": "RayCompute",
            "provisioningState": status.provisioning_state,
            "properties": {
                "address": self.address,
                "owned": self.owned,
                "vmSize": status.vm_size,
                "scaleSettings": status.scale_settings,
            },
            "status": status.serialize(),
        }

    def wait_for_completion(
        self,
        show_output: bool = False,
        min_node_count: int | str | None = None,
        timeout_in_minutes: float | str = 20,
    ) -> ClusterStatus:
        """Wait until the cluster answers and has at least ``min_node_count`` nodes (default:
        its ``min_nodes``).

        Raises:
            BackendError: not so within ``timeout_in_minutes``.
        """
        config = self.provisioning
        wanted = (
            whole_number(min_node_count, "min_node_count")
            if min_node_count is not None
            else (config.min_nodes if config else 0)
        )
        timeout_in_minutes = (
            whole_number(timeout_in_minutes, "timeout_in_minutes")
            if isinstance(timeout_in_minutes, str)
            else timeout_in_minutes
        )
        deadline = time.monotonic() + timeout_in_minutes * 60
        last = None
        while True:
            status = self.get_status()
            line = (
                f"{status.provisioning_state} {status.allocation_state}"
                f" nodes={status.current_node_count}/{status.target_node_count}"
            )
            if show_output and line != last:
                print(line, flush=True)
                last = line
            if status.provisioning_state == "Succeeded" and status.current_node_count >= wanted:
                return status
            if time.monotonic() >= deadline:
                raise BackendError(
                    f"compute target {self.name!r} did not reach {wanted} node(s) within"
                    f" {timeout_in_minutes} minutes: {line}"
                )
            time.sleep(0.5)
