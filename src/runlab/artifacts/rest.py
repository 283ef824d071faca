"""``RestArtifactStore``: the artifact store of a workspace served by ``runlab server``.

Files are streamed both ways (``GET``/``PUT /api/artifacts/<path>``): a local file is sent
as it is read, and a download is written to a hidden partial file beside its destination and
renamed once whole, so nothing appears locally when the server answers an error. Every path
is vetted here before a request is made, and again by the server.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any
from urllib.parse import quote

from runlab._files import partial_file
from runlab.artifacts.base import ArtifactStore, check_range
from runlab.artifacts.paths import vet_path
from runlab.errors import BackendError, NotFoundError, ValidationError
from runlab.store._http import ServerClient, http_timeout, server_client

__all__ = ["RestArtifactStore"]

_CHUNK = 1024 * 1024


def _url(path: str) -> str:
    return "/api/artifacts/" + quote(path, safe="/")


class RestArtifactStore(ArtifactStore):
    """An :class:`ArtifactStore` whose root is the artifact store of a runlab server.

    Args:
        uri: the server's base URL (``http://host:8765``).
        token: a bearer token; default: the ``RUNLAB_TOKEN`` environment variable.
        timeout: seconds to wait for the server; default: ``RUNLAB_HTTP_TIMEOUT_S``,
            else 300.
        client: a connection pool to share (with a ``RestMetadataStore`` of the same server);
            closing either store closes it. Default: a pool of this store's own.
        **_options: accepted for :func:`runlab.artifacts.open_artifact_store`, ignored.

    Example:
        >>> store = RestArtifactStore("http://127.0.0.1:8765")  # doctest: +SKIP
        >>> store.put_bytes("notes/a.txt", b"hello")  # doctest: +SKIP
    """

    def __init__(
        self,
        uri: str,
        *,
        token: str | None = None,
        timeout: float | None = None,
        client: ServerClient | None = None,
        **_options: Any,
    ) -> None:
        timeout = http_timeout(300.0) if timeout is None else timeout
        self._server = server_client(uri, token, timeout, client)
        self._timeout = timeout

    @property
    def uri(self) -> str:
        """The server's base URL."""
        return self._server.url

    @property
    def client(self) -> ServerClient:
        """The connection pool this store talks through (to share with another store)."""
        return self._server

    def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
        """See :meth:`ArtifactStore.put_file`; the file is streamed, not read whole."""
        clean = vet_path(path)
        if not os.path.isfile(local_path):
            raise NotFoundError(f"no local file {os.fspath(local_path)!r} to store as {clean!r}")
        try:
            with open(local_path, "rb") as file, self._server.boundary():
                response = self._server.http.put(_url(clean), content=file, timeout=self._timeout)
        except OSError as error:
            raise BackendError(f"cannot read {os.fspath(local_path)!r}: {error}") from error
        self._server.check(response)

    def put_bytes(self, path: str, data: bytes) -> None:
        """See :meth:`ArtifactStore.put_bytes`."""
        clean = vet_path(path)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(f"put_bytes takes bytes, not {type(data).__name__}")
        with self._server.boundary():
            response = self._server.http.put(
                _url(clean), content=bytes(data), timeout=self._timeout
            )
        self._server.check(response)

    def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        """See :meth:`ArtifactStore.get_bytes`; a range is asked with an HTTP ``Range`` header.

        The server answers 206 with the range, or 416 when ``start`` is at or past the end of
        the file (``b""`` here). A server that ignores ``Range`` (200) is sliced here.
        """
        clean = vet_path(path)
        first, last = check_range(start, end)
        if start is None and end is None:
            with self._server.boundary():
                response = self._server.http.get(_url(clean), timeout=self._timeout)
            self._server.check(response)
            return response.content
        if last is not None and first >= last:
            # No byte range can say "nothing"; the size says whether the file is there.
            self.size(clean)
            return b""
        wanted = f"bytes={first}-" if last is None else f"bytes={first}-{last - 1}"
        with self._server.boundary():
            response = self._server.http.get(
                _url(clean), headers={"Range": wanted}, timeout=self._timeout
            )
        if response.status_code == 416:
            return b""
        self._server.check(response)
        if response.status_code == 206:
            return response.content
        return response.content[first:last]

    def append_bytes(self, path: str, data: bytes) -> None:
        """See :meth:`AppendableArtifactStore.append_bytes`: the server appends to its own
        store (``POST /api/artifact-append``), and only ``data`` travels."""
        clean = vet_path(path)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ValidationError(f"append_bytes takes bytes, not {type(data).__name__}")
        with self._server.boundary():
            response = self._server.http.post(
                "/api/artifact-append",
                params={"path": clean},
                content=bytes(data),
                timeout=self._timeout,
            )
        self._server.check(response)

    def get_file(self, path: str, local_path: str | os.PathLike[str]) -> None:
        """See :meth:`ArtifactStore.get_file`; the file is streamed to disk."""
        clean = vet_path(path)
        target = pathlib.Path(local_path)
        with (
            self._server.boundary(),
            self._server.http.stream("GET", _url(clean), timeout=self._timeout) as response,
        ):
            self._server.check(response)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                # No fsync: a download lost to a crash of the machine is fetched again.
                with partial_file(target, sync=False) as partial:
                    for chunk in response.iter_bytes(_CHUNK):
                        partial.write(chunk)
                    partial.commit()
            except OSError as error:
                raise BackendError(f"cannot write {os.fspath(target)!r}: {error}") from error

    def exists(self, path: str) -> bool:
        """See :meth:`ArtifactStore.exists`."""
        answer = self._server.request(
            "GET", "/api/artifact-exists", params={"path": vet_path(path)}, timeout=self._timeout
        )
        return bool(answer["exists"])

    def list_files(self, prefix: str = "") -> list[str]:
        """See :meth:`ArtifactStore.list_files`."""
        folder = vet_path(prefix, allow_empty=True)
        answer = self._server.request(
            "GET", "/api/artifact-list", params={"prefix": folder}, timeout=self._timeout
        )
        return [str(name) for name in answer]

    def delete(self, path: str) -> None:
        """See :meth:`ArtifactStore.delete`."""
        self._server.request("DELETE", _url(vet_path(path)), timeout=self._timeout)

    def size(self, path: str) -> int:
        """See :meth:`ArtifactStore.size`."""
        answer = self._server.request(
            "GET", "/api/artifact-size", params={"path": vet_path(path)}, timeout=self._timeout
        )
        return int(answer["size"])

    def close(self) -> None:
        """Close the connection pool (shared with any store given the same client); after
        this every method raises :class:`~runlab.errors.InvalidStateError`."""
        self._server.close()
