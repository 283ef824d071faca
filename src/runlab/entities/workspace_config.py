"""What a workspace's config says about where it is: the one answer to "is this workspace
served over HTTP?", and whether its artifacts are on this machine only.

A workspace is where its metadata is: it is *served over HTTP* when its metadata store is
a runlab server's REST API (``store_uri`` is ``http(s)://...``), whatever its artifact store
is (the same server, an object store, or a local folder). Everything that asks (a job's
token, ``Workspace.location``, whether a Ray cluster on another machine may run its jobs,
where an attached cluster keeps its files) asks :func:`server_url`.

No I/O: these read a config mapping (``Workspace.to_dict()``) and nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["HTTP_SCHEMES", "artifacts_on_this_machine", "server_url"]

HTTP_SCHEMES = ("http://", "https://")
"""The URI prefixes of a store reached through a runlab server."""


def server_url(config: Mapping[str, object]) -> str | None:
    """The runlab server's URL when the workspace is served over HTTP, else None.

    Args:
        config: a workspace config (``Workspace.to_dict()``): its ``store_uri`` decides.

    Example:
        >>> server_url({"store_uri": "http://127.0.0.1:8765", "artifact_uri": "/data/art"})
        'http://127.0.0.1:8765'
        >>> server_url({"store_uri": "sqlite:///ws/runlab.db", "artifact_uri": "http://h:1"})
    """
    store_uri = str(config.get("store_uri", ""))
    return store_uri if store_uri.startswith(HTTP_SCHEMES) else None


def artifacts_on_this_machine(config: Mapping[str, object]) -> bool:
    """Whether the workspace's artifacts are on this machine only (a plain path, a
    ``file://`` URL, or ``memory://``), where a job on another machine cannot reach them.

    Args:
        config: a workspace config (``Workspace.to_dict()``): its ``artifact_uri`` decides.

    Example:
        >>> artifacts_on_this_machine({"artifact_uri": "s3://bucket/ws"})
        False
    """
    artifact_uri = str(config.get("artifact_uri", ""))
    return "://" not in artifact_uri or artifact_uri.startswith(("file://", "memory://"))
