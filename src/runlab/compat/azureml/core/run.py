"""Mirrors ``azureml.core.run``: ``Run`` is :class:`runlab.tracking.Run`."""

from runlab.tracking import Run

__all__ = ["Run"]
