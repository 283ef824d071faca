"""Mirrors ``azureml.core.dataset``: ``Dataset`` is :class:`runlab.data.Dataset`."""

from runlab.data import Dataset

__all__ = ["Dataset"]
