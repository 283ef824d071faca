"""Mirrors ``azureml.exceptions``, for its ``ComputeTargetException`` only: that is
:class:`runlab.errors.NotFoundError`. runlab's own errors are in :mod:`runlab.errors`."""

from runlab.errors import NotFoundError as ComputeTargetException

__all__ = ["ComputeTargetException"]
