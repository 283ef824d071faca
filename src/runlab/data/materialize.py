"""Making a data reference a local path inside a run (what the job entry calls)."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

from runlab.artifacts import safe_local_path
from runlab.data._copy import hash_file
from runlab.data._manifest import fresh_hashes
from runlab.data._moves import fetch_files
from runlab.data._storage import DatastoreFiles, StoredFile
from runlab.data._transfer import Copy, TransferProgress, run_copies
from runlab.data.datastore import Datastore
from runlab.data.reference import DataReference, MaterializedReference
from runlab.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = ["DATA_FOLDER", "materialize"]

DATA_FOLDER = ".runlab-data"
"""Where in a run's folder copies go unless ``path_on_compute`` says otherwise."""

logger = logging.getLogger("runlab.data")


def materialize(
    workspace: Workspace, reference: DataReference, workdir: str | os.PathLike[str]
) -> MaterializedReference:
    """Make a data reference a local path for a run whose folder is ``workdir``.

    * A **mount** of a datastore that is a local folder is that folder (or file) itself: the
      script reads it in place, nothing is copied.
    * A **mount** of any other datastore (S3, ...) is copied into
      ``workdir/.runlab-data/<datastore>/<path>``, and a warning on the ``runlab.data`` logger
      says the mount became a copy because the datastore is not a local path.
    * A **download** is copied into ``workdir/<path_on_compute>``, by default
      ``workdir/.runlab-data/<datastore>/<path>``. Copies replace what is there; each file is
      written under a hidden name and renamed once whole.

    The manifest gives the sha256 of each file: taken from the upload manifests where they
    vouch for the file (same size, not written since), else computed from the bytes read.

    Args:
        workspace: the run's workspace.
        reference: what to make local.
        workdir: the run's working folder.

    Returns:
        The local path, the mode, and the manifest by path relative to the local path.

    Raises:
        NotFoundError: the datastore is unknown, or nothing is stored at the reference's path.
        ValidationError: ``path_on_compute`` leads outside ``workdir``.
        TransferError: a copy failed part way.
        BackendError: the datastore cannot be reached.
    """
    if not isinstance(reference, DataReference):
        raise ValidationError(f"not a DataReference: {reference!r}")
    datastore = Datastore.get(workspace, reference.datastore_name)
    storage = datastore._storage
    path = reference.path_on_datastore
    listing = storage.list_files(path)
    if not listing:
        raise NotFoundError(
            f"nothing is stored at {path or 'the root'!r} of datastore {datastore.name!r}"
        )
    is_file = bool(path) and list(listing) == [path]
    known = fresh_hashes(storage, listing)
    if reference.mode == "mount" and storage.local_root is not None:
        local_path = storage.local_path(path)
        relatives = _relatives(listing, path, local_path.name if is_file else None)
        hashes = _hash_in_place(storage, listing, known)
        return MaterializedReference(local_path, "mount", dict(zip(relatives, hashes, strict=True)))

    destination = reference.path_on_compute or "/".join(
        part for part in (DATA_FOLDER, datastore.name, path) if part
    )
    local_path = safe_local_path(workdir, destination)
    if reference.mode == "mount":
        logger.warning(
            "the mount of %s:%s became a copy in %s: datastore %r is not a local path (%s)",
            datastore.name,
            path or "/",
            local_path,
            datastore.name,
            datastore.root_url,
        )
    root = local_path.parent if is_file else local_path
    relatives = _relatives(listing, path, local_path.name if is_file else None)
    unknown = {stored for stored in listing if stored not in known}
    _targets, digests = fetch_files(
        storage,
        datastore.name,
        listing,
        root,
        relatives,
        overwrite=True,
        show=False,
        hashing=unknown,
    )
    manifest = {
        relative: known[stored] if digest is None else digest
        for relative, stored, digest in zip(relatives, listing, digests, strict=True)
    }
    logger.info("%s:%s is at %s (%d files)", datastore.name, path or "/", local_path, len(listing))
    return MaterializedReference(local_path, reference.mode, manifest)


def _relatives(listing: dict[str, StoredFile], path: str, file_name: str | None) -> list[str]:
    """The listed files' paths relative to the reference (a file reference: ``file_name``)."""
    if file_name is not None:
        return [file_name]
    return [stored[len(path) + 1 :] if path else stored for stored in listing]


def _hash_in_place(
    storage: DatastoreFiles, listing: dict[str, StoredFile], known: dict[str, str]
) -> list[str]:
    """The sha256 of each listed file of a local datastore, hashing those no manifest vouches
    for, several at a time."""

    def hashing(stored: str) -> Copy:
        local = storage.local_path(stored)
        return Copy(stored, listing[stored].size, lambda advance: hash_file(local, advance))

    missing = [stored for stored in listing if stored not in known]
    with TransferProgress(False, "", len(missing), 0) as progress:
        digests = run_copies(
            [hashing(stored) for stored in missing],
            what=f"hashing files of {storage.describe}",
            progress=progress,
            workers=storage.workers,
        )
    computed = dict(zip(missing, digests, strict=True))
    return [known.get(stored) or computed[stored] or "" for stored in listing]
