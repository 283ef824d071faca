"""Layer 1: where metadata lives. The interfaces (one per concept, ``MetadataStore`` their
union; see :mod:`runlab.store.base`), their backends, and how to open one by URI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab.store.base import (
    ComputeTargetStore,
    DatasetStore,
    DatastoreStore,
    EnvironmentStore,
    MetadataStore,
    MetricStore,
    ModelRegistryStore,
    RunStore,
)
from runlab.store.common import BaseStore
from runlab.store.logged_models import LoggedModelStore
from runlab.store.registered_models import RegisteredModelStore
from runlab.store.registry import open_metadata_store, register_metadata_store

if TYPE_CHECKING:
    from runlab.store.sql import SqlMetadataStore

__all__ = [
    "BaseStore",
    "ComputeTargetStore",
    "DatasetStore",
    "DatastoreStore",
    "EnvironmentStore",
    "LoggedModelStore",
    "MetadataStore",
    "MetricStore",
    "ModelRegistryStore",
    "RegisteredModelStore",
    "RunStore",
    "SqlMetadataStore",
    "open_metadata_store",
    "register_metadata_store",
]


def __getattr__(name: str) -> Any:
    # SqlMetadataStore pulls in SQLAlchemy; import it only when somebody asks for it.
    if name == "SqlMetadataStore":
        from runlab.store.sql import SqlMetadataStore

        return SqlMetadataStore
    raise AttributeError(f"module 'runlab.store' has no attribute {name!r}")
