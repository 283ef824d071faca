"""The plain record of a registered datastore."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["DatastoreRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class DatastoreRecord:
    """A datastore as the metadata store keeps it: where its files are, never its credentials.

    Attributes:
        name: its unique name in the workspace.
        url: where its files are: an fsspec URL (``s3://bucket/prefix``, a local folder, ...)
            or ``workspace://PATH`` for a folder inside the workspace's artifact root.
        options: the fsspec storage options that are not secret, as JSON values; a secret
            option is only marked there (see :mod:`runlab.data`), its value is kept elsewhere.
        is_default: whether it is the workspace's default datastore (at most one is).
        created_time: seconds since the epoch.
    """

    name: str
    url: str
    options: dict[str, Any]
    is_default: bool
    created_time: float
