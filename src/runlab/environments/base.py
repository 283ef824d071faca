"""The environment builder interface: from an :class:`Environment` spec to an interpreter."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from pathlib import Path

from runlab.environments.spec import Environment

__all__ = ["EnvironmentBuilder", "ResolvedEnvironment"]


@dataclasses.dataclass(frozen=True)
class ResolvedEnvironment:
    """An environment ready to run a script in.

    Attributes:
        python: the interpreter to run the script with.
        reused: True when nothing was built for this call (found in the cache, or the
            submitter's own interpreter for a user-managed environment).
        spec_hash: :meth:`Environment.spec_hash` of the spec it was resolved from.
        location: the environment's folder; None for a user-managed environment.
    """

    python: Path
    reused: bool
    spec_hash: str
    location: Path | None


class EnvironmentBuilder(abc.ABC):
    """Turns environment specs into interpreters, building each distinct one once.

    Contract, for every builder:

    * **Thread and process safety.** One builder may be used from several threads, and
      several processes (each with its own builder over the same cache) may resolve the same
      spec at once: the environment is built once, and every caller gets it. Resolving a
      spec that is already built does no network access and starts no installer.
    * **Atomicity.** A half-built environment is never used: a build that fails or is
      interrupted leaves nothing a later ``resolve`` would take as ready, and the next
      ``resolve`` of that spec builds it afresh.
    * **Reuse.** Specs with the same :meth:`Environment.spec_hash` share one environment
      (the name and the environment variables are not part of it).
    * **Errors.** ``ValidationError`` for a spec that cannot be honoured here (an invalid
      package string, a Python version this machine does not have);
      :class:`~runlab.environments.EnvironmentBuildError` (a ``BackendError``) when the
      build itself fails, quoting why; ``BackendError`` when the builder's tools or cache are
      unusable (the installer missing, the cache not writable, a lock wait timing out).
    """

    def check(self, environment: Environment) -> None:  # noqa: B027 - optional for backends
        """Raise now, before a job is queued, what :meth:`resolve` would refuse and can be
        known without building (e.g. a Python version this machine does not have).

        Raises:
            ValidationError: the environment cannot be built here.
        """

    @abc.abstractmethod
    def resolve(self, environment: Environment, log: Callable[[str], None]) -> ResolvedEnvironment:
        """The interpreter for ``environment``, built first if no usable one exists.

        Args:
            environment: the spec.
            log: called with each line of progress, and each line of the build's output as
                it comes, without line endings; a job streams these into its logs.

        Raises:
            ValidationError: the spec cannot be honoured on this machine.
            EnvironmentBuildError: the build failed.
            BackendError: the builder's tools or cache are unusable.
        """
