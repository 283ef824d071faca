"""Local files, done one way: an atomic write and a walk over a folder with a policy for links.

This module sits just above layer 0: it imports only :mod:`runlab.errors`, and every layer
from 1 up may import it. It is the one place runlab writes a local file atomically and the
one place it walks a local folder.

**Atomic writes.** A file is written to a hidden sibling with a unique name
(``.<name>.<random>.runlab-partial``), flushed (``fsync`` unless told otherwise) and renamed
over the target with ``os.replace``. Readers see the old file or the new one, never a torn
or mixed one, however many threads or processes write the same target at once; the last
rename wins. On any failure the partial file is removed. The artifact store and the
datastores hide such names from their listings (:func:`is_partial`).

**Walks.** :func:`walk_files` lists the files below a folder, and says what it does with
symbolic links: a link to a file inside the folder is that file (under the link's name); a
link to a folder is never descended (what it shows is listed under its own name, and no
link makes a loop); a dangling link is skipped (nothing is there to read). A link that leads
*outside* the folder is never followed silently: ``links="refuse"`` raises
:class:`~runlab.errors.ValidationError` naming it (for folders a user hands to runlab:
uploads, snapshots, models), ``links="skip"`` leaves it out (for listings of a store's own
folder, whose contract already says such files cannot be read through it).
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from runlab.errors import ValidationError

__all__ = [
    "PARTIAL_SUFFIX",
    "LinkPolicy",
    "PartialFile",
    "WalkedFile",
    "is_partial",
    "partial_file",
    "walk_files",
    "write_atomic",
]

PARTIAL_SUFFIX = ".runlab-partial"
"""The end of the name of a file being written (see :func:`partial_file`)."""

# Files readable as any new file is (0o666 less the umask); mkstemp would force 0o600.
_DEFAULT_MODE = 0o666
# A long target name must not make the partial's name too long for the file system.
_NAME_CHARS = 64


def is_partial(name: str) -> bool:
    """Whether the file name ``name`` (its last part, or a whole ``a/b`` path) is a write in
    progress, which listings must not show."""
    base = name.rpartition("/")[2]
    return base.startswith(".") and base.endswith(PARTIAL_SUFFIX)


class PartialFile:
    """A write in progress to ``target``, made by :func:`partial_file`.

    Attributes:
        target: the file that :meth:`commit` replaces.
        path: the hidden partial file the bytes go to.
        file: the partial file, open for writing in binary (its ``fileno()`` is the raw
            descriptor, for ``os.sendfile``; write through one or the other, not both).
    """

    def __init__(self, target: str, path: str, file: BinaryIO, sync: bool) -> None:
        self.target = target
        self.path = path
        self.file = file
        self._sync = sync
        self.committed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data`` to the partial file."""
        self.file.write(data)

    def commit(self) -> None:
        """Flush the partial file (``fsync`` unless the write was opened with ``sync=False``),
        close it and rename it over the target, atomically.

        Raises:
            OSError: flushing or renaming failed (the partial file is removed on leaving
                the ``with`` block).
        """
        if self.committed:
            return
        self.file.flush()
        if self._sync:
            os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.path, self.target)
        self.committed = True


@contextlib.contextmanager
def partial_file(
    target: str | os.PathLike[str], *, mode: int = _DEFAULT_MODE, sync: bool = True
) -> Iterator[PartialFile]:
    """Write a local file atomically: the block writes a hidden sibling, and
    :meth:`PartialFile.commit` renames it over ``target``.

    Nothing reaches ``target`` unless the block calls ``commit()``; leaving the block
    without it (a check that failed, an exception) removes the partial file. The folder of
    ``target`` must exist.

    Args:
        target: the file to write.
        mode: the permissions it is created with, less the umask (default ``0o666``, as
            for any new file; ``0o600`` keeps a secret from ever being readable by others).
        sync: ``fsync`` before the rename, so the new content survives a crash of the
            machine. Bulk copies of many files (datastore uploads) may pass False.

    Raises:
        OSError: the partial file cannot be created or written.

    Example:
        >>> with partial_file(path) as out:  # doctest: +SKIP
        ...     out.write(b"whole")
        ...     out.commit()
    """
    folder, name = os.path.split(os.fspath(target))
    partial = os.path.join(folder, f".{name[:_NAME_CHARS]}.{secrets.token_hex(8)}{PARTIAL_SUFFIX}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        file = os.fdopen(descriptor, "wb")
    except BaseException:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    writing = PartialFile(os.fspath(target), partial, file, sync)
    try:
        yield writing
    finally:
        if not writing.committed:
            with contextlib.suppress(OSError):
                file.close()
            with contextlib.suppress(OSError):
                os.unlink(partial)


def write_atomic(
    target: str | os.PathLike[str],
    data: bytes | str,
    *,
    mode: int = _DEFAULT_MODE,
    sync: bool = True,
    encoding: str = "utf-8",
) -> None:
    """Write ``data`` as the whole of the local file ``target``, atomically.

    Args:
        target: the file; its folder must exist.
        data: bytes, or text encoded with ``encoding``.
        mode: see :func:`partial_file`.
        sync: see :func:`partial_file`.
        encoding: the encoding of text.

    Raises:
        OSError: the file cannot be written (no partial file is left behind).
    """
    payload = data.encode(encoding) if isinstance(data, str) else data
    with partial_file(target, mode=mode, sync=sync) as out:
        out.write(payload)
        out.commit()


LinkPolicy = Literal["refuse", "skip"]
"""What :func:`walk_files` does with a link that leads outside the folder walked."""


@dataclass(frozen=True)
class WalkedFile:
    """A file found by :func:`walk_files`.

    Attributes:
        relative: its path below the folder walked, with ``/`` between parts.
        path: its local path (a link's own path, for a link to a file).
        size: its size in bytes (of the file a link points to).
        mtime: its modification time, seconds since the epoch.
    """

    relative: str
    path: Path
    size: int
    mtime: float


def _inside(real_root: str, real: str) -> bool:
    return os.path.commonpath([real_root, real]) == real_root


def walk_files(
    root: str | os.PathLike[str],
    *,
    links: LinkPolicy,
    ignore: Callable[[str, bool], bool] | None = None,
    within: str | os.PathLike[str] | None = None,
) -> list[WalkedFile]:
    """Every file below the local folder ``root``, sorted by relative path.

    Plain files are listed; a link to a file inside ``root`` is listed under its own name
    with the size of what it points to; links to folders are not descended; dangling links,
    sockets, fifos and devices are skipped; a folder or file that vanishes during the walk is
    skipped. A link leading outside ``root`` is refused or skipped, as ``links`` says.

    Args:
        root: the folder to walk.
        links: ``"refuse"`` raises for a link leading outside ``root``; ``"skip"`` leaves it
            out.
        ignore: called with a relative path and whether it is a folder; True leaves it out
            (an ignored folder is not walked, and an ignored link is not checked).
        within: the folder links must stay inside, when wider than ``root`` (a store's
            root, when ``root`` is a folder of it); default ``root``.

    Returns:
        The files, sorted by ``relative``; ``[]`` when ``root`` is not a folder.

    Raises:
        ValidationError: with ``links="refuse"``, a link leads outside ``root`` (the message
            names the link and where it leads).
        OSError: ``root`` cannot be read.
    """
    top = os.fspath(root)
    if not os.path.isdir(top):
        return []
    real_root = os.path.realpath(top if within is None else within)
    found: list[WalkedFile] = []
    pending = [(top, "")]
    while pending:
        directory, relative_dir = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            if directory == top:
                raise
            continue
        for entry in entries:
            relative = f"{relative_dir}/{entry.name}" if relative_dir else entry.name
            try:
                if entry.is_symlink():
                    if ignore is not None and ignore(relative, os.path.isdir(entry.path)):
                        continue
                    real = os.path.realpath(entry.path)
                    if not _inside(real_root, real):
                        if links == "refuse":
                            raise ValidationError(
                                f"{entry.path!r} is a link to {real!r}, outside"
                                f" {real_root!r}: links must stay inside the folder; copy what"
                                " it points to in, or leave the link out"
                            )
                        continue
                    try:
                        info = os.stat(real)
                    except OSError as error:
                        if error.errno == errno.ELOOP:
                            continue  # a loop of links: nothing at its end
                        raise
                    if not stat.S_ISREG(info.st_mode):
                        continue  # a folder (listed under its own name) or something odd
                elif entry.is_dir(follow_symlinks=False):
                    if ignore is None or not ignore(relative, True):
                        pending.append((entry.path, relative))
                    continue
                elif entry.is_file(follow_symlinks=False):
                    if ignore is not None and ignore(relative, False):
                        continue
                    info = entry.stat(follow_symlinks=False)
                else:
                    continue
            except (FileNotFoundError, NotADirectoryError):
                continue  # dangling, or gone since the folder was read
            found.append(WalkedFile(relative, Path(entry.path), info.st_size, info.st_mtime))
    found.sort(key=lambda walked: walked.relative)
    return found
