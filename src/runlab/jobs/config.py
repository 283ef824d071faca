"""What to run: ``ScriptRunConfig`` and the SDK's shorthand ``Estimator``; and submitting it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.artifacts import vet_path
from runlab.artifacts.snapshots import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_FILES,
    pack_folder,
    store_snapshot,
)
from runlab.compute import ComputeTarget, LocalCompute, get_compute_target
from runlab.data import Datastore
from runlab.data.credentials import SECRETS_FILE_ENV, secrets_path
from runlab.entities import (
    COMPUTE_KEY,
    ENVIRONMENT_HASH_KEY,
    ENVIRONMENT_KEY,
    JOB_HANDLE_KEY,
    SCRIPT_KEY,
    SNAPSHOT_ID_KEY,
    JobSpec,
    RunStatus,
)
from runlab.environments import Environment, UvEnvironmentBuilder
from runlab.errors import NotFoundError, RunlabError, ValidationError
from runlab.jobs.arguments import check_arguments, data_references
from runlab.tracking import Run
from runlab.tracking.run import new_run_id

if TYPE_CHECKING:
    from runlab.tracking import Experiment, Workspace

__all__ = ["DEFAULT_HEARTBEAT_TIMEOUT_S", "Estimator", "ScriptRunConfig"]

DEFAULT_HEARTBEAT_TIMEOUT_S = 60.0
TOKEN_ENV = "RUNLAB_TOKEN"  # what the REST stores read (runlab.store._http.TOKEN_ENV)
"""How long a job may stay silent before its run is failed as vanished."""


class ScriptRunConfig:
    """A script, its source folder, its arguments and its environment, ready to submit with
    :meth:`runlab.Experiment.submit`.

    Args:
        source_directory: the folder snapshotted and unpacked as the job's working folder.
        script: the script's path inside ``source_directory``.
        arguments: the script's arguments (strings and numbers).
        compute_target: where to run: ``"local"`` (this machine) or a compute target.
        environment: the packages to run with; None runs in the submitting interpreter.
        use_gpu: ask the target for a GPU (a clear error where it has none).
        max_snapshot_bytes: refuse a source folder bigger than this (after ignore rules).
        max_snapshot_files: refuse a source folder with more files than this.
        heartbeat_timeout_s: a job silent this long is taken for dead and its run failed.

    Example:
        >>> config = ScriptRunConfig("src", "train.py", arguments=["--regularization", 0.8])
        >>> run = experiment.submit(config)  # doctest: +SKIP
        >>> run.wait_for_completion(show_output=True)  # doctest: +SKIP
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        script: str,
        arguments: Sequence[Any] | None = None,
        compute_target: str | ComputeTarget = "local",
        environment: Environment | None = None,
        *,
        use_gpu: bool = False,
        max_snapshot_bytes: int = DEFAULT_MAX_BYTES,
        max_snapshot_files: int = DEFAULT_MAX_FILES,
        heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S,
    ) -> None:
        if environment is not None and not isinstance(environment, Environment):
            raise ValidationError(
                f"environment must be a runlab Environment, not {type(environment).__name__}"
            )
        if heartbeat_timeout_s <= 0:
            raise ValidationError("heartbeat_timeout_s must be positive")
        self.source_directory = Path(source_directory)
        self.script = script
        self.arguments = check_arguments(arguments)
        self.compute_target = compute_target
        self.environment = environment
        self.use_gpu = use_gpu
        self.max_snapshot_bytes = max_snapshot_bytes
        self.max_snapshot_files = max_snapshot_files
        self.heartbeat_timeout_s = heartbeat_timeout_s

    def __repr__(self) -> str:
        return (
            f"ScriptRunConfig(source_directory={str(self.source_directory)!r},"
            f" script={self.script!r}, arguments={self.arguments!r},"
            f" compute_target={self._target_name()!r})"
        )

    def _target_name(self) -> str:
        target = self.compute_target
        return target if isinstance(target, str) else target.name

    @staticmethod
    def _job_variables(
        workspace: Workspace, environment: Environment, run_id: str
    ) -> dict[str, str]:
        variables = dict(environment.environment_variables)
        secrets = secrets_path(workspace.config_path)
        if secrets is not None:
            # The job opens the workspace from its URIs, without the config folder that
            # holds the datastores' credentials: point it there.
            variables.setdefault(SECRETS_FILE_ENV, str(secrets))
        token = workspace.job_token(run_id)
        if token is not None:
            # A server-backed workspace: the entry and the script report over HTTP and need
            # a token: one of the run's own, not the submitter's. It travels in the job's
            # environment only (the spec file is 0600), never in the spec's workspace, the
            # run's properties or a log.
            variables[TOKEN_ENV] = token
        return variables

    def _checked_script(self) -> str:
        source = self.source_directory
        if not source.is_dir():
            raise NotFoundError(f"the source folder {source} does not exist")
        script = vet_path(self.script)
        if not (source / script).is_file():
            raise NotFoundError(f"there is no script {script!r} in the source folder {source}")
        return script

    def submit(self, experiment: Experiment, tags: Mapping[str, str] | None = None) -> Run:
        """Start a run of this config in ``experiment``; it returns at once, the run Queued.

        Everything that can be checked before the job starts is checked here: the source
        folder and script, the arguments, the snapshot's size, the target and its GPU.

        Raises:
            NotFoundError: the source folder, the script or the compute target is missing.
            ValidationError: bad arguments, a source folder over the caps, a GPU asked of a
                target without one.
            BackendError: the target could not start the job (the run is then Failed).
        """
        script = self._checked_script()
        for reference in data_references(self.arguments):
            Datastore.get(experiment.workspace, reference["datastore"])  # NotFoundError now
        target = get_compute_target(self.compute_target, experiment.workspace)
        if self.use_gpu and not target.has_gpu():
            raise ValidationError(
                f"use_gpu=True, but the compute target {target.name!r} has no NVIDIA GPU"
            )
        environment = self.environment or Environment("runlab-submitter", user_managed=True)
        if isinstance(target, LocalCompute):
            # The job builds its environment on this machine: what it lacks is known now.
            UvEnvironmentBuilder().check(environment)
        snapshot = pack_folder(
            self.source_directory,
            max_bytes=self.max_snapshot_bytes,
            max_files=self.max_snapshot_files,
        )
        workspace = experiment.workspace
        store_snapshot(workspace.artifacts, snapshot)
        run_id = new_run_id(experiment.name)
        record = workspace.store.create_run(
            experiment.name,
            run_id,
            status=RunStatus.QUEUED,
            target=target.name,
            tags=tags,
            properties={
                SNAPSHOT_ID_KEY: snapshot.snapshot_id,
                SCRIPT_KEY: script,
                COMPUTE_KEY: target.name,
                ENVIRONMENT_KEY: environment.name,
                ENVIRONMENT_HASH_KEY: environment.spec_hash(),
            },
            heartbeat_timeout=self.heartbeat_timeout_s,
        )
        run = Run(experiment, run_id, _record=record)
        try:
            # The run's token is made by the server now the run exists; a refusal fails it.
            variables = self._job_variables(workspace, environment, run_id)
            spec = JobSpec(
                run_id=run_id,
                workspace=workspace.to_dict(),
                snapshot_id=snapshot.snapshot_id,
                script=script,
                arguments=list(self.arguments),
                environment=environment.to_dict(),
                environment_variables=variables,
                use_gpu=self.use_gpu,
                heartbeat_interval_s=min(5.0, self.heartbeat_timeout_s / 4),
            )
            handle = target.submit(spec)
        except RunlabError as error:
            workspace.store.set_run_status(
                run_id, RunStatus.FAILED, error_details={"message": error.message}
            )
            raise
        run.add_properties({JOB_HANDLE_KEY: json.dumps(handle)})
        return run


class Estimator(ScriptRunConfig):
    """The SDK v1 shorthand: a script with its parameters and packages.

    ``script_params`` is a dict of ``{"--name": value}`` (a value of None or ``""`` passes the
    flag alone); ``pip_packages`` and ``conda_packages`` build an environment (conda packages
    are installed from PyPI by the same names); ``user_managed=True`` runs in the submitting
    interpreter instead.
    """

    def __init__(
        self,
        source_directory: str | os.PathLike[str],
        entry_script: str,
        script_params: Mapping[str, Any] | None = None,
        compute_target: str | ComputeTarget = "local",
        conda_packages: Sequence[str] | None = None,
        pip_packages: Sequence[str] | None = None,
        use_gpu: bool = False,
        environment_variables: Mapping[str, str] | None = None,
        user_managed: bool = False,
        **options: Any,
    ) -> None:
        arguments: list[Any] = []
        for name, value in (script_params or {}).items():
            arguments.append(name)
            if value is not None and value != "":
                arguments.append(value)
        environment = Environment(
            f"estimator-{Path(entry_script).stem}",
            pip_packages=list(pip_packages or []),
            conda_packages=list(conda_packages or []),
            user_managed=user_managed,
            environment_variables=dict(environment_variables or {}),
        )
        super().__init__(
            source_directory,
            entry_script,
            arguments=arguments,
            compute_target=compute_target,
            environment=environment,
            use_gpu=use_gpu,
            **options,
        )
