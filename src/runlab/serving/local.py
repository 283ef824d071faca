"""Web services on this machine: a supervisor process per service, serving through uvicorn.

Each service has a folder of its own (under :func:`service_root`)::

    <name>-<8 hex>/
        service.json    what the supervisor needs: the workspace, host, port
        keys.json       the keys, when authentication is on (0600)
        generation      the generation that should serve (a number; update() raises it)
        service.log     the supervisor's lines and the scoring processes' output
        launcher.json   the supervisor's pid, as the deployer started it
        gen-<n>/        one deployed version: spec.json, models/, models.json, src/

:mod:`runlab.serving.supervisor` runs detached (its own process group), binds the listening
socket once, and starts the scoring process of the wanted generation on it; see there.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab._files import write_atomic
from runlab.compute.processes import (
    process_alive,
    process_create_time,
    start_detached,
    terminate_tree,
)
from runlab.entities.service import SERVICE_MODELS_VARIABLE, ServiceRecord, ServiceState
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from runlab.serving.backend import ServiceBackend, model_ids
from runlab.serving.config import InferenceConfig, LocalDeploymentConfiguration, check_service_name

if TYPE_CHECKING:
    from runlab.models import Model
    from runlab.serving.webservice import Webservice
    from runlab.tracking import Workspace

__all__ = ["LocalBackend", "deploy_local", "service_root"]

SERVICE_FILE = "service.json"
KEYS_FILE = "keys.json"
GENERATION_FILE = "generation"
LOG_FILE = "service.log"
LAUNCHER_FILE = "launcher.json"
STOP_GRACE_S = 5.0
LOG_TAIL_BYTES = 1024 * 1024
_IGNORED = shutil.ignore_patterns(".git", "__pycache__", ".runlab", "*.pyc", ".ipynb_checkpoints")


def service_root() -> Path:
    """The folder of local services' folders (``RUNLAB_SERVICE_ROOT``, else a ``runlab-services``
    folder in the temporary folder).

    Raises:
        BackendError: it cannot be created.
    """
    configured = os.environ.get("RUNLAB_SERVICE_ROOT")
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "runlab-services"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackendError(
            f"cannot use {root} for web services ({error}): set RUNLAB_SERVICE_ROOT to a"
            " writable folder"
        ) from error
    return root


def prepare_generation(
    service_dir: Path,
    generation: int,
    name: str,
    models: Sequence[Model],
    inference_config: InferenceConfig,
    config: LocalDeploymentConfiguration,
) -> None:
    """Write ``gen-<generation>/``: the models' files, a copy of the source, and the spec
    the scoring process reads.

    Raises:
        BackendError: a file cannot be written or a model cannot be downloaded.
    """
    gen_dir = service_dir / f"gen-{generation}"
    try:
        gen_dir.mkdir(parents=True)
        source = gen_dir / "src"
        if inference_config.source_directory is not None:
            shutil.copytree(inference_config.source_directory, source, ignore=_IGNORED)
            script = source / inference_config.script_path.relative_to(
                inference_config.source_directory
            )
        else:
            source.mkdir()
            script = source / inference_config.script_path.name
            shutil.copy2(inference_config.script_path, script)
        paths: dict[str, dict[str, str]] = {}
        for model in models:
            target = gen_dir / "models" / model.name / str(model.version)
            paths.setdefault(model.name, {})[str(model.version)] = model.download(target)
        write_atomic(gen_dir / "models.json", json.dumps(paths, indent=2))
    except OSError as error:
        raise BackendError(f"cannot prepare web service {name!r} in {gen_dir}: {error}") from error
    environment = inference_config.environment
    model_dir = (
        str(gen_dir / "models" / models[0].name / str(models[0].version))
        if len(models) == 1
        else str(gen_dir / "models")
    )
    spec = {
        "name": name,
        "generation": generation,
        "entry_script": str(script),
        "workdir": str(source),
        "environment": None if environment is None else environment.to_dict(),
        "variables": {
            SERVICE_MODELS_VARIABLE: str(gen_dir / "models.json"),
            "AZUREML_MODEL_DIR": model_dir,
        },
        "key_file": str(service_dir / KEYS_FILE) if config.auth_enabled else None,
        "ready_file": str(gen_dir / "ready"),
        "max_body_bytes": config.max_request_bytes,
        "timeout_s": config.request_timeout_s,
    }
    write_atomic(gen_dir / "spec.json", json.dumps(spec, indent=2))


def _new_keys() -> dict[str, str]:
    return {"primary": secrets.token_urlsafe(32), "secondary": secrets.token_urlsafe(32)}


def deploy_local(
    workspace: Workspace,
    name: str,
    models: Sequence[Model],
    inference_config: InferenceConfig,
    config: LocalDeploymentConfiguration,
    overwrite: bool,
) -> Webservice:
    """Deploy a service on this machine and return it at once, Transitioning (see
    :meth:`runlab.Model.deploy`).

    Raises:
        AlreadyExistsError: a service of that name exists and ``overwrite`` is false.
        ValidationError: a bad name, models or config.
        BackendError: its folder cannot be prepared or its supervisor cannot start.
    """
    from runlab.serving.webservice import Webservice

    check_service_name(name)
    ids = model_ids(models)
    if not isinstance(inference_config, InferenceConfig):
        raise ValidationError(
            f"inference_config must be an InferenceConfig, not {inference_config!r}"
        )
    store = workspace.store
    try:
        existing = store.get_service(name)
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
    try:
        service_dir.mkdir(mode=0o700)
        prepare_generation(service_dir, 1, name, models, inference_config, config)
        if config.auth_enabled:
            write_atomic(service_dir / KEYS_FILE, json.dumps(_new_keys()), mode=0o600)
        settings = {
            "name": name,
            "workspace": workspace.to_dict(),
            "host": config.host,
            "port": config.port or 0,
        }
        write_atomic(service_dir / SERVICE_FILE, json.dumps(settings, indent=2), mode=0o600)
        write_atomic(service_dir / GENERATION_FILE, "1")
    except BaseException:
        shutil.rmtree(service_dir, ignore_errors=True)
        raise
    record = store.create_service(
        name,
        "local",
        state=ServiceState.TRANSITIONING,
        models=ids,
        config={"deployment": config.to_dict(), "inference": inference_config.to_dict()},
        details={"service_dir": str(service_dir), "host_name": socket.gethostname()},
    )
    try:
        with (service_dir / LOG_FILE).open("ab") as log:
            process = start_detached(
                [sys.executable, "-m", "runlab.serving.supervisor", str(service_dir)], stdout=log
            )
    except OSError as error:
        store.update_service(
            name, state=ServiceState.FAILED, details=record.details | {"error": str(error)}
        )
        raise BackendError(f"cannot start web service {name!r}: {error}") from error
    # Who the supervisor is, until it records itself: a supervisor that dies before that
    # (it cannot import, or open the store) makes the service Failed, not Transitioning forever.
    launcher = {"pid": process.pid, "pid_create_time": process_create_time(process.pid)}
    write_atomic(service_dir / LAUNCHER_FILE, json.dumps(launcher))
    # Reap it when it ends, so a long-lived deployer collects no zombies.
    threading.Thread(target=process.wait, name="runlab-service-reaper", daemon=True).start()
    return Webservice(workspace, name, _record=record)


def _supervisor_alive(details: dict[str, Any]) -> bool | None:
    """Whether the service's supervisor runs; None when it has not said who it is yet."""
    if not isinstance(details.get("pid"), int):
        try:
            launcher = Path(details["service_dir"]) / LAUNCHER_FILE
            details = details | json.loads(launcher.read_text(encoding="utf-8"))
        except (KeyError, OSError, ValueError):
            return None
    pid, started = details.get("pid"), details.get("pid_create_time")
    if not isinstance(pid, int):
        return None
    if details.get("host_name") not in (None, socket.gethostname()):
        return None  # another machine's: cannot tell from here
    created = process_create_time(pid)
    return process_alive(pid) and created is not None and abs(created - float(started or 0)) < 1.0


class LocalBackend(ServiceBackend):
    """Services served by a supervisor process on this machine."""

    @staticmethod
    def _dir(record: ServiceRecord) -> Path:
        return Path(record.details["service_dir"])

    def live_state(self, workspace: Workspace, record: ServiceRecord) -> str:
        """See :meth:`ServiceBackend.live_state`: Failed once the supervisor is gone."""
        if record.state != ServiceState.FAILED and _supervisor_alive(record.details) is False:
            return ServiceState.FAILED.value
        return record.state

    def logs(self, workspace: Workspace, record: ServiceRecord) -> str:
        """See :meth:`ServiceBackend.logs` (the last MiB)."""
        try:
            with (self._dir(record) / LOG_FILE).open("rb") as log:
                size = log.seek(0, os.SEEK_END)
                log.seek(max(0, size - LOG_TAIL_BYTES))
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _read_keys(self, record: ServiceRecord) -> dict[str, str]:
        if not record.config.get("deployment", {}).get("auth_enabled"):
            raise InvalidStateError(f"web service {record.name!r} has authentication off: no keys")
        try:
            keys: dict[str, str] = json.loads((self._dir(record) / KEYS_FILE).read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise BackendError(
                f"cannot read the keys of web service {record.name!r}: {error}"
            ) from error
        return keys

    def keys(self, record: ServiceRecord) -> tuple[str, str]:
        """See :meth:`ServiceBackend.keys`."""
        keys = self._read_keys(record)
        return keys["primary"], keys["secondary"]

    def regen_key(self, workspace: Workspace, record: ServiceRecord, which: str) -> None:
        """See :meth:`ServiceBackend.regen_key`: the scoring process reads the file again."""
        keys = self._read_keys(record)
        keys[which] = secrets.token_urlsafe(32)
        write_atomic(self._dir(record) / KEYS_FILE, json.dumps(keys), mode=0o600)

    def update(
        self,
        workspace: Workspace,
        record: ServiceRecord,
        models: Sequence[Model],
        inference_config: InferenceConfig,
    ) -> None:
        """See :meth:`ServiceBackend.update`: a new generation, started beside the old one
        on the same socket; the supervisor stops the old one once the new one serves."""
        service_dir = self._dir(record)
        config = LocalDeploymentConfiguration(**record.config["deployment"])
        current = int((service_dir / GENERATION_FILE).read_text(encoding="utf-8"))
        generation = (
            max([current, *(int(p.name.split("-")[1]) for p in service_dir.glob("gen-*"))]) + 1
        )
        prepare_generation(service_dir, generation, record.name, models, inference_config, config)
        workspace.store.update_service(
            record.name,
            state=ServiceState.TRANSITIONING,
            models=model_ids(models),
            config=record.config | {"inference": inference_config.to_dict()},
        )
        write_atomic(service_dir / GENERATION_FILE, str(generation))

    def delete(self, workspace: Workspace, record: ServiceRecord) -> None:
        """See :meth:`ServiceBackend.delete`: the supervisor's whole process group ends."""
        if _supervisor_alive(record.details):
            terminate_tree(int(record.details["pid"]), STOP_GRACE_S)
        with_deadline = time.monotonic() + 1.0
        while time.monotonic() < with_deadline and _supervisor_alive(record.details):
            time.sleep(0.05)
        workspace.store.delete_service(record.name)
        shutil.rmtree(self._dir(record), ignore_errors=True)
