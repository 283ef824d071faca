"""The compute targets' part of the store contract over every backend.

(Kept in its own file while other parts of the store change; it can join
``test_contract.py``'s classes when those settle.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.store import MetadataStore, SqlMetadataStore
from runlab.testing.compute_target_store import ComputeTargetStoreContract


class TestSqliteFileStore(ComputeTargetStoreContract):
    @pytest.fixture
    def metadata_store(self, tmp_path: Path) -> Iterator[MetadataStore]:
        with SqlMetadataStore(f"sqlite:///{tmp_path}/metadata.db") as store:
            yield store


class TestSqliteMemoryStore(ComputeTargetStoreContract):
    @pytest.fixture
    def metadata_store(self) -> Iterator[MetadataStore]:
        with SqlMetadataStore("sqlite://") as store:
            yield store


class TestPostgresStore(ComputeTargetStoreContract):
    @pytest.fixture
    def metadata_store(self, postgres_url: str) -> Iterator[MetadataStore]:
        with SqlMetadataStore(postgres_url) as store:
            yield store
