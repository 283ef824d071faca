"""A stored file, or a range of it, sent piece by piece: read from the artifact store with
ranged reads (:meth:`~runlab.artifacts.ArtifactStore.get_bytes`), never held whole."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from fastapi.responses import StreamingResponse

from runlab.artifacts import ArtifactStore

__all__ = ["PIECE_BYTES", "stream_file"]

PIECE_BYTES = 1024 * 1024
"""How much of a file is read from the store and sent at once."""


def _pieces(store: ArtifactStore, path: str, start: int, end: int) -> Iterator[bytes]:
    """The bytes ``[start, end)`` of ``path``. The first piece is read at once, before the
    answer starts, so a missing file is a 404 rather than a cut-off body."""
    head = store.get_bytes(path, start, min(start + PIECE_BYTES, end))

    def rest() -> Iterator[bytes]:
        yield head
        position = start + len(head)
        while position < end:
            piece = store.get_bytes(path, position, min(position + PIECE_BYTES, end))
            if not piece:
                return  # the file shrank meanwhile: end the body where it ends
            yield piece
            position += len(piece)

    return rest()


def stream_file(
    store: ArtifactStore,
    path: str,
    *,
    media_type: str,
    headers: Mapping[str, str] | None = None,
    start: int = 0,
    end: int | None = None,
    status_code: int = 200,
) -> StreamingResponse:
    """An answer sending the bytes ``[start, end)`` of ``path`` (``end``: the file's size),
    with its ``Content-Length``.

    Raises:
        NotFoundError: no file at ``path``.
    """
    stop = store.size(path) if end is None else end
    return StreamingResponse(
        _pieces(store, path, start, stop),
        status_code=status_code,
        media_type=media_type,
        headers={**(headers or {}), "Content-Length": str(stop - start)},
    )
