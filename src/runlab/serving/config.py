"""What a web service runs (:class:`InferenceConfig`) and where (the deployment configurations)."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.environments import Environment
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.models import Model
    from runlab.serving.webservice import Webservice
    from runlab.tracking import Workspace

__all__ = [
    "AksDeploymentConfiguration",
    "InferenceConfig",
    "LocalDeploymentConfiguration",
    "check_service_name",
]

_SERVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT_S = 60.0


def check_service_name(name: object) -> str:
    """``name`` if it is a valid web service name: 1-63 letters, digits, ``-``, ``_`` and
    ``.``, starting with a letter or digit.

    Raises:
        ValidationError: it is not.
    """
    if not isinstance(name, str) or not _SERVICE_NAME.fullmatch(name):
        raise ValidationError(
            f"bad web service name {name!r}: use 1-63 letters, digits, '-', '_' or '.',"
            " starting with a letter or digit"
        )
    return name


class InferenceConfig:
    """What a web service runs: an entry script with ``init()`` and ``run(raw_data)``, the
    folder it comes from, and the environment it runs in (Azure ML SDK v1's name).

    ``init()`` is called once when the service starts; it finds the deployed models' files
    with :meth:`runlab.Model.get_model_path`. ``run(raw_data)`` is called for each request
    with the request body as a string and returns anything JSON can hold (numpy arrays too).

    Args:
        entry_script: the script, relative to ``source_directory`` when one is given.
        environment: the packages it needs (built once with uv and cached, as for jobs;
            uvicorn is added). None runs it with this interpreter, installing nothing.
        source_directory: a folder copied whole beside the script (its modules import).

    Raises:
        ValidationError: the script or folder does not exist, or the environment is not an
            :class:`~runlab.environments.Environment`.

    Example:
        >>> config = InferenceConfig("score.py", environment=env)  # doctest: +SKIP
    """

    def __init__(
        self,
        entry_script: str | os.PathLike[str],
        environment: Environment | None = None,
        source_directory: str | os.PathLike[str] | None = None,
    ) -> None:
        if environment is not None and not isinstance(environment, Environment):
            raise ValidationError(
                f"an InferenceConfig's environment is a runlab Environment, not {environment!r}"
            )
        self.environment = environment
        self.source_directory = (
            None if source_directory is None else Path(source_directory).resolve()
        )
        if self.source_directory is not None and not self.source_directory.is_dir():
            raise ValidationError(f"source_directory {source_directory} is not a folder")
        base = self.source_directory or Path.cwd()
        self.entry_script = str(entry_script)
        script = (base / self.entry_script).resolve()
        if not script.is_file():
            raise ValidationError(
                f"the entry script {self.entry_script} is not a file in {base}: write score.py"
                " with init() and run(raw_data) first"
            )
        if self.source_directory is not None and not script.is_relative_to(self.source_directory):
            raise ValidationError(
                f"the entry script {self.entry_script} is outside source_directory {base}"
            )
        self.script_path = script

    def to_dict(self) -> dict[str, Any]:
        """What it holds, as JSON values (recorded with the service)."""
        return {
            "entry_script": self.entry_script,
            "script_path": str(self.script_path),
            "source_directory": None
            if self.source_directory is None
            else str(self.source_directory),
            "environment": None if self.environment is None else self.environment.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InferenceConfig:
        """The config :meth:`to_dict` described (its files must still exist).

        Raises:
            ValidationError: they do not.
        """
        environment = data.get("environment")
        source = data.get("source_directory")
        return cls(
            data["entry_script"] if source else data["script_path"],
            None if environment is None else Environment.from_dict(environment),
            source,
        )

    def __repr__(self) -> str:
        return (
            f"InferenceConfig(entry_script={self.entry_script!r}, "
            f"source_directory={self.source_directory!r}, environment={self.environment!r})"
        )


def _positive(value: float | None, what: str) -> None:
    if value is not None and (isinstance(value, bool) or not value > 0):
        raise ValidationError(f"{what} must be a positive number, not {value!r}")


@dataclasses.dataclass(frozen=True)
class LocalDeploymentConfiguration:
    """A service on this machine: a detached uvicorn process in the inference config's
    environment, kept up by a supervisor that restarts it (with backoff) if it dies.

    Made by :meth:`LocalWebservice.deploy_configuration` or
    :meth:`AciWebservice.deploy_configuration`; ``cpu_cores`` and ``memory_gb`` are recorded,
    not enforced, on this machine.

    Attributes:
        port: the port to listen on; None picks a free one.
        host: the address to bind; 127.0.0.1 unless told otherwise.
        auth_enabled: requests need ``Authorization: Bearer <key>`` (see ``get_keys``).
        max_request_bytes: larger request bodies are refused with 413.
        request_timeout_s: a ``run()`` that takes longer is answered with 504.
        cpu_cores, memory_gb, tags, description: as the SDK's ACI configuration has them.
    """

    port: int | None = None
    host: str = "127.0.0.1"
    auth_enabled: bool = False
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    cpu_cores: float | None = None
    memory_gb: float | None = None
    tags: Mapping[str, str] | None = None
    description: str | None = None

    kind = "local"

    def __post_init__(self) -> None:
        if self.port is not None and (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 < self.port < 65536
        ):
            raise ValidationError(f"port must be an int from 1 to 65535, not {self.port!r}")
        if not isinstance(self.host, str) or not self.host:
            raise ValidationError(f"host must be an address such as 127.0.0.1, not {self.host!r}")
        _positive(self.max_request_bytes, "max_request_bytes")
        _positive(self.request_timeout_s, "request_timeout_s")
        _positive(self.cpu_cores, "cpu_cores")
        _positive(self.memory_gb, "memory_gb")

    def to_dict(self) -> dict[str, Any]:
        """What it holds, as JSON values."""
        data = dataclasses.asdict(self)
        data["tags"] = dict(self.tags or {})
        return data

    def deploy(
        self,
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        inference_config: InferenceConfig,
        deployment_target: object = None,
        overwrite: bool = False,
    ) -> Webservice:
        """Deploy on this machine; see :meth:`runlab.Model.deploy`."""
        from runlab.serving.local import deploy_local

        if deployment_target is not None:
            raise ValidationError(
                "a local (or ACI) deployment runs on this machine: leave deployment_target out,"
                " or use AksWebservice.deploy_configuration() with a RayCompute"
            )
        return deploy_local(workspace, name, models, inference_config, self, overwrite)


@dataclasses.dataclass(frozen=True)
class AksDeploymentConfiguration:
    """A service on a Ray cluster (:class:`~runlab.compute.ray.RayCompute`): a Ray Serve
    application with replicas and autoscaling from here.

    Made by :meth:`AksWebservice.deploy_configuration`.

    Attributes:
        autoscale_enabled: scale between the min and max replicas with the load.
        autoscale_min_replicas, autoscale_max_replicas: the bounds when autoscaling.
        num_replicas: the fixed number of replicas when not autoscaling.
        cpu_cores: CPUs each replica reserves.
        memory_gb: memory each replica reserves.
        auth_enabled: requests need ``Authorization: Bearer <key>``.
        max_request_bytes, request_timeout_s: as for a local service.
    """

    autoscale_enabled: bool = False
    autoscale_min_replicas: int = 1
    autoscale_max_replicas: int = 10
    num_replicas: int = 1
    cpu_cores: float = 0.1
    memory_gb: float | None = None
    auth_enabled: bool = False
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    tags: Mapping[str, str] | None = None
    description: str | None = None

    kind = "ray"

    def __post_init__(self) -> None:
        for what in ("autoscale_min_replicas", "autoscale_max_replicas", "num_replicas"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValidationError(f"{what} must be an int of at least 1, not {value!r}")
        if self.autoscale_min_replicas > self.autoscale_max_replicas:
            raise ValidationError(
                f"autoscale_min_replicas ({self.autoscale_min_replicas}) is above"
                f" autoscale_max_replicas ({self.autoscale_max_replicas})"
            )
        _positive(self.cpu_cores, "cpu_cores")
        _positive(self.memory_gb, "memory_gb")
        _positive(self.max_request_bytes, "max_request_bytes")
        _positive(self.request_timeout_s, "request_timeout_s")

    def to_dict(self) -> dict[str, Any]:
        """What it holds, as JSON values."""
        data = dataclasses.asdict(self)
        data["tags"] = dict(self.tags or {})
        return data

    def deploy(
        self,
        workspace: Workspace,
        name: str,
        models: Sequence[Model],
        inference_config: InferenceConfig,
        deployment_target: object = None,
        overwrite: bool = False,
    ) -> Webservice:
        """Deploy on a Ray cluster as a Ray Serve application; see :meth:`runlab.Model.deploy`.

        Raises:
            ValidationError: ``deployment_target`` is not a RayCompute.
        """
        from runlab.serving.ray_serve import deploy_ray

        return deploy_ray(
            workspace, name, models, inference_config, self, deployment_target, overwrite
        )
