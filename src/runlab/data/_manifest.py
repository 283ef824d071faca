"""Upload manifests: the sha256 and size of every file an upload stored.

Each target path of a datastore has one manifest, ``.runlab-manifest/<hash of the target>.json``
at the datastore's root, which every upload into that target updates (file by file, the
newest upload winning). A manifest is written after the files it describes, so a file that
was written again later (its modification time is past the manifest's, or its size differs)
is not taken on the manifest's word: it is hashed again where a hash is needed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

from runlab.data._storage import MANIFEST_FOLDER, DatastoreFiles, StoredFile
from runlab.errors import NotFoundError

__all__ = ["Manifest", "fresh_hashes", "manifest_location", "record_upload"]

_FORMAT = "runlab.manifest/1"


@dataclasses.dataclass(frozen=True)
class Manifest:
    """What an upload stored, as returned by :meth:`runlab.data.Datastore.upload`.

    Attributes:
        datastore: the datastore's name.
        target_path: the folder uploaded into (``""`` for the root).
        files: the sha256 (hex) of each file uploaded, by its path in the datastore.
        sizes: each file's size in bytes, by the same paths.
        created_time: when the upload finished, seconds since the epoch.
        location: the manifest file in the datastore, which also lists earlier uploads into
            the same target.
    """

    datastore: str
    target_path: str
    files: dict[str, str]
    sizes: dict[str, int]
    created_time: float
    location: str

    @property
    def total_bytes(self) -> int:
        """The bytes uploaded, in all."""
        return sum(self.sizes.values())

    def to_dict(self) -> dict[str, Any]:
        """The manifest as JSON values."""
        return dataclasses.asdict(self)


def manifest_location(target_path: str) -> str:
    """Where the manifest of uploads into ``target_path`` is kept in the datastore.

    Named by a hash of the target, so that no target, however named, can clash with another's
    manifest or with a folder.
    """
    digest = hashlib.sha256(target_path.encode("utf-8")).hexdigest()[:32]
    return f"{MANIFEST_FOLDER}/{digest}.json"


def _entries(data: bytes) -> dict[str, tuple[str, int]]:
    """The files of a stored manifest; empty for anything malformed (a manifest is a cache of
    hashes, so a bad one only costs hashing again)."""
    try:
        content = json.loads(data)
        files = content["files"] if content.get("format") == _FORMAT else {}
        return {
            str(path): (str(entry["sha256"]), int(entry["size"])) for path, entry in files.items()
        }
    except (ValueError, TypeError, KeyError, AttributeError):
        return {}


def record_upload(
    storage: DatastoreFiles,
    datastore: str,
    target_path: str,
    uploaded: Mapping[str, tuple[str, int]],
) -> Manifest:
    """Add what an upload stored to the target's manifest and return this upload's part.

    Args:
        storage: the datastore's files.
        datastore: its name.
        target_path: the folder uploaded into.
        uploaded: ``(sha256, size)`` of each file stored, by path in the datastore.
    """
    location = manifest_location(target_path)
    try:
        entries = _entries(storage.read_bytes(location))
    except NotFoundError:
        entries = {}
    entries.update(uploaded)
    created_time = time.time()
    content = {
        "format": _FORMAT,
        "datastore": datastore,
        "target_path": target_path,
        "created_time": created_time,
        "files": {
            path: {"sha256": digest, "size": size}
            for path, (digest, size) in sorted(entries.items())
        },
    }
    storage.write_bytes(location, json.dumps(content, indent=1).encode("utf-8"))
    return Manifest(
        datastore=datastore,
        target_path=target_path,
        files={path: digest for path, (digest, _size) in sorted(uploaded.items())},
        sizes={path: size for path, (_digest, size) in sorted(uploaded.items())},
        created_time=created_time,
        location=location,
    )


def fresh_hashes(storage: DatastoreFiles, listing: Mapping[str, StoredFile]) -> dict[str, str]:
    """The sha256 of each file in ``listing`` that a manifest vouches for: same size, and not
    written since the manifest was (by the stored files' own clock)."""
    vouched: dict[str, tuple[str, float]] = {}
    for location, manifest_file in storage.list_manifests().items():
        written = manifest_file.modified
        if written is None:
            continue
        try:
            entries = _entries(storage.read_bytes(location))
        except NotFoundError:  # removed meanwhile
            continue
        for path, (digest, size) in entries.items():
            stored = listing.get(path)
            if stored is None or stored.size != size or stored.modified is None:
                continue
            if stored.modified > written:
                continue
            if path not in vouched or vouched[path][1] < written:
                vouched[path] = (digest, written)
    return {path: digest for path, (digest, _written) in vouched.items()}
