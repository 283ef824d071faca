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

__version__ = "0.1.0"

__all__ = [
    "AlreadyExistsError",
    "BackendError",
    "Experiment",
    "InvalidStateError",
    "JobFailedError",
    "Model",
    "NotFoundError",
    "OfflineRun",
    "Run",
    "RunStatus",
    "RunlabError",
    "ValidationError",
    "Workspace",
    "__version__",
]
