"""Compute targets as the SDK names them: ``ComputeTarget(ws, name)``, ``ComputeTarget.create``.

Layer 2. The targets themselves are layer-1 backends (:class:`runlab.compute.ray.RayCompute`),
recorded in the workspace's metadata store; this module only finds and creates them by the
SDK's names, so ``ComputeTarget(ws, "cpu-cluster")`` returns the target's own class.
"""

from __future__ import annotations

from typing import Any

from runlab.compute import ComputeTarget as _ComputeTargetBase
from runlab.compute import get_compute_target
from runlab.compute.ray import RayCompute, RayProvisioningConfiguration
from runlab.errors import NotFoundError, ValidationError
from runlab.tracking import Workspace

__all__ = ["ComputeTarget", "list_compute_targets"]


class ComputeTarget:
    """Find or create a workspace's compute target, as in the Azure ML SDK.

    ``ComputeTarget(ws, name)`` returns the recorded target (a :class:`RayCompute`), and
    ``ComputeTarget.create(ws, name, config)`` provisions one from a provisioning
    configuration (``RayCompute.provisioning_configuration(...)``).

    Raises:
        NotFoundError: ``ComputeTarget(ws, name)`` of a name the workspace does not know
            (the SDK's ``ComputeTargetException``; catch it to create the cluster).
    """

    def __new__(cls, workspace: Workspace, name: str) -> Any:
        if name == "local":
            raise NotFoundError("'local' is not a recorded compute target; pass 'local' as is")
        return get_compute_target(name, workspace)

    @staticmethod
    def create(workspace: Workspace, name: str, provisioning_configuration: Any) -> RayCompute:
        """Record and provision a compute target; see :meth:`RayCompute.create`.

        Raises:
            ValidationError: a configuration runlab cannot provision, a bad name.
            AlreadyExistsError: a target of that name exists.
            BackendError: the cluster did not start.
        """
        if isinstance(provisioning_configuration, RayProvisioningConfiguration):
            return RayCompute.create(workspace, name, provisioning_configuration)
        raise ValidationError(
            "create a cluster from RayCompute.provisioning_configuration(...), not from"
            f" {type(provisioning_configuration).__name__}"
        )

    @staticmethod
    def list(workspace: Workspace) -> list[_ComputeTargetBase]:
        """Every recorded compute target of the workspace, by name."""
        return list(list_compute_targets(workspace).values())


def list_compute_targets(workspace: Workspace) -> dict[str, _ComputeTargetBase]:
    """Every recorded compute target of the workspace, by name (``ws.compute_targets``)."""
    return {
        record.name: get_compute_target(record.name, workspace)
        for record in workspace.store.list_compute_targets()
    }
