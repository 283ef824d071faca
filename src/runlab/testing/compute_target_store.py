"""The contract of :class:`runlab.store.ComputeTargetStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import pytest

from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["ComputeTargetStoreContract"]


class ComputeTargetStoreContract:
    """Compute target tests every metadata store backend must pass."""

    def test_round_trip(self, metadata_store: MetadataStore) -> None:
        created = metadata_store.create_compute_target(
            "cpu-cluster", "ray", config={"min_nodes": 0, "max_nodes": 2}, state={"pid": 12}
        )
        assert created.name == "cpu-cluster" and created.kind == "ray"
        assert created.config == {"min_nodes": 0, "max_nodes": 2}
        assert metadata_store.get_compute_target("cpu-cluster") == created
        assert [r.name for r in metadata_store.list_compute_targets()] == ["cpu-cluster"]

    def test_list_is_by_name(self, metadata_store: MetadataStore) -> None:
        for name in ("b", "a", "c"):
            metadata_store.create_compute_target(name, "ray")
        assert [r.name for r in metadata_store.list_compute_targets()] == ["a", "b", "c"]

    def test_duplicate_name_is_refused(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_compute_target("gpu", "ray", config={"max_nodes": 1})
        with pytest.raises(AlreadyExistsError):
            metadata_store.create_compute_target("gpu", "ray", config={"max_nodes": 9})
        assert metadata_store.get_compute_target("gpu").config == {"max_nodes": 1}

    def test_update_replaces_only_what_is_given(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_compute_target("c", "ray", config={"a": 1}, state={"s": 1})
        updated = metadata_store.update_compute_target("c", state={"s": 2})
        assert updated.config == {"a": 1} and updated.state == {"s": 2}
        updated = metadata_store.update_compute_target("c", config={"a": 3})
        assert updated.config == {"a": 3} and updated.state == {"s": 2}

    def test_missing_names(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError):
            metadata_store.get_compute_target("nope")
        with pytest.raises(NotFoundError):
            metadata_store.update_compute_target("nope", state={})
        with pytest.raises(NotFoundError):
            metadata_store.delete_compute_target("nope")

    def test_delete_forgets(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_compute_target("c", "ray")
        metadata_store.delete_compute_target("c")
        assert metadata_store.list_compute_targets() == []
        metadata_store.create_compute_target("c", "ray")  # the name is free again

    @pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {1: "x"}])
    def test_config_must_be_json(self, metadata_store: MetadataStore, bad: object) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_compute_target("c", "ray", config=bad)  # type: ignore[arg-type]
        assert metadata_store.list_compute_targets() == []

    def test_empty_name_is_refused(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_compute_target("", "ray")
