"""The store contracts over the REST backends, against a live server on 127.0.0.1."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

from collections.abc import Iterator

import pytest

from runlab.artifacts.rest import RestArtifactStore
from runlab.store import MetadataStore
from runlab.store.rest import RestMetadataStore
from runlab.testing.artifact_store import ArtifactStoreContract
from runlab.testing.metadata_store import MetadataStoreContract


class TestRestMetadataStore(MetadataStoreContract):
    @pytest.fixture
    def metadata_store(self, server_url: str) -> Iterator[MetadataStore]:
        with RestMetadataStore(server_url) as store:
            yield store


class TestRestArtifactStore(ArtifactStoreContract):
    @pytest.fixture
    def artifact_store(self, server_url: str) -> Iterator[RestArtifactStore]:
        store = RestArtifactStore(server_url)
        yield store
        store.close()
