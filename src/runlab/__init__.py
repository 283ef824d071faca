"""runlab: a self-hosted machine-learning workspace.

Experiments, runs, metrics, files, compute and models in one place; the concepts of the
Azure Machine Learning SDK v1 on machines you control.

Example:
    >>> from runlab import Workspace, Experiment
    >>> ws = Workspace.create("demo", exist_ok=True)  # doctest: +SKIP
    >>> with Experiment(ws, "hello").start_logging() as run:  # doctest: +SKIP
    ...     run.log("accuracy", 0.92)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab._version import __version__
from runlab.entities import RunStatus
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    InvalidStateError,
    JobFailedError,
    NotFoundError,
    RunlabError,
    ValidationError,
)
from runlab.models import Model
from runlab.tracking import Experiment, OfflineRun, Run, Workspace

if TYPE_CHECKING:
    from runlab.compute import ComputeTarget, LocalCompute
    from runlab.compute.ray import RayCompute
    from runlab.data import Datastore
    from runlab.environments import Environment
    from runlab.jobs import Estimator, ScriptRunConfig
    from runlab.serving import (
        AciWebservice,
        AksWebservice,
        InferenceConfig,
        LocalWebservice,
        Webservice,
    )

# Loaded on first use: a training script's `from runlab import Run` stays quick.
_LAZY = {
    "ComputeTarget": "runlab.compute",
    "LocalCompute": "runlab.compute",
    "RayCompute": "runlab.compute.ray",
    "Datastore": "runlab.data",
    "Environment": "runlab.environments",
    "Estimator": "runlab.jobs",
    "ScriptRunConfig": "runlab.jobs",
    "InferenceConfig": "runlab.serving",
    "Webservice": "runlab.serving",
    "LocalWebservice": "runlab.serving",
    "AciWebservice": "runlab.serving",
    "AksWebservice": "runlab.serving",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'runlab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AciWebservice",
    "AksWebservice",
    "AlreadyExistsError",
    "BackendError",
    "ComputeTarget",
    "Datastore",
    "Environment",
    "Estimator",
    "Experiment",
    "InferenceConfig",
    "InvalidStateError",
    "JobFailedError",
    "LocalCompute",
    "LocalWebservice",
    "Model",
    "NotFoundError",
    "OfflineRun",
    "RayCompute",
    "Run",
    "RunStatus",
    "RunlabError",
    "ScriptRunConfig",
    "ValidationError",
    "Webservice",
    "Workspace",
    "__version__",
]
