"""Jobs on Ray clusters: ``RayCompute`` (layer 1). Ray itself is imported only when used;
install it with the ``ray`` extra."""

from runlab.compute.ray.compute import KIND, RayCompute
from runlab.compute.ray.provisioning import VM_SIZES, NodeShape, RayProvisioningConfiguration
from runlab.compute.ray.status import ClusterStatus

__all__ = [
    "KIND",
    "VM_SIZES",
    "ClusterStatus",
    "NodeShape",
    "RayCompute",
    "RayProvisioningConfiguration",
]
