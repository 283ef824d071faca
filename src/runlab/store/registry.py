"""Open a metadata store by URI: a registry keyed by URI scheme, open to entry points.

Third-party backends register under the ``runlab.metadata_stores`` entry-point group with a
callable that takes the URI and returns a :class:`MetadataStore`.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata as importlib_metadata

from runlab.errors import ValidationError
from runlab.store.base import MetadataStore

__all__ = ["mask_uri", "open_metadata_store", "register_metadata_store"]

StoreFactory = Callable[[str], MetadataStore]
ENTRY_POINT_GROUP = "runlab.metadata_stores"

_factories: dict[str, StoreFactory] = {}


def _sql_store(uri: str) -> MetadataStore:
    # Imported on first use: SQLAlchemy costs a tenth of a second to import.
    from runlab.store.sql import SqlMetadataStore

    return SqlMetadataStore(uri)


for _scheme in ("sqlite", "postgresql", "postgres", "postgresql+psycopg"):
    _factories[_scheme] = _sql_store


def _rest_store(uri: str) -> MetadataStore:
    # Imported on first use: httpx is an optional dependency (the ``server`` extra).
    try:
        from runlab.store.rest import RestMetadataStore
    except ImportError as error:
        raise ValidationError(
            f"{uri} names a runlab server; talking to one needs httpx: pip install 'runlab[server]'"
        ) from error
    return RestMetadataStore(uri)


for _scheme in ("http", "https"):
    _factories[_scheme] = _rest_store


def register_metadata_store(scheme: str, factory: StoreFactory) -> None:
    """Make ``open_metadata_store`` open URIs of ``scheme`` with ``factory``."""
    _factories[scheme.lower()] = factory


def _scheme_of(uri: str) -> str:
    scheme, separator, _rest = uri.partition("://")
    if not separator or not scheme:
        raise ValidationError(
            f"{uri!r} is not a metadata store URI: use sqlite:///PATH,"
            " postgresql://USER@HOST/DB or the URL of a runlab server"
        )
    return scheme.lower()


def open_metadata_store(uri: str) -> MetadataStore:
    """The metadata store at ``uri``, by its scheme.

    Raises:
        ValidationError: no backend knows the scheme, or the URI is malformed.
        BackendError: the store cannot be opened.
    """
    scheme = _scheme_of(uri)
    factory = _factories.get(scheme)
    if factory is None:
        for entry_point in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            _factories.setdefault(entry_point.name.lower(), entry_point.load())
        factory = _factories.get(scheme)
    if factory is None:
        known = ", ".join(sorted(_factories))
        raise ValidationError(f"no metadata store handles {scheme}:// URIs (known: {known})")
    return factory(uri)


def mask_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, safe to show and log."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:
        return uri
    if not password:
        return uri
    userinfo, _, hostinfo = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostinfo}"))
