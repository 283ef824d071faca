"""Layer 1: where jobs run. The interface, this machine, and lookup by name."""

from runlab.compute.base import ComputeTarget, WorkspaceLike
from runlab.compute.local import LocalCompute
from runlab.compute.registry import (
    create_compute_target,
    get_compute_target,
    list_compute_targets,
)

__all__ = [
    "ComputeTarget",
    "LocalCompute",
    "WorkspaceLike",
    "create_compute_target",
    "get_compute_target",
    "list_compute_targets",
]
