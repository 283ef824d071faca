"""``HyperDriveConfig``: a sweep over a script's arguments, and submitting it."""

from __future__ import annotations

import enum
import json
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from runlab._files import write_atomic
from runlab.artifacts.snapshots import pack_folder, store_snapshot
from runlab.compute import LocalCompute, get_compute_target
from runlab.compute.processes import start_detached
from runlab.data import Datastore
from runlab.entities import (
    COMPUTE_KEY,
    ENVIRONMENT_HASH_KEY,
    ENVIRONMENT_KEY,
    SCRIPT_KEY,
    SNAPSHOT_ID_KEY,
    RunStatus,
)
from runlab.entities.run_layout import SWEEP_KEY
from runlab.environments import Environment, UvEnvironmentBuilder
from runlab.errors import BackendError, ValidationError
from runlab.jobs import ScriptRunConfig
from runlab.jobs.arguments import data_references
from runlab.sweeps.arguments import check_keys_in_script
from runlab.sweeps.policies import EarlyTerminationPolicy, NoTerminationPolicy
from runlab.sweeps.sampling import ParameterSampling
from runlab.tracking.run import new_run_id

if TYPE_CHECKING:
    from runlab.sweeps.run import HyperDriveRun
    from runlab.tracking import Experiment

__all__ = ["HyperDriveConfig", "PrimaryMetricGoal"]

DEFAULT_MAX_DURATION_MINUTES = 10080


class PrimaryMetricGoal(enum.StrEnum):
    """Whether the sweep looks for the largest or the smallest primary metric."""

    MAXIMIZE = "MAXIMIZE"
    MINIMIZE = "MINIMIZE"

    @classmethod
    def parse(cls, value: object) -> PrimaryMetricGoal:
        """``value`` as a goal (``"maximize"`` and ``"MAXIMIZE"`` alike).

        Raises:
            ValidationError: neither goal.
        """
        if isinstance(value, PrimaryMetricGoal):
            return value
        for goal in cls:
            if str(value).upper() == goal.value:
                return goal
        raise ValidationError(
            f"primary_metric_goal must be PrimaryMetricGoal.MAXIMIZE or .MINIMIZE, not {value!r}"
        )


def _positive_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be an integer >= 1, not {value!r}")
    return value


def _run_ids(resume_from: object) -> list[str]:
    if resume_from is None:
        return []
    items: Iterable[Any] = resume_from if isinstance(resume_from, list | tuple) else [resume_from]
    ids = []
    for item in items:
        run_id = item if isinstance(item, str) else getattr(item, "id", None)
        if not isinstance(run_id, str):
            raise ValidationError(
                f"resume_from takes sweep runs or their ids, not {type(item).__name__}"
            )
        ids.append(run_id)
    return ids


class HyperDriveConfig:
    """A sweep: many runs of one script, each with other values of its arguments.

    Submit it with :meth:`runlab.Experiment.submit`: the parent run it returns (a
    :class:`~runlab.sweeps.HyperDriveRun`) has one child run per trial.

    Args:
        hyperparameter_sampling: which values the trials take (grid, random, Bayesian).
        primary_metric_name: the metric the script logs that ranks the trials.
        primary_metric_goal: ``PrimaryMetricGoal.MAXIMIZE`` or ``MINIMIZE``.
        max_total_runs: how many trials at most.
        max_concurrent_runs: how many at once (default: ``max_total_runs``, capped by the
            machine's cores on the local target).
        max_duration_minutes: trials still running then are canceled and the sweep ends.
        policy: the early termination policy (default: none).
        estimator: the script to sweep, as an Estimator (or give ``run_config``).
        run_config: the script to sweep, as a ScriptRunConfig.
        resume_from: earlier sweeps (runs or ids) whose trials warm-start the sampler.
        resume_child_runs, pipeline, debug_flag, custom_run_id: the SDK's; must be None.

    Raises:
        ValidationError: what is wrong with the arguments, named.

    Example:
        >>> config = HyperDriveConfig(  # doctest: +SKIP
        ...     run_config=ScriptRunConfig("src", "train.py", compute_target=cluster),
        ...     hyperparameter_sampling=RandomParameterSampling(
        ...         {"--regularization": uniform(0.05, 1)}
        ...     ),
        ...     policy=BanditPolicy(evaluation_interval=1, slack_factor=0.1),
        ...     primary_metric_name="accuracy",
        ...     primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        ...     max_total_runs=20,
        ...     max_concurrent_runs=4,
        ... )
        >>> hd_run = experiment.submit(config)  # doctest: +SKIP
    """

    def __init__(
        self,
        hyperparameter_sampling: ParameterSampling,
        primary_metric_name: str,
        primary_metric_goal: PrimaryMetricGoal | str,
        max_total_runs: int,
        max_concurrent_runs: int | None = None,
        max_duration_minutes: float = DEFAULT_MAX_DURATION_MINUTES,
        policy: EarlyTerminationPolicy | None = None,
        estimator: ScriptRunConfig | None = None,
        run_config: ScriptRunConfig | None = None,
        resume_from: Any = None,
        resume_child_runs: Any = None,
        pipeline: Any = None,
        debug_flag: Any = None,
        custom_run_id: Any = None,
    ) -> None:
        if any(
            value is not None for value in (resume_child_runs, pipeline, debug_flag, custom_run_id)
        ):
            raise ValidationError(
                "resume_child_runs, pipeline, debug_flag and custom_run_id are not supported:"
                " sweep a run_config or an estimator"
            )
        if (estimator is None) == (run_config is None):
            raise ValidationError("give exactly one of run_config and estimator")
        config = estimator if estimator is not None else run_config
        if not isinstance(config, ScriptRunConfig):
            raise ValidationError(
                f"the sweep runs a ScriptRunConfig or an Estimator, not {type(config).__name__}"
            )
        if not isinstance(hyperparameter_sampling, ParameterSampling):
            raise ValidationError(
                "hyperparameter_sampling must be a GridParameterSampling,"
                " RandomParameterSampling or BayesianParameterSampling"
            )
        if not isinstance(primary_metric_name, str) or not primary_metric_name.strip():
            raise ValidationError("primary_metric_name must name the metric the script logs")
        policy = policy if policy is not None else NoTerminationPolicy()
        if not isinstance(policy, EarlyTerminationPolicy):
            raise ValidationError(
                f"policy must be an early termination policy, not {type(policy).__name__}"
            )
        if policy.stops_trials and not hyperparameter_sampling.supports_early_termination:
            raise ValidationError(
                "Bayesian sampling takes no early termination policy (as in the SDK): leave"
                " policy out, or use RandomParameterSampling"
            )
        self.max_total_runs = _positive_count("max_total_runs", max_total_runs)
        concurrent = max_concurrent_runs if max_concurrent_runs is not None else max_total_runs
        self.max_concurrent_runs = _positive_count("max_concurrent_runs", concurrent)
        if self.max_concurrent_runs > self.max_total_runs:
            raise ValidationError(
                f"max_concurrent_runs ({self.max_concurrent_runs}) is above max_total_runs"
                f" ({self.max_total_runs}): lower it, or raise max_total_runs"
            )
        if (
            isinstance(max_duration_minutes, bool)
            or not isinstance(max_duration_minutes, int | float)
            or max_duration_minutes <= 0
        ):
            raise ValidationError(
                f"max_duration_minutes must be a positive number, not {max_duration_minutes!r}"
            )
        self.run_config = config
        self.hyperparameter_sampling = hyperparameter_sampling
        self.policy = policy
        self.primary_metric_name = primary_metric_name
        self.primary_metric_goal = PrimaryMetricGoal.parse(primary_metric_goal)
        self.max_duration_minutes = float(max_duration_minutes)
        self.resume_from = _run_ids(resume_from)

    def __repr__(self) -> str:
        return (
            f"HyperDriveConfig({self.hyperparameter_sampling!r}, {self.primary_metric_name!r},"
            f" {self.primary_metric_goal.value}, max_total_runs={self.max_total_runs})"
        )

    def settings(self, environment: Environment) -> dict[str, Any]:
        """What the parent run records of the sweep (its ``runlab.sweep`` property)."""
        return {
            "sampling": self.hyperparameter_sampling.to_dict(),
            "policy": self.policy.to_dict(),
            "primary_metric_name": self.primary_metric_name,
            "primary_metric_goal": self.primary_metric_goal.value,
            "max_total_runs": self.max_total_runs,
            "max_concurrent_runs": self.max_concurrent_runs,
            "max_duration_minutes": self.max_duration_minutes,
            "resume_from": self.resume_from,
            "arguments": list(self.run_config.arguments),
            "environment": environment.to_dict(),
        }

    def submit(
        self, experiment: Experiment, tags: Mapping[str, str] | None = None
    ) -> HyperDriveRun:
        """Start the sweep in ``experiment``; returns its parent run at once, Queued.

        Everything checkable is checked first: the script, its arguments and the space's keys
        (each must appear in the script), the data references, the target, the environment.
        The sweep's controller then runs detached (see :mod:`runlab.sweeps.controller`).

        Raises:
            NotFoundError: the source folder, the script, a datastore or the target is missing.
            ValidationError: a key the script does not take, a bad snapshot, a GPU missing.
            BackendError: the controller could not be started (the run is then Failed).
        """
        from runlab.sweeps.controller import sweep_folder
        from runlab.sweeps.run import HyperDriveRun

        config = self.run_config
        script = config._checked_script()
        check_keys_in_script(
            config.source_directory / script, self.hyperparameter_sampling.parameter_space
        )
        workspace = experiment.workspace
        for reference in data_references(config.arguments):
            Datastore.get(workspace, reference["datastore"])
        target = get_compute_target(config.compute_target, workspace)
        if config.use_gpu and not target.has_gpu():
            raise ValidationError(
                f"use_gpu=True, but the compute target {target.name!r} has no NVIDIA GPU"
            )
        if not isinstance(target, LocalCompute) and not getattr(target, "owned", False):
            raise ValidationError(
                f"sweeps run on the local target and on Ray clusters runlab started;"
                f" {target.name!r} is attached: use compute_target='local' or a RayCompute.create"
                " cluster"
            )
        environment = config.environment or Environment("runlab-submitter", user_managed=True)
        if isinstance(target, LocalCompute):
            UvEnvironmentBuilder().check(environment)
        for earlier in self.resume_from:
            workspace.store.get_run(earlier)  # NotFoundError now, not in the controller
        snapshot = pack_folder(
            config.source_directory,
            max_bytes=config.max_snapshot_bytes,
            max_files=config.max_snapshot_files,
        )
        store_snapshot(workspace.artifacts, snapshot)
        run_id = new_run_id(experiment.name)
        record = workspace.store.create_run(
            experiment.name,
            run_id,
            status=RunStatus.QUEUED,
            target=target.name,
            display_name=f"sweep of {script}",
            tags=tags,
            properties={
                SNAPSHOT_ID_KEY: snapshot.snapshot_id,
                SCRIPT_KEY: script,
                COMPUTE_KEY: target.name,
                ENVIRONMENT_KEY: environment.name,
                ENVIRONMENT_HASH_KEY: environment.spec_hash(),
                SWEEP_KEY: json.dumps(self.settings(environment)),
            },
        )
        spec = {
            "run_id": run_id,
            "workspace": workspace.to_dict(),
            # The controller creates the trials' runs: it acts for the submitter, with its token.
            "environment_variables": config._job_variables(workspace, environment, None),
        }
        spec_file = sweep_folder() / f"{run_id}.json"
        try:
            write_atomic(spec_file, json.dumps(spec), mode=0o600, sync=False)
        except OSError as error:
            self._fail(workspace, run_id, f"cannot write the sweep's spec: {error}")
        run = HyperDriveRun(experiment, run_id, _record=record)
        run._start_controller()
        return run

    @staticmethod
    def _fail(workspace: Any, run_id: str, message: str) -> None:
        workspace.store.set_run_status(run_id, RunStatus.FAILED, error_details={"message": message})
        raise BackendError(message)


def start_controller(spec_file: str, log_file: str) -> int:
    """Start the supervisor of a sweep's controller, detached; returns its pid.

    Raises:
        OSError: it could not start.
    """
    with open(log_file, "ab") as log:
        process = start_detached(
            [sys.executable, "-m", "runlab.sweeps.controller", spec_file], stdout=log
        )
    # Reap it when it ends, so a long-lived submitter collects no zombies.
    threading.Thread(target=process.wait, name="runlab-sweep-reaper", daemon=True).start()
    return process.pid


__all__ += ["start_controller"]
