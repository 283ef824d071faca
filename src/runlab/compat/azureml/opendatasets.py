"""Mirrors ``azureml.opendatasets``, for ``MNIST`` only: that is
:class:`runlab.datasets.open_datasets.MNIST`, backed by runlab's verified MNIST download."""

from runlab.datasets.open_datasets import MNIST

__all__ = ["MNIST"]
