"""Mirrors the Azure ML SDK v1 package ``azureml``: ``azureml.X`` is ``runlab.compat.azureml.X``.

Change ``from azureml.core import Workspace`` to ``from runlab.compat.azureml.core import
Workspace``; the rest of the code stays. Every name is an alias of a runlab object (``is``
holds), so the objects are runlab's, documented there. What exists and what differs is in
``docs/migrating-from-azureml.md``.

``import azureml.core`` becomes ``from runlab.compat import azureml``: :mod:`.core` is loaded
with this package, so ``azureml.core.VERSION`` works as written. To change no line at all,
``runlab compat install-azureml`` installs an ``azureml`` package that is this one.
"""

from runlab.compat.azureml import core

__all__ = ["core"]
