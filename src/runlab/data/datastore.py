"""``Datastore``: a named place for data (a local folder, a bucket, ...) that runs can read.

The metadata store keeps each datastore's name, URL and the storage options that are not
secret; credentials are kept apart (see :mod:`runlab.data.credentials`). Every workspace has a
default datastore, ``workspaceblobstore``, kept in its artifact root under
``datastores/workspaceblobstore/`` and created the first time anyone asks for datastores.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.artifacts import vet_path
from runlab.data import _naming, _plans, _registry
from runlab.data._manifest import Manifest
from runlab.data._moves import fetch_files, upload_files
from runlab.data._registry import DEFAULT_DATASTORE_NAME, ensure_default
from runlab.data._storage import DatastoreFiles
from runlab.data.credentials import (
    SecretsFile,
    mask_options,
    resolve_options,
    secrets_path,
    split_options,
)
from runlab.data.reference import DataReference, check_datastore_name
from runlab.entities.datastore import DatastoreRecord
from runlab.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = ["Datastore"]


class Datastore:
    """A named place for data: any fsspec URL (a local folder, ``s3://bucket/prefix`` with
    s3fs installed, ...) with its storage options.

    ``Datastore(workspace, name)`` opens a registered datastore, like :meth:`get`.

    Args:
        workspace: the workspace it is registered in.
        name: its name.

    Raises:
        NotFoundError: no datastore of that name is registered.

    Example:
        >>> ds = ws.get_default_datastore()  # doctest: +SKIP
        >>> ds.upload("./data", target_path="mnist", overwrite=True)  # doctest: +SKIP
        >>> args = ["--data-folder", ds.path("mnist").as_mount()]  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Workspace, name: str, *, _record: DatastoreRecord | None = None
    ) -> None:
        self._workspace = workspace
        if _record is None:
            if name == DEFAULT_DATASTORE_NAME:
                ensure_default(workspace)
            _record = workspace.store.get_datastore(check_datastore_name(name))
        self._record = _record
        self._files: DatastoreFiles | None = None

    # -- registering and finding -----------------------------------------------------------

    @classmethod
    def register(
        cls, workspace: Workspace, name: str, url: str | os.PathLike[str], **fsspec_options: Any
    ) -> Datastore:
        """Register a datastore in ``workspace``.

        Credentials among the options (``key``, ``secret``, ``token``, ``password``,
        ``account_key``, ``sas_token``, ``connection_string``, ``client_secret``, ... also
        nested inside ``client_kwargs``) go to the workspace's secrets file, never to the
        metadata store; see :mod:`runlab.data` for where they live and how the environment
        can supply them instead.

        Args:
            workspace: where to register it.
            name: its name: letters, digits and ``_``.
            url: a local folder (a path), ``s3://bucket/prefix``, ``memory://...``, any
                fsspec URL, or ``workspace://PATH`` for a folder in the workspace's artifact
                root.
            **fsspec_options: storage options for the fsspec file system, as JSON values,
                e.g. ``key``, ``secret``, ``client_kwargs={"endpoint_url": ...}``.

        Returns:
            The datastore.

        Raises:
            AlreadyExistsError: a datastore of that name exists.
            ValidationError: a bad or reserved name, a bad URL or one that holds a
                credential, options that are not JSON or do not fit the file system.
            BackendError: the file system's driver is not installed (the message names it).
        """
        if check_datastore_name(name) == DEFAULT_DATASTORE_NAME:
            raise ValidationError(
                f"{DEFAULT_DATASTORE_NAME!r} is the workspace's own datastore, in its artifact"
                " root: pick another name"
            )
        checked_url = _registry.check_url(name, url)
        plain, secret = split_options(name, fsspec_options)
        # Opening the file system checks the scheme, the driver and the options now rather
        # than at the first upload (object stores are not contacted until then).
        _registry.open_files(workspace, checked_url, fsspec_options, f"datastore {name!r}")
        secrets = SecretsFile(secrets_path(workspace.config_path))
        # The row first: its unique name is what reserves the name, so a losing racer never
        # overwrites the winner's credentials.
        record = workspace.store.create_datastore(name, checked_url, options=plain)
        if secret:
            try:
                secrets.put(name, secret)
            except BaseException:
                workspace.store.delete_datastore(name)
                raise
        return cls(workspace, name, _record=record)

    @classmethod
    def get(cls, workspace: Workspace, name: str) -> Datastore:
        """The datastore registered as ``name``.

        Raises:
            NotFoundError: there is none.
        """
        return cls(workspace, name)

    @classmethod
    def get_default(cls, workspace: Workspace) -> Datastore:
        """The workspace's default datastore (``workspaceblobstore`` unless changed)."""
        record = ensure_default(workspace)
        return cls(workspace, record.name, _record=record)

    @classmethod
    def set_default(cls, workspace: Workspace, name: str) -> Datastore:
        """Make ``name`` the workspace's default datastore.

        Raises:
            NotFoundError: no datastore of that name is registered.
        """
        ensure_default(workspace)
        record = workspace.store.set_default_datastore(check_datastore_name(name))
        return cls(workspace, record.name, _record=record)

    @classmethod
    def list_all(cls, workspace: Workspace) -> dict[str, Datastore]:
        """Every datastore of the workspace, by name (the default one included)."""
        ensure_default(workspace)
        return {
            record.name: cls(workspace, record.name, _record=record)
            for record in workspace.store.list_datastores()
        }

    def unregister(self) -> None:
        """Forget this datastore and its credentials; its files stay where they are.

        Raises:
            ValidationError: it is the workspace's own ``workspaceblobstore``.
            NotFoundError: it was unregistered already.
        """
        if self.name == DEFAULT_DATASTORE_NAME:
            raise ValidationError(f"{DEFAULT_DATASTORE_NAME!r} is the workspace's own datastore")
        self._workspace.store.delete_datastore(self.name)
        SecretsFile(secrets_path(self._workspace.config_path)).remove(self.name)

    # -- what it is ------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Its name."""
        return self._record.name

    @property
    def url(self) -> str:
        """Its URL as registered (``workspace://...`` for a folder in the artifact root)."""
        return self._record.url

    @property
    def root_url(self) -> str:
        """Where its files are now: the URL with ``workspace://`` resolved."""
        return _registry.root_url(self._workspace, self._record.url)

    @property
    def options(self) -> dict[str, Any]:
        """Its storage options, each credential shown as ``"***"``."""
        return mask_options(self._record.options)

    @property
    def is_default(self) -> bool:
        """Whether it was the workspace's default when it was read."""
        return self._record.is_default

    @property
    def created_time(self) -> datetime:
        """When it was registered, in UTC."""
        return datetime.fromtimestamp(self._record.created_time, UTC)

    @property
    def workspace(self) -> Workspace:
        """The workspace it is registered in."""
        return self._workspace

    @property
    def is_local(self) -> bool:
        """Whether its files are a folder on this machine (mounts read them in place)."""
        return self._storage.local_root is not None

    @property
    def datastore_type(self) -> str:
        """``"LocalFolder"``, ``"S3"``, or the fsspec protocol of :attr:`root_url` (the SDK's
        ``AzureBlob`` and the like)."""
        return _naming.datastore_type(self.root_url)

    @property
    def account_name(self) -> str | None:
        """This machine's host name for a local folder, the endpoint's ``host:port`` for S3
        (``s3.amazonaws.com`` without ``endpoint_url``), else the ``account_name`` option."""
        return _naming.account_name(self.root_url, self._record.options)

    @property
    def container_name(self) -> str | None:
        """The folder for a local folder, else the bucket or container in :attr:`root_url`."""
        return _naming.container_name(self.root_url)

    def __repr__(self) -> str:
        return f"Datastore(name={self.name!r}, url={self.url!r}, options={self.options!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Datastore)
            and other._workspace == self._workspace
            and other.name == self.name
        )

    def __hash__(self) -> int:
        return hash((self._workspace, self.name))

    @property
    def _storage(self) -> DatastoreFiles:
        if self._files is None:
            secrets = SecretsFile(secrets_path(self._workspace.config_path)).get(self.name)
            options = resolve_options(self.name, self._record.options, secrets, os.environ)
            self._files = _registry.open_files(
                self._workspace,
                self._record.url,
                options,
                f"datastore {self.name!r} ({self.root_url})",
            )
        return self._files

    # -- moving files ----------------------------------------------------------------------

    def upload(
        self,
        src_dir: str | os.PathLike[str],
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Manifest:
        """Upload every file below a local folder into ``target_path``, several at a time.

        Everything is checked before the first byte is written: names (links leading out of
        ``src_dir`` and unsafe target paths are refused) and, without ``overwrite``, files
        already at the destinations. Each file is written whole or not at all; the sha256 of
        each is recorded in the target's manifest (see :class:`Manifest`).

        Args:
            src_dir: the local folder.
            target_path: the folder in the datastore (default: its root).
            overwrite: replace files that exist.
            show_progress: show a progress bar over files and bytes on standard error.

        Returns:
            The manifest of what was uploaded.

        Raises:
            NotFoundError: ``src_dir`` is not a folder.
            ValidationError: a link leads outside ``src_dir``, or a path is unsafe.
            AlreadyExistsError: files exist and ``overwrite`` is false (they are listed);
                nothing was written.
            TransferError: a copy failed part way; it says which files made it.
            BackendError: the datastore cannot be reached.
        """
        folder = _plans.target_folder(target_path)
        local_files = _plans.folder_files(src_dir)
        return upload_files(
            self._storage, self.name, local_files, folder, overwrite=overwrite, show=show_progress
        )

    def upload_files(
        self,
        files: Iterable[str | os.PathLike[str]],
        relative_root: str | os.PathLike[str] | None = None,
        target_path: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> Manifest:
        """Upload local files into ``target_path``, keeping their paths below ``relative_root``.

        Args:
            files: the local files.
            relative_root: the local folder their stored paths are relative to (default: the
                deepest folder holding all of them).
            target_path: the folder in the datastore (default: its root).
            overwrite: replace files that exist.
            show_progress: show a progress bar on standard error.

        Returns:
            The manifest of what was uploaded.

        Raises:
            NotFoundError: a file is missing.
            ValidationError: a file is outside ``relative_root``, or a path is unsafe.
            AlreadyExistsError: files exist and ``overwrite`` is false; nothing was written.
            TransferError: a copy failed part way; it says which files made it.
        """
        folder = _plans.target_folder(target_path)
        local_files = _plans.explicit_files(files, relative_root)
        return upload_files(
            self._storage, self.name, local_files, folder, overwrite=overwrite, show=show_progress
        )

    def download(
        self,
        target_path: str | os.PathLike[str],
        prefix: str | None = None,
        overwrite: bool = False,
        show_progress: bool = True,
    ) -> list[Path]:
        """Download the datastore's files (those below ``prefix``) into a local folder.

        Files keep their whole path in the datastore: ``mnist/train.gz`` downloaded with
        prefix ``mnist`` lands at ``target_path/mnist/train.gz``. Every destination is
        checked first; each file is written under a hidden name and renamed once whole.

        Args:
            target_path: the local folder; created if missing.
            prefix: a folder (or file) in the datastore; whole components only (``"mn"`` does
                not match ``mnist/``). Default: everything.
            overwrite: replace local files that exist.
            show_progress: show a progress bar on standard error.

        Returns:
            The local files written, sorted.

        Raises:
            NotFoundError: nothing is stored below ``prefix``.
            ValidationError: ``prefix`` is unsafe, or a destination leads outside
                ``target_path`` through a link.
            AlreadyExistsError: local files exist and ``overwrite`` is false; nothing was
                written.
            TransferError: a copy failed part way; it says which files made it.
        """
        folder = vet_path(prefix or "", allow_empty=True)
        listing = self._storage.list_files(folder)
        if not listing and folder:
            raise NotFoundError(f"nothing is stored below {folder!r} in datastore {self.name!r}")
        targets, _digests = fetch_files(
            self._storage,
            self.name,
            listing,
            Path(target_path),
            list(listing),
            overwrite=overwrite,
            show=show_progress,
        )
        return sorted(targets)

    # -- data references -------------------------------------------------------------------

    def path(self, path: str | None = None) -> DataReference:
        """A reference to a folder or file of this datastore, to pass to a run (mounted by
        default; see :meth:`DataReference.as_download`).

        Raises:
            ValidationError: ``path`` is unsafe (absolute, ``..``, ...).
        """
        return DataReference(self.name, vet_path(path or "", allow_empty=True))

    def as_mount(self) -> DataReference:
        """A reference to the whole datastore, mounted in the run."""
        return self.path().as_mount()

    def as_download(self, path_on_compute: str | None = None) -> DataReference:
        """A reference to the whole datastore, downloaded into the run's folder first."""
        return self.path().as_download(path_on_compute)
