"""The plain record of a registered environment version."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["EnvironmentRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class EnvironmentRecord:
    """One version of an environment registered in a workspace (``env.register(ws)``).

    Attributes:
        name: the environment's name.
        version: 1 for the first registration of the name, then 2, 3, ...
        spec: the environment's spec as JSON values
            (:meth:`runlab.environments.Environment.to_dict`).
        created_time: seconds since the epoch.
    """

    name: str
    version: int
    spec: dict[str, Any]
    created_time: float
