"""The exception tree of runlab.

Every error runlab raises on purpose derives from :class:`RunlabError`, split by what a caller
can do about it. Foreign exceptions (SQLAlchemy, fsspec, ``OSError`` from deep inside) are
translated at the backend boundary and chained with ``raise ... from exc``, so nothing above
layer 1 sees them.

Each class carries ``exit_code``: the command line prints the message as one line and exits
with it. :data:`ERROR_CLASSES` names every class of this module; a runlab server sends that
name with each error it answers, and its client raises the same class again.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "ERROR_CLASSES",
    "AccessDeniedError",
    "AlreadyExistsError",
    "BackendError",
    "DeploymentFailedError",
    "InvalidStateError",
    "JobFailedError",
    "NotFoundError",
    "RunlabError",
    "ValidationError",
]


class RunlabError(Exception):
    """Base class of every error runlab raises on purpose.

    Attributes:
        exit_code: the exit status of the command line when this error ends a command.
    """

    exit_code: int = 1

    @property
    def message(self) -> str:
        """The error as one readable line."""
        return str(self.args[0]) if self.args else self.__class__.__name__


class NotFoundError(RunlabError, LookupError):
    """A named thing (workspace, experiment, run, file, ...) does not exist."""

    exit_code = 3


class AlreadyExistsError(RunlabError):
    """Something with this name or key exists already and may not be replaced."""

    exit_code = 4


class ValidationError(RunlabError, ValueError):
    """An argument is malformed or not allowed: a bad name, an unsafe path, a bad value."""

    exit_code = 2


class InvalidStateError(RunlabError):
    """The operation is not allowed in the current state (e.g. completing a finished run)."""

    exit_code = 5


class BackendError(RunlabError):
    """A storage or compute backend failed: the database, the file system, the network.

    The original exception is kept as ``__cause__``.
    """

    exit_code = 6


class AccessDeniedError(RunlabError):
    """A runlab server refused the request: no valid token, or a token whose scope does not
    allow it (a read token writing). The message never holds the token."""

    exit_code = 8


class JobFailedError(RunlabError):
    """A submitted job ended in the Failed state.

    Attributes:
        details: the run's details (``Run.get_details()``), with the error under ``error``.
    """

    exit_code = 7

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}


class DeploymentFailedError(RunlabError):
    """A web service could not be deployed or updated: its ``init()`` raised, its environment
    failed to build, or its process could not start. The message holds the log's tail (the
    traceback of ``init()``)."""

    exit_code = 9


ERROR_CLASSES: Mapping[str, type[RunlabError]] = MappingProxyType(
    {
        name: value
        for name, value in sorted(globals().items())
        if isinstance(value, type)
        and issubclass(value, RunlabError)
        and value.__module__ == __name__
    }
)
"""Every error class of this module by its name, :class:`RunlabError` included; found by
looking, so a class added here is in it too. The names errors travel by over HTTP."""
