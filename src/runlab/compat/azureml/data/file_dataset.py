"""Mirrors ``azureml.data.file_dataset``: ``FileDataset`` is :class:`runlab.data.FileDataset`."""

from runlab.data import FileDataset

__all__ = ["FileDataset"]
