"""Mirrors ``azureml.core.environment``: ``Environment`` is
:class:`runlab.environments.Environment`."""

from runlab.environments import Environment

__all__ = ["Environment"]
