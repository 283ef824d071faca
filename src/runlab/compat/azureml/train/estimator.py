"""Mirrors ``azureml.train.estimator``: ``Estimator`` is :class:`runlab.jobs.Estimator`
(``conda_packages`` are installed from PyPI by the same names, with uv)."""

from runlab.jobs import Estimator

__all__ = ["Estimator"]
