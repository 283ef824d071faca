"""Mirrors ``azureml.core.compute``: ``AmlCompute`` is :class:`runlab.compute.ray.RayCompute`
(a Ray cluster this machine starts, or an attached one) and ``ComputeTarget`` is
:class:`runlab.compute.ComputeTarget`.

``AmlCompute(ws, name)`` and ``ComputeTarget(ws, name)`` find an existing cluster (or raise
``ComputeTargetException``), and ``type(ws.compute_targets[name]) is AmlCompute`` holds for a
Ray cluster, as the tutorials check. Ray itself is imported only when a cluster is used.
"""

from runlab.compute import ComputeTarget
from runlab.compute.ray import RayCompute as AmlCompute
from runlab.errors import NotFoundError as ComputeTargetException

__all__ = ["AmlCompute", "ComputeTarget", "ComputeTargetException"]
