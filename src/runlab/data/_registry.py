"""Where datastores are: checking URLs, resolving ``workspace://``, the default datastore."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runlab.artifacts import FsspecArtifactStore, vet_path
from runlab.data._artifact_fs import ArtifactFileSystem
from runlab.data._storage import DatastoreFiles
from runlab.data.credentials import is_secret_option
from runlab.entities.datastore import DatastoreRecord
from runlab.errors import AlreadyExistsError, ValidationError

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = [
    "DEFAULT_DATASTORE_NAME",
    "WORKSPACE_SCHEME",
    "check_url",
    "ensure_default",
    "open_files",
    "root_url",
]

DEFAULT_DATASTORE_NAME = "workspaceblobstore"
"""The default datastore every workspace has (the Azure ML SDK's name for it)."""

WORKSPACE_SCHEME = "workspace://"
"""A datastore URL ``workspace://PATH`` is PATH inside the workspace's artifact root, wherever
that root is (so a workspace folder can move, and a job elsewhere finds the same data)."""

_DEFAULT_URL = f"{WORKSPACE_SCHEME}datastores/{DEFAULT_DATASTORE_NAME}"


def check_url(name: str, url: object) -> str:
    """The URL to record for a datastore: a local folder made absolute, others as given.

    Raises:
        ValidationError: not a URL, or one that holds a credential.
    """
    if isinstance(url, os.PathLike):
        url = os.fspath(url)
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"datastore {name!r} needs a URL or a local folder, not {url!r}")
    if url.startswith(WORKSPACE_SCHEME):
        return WORKSPACE_SCHEME + vet_path(url[len(WORKSPACE_SCHEME) :], allow_empty=True)
    if "://" not in url and "::" not in url:
        # A local folder, kept absolute: relative to what, otherwise, when read later?
        return os.path.abspath(os.path.expanduser(url))
    parts = urllib.parse.urlsplit(url)
    if parts.password or any(is_secret_option(key) for key in urllib.parse.parse_qs(parts.query)):
        # Refused without quoting the URL: it holds a credential.
        raise ValidationError(
            f"the URL of datastore {name!r} holds a credential; pass it as a storage option"
            " (e.g. password=..., sas_token=...), which runlab keeps out of the metadata store"
        )
    return url


def open_files(
    workspace: Workspace, url: str, options: Mapping[str, Any], describe: str
) -> DatastoreFiles:
    """The files of the datastore at ``url``.

    A ``workspace://`` datastore of a workspace whose artifact root no fsspec driver can write
    (a ``runlab server``'s URL) goes through the workspace's artifact store, as run files do.
    """
    if url.startswith(WORKSPACE_SCHEME):
        artifacts = workspace.artifacts
        if not isinstance(artifacts, FsspecArtifactStore):
            relative = url[len(WORKSPACE_SCHEME) :]
            return DatastoreFiles(relative, {}, describe, file_system=ArtifactFileSystem(artifacts))
    return DatastoreFiles(root_url(workspace, url), options, describe)


def root_url(workspace: Workspace, url: str) -> str:
    if not url.startswith(WORKSPACE_SCHEME):
        return url
    relative = url[len(WORKSPACE_SCHEME) :]
    root = workspace.artifact_uri
    if "://" in root:
        return f"{root.rstrip('/')}/{relative}" if relative else root
    return os.path.join(root, *relative.split("/")) if relative else root


def ensure_default(workspace: Workspace) -> DatastoreRecord:
    """The default datastore's record, creating ``workspaceblobstore`` as the default when
    there is none (the first use, or after the default was unregistered)."""
    store = workspace.store
    for _attempt in range(3):
        records = store.list_datastores()
        for record in records:
            if record.is_default:
                return record
        if any(record.name == DEFAULT_DATASTORE_NAME for record in records):
            return store.set_default_datastore(DEFAULT_DATASTORE_NAME)
        try:
            return store.create_datastore(DEFAULT_DATASTORE_NAME, _DEFAULT_URL, is_default=True)
        except AlreadyExistsError:
            continue  # another process created it just now: read again
    return store.set_default_datastore(DEFAULT_DATASTORE_NAME)
