"""The contract of :class:`runlab.store.ServiceStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import pytest

from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["ServiceStoreContract"]


class ServiceStoreContract:
    """Web service tests every metadata store backend must pass."""

    def test_service_round_trip(self, metadata_store: MetadataStore) -> None:
        created = metadata_store.create_service(
            "mnist-svc",
            "local",
            state="Transitioning",
            models=["mnist:1"],
            config={"port": 8890},
            details={"pid": 12},
        )
        assert (created.name, created.kind, created.state) == (
            "mnist-svc",
            "local",
            "Transitioning",
        )
        assert created.models == ["mnist:1"] and created.config == {"port": 8890}
        assert created.details == {"pid": 12}
        assert metadata_store.get_service("mnist-svc") == created
        assert [r.name for r in metadata_store.list_services()] == ["mnist-svc"]

    def test_services_listed_by_name(self, metadata_store: MetadataStore) -> None:
        for name in ("b", "a", "c"):
            metadata_store.create_service(name, "local", state="Healthy")
        assert [r.name for r in metadata_store.list_services()] == ["a", "b", "c"]

    def test_duplicate_service_refused(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_service("svc", "local", state="Healthy", models=["m:1"])
        with pytest.raises(AlreadyExistsError):
            metadata_store.create_service("svc", "ray", state="Healthy", models=["m:2"])
        assert metadata_store.get_service("svc").models == ["m:1"]

    def test_service_update_replaces_only_what_is_given(
        self, metadata_store: MetadataStore
    ) -> None:
        metadata_store.create_service("s", "local", state="Transitioning", details={"a": 1})
        updated = metadata_store.update_service("s", state="Healthy", models=["m:2"])
        assert (updated.state, updated.models, updated.details) == ("Healthy", ["m:2"], {"a": 1})
        assert updated.updated_time >= updated.created_time
        updated = metadata_store.update_service("s", details={"a": 2})
        assert (updated.state, updated.details) == ("Healthy", {"a": 2})

    def test_service_bad_values_refused(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_service("s", "local", state="Sleeping")
        with pytest.raises(ValidationError):
            metadata_store.create_service("s", "local", state="Healthy", models="m:1")
        metadata_store.create_service("s", "local", state="Healthy")
        with pytest.raises(ValidationError):
            metadata_store.update_service("s", state="Sleeping")
        assert metadata_store.get_service("s").state == "Healthy"

    def test_missing_services(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError):
            metadata_store.get_service("nope")
        with pytest.raises(NotFoundError):
            metadata_store.update_service("nope", state="Healthy")
        with pytest.raises(NotFoundError):
            metadata_store.delete_service("nope")
        metadata_store.create_service("s", "local", state="Healthy")
        metadata_store.delete_service("s")
        with pytest.raises(NotFoundError):
            metadata_store.get_service("s")
