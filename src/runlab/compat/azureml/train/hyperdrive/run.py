"""Mirrors ``azureml.train.hyperdrive.run``."""

from runlab.sweeps import HyperDriveRun, PrimaryMetricGoal

__all__ = ["HyperDriveRun", "PrimaryMetricGoal"]
