"""The contract of :class:`runlab.store.DatasetStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from runlab.entities.dataset import content_hash_of
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["DatasetStoreContract"]


def _files(marker: str) -> list[dict[str, Any]]:
    return [
        {
            "path": "train.gz",
            "source": {"datastore": "workspaceblobstore", "path": "mnist/train.gz"},
            "size": 10,
            "sha256": (marker * 64)[:64],
        }
    ]


def _create(store: MetadataStore, name: str, marker: str, **options: Any) -> Any:
    files = _files(marker)
    definition = {"sources": [{"datastore": "workspaceblobstore", "path": "mnist/*.gz"}]}
    return store.create_dataset_version(
        name,
        kind="file",
        definition=definition,
        files=files,
        content_hash=content_hash_of(files),
        **options,
    )


class DatasetStoreContract:
    """Dataset tests every metadata store backend must pass."""

    def test_round_trip(self, metadata_store: MetadataStore) -> None:
        created = _create(
            metadata_store, "mnist", "a", description="digits", tags={"k": "v"}, snapshot=True
        )
        assert (created.name, created.version, created.kind, created.id) == (
            "mnist",
            1,
            "file",
            "mnist:1",
        )
        assert created.files == _files("a") and created.snapshot
        assert (created.description, created.tags) == ("digits", {"k": "v"})
        assert metadata_store.get_dataset_version("mnist", 1) == created
        assert metadata_store.get_dataset_version("mnist") == created

    def test_versions_count_up_and_never_change(self, metadata_store: MetadataStore) -> None:
        first = _create(metadata_store, "mnist", "a")
        second = _create(metadata_store, "mnist", "b", create_new_version=True)
        assert (first.version, second.version) == (1, 2)
        assert metadata_store.get_dataset_version("mnist", 1) == first
        assert metadata_store.get_dataset_version("mnist") == second
        assert [r.version for r in metadata_store.list_dataset_versions("mnist")] == [2, 1]

    def test_same_content_is_the_same_version(self, metadata_store: MetadataStore) -> None:
        first = _create(metadata_store, "mnist", "a")
        assert _create(metadata_store, "mnist", "a") == first
        with pytest.raises(AlreadyExistsError, match="create_new_version"):
            _create(metadata_store, "mnist", "b")
        assert [r.version for r in metadata_store.list_dataset_versions("mnist")] == [1]

    def test_list_gives_the_latest_of_each(self, metadata_store: MetadataStore) -> None:
        assert metadata_store.list_dataset_versions() == []
        _create(metadata_store, "b", "a")
        _create(metadata_store, "a", "a")
        _create(metadata_store, "a", "c", create_new_version=True)
        latest = metadata_store.list_dataset_versions()
        assert [(r.name, r.version) for r in latest] == [("a", 2), ("b", 1)]

    def test_unknown(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError, match="ghost"):
            metadata_store.get_dataset_version("ghost")
        _create(metadata_store, "mnist", "a")
        with pytest.raises(NotFoundError, match="7"):
            metadata_store.get_dataset_version("mnist", 7)
        assert metadata_store.list_dataset_versions("ghost") == []

    def test_bad_arguments(self, metadata_store: MetadataStore) -> None:
        files = _files("a")
        good: dict[str, Any] = {
            "kind": "file",
            "definition": {},
            "files": files,
            "content_hash": content_hash_of(files),
        }
        cases: list[tuple[str, dict[str, Any]]] = [
            ("", {}),
            ("x", {"kind": "video"}),
            ("x", {"content_hash": "abc"}),
            ("x", {"files": [{"path": "a"}]}),
            ("x", {"definition": {"bad": float("nan")}}),
        ]
        for name, changes in cases:
            with pytest.raises(ValidationError):
                metadata_store.create_dataset_version(name, **(good | changes))
        assert metadata_store.list_dataset_versions() == []

    def test_concurrent_versions_get_distinct_numbers(self, metadata_store: MetadataStore) -> None:
        errors: list[BaseException] = []

        def worker(index: int) -> None:
            try:
                _create(metadata_store, "raced", "0123456789abcdef"[index], create_new_version=True)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        versions = [r.version for r in metadata_store.list_dataset_versions("raced")]
        assert sorted(versions) == [1, 2, 3, 4, 5, 6]
