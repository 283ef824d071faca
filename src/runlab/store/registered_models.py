"""The registered models' interface of the metadata store: a model's own record (description,
tags) and its aliases, besides the versions :class:`~runlab.store.ModelRegistryStore` keeps."""

from __future__ import annotations

import abc
from collections.abc import Mapping

from runlab.entities.model import ModelRecord, RegisteredModelRecord
from runlab.store.common import BaseStore

__all__ = ["RegisteredModelStore"]


class RegisteredModelStore(BaseStore):
    """Registered models and their aliases.

    A model exists once it has a record here or a version; :meth:`get_registered_model`
    makes the record of a model known only by its versions on first read, so both ways of
    registering (runlab's ``Model.register``, MLflow's ``create_registered_model``) meet.

    Contract, besides :class:`BaseStore`'s:

    * ``NotFoundError`` for a model with neither record nor version, an unknown alias, or an
      alias set to a version that does not exist; ``AlreadyExistsError`` when creating a
      model that exists.
    * An alias points at one version of its model; setting it again moves it, atomically.
    * Deleting a model deletes its record, its aliases and every version.
    """

    @abc.abstractmethod
    def create_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModelRecord:
        """Create a model's record before any version.

        Raises:
            AlreadyExistsError: the model has a record or a version already.
        """

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModelRecord:
        """The model's record (made on first read for a model known by its versions only).

        Raises:
            NotFoundError: no record and no version of that name.
        """

    @abc.abstractmethod
    def list_registered_models(self) -> list[RegisteredModelRecord]:
        """Every model with a record or a version, by name."""

    @abc.abstractmethod
    def update_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
    ) -> RegisteredModelRecord:
        """Change a model's description (when not None), set ``tags``, remove ``remove_tag``.

        Raises:
            NotFoundError: no such model.
        """

    @abc.abstractmethod
    def delete_registered_model(self, name: str) -> None:
        """Delete a model: its record, its aliases and all its versions.

        Raises:
            NotFoundError: no such model.
        """

    @abc.abstractmethod
    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``name@alias`` at ``version`` (moving it if it pointed elsewhere).

        Raises:
            NotFoundError: the model has no such version.
            ValidationError: an empty alias, or one that is a number or ``latest``.
        """

    @abc.abstractmethod
    def delete_model_alias(self, name: str, alias: str) -> None:
        """Remove ``name@alias``.

        Raises:
            NotFoundError: no such alias.
        """

    @abc.abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelRecord:
        """The version ``name@alias`` points at.

        Raises:
            NotFoundError: no such alias (or its version was deleted).
        """
