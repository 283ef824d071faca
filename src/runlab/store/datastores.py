"""The datastores' interface of the metadata store: where a workspace's data lives."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from runlab.entities.datastore import DatastoreRecord
from runlab.store.common import BaseStore

__all__ = ["DatastoreStore"]


class DatastoreStore(BaseStore):
    """Datastores: named places where data lives, one of them the workspace's default.

    Contract, besides :class:`BaseStore`'s:

    * A datastore row says where data lives (an fsspec URL) and the storage options that are
      not secret; credentials never reach the metadata store (:mod:`runlab.data` keeps them
      apart).
    * **One default.** At most one datastore is the default at any time, in every
      transaction's view; concurrent :meth:`set_default_datastore` calls end with exactly one
      of them the default.
    * ``NotFoundError`` for an unknown name; ``AlreadyExistsError`` for a duplicate name;
      ``ValidationError`` for an empty name or URL, or options that are not a JSON object.
    """

    @abc.abstractmethod
    def create_datastore(
        self,
        name: str,
        url: str,
        *,
        options: Mapping[str, Any] | None = None,
        is_default: bool = False,
    ) -> DatastoreRecord:
        """Record a datastore; with ``is_default`` it becomes the default and any other
        default stops being one, in the same transaction.

        Args:
            name: its unique name (checked by the caller, e.g. :class:`runlab.data.Datastore`).
            url: where its files are.
            options: storage options as JSON values (a JSON object); no secrets.
            is_default: make it the workspace's default datastore.

        Raises:
            AlreadyExistsError: a datastore of that name exists.
            ValidationError: an empty name or URL, or options that are not a JSON object.
        """

    @abc.abstractmethod
    def get_datastore(self, name: str) -> DatastoreRecord:
        """The datastore named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def list_datastores(self) -> list[DatastoreRecord]:
        """Every datastore, by name."""

    @abc.abstractmethod
    def delete_datastore(self, name: str) -> None:
        """Forget a datastore (its files are not touched). Deleting the default leaves the
        workspace without one until :meth:`set_default_datastore` names another.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def set_default_datastore(self, name: str) -> DatastoreRecord:
        """Make ``name`` the default datastore, atomically: once the call returns it is the
        only default, and concurrent calls end with exactly one of them the default.

        Raises:
            NotFoundError: there is no datastore of that name (the default is unchanged).
        """
