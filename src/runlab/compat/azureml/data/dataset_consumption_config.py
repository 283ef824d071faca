"""Mirrors ``azureml.data.dataset_consumption_config``: ``DatasetConsumptionConfig`` is
:class:`runlab.data.DatasetConsumptionConfig`."""

from runlab.data import DatasetConsumptionConfig

__all__ = ["DatasetConsumptionConfig"]
