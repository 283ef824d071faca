"""The metadata store contract over every backend: SQLite (file and memory), PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.store import MetadataStore, SqlMetadataStore
from runlab.testing.datastore_store import DatastoreStoreContract
from runlab.testing.metadata_store import MetadataStoreContract
from runlab.testing.model_store import ModelStoreContract


class TestSqliteFileStore(MetadataStoreContract, ModelStoreContract, DatastoreStoreContract):
    @pytest.fixture
    def metadata_store(self, tmp_path: Path) -> Iterator[MetadataStore]:
        with SqlMetadataStore(f"sqlite:///{tmp_path}/metadata.db") as store:
            yield store


class TestSqliteMemoryStore(MetadataStoreContract, ModelStoreContract, DatastoreStoreContract):
    @pytest.fixture
    def metadata_store(self) -> Iterator[MetadataStore]:
        with SqlMetadataStore("sqlite://") as store:
            yield store


class TestPostgresStore(MetadataStoreContract, ModelStoreContract, DatastoreStoreContract):
    @pytest.fixture
    def metadata_store(self, postgres_url: str) -> Iterator[MetadataStore]:
        with SqlMetadataStore(postgres_url) as store:
            yield store
