"""The plain records of the model registry: model versions, registered models, logged models."""

from __future__ import annotations

import dataclasses

__all__ = ["LoggedModelRecord", "ModelRecord", "RegisteredModelRecord"]


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


@dataclasses.dataclass(frozen=True, slots=True)
class RegisteredModelRecord:
    """A registered model's own record: what it has besides its versions.

    Attributes:
        name: the model's name.
        description: free text for people, or None.
        tags: mutable string labels of the model (its versions have their own).
        aliases: ``{alias: version}``: names that point at one version each.
        created_time: seconds since the epoch.
        updated_time: when its record last changed.
    """

    name: str
    description: str | None
    tags: dict[str, str]
    aliases: dict[str, int]
    created_time: float
    updated_time: float


@dataclasses.dataclass(frozen=True, slots=True)
class LoggedModelRecord:
    """A model logged from a run before (or without) being registered: MLflow 3's
    ``LoggedModel``. Its files are under ``logged_models/<model_id>/`` in the artifact store.

    Attributes:
        model_id: ``m-`` and 32 hex digits.
        experiment_name: the experiment it was logged in.
        name: a name for people (``model``, ``sk_model``, ...).
        source_run_id: the run it was logged from, or None.
        status: ``PENDING`` while its files are uploaded, then ``READY`` or ``FAILED``.
        model_type: free text the client gives, or None.
        tags: mutable string labels.
        params: string parameters, add-only.
        created_time: seconds since the epoch; ``updated_time`` of its last change.
    """

    model_id: str
    experiment_name: str
    name: str
    source_run_id: str | None
    status: str
    model_type: str | None
    tags: dict[str, str]
    params: dict[str, str]
    created_time: float
    updated_time: float
