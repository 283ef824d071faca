"""Mirrors ``azureml.data``: the dataset classes, as aliases of :mod:`runlab.data`'s.

Example:
    >>> from runlab.compat.azureml.data import FileDataset, TabularDataset
"""

from runlab.data import (
    DataReference,
    DatasetConsumptionConfig,
    FileDataset,
    TabularDataset,
)

__all__ = ["DataReference", "DatasetConsumptionConfig", "FileDataset", "TabularDataset"]
