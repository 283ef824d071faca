"""Mirrors ``azureml.core.model``: ``Model`` is :class:`runlab.models.Model`."""

from runlab.models import Model

__all__ = ["Model"]
