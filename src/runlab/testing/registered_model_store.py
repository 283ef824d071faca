"""The contract of :class:`runlab.store.RegisteredModelStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import pytest

from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["RegisteredModelStoreContract"]

HASH = "a" * 64


def _version(store: MetadataStore, name: str) -> int:
    record = store.create_model_version(name, content_hash=HASH, files=["m.pkl"])
    return store.finish_model_version(name, record.version).version


class RegisteredModelStoreContract:
    """Registered model tests every metadata store backend must pass."""

    def test_registered_model_record_round_trip(self, metadata_store: MetadataStore) -> None:
        created = metadata_store.create_registered_model(
            "empty", description="no versions yet", tags={"team": "vision"}
        )
        assert (created.name, created.description) == ("empty", "no versions yet")
        assert (created.tags, created.aliases) == ({"team": "vision"}, {})
        assert metadata_store.get_registered_model("empty") == created
        with pytest.raises(AlreadyExistsError):
            metadata_store.create_registered_model("empty")

    def test_versions_make_the_record_on_first_read(self, metadata_store: MetadataStore) -> None:
        _version(metadata_store, "versioned")
        assert metadata_store.get_registered_model("versioned").description is None
        with pytest.raises(AlreadyExistsError):
            metadata_store.create_registered_model("versioned")
        metadata_store.create_registered_model("a-first")
        names = [record.name for record in metadata_store.list_registered_models()]
        assert names == ["a-first", "versioned"]

    def test_registered_model_update(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_registered_model("m")
        updated = metadata_store.update_registered_model("m", description="d", tags={"t": "1"})
        assert (updated.description, updated.tags) == ("d", {"t": "1"})
        updated = metadata_store.update_registered_model("m", remove_tag="t")
        assert (updated.description, updated.tags) == ("d", {})
        assert updated.updated_time >= updated.created_time
        with pytest.raises(NotFoundError):
            metadata_store.update_registered_model("nothing", description="d")
        with pytest.raises(NotFoundError):
            metadata_store.get_registered_model("nothing")

    def test_aliases_point_at_one_version_and_move(self, metadata_store: MetadataStore) -> None:
        first, second = _version(metadata_store, "m"), _version(metadata_store, "m")
        metadata_store.set_model_alias("m", "champion", first)
        assert metadata_store.get_model_version_by_alias("m", "champion").version == first
        metadata_store.set_model_alias("m", "champion", second)
        assert metadata_store.get_model_version_by_alias("m", "champion").version == second
        assert metadata_store.get_registered_model("m").aliases == {"champion": second}
        metadata_store.delete_model_alias("m", "champion")
        with pytest.raises(NotFoundError):
            metadata_store.get_model_version_by_alias("m", "champion")
        with pytest.raises(NotFoundError):
            metadata_store.delete_model_alias("m", "champion")

    def test_bad_aliases_refused(self, metadata_store: MetadataStore) -> None:
        first = _version(metadata_store, "m")
        with pytest.raises(NotFoundError):
            metadata_store.set_model_alias("m", "other", 99)
        with pytest.raises(ValidationError, match="reads as a version"):
            metadata_store.set_model_alias("m", "v2", first)
        with pytest.raises(ValidationError):
            metadata_store.set_model_alias("m", "latest", first)

    def test_deleting_a_model_deletes_versions_and_aliases(
        self, metadata_store: MetadataStore
    ) -> None:
        first = _version(metadata_store, "m")
        metadata_store.set_model_alias("m", "champion", first)
        metadata_store.delete_registered_model("m")
        with pytest.raises(NotFoundError):
            metadata_store.get_model_version("m", first)
        with pytest.raises(NotFoundError):
            metadata_store.get_registered_model("m")
        with pytest.raises(NotFoundError):
            metadata_store.delete_registered_model("m")
