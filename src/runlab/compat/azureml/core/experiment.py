"""Mirrors ``azureml.core.experiment``: ``Experiment`` is :class:`runlab.tracking.Experiment`."""

from runlab.tracking import Experiment

__all__ = ["Experiment"]
