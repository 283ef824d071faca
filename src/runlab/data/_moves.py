"""Uploads and downloads of many files: check everything, copy in parallel, record hashes."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path

from runlab.data import _plans
from runlab.data._copy import Advance
from runlab.data._manifest import Manifest, record_upload
from runlab.data._storage import DatastoreFiles, StoredFile
from runlab.data._transfer import Copy, TransferProgress, run_copies
from runlab.errors import AlreadyExistsError, BackendError

__all__ = ["fetch_files", "upload_files"]

CopyRun = Callable[[Advance], "str | None"]


def upload_files(
    storage: DatastoreFiles,
    datastore: str,
    local_files: Sequence[_plans.LocalFile],
    folder: str,
    *,
    overwrite: bool,
    show: bool,
) -> Manifest:
    """Upload ``local_files`` below ``folder`` of a datastore and record their manifest.

    Raises:
        AlreadyExistsError: files are in the way (without ``overwrite``: any file; always: a
            folder where a file goes, or the other way round); nothing was written.
        TransferError: a copy failed part way.
    """
    planned = [(_plans.join(folder, relative), path, size) for relative, path, size in local_files]
    what = f"uploading to datastore {datastore!r}"
    destinations = [path for path, _local, _size in planned]
    existing = storage.in_the_way(destinations, folder)
    if existing and not overwrite:
        raise AlreadyExistsError(_plans.in_the_way_message(what, existing))
    storage.make_folders(destinations)

    def copy(source: Path, path: str) -> CopyRun:
        return lambda advance: storage.put(source, path, hashing=True, advance=advance)

    copies = [Copy(path, size, copy(source, path)) for path, source, size in planned]
    total = sum(size for _path, _local, size in planned)
    with TransferProgress(show, f"Uploading to {datastore}", len(copies), total) as progress:
        digests = run_copies(copies, what=what, progress=progress, workers=storage.workers)
    uploaded = {
        path: (digest or "", size)
        for (path, _local, size), digest in zip(planned, digests, strict=True)
    }
    return record_upload(storage, datastore, folder, uploaded)


def fetch_files(
    storage: DatastoreFiles,
    datastore: str,
    listing: Mapping[str, StoredFile],
    root: Path,
    relatives: Sequence[str],
    *,
    overwrite: bool,
    show: bool,
    hashing: AbstractSet[str] = frozenset(),
) -> tuple[list[Path], list[str | None]]:
    """Copy the files of ``listing`` to ``root/<relatives[i]>``.

    Returns:
        The local paths, and the sha256 of each file whose datastore path is in ``hashing``
        (None for the others), both in the order of ``listing``.

    Raises:
        ValidationError: a destination leads outside ``root``.
        AlreadyExistsError: local files are in the way; nothing was written.
        TransferError: a copy failed part way.
    """
    what = f"downloading from datastore {datastore!r} into {os.fspath(root)!r}"
    targets = _plans.check_local_targets(root, relatives, overwrite=overwrite, what=what)
    try:
        for parent in sorted({target.parent for target in targets}):
            parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackendError(f"{what}: cannot create {error.filename!r}: {error.strerror}") from error
    stored_files = list(listing.values())

    def copy(stored: StoredFile, target: Path) -> CopyRun:
        hash_it = stored.path in hashing
        return lambda advance: storage.get(stored, target, hashing=hash_it, advance=advance)

    copies = [
        Copy(relative, stored.size, copy(stored, target))
        for relative, stored, target in zip(relatives, stored_files, targets, strict=True)
    ]
    total = sum(stored.size for stored in stored_files)
    with TransferProgress(show, f"Downloading from {datastore}", len(copies), total) as progress:
        digests = run_copies(copies, what=what, progress=progress, workers=storage.workers)
    return targets, digests
