"""``Workspace``: one metadata store and one artifact root, found through a config file."""

from __future__ import annotations

import json
import os
import re
import socket
import time
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab._files import write_atomic
from runlab.artifacts import ArtifactStore, open_artifact_store
from runlab.entities import workspace_config
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from runlab.store import MetadataStore, open_metadata_store

NO_SUBSCRIPTION = "none (runlab has no subscriptions)"
"""What :attr:`Workspace.subscription_id` says."""

if TYPE_CHECKING:
    from runlab.compute import ComputeTarget
    from runlab.data import Datastore, FileDataset, TabularDataset
    from runlab.environments import Environment
    from runlab.serving import Webservice
    from runlab.tracking.experiment import Experiment

__all__ = ["CONFIG_DIR", "CONFIG_FILE", "Workspace"]

CONFIG_DIR = ".runlab"
CONFIG_FILE = "config.json"
DEFAULT_STORE_URI = "sqlite:///metadata.db"
DEFAULT_ARTIFACT_URI = "artifacts"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")


def _check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"bad workspace name {name!r}: use 1-255 letters, digits, '-' and '_',"
            " starting with a letter or digit"
        )
    return name


def _absolute_store_uri(uri: str, base: Path) -> str:
    """``uri`` with a relative SQLite path made absolute against ``base``."""
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/"):
        path = uri[len(prefix) :]
        if path and path != ":memory:":
            return prefix + str((base / path).resolve())
    return uri


def _absolute_artifact_uri(uri: str, base: Path) -> str:
    if "://" in uri:
        return uri
    return str((base / Path(uri).expanduser()).resolve())


class Workspace:
    """A place that keeps experiments, runs, metrics and files: a metadata store plus an
    artifact root.

    Most code gets one with :meth:`create` or :meth:`from_config`; the constructor takes the
    two URIs directly.

    Args:
        name: the workspace's name.
        store_uri: the metadata store (``sqlite:///PATH``, ``postgresql://...``).
        artifact_uri: the artifact root (a local folder or any fsspec URL).
        config_path: the config file it was read from, if any.

    Example:
        >>> ws = Workspace.create("demo", path=tmp_path)  # doctest: +SKIP
        >>> Workspace.from_config(tmp_path).name  # doctest: +SKIP
        'demo'
    """

    def __init__(
        self,
        name: str,
        store_uri: str,
        artifact_uri: str,
        *,
        config_path: str | os.PathLike[str] | None = None,
        created_time: float | None = None,
    ) -> None:
        self._name = _check_name(name)
        self._store_uri = store_uri
        self._artifact_uri = artifact_uri
        self._config_path = Path(config_path) if config_path is not None else None
        self._created_time = created_time
        self._store: MetadataStore | None = None
        self._artifacts: ArtifactStore | None = None
        # The bearer token given to connect(); kept for the jobs this workspace submits,
        # never written to a config, a spec's workspace or a repr.
        self._token: str | None = None

    # -- creating and finding ------------------------------------------------------------

    @classmethod
    def create(
        cls,
        name: str,
        path: str | os.PathLike[str] = ".",
        exist_ok: bool = False,
        *,
        store_uri: str | None = None,
        artifact_uri: str | None = None,
    ) -> Workspace:
        """Create a workspace in ``path`` (``path/.runlab/config.json``) and open it.

        By default its metadata is a SQLite file and its artifacts a folder, both inside
        ``path/.runlab``.

        Args:
            name: the workspace's name (letters, digits, ``-`` and ``_``).
            path: the folder it belongs to; created if missing.
            exist_ok: return the workspace already in ``path`` instead of failing.
            store_uri: keep metadata elsewhere, e.g. ``postgresql://user@host/db``.
            artifact_uri: keep files elsewhere, e.g. ``s3://bucket/prefix``.

        Raises:
            AlreadyExistsError: ``path`` has a workspace and ``exist_ok`` is false.
            ValidationError: a bad name or URI.
            BackendError: the stores cannot be created.
        """
        _check_name(name)
        folder = Path(path).expanduser().resolve()
        config_file = folder / CONFIG_DIR / CONFIG_FILE
        if config_file.exists():
            if not exist_ok:
                raise AlreadyExistsError(
                    f"{folder} already holds a workspace ({config_file}): open it with"
                    " Workspace.from_config(), or pass exist_ok=True"
                )
            existing = cls._from_file(config_file)
            if existing.name != name:
                raise AlreadyExistsError(
                    f"{folder} already holds workspace {existing.name!r}, not {name!r}"
                )
            return existing
        config_dir = folder / CONFIG_DIR
        workspace = cls(
            name,
            _absolute_store_uri(store_uri or DEFAULT_STORE_URI, config_dir),
            _absolute_artifact_uri(artifact_uri or DEFAULT_ARTIFACT_URI, config_dir),
            config_path=config_file,
            created_time=time.time(),
        )
        # Open both stores before writing the config, so a bad URI leaves nothing behind.
        workspace.store  # noqa: B018
        workspace.artifacts  # noqa: B018
        relative = {
            "store_uri": store_uri or DEFAULT_STORE_URI,
            "artifact_uri": artifact_uri or DEFAULT_ARTIFACT_URI,
        }
        workspace._write_config_file(config_file, relative)
        return workspace

    @classmethod
    def from_config(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """Open the workspace whose config is in ``path`` (default: the current folder) or
        the nearest parent: ``.runlab/config.json``, then ``config.json``, in each folder.

        ``path`` may also name a config file directly.

        Raises:
            NotFoundError: no config was found; the message lists every place looked at.
            ValidationError: a config file is malformed.
        """
        start = Path(path if path is not None else Path.cwd()).expanduser().resolve()
        if not start.exists():
            raise NotFoundError(f"cannot look for a workspace config in {start}: no such folder")
        if start.is_file():
            return cls._from_file(start)
        looked: list[str] = []
        not_runlab: list[str] = []
        for folder in (start, *start.parents):
            for candidate in (folder / CONFIG_DIR / CONFIG_FILE, folder / CONFIG_FILE):
                looked.append(str(candidate))
                if not candidate.is_file():
                    continue
                plain = candidate.parent.name != CONFIG_DIR
                if plain and not {"store_uri", "server_url"} & _read_json(candidate).keys():
                    not_runlab.append(str(candidate))
                    continue
                return cls._from_file(candidate)
        hint = ""
        if not_runlab:
            hint = f" ({', '.join(not_runlab)} holds no runlab workspace: no store_uri)"
        raise NotFoundError(
            f"no runlab workspace config found; looked at {', '.join(looked)}{hint}."
            " Create one with `runlab init` or Workspace.create(name)"
        )

    @classmethod
    def connect(cls, url: str, *, token: str | None = None) -> Workspace:
        """The workspace served by the runlab server at ``url`` (``runlab server``): the whole
        Python API, over HTTP. Its two stores share one connection pool, which :meth:`close`
        closes.

        Args:
            url: the server's base URL, e.g. ``http://127.0.0.1:8765``.
            token: a bearer token from ``runlab token create``; default: the
                ``RUNLAB_TOKEN`` environment variable. It is never written to a config.

        Raises:
            BackendError: the server cannot be reached.
            AccessDeniedError: the server wants a (valid) token.

        Example:
            >>> ws = Workspace.connect("http://127.0.0.1:8765", token=token)  # doctest: +SKIP
        """
        from runlab.artifacts.rest import RestArtifactStore
        from runlab.store.rest import RestMetadataStore

        store = RestMetadataStore(url, token=token)
        try:
            info = store.workspace_info()
        except BaseException:
            store.close()
            raise
        created = info.get("created_time")
        workspace = cls(
            info["name"],
            store.uri,
            store.uri,
            created_time=created if isinstance(created, (int, float)) else None,
        )
        workspace._store = store
        workspace._artifacts = RestArtifactStore(store.uri, client=store.client)
        workspace._token = token
        return workspace

    @classmethod
    def _from_file(cls, config_file: Path) -> Workspace:
        config = _read_json(config_file)
        return cls.from_dict(config, base=config_file.parent, config_path=config_file)

    @classmethod
    def from_dict(
        cls,
        config: Mapping[str, Any],
        *,
        base: str | os.PathLike[str] | None = None,
        config_path: str | os.PathLike[str] | None = None,
    ) -> Workspace:
        """A workspace from the contents of a config file.

        Relative paths in the URIs are taken against ``base`` (default: the current folder).

        Raises:
            ValidationError: a key is missing or malformed.
        """
        name = config.get("name", config.get("workspace_name"))
        server_url = config.get("server_url")
        # A config naming a runlab server needs nothing else: both stores are its API.
        store_uri = config.get("store_uri", server_url)
        artifact_uri = config.get("artifact_uri", server_url)
        where = f" in {config_path}" if config_path else ""
        if not isinstance(store_uri, str) or not isinstance(artifact_uri, str):
            raise ValidationError(
                f"the workspace config{where} needs 'store_uri' and 'artifact_uri' strings"
                " (or a 'server_url')"
            )
        folder = Path(base if base is not None else Path.cwd()).resolve()
        created = config.get("created_time")
        return cls(
            _check_name(name),
            _absolute_store_uri(store_uri, folder),
            _absolute_artifact_uri(artifact_uri, folder),
            config_path=config_path,
            created_time=created if isinstance(created, (int, float)) else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The config of this workspace with absolute URIs (what jobs receive)."""
        config: dict[str, Any] = {
            "name": self._name,
            "store_uri": self._store_uri,
            "artifact_uri": self._artifact_uri,
        }
        if self._created_time is not None:
            config["created_time"] = self._created_time
        return config

    def write_config(
        self, path: str | os.PathLike[str] | None = None, file_name: str | None = None
    ) -> Path:
        """Write this workspace's config to ``path/.runlab/<file_name>`` so that
        :meth:`from_config` finds it from ``path`` and below.

        Args:
            path: the folder (default: the current folder).
            file_name: the file's name (default ``config.json``).

        Returns:
            The file written.
        """
        if file_name is not None and (Path(file_name).name != file_name or not file_name):
            raise ValidationError(f"bad config file name {file_name!r}: give a plain file name")
        folder = Path(path if path is not None else Path.cwd()).expanduser().resolve()
        target = folder / CONFIG_DIR / (file_name or CONFIG_FILE)
        self._write_config_file(target, {})
        return target

    def _write_config_file(self, target: Path, overrides: Mapping[str, str]) -> None:
        config = self.to_dict() | dict(overrides)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, json.dumps(config, indent=2) + "\n")
        except OSError as error:
            raise BackendError(f"cannot write the workspace config {target}: {error}") from error

    # -- what it holds -------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The workspace's name."""
        return self._name

    @property
    def store(self) -> MetadataStore:
        """The metadata store (opened, and migrated if needed, on first use)."""
        if self._store is None:
            self._store = open_metadata_store(self._store_uri)
        return self._store

    @property
    def artifacts(self) -> ArtifactStore:
        """The artifact store (opened on first use)."""
        if self._artifacts is None:
            self._artifacts = open_artifact_store(self._artifact_uri)
        return self._artifacts

    @property
    def config_path(self) -> Path | None:
        """The config file this workspace was read from or written to, if any."""
        return self._config_path

    @property
    def server_url(self) -> str | None:
        """The runlab server's URL when the workspace is served over HTTP (its metadata
        store is the server's API: ``Workspace.connect``, a config with ``server_url``,
        whatever its artifact store), else None; see
        :func:`runlab.entities.workspace_config.server_url`."""
        return workspace_config.server_url(self.to_dict())

    @property
    def location(self) -> str:
        """Where the workspace is, for SDK code that prints ``ws.location``: the server's
        ``host:port`` for a server-backed workspace (:meth:`connect`, a config with
        ``server_url``), else this machine's host name (``socket.gethostname()``); runlab has
        no regions."""
        if self.server_url is not None:
            return urllib.parse.urlsplit(self.server_url).netloc.rpartition("@")[2]
        return socket.gethostname()

    @property
    def resource_group(self) -> str:
        """What holds the workspace, for SDK code that prints ``ws.resource_group``: the
        server's URL for a server-backed workspace; else the folder holding its config
        (the folder that contains ``.runlab/``, or a plain ``config.json``); the metadata
        store's URI (password masked) for a workspace opened from its URIs alone
        (``from_dict``, inside a job)."""
        if self.server_url is not None:
            return self.server_url
        if self._config_path is None:
            return self.store.uri
        folder = self._config_path.parent
        return str(folder.parent if folder.name == CONFIG_DIR else folder)

    @property
    def subscription_id(self) -> str:
        """Always ``"none (runlab has no subscriptions)"``: runlab has no subscriptions or
        billing accounts. A string, so SDK code that prints or concatenates
        ``ws.subscription_id`` runs."""
        return NO_SUBSCRIPTION

    def job_token(self, run_id: str | None = None) -> str | None:
        """The bearer token jobs of a server-backed workspace need to report back; None for
        any other workspace.

        Args:
            run_id: the run of the job: the server then makes a token of the job's own,
                which writes only inside that run and expires in 30 days (``runlab token
                list`` shows it as ``run-<run_id>``), so the submitter's token never reaches
                the job. Without it: the token given to :meth:`connect`, else
                ``RUNLAB_TOKEN``.

        Submitting hands it to the job as ``RUNLAB_TOKEN`` in its environment only.

        Raises:
            AccessDeniedError: the server refused to make the run's token.
        """
        if self.server_url is None:
            return None
        own = self._token if self._token is not None else os.environ.get("RUNLAB_TOKEN") or None
        if run_id is None:
            return own
        from runlab.store.rest import RestMetadataStore

        if not isinstance(self.store, RestMetadataStore):
            return own
        return self.store.create_run_token(run_id)

    @property
    def experiments(self) -> dict[str, Experiment]:
        """Every experiment of the workspace, by name."""
        from runlab.tracking.experiment import Experiment

        return {
            record.name: Experiment(self, record.name, _record=record)
            for record in self.store.list_experiments()
        }

    # runlab.data sits above tracking; these three import it inside the method, the upward
    # import DESIGN.md sanctions where there is no object to delegate to.

    @property
    def datastores(self) -> dict[str, Datastore]:
        """Every datastore of the workspace, by name, its default ``workspaceblobstore``
        included (created on first use).

        Imports :mod:`runlab.data` inside the method: DESIGN.md's sanctioned exception to
        the layers for a convenience with no object to delegate to.
        """
        from runlab.data import Datastore

        return Datastore.list_all(self)

    @property
    def datasets(self) -> dict[str, FileDataset | TabularDataset]:
        """The latest version of every registered dataset, by name.

        Imports :mod:`runlab.data` inside the method (DESIGN.md's sanctioned exception).
        """
        from runlab.data import Dataset

        return Dataset.get_all(self)

    @property
    def webservices(self) -> dict[str, Webservice]:
        """Every web service of the workspace, by name.

        Imports :mod:`runlab.serving` inside the method: DESIGN.md's sanctioned exception to
        the layers for a convenience with no object to delegate to.
        """
        from runlab.serving import Webservice

        return {service.name: service for service in Webservice.list(self)}

    def get_default_datastore(self) -> Datastore:
        """The default datastore: ``workspaceblobstore``, kept in the artifact root under
        ``datastores/workspaceblobstore/`` and created on first use, unless
        :meth:`set_default_datastore` chose another.

        Imports :mod:`runlab.data` inside the method (DESIGN.md's sanctioned exception).
        """
        from runlab.data import Datastore

        return Datastore.get_default(self)

    def set_default_datastore(self, name: str) -> None:
        """Make the datastore ``name`` the default, atomically (there is always exactly one).

        Imports :mod:`runlab.data` inside the method (DESIGN.md's sanctioned exception).

        Raises:
            NotFoundError: no datastore of that name is registered.
        """
        from runlab.data import Datastore

        Datastore.set_default(self, name)

    @property
    def environments(self) -> dict[str, Environment]:
        """The latest version of every registered environment (``env.register(ws)``), by
        name."""
        from runlab.environments import Environment  # layer 1, loaded when first asked

        return Environment.list(self)

    @property
    def compute_targets(self) -> dict[str, ComputeTarget]:
        """Every recorded compute target (Ray clusters), by name, each of its own class."""
        from runlab.compute import list_compute_targets  # layer 1, loaded when first asked

        return list_compute_targets(self)

    def get_details(self) -> dict[str, Any]:
        """A summary: name, where metadata and files live, the config file, counts."""
        return {
            "name": self._name,
            "location": self.location,
            "store_uri": self.store_uri,
            "artifact_uri": self._artifact_uri,
            "config_path": str(self._config_path) if self._config_path else None,
            "created_time": self._created_time,
            "experiment_count": len(self.store.list_experiments()),
        }

    def close(self) -> None:
        """Close both stores' connections (one pool for a workspace from :meth:`connect`).

        Also ``with Workspace(...) as ws:``. Using :attr:`store` or :attr:`artifacts` after this
        opens them again from the workspace's URIs; a store object taken before must not be
        used again (a REST store refuses with InvalidStateError). Closing twice does nothing.
        """
        store, artifacts = self._store, self._artifacts
        self._store = self._artifacts = None
        try:
            if store is not None:
                store.close()
        finally:
            if artifacts is not None:
                artifacts.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace(name={self._name!r}, store_uri={self.store_uri!r})"

    @property
    def store_uri(self) -> str:
        """The metadata store's URI, password masked."""
        from runlab.store.registry import mask_uri

        return mask_uri(self._store_uri)

    @property
    def artifact_uri(self) -> str:
        """The artifact root's URI."""
        return self._artifact_uri

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Workspace) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash((self._name, self._store_uri, self._artifact_uri))


def _read_json(config_file: Path) -> dict[str, Any]:
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise BackendError(f"cannot read the workspace config {config_file}: {error}") from error
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"the workspace config {config_file} is not valid JSON: {error}"
        ) from error
    if not isinstance(config, dict):
        raise ValidationError(f"the workspace config {config_file} must hold a JSON object")
    return config
