"""The plain record of a scoring web service, its states, and the conventions its process uses."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

__all__ = [
    "SERVICE_MODELS_VARIABLE",
    "ServiceRecord",
    "ServiceState",
]

SERVICE_MODELS_VARIABLE = "RUNLAB_SERVICE_MODELS"
"""Set in a scoring process: the JSON file mapping each deployed model's name and version to
its local path, which :meth:`runlab.Model.get_model_path` reads inside ``init()``."""


class ServiceState(enum.StrEnum):
    """Where a web service stands (the SDK's names)."""

    TRANSITIONING = "Transitioning"
    """Being deployed or updated: not answering yet, or not with the new version yet."""
    HEALTHY = "Healthy"
    """Answering."""
    UNHEALTHY = "Unhealthy"
    """Its process died and is being restarted."""
    FAILED = "Failed"
    """It cannot serve: ``init()`` raised, the environment failed to build, or it gave up."""


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A web service as the metadata store keeps it.

    Attributes:
        name: its unique name in the workspace.
        kind: which backend serves it (``local``, ``ray``).
        state: a :class:`ServiceState` value.
        models: the ids (``name:version``) of the model versions it serves.
        config: what the user asked for (deployment and inference configuration), JSON values.
        details: what the backend keeps about it (process ids, port, scoring URI, error),
            JSON values; never secrets.
        created_time: seconds since the epoch.
        updated_time: seconds since the epoch of the last change.
    """

    name: str
    kind: str
    state: str
    models: list[str]
    config: dict[str, Any]
    details: dict[str, Any]
    created_time: float
    updated_time: float

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON values."""
        return dataclasses.asdict(self)
