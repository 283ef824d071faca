"""``RestMetadataStore``: the metadata store of a workspace served by ``runlab server``.

Every method is one HTTP request to the server's ``/api`` (see :mod:`runlab.server`), which
runs the same method on the workspace's own store; records and metric batches travel as the
JSON of :mod:`runlab.store.wire`. The server's answer is translated back into the error the
store raised there, so callers see the :class:`MetadataStore` contract unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from runlab.entities import ExperimentRecord, Metric, MetricHistory, RunRecord, RunStatus
from runlab.entities.compute_target import ComputeTargetRecord
from runlab.entities.dataset import DatasetRecord
from runlab.entities.datastore import DatastoreRecord
from runlab.entities.environment import EnvironmentRecord
from runlab.entities.model import ModelRecord
from runlab.errors import ValidationError
from runlab.store import wire
from runlab.store._http import ServerClient, http_timeout, json_object, segment, server_client
from runlab.store._rest_models import RestLoggedModelStore, RestRegisteredModelStore
from runlab.store._rest_services import RestServiceStore
from runlab.store.base import MetadataStore, RunFilters, RunOrder
from runlab.store.common import str_list

__all__ = ["RestMetadataStore"]


def _filters_json(filters: RunFilters) -> dict[str, Any]:
    body: dict[str, Any] = dict(filters)
    statuses = filters.get("statuses")
    if statuses is not None:
        body["statuses"] = [RunStatus(status).value for status in statuses]
    if filters.get("experiment_names") is not None:
        body["experiment_names"] = list(filters.get("experiment_names") or ())
    for key in ("tags", "properties"):
        labels = body.get(key)
        if labels is not None:
            body[key] = dict(labels)
    return body


def _version(version: object, what: str = "a model version") -> str:
    """``version`` as a path segment; ``what`` names it in the error."""
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError(f"{what} is an int, not {version!r}")
    return str(version)


def _environment_version(version: object) -> str:
    if type(version) is not int or version < 1:
        raise ValidationError(f"an environment version is an int >= 1, not {version!r}")
    return str(version)


class RestMetadataStore(
    RestServiceStore, RestRegisteredModelStore, RestLoggedModelStore, MetadataStore
):
    """A :class:`MetadataStore` that is a client of a runlab server.

    Args:
        url: the server's base URL (``http://host:8765``).
        token: a bearer token (``runlab token create``); default: ``RUNLAB_TOKEN``.
        timeout: seconds to wait for the server; default: ``RUNLAB_HTTP_TIMEOUT_S``,
            else 60.
        client: a connection pool to share (with a :class:`RestArtifactStore` of the same
            server); closing either store closes it. Default: a pool of this store's own.

    Raises:
        AccessDeniedError: (from any method) the server wants a token, or a write token.
        BackendError: (from any method) the server cannot be reached or failed.

    Example:
        >>> store = RestMetadataStore("http://127.0.0.1:8765")  # doctest: +SKIP
        >>> store.list_experiments()  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float | None = None,
        client: ServerClient | None = None,
    ) -> None:
        timeout = http_timeout(60.0) if timeout is None else timeout
        self._server = server_client(url, token, timeout, client)
        self._timeout = timeout

    @property
    def uri(self) -> str:
        """The server's base URL."""
        return self._server.url

    @property
    def client(self) -> ServerClient:
        """The connection pool this store talks through (to share with another store)."""
        return self._server

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        query = {key: value for key, value in params.items() if value is not None}
        return self._server.request(
            method, "/api" + path, body=body, params=query or None, timeout=self._timeout
        )

    def workspace_info(self) -> dict[str, Any]:
        """What the server says about its workspace: ``name``, ``created_time``."""
        info: dict[str, Any] = self._call("GET", "/workspace")
        return info

    def create_run_token(self, run_id: str) -> str | None:
        """A new token for the job of ``run_id``, which writes only inside that run (see
        ``runlab.server.run_scope``); None when the server needs no token.

        Raises:
            NotFoundError: there is no such run.
            AccessDeniedError: this store's token may not write.
        """
        answer: dict[str, Any] = self._call("POST", "/tokens/run", {"run_id": run_id})
        token = answer.get("token")
        return token if isinstance(token, str) else None

    # -- experiments ---------------------------------------------------------------------

    def create_experiment(self, name: str) -> ExperimentRecord:
        """See :meth:`MetadataStore.create_experiment`."""
        return wire.experiment_from_json(self._call("POST", "/experiments", {"name": name}))

    def get_experiment(self, name: str) -> ExperimentRecord:
        """See :meth:`MetadataStore.get_experiment`."""
        path = f"/experiments/{segment(name, 'an experiment name')}"
        return wire.experiment_from_json(self._call("GET", path))

    def list_experiments(self) -> list[ExperimentRecord]:
        """See :meth:`MetadataStore.list_experiments`."""
        return [wire.experiment_from_json(item) for item in self._call("GET", "/experiments")]

    def update_experiment(
        self,
        name: str,
        *,
        new_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        deleted: bool | None = None,
    ) -> ExperimentRecord:
        """See :meth:`MetadataStore.update_experiment`."""
        path = f"/experiments/{segment(name, 'an experiment name')}"
        body = {
            "new_name": new_name,
            "tags": json_object(tags, f"the tags of experiment {name!r}"),
            "remove_tag": remove_tag,
            "deleted": deleted,
        }
        return wire.experiment_from_json(self._call("PATCH", path, body))

    # -- runs ----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_name: str,
        run_id: str,
        *,
        parent_run_id: str | None = None,
        display_name: str | None = None,
        status: RunStatus = RunStatus.NOT_STARTED,
        target: str = "local",
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        heartbeat_timeout: float | None = None,
    ) -> RunRecord:
        """See :meth:`MetadataStore.create_run`."""
        body = {
            "experiment_name": experiment_name,
            "run_id": run_id,
            "parent_run_id": parent_run_id,
            "display_name": display_name,
            "status": RunStatus(status).value,
            "target": target,
            "tags": json_object(tags, "tags"),
            "properties": json_object(properties, "properties"),
            "heartbeat_timeout": heartbeat_timeout,
        }
        return wire.run_from_json(self._call("POST", "/runs", body))

    def _run_path(self, run_id: str) -> str:
        return f"/runs/{segment(run_id, 'a run id')}"

    def get_run(self, run_id: str) -> RunRecord:
        """See :meth:`MetadataStore.get_run`."""
        return wire.run_from_json(self._call("GET", self._run_path(run_id)))

    def search_runs(
        self,
        *,
        order_by: RunOrder = "created_time desc",
        limit: int | None = None,
        offset: int = 0,
        **filters: Unpack[RunFilters],
    ) -> list[RunRecord]:
        """See :meth:`MetadataStore.search_runs`."""
        body = {"order_by": order_by, "limit": limit, "offset": offset, **_filters_json(filters)}
        return [wire.run_from_json(item) for item in self._call("POST", "/runs/search", body)]

    def count_runs(self, **filters: Unpack[RunFilters]) -> int:
        """See :meth:`MetadataStore.count_runs`."""
        return int(self._call("POST", "/runs/count", _filters_json(filters))["count"])

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error_details: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """See :meth:`MetadataStore.set_run_status`."""
        body = {
            "status": RunStatus(status).value,
            "error_details": json_object(error_details, "error details"),
        }
        return wire.run_from_json(self._call("POST", self._run_path(run_id) + "/status", body))

    def heartbeat(self, run_id: str) -> None:
        """See :meth:`MetadataStore.heartbeat`."""
        self._call("POST", self._run_path(run_id) + "/heartbeat")

    def update_run(self, run_id: str, *, display_name: str) -> RunRecord:
        """See :meth:`MetadataStore.update_run`."""
        body = {"display_name": display_name}
        return wire.run_from_json(self._call("PATCH", self._run_path(run_id), body))

    def set_run_deleted(self, run_id: str, deleted: bool) -> RunRecord:
        """See :meth:`MetadataStore.set_run_deleted`."""
        body = {"deleted": bool(deleted)}
        return wire.run_from_json(self._call("PUT", self._run_path(run_id) + "/deleted", body))

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """See :meth:`MetadataStore.set_tags`."""
        self._call("PATCH", self._run_path(run_id) + "/tags", json_object(tags, "tags"))

    def delete_tag(self, run_id: str, key: str) -> None:
        """See :meth:`MetadataStore.delete_tag`."""
        self._call("DELETE", self._run_path(run_id) + "/tags", key=key)

    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        """See :meth:`MetadataStore.add_properties`."""
        body = json_object(properties, "properties")
        self._call("POST", self._run_path(run_id) + "/properties", body)

    # -- metrics -------------------------------------------------------------------------

    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """See :meth:`MetadataStore.log_metrics`; the batch travels as compact columns."""
        body = wire.encode_metrics(metrics)
        self._call("POST", self._run_path(run_id) + "/metrics", body)

    def get_metric_histories(
        self, run_id: str, name: str | None = None
    ) -> dict[str, MetricHistory]:
        """See :meth:`MetadataStore.get_metric_histories`."""
        data = self._call("GET", self._run_path(run_id) + "/metrics", name=name)
        return wire.decode_histories(data)

    def get_last_steps(self, run_id: str) -> dict[str, int]:
        """See :meth:`MetadataStore.get_last_steps`."""
        data = self._call("GET", self._run_path(run_id) + "/last-steps")
        return {str(name): int(step) for name, step in data.items()}

    def get_last_metric_values(
        self, run_ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """See :meth:`MetadataStore.get_last_metric_values`."""
        body = {
            "run_ids": str_list(run_ids, "run_ids"),
            "names": str_list(names, "names"),
        }
        return wire.decode_last_values(self._call("POST", "/runs/last-metric-values", body))

    # -- models --------------------------------------------------------------------------

    def _model_path(self, name: str, version: int | None = None) -> str:
        path = f"/models/{segment(name, 'a model name')}/versions"
        return path if version is None else f"{path}/{_version(version)}"

    def create_model_version(
        self,
        name: str,
        *,
        content_hash: str,
        files: Sequence[str],
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> ModelRecord:
        """See :meth:`MetadataStore.create_model_version`."""
        body = {
            "content_hash": content_hash,
            "files": list(files),
            "run_id": run_id,
            "description": description,
            "tags": json_object(tags, "tags"),
            "properties": json_object(properties, "properties"),
        }
        return wire.model_from_json(self._call("POST", self._model_path(name), body))

    def finish_model_version(self, name: str, version: int) -> ModelRecord:
        """See :meth:`MetadataStore.finish_model_version`."""
        path = self._model_path(name, version) + "/finish"
        return wire.model_from_json(self._call("POST", path))

    def get_model_version(self, name: str, version: int | None = None) -> ModelRecord:
        """See :meth:`MetadataStore.get_model_version`."""
        path = self._model_path(name, version) if version is not None else None
        path = path or self._model_path(name) + "/latest"
        return wire.model_from_json(self._call("GET", path))

    def search_model_versions(
        self,
        *,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
        latest_only: bool = False,
    ) -> list[ModelRecord]:
        """See :meth:`MetadataStore.search_model_versions`."""
        body = {
            "name": name,
            "tags": json_object(tags, "tags"),
            "properties": json_object(properties, "properties"),
            "run_id": run_id,
            "latest_only": latest_only,
        }
        return [wire.model_from_json(item) for item in self._call("POST", "/models/search", body)]

    def update_model_version(
        self, name: str, version: int, *, description: str | None
    ) -> ModelRecord:
        """See :meth:`MetadataStore.update_model_version`."""
        body = {"description": description}
        return wire.model_from_json(self._call("PATCH", self._model_path(name, version), body))

    def set_model_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """See :meth:`MetadataStore.set_model_version_tags`."""
        path = self._model_path(name, version) + "/tags"
        self._call("PATCH", path, json_object(tags, "tags"))

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """See :meth:`MetadataStore.delete_model_version_tag`."""
        self._call("DELETE", self._model_path(name, version) + "/tags", key=key)

    def add_model_version_properties(
        self, name: str, version: int, properties: Mapping[str, str]
    ) -> None:
        """See :meth:`MetadataStore.add_model_version_properties`."""
        path = self._model_path(name, version) + "/properties"
        self._call("POST", path, json_object(properties, "properties"))

    def delete_model_version(self, name: str, version: int) -> None:
        """See :meth:`MetadataStore.delete_model_version`."""
        self._call("DELETE", self._model_path(name, version))

    # -- datastores ----------------------------------------------------------------------

    def create_datastore(
        self,
        name: str,
        url: str,
        *,
        options: Mapping[str, Any] | None = None,
        is_default: bool = False,
    ) -> DatastoreRecord:
        """See :meth:`MetadataStore.create_datastore`."""
        body = {
            "name": name,
            "url": url,
            "options": json_object(options, f"the options of datastore {name!r}"),
            "is_default": is_default,
        }
        return wire.datastore_from_json(self._call("POST", "/datastores", body))

    def _datastore_path(self, name: str) -> str:
        return f"/datastores/{segment(name, 'a datastore name')}"

    def get_datastore(self, name: str) -> DatastoreRecord:
        """See :meth:`MetadataStore.get_datastore`."""
        return wire.datastore_from_json(self._call("GET", self._datastore_path(name)))

    def list_datastores(self) -> list[DatastoreRecord]:
        """See :meth:`MetadataStore.list_datastores`."""
        return [wire.datastore_from_json(item) for item in self._call("GET", "/datastores")]

    def delete_datastore(self, name: str) -> None:
        """See :meth:`MetadataStore.delete_datastore`."""
        self._call("DELETE", self._datastore_path(name))

    def set_default_datastore(self, name: str) -> DatastoreRecord:
        """See :meth:`MetadataStore.set_default_datastore`."""
        path = self._datastore_path(name) + "/default"
        return wire.datastore_from_json(self._call("POST", path))

    # -- compute targets -----------------------------------------------------------------

    def create_compute_target(
        self,
        name: str,
        kind: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """See :meth:`MetadataStore.create_compute_target`."""
        body = {
            "name": name,
            "kind": kind,
            "config": json_object(config, f"the config of compute target {name!r}"),
            "state": json_object(state, f"the state of compute target {name!r}"),
        }
        return wire.compute_target_from_json(self._call("POST", "/compute-targets", body))

    def _target_path(self, name: str) -> str:
        return f"/compute-targets/{segment(name, 'a compute target name')}"

    def get_compute_target(self, name: str) -> ComputeTargetRecord:
        """See :meth:`MetadataStore.get_compute_target`."""
        return wire.compute_target_from_json(self._call("GET", self._target_path(name)))

    def list_compute_targets(self) -> list[ComputeTargetRecord]:
        """See :meth:`MetadataStore.list_compute_targets`."""
        items = self._call("GET", "/compute-targets")
        return [wire.compute_target_from_json(item) for item in items]

    def update_compute_target(
        self,
        name: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """See :meth:`MetadataStore.update_compute_target`."""
        body = {
            "config": json_object(config, f"the config of compute target {name!r}"),
            "state": json_object(state, f"the state of compute target {name!r}"),
        }
        return wire.compute_target_from_json(self._call("PATCH", self._target_path(name), body))

    def delete_compute_target(self, name: str) -> None:
        """See :meth:`MetadataStore.delete_compute_target`."""
        self._call("DELETE", self._target_path(name))

    # -- environments --------------------------------------------------------------------

    def create_environment_version(self, name: str, spec: Mapping[str, Any]) -> EnvironmentRecord:
        """See :meth:`MetadataStore.create_environment_version`."""
        path = f"/environments/{segment(name, 'an environment name')}/versions"
        body = {"spec": json_object(spec, f"the spec of environment {name!r}")}
        return wire.environment_from_json(self._call("POST", path, body))

    def get_environment_version(self, name: str, version: int | None = None) -> EnvironmentRecord:
        """See :meth:`MetadataStore.get_environment_version`."""
        path = f"/environments/{segment(name, 'an environment name')}/versions/"
        path += "latest" if version is None else _environment_version(version)
        return wire.environment_from_json(self._call("GET", path))

    def list_environment_versions(self, name: str | None = None) -> list[EnvironmentRecord]:
        """See :meth:`MetadataStore.list_environment_versions`."""
        params = {} if name is None else {"name": name}
        items = self._call("GET", "/environments", **params)
        return [wire.environment_from_json(item) for item in items]

    # -- datasets ------------------------------------------------------------------------

    def create_dataset_version(
        self,
        name: str,
        *,
        kind: str,
        definition: Mapping[str, Any],
        files: Sequence[Mapping[str, Any]],
        content_hash: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        snapshot: bool = False,
        create_new_version: bool = False,
    ) -> DatasetRecord:
        """See :meth:`MetadataStore.create_dataset_version`."""
        if isinstance(files, str | bytes | Mapping) or not isinstance(files, Sequence):
            raise ValidationError(f"a dataset's files are a list, not {files!r}")
        body = {
            "kind": kind,
            "definition": json_object(definition, f"the definition of dataset {name!r}"),
            "files": [json_object(item, "a dataset file") for item in files],
            "content_hash": content_hash,
            "description": description,
            "tags": json_object(tags, "tags"),
            "snapshot": snapshot,
            "create_new_version": create_new_version,
        }
        path = f"/datasets/{segment(name, 'a dataset name')}/versions"
        return wire.dataset_from_json(self._call("POST", path, body))

    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetRecord:
        """See :meth:`MetadataStore.get_dataset_version`."""
        path = f"/datasets/{segment(name, 'a dataset name')}/versions/"
        path += "latest" if version is None else _version(version, "a dataset version")
        return wire.dataset_from_json(self._call("GET", path))

    def list_dataset_versions(self, name: str | None = None) -> list[DatasetRecord]:
        """See :meth:`MetadataStore.list_dataset_versions`."""
        if name is None:
            items = self._call("GET", "/datasets")
        else:
            items = self._call("GET", f"/datasets/{segment(name, 'a dataset name')}/versions")
        return [wire.dataset_from_json(item) for item in items]

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (shared with any store given the same client); after
        this every method raises :class:`~runlab.errors.InvalidStateError`."""
        self._server.close()
