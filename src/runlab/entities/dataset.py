"""The plain record of a registered dataset version."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DATASET_KINDS", "DatasetRecord", "content_hash_of", "dataset_id_of"]

DATASET_KINDS = ("file", "tabular")
"""The kinds of dataset: files as they are, or rows read from files."""


def content_hash_of(files: Sequence[Mapping[str, Any]]) -> str:
    """The sha256 (hex) that pins a dataset's content: over each file's path in the dataset,
    size and sha256, sorted by path. Two versions with equal hashes hold the same bytes."""
    canonical = sorted((str(f["path"]), int(f["size"]), str(f["sha256"])) for f in files)
    text = json.dumps(canonical, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dataset_id_of(name: str, version: int) -> str:
    """A dataset version's id: stable, readable, ``<name>:<version>`` as the SDK shows it."""
    return f"{name}:{version}"


@dataclasses.dataclass(frozen=True, slots=True)
class DatasetRecord:
    """One version of a registered dataset, as stored. A version never changes.

    Attributes:
        name: the dataset's name; its versions share it.
        version: 1 for the first version of the name, then one more for each new version.
        kind: ``"file"`` or ``"tabular"``.
        description: free text for people, or None.
        tags: string labels.
        definition: how the dataset was made, as JSON values: its sources (datastore paths,
            URLs), the file format and its options, and transformations (take, columns,
            splits), so the same dataset can be read again.
        files: the files it resolved to when registered, each ``{"path", "source", "size",
            "sha256"}``: its path in the dataset, where it was read (``{"datastore", "path"}``
            or ``{"url"}``), its size in bytes and sha256.
        content_hash: :func:`content_hash_of` ``files``.
        snapshot: whether the files were copied into the workspace when registered, so the
            version stays readable whatever happens to its sources.
        created_time: seconds since the epoch.
    """

    name: str
    version: int
    kind: str
    description: str | None
    tags: dict[str, str]
    definition: dict[str, Any]
    files: list[dict[str, Any]]
    content_hash: str
    snapshot: bool
    created_time: float

    @property
    def id(self) -> str:
        """``name:version``, the version's id."""
        return dataset_id_of(self.name, self.version)
