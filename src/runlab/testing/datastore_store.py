"""The contract of :class:`runlab.store.DatastoreStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import threading

import pytest

from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["DatastoreStoreContract"]


def _defaults(store: MetadataStore) -> list[str]:
    return [record.name for record in store.list_datastores() if record.is_default]


class DatastoreStoreContract:
    """Datastore tests every metadata store backend must pass."""

    def test_round_trip(self, metadata_store: MetadataStore) -> None:
        options = {
            "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000", "region_name": "eu"},
            "anon": False,
            "retries": [1, 2.5, None],
            "key": {"$secret": True},
        }
        created = metadata_store.create_datastore("raw_data", "s3://bucket/raw", options=options)
        assert (created.name, created.url, created.options) == (
            "raw_data",
            "s3://bucket/raw",
            options,
        )
        assert not created.is_default and created.created_time > 0
        assert metadata_store.get_datastore("raw_data") == created
        assert metadata_store.create_datastore("plain", "/data").options == {}

    def test_names_are_unique(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_datastore("ds", "/a")
        with pytest.raises(AlreadyExistsError, match="'ds'"):
            metadata_store.create_datastore("ds", "/b", is_default=True)
        # The refused call changed nothing, not even the default.
        assert metadata_store.get_datastore("ds").url == "/a"
        assert _defaults(metadata_store) == []

    def test_list_is_by_name(self, metadata_store: MetadataStore) -> None:
        assert metadata_store.list_datastores() == []
        for name in ("b", "c", "a"):
            metadata_store.create_datastore(name, f"/{name}")
        assert [record.name for record in metadata_store.list_datastores()] == ["a", "b", "c"]

    def test_unknown_datastores(self, metadata_store: MetadataStore) -> None:
        for call in (
            lambda: metadata_store.get_datastore("ghost"),
            lambda: metadata_store.delete_datastore("ghost"),
            lambda: metadata_store.set_default_datastore("ghost"),
        ):
            with pytest.raises(NotFoundError, match="ghost"):
                call()

    def test_bad_arguments(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_datastore("", "/a")
        with pytest.raises(ValidationError):
            metadata_store.create_datastore("ds", "")
        with pytest.raises(ValidationError, match="JSON"):
            metadata_store.create_datastore("ds", "/a", options={"x": object()})
        with pytest.raises(ValidationError, match="JSON"):
            metadata_store.create_datastore("ds", "/a", options={"x": float("nan")})
        assert metadata_store.list_datastores() == []

    def test_exactly_one_default(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_datastore("a", "/a", is_default=True)
        metadata_store.create_datastore("b", "/b")
        assert _defaults(metadata_store) == ["a"]
        assert metadata_store.set_default_datastore("b").is_default
        assert _defaults(metadata_store) == ["b"]
        assert metadata_store.set_default_datastore("b").is_default  # again: a no-op
        metadata_store.create_datastore("c", "/c", is_default=True)
        assert _defaults(metadata_store) == ["c"]
        with pytest.raises(NotFoundError):
            metadata_store.set_default_datastore("ghost")
        assert _defaults(metadata_store) == ["c"]

    def test_delete(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_datastore("a", "/a", is_default=True)
        metadata_store.create_datastore("b", "/b")
        metadata_store.delete_datastore("a")
        with pytest.raises(NotFoundError):
            metadata_store.get_datastore("a")
        assert [record.name for record in metadata_store.list_datastores()] == ["b"]
        assert _defaults(metadata_store) == []
        # The name is free again.
        assert metadata_store.create_datastore("a", "/elsewhere").url == "/elsewhere"

    def test_one_default_when_writers_race(self, metadata_store: MetadataStore) -> None:
        names = [f"ds{index}" for index in range(6)]
        for name in names:
            metadata_store.create_datastore(name, f"/{name}")
        errors: list[BaseException] = []

        def worker(index: int) -> None:
            try:
                for round_ in range(5):
                    name = names[(index + round_) % len(names)]
                    if round_ == 2:
                        metadata_store.create_datastore(f"new{index}", "/n", is_default=True)
                    else:
                        metadata_store.set_default_datastore(name)
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(index,)) for index in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(_defaults(metadata_store)) == 1
