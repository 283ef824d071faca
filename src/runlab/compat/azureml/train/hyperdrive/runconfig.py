"""Mirrors ``azureml.train.hyperdrive.runconfig``."""

from runlab.sweeps import HyperDriveConfig

__all__ = ["HyperDriveConfig"]
