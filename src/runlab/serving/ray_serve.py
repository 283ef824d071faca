"""Web services on a Ray cluster: Ray Serve applications, deployed through the dashboard's
Serve REST API (``/api/serve/applications/``), so runlab's process never joins the cluster.

The cluster's Serve config is one document for all its applications: deploying one reads
it, adds or replaces that application, and writes it back; deleting the last one shuts Serve
down, which stops its controller, proxy and replicas. The application's files (the entry
script, the models) are prepared as for a local service, in a folder the cluster reads, so
the cluster must share this machine's files (runlab-created clusters do).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab._files import write_atomic
from runlab.entities.service import ServiceRecord, ServiceState
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from runlab.serving.backend import ServiceBackend, model_ids
from runlab.serving.config import (
    AksDeploymentConfiguration,
    InferenceConfig,
    LocalDeploymentConfiguration,
    check_service_name,
)
from runlab.serving.local import KEYS_FILE, prepare_generation, service_root

if TYPE_CHECKING:
    from runlab.models import Model
    from runlab.serving.webservice import Webservice
    from runlab.tracking import Workspace

__all__ = ["RayServeBackend", "deploy_ray"]

APPLICATIONS = "/api/serve/applications/"
IMPORT_PATH = "runlab.serving.ray_app:build"
_STATES = {
    "RUNNING": ServiceState.HEALTHY,
    "DEPLOYING": ServiceState.TRANSITIONING,
    "NOT_STARTED": ServiceState.TRANSITIONING,
    "DELETING": ServiceState.TRANSITIONING,
    "UNHEALTHY": ServiceState.UNHEALTHY,
    "DEPLOY_FAILED": ServiceState.FAILED,
}


class _Dashboard:
    """The Serve REST API of one cluster's dashboard, with its token when it has one."""

    def __init__(self, address: str, token_file: str | None) -> None:
        self.address = address.rstrip("/")
        token = Path(token_file).read_text(encoding="utf-8").strip() if token_file else ""
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _request(self, method: str, body: Any = None) -> Any:
        import httpx

        try:
            answer = httpx.request(
                method, self.address + APPLICATIONS, json=body, headers=self.headers, timeout=60
            )
        except httpx.HTTPError as error:
            raise BackendError(
                f"the Ray cluster at {self.address} does not answer: {error}"
            ) from error
        if answer.status_code >= 400:
            raise BackendError(
                f"the Ray cluster at {self.address} refused the Serve request"
                f" ({answer.status_code}): {answer.text[:2000]}"
            )
        return answer.json() if answer.content else None

    def details(self) -> dict[str, Any]:
        """What Serve runs now: ``http_options``, ``applications`` by name (may be empty)."""
        found = self._request("GET")
        return found if isinstance(found, dict) else {}

    def deploy(self, applications: list[dict[str, Any]], port: int) -> None:
        """Make ``applications`` the whole of the cluster's Serve config."""
        config = {
            "proxy_location": "HeadOnly",
            "http_options": {"host": "127.0.0.1", "port": port},
            "applications": applications,
        }
        self._request("PUT", config)

    def shutdown(self) -> None:
        """Stop Serve on the cluster: controller, proxy and every replica."""
        self._request("DELETE")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _dashboard_of(workspace: Workspace, cluster_name: str) -> _Dashboard:
    state = workspace.store.get_compute_target(cluster_name).state
    return _Dashboard(str(state["address"]), state.get("token_file"))


def _application(
    name: str, spec: dict[str, Any], config: AksDeploymentConfiguration
) -> dict[str, Any]:
    deployment: dict[str, Any] = {
        "name": "Scorer",
        "ray_actor_options": {"num_cpus": config.cpu_cores}
        | ({"memory": int(config.memory_gb * 2**30)} if config.memory_gb else {}),
    }
    if config.autoscale_enabled:
        deployment["autoscaling_config"] = {
            "min_replicas": config.autoscale_min_replicas,
            "max_replicas": config.autoscale_max_replicas,
        }
    else:
        deployment["num_replicas"] = config.num_replicas
    application: dict[str, Any] = {
        "name": name,
        "route_prefix": f"/{name}",
        "import_path": IMPORT_PATH,
        "args": {"spec": spec},
        "deployments": [deployment],
    }
    environment = spec.get("environment")
    if environment and not environment.get("user_managed") and environment.get("pip_packages"):
        application["runtime_env"] = {"pip": list(environment["pip_packages"])}
    return application


def _prepare(
    service_dir: Path,
    generation: int,
    name: str,
    models: Sequence[Model],
    inference_config: InferenceConfig,
    config: AksDeploymentConfiguration,
) -> dict[str, Any]:
    limits = LocalDeploymentConfiguration(
        auth_enabled=config.auth_enabled,
        max_request_bytes=config.max_request_bytes,
        request_timeout_s=config.request_timeout_s,
    )
    prepare_generation(service_dir, generation, name, models, inference_config, limits)
    spec: dict[str, Any] = json.loads(
        (service_dir / f"gen-{generation}" / "spec.json").read_text(encoding="utf-8")
    )
    return spec


def _apply(dashboard: _Dashboard, name: str, application: dict[str, Any] | None) -> int:
    """Put (or, with None, remove) one application in the cluster's Serve config; returns
    the HTTP port Serve listens on."""
    details = dashboard.details()
    port = int((details.get("http_options") or {}).get("port") or 0)
    if not details.get("controller_info") or not port or port == 8000:
        port = port if details.get("applications") else _free_port()
    applications = [
        app_details["deployed_app_config"]
        for app_name, app_details in (details.get("applications") or {}).items()
        if app_name != name and app_details.get("deployed_app_config")
    ]
    if application is not None:
        applications.append(application)
    if applications:
        dashboard.deploy(applications, port)
    elif details.get("applications") or details.get("controller_info"):
        dashboard.shutdown()
    return port


def deploy_ray(
    workspace: Workspace,
    name: str,
    models: Sequence[Model],
    inference_config: InferenceConfig,
    config: AksDeploymentConfiguration,
    deployment_target: object,
    overwrite: bool,
) -> Webservice:
    """Deploy a service as a Ray Serve application on ``deployment_target`` and return it
    at once, Transitioning (see :meth:`runlab.Model.deploy`).

    Raises:
        ValidationError: the target is not a RayCompute, or a bad name, models or config.
        AlreadyExistsError: a service of that name exists and ``overwrite`` is false.
        BackendError: the cluster refused or did not answer.
    """
    from runlab.compute.ray import RayCompute
    from runlab.serving.webservice import Webservice

    if not isinstance(deployment_target, RayCompute):
        raise ValidationError(
            "an AKS deployment runs as Ray Serve on a Ray cluster: give"
            f" deployment_target=RayCompute(ws, NAME), not {deployment_target!r}"
        )
    check_service_name(name)
    ids = model_ids(models)
    try:
        existing = workspace.store.get_service(name)
    except NotFoundError:
        existing = None
    if existing is not None:
        if not overwrite:
            raise AlreadyExistsError(
                f"web service {name!r} exists: pass overwrite=True to replace it, or call its"
                " update()"
            )
        Webservice(workspace, name, _record=existing).delete()
    service_dir = service_root() / f"{name}-{secrets.token_hex(4)}"
    service_dir.mkdir(mode=0o700)
    try:
        spec = _prepare(service_dir, 1, name, models, inference_config, config)
        if config.auth_enabled:
            keys = {"primary": secrets.token_urlsafe(32), "secondary": secrets.token_urlsafe(32)}
            write_atomic(service_dir / KEYS_FILE, json.dumps(keys), mode=0o600)
        dashboard = _dashboard_of(workspace, deployment_target.name)
        port = _apply(dashboard, name, _application(name, spec, config))
    except BaseException:
        shutil.rmtree(service_dir, ignore_errors=True)
        raise
    base = f"http://127.0.0.1:{port}/{name}"
    record = workspace.store.create_service(
        name,
        "ray",
        state=ServiceState.TRANSITIONING,
        models=ids,
        config={"deployment": config.to_dict(), "inference": inference_config.to_dict()},
        details={
            "service_dir": str(service_dir),
            "cluster": deployment_target.name,
            "port": port,
            "generation": 1,
            "scoring_uri": f"{base}/score",
            "swagger_uri": f"{base}/swagger.json",
        },
    )
    return Webservice(workspace, name, _record=record)


class RayServeBackend(ServiceBackend):
    """Services served by Ray Serve on a Ray cluster."""

    @staticmethod
    def _dir(record: ServiceRecord) -> Path:
        return Path(record.details["service_dir"])

    @staticmethod
    def _application_details(workspace: Workspace, record: ServiceRecord) -> dict[str, Any]:
        dashboard = _dashboard_of(workspace, record.details["cluster"])
        found = (dashboard.details().get("applications") or {}).get(record.name)
        return found if isinstance(found, dict) else {}

    def live_state(self, workspace: Workspace, record: ServiceRecord) -> str:
        """See :meth:`ServiceBackend.live_state`: Serve's status of the application,
        recorded when it changed."""
        try:
            details = self._application_details(workspace, record)
        except (BackendError, NotFoundError):
            return ServiceState.FAILED.value
        state = _STATES.get(str(details.get("status")), ServiceState.FAILED).value
        if state != record.state:
            error = details.get("message") if state == ServiceState.FAILED else None
            workspace.store.update_service(
                record.name, state=state, details=record.details | {"error": error}
            )
        return state

    def logs(self, workspace: Workspace, record: ServiceRecord) -> str:
        """See :meth:`ServiceBackend.logs`: what Serve says of the application and its
        deployment (a failed ``init()``'s traceback among it)."""
        try:
            details = self._application_details(workspace, record)
        except (BackendError, NotFoundError) as error:
            return f"cannot reach the Ray cluster: {error}\n"
        lines = [f"application {record.name}: {details.get('status')} {details.get('message', '')}"]
        for name, deployment in (details.get("deployments") or {}).items():
            lines.append(
                f"deployment {name}: {deployment.get('status')} {deployment.get('message', '')}"
            )
            for replica in deployment.get("replicas") or []:
                lines.append(f"  replica {replica.get('replica_id')}: {replica.get('state')}")
        return "\n".join(lines) + "\n"

    def keys(self, record: ServiceRecord) -> tuple[str, str]:
        """See :meth:`ServiceBackend.keys`."""
        if not record.config.get("deployment", {}).get("auth_enabled"):
            raise InvalidStateError(f"web service {record.name!r} has authentication off: no keys")
        keys = json.loads((self._dir(record) / KEYS_FILE).read_text(encoding="utf-8"))
        return keys["primary"], keys["secondary"]

    def regen_key(self, workspace: Workspace, record: ServiceRecord, which: str) -> None:
        """See :meth:`ServiceBackend.regen_key`: the replicas read the key file again."""
        self.keys(record)
        keys = json.loads((self._dir(record) / KEYS_FILE).read_text(encoding="utf-8"))
        keys[which] = secrets.token_urlsafe(32)
        write_atomic(self._dir(record) / KEYS_FILE, json.dumps(keys), mode=0o600)

    def update(
        self,
        workspace: Workspace,
        record: ServiceRecord,
        models: Sequence[Model],
        inference_config: InferenceConfig,
    ) -> None:
        """See :meth:`ServiceBackend.update`: Serve replaces the replicas one by one."""
        config = AksDeploymentConfiguration(**record.config["deployment"])
        generation = int(record.details.get("generation", 1)) + 1
        spec = _prepare(
            self._dir(record), generation, record.name, models, inference_config, config
        )
        dashboard = _dashboard_of(workspace, record.details["cluster"])
        _apply(dashboard, record.name, _application(record.name, spec, config))
        workspace.store.update_service(
            record.name,
            state=ServiceState.TRANSITIONING,
            models=model_ids(models),
            config=record.config | {"inference": inference_config.to_dict()},
            details=record.details | {"generation": generation},
        )

    def delete(self, workspace: Workspace, record: ServiceRecord) -> None:
        """See :meth:`ServiceBackend.delete`: the application leaves the cluster's Serve
        config; Serve itself stops with the last one."""
        with contextlib.suppress(NotFoundError):  # the cluster is gone, its applications too
            _apply(_dashboard_of(workspace, record.details["cluster"]), record.name, None)
        workspace.store.delete_service(record.name)
        shutil.rmtree(self._dir(record), ignore_errors=True)
