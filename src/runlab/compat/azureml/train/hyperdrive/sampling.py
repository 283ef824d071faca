"""Mirrors ``azureml.train.hyperdrive.sampling``."""

from runlab.sweeps.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    RandomParameterSampling,
)

__all__ = ["BayesianParameterSampling", "GridParameterSampling", "RandomParameterSampling"]
