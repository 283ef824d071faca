"""Find a compute target by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from runlab.compute.base import ComputeTarget
from runlab.compute.local import LocalCompute
from runlab.errors import NotFoundError

if TYPE_CHECKING:
    from runlab.compute.ray.compute import WorkspaceLike

__all__ = ["get_compute_target"]


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
    record = workspace.store.get_compute_target(target)  # NotFoundError
    if record.kind == "ray":
        from runlab.compute.ray import RayCompute

        return RayCompute(workspace, record)
    raise NotFoundError(f"compute target {target!r} is of an unknown kind {record.kind!r}")
