"""The contract of :class:`runlab.store.EnvironmentStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import pytest

from runlab.errors import NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["EnvironmentStoreContract"]

SPEC = {"name": "env", "pip_packages": ["numpy"], "python_version": None}


class EnvironmentStoreContract:
    """Environment registry tests every metadata store backend must pass."""

    def test_versions_count_up(self, metadata_store: MetadataStore) -> None:
        first = metadata_store.create_environment_version("env", SPEC)
        second = metadata_store.create_environment_version("env", {**SPEC, "pip_packages": []})
        assert (first.version, second.version) == (1, 2)
        assert first.spec == SPEC
        assert metadata_store.get_environment_version("env") == second
        assert metadata_store.get_environment_version("env", 1) == first

    def test_an_equal_spec_is_the_latest_version(self, metadata_store: MetadataStore) -> None:
        first = metadata_store.create_environment_version("env", SPEC)
        again = metadata_store.create_environment_version("env", dict(SPEC))
        assert again == first
        assert len(metadata_store.list_environment_versions("env")) == 1

    def test_list_is_by_name_then_version(self, metadata_store: MetadataStore) -> None:
        for name, packages in [("b", ["x"]), ("a", ["x"]), ("b", ["y"])]:
            metadata_store.create_environment_version(name, {**SPEC, "pip_packages": packages})
        listed = metadata_store.list_environment_versions()
        assert [(r.name, r.version) for r in listed] == [("a", 1), ("b", 1), ("b", 2)]
        assert [r.version for r in metadata_store.list_environment_versions("b")] == [1, 2]

    def test_missing_names_and_versions(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError):
            metadata_store.get_environment_version("nope")
        metadata_store.create_environment_version("env", SPEC)
        with pytest.raises(NotFoundError):
            metadata_store.get_environment_version("env", 2)

    @pytest.mark.parametrize("version", [0, -1, "1", 1.0, True])
    def test_bad_versions_are_refused(self, metadata_store: MetadataStore, version: object) -> None:
        metadata_store.create_environment_version("env", SPEC)
        with pytest.raises(ValidationError):
            metadata_store.get_environment_version("env", version)  # type: ignore[arg-type]

    @pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {1: "x"}])
    def test_spec_must_be_json(self, metadata_store: MetadataStore, bad: object) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_environment_version("env", bad)  # type: ignore[arg-type]
        assert metadata_store.list_environment_versions() == []

    def test_empty_name_is_refused(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(ValidationError):
            metadata_store.create_environment_version("", SPEC)
