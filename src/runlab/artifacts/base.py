"""The interface every artifact store implements."""

from __future__ import annotations

import abc
import os
import pathlib

from runlab.artifacts.paths import safe_local_path, vet_path
from runlab.errors import NotFoundError

__all__ = ["ArtifactStore"]


class ArtifactStore(abc.ABC):
    """A tree of files (artifacts) under one root: run outputs, logs, snapshots, models.

    This docstring is the contract every backend keeps; ``runlab.testing.artifact_store``
    checks it.

    **Paths.** Every ``path`` and ``prefix`` is relative to the store root, uses ``/`` and is
    vetted by :func:`runlab.artifacts.vet_path` before anything is touched: an absolute path,
    ``..``, a drive letter, a backslash, ``~`` or a control character raises
    :class:`~runlab.errors.ValidationError`, so no method ever reads or writes outside the root.
    Backends on a local file system also refuse symbolic links that lead outside the root, for
    reading and writing alike. ``.`` components and repeated slashes are normalised away;
    names returned by :meth:`list_files` are in normal form. The empty path names the root: it
    is accepted as a prefix (:meth:`list_files`, :meth:`put_folder`, :meth:`get_folder`) and
    refused where a file is meant.

    **Files and folders.** Only files hold data; folders exist implicitly while a file lies below
    them (an empty folder may linger or vanish, depending on the backend, and is never listed).
    A path is a file or a folder, not both: writing a file where a folder is raises
    :class:`~runlab.errors.AlreadyExistsError`, and so does writing below an existing file
    where the backend has real folders (a local disk, memory). Object stores without real folders
    may allow the latter, so callers should not rely on it being refused.

    **Atomicity.** Writing a file (:meth:`put_file`, :meth:`put_bytes`) replaces an existing
    file as a whole: a concurrent reader sees the old bytes or the new ones, never a mix or a
    truncated file, and a failed write leaves the old file in place. :meth:`put_folder`,
    :meth:`get_folder` and deleting a folder are *not* atomic: each file is handled on its own,
    so a failure part way leaves the files done so far.

    **Concurrency.** A store object may be shared by threads. Several processes may use the same
    root at once; concurrent writers to one path end with one writer's complete file (the last
    to finish). No locks are taken; callers that need read-modify-write must coordinate.

    **Errors.** Besides the errors listed on each method, every method raises
    :class:`~runlab.errors.ValidationError` for a path refused as above, and
    :class:`~runlab.errors.BackendError` (the original exception as ``__cause__``) when the
    backend fails: a permission error, a full disk, the network, a missing driver. No foreign
    exception (``OSError``, fsspec's, botocore's) escapes a store.
    """

    @property
    @abc.abstractmethod
    def uri(self) -> str:
        """The URI of the store root, e.g. ``"/data/ws/artifacts"`` or ``"s3://bucket/ws"``."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release what the store holds (a connection pool); the store must not be used
        afterwards. Closing twice does nothing. The default does nothing: a store that holds
        nothing of its own need not override it.
        """

    def __enter__(self) -> ArtifactStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @abc.abstractmethod
    def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
        """Copy a local file into the store, replacing any file at ``path`` atomically.

        Args:
            local_path: the local file to copy; a link to a file is followed.
            path: where to store it, relative to the store root.

        Raises:
            NotFoundError: if ``local_path`` is not an existing file.
            AlreadyExistsError: if ``path`` is a folder in the store.
            ValidationError: if ``path`` is refused.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def put_bytes(self, path: str, data: bytes) -> None:
        """Store ``data`` as the file ``path``, replacing any file there atomically.

        Args:
            path: where to store the bytes, relative to the store root.
            data: the whole content of the file.

        Raises:
            AlreadyExistsError: if ``path`` is a folder in the store.
            ValidationError: if ``path`` is refused or ``data`` is not bytes.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def get_bytes(self, path: str) -> bytes:
        """Return the content of the file ``path``.

        Raises:
            NotFoundError: if there is no file at ``path`` (a folder is not a file).
            ValidationError: if ``path`` is refused.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def get_file(self, path: str, local_path: str | os.PathLike[str]) -> None:
        """Copy the file ``path`` out to ``local_path``, creating its parent folders.

        ``local_path`` is the caller's own choice and is not vetted; an existing file there is
        overwritten. Nothing is written locally when the file is missing.

        Raises:
            NotFoundError: if there is no file at ``path``.
            ValidationError: if ``path`` is refused.
            BackendError: if the backend or the local file system fails.
        """

    @abc.abstractmethod
    def exists(self, path: str) -> bool:
        """Return whether a file (not a folder) is stored at ``path``.

        Raises:
            ValidationError: if ``path`` is refused.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def list_files(self, prefix: str = "") -> list[str]:
        """List every file below the folder ``prefix``, recursively, sorted.

        Matching is by whole components: ``"run1"`` covers ``"run1/a.txt"`` but not
        ``"run10/a.txt"``.

        Args:
            prefix: a folder relative to the store root; ``""`` lists the whole store.

        Returns:
            Paths relative to the store root (not to ``prefix``), in normal form, sorted. An
            absent prefix, or one that names a file, gives ``[]``.

        Raises:
            ValidationError: if ``prefix`` is refused.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def delete(self, path: str) -> None:
        """Delete the file ``path``, or the folder ``path`` with everything below it.

        Raises:
            NotFoundError: if neither a file nor a folder is at ``path``.
            ValidationError: if ``path`` is refused; ``""`` is, so the whole store cannot be
                deleted by accident.
            BackendError: if the backend fails.
        """

    @abc.abstractmethod
    def size(self, path: str) -> int:
        """Return the size in bytes of the file ``path``.

        Raises:
            NotFoundError: if there is no file at ``path``.
            ValidationError: if ``path`` is refused.
            BackendError: if the backend fails.
        """

    def put_folder(self, local_dir: str | os.PathLike[str], path: str) -> list[str]:
        """Copy every file below a local folder into the store below ``path``.

        The local folder is walked recursively without following links to folders (which are
        skipped); links to files are copied as the files they point to. Every destination is
        vetted before the first file is copied, so a name the store refuses (say, one holding a
        backslash) fails the whole call up front.

        Args:
            local_dir: the local folder to copy.
            path: the folder in the store to copy into; ``""`` is the store root.

        Returns:
            The stored paths, sorted.

        Raises:
            NotFoundError: if ``local_dir`` is not an existing folder.
            ValidationError: if ``path`` or a destination built from a local name is refused.
            AlreadyExistsError: if a destination is a folder in the store.
            BackendError: if the backend or the local file system fails.
        """
        folder = vet_path(path, allow_empty=True)
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"no local folder {os.fspath(local_dir)!r} to copy from")
        uploads: list[tuple[str, str]] = []
        for dir_path, _dir_names, file_names in os.walk(local_dir, followlinks=False):
            for file_name in file_names:
                local_file = os.path.join(dir_path, file_name)
                if not os.path.isfile(local_file):
                    # A dangling link, a socket or a fifo: nothing a store could hold.
                    continue
                relative = pathlib.Path(os.path.relpath(local_file, local_dir)).as_posix()
                destination = vet_path(f"{folder}/{relative}" if folder else relative)
                uploads.append((local_file, destination))
        uploads.sort(key=lambda upload: upload[1])
        for local_file, destination in uploads:
            self.put_file(local_file, destination)
        return [destination for _local_file, destination in uploads]

    def get_folder(self, prefix: str, local_dir: str | os.PathLike[str]) -> list[pathlib.Path]:
        """Copy every file below the folder ``prefix`` into a local folder.

        The layout below ``prefix`` is kept: ``"run1/outputs/a/b.txt"`` copied with prefix
        ``"run1/outputs"`` lands at ``local_dir/a/b.txt``. Each destination passes
        :func:`runlab.artifacts.safe_local_path`, so no file is written outside ``local_dir``,
        even through a link inside it. Existing local files are overwritten.

        Args:
            prefix: the folder in the store; ``""`` copies the whole store.
            local_dir: the local folder to copy into; created if missing.

        Returns:
            The local paths written, in the order of :meth:`list_files`; ``[]`` when nothing is
            below ``prefix``.

        Raises:
            NotFoundError: if a file is deleted by someone else while the folder is copied.
            ValidationError: if ``prefix`` is refused or a destination leads outside
                ``local_dir``.
            BackendError: if the backend or the local file system fails.
        """
        folder = vet_path(prefix, allow_empty=True)
        written: list[pathlib.Path] = []
        for stored in self.list_files(folder):
            relative = stored[len(folder) + 1 :] if folder else stored
            destination = safe_local_path(local_dir, relative)
            self.get_file(stored, destination)
            written.append(destination)
        return written
