"""``Model``: a registered model version, as the Azure ML SDK v1 has it."""

from __future__ import annotations

import builtins
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from runlab.entities.model import ModelRecord
from runlab.entities.service import SERVICE_MODELS_VARIABLE
from runlab.errors import NotFoundError, ValidationError
from runlab.models.files import download_model, model_on_disk, model_prefix
from runlab.models.registration import datasets_property, register_local
from runlab.models.values import (
    LabelFilter,
    check_model_name,
    label_filter,
    parse_model_id,
)
from runlab.tracking import Run, Workspace
from runlab.tracking.values import string_map

__all__ = ["DeploymentConfiguration", "Model"]


class DeploymentConfiguration(Protocol):
    """Where a model is deployed: what :meth:`Model.deploy` hands the work to.

    The configurations of :mod:`runlab.serving` (``LocalWebservice.deploy_configuration()``,
    ``AksWebservice.deploy_configuration()``, ...) implement it, so the model registry never
    imports the serving layer above it.
    """

    def deploy(
        self,
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        inference_config: Any,
        deployment_target: Any = None,
        overwrite: bool = False,
    ) -> Any:
        """Deploy ``models`` as the web service ``name`` and return it."""
        ...


class Model:
    """One version of a registered model: its files, where it came from, tags and properties.

    ``Model(ws, "mnist")`` is the newest version of the model, ``Model(ws, "mnist",
    version=3)`` or ``Model(ws, id="mnist:3")`` a given one, ``Model(ws, "mnist@champion")``
    the one the alias ``champion`` points at. With tags, properties or a run id
    it is the newest version that matches them all. Versions are registered with
    :meth:`register` or :meth:`runlab.Run.register_model`; their files never change.

    Args:
        workspace: the workspace that holds the model.
        name: the model's name, or ``name@alias``.
        id: ``name:version``, instead of ``name`` and ``version``.
        tags: only a version with these tags (see :meth:`list`).
        properties: only a version with these properties.
        version: this version rather than the newest.
        run_id: only a version registered from this run.

    Raises:
        NotFoundError: no version matches.
        ValidationError: a bad name or id, or ``id`` disagrees with ``name`` or ``version``.

    Example:
        >>> model = Model(ws, "sklearn_mnist")  # doctest: +SKIP
        >>> model.id, model.run.id  # doctest: +SKIP
        ('sklearn_mnist:1', 'tutorial_1732661234_0a1b2c3d')
    """

    def __init__(
        self,
        workspace: Workspace,
        name: str | None = None,
        id: str | None = None,  # the SDK's keyword, though it shadows a builtin
        tags: LabelFilter | None = None,
        properties: LabelFilter | None = None,
        version: int | None = None,
        run_id: str | None = None,
        *,
        _record: ModelRecord | None = None,
    ) -> None:
        self._workspace = workspace
        self._record = _record or self._find(name, id, tags, properties, version, run_id)

    def _find(
        self,
        name: str | None,
        model_id: str | None,
        tags: LabelFilter | None,
        properties: LabelFilter | None,
        version: int | None,
        run_id: str | None,
    ) -> ModelRecord:
        if model_id is not None:
            id_name, id_version = parse_model_id(model_id)
            if name not in (None, id_name) or version not in (None, id_version):
                raise ValidationError(
                    f"model id {model_id!r} disagrees with name={name!r}, version={version!r}"
                )
            name, version = id_name, id_version
        if name is not None and "@" in name and model_id is None and version is None:
            return self._find_by_alias(name)
        if name is None and tags is None and properties is None and run_id is None:
            raise ValidationError("say which model: give a name, an id, tags, properties or run_id")
        if name is not None:
            check_model_name(name)
        store = self._workspace.store
        if tags is None and properties is None and run_id is None and name is not None:
            return store.get_model_version(name, version)
        if version is not None and type(version) is not int:
            raise ValidationError(f"a model version is an int, not {version!r}")
        matches = store.search_model_versions(
            name=name,
            tags=label_filter(tags, "tag"),
            properties=label_filter(properties, "property"),
            run_id=run_id,
        )
        if version is not None:
            matches = [record for record in matches if record.version == version]
        if not matches:
            raise NotFoundError(
                f"no model version matches name={name!r}, version={version!r}, tags={tags!r},"
                f" properties={properties!r}, run_id={run_id!r}"
            )
        return max(matches, key=lambda record: record.created_time)

    def _find_by_alias(self, name_at_alias: str) -> ModelRecord:
        """The version ``name@alias`` points at (aliases are set with MLflow's client or
        the store's ``set_model_alias``)."""
        name, _at, alias = name_at_alias.partition("@")
        check_model_name(name)
        return self._workspace.store.get_model_version_by_alias(name, alias)

    # -- registering and finding ---------------------------------------------------------

    @classmethod
    def register(
        cls,
        workspace: Workspace,
        model_path: str | os.PathLike[str],
        model_name: str,
        tags: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        description: str | None = None,
        datasets: Sequence[Any] | None = None,
    ) -> Model:
        """Register a local file or folder as the next version of ``model_name``.

        The first registration of a name is version 1, each later one the next number, also
        when processes register the same name at once. The files are copied to
        ``models/<name>/<version>/`` in the workspace's artifact store with their content
        hash; the version becomes visible once they are all stored.

        Args:
            workspace: where to register it.
            model_path: a local file or folder (its name is kept: ``model.pkl``, ``model/``).
            model_name: 1-255 letters, digits, ``-``, ``_`` and ``.``, starting with a letter
                or digit.
            tags: mutable labels; non-string values are stored as JSON.
            properties: add-only facts; non-string values are stored as JSON.
            description: free text.
            datasets: the registered datasets it was trained on (or ``(label, dataset)``
                pairs), kept as its lineage (the ``runlab.datasets`` property).

        Raises:
            ValidationError: a bad name, tags or properties, an empty folder, or a file name
                the artifact store refuses.
            NotFoundError: nothing at ``model_path``.

        Example:
            >>> model = Model.register(ws, "outputs/model.pkl", "sklearn_mnist")  # doctest: +SKIP
            >>> model.id  # doctest: +SKIP
            'sklearn_mnist:1'
        """
        record = register_local(
            workspace,
            model_path,
            model_name,
            tags=tags,
            properties=dict(properties or {}) | datasets_property(datasets),
            description=description,
        )
        return cls(workspace, _record=record)

    @staticmethod
    def list(
        workspace: Workspace,
        name: str | None = None,
        tags: LabelFilter | None = None,
        properties: LabelFilter | None = None,
        run_id: str | None = None,
        latest: bool = False,
    ) -> builtins.list[Model]:
        """The model versions that match every filter given, by name, newest version first.

        Args:
            workspace: the workspace to look in.
            name: only versions of this model.
            tags: only versions with these tags: ``{"key": "value"}`` (``None`` for any
                value), or as the SDK takes them, ``["key", ["key2", "value"]]``.
            properties: as ``tags``, for properties.
            run_id: only versions registered from this run.
            latest: of the versions that match, only the newest of each name.
        """
        records = workspace.store.search_model_versions(
            name=name,
            tags=label_filter(tags, "tag"),
            properties=label_filter(properties, "property"),
            run_id=run_id,
            latest_only=latest,
        )
        return [Model(workspace, _record=record) for record in records]

    @staticmethod
    def get_model_path(
        model_name: str, version: int | None = None, _workspace: Workspace | None = None
    ) -> str:
        """A local path to the file or folder of a model version, for code that uses it:
        a training or scoring script.

        The workspace is ``_workspace``, else that of the run this process belongs to
        (:meth:`Run.get_context`), else the one :meth:`Workspace.from_config` finds from the
        current folder. Inside a web service's ``init()`` it is the service's own copy of a
        model it serves (see :meth:`deploy`), and no workspace is needed. When the artifact
        store is a local folder, the path points into it (do not change those files);
        otherwise the files are downloaded once into
        ``.runlab/cache/models/<name>/<version>/`` beside the workspace config (in the current
        folder for a job's workspace) and that copy is returned.

        Args:
            model_name: the model's name.
            version: a version; the newest when None.

        Raises:
            NotFoundError: no such model or version, or no workspace was found.
        """
        deployed = os.environ.get(SERVICE_MODELS_VARIABLE)
        if deployed and _workspace is None:
            return _deployed_model_path(Path(deployed), check_model_name(model_name), version)
        workspace = _workspace if _workspace is not None else _context_workspace()
        record = workspace.store.get_model_version(check_model_name(model_name), version)
        return str(model_on_disk(workspace.artifacts, record, workspace.config_path))

    @staticmethod
    def deploy(
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        inference_config: Any,
        deployment_config: DeploymentConfiguration | None = None,
        deployment_target: Any = None,
        overwrite: bool = False,
    ) -> Any:
        """Deploy model versions as a scoring web service and return its
        :class:`runlab.serving.Webservice` at once (Transitioning; call its
        ``wait_for_deployment``).

        The work is the deployment configuration's (``deployment_config.deploy(...)``): the
        registry hands it over, as :meth:`runlab.Experiment.submit` hands a run config its
        experiment, and so never imports :mod:`runlab.serving`.

        Args:
            workspace: where the service is recorded.
            name: the service's name: 1-63 letters, digits, ``-``, ``_`` and ``.``.
            models: the registered versions it serves; ``init()`` finds their files with
                :meth:`get_model_path`.
            inference_config: a :class:`runlab.serving.InferenceConfig`: the entry script
                (``init()`` and ``run(raw_data)``) and its environment.
            deployment_config: ``LocalWebservice.deploy_configuration()`` or
                ``AciWebservice.deploy_configuration()`` (a process on this machine), or
                ``AksWebservice.deploy_configuration()`` (Ray Serve, with
                ``deployment_target`` a :class:`runlab.RayCompute`).
            deployment_target: the Ray cluster, for an AKS configuration.
            overwrite: replace a service of the same name.

        Raises:
            ValidationError: no deployment configuration, bad models or name.
            AlreadyExistsError: the service exists and ``overwrite`` is false.
        """
        deploy = getattr(deployment_config, "deploy", None)
        if deployment_config is None or not callable(deploy):
            raise ValidationError(
                "say where to deploy: deployment_config=LocalWebservice.deploy_configuration()"
                " (this machine) or AksWebservice.deploy_configuration() with a RayCompute"
                f" deployment_target, not {deployment_config!r}"
            )
        return deploy(
            workspace,
            name,
            models,
            inference_config,
            deployment_target=deployment_target,
            overwrite=overwrite,
        )

    # -- what it is ----------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace:
        """The workspace that holds the model."""
        return self._workspace

    @property
    def name(self) -> str:
        """The model's name."""
        return self._record.name

    @property
    def version(self) -> int:
        """The version's number: 1, 2, ..."""
        return self._record.version

    @property
    def id(self) -> str:
        """``name:version``."""
        return self._record.id

    @property
    def url(self) -> str:
        """Where the version's files are: ``<artifact root>/models/<name>/<version>`` (the
        SDK's ``model.url``; a server-backed workspace's root is the server's URL)."""
        return f"{self._workspace.artifact_uri.rstrip('/')}/{model_prefix(self._record)}"

    @property
    def tags(self) -> dict[str, str]:
        """Mutable labels (as of the last change made through this object)."""
        return dict(self._record.tags)

    @property
    def properties(self) -> dict[str, str]:
        """Add-only facts (as of the last change made through this object)."""
        return dict(self._record.properties)

    @property
    def description(self) -> str | None:
        """Free text for people, or None."""
        return self._record.description

    @property
    def created_time(self) -> datetime:
        """When the version was registered, in UTC."""
        return datetime.fromtimestamp(self._record.created_time, UTC)

    @property
    def run_id(self) -> str | None:
        """The run it was registered from, or None."""
        return self._record.run_id

    @property
    def experiment_name(self) -> str | None:
        """The experiment of that run, or None."""
        return self._record.experiment_name

    @property
    def run(self) -> Run | None:
        """The run it was registered from, or None.

        Raises:
            NotFoundError: the run is no longer in the workspace.
        """
        run_id = self._record.run_id
        return None if run_id is None else Run.get(self._workspace, run_id)

    @property
    def content_hash(self) -> str:
        """The sha256 of its files (see :func:`runlab.models.content_hash`)."""
        return self._record.content_hash

    @property
    def file_names(self) -> builtins.list[str]:
        """Its files, relative to the folder it downloads into."""
        return builtins.list(self._record.files)

    # -- using and changing it -----------------------------------------------------------

    def download(self, target_dir: str | os.PathLike[str] = ".", exist_ok: bool = False) -> str:
        """Copy the model's file or folder into ``target_dir`` (created if missing).

        Every destination is checked before anything is written, and the files are checked
        against the content hash before they are moved into place.

        Args:
            target_dir: the local folder to write into.
            exist_ok: replace files that are already there.

        Returns:
            The path of the downloaded file or folder, e.g. ``target_dir/model.pkl``.

        Raises:
            AlreadyExistsError: a file is in the way and ``exist_ok`` is false (nothing is
                written), or a folder is where a file goes.
            BackendError: the stored files are missing or do not match the hash.
        """
        return str(
            download_model(self._workspace.artifacts, self._record, target_dir, exist_ok=exist_ok)
        )

    def add_tags(self, tags: Mapping[str, Any]) -> None:
        """Add or replace tags.

        Raises:
            NotFoundError: the version was deleted.
        """
        store = self._workspace.store
        store.set_model_version_tags(self.name, self.version, string_map(tags, "tag"))
        self._refresh()

    def remove_tags(self, tags: Sequence[str]) -> None:
        """Remove tags by key.

        Raises:
            NotFoundError: the version has no such tag, or was deleted.
        """
        if isinstance(tags, str):
            tags = [tags]
        for key in tags:
            self._workspace.store.delete_model_version_tag(self.name, self.version, key)
        self._refresh()

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; they cannot change once added.

        Raises:
            AlreadyExistsError: a property exists with another value (nothing is added).
            NotFoundError: the version was deleted.
        """
        store = self._workspace.store
        store.add_model_version_properties(
            self.name, self.version, string_map(properties, "property")
        )
        self._refresh()

    def update(self, description: str | None = None) -> None:
        """Change the description (a version's files never change).

        Raises:
            NotFoundError: the version was deleted.
        """
        if description is not None and not isinstance(description, str):
            raise ValidationError(f"a model's description is a string, not {description!r}")
        self._record = self._workspace.store.update_model_version(
            self.name, self.version, description=description
        )

    def delete(self) -> None:
        """Delete this version and its files. Its number is not given out again.

        Raises:
            NotFoundError: it was deleted already.
        """
        # The record first: once it is gone nobody is given the files, so a failure deleting
        # them leaves only unreachable bytes.
        self._workspace.store.delete_model_version(self.name, self.version)
        prefix = model_prefix(self._record)
        if self._workspace.artifacts.list_files(prefix):
            self._workspace.artifacts.delete(prefix)

    def _refresh(self) -> None:
        self._record = self._workspace.store.get_model_version(self.name, self.version)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Model) and other.id == self.id and other._workspace == self._workspace
        )

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"Model(workspace={self._workspace.name!r}, name={self.name!r}, id={self.id!r},"
            f" version={self.version}, tags={self.tags!r}, properties={self.properties!r})"
        )


def _deployed_model_path(models_file: Path, name: str, version: int | None) -> str:
    """The local copy of a model a web service serves (its scoring process's models file)."""
    try:
        deployed: dict[str, dict[str, str]] = json.loads(models_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise NotFoundError(
            f"cannot read this service's models file {models_file}: {error}"
        ) from error
    versions = deployed.get(name)
    if not versions:
        raise NotFoundError(
            f"this web service does not serve model {name!r}: it serves {sorted(deployed)}"
        )
    if version is None:
        return versions[max(versions, key=int)]
    if str(version) not in versions:
        raise NotFoundError(
            f"this web service serves model {name!r} in version(s) {sorted(versions)},"
            f" not {version}"
        )
    return versions[str(version)]


def _context_workspace() -> Workspace:
    context = Run.get_context()
    if isinstance(context, Run):
        return context.experiment.workspace
    return Workspace.from_config()
