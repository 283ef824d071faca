"""The compute target interface: where a job's entry process runs."""

from __future__ import annotations

import abc
from typing import Any

from runlab.entities import JobSpec

__all__ = ["ComputeTarget"]


class ComputeTarget(abc.ABC):
    """A place that runs jobs: this machine, a Ray cluster, ...

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
    """

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
