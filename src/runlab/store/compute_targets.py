"""The compute targets' interface of the metadata store: the clusters a workspace names."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from runlab.entities.compute_target import ComputeTargetRecord
from runlab.store.common import BaseStore

__all__ = ["ComputeTargetStore"]


class ComputeTargetStore(BaseStore):
    """Compute targets: what names a cluster, what the user asked of it and what its backend
    keeps about it.

    Contract, besides :class:`BaseStore`'s:

    * A compute target row holds the kind of backend, what the user asked for (``config``)
      and what the backend keeps about it (``state``), both JSON objects; never secrets.
    * ``update_compute_target`` replaces config and/or state atomically.
    * ``NotFoundError`` for an unknown name; ``AlreadyExistsError`` for a duplicate name;
      ``ValidationError`` for an empty name or kind, or config or state not JSON objects.
    """

    @abc.abstractmethod
    def create_compute_target(
        self,
        name: str,
        kind: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """Record a compute target.

        Raises:
            AlreadyExistsError: a compute target of that name exists.
            ValidationError: an empty name or kind, config or state not JSON objects.
        """

    @abc.abstractmethod
    def get_compute_target(self, name: str) -> ComputeTargetRecord:
        """The compute target named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def list_compute_targets(self) -> list[ComputeTargetRecord]:
        """Every compute target, by name."""

    @abc.abstractmethod
    def update_compute_target(
        self,
        name: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """Replace the config and/or the state (whichever is given), atomically.

        Raises:
            NotFoundError: there is none.
            ValidationError: config or state not JSON objects.
        """

    @abc.abstractmethod
    def delete_compute_target(self, name: str) -> None:
        """Forget a compute target (what runs on it is not touched).

        Raises:
            NotFoundError: there is none.
        """
