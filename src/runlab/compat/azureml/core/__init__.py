"""Mirrors ``azureml.core``: the SDK v1's core names, as aliases of runlab's objects.

Example:
    >>> from runlab.compat.azureml.core import Experiment, Workspace
    >>> ws = Workspace.from_config()  # doctest: +SKIP
    >>> print(ws.name, ws.location, ws.resource_group, sep="\\t")  # doctest: +SKIP
"""

from runlab import __version__ as VERSION
from runlab.compute import ComputeTarget
from runlab.data import Dataset, Datastore
from runlab.environments import Environment
from runlab.jobs import RunConfiguration, ScriptRunConfig
from runlab.models import Model
from runlab.tracking import Experiment, Run, Workspace

__all__ = [
    "VERSION",
    "ComputeTarget",
    "Dataset",
    "Datastore",
    "Environment",
    "Experiment",
    "Model",
    "Run",
    "RunConfiguration",
    "ScriptRunConfig",
    "Workspace",
]
