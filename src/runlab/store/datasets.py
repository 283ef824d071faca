"""The datasets' interface of the metadata store: versions of named, pinned data."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities.dataset import DatasetRecord
from runlab.store.common import BaseStore

__all__ = ["DatasetStore"]


class DatasetStore(BaseStore):
    """Dataset versions: a name, and under it versions 1, 2, ... that never change.

    Contract, besides :class:`BaseStore`'s:

    * **Numbering.** The first version of a name is 1, each new one the highest plus one;
      concurrent creations of the same name get distinct numbers, none lost.
    * **Immutability.** A version's kind, definition, files, content hash and snapshot flag
      never change once created.
    * **Idempotent registration.** Without ``create_new_version``, registering a name whose
      latest version has the same kind, definition and content hash returns that version; a
      different one is refused with ``AlreadyExistsError`` (the message says to ask for a new
      version).
    * ``NotFoundError`` for an unknown name, version or id; ``ValidationError`` for an empty
      name, an unknown kind, a content hash that is not 64 hex digits, files or a definition
      that are not JSON, or tags that are not strings.
    """

    @abc.abstractmethod
    def create_dataset_version(
        self,
        name: str,
        *,
        kind: str,
        definition: Mapping[str, Any],
        files: Sequence[Mapping[str, Any]],
        content_hash: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        snapshot: bool = False,
        create_new_version: bool = False,
    ) -> DatasetRecord:
        """Record a version of the dataset ``name`` (see the contract for the numbering).

        Raises:
            AlreadyExistsError: the name exists with other content and ``create_new_version``
                is false.
            ValidationError: bad arguments.
        """

    @abc.abstractmethod
    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetRecord:
        """One version of a dataset; None: its latest.

        Raises:
            NotFoundError: no such dataset or version.
        """

    @abc.abstractmethod
    def list_dataset_versions(self, name: str | None = None) -> list[DatasetRecord]:
        """Every version of ``name`` (newest first), or with None the latest version of
        every dataset (by name)."""
