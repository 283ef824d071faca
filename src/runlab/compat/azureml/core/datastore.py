"""Mirrors ``azureml.core.datastore``: ``Datastore`` is :class:`runlab.data.Datastore`."""

from runlab.data import Datastore

__all__ = ["Datastore"]
