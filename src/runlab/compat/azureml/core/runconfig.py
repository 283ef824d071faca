"""Mirrors ``azureml.core.runconfig``: ``RunConfiguration`` is
:class:`runlab.jobs.RunConfiguration`; ``CondaDependencies`` is
:class:`runlab.environments.CondaDependencies`."""

from runlab.environments import CondaDependencies
from runlab.jobs import RunConfiguration

__all__ = ["CondaDependencies", "RunConfiguration"]
