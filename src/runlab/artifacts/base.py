"""The interface every artifact store implements."""

from __future__ import annotations

import abc
import os
import pathlib
from typing import Protocol, runtime_checkable

from runlab._files import walk_files
from runlab.artifacts.paths import safe_local_path, vet_path
from runlab.errors import BackendError, NotFoundError, ValidationError

__all__ = ["AppendableArtifactStore", "ArtifactStore", "check_range"]


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
    def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Return the content of the file ``path``, or the bytes ``[start, end)`` of it.

        A range is half-open and counted in bytes from the start of the file, like a slice:
        ``start`` defaults to 0 and ``end`` to the end of the file. An ``end`` past the end
        of the file is clamped to it, and a ``start`` at or past the end gives ``b""``, so a
        reader following a growing file asks from the offset it reached and gets what is new.
        Only the range is read from the backend (a ranged read on an object store, an HTTP
        ``Range`` request through the server), never the whole file.

        A read of the whole file is atomic against a concurrent replace (see the class
        docstring), and so is a range read in one piece; the server reads long ranges in
        pieces of 1 MiB, so a file *replaced* while such a range is read may mix versions.
        Bytes appended (:class:`AppendableArtifactStore`) never change the bytes before them.

        Args:
            path: the file, relative to the store root.
            start: the first byte to return; ``None`` for 0.
            end: the byte after the last to return; ``None`` for the end of the file.

        Raises:
            NotFoundError: if there is no file at ``path`` (a folder is not a file), even when
                the range is empty.
            ValidationError: if ``path`` is refused, or ``start``/``end`` is not ``None`` or
                an ``int`` >= 0, or ``start`` > ``end``.
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

        The local folder is walked by :func:`runlab._files.walk_files`: links to folders are
        not followed (what they show inside the folder is copied under its own name), links to
        files inside the folder are copied as the files they point to, dangling links are
        skipped, and a link leading outside the folder is refused. Every destination is vetted
        before the first file is copied, so a name the store refuses (say, one holding a
        backslash) or a link leading out fails the whole call up front.

        Args:
            local_dir: the local folder to copy.
            path: the folder in the store to copy into; ``""`` is the store root.

        Returns:
            The stored paths, sorted.

        Raises:
            NotFoundError: if ``local_dir`` is not an existing folder.
            ValidationError: if ``path`` or a destination built from a local name is refused,
                or a link in the folder leads outside it.
            AlreadyExistsError: if a destination is a folder in the store.
            BackendError: if the backend or the local file system fails.
        """
        folder = vet_path(path, allow_empty=True)
        if not os.path.isdir(local_dir):
            raise NotFoundError(f"no local folder {os.fspath(local_dir)!r} to copy from")
        uploads: list[tuple[str, str]] = []
        try:
            found = walk_files(local_dir, links="refuse")
        except OSError as error:
            message = f"cannot read the local folder {os.fspath(local_dir)!r}: {error}"
            raise BackendError(message) from error
        for file in found:
            destination = vet_path(f"{folder}/{file.relative}" if folder else file.relative)
            uploads.append((os.fspath(file.path), destination))
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


def check_range(start: int | None, end: int | None) -> tuple[int, int | None]:
    """Vet the range of :meth:`ArtifactStore.get_bytes` and return it as ``(start, end)``.

    Raises:
        ValidationError: if a bound is not ``None`` or an ``int`` >= 0, or ``start`` > ``end``.
    """
    for name, bound in (("start", start), ("end", end)):
        if bound is not None and (type(bound) is not int or bound < 0):
            raise ValidationError(f"{name} of a byte range must be an int >= 0, not {bound!r}")
    first = start or 0
    if end is not None and first > end:
        raise ValidationError(f"byte range start {first} is past its end {end}")
    return first, end


@runtime_checkable
class AppendableArtifactStore(Protocol):
    """An artifact store that can add bytes to the end of a file in place.

    An optional capability beside :class:`ArtifactStore`: a writer of a growing file (the job
    entry with a run's ``logs/driver.log``) checks for it with ``isinstance`` and then sends
    only the new bytes, so writing a file of ``n`` bytes in many appends costs ``O(n)``;
    without it the writer has to replace the whole file each time.

    Every store of runlab has it: a local folder appends in place, a store served by
    ``runlab server`` asks the server to append to its own store, and other fsspec file
    systems append the way their driver does (see
    :meth:`runlab.artifacts.FsspecArtifactStore.append_bytes`).
    """

    def append_bytes(self, path: str, data: bytes) -> None:
        """Add ``data`` to the end of the file ``path``, creating the file if missing.

        Appends are not atomic the way a replace is: a concurrent reader may see part of an
        append, but never bytes out of order, and the bytes before the append never change.
        Two writers appending to one file at once may interleave their appends; a file has
        one appending writer at a time (the job entry owns its logs).

        Raises:
            AlreadyExistsError: if ``path`` is a folder in the store.
            ValidationError: if ``path`` is refused or ``data`` is not bytes.
            BackendError: if the backend fails.
        """
        ...
