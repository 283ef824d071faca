"""The web services' interface of the metadata store: the scoring services a workspace runs."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities.service import ServiceRecord
from runlab.store.common import BaseStore

__all__ = ["ServiceStore"]


class ServiceStore(BaseStore):
    """Web services: a name, the backend that serves it, its state, the model versions it
    serves (its lineage), what the user asked of it and what the backend keeps about it.

    Contract, besides :class:`BaseStore`'s:

    * ``config`` and ``details`` are JSON objects, never secrets; ``models`` a list of model
      ids (``name:version``); ``state`` a :class:`~runlab.entities.service.ServiceState` value.
    * ``update_service`` replaces the fields it is given atomically and sets
      ``updated_time``.
    * ``NotFoundError`` for an unknown name; ``AlreadyExistsError`` for a duplicate name;
      ``ValidationError`` for an empty name or kind, an unknown state, config or details not
      JSON objects, models not a list of strings.
    """

    @abc.abstractmethod
    def create_service(
        self,
        name: str,
        kind: str,
        *,
        state: str,
        models: Sequence[str] = (),
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """Record a web service.

        Raises:
            AlreadyExistsError: a service of that name exists.
            ValidationError: see the class docstring.
        """

    @abc.abstractmethod
    def get_service(self, name: str) -> ServiceRecord:
        """The web service named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def list_services(self) -> list[ServiceRecord]:
        """Every web service, by name."""

    @abc.abstractmethod
    def update_service(
        self,
        name: str,
        *,
        state: str | None = None,
        models: Sequence[str] | None = None,
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """Replace whichever of state, models, config and details are given, atomically.

        Raises:
            NotFoundError: there is none.
            ValidationError: see the class docstring.
        """

    @abc.abstractmethod
    def delete_service(self, name: str) -> None:
        """Forget a web service (its processes are the caller's to stop first).

        Raises:
            NotFoundError: there is none.
        """
