"""Mirrors ``azureml.data.data_reference``: ``DataReference`` is
:class:`runlab.data.DataReference`."""

from runlab.data import DataReference

__all__ = ["DataReference"]
