"""Mirrors ``azureml.core.model``: ``Model`` is :class:`runlab.models.Model`,
``InferenceConfig`` is :class:`runlab.serving.InferenceConfig`."""

from runlab.models import Model
from runlab.serving import InferenceConfig

__all__ = ["InferenceConfig", "Model"]
