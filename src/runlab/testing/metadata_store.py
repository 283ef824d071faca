"""The contract every :class:`runlab.store.MetadataStore` backend passes: the union of one
suite per concept, as ``MetadataStore`` is the union of one interface per concept.

Include it in a test module and supply a ``metadata_store`` fixture giving a fresh, empty
store::

    class TestSqliteStore(MetadataStoreContract):
        @pytest.fixture
        def metadata_store(self, tmp_path):
            with SqlMetadataStore(f"sqlite:///{tmp_path}/m.db") as store:
                yield store

A concept added to the store brings its suite here. A backend that needs a special case in a
suite has a bug.
"""

from __future__ import annotations

from runlab.testing.compute_target_store import ComputeTargetStoreContract
from runlab.testing.dataset_store import DatasetStoreContract
from runlab.testing.datastore_store import DatastoreStoreContract
from runlab.testing.environment_store import EnvironmentStoreContract
from runlab.testing.logged_model_store import LoggedModelStoreContract
from runlab.testing.metric_store import MetricStoreContract
from runlab.testing.model_registry_store import ModelRegistryStoreContract
from runlab.testing.registered_model_store import RegisteredModelStoreContract
from runlab.testing.run_store import RunStoreContract
from runlab.testing.service_store import ServiceStoreContract

__all__ = ["MetadataStoreContract"]


class MetadataStoreContract(
    RunStoreContract,
    MetricStoreContract,
    ModelRegistryStoreContract,
    DatastoreStoreContract,
    ComputeTargetStoreContract,
    EnvironmentStoreContract,
    DatasetStoreContract,
    ServiceStoreContract,
    RegisteredModelStoreContract,
    LoggedModelStoreContract,
):
    """Tests every metadata store backend must pass: every concept's suite."""
