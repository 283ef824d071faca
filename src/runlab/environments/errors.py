"""The error raised when an environment cannot be built."""

from __future__ import annotations

from runlab.errors import BackendError

__all__ = ["EnvironmentBuildError"]


class EnvironmentBuildError(BackendError):
    """Building an environment failed: a package that does not exist, no solution, no network.

    The message names the environment and quotes the lines of the build's output that say
    why; the whole output went to the build's log as it came.
    """
