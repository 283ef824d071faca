"""The model registry's interface of the metadata store: named, numbered model versions."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence

from runlab.entities.model import ModelRecord
from runlab.store.common import BaseStore

__all__ = ["ModelRegistryStore"]


class ModelRegistryStore(BaseStore):
    """Model versions: registered, found, described, tagged and deleted.

    Contract, besides :class:`BaseStore`'s:

    * **Two-step registration.** A version is registered in two steps, so that nobody sees
      one whose files are still being stored: :meth:`create_model_version` takes the number,
      the caller stores the files, :meth:`finish_model_version` makes it visible.
    * **Numbers are never reused.** A version's number is one more than the highest the name
      ever had, deleted and unfinished versions included, so ``name:version`` always means
      the same files; processes registering one name at once get distinct, consecutive
      numbers.
    * ``NotFoundError`` for an unknown model, version or run; ``AlreadyExistsError`` for a
      property that exists with another value (properties are add-only; tags can change);
      ``ValidationError`` for an empty name or file list, a malformed hash or a version that
      is not an int.
    """

    @abc.abstractmethod
    def create_model_version(
        self,
        name: str,
        *,
        content_hash: str,
        files: Sequence[str],
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> ModelRecord:
        """Take the next version number of the model ``name`` and record the version as
        being registered: invisible to the other model methods but
        :meth:`finish_model_version` and :meth:`delete_model_version` until finished.

        The number is taken atomically: processes registering the same name at once get
        distinct, consecutive numbers. With ``run_id``, the run's experiment is recorded too.

        Args:
            name: the model's name (checked by the caller, e.g. :class:`runlab.models.Model`).
            content_hash: the sha256 of the files, 64 hex digits.
            files: the files' paths below the version's folder; at least one.
            run_id: the run the model comes from.
            description: free text.
            tags: mutable labels.
            properties: add-only facts.

        Raises:
            NotFoundError: ``run_id`` names no run.
            ValidationError: an empty name or file list, or a malformed hash.
        """

    @abc.abstractmethod
    def finish_model_version(self, name: str, version: int) -> ModelRecord:
        """Make a version being registered visible, once its files are stored.

        Raises:
            NotFoundError: no such version is being registered.
        """

    @abc.abstractmethod
    def get_model_version(self, name: str, version: int | None = None) -> ModelRecord:
        """The version ``version`` of the model ``name``, or its newest with None.

        Raises:
            NotFoundError: no such model, or no such version of it.
            ValidationError: ``version`` is not an int.
        """

    @abc.abstractmethod
    def search_model_versions(
        self,
        *,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
        latest_only: bool = False,
    ) -> list[ModelRecord]:
        """Model versions that match every filter given, by name, newest version first.

        Args:
            name: only versions of this model.
            tags: only versions with each tag; a value of None matches any value of it.
            properties: as ``tags``, for properties.
            run_id: only versions registered from this run.
            latest_only: of the versions that match, only the newest of each name.
        """

    @abc.abstractmethod
    def update_model_version(
        self, name: str, version: int, *, description: str | None
    ) -> ModelRecord:
        """Change the description of a model version (its files never change).

        Raises:
            NotFoundError: no such version.
        """

    @abc.abstractmethod
    def set_model_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """Set (add or replace) tags of a model version.

        Raises:
            NotFoundError: no such version.
        """

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Remove a tag of a model version.

        Raises:
            NotFoundError: no such version, or it has no such tag.
        """

    @abc.abstractmethod
    def add_model_version_properties(
        self, name: str, version: int, properties: Mapping[str, str]
    ) -> None:
        """Add properties to a model version; adding a key again with the same value is a
        no-op.

        Raises:
            NotFoundError: no such version.
            AlreadyExistsError: a key exists with another value; then nothing is stored.
        """

    @abc.abstractmethod
    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a model version (finished or being registered). Its number is not given
        out again.

        Raises:
            NotFoundError: no such version.
        """
