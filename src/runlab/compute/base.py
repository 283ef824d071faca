"""The compute target interface: where a job's entry process runs, and finding one by name."""

from __future__ import annotations

import abc
import builtins
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runlab.entities import JobSpec

if TYPE_CHECKING:
    from runlab.store import MetadataStore

__all__ = ["ComputeTarget", "WorkspaceLike"]


class WorkspaceLike(Protocol):
    """What compute targets need of a workspace (``runlab.Workspace`` has it).

    Declared here, in layer 1, so that compute never imports ``runlab.tracking``.
    """

    @property
    def store(self) -> MetadataStore:
        """The metadata store, where compute targets are recorded."""

    @property
    def config_path(self) -> Path | None:
        """The workspace's config file; its folder holds the clusters' folders."""

    def to_dict(self) -> dict[str, Any]:
        """The workspace config with absolute URIs."""


class _FoundByName(abc.ABCMeta):
    """Makes ``ComputeTarget(workspace, name)`` find a recorded target, as the SDK's does.

    A metaclass rather than ``__new__``: the target found is an instance of a subclass, whose
    own ``__init__`` Python would otherwise call a second time with these arguments.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is ComputeTarget:
            return ComputeTarget.get(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class ComputeTarget(abc.ABC, metaclass=_FoundByName):
    """A place that runs jobs: this machine, a Ray cluster, ...

    As in the Azure ML SDK, ``ComputeTarget(workspace, name)`` is the workspace's target of
    that name, of its own class (:meth:`get`); ``ComputeTarget.create(workspace, name,
    config)`` provisions one; ``ComputeTarget.list(workspace)`` lists them. Type checkers
    see ``ComputeTarget(...)`` as instantiating an abstract class: typed code says
    ``ComputeTarget.get(workspace, name)``, or ``RayCompute(workspace, name)``.

    Contract, for every backend:

    * ``submit`` returns as soon as the job is handed over; the job then runs without the
      submitting process (which may exit). On the target, the job runs
      ``python -m runlab.jobs.entry`` with the spec, which reports everything else (states,
      logs, heartbeats) through the workspace.
    * ``submit`` returns a *handle*: a JSON-able dict that ``cancel`` accepts later, from any
      process.
    * ``cancel`` ends the job and every process it started, and returns once they are gone
      (or the target has confirmed the stop); canceling a job that already ended is a no-op.
    * Errors: ``ValidationError`` for a job the target cannot run (e.g. a GPU where there is
      none), ``BackendError`` when the target fails.

    Example:
        >>> cluster = ComputeTarget(ws, "cpu-cluster")  # doctest: +SKIP
        >>> [target.name for target in ComputeTarget.list(ws)]  # doctest: +SKIP
        ['cpu-cluster']
    """

    # -- finding and making, by the SDK's names ------------------------------------------

    @classmethod
    def get(cls, workspace: WorkspaceLike, name: str) -> ComputeTarget:
        """The workspace's compute target ``name`` (``local`` is this machine), of its own
        class; on a subclass, only a target of that class.

        Raises:
            NotFoundError: no target of that name (of this class); the SDK's
                ``ComputeTargetException``, which code catches to create the cluster.
        """
        from runlab.compute.registry import get_compute_target

        target = get_compute_target(name, workspace)
        if not isinstance(target, cls):
            from runlab.errors import NotFoundError

            raise NotFoundError(f"compute target {name!r} is not a {cls.__name__}")
        return target

    @classmethod
    def create(
        cls, workspace: WorkspaceLike, name: str, provisioning_configuration: Any
    ) -> ComputeTarget:
        """Record and provision a compute target from a provisioning configuration (today
        ``RayCompute.provisioning_configuration(...)``, so a :class:`RayCompute`).

        Raises:
            ValidationError: a configuration runlab cannot provision, a bad name.
            AlreadyExistsError: a target of that name exists.
            BackendError: the target did not start.
        """
        from runlab.compute.registry import create_compute_target

        return create_compute_target(workspace, name, provisioning_configuration)

    @classmethod
    def list(cls, workspace: WorkspaceLike) -> builtins.list[ComputeTarget]:
        """Every recorded compute target of the workspace (of this class, on a subclass)."""
        from runlab.compute.registry import list_compute_targets

        targets = list_compute_targets(workspace).values()
        return [target for target in targets if isinstance(target, cls)]

    # -- the contract ----------------------------------------------------------------------

    @property
    @abc.abstractmethod
    def name(self) -> str:
        """The target's name, as runs record it."""

    @abc.abstractmethod
    def has_gpu(self) -> bool:
        """Whether jobs on this target can get an NVIDIA GPU."""

    @abc.abstractmethod
    def submit(self, spec: JobSpec) -> dict[str, Any]:
        """Start the job described by ``spec``; returns its handle."""

    @abc.abstractmethod
    def cancel(self, handle: dict[str, Any]) -> None:
        """End the job ``handle`` names, with everything it started."""
