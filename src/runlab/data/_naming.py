"""What a datastore's URL is called in the Azure ML SDK's terms: its type, account and container.

Read from the URL and the storage options alone; no file system is opened.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Mapping
from typing import Any

__all__ = ["account_name", "container_name", "datastore_type"]

_LOCAL_PROTOCOLS = {"file", "local"}
_S3_PROTOCOLS = {"s3", "s3a"}
AWS_S3_HOST = "s3.amazonaws.com"
"""The account of an S3 datastore whose options name no ``endpoint_url``."""


def _target(url: str) -> str:
    # A chained fsspec URL ("simplecache::s3://bucket/x"): the last link holds the bytes.
    return url.split("::")[-1]


def _protocol(url: str) -> str:
    target = _target(url)
    return target.split("://", 1)[0].lower() if "://" in target else "file"


def datastore_type(url: str) -> str:
    """``"LocalFolder"`` for a local folder (a path, ``file://``), ``"S3"`` for ``s3://``
    (and ``s3a://``), else the URL's fsspec protocol (``"gs"``, ``"memory"``, ...)."""
    protocol = _protocol(url)
    if protocol in _LOCAL_PROTOCOLS:
        return "LocalFolder"
    if protocol in _S3_PROTOCOLS:
        return "S3"
    return protocol


def account_name(url: str, options: Mapping[str, Any]) -> str | None:
    """This machine's host name for a local folder; for S3 the ``host:port`` of the
    ``endpoint_url`` option (top level or in ``client_kwargs``), else ``s3.amazonaws.com``;
    for any other URL the ``account_name`` option, else None."""
    protocol = _protocol(url)
    if protocol in _LOCAL_PROTOCOLS:
        return socket.gethostname()
    if protocol in _S3_PROTOCOLS:
        client_kwargs = options.get("client_kwargs")
        endpoint = options.get("endpoint_url")
        if endpoint is None and isinstance(client_kwargs, Mapping):
            endpoint = client_kwargs.get("endpoint_url")
        if isinstance(endpoint, str) and endpoint:
            return urllib.parse.urlsplit(endpoint).netloc.rpartition("@")[2] or endpoint
        return AWS_S3_HOST
    account = options.get("account_name")
    return account if isinstance(account, str) else None


def container_name(url: str) -> str | None:
    """The folder for a local folder; otherwise what follows ``scheme://`` up to the next
    ``/`` (before any ``@``): the bucket or container of an object store. None when empty."""
    target = _target(url)
    if _protocol(url) in _LOCAL_PROTOCOLS:
        return target.split("://", 1)[1] if "://" in target else target
    netloc = urllib.parse.urlsplit(target).netloc
    return netloc.partition("@")[0] or None
