"""Copying and hashing one local file, written so that nothing half-copied ever looks whole.

Every local file is written through :func:`runlab._files.partial_file` (a hidden sibling
renamed over the target once complete; without ``fsync``, which would cost a bulk copy of
many small files more than the copy itself). Big files are copied in the kernel
(``sendfile``) while another thread hashes the source: sha256 is the slower of the two, so
the copy costs nearly nothing on top of the hash.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable

from runlab._files import partial_file, write_atomic
from runlab.errors import BackendError

__all__ = [
    "CHUNK",
    "SMALL_FILE",
    "Advance",
    "copy_local_file",
    "hash_file",
    "write_local_bytes",
]

Advance = Callable[[int], None]
"""Told how many more bytes were moved, for progress."""

SMALL_FILE = 8 * 1024 * 1024
"""Files up to this size are read whole: one read, one hash, one write."""
CHUNK = 8 * 1024 * 1024
# sha256 runs a little faster over chunks that stay in the CPU's cache than over 8 MiB ones.
_HASH_CHUNK = 1024 * 1024
_SENDFILE_CHUNK = 64 * 1024 * 1024


def _ignore(_count: int) -> None:
    """An :data:`Advance` that reports nowhere."""


def _write_all(descriptor: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def write_local_bytes(target: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` as the file ``target`` (its folder must exist), replacing it whole."""
    write_atomic(target, data, sync=False)


def _read_all(descriptor: int, size: int) -> bytes:
    parts = []
    while part := os.read(descriptor, size + 1):
        parts.append(part)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def hash_file(path: str | os.PathLike[str], advance: Advance = _ignore) -> str:
    """The sha256 of a local file, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as source:
        size = os.fstat(source.fileno()).st_size
        if size < _HASH_CHUNK:
            # A small file is read whole: a chunk buffer per file would cost more than it.
            data = _read_all(source.fileno(), size)
            digest.update(data)
            advance(len(data))
            return digest.hexdigest()
        buffer = bytearray(_HASH_CHUNK)
        view = memoryview(buffer)
        while count := source.readinto(buffer):
            # hashlib releases the GIL for buffers this big, so threads hash in parallel.
            digest.update(view[:count])
            advance(count)
    return digest.hexdigest()


def _send(source: int, target: int, size: int, advance: Advance) -> None:
    """Copy ``size`` bytes between descriptors in the kernel; plain reads and writes where
    the file systems refuse ``sendfile``."""
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(target, source, offset, min(_SENDFILE_CHUNK, size - offset))
            if sent == 0:
                break
            offset += sent
            advance(sent)
    except OSError as error:
        if offset or error.errno not in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EXDEV):
            raise
        os.lseek(source, 0, os.SEEK_SET)
        while chunk := os.read(source, CHUNK):
            _write_all(target, chunk)
            advance(len(chunk))


def copy_local_file(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    hashing: bool,
    advance: Advance,
) -> str | None:
    """Copy ``source`` to ``target`` (its folder must exist) through a hidden sibling, and
    return the sha256 of the bytes copied when ``hashing``.

    A big file is hashed by a second thread while the kernel copies it; a source that
    changes meanwhile (replaced, or its size or modification time changed) fails the copy,
    so the hash always describes what was written.

    Raises:
        OSError: reading or writing failed (the partial file is removed).
        BackendError: the source changed while it was copied.
    """
    source_fd = os.open(source, os.O_RDONLY)
    try:
        before = os.fstat(source_fd)
        if before.st_size <= SMALL_FILE:
            data = _read_all(source_fd, before.st_size)
            digest = hashlib.sha256(data).hexdigest() if hashing else None
            write_local_bytes(target, data)
            advance(len(data))
            return digest
        with partial_file(target, sync=False) as out:
            hashed: list[str] = []
            failures: list[BaseException] = []

            def hash_source() -> None:
                try:
                    hashed.append(hash_file(source))
                except BaseException as error:  # re-raised in the copying thread below
                    failures.append(error)

            hasher = threading.Thread(target=hash_source, daemon=True) if hashing else None
            if hasher is not None:
                hasher.start()
            try:
                _send(source_fd, out.file.fileno(), before.st_size, advance)
            finally:
                if hasher is not None:
                    hasher.join()
            if failures:
                raise failures[0]
            after = os.stat(source)
            if (after.st_ino, after.st_size, after.st_mtime_ns) != (
                before.st_ino,
                before.st_size,
                before.st_mtime_ns,
            ):
                raise BackendError(
                    f"{source} changed while it was being copied; nothing was written"
                )
            out.commit()
        return hashed[0] if hashing else None
    finally:
        os.close(source_fd)
