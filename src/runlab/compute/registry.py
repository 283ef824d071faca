"""Find, list and create compute targets by name: ``local``, or a workspace's recorded ones.

A recorded target is a row of the workspace's metadata store; its ``kind`` picks the class
that opens it. The workspace comes duck-typed (:class:`WorkspaceLike`), so
compute, in layer 1, never imports ``runlab.tracking``.
"""

from __future__ import annotations

from typing import Any

from runlab.compute.base import ComputeTarget, WorkspaceLike
from runlab.compute.local import LocalCompute
from runlab.entities.compute_target import ComputeTargetRecord
from runlab.errors import NotFoundError, ValidationError

__all__ = ["create_compute_target", "get_compute_target", "list_compute_targets"]


def get_compute_target(
    target: str | ComputeTarget, workspace: WorkspaceLike | None = None
) -> ComputeTarget:
    """The compute target ``target`` names (or ``target`` itself).

    ``local`` is this machine; any other name is looked up among the workspace's recorded
    compute targets (Ray clusters), when a workspace is given.

    Raises:
        NotFoundError: no target of that name.
    """
    if isinstance(target, ComputeTarget):
        return target
    if target == "local":
        return LocalCompute()
    if workspace is None:
        raise NotFoundError(f"no compute target named {target!r}: use 'local'")
    return _open(workspace, workspace.store.get_compute_target(target))  # NotFoundError


def list_compute_targets(workspace: WorkspaceLike) -> dict[str, ComputeTarget]:
    """Every recorded compute target of the workspace, by name (``ws.compute_targets``)."""
    return {
        record.name: _open(workspace, record) for record in workspace.store.list_compute_targets()
    }


def create_compute_target(
    workspace: WorkspaceLike, name: str, provisioning_configuration: Any
) -> ComputeTarget:
    """Record and provision a compute target of the kind the configuration is for.

    Raises:
        ValidationError: a configuration runlab cannot provision, a bad name.
        AlreadyExistsError: a target of that name exists.
        BackendError: the target did not start.
    """
    from runlab.compute.ray import RayCompute, RayProvisioningConfiguration

    if isinstance(provisioning_configuration, RayProvisioningConfiguration):
        return RayCompute.create(workspace, name, provisioning_configuration)
    raise ValidationError(
        "create a cluster from RayCompute.provisioning_configuration(...), not from"
        f" {type(provisioning_configuration).__name__}"
    )


def _open(workspace: WorkspaceLike, record: ComputeTargetRecord) -> ComputeTarget:
    if record.kind == "ray":
        from runlab.compute.ray import RayCompute

        return RayCompute.of_record(workspace, record)
    raise NotFoundError(f"compute target {record.name!r} is of an unknown kind {record.kind!r}")
