"""Mirrors ``azureml.core.compute_target``: ``ComputeTargetException`` is
:class:`runlab.errors.NotFoundError`, what ``ComputeTarget(ws, name)`` raises for a name the
workspace does not know (catch it to create the cluster). Other failures raise runlab's
other errors (``BackendError``, ``ValidationError``)."""

from runlab.compute import ComputeTarget
from runlab.errors import NotFoundError as ComputeTargetException

__all__ = ["ComputeTarget", "ComputeTargetException"]
