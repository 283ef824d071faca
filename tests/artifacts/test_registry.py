"""open_artifact_store and register_artifact_store: stores chosen by URI scheme."""

from __future__ import annotations

import os
import pathlib
import uuid
from importlib.metadata import EntryPoint
from typing import Any

import pytest

from runlab.artifacts import (
    ArtifactStore,
    FsspecArtifactStore,
    open_artifact_store,
    register_artifact_store,
    registry,
)
from runlab.errors import BackendError, ValidationError

opened: list[tuple[str, dict[str, Any]]] = []


def plugin_factory(uri: str, **options: Any) -> ArtifactStore:
    """What a plugin package would declare as an entry point."""
    opened.append((uri, options))
    return FsspecArtifactStore(f"memory://runlab-registry-tests/{uuid.uuid4().hex}")


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Give each test its own registry, with the plugin entry point installed."""
    opened.clear()
    monkeypatch.setattr(registry, "_factories", dict(registry._factories))
    monkeypatch.setattr(registry, "_entry_points", None)
    scans: list[str] = []
    plugins = [
        EntryPoint("plug", f"{__name__}:plugin_factory", registry.ENTRY_POINT_GROUP),
        EntryPoint("broken", "runlab_no_such_module:factory", registry.ENTRY_POINT_GROUP),
        EntryPoint("notcallable", f"{__name__}:opened", registry.ENTRY_POINT_GROUP),
    ]

    def entry_points(*, group: str) -> list[EntryPoint]:
        scans.append(group)
        return plugins if group == registry.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(registry, "entry_points", entry_points)
    return scans


def test_local_paths_and_file_urls(tmp_path: pathlib.Path, fresh_registry: list[str]) -> None:
    by_path = open_artifact_store(os.fspath(tmp_path / "a"))
    by_url = open_artifact_store((tmp_path / "b").as_uri())
    assert isinstance(by_path, FsspecArtifactStore)
    assert isinstance(by_url, FsspecArtifactStore)
    assert (tmp_path / "a").is_dir()
    assert (tmp_path / "b").is_dir()
    assert fresh_registry == []


def test_unclaimed_scheme_goes_to_fsspec() -> None:
    store = open_artifact_store(f"memory://runlab-registry-tests/{uuid.uuid4().hex}")
    assert isinstance(store, FsspecArtifactStore)
    store.put_bytes("a.txt", b"a")
    assert store.list_files() == ["a.txt"]


def test_unknown_scheme() -> None:
    with pytest.raises(ValidationError):
        open_artifact_store("nosuchscheme://x")


@pytest.mark.parametrize("uri", ["", "  ", None])
def test_bad_uri(uri: Any) -> None:
    with pytest.raises(ValidationError):
        open_artifact_store(uri)


def test_registered_factory_gets_uri_and_options() -> None:
    register_artifact_store("Fake", plugin_factory)
    store = open_artifact_store("fake://host/root", token="t")
    assert isinstance(store, ArtifactStore)
    assert opened == [("fake://host/root", {"token": "t"})]
    open_artifact_store("FAKE://other")
    assert opened[-1] == ("FAKE://other", {})


def test_registration_replaces_earlier_one(tmp_path: pathlib.Path) -> None:
    register_artifact_store("file", plugin_factory)
    open_artifact_store((tmp_path / "x").as_uri())
    assert len(opened) == 1
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("scheme", ["no good", "1abc", "a/b", "x:"])
def test_bad_scheme(scheme: str) -> None:
    with pytest.raises(ValidationError, match="not a URI scheme"):
        register_artifact_store(scheme, plugin_factory)


def test_factory_must_be_callable() -> None:
    with pytest.raises(ValidationError, match="not callable"):
        register_artifact_store("x", "not a factory")  # type: ignore[arg-type]


def test_entry_points_read_lazily_and_once(fresh_registry: list[str]) -> None:
    open_artifact_store(f"memory://runlab-registry-tests/{uuid.uuid4().hex}")
    assert fresh_registry == [registry.ENTRY_POINT_GROUP]
    open_artifact_store("plug://one", option=1)
    open_artifact_store("plug://two")
    assert opened == [("plug://one", {"option": 1}), ("plug://two", {})]
    assert fresh_registry == [registry.ENTRY_POINT_GROUP]


def test_known_schemes_do_not_read_entry_points(
    tmp_path: pathlib.Path, fresh_registry: list[str]
) -> None:
    open_artifact_store(os.fspath(tmp_path))
    register_artifact_store("fake", plugin_factory)
    open_artifact_store("fake://x")
    assert fresh_registry == []


def test_registration_wins_over_entry_point() -> None:
    def local_factory(uri: str, **options: Any) -> ArtifactStore:
        opened.append(("local:" + uri, options))
        return FsspecArtifactStore(f"memory://runlab-registry-tests/{uuid.uuid4().hex}")

    register_artifact_store("plug", local_factory)
    open_artifact_store("plug://x")
    assert opened == [("local:plug://x", {})]


def test_broken_entry_point() -> None:
    with pytest.raises(BackendError, match="runlab_no_such_module") as caught:
        open_artifact_store("broken://x")
    assert isinstance(caught.value.__cause__, ImportError)


def test_entry_point_that_is_not_callable() -> None:
    with pytest.raises(BackendError, match="not callable"):
        open_artifact_store("notcallable://x")
