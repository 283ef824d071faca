"""What every kind of web service backend does (local processes, Ray Serve), and the one
table that picks the backend of a recorded service."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import TYPE_CHECKING

from runlab.entities.service import ServiceRecord
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.models import Model
    from runlab.serving.config import InferenceConfig
    from runlab.tracking import Workspace

__all__ = ["ServiceBackend", "backend_of", "model_ids"]


def model_ids(models: Sequence[Model]) -> list[str]:
    """The ids of ``models``, checked to be registered models.

    Raises:
        ValidationError: empty, not models, or two versions of one name.
    """
    from runlab.models import Model

    if isinstance(models, Model):
        models = [models]
    if not models or not all(isinstance(model, Model) for model in models):
        raise ValidationError(
            f"models must be a non-empty list of registered Models, not {models!r}"
        )
    names = [model.name for model in models]
    if len(set(names)) != len(names):
        raise ValidationError(f"deploy one version of each model, not {names}")
    return [model.id for model in models]


class ServiceBackend(abc.ABC):
    """The operations of one kind of service, on its record. Every method may raise
    :class:`~runlab.errors.BackendError` when the machinery under it fails."""

    @abc.abstractmethod
    def live_state(self, workspace: Workspace, record: ServiceRecord) -> str:
        """The state to report: the recorded one, corrected by what can be seen (a service
        whose processes are gone is not Healthy)."""

    @abc.abstractmethod
    def logs(self, workspace: Workspace, record: ServiceRecord) -> str:
        """The service's log: its environment build, start, restarts and tracebacks."""

    @abc.abstractmethod
    def keys(self, record: ServiceRecord) -> tuple[str, str]:
        """The primary and secondary keys.

        Raises:
            InvalidStateError: authentication is off.
        """

    @abc.abstractmethod
    def regen_key(self, workspace: Workspace, record: ServiceRecord, which: str) -> None:
        """Replace the primary or the secondary key; the old one stops working."""

    @abc.abstractmethod
    def update(
        self,
        workspace: Workspace,
        record: ServiceRecord,
        models: Sequence[Model],
        inference_config: InferenceConfig,
    ) -> None:
        """Start serving new models and/or code; the old version serves until the new one
        answers. Returns once the update is under way (see ``wait_for_deployment``)."""

    @abc.abstractmethod
    def delete(self, workspace: Workspace, record: ServiceRecord) -> None:
        """Stop every process of the service and forget it."""


def backend_of(kind: str) -> ServiceBackend:
    """The backend of services of ``kind`` (``local`` or ``ray``).

    Raises:
        ValidationError: an unknown kind.
    """
    if kind == "local":
        from runlab.serving.local import LocalBackend

        return LocalBackend()
    if kind == "ray":
        from runlab.serving.ray_serve import RayServeBackend

        return RayServeBackend()
    raise ValidationError(f"unknown web service kind {kind!r}: 'local' or 'ray'")
