"""IDX files (the format of MNIST): read them into numpy, check them, copy them gzip'd.

Only :func:`load_idx` needs numpy, and imports it when called.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import math
import os
import shutil
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from runlab._files import PartialFile
from runlab._files import partial_file as atomic_partial_file
from runlab.errors import BackendError, NotFoundError, ValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FileSpec",
    "StrPath",
    "copy_gzipped",
    "file_problem",
    "load_idx",
    "partial_file",
    "require",
]

StrPath = str | os.PathLike[str]

GZIP_MAGIC = b"\x1f\x8b"
_IDX_IMAGES, _IDX_LABELS = 0x00000803, 0x00000801
_CHUNK = 1 << 20
# What a broken gzip stream or an unreadable file raises while it is read.
_UNREADABLE = (OSError, EOFError, zlib.error)


class FileSpec(NamedTuple):
    """What the decompressed bytes of one file must be."""

    sha256: str
    size: int


def require(module: str, install: str) -> None:
    """Raise a ValidationError saying how to install ``module`` when it is missing."""
    if importlib.util.find_spec(module) is None:
        raise ValidationError(f"this needs {module}, which is not installed: pip install {install}")


def load_idx(path: StrPath, label: bool = False) -> npt.NDArray[np.uint8]:
    """Read one IDX file, gzip'd or raw (told apart by the gzip magic), into numpy.

    This is the tutorial's ``load_data``, with the header checked.

    Args:
        path: the file.
        label: ``False`` for an images file (magic ``0x00000803``), ``True`` for a labels file
            (magic ``0x00000801``).

    Returns:
        Images as a ``(n, rows * cols)`` uint8 array, labels as a ``(n,)`` uint8 array.

    Raises:
        NotFoundError: the file does not exist.
        ValidationError: numpy is missing, or the file is not a whole IDX file of that kind
            (bad gzip, wrong magic, fewer or more bytes than its header promises).

    Example:
        >>> labels = load_idx("train-labels-idx1-ubyte.gz", label=True)  # doctest: +SKIP
    """
    require("numpy", "numpy")
    import numpy as np

    file_path = Path(path)
    kind, magic = ("labels", _IDX_LABELS) if label else ("images", _IDX_IMAGES)
    try:
        with open_idx(file_path) as stream:
            head = stream.read(4)
            if len(head) < 4:
                raise _bad(file_path, f"{len(head)} bytes, too short for an IDX header")
            found = int.from_bytes(head, "big")
            if found != magic:
                raise _bad(file_path, f"IDX magic 0x{found:08x}, expected 0x{magic:08x} ({kind})")
            dims_bytes = stream.read(4 * (magic & 0xFF))
            if len(dims_bytes) < 4 * (magic & 0xFF):
                raise _bad(file_path, "the IDX header is cut short")
            dims = [
                int.from_bytes(dims_bytes[at : at + 4], "big")
                for at in range(0, len(dims_bytes), 4)
            ]
            count = math.prod(dims)
            # Read in chunks rather than allocate what a corrupt header claims; one byte more
            # than promised tells a file that is too long.
            data = bytearray()
            while len(data) <= count and (chunk := stream.read(min(_CHUNK, count + 1 - len(data)))):
                data += chunk
    except FileNotFoundError:
        raise NotFoundError(f"no such file: {file_path}") from None
    except _UNREADABLE as error:
        raise _bad(file_path, f"cannot be read ({error})") from error
    shape = "x".join(str(dim) for dim in dims)
    if len(data) < count:
        promised = f"{count:,} bytes its {shape} header promises"
        raise _bad(file_path, f"truncated: {len(data):,} of the {promised}")
    if len(data) > count:
        raise _bad(file_path, f"more bytes than the {count:,} its {shape} header promises")
    values = np.frombuffer(data, dtype=np.uint8)
    return values.reshape(dims[0]) if label else values.reshape(dims[0], dims[1] * dims[2])


@contextmanager
def open_idx(path: Path) -> Iterator[io.BufferedIOBase]:
    """The file's bytes, decompressed if it starts with the gzip magic.

    Raises:
        OSError, EOFError, zlib.error: as the file is read, when it cannot be.
    """
    with path.open("rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
            yield unzipped


def file_problem(path: Path, expected: FileSpec, *, gzipped: bool) -> str | None:
    """What is wrong with a file, or ``None`` when its decompressed bytes are the expected ones.

    Args:
        path: the file, gzip'd or raw.
        expected: the sha256 and size its (decompressed) bytes must have.
        gzipped: the file must be gzip'd.
    """
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as raw:
            if gzipped and raw.read(2) != GZIP_MAGIC:
                return "not a gzip file"
        with open_idx(path) as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except _UNREADABLE as error:
        return f"cannot be read ({error})"
    if size != expected.size:
        return f"{size:,} bytes decompressed, expected {expected.size:,}"
    if digest.hexdigest() != expected.sha256:
        return f"sha256 mismatch: {digest.hexdigest()}, expected {expected.sha256}"
    return None


@contextmanager
def partial_file(target: Path) -> Iterator[PartialFile]:
    """A write to ``target`` through :func:`runlab._files.partial_file`: the block writes
    ``.path``, checks it, and calls ``commit()``; otherwise nothing reaches ``target``.

    Raises:
        BackendError: the folder cannot be written.
    """
    with ExitStack() as stack:
        try:
            partial = stack.enter_context(atomic_partial_file(target))
        except OSError as error:
            raise BackendError(f"cannot write in {target.parent}: {error}") from error
        yield partial


def copy_gzipped(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` as gzip: as it is when gzip'd, else compressed.

    Compressed with mtime 0 and no file name, so the same bytes give the same ``.gz``.

    Raises:
        OSError: either file cannot be read or written.
    """
    with source.open("rb") as raw, target.open("wb") as out:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if gzipped:
            shutil.copyfileobj(raw, out, _CHUNK)
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=6, mtime=0) as packed:
            shutil.copyfileobj(raw, packed, _CHUNK)


def _bad(path: Path, what: str) -> ValidationError:
    return ValidationError(f"{path}: {what}")
