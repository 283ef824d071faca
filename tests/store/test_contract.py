"""The metadata store contract (every concept's suite) over every SQL backend: SQLite (file
and memory) and PostgreSQL. The REST backend runs it in ``tests/server/test_rest_contract.py``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.store import MetadataStore, SqlMetadataStore
from runlab.testing.metadata_store import MetadataStoreContract


class TestSqliteFileStore(MetadataStoreContract):
    @pytest.fixture
    def metadata_store(self, tmp_path: Path) -> Iterator[MetadataStore]:
        with SqlMetadataStore(f"sqlite:///{tmp_path}/metadata.db") as store:
            yield store


class TestSqliteMemoryStore(MetadataStoreContract):
    @pytest.fixture
    def metadata_store(self) -> Iterator[MetadataStore]:
        with SqlMetadataStore("sqlite://") as store:
            yield store


class TestPostgresStore(MetadataStoreContract):
    @pytest.fixture
    def metadata_store(self, postgres_url: str) -> Iterator[MetadataStore]:
        with SqlMetadataStore(postgres_url) as store:
            yield store
