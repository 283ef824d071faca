"""The metadata store interface: one interface per concept, :class:`MetadataStore` their union.

Each concept the workspace keeps has its own abstract class, in its own module, whose
docstring is its contract (all share :class:`~runlab.store.common.BaseStore`'s):

==============================  ===================================================
:class:`RunStore`               experiments, runs, states, heartbeats, tags, properties
:class:`MetricStore`            the points runs log: histories, last steps, last values
:class:`ModelRegistryStore`     model versions
:class:`DatastoreStore`         datastores and the default one
:class:`ComputeTargetStore`     compute targets
:class:`EnvironmentStore`       registered environment versions
:class:`DatasetStore`           dataset versions
:class:`ServiceStore`           web services and the model versions they serve
==============================  ===================================================

:class:`MetadataStore` inherits them all: it is what a workspace holds and what callers take.
A caller that needs one concept only may take that interface instead.

Adding a concept (the coming sweeps, datasets, deployments, environments): write its
interface as a new module here deriving from ``BaseStore``, add it to ``MetadataStore``'s
bases, give the SQL backend a class in ``store/sql/`` on the shared ``SqlDatabase`` (added to
``SqlMetadataStore``'s bases), routes and ``RestMetadataStore`` methods for the server, and a
contract suite in ``runlab/testing/`` (added to ``MetadataStoreContract``'s bases).
"""

from __future__ import annotations

from runlab.store.compute_targets import ComputeTargetStore
from runlab.store.datasets import DatasetStore
from runlab.store.datastores import DatastoreStore
from runlab.store.environments import EnvironmentStore
from runlab.store.logged_models import LoggedModelStore
from runlab.store.metrics import MetricStore
from runlab.store.model_registry import ModelRegistryStore
from runlab.store.registered_models import RegisteredModelStore
from runlab.store.runs import RunFilters, RunOrder, RunStore
from runlab.store.services import ServiceStore

__all__ = [
    "ComputeTargetStore",
    "DatasetStore",
    "DatastoreStore",
    "EnvironmentStore",
    "LoggedModelStore",
    "MetadataStore",
    "MetricStore",
    "ModelRegistryStore",
    "RegisteredModelStore",
    "RunFilters",
    "RunOrder",
    "RunStore",
    "ServiceStore",
]


class MetadataStore(
    RunStore,
    MetricStore,
    ModelRegistryStore,
    DatastoreStore,
    ComputeTargetStore,
    EnvironmentStore,
    DatasetStore,
    ServiceStore,
    RegisteredModelStore,
    LoggedModelStore,
):
    """Where a workspace keeps everything but files: the union of every concept's interface.

    Its contract is theirs: see :class:`~runlab.store.common.BaseStore` (thread and process
    safety, errors), :class:`RunStore`, :class:`MetricStore`, :class:`ModelRegistryStore`,
    :class:`DatastoreStore`, :class:`ComputeTargetStore`, :class:`EnvironmentStore`,
    :class:`DatasetStore`, :class:`ServiceStore`, :class:`RegisteredModelStore` and
    :class:`LoggedModelStore`.
    """
