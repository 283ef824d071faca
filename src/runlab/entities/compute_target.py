"""The plain record of a compute target the workspace knows by name."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["ComputeTargetRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class ComputeTargetRecord:
    """A compute target as the metadata store keeps it.

    Attributes:
        name: its unique name in the workspace (``cpu-cluster``).
        kind: which backend runs it (``ray``).
        config: what the user asked for (node shape, min/max nodes, idle time, address), as
            JSON values; the backend reads it.
        state: what the backend keeps about the running target (head process id, ports,
            whether runlab owns it), as JSON values; never secrets.
        created_time: seconds since the epoch.
    """

    name: str
    kind: str
    config: dict[str, Any]
    state: dict[str, Any]
    created_time: float
