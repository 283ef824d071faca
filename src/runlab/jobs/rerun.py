"""Exact re-runs: a submitted run again, with the same snapshot, the environment rebuilt from
its lock, the same dataset versions, and only the changes asked for."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runlab.compute import ComputeTarget
from runlab.data.consumption import check_input_available
from runlab.entities import SNAPSHOT_ID_KEY
from runlab.entities.run_layout import (
    GIT_COMMIT_KEY,
    GIT_DIRTY_KEY,
    JOB_DEFINITION_KEY,
    RERUN_CHANGES_KEY,
    RERUN_OF_KEY,
)
from runlab.environments import Environment
from runlab.errors import ValidationError
from runlab.jobs.arguments import DATASET_MARKER, Argument, check_arguments
from runlab.jobs.config import ScriptRunConfig
from runlab.jobs.lineage import lock_requirements
from runlab.tracking.lineage import environment_lock_of

if TYPE_CHECKING:
    from runlab.tracking import Run

__all__ = ["locked_environment", "rerun", "set_parameters"]


def set_parameters(arguments: Sequence[Argument], changes: Mapping[str, Any]) -> list[Argument]:
    """``arguments`` with the named parameters in ``changes`` set: ``--name value`` and
    ``--name=value`` get the new value; a name not among them is appended as ``--name value``.

    Example:
        >>> set_parameters(["--data", "/d", "--regularization", "0.8"], {"regularization": 0.5})
        ['--data', '/d', '--regularization', '0.5']
    """
    result = list(arguments)
    for name, value in changes.items():
        flag, text = f"--{name}", str(value)
        for index, argument in enumerate(result):
            if argument == flag and index + 1 < len(result):
                result[index + 1] = text
                break
            if isinstance(argument, str) and argument.startswith(flag + "="):
                result[index] = f"{flag}={text}"
                break
        else:
            result += [flag, text]
    return result


def locked_environment(run: Run, environment: Mapping[str, Any]) -> Environment:
    """The environment of a re-run of ``run``: a user-managed one again (the submitter's
    interpreter), else one built from the lock's exact versions, not the spec re-resolved.

    Raises:
        ValidationError: the run has no environment lock (it never reached its script).
    """
    if environment.get("user_managed"):
        return Environment(str(environment.get("name", "runlab-submitter")), user_managed=True)
    lock = environment_lock_of(run.experiment.workspace, run.id)
    if lock is None:
        raise ValidationError(
            f"run {run.id!r} has no environment lock (its job never reached its script), so it"
            " cannot be re-run exactly"
        )
    return Environment(
        f"{environment.get('name', 'environment')}-locked",
        pip_packages=lock_requirements(lock),
        python_version=lock.get("python"),
    )


def rerun(
    run: Run,
    arguments: Sequence[Any] | None = None,
    compute_target: str | ComputeTarget | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> Run:
    """Submit ``run`` again exactly: the same snapshot (not re-packed), the environment from
    its lock, the same dataset versions, the same experiment; changed only as asked.

    Args:
        run: a submitted run.
        arguments: the script's arguments instead of the run's (None: the same).
        compute_target: where to run instead (None: the same target).
        parameters: named parameters to set among the arguments (``{"regularization": 0.5}``).

    Returns:
        The new run; its ``runlab.rerun_of`` property names ``run``, and
        ``runlab.rerun_changes`` what was changed.

    Raises:
        ValidationError: ``run`` was not submitted, or has no environment lock.
        DataChangedError: an input dataset's files changed and it has no snapshot.
        NotFoundError: an input dataset version, or the compute target, is gone.
    """
    record = run._refresh()
    definition_text = record.properties.get(JOB_DEFINITION_KEY)
    snapshot_id = record.properties.get(SNAPSHOT_ID_KEY)
    if definition_text is None or snapshot_id is None:
        raise ValidationError(
            f"run {run.id!r} was not submitted as a job (or before runlab kept what was"
            " submitted): there is nothing to re-run"
        )
    definition = json.loads(definition_text)
    workspace = run.experiment.workspace
    changes: dict[str, Any] = {}
    new_arguments: list[Any] = list(definition["arguments"])
    if arguments is not None:
        new_arguments = check_arguments(arguments)
        changes["arguments"] = [
            item if isinstance(item, str) else "<data>" for item in new_arguments
        ]
    if parameters:
        new_arguments = set_parameters(new_arguments, parameters)
        changes["parameters"] = {name: str(value) for name, value in parameters.items()}
    for argument in new_arguments:
        if isinstance(argument, dict) and DATASET_MARKER in argument:
            check_input_available(workspace, argument[DATASET_MARKER])
    target = compute_target if compute_target is not None else definition["compute_target"]
    if compute_target is not None:
        changes["compute_target"] = target if isinstance(target, str) else target.name
    environment_spec = definition["environment"]
    dropped = list(environment_spec.get("environment_variables") or [])
    if dropped:
        changes["environment_variables_not_restored"] = dropped
    config = ScriptRunConfig(
        definition.get("source_directory") or ".",
        definition["script"],
        compute_target=target,
        environment=locked_environment(run, environment_spec),
        use_gpu=bool(definition.get("use_gpu")),
    )
    # Checked arguments as stored (data references and dataset inputs as their JSON).
    config.arguments = [item if isinstance(item, dict) else str(item) for item in new_arguments]
    config._snapshot_id = snapshot_id
    config._extra_properties = {RERUN_OF_KEY: run.id, RERUN_CHANGES_KEY: json.dumps(changes)}
    for key in (GIT_COMMIT_KEY, GIT_DIRTY_KEY):
        if key in record.properties:
            config._extra_properties[key] = record.properties[key]
    return config.submit(run.experiment)
