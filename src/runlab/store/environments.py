"""The environments' interface of the metadata store: registered environment versions."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from runlab.entities.environment import EnvironmentRecord
from runlab.store.common import BaseStore

__all__ = ["EnvironmentStore"]


class EnvironmentStore(BaseStore):
    """Registered environments: numbered versions of a named spec.

    Contract, besides :class:`BaseStore`'s:

    * A version holds the environment's spec as a JSON object, as given (the SDK keeps
      environment variables' values with the environment too).
    * **Numbering.** Versions of a name are 1, 2, 3, ... with no gaps; registering a spec equal
      to the name's latest version returns that version instead of a new one. Concurrent
      registrations of different specs each get their own number.
    * ``NotFoundError`` for an unknown name or version; ``ValidationError`` for an empty name,
      a spec that is not a JSON object, or a version that is not a positive int.
    """

    @abc.abstractmethod
    def create_environment_version(self, name: str, spec: Mapping[str, Any]) -> EnvironmentRecord:
        """Register ``spec`` as the next version of ``name`` (or return the latest version
        when its spec is equal), atomically.

        Raises:
            ValidationError: an empty name, or a spec that is not a JSON object.
        """

    @abc.abstractmethod
    def get_environment_version(self, name: str, version: int | None = None) -> EnvironmentRecord:
        """Version ``version`` of ``name``; None: the latest.

        Raises:
            NotFoundError: no such name or version.
            ValidationError: a version that is not a positive int.
        """

    @abc.abstractmethod
    def list_environment_versions(self, name: str | None = None) -> list[EnvironmentRecord]:
        """Every version (of ``name`` only, if given), by name, then version."""
