"""Layer 1: where jobs run. The interface, this machine, and lookup by name."""

from runlab.compute.base import ComputeTarget
from runlab.compute.local import LocalCompute
from runlab.compute.registry import get_compute_target

__all__ = ["ComputeTarget", "LocalCompute", "get_compute_target"]
