"""Mirrors ``azureml.core.environment``: ``Environment`` is
:class:`runlab.environments.Environment`, ``CondaDependencies`` is
:class:`runlab.environments.CondaDependencies`."""

from runlab.environments import CondaDependencies, Environment

__all__ = ["CondaDependencies", "Environment"]
