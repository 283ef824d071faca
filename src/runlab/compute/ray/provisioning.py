"""What a cluster should look like: node shapes by SDK size name, and the scale settings."""

from __future__ import annotations

import dataclasses
from typing import Any

from runlab.entities.numbers import whole_number
from runlab.errors import ValidationError

__all__ = ["VM_SIZES", "NodeShape", "RayProvisioningConfiguration"]


@dataclasses.dataclass(frozen=True)
class NodeShape:
    """The resources of one node.

    Attributes:
        cpu: cores.
        memory_gb: memory in GiB.
        gpu: NVIDIA GPUs.
    """

    cpu: int
    memory_gb: float
    gpu: int = 0


VM_SIZES: dict[str, NodeShape] = {
    "STANDARD_D1_V2": NodeShape(1, 3.5),
    "STANDARD_D2_V2": NodeShape(2, 7),
    "STANDARD_D3_V2": NodeShape(4, 14),
    "STANDARD_D4_V2": NodeShape(8, 28),
    "STANDARD_D5_V2": NodeShape(16, 56),
    "STANDARD_D11_V2": NodeShape(2, 14),
    "STANDARD_D12_V2": NodeShape(4, 28),
    "STANDARD_D13_V2": NodeShape(8, 56),
    "STANDARD_DS2_V2": NodeShape(2, 7),
    "STANDARD_DS3_V2": NodeShape(4, 14),
    "STANDARD_F4S_V2": NodeShape(4, 8),
    "STANDARD_NC6": NodeShape(6, 56, 1),
    "STANDARD_NC12": NodeShape(12, 112, 2),
    "STANDARD_NC24": NodeShape(24, 224, 4),
    "STANDARD_NC6S_V3": NodeShape(6, 112, 1),
    "STANDARD_NC4AS_T4_V3": NodeShape(4, 28, 1),
    "STANDARD_ND40RS_V2": NodeShape(40, 672, 8),
}
"""Node shapes by the size names users of the Azure ML SDK know (case does not matter)."""

CUSTOM_SIZE = "CUSTOM"
VM_PRIORITIES = ("dedicated", "lowpriority")


@dataclasses.dataclass(frozen=True)
class RayProvisioningConfiguration:
    """How to provision a Ray cluster; make one with ``RayCompute.provisioning_configuration``.

    Attributes:
        vm_size: the size name (``CUSTOM`` when the shape was given explicitly).
        node: the resources of each worker node.
        min_nodes: nodes kept even when idle (0: nothing runs while idle).
        max_nodes: nodes at most.
        idle_seconds_before_scaledown: how long a node may idle before it is removed.
        vm_priority: ``dedicated`` or ``lowpriority`` (recorded; nodes here are all dedicated).
        pending_timeout_s: a job that waits longer than this for a node is failed.
    """

    vm_size: str
    node: NodeShape
    min_nodes: int = 0
    max_nodes: int = 4
    idle_seconds_before_scaledown: int = 120
    vm_priority: str = "dedicated"
    pending_timeout_s: float = 600.0

    @classmethod
    def build(
        cls,
        vm_size: str | None = "STANDARD_D2_V2",
        min_nodes: int | str = 0,
        max_nodes: int | str = 4,
        idle_seconds_before_scaledown: int | str = 120,
        vm_priority: str = "dedicated",
        *,
        cpu: int | None = None,
        memory_gb: float | None = None,
        gpu: int | None = None,
        pending_timeout_s: float = 600.0,
    ) -> RayProvisioningConfiguration:
        """Check the arguments and build the configuration (see the attributes).

        ``cpu``/``memory_gb``/``gpu`` override the size's values; with ``vm_size=None`` they
        describe the node alone (``cpu`` is then required).

        Raises:
            ValidationError: an unknown size, min_nodes > max_nodes, a negative count, ...
        """
        # Notebooks read these from environment variables: "2" is taken as 2, as the SDK did.
        min_nodes = whole_number(min_nodes, "min_nodes")
        max_nodes = whole_number(max_nodes, "max_nodes")
        idle_seconds_before_scaledown = whole_number(
            idle_seconds_before_scaledown, "idle_seconds_before_scaledown"
        )
        if vm_size is None:
            if cpu is None:
                raise ValidationError("give a vm_size, or the node's shape with cpu=")
            base, name = NodeShape(cpu, memory_gb or 2.0 * cpu, gpu or 0), CUSTOM_SIZE
        else:
            name = str(vm_size).upper()
            if name not in VM_SIZES:
                known = ", ".join(sorted(VM_SIZES))
                raise ValidationError(
                    f"unknown vm_size {vm_size!r}; use one of {known}, or cpu=, memory_gb=, gpu="
                )
            base = VM_SIZES[name]
        node = NodeShape(
            cpu if cpu is not None else base.cpu,
            memory_gb if memory_gb is not None else base.memory_gb,
            gpu if gpu is not None else base.gpu,
        )
        if node.cpu < 1 or node.memory_gb <= 0 or node.gpu < 0:
            raise ValidationError(f"a node needs at least 1 cpu and some memory, not {node}")
        config = cls(
            name,
            node,
            min_nodes,
            max_nodes,
            idle_seconds_before_scaledown,
            vm_priority,
            pending_timeout_s,
        )
        config.check()
        return config

    def check(self) -> None:
        """Raise ``ValidationError`` unless the scale settings make sense."""
        for field in ("min_nodes", "max_nodes", "idle_seconds_before_scaledown"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValidationError(f"{field} must be a whole number >= 0, not {value!r}")
        if self.max_nodes < 1:
            raise ValidationError("max_nodes must be at least 1")
        if self.min_nodes > self.max_nodes:
            raise ValidationError(
                f"min_nodes ({self.min_nodes}) must not exceed max_nodes ({self.max_nodes})"
            )
        if self.vm_priority not in VM_PRIORITIES:
            raise ValidationError(f"vm_priority must be one of {VM_PRIORITIES}")
        if self.pending_timeout_s <= 0:
            raise ValidationError("pending_timeout_s must be positive")

    def to_dict(self) -> dict[str, Any]:
        """The configuration as JSON values (what the compute target record keeps)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RayProvisioningConfiguration:
        """The configuration from :meth:`to_dict`'s output."""
        fields = dict(values)
        fields["node"] = NodeShape(**fields["node"])
        return cls(**fields)
