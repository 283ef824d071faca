"""Find a compute target by name."""

from __future__ import annotations

from runlab.compute.base import ComputeTarget
from runlab.compute.local import LocalCompute
from runlab.errors import NotFoundError

__all__ = ["get_compute_target"]


def get_compute_target(target: str | ComputeTarget) -> ComputeTarget:
    """The compute target ``target`` names (or ``target`` itself).

    Raises:
        NotFoundError: no target of that name.
    """
    if isinstance(target, ComputeTarget):
        return target
    if target == "local":
        return LocalCompute()
    raise NotFoundError(f"no compute target named {target!r}: use 'local'")
