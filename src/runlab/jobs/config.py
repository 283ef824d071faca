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
    ENVIRONMENT_SPEC_KEY,
    JOB_HANDLE_KEY,
    SCRIPT_KEY,
    SNAPSHOT_ID_KEY,
    JobSpec,
    RunStatus,
)
from runlab.entities.run_layout import (
    DATASET_READ_PREFIX,
    GIT_COMMIT_KEY,
    GIT_DIRTY_KEY,
    JOB_DEFINITION_KEY,
)
from runlab.environments import Environment, UvEnvironmentBuilder
from runlab.errors import NotFoundError, RunlabError, ValidationError
from runlab.jobs.arguments import check_arguments, data_references, dataset_inputs
from runlab.jobs.lineage import git_state
from runlab.jobs.run_configuration import RunConfiguration
from runlab.tracking import Run
from runlab.tracking.run import new_run_id

if TYPE_CHECKING:
    from runlab.tracking import Experiment, Workspace

__all__ = ["DEFAULT_HEARTBEAT_TIMEOUT_S", "Estimator", "ScriptRunConfig", "environment_summary"]

DEFAULT_HEARTBEAT_TIMEOUT_S = 60.0
TOKEN_ENV = "RUNLAB_TOKEN"  # what the REST stores read (runlab.store._http.TOKEN_ENV)
"""How long a job may stay silent before its run is failed as vanished."""


def environment_summary(environment: Environment) -> dict[str, Any]:
    """What a run records of its environment (``runDefinition["environment"]``): the spec
    with the environment variables' names only (their values may be secrets) and the
    registered version."""
    summary = environment.to_dict()
    summary["environment_variables"] = sorted(environment.environment_variables)
    summary["version"] = environment.version
    return summary


class ScriptRunConfig:
    """A script, its source folder, its arguments and its environment, ready to submit with
    :meth:`runlab.Experiment.submit`.

    Args:
        source_directory: the folder snapshotted and unpacked as the job's working folder.
        script: the script's path inside ``source_directory``.
        arguments: the script's arguments (strings and numbers).
        compute_target: where to run: ``"local"`` (this machine) or a compute target.
        environment: the packages to run with; None runs in the submitting interpreter.
        run_config: a :class:`RunConfiguration`; its target and environment are used unless
            ``compute_target`` or ``environment`` is given. ``src.run_config`` is always one.
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
        run_config: RunConfiguration | None = None,
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
        if run_config is not None and not isinstance(run_config, RunConfiguration):
            raise ValidationError(
                f"run_config must be a RunConfiguration, not {type(run_config).__name__}"
            )
        if heartbeat_timeout_s <= 0:
            raise ValidationError("heartbeat_timeout_s must be positive")
        self.source_directory = Path(source_directory)
        self.script = script
        self.arguments = check_arguments(arguments)
        self.run_config = run_config if run_config is not None else RunConfiguration()
        if compute_target != "local" or run_config is None:
            self.run_config.target = compute_target
        if environment is not None:
            self.run_config.environment = environment
        self.use_gpu = use_gpu
        self.max_snapshot_bytes = max_snapshot_bytes
        self.max_snapshot_files = max_snapshot_files
        self.heartbeat_timeout_s = heartbeat_timeout_s
        # Set by a re-run: the stored snapshot to run again (not re-packed) and what the new
        # run records about what it re-ran.
        self._snapshot_id: str | None = None
        self._extra_properties: dict[str, str] = {}

    @property
    def compute_target(self) -> str | ComputeTarget:
        """Where it runs: ``run_config.target``."""
        return self.run_config.target

    @compute_target.setter
    def compute_target(self, target: str | ComputeTarget) -> None:
        self.run_config.target = target

    @property
    def environment(self) -> Environment | None:
        """What it runs in: ``run_config.environment``."""
        return self.run_config.environment

    @environment.setter
    def environment(self, environment: Environment | None) -> None:
        self.run_config.environment = environment

    def __repr__(self) -> str:
        return (
            f"ScriptRunConfig(source_directory={str(self.source_directory)!r},"
            f" script={self.script!r}, arguments={self.arguments!r},"
            f" compute_target={self._target_name()!r})"
        )

    def _target_name(self) -> str:
        target = self.compute_target
        return target if isinstance(target, str) else target.name

    def _job_variables(
        self, workspace: Workspace, environment: Environment, run_id: str | None
    ) -> dict[str, str]:
        """The job's environment variables; ``run_id`` None gives it the submitter's token
        (a sweep's controller, which creates runs) instead of one of the run's own."""
        variables = dict(environment.environment_variables) | self.run_config.environment_variables
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
        if self._snapshot_id is not None:
            return vet_path(self.script)  # the stored snapshot has it
        source = self.source_directory
        if not source.is_dir():
            raise NotFoundError(f"the source folder {source} does not exist")
        script = vet_path(self.script)
        if not (source / script).is_file():
            raise NotFoundError(f"there is no script {script!r} in the source folder {source}")
        return script

    def _lineage(self, target_name: str, environment: Environment) -> dict[str, str]:
        """The properties that trace and re-run the job: what was submitted, the git state."""
        spec = environment.to_dict()
        # Variables may hold secrets: their names are kept, never their values.
        spec["environment_variables"] = sorted(spec["environment_variables"])
        definition = {
            "script": self.script,
            "arguments": self.arguments,
            "environment": spec,
            "compute_target": target_name,
            "use_gpu": self.use_gpu,
            "source_directory": str(self.source_directory.resolve()),
        }
        properties = {JOB_DEFINITION_KEY: json.dumps(definition)}
        git = None if self._snapshot_id is not None else git_state(self.source_directory)
        if git is not None:
            properties[GIT_COMMIT_KEY] = git[0]
            properties[GIT_DIRTY_KEY] = "true" if git[1] else "false"
        return properties

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
        self.run_config.check()
        script = self._checked_script()
        for reference in data_references(self.arguments):
            Datastore.get(experiment.workspace, reference["datastore"])  # NotFoundError now
        read_datasets = {}
        for dataset_input in dataset_inputs(self.arguments):
            dataset_id = dataset_input.get("dataset_id")
            if dataset_id is not None:
                name, _colon, version = str(dataset_id).rpartition(":")
                version_record = experiment.workspace.store.get_dataset_version(name, int(version))
                read_datasets[DATASET_READ_PREFIX + version_record.id] = version_record.content_hash
        target = get_compute_target(self.compute_target, experiment.workspace)
        if self.use_gpu and not target.has_gpu():
            raise ValidationError(
                f"use_gpu=True, but the compute target {target.name!r} has no NVIDIA GPU"
            )
        environment = self.environment or Environment("runlab-submitter", user_managed=True)
        if isinstance(target, LocalCompute):
            # The job builds its environment on this machine: what it lacks is known now.
            UvEnvironmentBuilder().check(environment)
        workspace = experiment.workspace
        snapshot_id = self._snapshot_id
        if snapshot_id is None:
            snapshot = pack_folder(
                self.source_directory,
                max_bytes=self.max_snapshot_bytes,
                max_files=self.max_snapshot_files,
            )
            store_snapshot(workspace.artifacts, snapshot)
            snapshot_id = snapshot.snapshot_id
        run_id = new_run_id(experiment.name)
        lineage = self._lineage(target.name, environment) | read_datasets
        record = workspace.store.create_run(
            experiment.name,
            run_id,
            status=RunStatus.QUEUED,
            target=target.name,
            tags=tags,
            properties={
                SNAPSHOT_ID_KEY: snapshot_id,
                SCRIPT_KEY: script,
                COMPUTE_KEY: target.name,
                ENVIRONMENT_KEY: environment.name,
                ENVIRONMENT_HASH_KEY: environment.spec_hash(),
                ENVIRONMENT_SPEC_KEY: json.dumps(environment_summary(environment)),
            }
            | lineage
            | self._extra_properties,
            heartbeat_timeout=self.heartbeat_timeout_s,
        )
        run = Run(experiment, run_id, _record=record)
        try:
            # The run's token is made by the server now the run exists; a refusal fails it.
            variables = self._job_variables(workspace, environment, run_id)
            spec = JobSpec(
                run_id=run_id,
                workspace=workspace.to_dict(),
                snapshot_id=snapshot_id,
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
