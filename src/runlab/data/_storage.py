"""The files of one datastore: listing them, and whole-file copies in and out.

A datastore on the local file system is worked on with plain ``os`` calls (every path through
:func:`runlab.artifacts.safe_local_path`, writes through hidden partial files); any other is
worked on through fsspec, where an object store's single ``put`` is atomic and a multipart
upload is aborted, not completed, when it fails. Foreign exceptions are translated at this
boundary by :func:`runlab.artifacts.fsspec_store.map_exceptions`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import os
import stat
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem

from runlab._files import is_partial, walk_files
from runlab.artifacts import safe_local_path, vet_path
from runlab.artifacts.fsspec_store import map_exceptions
from runlab.data._copy import (
    CHUNK,
    Advance,
    copy_local_file,
    hash_file,
    write_local_bytes,
)
from runlab.data._remote import get_remote, put_remote
from runlab.data._transfer import LOCAL_WORKERS, REMOTE_WORKERS
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    NotFoundError,
    RunlabError,
    ValidationError,
)

__all__ = ["MANIFEST_FOLDER", "DatastoreFiles", "StoredFile"]

MANIFEST_FOLDER = ".runlab-manifest"
"""Where upload manifests are kept, at the datastore's root; never listed as data."""

_OPEN_ERRORS: Mapping[type[Exception], type[RunlabError]] = {
    ImportError: BackendError,  # fsspec's message names the driver to install
    ValueError: ValidationError,
    TypeError: ValidationError,
}
_READ_ERRORS: Mapping[type[Exception], type[RunlabError]] = {
    FileNotFoundError: NotFoundError,
    IsADirectoryError: NotFoundError,
}
_WRITE_ERRORS: Mapping[type[Exception], type[RunlabError]] = {
    FileExistsError: AlreadyExistsError,
    IsADirectoryError: AlreadyExistsError,
    NotADirectoryError: AlreadyExistsError,
}
# Object stores have no folders to create; everything else gets its folders made first.
_OBJECT_STORES = {"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "oci", "memory"}


@dataclasses.dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in a datastore: its path below the root, size, and when it was last written
    (seconds since the epoch, None where the backend does not say)."""

    path: str
    size: int
    modified: float | None


def _modified(info: Mapping[str, Any]) -> float | None:
    for key in ("mtime", "LastModified", "last_modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, datetime.datetime):
            return value.timestamp()
    return None


def _listable(relative: str) -> bool:
    """Whether a stored name is data: not a write in progress, not runlab's manifests, and a
    name runlab can address."""
    if relative == MANIFEST_FOLDER or relative.startswith(MANIFEST_FOLDER + "/"):
        return False
    if is_partial(relative.rpartition("/")[2]):
        return False
    try:
        return vet_path(relative) == relative
    except ValidationError:
        return False


def _ancestors(path: str) -> Iterator[str]:
    parts = path.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


class DatastoreFiles:
    """The files under one datastore's root.

    Args:
        url: the root, any fsspec URL or a local path.
        options: the storage options, credentials filled in; kept only inside the fsspec
            file system object, never in a message.
        describe: how messages name the datastore, e.g. ``"datastore 'raw' (s3://b/raw)"``.
        file_system: an fsspec file system to use as it is (``url`` is then the root's path
            in it, and ``options`` are not used).

    Raises:
        ValidationError: the URL's scheme is unknown or the options do not fit it.
        BackendError: its driver is not installed (the message names the package).
    """

    def __init__(
        self, url: str, options: Mapping[str, Any], describe: str, *, file_system: Any = None
    ) -> None:
        self.describe = describe
        if file_system is not None:  # given: ``url`` is the root's path in it
            root = url
        else:
            with map_exceptions(f"open {describe}", _OPEN_ERRORS):
                file_system, root = url_to_fs(url, **options)
        self._fs: Any = file_system
        self.local_root: Path | None = None
        self._root = ""
        if isinstance(file_system, LocalFileSystem):
            self.local_root = Path(os.path.abspath(root))
        else:
            self._root = root.rstrip("/")
        protocol = file_system.protocol
        self._protocol = protocol[0] if isinstance(protocol, tuple | list) else str(protocol)

    def _remote(self, relative: str) -> str:
        return f"{self._root}/{relative}" if relative else self._root

    def _relative(self, name: str) -> str:
        """A name the file system lists, relative to the root (names start with the root)."""
        return name[len(self._root) :].lstrip("/") if self._root else name.lstrip("/")

    @property
    def workers(self) -> int:
        """How many copies to and from this datastore should run at once."""
        return LOCAL_WORKERS if self.local_root is not None else REMOTE_WORKERS

    def _checked(self, relative: str) -> str:
        """The local path of a datastore path that :meth:`list_files` listed or
        :meth:`in_the_way` checked: joined, not resolved again.

        Resolving every link of every path costs more than copying a small file, and those
        two already refused paths that lead outside the root. A link swapped in afterwards by
        someone who can write inside the root is not seen (as for ``safe_local_path``).
        """
        # Split, so a Windows path has one kind of separator; cheaper than a Path per file.
        return os.path.join(os.fspath(self.local_root or ""), *relative.split("/"))

    def local_path(self, relative: str) -> Path:
        """The local path of a file or folder of a datastore on the local file system.

        Raises:
            ValidationError: ``relative`` is refused, or leads outside through a link.
        """
        if self.local_root is None:
            raise ValidationError(f"{self.describe} is not a local folder")
        return safe_local_path(self.local_root, relative, allow_empty=True)

    # -- listing -------------------------------------------------------------------------

    def list_files(self, prefix: str = "") -> dict[str, StoredFile]:
        """Every data file at or below ``prefix`` (a folder or a file), by path.

        Links that lead outside a local root are not listed, nor are folders reached through
        links (as in :meth:`runlab.artifacts.ArtifactStore.list_files`).
        """
        folder = vet_path(prefix, allow_empty=True)
        with map_exceptions(f"list {folder or 'the root'!r} of {self.describe}"):
            found = (
                self._list_local(folder)
                if self.local_root is not None
                else self._list_remote(folder)
            )
        return {path: found[path] for path in sorted(found) if _listable(path)}

    def _list_local(self, folder: str) -> dict[str, StoredFile]:
        root = self.local_path("")
        top = self.local_path(folder)
        if top.is_file():
            info = top.stat()
            return {folder: StoredFile(folder, info.st_size, info.st_mtime)}
        # Links leaving the root are left out: the datastore cannot read them.
        prefix = f"{folder}/" if folder else ""
        return {
            prefix + file.relative: StoredFile(prefix + file.relative, file.size, file.mtime)
            for file in walk_files(top, links="skip", within=root)
        }

    def _list_remote(self, folder: str) -> dict[str, StoredFile]:
        base = self._remote(folder)
        # A listing cached by the file system could miss what another process just wrote.
        self._fs.invalidate_cache()
        entries = self._fs.find(base, withdirs=False, detail=True)
        if not entries and folder and self._fs.isfile(base):
            entries = {base: self._fs.info(base)}
        found: dict[str, StoredFile] = {}
        for name, info in entries.items():
            relative = self._relative(name)
            found[relative] = StoredFile(relative, int(info.get("size") or 0), _modified(info))
        return found

    # -- before writing ------------------------------------------------------------------

    def in_the_way(self, paths: Collection[str], under: str) -> list[str]:
        """Which of ``paths`` (files about to be written, all below ``under``) exist already.

        Raises:
            AlreadyExistsError: a folder is where one of them goes, or a file where one of
                their folders goes; such a write could not succeed, overwrite or not.
            ValidationError: a local path leads outside the root through a link.
        """
        with map_exceptions(f"check what is at {under or 'the root'!r} of {self.describe}"):
            if self.local_root is not None:
                return self._in_the_way_local(paths)
            return self._in_the_way_remote(paths, under)

    def _clash(self, path: str, what: str) -> AlreadyExistsError:
        return AlreadyExistsError(f"cannot write {path!r} in {self.describe}: {what}")

    def _in_the_way_local(self, paths: Collection[str]) -> list[str]:
        folders = {ancestor for path in paths for ancestor in _ancestors(path)}
        for folder in sorted(folders):
            # Resolved once per folder, which refuses a link out of the root on the way.
            folder_path = self.local_path(folder)
            with contextlib.suppress(FileNotFoundError):
                if not stat.S_ISDIR(os.stat(folder_path).st_mode):
                    raise self._clash(folder, "a file is where a folder goes")
        existing = []
        root = os.fspath(self.local_root or "")
        for path in paths:
            local = os.path.join(root, *path.split("/"))  # vetted: '/'-separated, no '..'
            try:
                mode = os.lstat(local).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(mode):
                self.local_path(path)  # refuses a link that leads outside
                with contextlib.suppress(FileNotFoundError):
                    mode = os.stat(local).st_mode
            if stat.S_ISDIR(mode):
                raise self._clash(path, "a folder is where this file goes")
            existing.append(path)
        return existing

    def _in_the_way_remote(self, paths: Collection[str], under: str) -> list[str]:
        self._fs.invalidate_cache()
        base = self._remote(under)
        if under and self._fs.isfile(base):
            raise self._clash(under, "a file is where a folder goes")
        stored = {self._relative(name) for name in self._fs.find(base, withdirs=False)}
        folders = {ancestor for name in stored for ancestor in _ancestors(name)}
        for path in paths:
            if path in folders:
                raise self._clash(path, "a folder is where this file goes")
            for ancestor in _ancestors(path):
                if ancestor in stored:
                    raise self._clash(ancestor, "a file is where a folder goes")
        return sorted(set(paths) & stored)

    def make_folders(self, paths: Collection[str]) -> None:
        """Create the folders that ``paths`` (files about to be written) go into."""
        folders = {path.rpartition("/")[0] for path in paths}
        with map_exceptions(f"create folders in {self.describe}", _WRITE_ERRORS):
            if self.local_root is not None:
                for folder in sorted(folders):
                    os.makedirs(self._checked(folder), exist_ok=True)
            elif self._protocol not in _OBJECT_STORES:
                for folder in sorted(folders):
                    self._fs.makedirs(self._remote(folder), exist_ok=True)

    # -- copies --------------------------------------------------------------------------

    def put(self, source: Path, path: str, *, hashing: bool, advance: Advance) -> str | None:
        """Copy the local file ``source`` to ``path``, whole or not at all; its sha256 when
        ``hashing``. The folder must exist (:meth:`make_folders`)."""
        with map_exceptions(
            f"upload {os.fspath(source)!r} to {path!r} in {self.describe}", _WRITE_ERRORS
        ):
            if self.local_root is not None:
                target = self._checked(path)
                return copy_local_file(source, target, hashing=hashing, advance=advance)
            return put_remote(self._fs, source, self._remote(path), hashing, advance)

    def get(
        self, stored: StoredFile, target: Path, *, hashing: bool, advance: Advance
    ) -> str | None:
        """Copy a stored file to the local ``target`` (its folder must exist) through a hidden
        partial file; its sha256 when ``hashing``."""
        with map_exceptions(f"download {stored.path!r} from {self.describe}", _READ_ERRORS):
            if self.local_root is not None:
                source = self._checked(stored.path)
                return copy_local_file(source, target, hashing=hashing, advance=advance)
            return get_remote(
                self._fs, self._remote(stored.path), stored.size, target, hashing, advance
            )

    def hash_stored(self, path: str) -> str:
        """The sha256 of a stored file, read where it is (streamed from an object store).

        Raises:
            NotFoundError: there is no such file.
        """
        with map_exceptions(f"read {path!r} from {self.describe}", _READ_ERRORS):
            if self.local_root is not None:
                return hash_file(self._checked(path))
            digest = hashlib.sha256()
            with self._fs.open(self._remote(path), "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
            return digest.hexdigest()

    def write_bytes(self, path: str, data: bytes) -> None:
        """Store ``data`` as the file ``path``, replacing it whole."""
        with map_exceptions(f"write {path!r} in {self.describe}", _WRITE_ERRORS):
            if self.local_root is not None:
                target = self.local_path(path)
                target.parent.mkdir(parents=True, exist_ok=True)
                write_local_bytes(target, data)
            else:
                self.make_folders([path])
                self._fs.pipe_file(self._remote(path), data)

    def read_bytes(self, path: str) -> bytes:
        """The content of the file ``path``.

        Raises:
            NotFoundError: there is none.
        """
        with map_exceptions(f"read {path!r} from {self.describe}", _READ_ERRORS):
            if self.local_root is not None:
                return self.local_path(path).read_bytes()
            return bytes(self._fs.cat_file(self._remote(path)))

    def list_manifests(self) -> dict[str, StoredFile]:
        """The manifest files, by path (they are hidden from :meth:`list_files`)."""
        with map_exceptions(f"list the manifests of {self.describe}"):
            if self.local_root is not None:
                folder = self.local_path(MANIFEST_FOLDER)
                if not folder.is_dir():
                    return {}
                return {
                    f"{MANIFEST_FOLDER}/{entry.name}": StoredFile(
                        f"{MANIFEST_FOLDER}/{entry.name}",
                        entry.stat().st_size,
                        entry.stat().st_mtime,
                    )
                    for entry in os.scandir(folder)
                    if entry.is_file(follow_symlinks=False) and entry.name.endswith(".json")
                }
            found = self._list_remote(MANIFEST_FOLDER)
            return {path: info for path, info in found.items() if path.endswith(".json")}
