"""The contract of :class:`runlab.store.ModelRegistryStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import hashlib
import threading

import pytest

from runlab.entities.model import ModelRecord
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["ModelRegistryStoreContract"]

HASH = hashlib.sha256(b"model").hexdigest()


def _register(store: MetadataStore, name: str = "mnist", **fields: object) -> ModelRecord:
    """Create and finish a version, as ``Model.register`` does around storing the files."""
    files = fields.pop("files", ["model.pkl"])
    created = store.create_model_version(name, content_hash=HASH, files=files, **fields)  # type: ignore[arg-type]
    return store.finish_model_version(name, created.version)


class ModelRegistryStoreContract:
    """Model-version tests every metadata store backend must pass."""

    def test_versions_count_up_per_name(self, metadata_store: MetadataStore) -> None:
        assert [_register(metadata_store).version for _ in range(3)] == [1, 2, 3]
        other = _register(metadata_store, "other")
        assert (other.version, other.id) == (1, "other:1")
        assert metadata_store.get_model_version("mnist").id == "mnist:3"

    def test_version_round_trip(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("train")
        metadata_store.create_run("train", "r1")
        created = metadata_store.create_model_version(
            "mnist",
            content_hash=HASH,
            files=["model/b.txt", "model/a.bin"],
            run_id="r1",
            description="logistic regression",
            tags={"area": "vision"},
            properties={"accuracy": "0.92"},
        )
        finished = metadata_store.finish_model_version("mnist", created.version)
        assert finished == created == metadata_store.get_model_version("mnist", 1)
        assert finished.files == ("model/a.bin", "model/b.txt")
        assert (finished.run_id, finished.experiment_name) == ("r1", "train")
        assert finished.description == "logistic regression"
        assert (finished.tags, finished.properties) == ({"area": "vision"}, {"accuracy": "0.92"})
        assert finished.content_hash == HASH and finished.created_time > 0

    def test_a_version_is_hidden_until_finished(self, metadata_store: MetadataStore) -> None:
        _register(metadata_store)
        pending = metadata_store.create_model_version("mnist", content_hash=HASH, files=["m"])
        assert pending.version == 2
        assert metadata_store.get_model_version("mnist").version == 1
        with pytest.raises(NotFoundError, match="2"):
            metadata_store.get_model_version("mnist", 2)
        assert [r.version for r in metadata_store.search_model_versions()] == [1]
        with pytest.raises(NotFoundError):
            metadata_store.set_model_version_tags("mnist", 2, {"a": "b"})
        metadata_store.finish_model_version("mnist", 2)
        assert metadata_store.get_model_version("mnist").version == 2
        with pytest.raises(NotFoundError, match="being registered"):
            metadata_store.finish_model_version("mnist", 2)

    def test_unknown_models_and_bad_arguments(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError, match="ghost"):
            metadata_store.get_model_version("ghost")
        _register(metadata_store)
        with pytest.raises(NotFoundError, match="version 7"):
            metadata_store.get_model_version("mnist", 7)
        with pytest.raises(ValidationError):
            metadata_store.get_model_version("mnist", "1")  # type: ignore[arg-type]
        with pytest.raises(NotFoundError, match="nope"):
            metadata_store.create_model_version(
                "mnist", content_hash=HASH, files=["m"], run_id="nope"
            )
        with pytest.raises(ValidationError, match="hash"):
            metadata_store.create_model_version("mnist", content_hash="abc", files=["m"])
        with pytest.raises(ValidationError, match="file"):
            metadata_store.create_model_version("mnist", content_hash=HASH, files=[])
        # None of the refused calls took a number.
        assert _register(metadata_store).version == 2
        for call in (
            lambda: metadata_store.update_model_version("mnist", 9, description="x"),
            lambda: metadata_store.set_model_version_tags("mnist", 9, {"a": "b"}),
            lambda: metadata_store.delete_model_version_tag("mnist", 9, "a"),
            lambda: metadata_store.add_model_version_properties("mnist", 9, {"a": "b"}),
            lambda: metadata_store.delete_model_version("mnist", 9),
            lambda: metadata_store.finish_model_version("ghost", 1),
        ):
            with pytest.raises(NotFoundError):
                call()

    def test_search_filters(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r1")
        _register(metadata_store, "b", tags={"stage": "dev"})
        _register(metadata_store, "b", tags={"stage": "prod"}, run_id="r1")
        _register(metadata_store, "b", tags={"stage": "dev"}, properties={"kind": "sk"})
        _register(metadata_store, "a", tags={"stage": "prod"})

        def ids(**filters: object) -> list[str]:
            return [r.id for r in metadata_store.search_model_versions(**filters)]  # type: ignore[arg-type]

        assert ids() == ["a:1", "b:3", "b:2", "b:1"]
        assert ids(name="b") == ["b:3", "b:2", "b:1"]
        assert ids(name="ghost") == []
        assert ids(tags={"stage": "prod"}) == ["a:1", "b:2"]
        assert ids(tags={"stage": None}, name="a") == ["a:1"]
        assert ids(properties={"kind": "sk"}) == ["b:3"]
        assert ids(properties={"kind": None}) == ["b:3"]
        assert ids(run_id="r1") == ["b:2"]
        assert ids(latest_only=True) == ["a:1", "b:3"]
        # latest_only picks the newest of the versions that match the other filters.
        assert ids(latest_only=True, tags={"stage": "prod"}) == ["a:1", "b:2"]

    def test_description_tags_and_properties(self, metadata_store: MetadataStore) -> None:
        _register(metadata_store, tags={"a": "1"})
        updated = metadata_store.update_model_version("mnist", 1, description="better")
        assert updated.description == "better"
        assert metadata_store.update_model_version("mnist", 1, description=None).description is None
        metadata_store.set_model_version_tags("mnist", 1, {"a": "2", "b": "ü"})
        assert metadata_store.get_model_version("mnist").tags == {"a": "2", "b": "ü"}
        metadata_store.delete_model_version_tag("mnist", 1, "a")
        assert metadata_store.get_model_version("mnist").tags == {"b": "ü"}
        with pytest.raises(NotFoundError, match="'a'"):
            metadata_store.delete_model_version_tag("mnist", 1, "a")
        metadata_store.add_model_version_properties("mnist", 1, {"p": "1"})
        metadata_store.add_model_version_properties("mnist", 1, {"p": "1", "q": "2"})
        with pytest.raises(AlreadyExistsError, match="'p'"):
            metadata_store.add_model_version_properties("mnist", 1, {"r": "3", "p": "x"})
        assert metadata_store.get_model_version("mnist").properties == {"p": "1", "q": "2"}

    def test_deleted_numbers_are_not_given_out_again(self, metadata_store: MetadataStore) -> None:
        _register(metadata_store)
        _register(metadata_store)
        metadata_store.delete_model_version("mnist", 2)
        with pytest.raises(NotFoundError):
            metadata_store.get_model_version("mnist", 2)
        assert metadata_store.get_model_version("mnist").version == 1
        with pytest.raises(NotFoundError):
            metadata_store.delete_model_version("mnist", 2)
        pending = metadata_store.create_model_version("mnist", content_hash=HASH, files=["m"])
        assert pending.version == 3
        # A registration that failed part way is deleted while still being registered.
        metadata_store.delete_model_version("mnist", 3)
        assert _register(metadata_store).version == 4
        assert [r.version for r in metadata_store.search_model_versions()] == [4, 1]

    def test_versions_stay_consecutive_under_a_race(self, metadata_store: MetadataStore) -> None:
        def worker() -> None:
            for _ in range(3):
                _register(metadata_store)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        versions = sorted(r.version for r in metadata_store.search_model_versions(name="mnist"))
        assert versions == list(range(1, 19))
