"""An fsspec file system over a workspace's :class:`ArtifactStore`, for the ``workspace://``
datastores of a workspace served by ``runlab server``.

There the artifact root is the server's URL, which no fsspec driver writes to: the files of
``workspaceblobstore`` go through the server's artifact API instead, as the runs' files do.
Paths are artifact paths ('/'-separated, relative to the artifact root).
"""

from __future__ import annotations

import io
import os
import tempfile
from types import TracebackType
from typing import Any

from fsspec.spec import AbstractBufferedFile, AbstractFileSystem

from runlab.artifacts import ArtifactStore
from runlab.errors import NotFoundError

__all__ = ["ArtifactFileSystem"]


class _Reader(AbstractBufferedFile):  # type: ignore[misc]
    """A file read in ranges (``GET`` with ``Range``), never whole in memory."""

    def _fetch_range(self, start: int, end: int) -> bytes:
        store: ArtifactStore = self.fs.store
        return store.get_bytes(self.path, start, end) if end > start else b""


class _Writer(io.BufferedRandom):
    """A file written to a local temporary file and sent whole when closed."""

    def __init__(self, store: ArtifactStore, path: str) -> None:
        handle, self._local = tempfile.mkstemp(prefix=".runlab-upload-")
        super().__init__(io.FileIO(handle, "w+b"))
        self._store, self._path, self._failed = store, path, False

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._failed = kind is not None  # a write that failed half-way is not sent
        super().__exit__(kind, error, trace)

    def discard(self) -> None:
        """Close without sending anything (a copy that failed half-way)."""
        self._failed = True
        self.close()

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()
            if not self._failed:
                self._store.put_file(self._local, self._path)
        finally:
            os.unlink(self._local)


class ArtifactFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """The files of ``store`` as an fsspec file system (what :class:`DatastoreFiles` uses).

    Args:
        store: the workspace's artifact store (a ``RestArtifactStore`` in practice).
    """

    protocol = "runlab-artifacts"
    cachable = False

    def __init__(self, store: ArtifactStore) -> None:
        super().__init__()
        self.store = store

    @staticmethod
    def _key(path: str) -> str:
        return str(path).strip("/")

    def info(self, path: str, **_kwargs: Any) -> dict[str, Any]:
        key = self._key(path)
        if key and self.store.exists(key):
            return {"name": key, "size": self.store.size(key), "type": "file"}
        if key == "" or self.store.list_files(key + "/"):
            return {"name": key, "size": 0, "type": "directory"}
        raise FileNotFoundError(key)

    def ls(self, path: str, detail: bool = True, **_kwargs: Any) -> list[Any]:
        key = self._key(path)
        prefix = f"{key}/" if key else ""
        children: dict[str, dict[str, Any]] = {}
        for name in self.store.list_files(prefix):
            head, _, rest = name[len(prefix) :].partition("/")
            child = prefix + head
            if rest:
                children.setdefault(child, {"name": child, "size": 0, "type": "directory"})
            else:
                children[child] = {"name": child, "size": self.store.size(child), "type": "file"}
        if not children:
            if key and self.store.exists(key):
                return [self.info(key)] if detail else [key]
            raise FileNotFoundError(key)
        entries = [children[name] for name in sorted(children)]
        return entries if detail else [entry["name"] for entry in entries]

    def find(
        self, path: str, maxdepth: int | None = None, withdirs: bool = False, **kwargs: Any
    ) -> Any:
        """Every file below ``path``, in one listing request (folders are not stored)."""
        key = self._key(path)
        names = sorted(self.store.list_files(f"{key}/" if key else ""))
        if not kwargs.get("detail"):
            return names
        return {
            name: {"name": name, "size": self.store.size(name), "type": "file"} for name in names
        }

    def isfile(self, path: str) -> bool:
        key = self._key(path)
        return bool(key) and self.store.exists(key)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Nothing to do: folders exist through the files in them."""

    def invalidate_cache(self, path: str | None = None) -> None:
        """Nothing is cached."""

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **_kwargs: Any
    ) -> bytes:
        try:
            return self.store.get_bytes(self._key(path), start, end)
        except NotFoundError as error:
            raise FileNotFoundError(self._key(path)) from error

    def pipe_file(self, path: str, value: bytes, **_kwargs: Any) -> None:
        self.store.put_bytes(self._key(path), value)

    def rm_file(self, path: str) -> None:
        self.store.delete(self._key(path))

    def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
        key = self._key(path)
        if "r" in mode:
            return _Reader(self, key, mode, size=self.info(key)["size"], **kwargs)
        return _Writer(self.store, key)
