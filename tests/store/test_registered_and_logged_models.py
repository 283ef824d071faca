"""Registered models (records, aliases) and logged models in the SQL store, on SQLite and
PostgreSQL; and ``Model(ws, "name@alias")``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab import Model, Workspace
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.sql import SqlMetadataStore

HASH = "a" * 64


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[SqlMetadataStore]:
    is_sqlite = request.param == "sqlite"
    store = SqlMetadataStore("sqlite://" if is_sqlite else request.getfixturevalue("postgres_url"))
    store.create_experiment("e")
    store.create_run("e", "r1")
    yield store
    store.close()


def _version(store: SqlMetadataStore, name: str) -> int:
    record = store.create_model_version(name, content_hash=HASH, files=["m.pkl"], run_id="r1")
    return store.finish_model_version(name, record.version).version


def test_registered_models_meet_versions(store: SqlMetadataStore) -> None:
    created = store.create_registered_model("empty", description="no versions yet")
    assert (created.name, created.description, created.aliases) == ("empty", "no versions yet", {})
    with pytest.raises(AlreadyExistsError):
        store.create_registered_model("empty")
    _version(store, "versioned")  # registered the runlab way: its record is made on first read
    with pytest.raises(AlreadyExistsError):
        store.create_registered_model("versioned")
    assert [r.name for r in store.list_registered_models()] == ["empty", "versioned"]
    updated = store.update_registered_model("versioned", description="d", tags={"t": "1"})
    assert (updated.description, updated.tags) == ("d", {"t": "1"})
    assert store.update_registered_model("versioned", remove_tag="t").tags == {}
    with pytest.raises(NotFoundError):
        store.get_registered_model("nothing")


def test_aliases_point_at_one_version_and_move(store: SqlMetadataStore) -> None:
    first, second = _version(store, "m"), _version(store, "m")
    store.set_model_alias("m", "champion", first)
    assert store.get_model_version_by_alias("m", "champion").version == first
    store.set_model_alias("m", "champion", second)
    assert store.get_model_version_by_alias("m", "champion").version == second
    assert store.get_registered_model("m").aliases == {"champion": second}
    with pytest.raises(NotFoundError):
        store.set_model_alias("m", "other", 99)
    with pytest.raises(ValidationError, match="reads as a version"):
        store.set_model_alias("m", "v2", first)
    store.delete_model_alias("m", "champion")
    with pytest.raises(NotFoundError):
        store.get_model_version_by_alias("m", "champion")
    store.delete_registered_model("m")
    with pytest.raises(NotFoundError):
        store.get_model_version("m", first)


def test_logged_models(store: SqlMetadataStore) -> None:
    logged = store.create_logged_model("e", "model", source_run_id="r1", params={"a": "1"})
    assert logged.model_id.startswith("m-") and logged.status == "PENDING"
    ready = store.update_logged_model(logged.model_id, status="READY", tags={"k": "v"})
    assert (ready.status, ready.tags, ready.params) == ("READY", {"k": "v"}, {"a": "1"})
    with pytest.raises(AlreadyExistsError):
        store.update_logged_model(logged.model_id, params={"a": "2"})
    with pytest.raises(ValidationError):
        store.update_logged_model(logged.model_id, status="DONE")
    assert [m.model_id for m in store.search_logged_models(source_run_id="r1")] == [logged.model_id]
    assert store.search_logged_models(experiment_names=["other"]) == []
    with pytest.raises(NotFoundError):
        store.create_logged_model("e", "model", source_run_id="nope")
    store.delete_logged_model(logged.model_id)
    with pytest.raises(NotFoundError):
        store.get_logged_model(logged.model_id)


def test_model_by_alias(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(b"weights")
    first = Model.register(workspace, tmp_path / "m.pkl", "clf")
    Model.register(workspace, tmp_path / "m.pkl", "clf")
    workspace.store.set_model_alias("clf", "champion", first.version)  # type: ignore[attr-defined]
    assert Model(workspace, "clf@champion").version == 1
    assert Model(workspace, "clf").version == 2
    with pytest.raises(NotFoundError, match="no alias 'missing'"):
        Model(workspace, "clf@missing")
