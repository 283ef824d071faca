"""``Webservice``: a deployed scoring service, as the Azure ML SDK v1 has it, and its kinds."""

from __future__ import annotations

import builtins
import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runlab.entities.service import ServiceRecord, ServiceState
from runlab.errors import (
    BackendError,
    DeploymentFailedError,
    InvalidStateError,
    ValidationError,
)
from runlab.serving.backend import ServiceBackend, backend_of
from runlab.serving.config import (
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_REQUEST_TIMEOUT_S,
    AksDeploymentConfiguration,
    InferenceConfig,
    LocalDeploymentConfiguration,
    check_service_name,
)

if TYPE_CHECKING:
    import httpx

    from runlab.models import Model
    from runlab.tracking import Workspace

__all__ = ["AciWebservice", "AksWebservice", "LocalWebservice", "Webservice"]

_POLL_S = 0.1
_LOG_TAIL_LINES = 40


class Webservice:
    """A scoring web service deployed from registered models (:meth:`runlab.Model.deploy`).

    ``Webservice(ws, name)`` is the service of that name in the workspace;
    :meth:`list` (or ``ws.webservices``) gives them all. Its ``scoring_uri`` answers
    ``POST`` requests whose body is handed to the entry script's ``run(raw_data)``.

    Args:
        workspace: the workspace that records it.
        name: its name.

    Raises:
        NotFoundError: there is no such service.

    Example:
        >>> service = Model.deploy(ws, "mnist-svc", [model], config, deployment)  # doctest: +SKIP
        >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
        >>> service.run(json.dumps({"data": rows}))  # doctest: +SKIP
    """

    def __init__(
        self, workspace: Workspace, name: str, *, _record: ServiceRecord | None = None
    ) -> None:
        self._workspace = workspace
        self._record = _record or workspace.store.get_service(check_service_name(name))
        self._client: httpx.Client | None = None

    @staticmethod
    def list(workspace: Workspace) -> builtins.list[Webservice]:
        """Every web service of the workspace, by name."""
        return [
            Webservice(workspace, record.name, _record=record)
            for record in workspace.store.list_services()
        ]

    # -- what it is ----------------------------------------------------------------------

    @property
    def _backend(self) -> ServiceBackend:
        return backend_of(self._record.kind)

    def _refresh(self) -> ServiceRecord:
        self._record = self._workspace.store.get_service(self._record.name)
        return self._record

    @property
    def workspace(self) -> Workspace:
        """The workspace that records it."""
        return self._workspace

    @property
    def name(self) -> str:
        """Its name."""
        return self._record.name

    @property
    def compute_type(self) -> str:
        """``local`` (a process on this machine) or ``ray`` (Ray Serve on a cluster)."""
        return self._record.kind

    @property
    def state(self) -> str:
        """Transitioning, Healthy, Unhealthy or Failed, as of now."""
        return self._backend.live_state(self._workspace, self._refresh())

    @property
    def scoring_uri(self) -> str | None:
        """The URL to POST requests to; None until the service has started listening."""
        uri = self._refresh().details.get("scoring_uri")
        return None if uri is None else str(uri)

    @property
    def swagger_uri(self) -> str | None:
        """The URL of its OpenAPI description; None until it listens."""
        uri = self._refresh().details.get("swagger_uri")
        return None if uri is None else str(uri)

    @property
    def models(self) -> builtins.list[Model]:
        """The model versions it serves (each leads to its run: ``model.run``)."""
        from runlab.models import Model

        return [Model(self._workspace, id=model_id) for model_id in self._refresh().models]

    @property
    def model_ids(self) -> builtins.list[str]:
        """The ids (``name:version``) of the model versions it serves."""
        return builtins.list(self._refresh().models)

    @property
    def auth_enabled(self) -> bool:
        """Whether requests need a key."""
        return bool(self._record.config.get("deployment", {}).get("auth_enabled"))

    @property
    def error(self) -> str | None:
        """Why it is Failed (or why its last update failed), or None."""
        error = self._refresh().details.get("error")
        return None if error is None else str(error)

    # -- waiting and reading -------------------------------------------------------------

    def wait_for_deployment(
        self, show_output: bool = False, timeout_sec: float | None = None
    ) -> None:
        """Wait until the service is Healthy, or raise when it Failed.

        Args:
            show_output: print each new state, and its log as it grows.
            timeout_sec: give up after this long (default: wait as long as it takes).

        Raises:
            DeploymentFailedError: it Failed; the message quotes its error and the tail of
                its log (the traceback of ``init()``).
            InvalidStateError: the timeout passed first.
        """
        deadline = None if timeout_sec is None else time.monotonic() + timeout_sec
        shown_state, shown_log = "", 0
        while True:
            state = self.state
            if show_output:
                if state != shown_state:
                    print(f"{self.name}: {state}", flush=True)
                    shown_state = state
                log = self.get_logs()
                if len(log) > shown_log:
                    sys.stdout.write(log[shown_log:])
                    sys.stdout.flush()
                    shown_log = len(log)
            if state == ServiceState.HEALTHY:
                return
            if state == ServiceState.FAILED:
                tail = "\n".join(self.get_logs().splitlines()[-_LOG_TAIL_LINES:])
                error = self._record.details.get("error") or "its process is gone"
                raise DeploymentFailedError(
                    f"web service {self.name!r} failed: {error}\n--- its log ends ---\n{tail}"
                )
            if deadline is not None and time.monotonic() > deadline:
                raise InvalidStateError(
                    f"web service {self.name!r} is still {state} after {timeout_sec} s"
                )
            time.sleep(_POLL_S)

    def get_logs(self, num_lines: int | None = None) -> str:
        """Its log: the environment build, each start and restart, ``init()`` tracebacks and
        what the entry script printed.

        Args:
            num_lines: only the last this many lines.
        """
        text = self._backend.logs(self._workspace, self._refresh())
        if num_lines is not None:
            text = "".join(text.splitlines(keepends=True)[-num_lines:])
        return text

    # -- keys ----------------------------------------------------------------------------

    def get_keys(self) -> tuple[str, str]:
        """The primary and secondary keys (either is accepted as ``Authorization: Bearer``).

        Raises:
            InvalidStateError: authentication is off for this service.
        """
        return self._backend.keys(self._refresh())

    def regen_key(self, key: str) -> None:
        """Replace the ``"Primary"`` or ``"Secondary"`` key; the old one stops working.

        Raises:
            ValidationError: another ``key``.
            InvalidStateError: authentication is off.
        """
        which = str(key).lower()
        if which not in ("primary", "secondary"):
            raise ValidationError(f"regen_key takes 'Primary' or 'Secondary', not {key!r}")
        self._backend.regen_key(self._workspace, self._refresh(), which)

    # -- scoring -------------------------------------------------------------------------

    def run(self, input_data: Any) -> Any:
        """Score ``input_data`` through the service and return what its ``run()`` returned.

        A string is sent as it is; anything else as JSON. A request on a kept-alive
        connection that the service closed before answering (as a scoring process being
        replaced by :meth:`update` does) is sent once more on a new connection.

        Raises:
            ValidationError: the service refused the input (its status 400 or 413).
            AccessDeniedError: a key is needed or was refused (401).
            BackendError: ``run()`` raised or timed out, or the service cannot be reached;
                the message is the service's.
            InvalidStateError: the service has no scoring URI yet.
        """
        import httpx

        from runlab.errors import AccessDeniedError

        uri = self.scoring_uri
        if uri is None:
            raise InvalidStateError(f"web service {self.name!r} is not listening yet")
        body = input_data if isinstance(input_data, str | bytes) else json.dumps(input_data)
        headers = {"Content-Type": "application/json"}
        if self.auth_enabled:
            headers["Authorization"] = f"Bearer {self.get_keys()[0]}"
        if self._client is None:
            self._client = httpx.Client(timeout=DEFAULT_REQUEST_TIMEOUT_S + 30)
        try:
            try:
                response = self._client.post(uri, content=body, headers=headers)
            except httpx.RemoteProtocolError:  # closed by the server before any answer
                response = self._client.post(uri, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise BackendError(f"web service {self.name!r} at {uri}: {error}") from error
        try:
            answer = response.json()
        except ValueError:
            answer = {"error": response.text}
        if response.status_code == 200:
            return answer
        message = f"web service {self.name!r} answered {response.status_code}: " + str(
            answer.get("error", answer) if isinstance(answer, dict) else answer
        )
        if response.status_code in (400, 413, 422):
            raise ValidationError(message)
        if response.status_code in (401, 403):
            raise AccessDeniedError(message)
        raise BackendError(message)

    # -- changing it ---------------------------------------------------------------------

    def update(
        self,
        models: Sequence[Model] | None = None,
        inference_config: InferenceConfig | None = None,
    ) -> None:
        """Serve other model versions and/or other code. The new version starts beside the
        old one, which answers until the new one does; call :meth:`wait_for_deployment`.

        Raises:
            ValidationError: neither is given, or bad models.
            DeploymentFailedError: (from ``wait_for_deployment``) the new version failed;
                the old one still serves.
        """
        if models is None and inference_config is None:
            raise ValidationError("update() needs models=, inference_config= or both")
        record = self._refresh()
        if models is None:
            models = self.models
        if inference_config is None:
            inference_config = InferenceConfig.from_dict(record.config["inference"])
        self._backend.update(self._workspace, record, models, inference_config)
        self._refresh()

    def delete(self) -> None:
        """Stop the service's processes and forget it.

        Raises:
            NotFoundError: it was deleted already.
        """
        if self._client is not None:
            self._client.close()
            self._client = None
        self._backend.delete(self._workspace, self._refresh())

    def serialize(self) -> dict[str, Any]:
        """What it is, as JSON values (the SDK's name)."""
        record = self._refresh()
        return record.to_dict() | {"state": self.state}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(workspace={self._workspace.name!r}, name={self.name!r},"
            f" compute_type={self.compute_type!r}, state={self._record.state!r},"
            f" scoring_uri={self._record.details.get('scoring_uri')!r})"
        )


class LocalWebservice(Webservice):
    """A service on this machine (the SDK's local deployment)."""

    @staticmethod
    def deploy_configuration(
        port: int | None = None,
        *,
        host: str = "127.0.0.1",
        auth_enabled: bool = False,
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    ) -> LocalDeploymentConfiguration:
        """Where and how to serve on this machine.

        Args:
            port: the port; None picks a free one.
            host: the address to bind; 127.0.0.1 unless told otherwise.
            auth_enabled: requests need a key.
            max_request_bytes: larger bodies are refused (413).
            request_timeout_s: slower ``run()`` calls are answered with 504.

        Raises:
            ValidationError: a bad value.
        """
        return LocalDeploymentConfiguration(
            port=port,
            host=host,
            auth_enabled=auth_enabled,
            max_request_bytes=max_request_bytes,
            request_timeout_s=request_timeout_s,
        )


class AciWebservice(Webservice):
    """The SDK's container instance service; on runlab a process on this machine, as
    :class:`LocalWebservice` (Azure took minutes to start one; this takes seconds)."""

    @staticmethod
    def deploy_configuration(
        cpu_cores: float | None = None,
        memory_gb: float | None = None,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        auth_enabled: bool = False,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        **_ignored: Any,
    ) -> LocalDeploymentConfiguration:
        """The SDK's arguments; ``cpu_cores`` and ``memory_gb`` are recorded, not enforced,
        and the SDK's other Azure-only arguments are accepted and ignored.

        Raises:
            ValidationError: a bad value.
        """
        return LocalDeploymentConfiguration(
            port=port,
            host=host,
            auth_enabled=auth_enabled,
            cpu_cores=cpu_cores,
            memory_gb=memory_gb,
            tags=tags,
            description=description,
        )


class AksWebservice(Webservice):
    """The SDK's Kubernetes service; on runlab a Ray Serve application on a
    :class:`~runlab.compute.ray.RayCompute` (``deployment_target=``)."""

    @staticmethod
    def deploy_configuration(
        autoscale_enabled: bool = False,
        autoscale_min_replicas: int = 1,
        autoscale_max_replicas: int = 10,
        num_replicas: int | None = None,
        cpu_cores: float = 0.1,
        memory_gb: float | None = None,
        auth_enabled: bool = False,
        tags: dict[str, str] | None = None,
        description: str | None = None,
        **_ignored: Any,
    ) -> AksDeploymentConfiguration:
        """Replicas and resources of each; the SDK's Kubernetes-only arguments are accepted
        and ignored.

        Raises:
            ValidationError: a bad value.
        """
        return AksDeploymentConfiguration(
            autoscale_enabled=autoscale_enabled,
            autoscale_min_replicas=autoscale_min_replicas,
            autoscale_max_replicas=autoscale_max_replicas,
            num_replicas=num_replicas or 1,
            cpu_cores=cpu_cores,
            memory_gb=memory_gb,
            auth_enabled=auth_enabled,
            tags=tags,
            description=description,
        )
