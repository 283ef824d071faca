"""The plain record of a registered model version."""

from __future__ import annotations

import dataclasses

__all__ = ["ModelRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class ModelRecord:
    """One version of a registered model, as stored.

    Attributes:
        name: the model's name; its versions share it.
        version: 1 for the first version of the name, then one more for each registration.
        run_id: the run it was registered from, or None.
        experiment_name: that run's experiment, or None.
        description: free text for people, or None.
        tags: mutable string labels.
        properties: add-only string facts.
        created_time: seconds since the epoch.
        content_hash: the sha256 of its files (see :func:`runlab.models.content_hash`).
        files: its files, relative to ``models/<name>/<version>/`` in the artifact store and
            sorted: ``("model.pkl",)`` for a file, ``("model/a.bin", "model/b/c.txt")`` for a
            folder.
    """

    name: str
    version: int
    run_id: str | None
    experiment_name: str | None
    description: str | None
    tags: dict[str, str]
    properties: dict[str, str]
    created_time: float
    content_hash: str
    files: tuple[str, ...]

    @property
    def id(self) -> str:
        """``name:version``, the model's id."""
        return f"{self.name}:{self.version}"
