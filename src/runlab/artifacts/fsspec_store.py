"""An artifact store on any fsspec file system: a local folder, memory, S3, GCS, Azure, ..."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any

from fsspec.core import url_to_fs
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from runlab._files import PARTIAL_SUFFIX, is_partial, partial_file, walk_files
from runlab.artifacts.base import ArtifactStore, check_range
from runlab.artifacts.paths import safe_local_path, vet_path
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    NotFoundError,
    RunlabError,
    ValidationError,
)

__all__ = ["FsspecArtifactStore", "map_exceptions"]

ExceptionMapping = Mapping[type[Exception], type[RunlabError]]

# A read that meets a folder, or a file where a folder should be ("file.txt/x"), finds no file.
_READ_ERRORS: ExceptionMapping = {
    FileNotFoundError: NotFoundError,
    NotADirectoryError: NotFoundError,
    IsADirectoryError: NotFoundError,
}
# A write that meets them collides with something already stored.
_WRITE_ERRORS: ExceptionMapping = {
    FileExistsError: AlreadyExistsError,
    NotADirectoryError: AlreadyExistsError,
    IsADirectoryError: AlreadyExistsError,
}
# fsspec raises ImportError naming the driver to install ("Install s3fs to access S3"), and
# ValueError for a protocol it does not know or options it cannot use.
_OPEN_ERRORS: ExceptionMapping = {
    ImportError: BackendError,
    ValueError: ValidationError,
    TypeError: ValidationError,
}

# On object stores a file appended to keeps its appended pieces as numbered objects in a hidden
# sibling folder, ".<name>.runlab-parts/<000000000001>", joined by every read.
_PARTS_SUFFIX = ".runlab-parts"


@contextlib.contextmanager
def map_exceptions(action: str, mapping: ExceptionMapping | None = None) -> Iterator[None]:
    """Translate foreign exceptions raised in the block into runlab's own.

    This is the one boundary between a backend library and runlab: runlab errors pass
    through unchanged, an exception that is an instance of a key of ``mapping`` (tried in
    order) becomes its value, and any other ``Exception`` becomes a
    :class:`~runlab.errors.BackendError`. The original is chained as ``__cause__``.

    Args:
        action: what was being done, for the message, e.g. ``"read 'a.txt' from /data"``.
        mapping: foreign exception types to runlab error types.

    Raises:
        RunlabError: a subclass, as described above.

    Example:
        >>> with map_exceptions("read 'x'", {FileNotFoundError: NotFoundError}):
        ...     open("/no/such/file")
        Traceback (most recent call last):
        runlab.errors.NotFoundError: cannot read 'x': FileNotFoundError: ...
    """
    try:
        yield
    except RunlabError:
        raise
    except Exception as exc:
        reason = f"cannot {action}: {type(exc).__name__}: {exc}"
        for foreign_type, runlab_type in (mapping or {}).items():
            if isinstance(exc, foreign_type):
                raise runlab_type(reason) from exc
        raise BackendError(reason) from exc


def _is_reserved(path: str) -> bool:
    """Whether ``path`` is a write in progress or lies in a folder of appended parts: never
    listed, never written by a caller."""
    return is_partial(path) or any(
        folder.startswith(".") and folder.endswith(_PARTS_SUFFIX) for folder in path.split("/")
    )


def _parts_folder(target: str) -> str:
    parent, _, name = target.rpartition("/")
    return f"{parent}/.{name}{_PARTS_SUFFIX}" if parent else f".{name}{_PARTS_SUFFIX}"


def _replace_local_file(target: str, write: Callable[[IO[bytes]], object]) -> None:
    """Write a local file atomically (:func:`runlab._files.partial_file`), its folder made."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with partial_file(target) as out:
        write(out.file)
        out.commit()


class FsspecArtifactStore(ArtifactStore):
    """An :class:`~runlab.artifacts.ArtifactStore` on a file system that fsspec can open.

    A plain path or a ``file://`` URL is a local folder, created if missing. Any other URL
    fsspec knows works as well, e.g. ``memory://bucket/root`` (this process only) or
    ``s3://bucket/workspace`` once the driver (``s3fs``) is installed; ``storage_options`` are
    passed to the driver (credentials, endpoint, ...).

    On the local file system every path passes :func:`runlab.artifacts.safe_local_path`, so a
    symbolic link inside the root that leads outside it is refused for reading and writing.
    Files are written to a hidden sibling (``.<name>.<random>.runlab-partial``) that then
    replaces the target with ``os.replace``; :meth:`list_files` never shows such files and
    writing a path with such a name is refused. :meth:`list_files` does not descend into linked
    folders, though files below a link that stays inside the root can be read by path.

    Elsewhere a file is written in one ``put``: atomic on object stores (S3, GCS, Azure Blob)
    and in memory; other fsspec file systems are as atomic as their own upload. Files whose
    names the store would refuse (written by other tools) are not listed.

    Appending (:meth:`append_bytes`) is in place on a local folder and in memory. Object
    stores cannot append, so there a file appended to is kept as the file and its appended
    parts, each written once, which reads join (see :meth:`append_bytes`); replacing such a
    file writes the new one, then drops the parts, so a reader in between may see the new
    file followed by the old parts.

    Args:
        uri: the root: a local path, ``file://`` URL or any fsspec URL.
        append_as_parts: keep appends as parts (the default everywhere but a local folder and
            memory); ``True`` in memory lets the tests check that way without an object store.
        **storage_options: options for the fsspec file system.

    Raises:
        ValidationError: if ``uri`` is not a non-empty string, its scheme is unknown to fsspec or
            the options do not fit the file system.
        BackendError: if the driver for the scheme is not installed (the message names the
            package), or the local root cannot be created.

    Example:
        >>> store = FsspecArtifactStore("memory://example/artifacts")
        >>> store.put_bytes("runs/r1/outputs/hello.txt", b"hi")
        >>> store.list_files("runs/r1")
        ['runs/r1/outputs/hello.txt']
    """

    def __init__(
        self, uri: str, *, append_as_parts: bool | None = None, **storage_options: Any
    ) -> None:
        if not isinstance(uri, str) or not uri.strip():
            raise ValidationError(f"artifact store URI must be a non-empty str, not {uri!r}")
        with map_exceptions(f"open artifact store {uri!r}", _OPEN_ERRORS):
            file_system, root = url_to_fs(uri, **storage_options)
        self._fs: Any = file_system
        self._is_local = isinstance(file_system, LocalFileSystem)
        self._root: str
        self._uri: str
        if self._is_local:
            self._root = os.path.abspath(root)
            with map_exceptions(f"create the artifact folder {self._root!r}"):
                os.makedirs(self._root, exist_ok=True)
            self._uri = self._root
        else:
            self._root = root.rstrip("/")
            self._uri = uri
        if append_as_parts is None:
            append_as_parts = not isinstance(file_system, LocalFileSystem | MemoryFileSystem)
        self._append_as_parts = append_as_parts
        # The next part number of each file appended to by this object (one appender a file).
        self._next_part: dict[str, int] = {}
        self._parts_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._uri!r})"

    @property
    def uri(self) -> str:
        """The root: an absolute path for a local folder, else the URL as given."""
        return self._uri

    def close(self) -> None:
        """Nothing to release: the file system object is fsspec's cached instance, shared with
        every other user of the same URL and options in this process, so closing its
        connections here would break them."""

    def _target(self, path: str, *, allow_empty: bool = False) -> str:
        """Vet ``path`` and return the file system path it names."""
        if self._is_local:
            return os.fspath(safe_local_path(self._root, path, allow_empty=allow_empty))
        relative = vet_path(path, allow_empty=allow_empty)
        if not relative:
            return self._root
        return f"{self._root}/{relative}" if self._root else relative

    def _writable_target(self, path: str) -> str:
        target = self._target(path)
        if _is_reserved(vet_path(path)):
            raise ValidationError(
                f"unsafe artifact path {path!r}: names ending in {PARTIAL_SUFFIX!r} or folders "
                f"ending in {_PARTS_SUFFIX!r} that start with '.' are reserved for files being "
                "written and appended"
            )
        if self._fs.isdir(target):
            raise AlreadyExistsError(
                f"cannot write the file {path!r} in {self._uri}: a folder is there"
            )
        return target

    def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
        """Copy a local file into the store; see :meth:`ArtifactStore.put_file`."""
        if not os.path.isfile(local_path):
            raise NotFoundError(f"no local file {os.fspath(local_path)!r} to copy into the store")
        with map_exceptions(f"write {path!r} in {self._uri}", _WRITE_ERRORS):
            target = self._writable_target(path)
            if self._is_local:
                with open(local_path, "rb") as source:
                    _replace_local_file(target, lambda out: shutil.copyfileobj(source, out))
            else:
                self._fs.put_file(os.fspath(local_path), target)
                self._drop_parts(target)

    def put_bytes(self, path: str, data: bytes) -> None:
        """Store bytes as a file; see :meth:`ArtifactStore.put_bytes`."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValidationError(f"data for {path!r} must be bytes, not {type(data).__name__}")
        with map_exceptions(f"write {path!r} in {self._uri}", _WRITE_ERRORS):
            target = self._writable_target(path)
            if self._is_local:
                _replace_local_file(target, lambda out: out.write(data))
            else:
                self._fs.pipe_file(target, bytes(data))
                self._drop_parts(target)

    def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """Return a file's content or a byte range of it; see :meth:`ArtifactStore.get_bytes`.

        A local file is opened once and read from ``start``. Elsewhere the file's size is
        asked first (drivers differ on ranges past the end: S3 answers an error, and an empty
        range would read the whole object), then the clamped range is read with ranged
        requests (``cat_file(path, start, end)``), one per stored piece it covers.
        """
        first, last = check_range(start, end)
        target = self._target(path)
        with map_exceptions(f"read {path!r} from {self._uri}", _READ_ERRORS):
            if self._is_local:
                if start is None and end is None:
                    return bytes(self._fs.cat_file(target))
                with open(target, "rb") as source:
                    source.seek(first)
                    return source.read() if last is None else source.read(last - first)
            pieces = self._pieces(path, target)
            if start is None and end is None and len(pieces) == 1:
                return bytes(self._fs.cat_file(target))
            size = sum(piece_size for _name, piece_size in pieces)
            last = size if last is None else min(last, size)
            content = bytearray()
            piece_start = 0
            for name, piece_size in pieces:
                low, high = max(first, piece_start), min(last, piece_start + piece_size)
                if low < high:
                    content += self._fs.cat_file(
                        name, start=low - piece_start, end=high - piece_start
                    )
                piece_start += piece_size
            return bytes(content)

    def _pieces(self, path: str, target: str) -> list[tuple[str, int]]:
        """The objects that hold the file ``target`` in order, with their sizes: the file
        itself, then the parts appended to it (object stores only)."""
        info = self._fs.info(target)
        if info.get("type") != "file":
            raise NotFoundError(f"no file at {path!r} in {self._uri} (a folder is there)")
        pieces = [(target, int(info["size"]))]
        if self._append_as_parts:
            parts = self._parts(target)
            pieces += [(name, int(parts[name]["size"])) for name in sorted(parts)]
        return pieces

    def _parts(self, target: str) -> dict[str, Any]:
        folder = _parts_folder(target)
        # Parts written by another process must be seen: no listing cache.
        self._fs.invalidate_cache(folder)
        try:
            found: dict[str, Any] = self._fs.find(folder, withdirs=False, detail=True)
        except FileNotFoundError:
            return {}
        return found

    def _drop_parts(self, target: str) -> None:
        """Delete the parts appended to ``target`` (after it was replaced or deleted)."""
        if not self._append_as_parts:
            return
        with self._parts_lock:
            self._next_part.pop(target, None)
        if self._parts(target):
            self._fs.rm(_parts_folder(target), recursive=True)

    def append_bytes(self, path: str, data: bytes) -> None:
        """Add bytes to the end of a file; see :meth:`AppendableArtifactStore.append_bytes`.

        A local file is opened for appending, written and synced; in memory the driver's own
        append (mode ``"ab"``) is used. Object stores have no append (s3fs's mode ``"ab"``
        re-uploads a file under 5 MiB whole and copies a larger one on the server at each
        append), so there each append is written once as its own object, a numbered part in
        the hidden folder ``.<name>.runlab-parts/`` beside the file, and every read of this
        store joins the file and its parts; replacing or deleting the file drops them. So an
        append costs its own bytes everywhere; on an object store a whole read costs one
        request per part, and other tools see only the file's first piece. Listings never
        show parts, and paths inside a parts folder cannot be written.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise ValidationError(f"data for {path!r} must be bytes, not {type(data).__name__}")
        with map_exceptions(f"append to {path!r} in {self._uri}", _WRITE_ERRORS):
            target = self._writable_target(path)
            if self._is_local:
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "ab") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            elif not self._append_as_parts:
                with self._fs.open(target, "ab") as out:
                    out.write(bytes(data))
            elif not self._fs.isfile(target):
                # Parts left by a file deleted half way must not join the new one.
                self._drop_parts(target)
                self._fs.pipe_file(target, bytes(data))
            elif data:
                self._fs.pipe_file(
                    f"{_parts_folder(target)}/{self._take_part(target):012d}", bytes(data)
                )

    def _take_part(self, target: str) -> int:
        with self._parts_lock:
            number = self._next_part.get(target)
            if number is None:
                names = [name.rpartition("/")[2] for name in self._parts(target)]
                number = max((int(name) for name in names if name.isdigit()), default=0) + 1
            self._next_part[target] = number + 1
            return number

    def get_file(self, path: str, local_path: str | os.PathLike[str]) -> None:
        """Copy a file out of the store; see :meth:`ArtifactStore.get_file`."""
        target = self._target(path)
        # Opened before the local file, so a missing artifact leaves nothing behind locally.
        with map_exceptions(f"read {path!r} from {self._uri}", _READ_ERRORS):
            pieces = [(target, 0)] if self._is_local else self._pieces(path, target)
            source = self._fs.open(target, "rb")
        with (
            source,
            map_exceptions(f"copy {path!r} from {self._uri} to {os.fspath(local_path)!r}"),
        ):
            os.makedirs(os.path.dirname(os.path.abspath(local_path)), exist_ok=True)
            # Whole or not at all; no fsync: a download lost to a crash is fetched again.
            with partial_file(local_path, sync=False) as out:
                shutil.copyfileobj(source, out.file)
                for name, _size in pieces[1:]:
                    with self._fs.open(name, "rb") as part:
                        shutil.copyfileobj(part, out.file)
                out.commit()

    def exists(self, path: str) -> bool:
        """Return whether a file is at ``path``; see :meth:`ArtifactStore.exists`."""
        target = self._target(path)
        with map_exceptions(f"check {path!r} in {self._uri}"):
            return bool(self._fs.isfile(target))

    def list_files(self, prefix: str = "") -> list[str]:
        """List the files below a folder; see :meth:`ArtifactStore.list_files`."""
        folder = vet_path(prefix, allow_empty=True)
        target = self._target(folder, allow_empty=True)
        with map_exceptions(f"list {prefix!r} in {self._uri}"):
            if self._is_local:
                candidates = self._walk_local(folder, target)
            elif self._fs.isdir(target):
                candidates = [
                    self._relative(name)
                    for name in self._fs.find(target, withdirs=False, detail=False)
                ]
            else:
                candidates = []
        return sorted(name for name in candidates if self._is_listable(name))

    def _walk_local(self, folder: str, top: str) -> list[str]:
        # Links leaving the root are skipped: the store cannot read them (safe_local_path).
        found = walk_files(top, links="skip", within=self._root)
        return [f"{folder}/{file.relative}" if folder else file.relative for file in found]

    def _relative(self, name: str) -> str:
        return name[len(self._root) :].lstrip("/") if self._root else name.lstrip("/")

    def _is_listable(self, name: str) -> bool:
        """Return whether ``name`` can be addressed through this store, and is no partial."""
        if _is_reserved(name):
            return False
        try:
            if self._is_local:
                # Refuses links leading outside the root as well as odd names.
                safe_local_path(self._root, name)
            return vet_path(name) == name
        except ValidationError:
            return False

    def delete(self, path: str) -> None:
        """Delete a file or a folder; see :meth:`ArtifactStore.delete`."""
        target = self._target(path)
        with map_exceptions(f"delete {path!r} from {self._uri}", _READ_ERRORS):
            if self._is_local and os.path.islink(target):
                # The link itself goes; rmtree would refuse a link and the target is not ours.
                os.unlink(target)
            elif self._fs.isfile(target):
                self._fs.rm_file(target)
                self._drop_parts(target)
            elif self._fs.isdir(target):
                self._fs.rm(target, recursive=True)
            else:
                raise NotFoundError(f"nothing to delete at {path!r} in {self._uri}")

    def size(self, path: str) -> int:
        """Return a file's size in bytes; see :meth:`ArtifactStore.size`."""
        target = self._target(path)
        with map_exceptions(f"read the size of {path!r} in {self._uri}", _READ_ERRORS):
            return sum(piece_size for _name, piece_size in self._pieces(path, target))
