"""Mirrors ``azureml.data.tabular_dataset``: ``TabularDataset`` is
:class:`runlab.data.TabularDataset`."""

from runlab.data import TabularDataset

__all__ = ["TabularDataset"]
