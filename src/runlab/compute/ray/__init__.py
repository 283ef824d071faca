"""Jobs on Ray clusters: ``RayCompute`` (layer 1). Ray itself is imported only when used;
install it with the ``ray`` extra."""

from runlab.compute.ray._client import JobsClient, JobState, RayJob, RayNode
from runlab.compute.ray._head import ONE_MACHINE_CLUSTER
from runlab.compute.ray.compute import KIND, RayCompute
from runlab.compute.ray.provisioning import VM_SIZES, NodeShape, RayProvisioningConfiguration
from runlab.compute.ray.status import ClusterStatus

__all__ = [
    "KIND",
    "ONE_MACHINE_CLUSTER",
    "VM_SIZES",
    "ClusterStatus",
    "JobState",
    "JobsClient",
    "NodeShape",
    "RayCompute",
    "RayJob",
    "RayNode",
    "RayProvisioningConfiguration",
]
