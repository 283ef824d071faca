"""Data references: a datastore path that becomes a local path inside a run."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runlab.artifacts import vet_path
from runlab.errors import ValidationError

__all__ = ["MODES", "DataReference", "MaterializedReference", "check_datastore_name"]

MODES = ("mount", "download")
"""How a reference reaches a run: read in place where it can be (mount), or copied first."""

_NAME = re.compile(r"^[A-Za-z0-9_]{1,255}$")


def check_datastore_name(name: object) -> str:
    """Return ``name`` if it is a valid datastore name: 1-255 letters, digits and ``_`` (the
    Azure ML SDK's rule).

    Raises:
        ValidationError: it is not.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"bad datastore name {name!r}: use 1-255 letters, digits and underscores"
        )
    return name


@dataclasses.dataclass(frozen=True)
class DataReference:
    """A folder or file of a datastore, and how a run gets it.

    Made by :meth:`runlab.data.Datastore.path`, ``as_mount()`` and ``as_download()``; passed
    among a run's arguments, it becomes a local path inside the run (see
    :func:`runlab.data.materialize`). It holds names only, never credentials, so it travels
    as JSON (:meth:`to_dict`, :meth:`from_dict`).

    Attributes:
        datastore_name: the datastore's name.
        path_on_datastore: the folder or file in it, normalised; ``""`` for all of it.
        mode: ``"mount"`` (read in place where the datastore is a local folder, else copied)
            or ``"download"`` (copied into the run's folder first).
        path_on_compute: for a download, where in the run's folder the copy goes (a relative
            path); None for the default, ``.runlab-data/<datastore>/<path>``.

    Raises:
        ValidationError: a bad name, mode or path (absolute, ``..``, ...).
    """

    datastore_name: str
    path_on_datastore: str = ""
    mode: str = "mount"
    path_on_compute: str | None = None

    def __post_init__(self) -> None:
        check_datastore_name(self.datastore_name)
        if self.mode not in MODES:
            raise ValidationError(f"bad data reference mode {self.mode!r}: use one of {MODES}")
        # Normalised here, so equal references compare equal and nothing unsafe survives.
        object.__setattr__(
            self, "path_on_datastore", vet_path(self.path_on_datastore, allow_empty=True)
        )
        if self.path_on_compute is not None:
            if self.mode != "download":
                raise ValidationError("path_on_compute is only for as_download()")
            object.__setattr__(self, "path_on_compute", vet_path(self.path_on_compute))

    def as_mount(self) -> DataReference:
        """The same data, mounted: read in place where the datastore is a local folder."""
        return dataclasses.replace(self, mode="mount", path_on_compute=None)

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        """The same data, copied into the run's folder before the script starts.

        Args:
            path_on_compute: where in the run's folder (relative); default
                ``.runlab-data/<datastore>/<path>``.

        Raises:
            ValidationError: ``path_on_compute`` is absolute or climbs out with ``..``.
        """
        return dataclasses.replace(self, mode="download", path_on_compute=path_on_compute)

    def to_dict(self) -> dict[str, Any]:
        """The reference as JSON values: ``datastore``, ``path``, ``mode``, ``path_on_compute``."""
        return {
            "datastore": self.datastore_name,
            "path": self.path_on_datastore,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataReference:
        """The reference :meth:`to_dict` described.

        Raises:
            ValidationError: ``data`` is not such a description.
        """
        if not isinstance(data, Mapping) or not isinstance(data.get("datastore"), str):
            raise ValidationError(f"not a data reference: {data!r}")
        unknown = set(data) - {"datastore", "path", "mode", "path_on_compute"}
        if unknown:
            raise ValidationError(f"not a data reference: unknown keys {sorted(unknown)}")
        path, on_compute = data.get("path", ""), data.get("path_on_compute")
        if not isinstance(path, str) or not (on_compute is None or isinstance(on_compute, str)):
            raise ValidationError(f"not a data reference: {data!r}")
        return cls(data["datastore"], path, str(data.get("mode", "mount")), on_compute)


@dataclasses.dataclass(frozen=True)
class MaterializedReference:
    """A data reference made into a local path inside a run.

    Attributes:
        local_path: the folder (or file) the script reads.
        mode: ``"mount"`` or ``"download"``, as the reference asked (a mount of a datastore
            that is not a local folder is a copy too; see :func:`runlab.data.materialize`).
        manifest: the sha256 of each file, by its path relative to ``local_path`` (for a
            file reference: by the file's name).
    """

    local_path: Path
    mode: str
    manifest: dict[str, str]
