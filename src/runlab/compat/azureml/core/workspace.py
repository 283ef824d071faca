"""Mirrors ``azureml.core.workspace``: ``Workspace`` is :class:`runlab.tracking.Workspace`."""

from runlab.tracking import Workspace

__all__ = ["Workspace"]
