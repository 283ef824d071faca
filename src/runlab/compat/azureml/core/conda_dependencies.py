"""Mirrors ``azureml.core.conda_dependencies``: ``CondaDependencies`` is
:class:`runlab.environments.CondaDependencies` (packages installed from PyPI with uv)."""

from runlab.environments import CondaDependencies

__all__ = ["CondaDependencies"]
