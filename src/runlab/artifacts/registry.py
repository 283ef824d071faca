"""Choosing an artifact store by the scheme of its URI.

Schemes are looked up in a table: built-in ones, ones registered with
:func:`register_artifact_store`, and ones that installed packages declare as entry points in
the group ``runlab.artifact_stores`` (name: the scheme; object: a factory). A scheme nobody
claims goes to :class:`~runlab.artifacts.FsspecArtifactStore`, since fsspec knows many.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from runlab.artifacts.base import ArtifactStore
from runlab.artifacts.fsspec_store import FsspecArtifactStore
from runlab.errors import BackendError, ValidationError

__all__ = [
    "ENTRY_POINT_GROUP",
    "ArtifactStoreFactory",
    "open_artifact_store",
    "register_artifact_store",
]

ENTRY_POINT_GROUP = "runlab.artifact_stores"

# A scheme is what comes before "://" (RFC 3986 letters). Anything else, a local path, a
# Windows path such as "C:\\data" or an fsspec chain such as "simplecache::s3://...", has none.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


#: Anything that opens an artifact store, called as ``factory(uri, **options)``; usually an
#: ``ArtifactStore`` subclass. ``...`` rather than a Protocol with ``(uri, /, **options)``, so
#: that classes whose ``uri`` may also be passed by keyword fit it.
ArtifactStoreFactory = Callable[..., ArtifactStore]


def _rest_store(uri: str, **options: Any) -> ArtifactStore:
    # Imported on first use: httpx is an optional dependency (the ``server`` extra). An
    # http(s) artifact root is a runlab server, not fsspec's read-only HTTP file system.
    try:
        from runlab.artifacts.rest import RestArtifactStore
    except ImportError as error:
        raise ValidationError(
            f"{uri} names a runlab server; talking to one needs httpx: pip install 'runlab[server]'"
        ) from error
    return RestArtifactStore(uri, **options)


_lock = threading.Lock()
_factories: dict[str, ArtifactStoreFactory] = {
    "": FsspecArtifactStore,
    "file": FsspecArtifactStore,
    "http": _rest_store,
    "https": _rest_store,
}
# Entry points are read once, the first time a scheme is not in _factories, so importing
# runlab never scans the installed distributions.
_entry_points: dict[str, EntryPoint] | None = None


def _scheme_of(uri: str) -> str:
    match = _SCHEME.match(uri)
    return match.group(1).lower() if match else ""


def register_artifact_store(scheme: str, factory: ArtifactStoreFactory) -> None:
    """Make :func:`open_artifact_store` open URIs of ``scheme`` with ``factory``.

    A later registration of the same scheme replaces the earlier one, and a registration
    always wins over an entry point of the same name.

    Args:
        scheme: the URI scheme, e.g. ``"runlab"`` for ``runlab://host/...``; case-insensitive.
            ``""`` stands for URIs without a scheme (local paths).
        factory: called as ``factory(uri, **options)``; usually an ``ArtifactStore`` subclass.

    Raises:
        ValidationError: if ``scheme`` is not a valid URI scheme or ``factory`` is not callable.

    Example:
        >>> register_artifact_store("runlab", RestArtifactStore)  # doctest: +SKIP
    """
    if not isinstance(scheme, str) or (scheme and not _SCHEME.match(f"{scheme}://")):
        raise ValidationError(
            f"not a URI scheme: {scheme!r}; expected letters, digits, '+', '-' or '.', "
            "starting with a letter"
        )
    if not callable(factory):
        raise ValidationError(f"artifact store factory for {scheme!r} is not callable")
    with _lock:
        _factories[scheme.lower()] = factory


def _factory_from_entry_point(scheme: str) -> ArtifactStoreFactory | None:
    global _entry_points
    with _lock:
        if _entry_points is None:
            _entry_points = {
                entry_point.name.lower(): entry_point
                for entry_point in entry_points(group=ENTRY_POINT_GROUP)
            }
        entry_point = _entry_points.get(scheme)
    if entry_point is None:
        return None
    try:
        factory = entry_point.load()
    except Exception as exc:
        raise BackendError(
            f"cannot load the artifact store for {scheme}:// from entry point "
            f"{entry_point.value!r} ({ENTRY_POINT_GROUP}): {type(exc).__name__}: {exc}"
        ) from exc
    if not callable(factory):
        raise BackendError(
            f"entry point {entry_point.value!r} for {scheme}:// ({ENTRY_POINT_GROUP}) "
            "is not callable"
        )
    with _lock:
        # A registration made meanwhile wins; setdefault keeps it.
        return _factories.setdefault(scheme, factory)


def open_artifact_store(uri: str, **options: Any) -> ArtifactStore:
    """Open the artifact store that ``uri`` names.

    Args:
        uri: a local path, ``file://`` URL, ``memory://``, ``s3://`` ... or a scheme registered
            by :func:`register_artifact_store` or an entry point.
        **options: passed to the store's factory (for fsspec URLs: storage options).

    Returns:
        The store, opened.

    Raises:
        ValidationError: if ``uri`` is not a non-empty string or the store refuses it.
        BackendError: if a plugin fails to load or the backend fails to open, e.g. because the
            fsspec driver is not installed (the message names the package).

    Example:
        >>> store = open_artifact_store("memory://docs/artifacts")
        >>> store.uri
        'memory://docs/artifacts'
    """
    if not isinstance(uri, str) or not uri.strip():
        raise ValidationError(f"artifact store URI must be a non-empty str, not {uri!r}")
    scheme = _scheme_of(uri)
    with _lock:
        factory = _factories.get(scheme)
    if factory is None:
        factory = _factory_from_entry_point(scheme) or FsspecArtifactStore
    return factory(uri, **options)
