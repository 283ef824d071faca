"""Workspaces: create, find by config, write config, details."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runlab import AlreadyExistsError, Experiment, NotFoundError, ValidationError, Workspace
from runlab.artifacts import FsspecArtifactStore, register_artifact_store
from runlab.artifacts import registry as artifact_registry


def test_create_then_find_from_a_subfolder(tmp_path: Path) -> None:
    ws = Workspace.create("mine", path=tmp_path)
    Experiment(ws, "e").start_logging().complete()
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    found = Workspace.from_config(deep)
    assert found.name == "mine"
    assert list(found.experiments) == ["e"]
    assert found.config_path == tmp_path / ".runlab" / "config.json"


def test_config_keeps_relative_default_paths_so_the_folder_can_move(tmp_path: Path) -> None:
    Workspace.create("mine", path=tmp_path / "old")
    config = json.loads((tmp_path / "old" / ".runlab" / "config.json").read_text())
    assert config["store_uri"] == "sqlite:///metadata.db"
    assert config["artifact_uri"] == "artifacts"
    (tmp_path / "old").rename(tmp_path / "new")
    assert Workspace.from_config(tmp_path / "new").store_uri.startswith(
        f"sqlite:///{tmp_path}/new/.runlab"
    )


def test_create_twice(tmp_path: Path) -> None:
    Workspace.create("mine", path=tmp_path)
    with pytest.raises(AlreadyExistsError, match="exist_ok"):
        Workspace.create("mine", path=tmp_path)
    assert Workspace.create("mine", path=tmp_path, exist_ok=True).name == "mine"
    with pytest.raises(AlreadyExistsError, match="mine"):
        Workspace.create("other", path=tmp_path, exist_ok=True)


def test_missing_config_lists_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        Workspace.from_config(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / ".runlab" / "config.json") in message
    assert str(tmp_path / "config.json") in message
    assert "runlab init" in message


def test_a_plain_config_json_is_found_and_a_foreign_one_explained(tmp_path: Path) -> None:
    ws = Workspace.create("mine", path=tmp_path / "ws")
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "config.json").write_text(json.dumps(ws.to_dict()))
    assert Workspace.from_config(tmp_path / "plain").name == "mine"
    (tmp_path / "azure").mkdir()
    (tmp_path / "azure" / "config.json").write_text(json.dumps({"workspace_name": "x"}))
    with pytest.raises(NotFoundError, match="holds no runlab workspace"):
        Workspace.from_config(tmp_path / "azure")


def test_write_config_elsewhere(tmp_path: Path) -> None:
    ws = Workspace.create("mine", path=tmp_path / "ws")
    written = ws.write_config(tmp_path / "project")
    assert written == tmp_path / "project" / ".runlab" / "config.json"
    assert Workspace.from_config(tmp_path / "project") == ws
    with pytest.raises(ValidationError):
        ws.write_config(tmp_path, file_name="../evil.json")


def test_bad_names_and_configs(tmp_path: Path) -> None:
    for name in ("", "has space", "-leading", "a" * 256, "../x"):
        with pytest.raises(ValidationError):
            Workspace.create(name, path=tmp_path)
    assert not (tmp_path / ".runlab").exists()
    (tmp_path / ".runlab").mkdir()
    (tmp_path / ".runlab" / "config.json").write_text("{not json")
    with pytest.raises(ValidationError, match="not valid JSON"):
        Workspace.from_config(tmp_path)


def test_details(workspace: Workspace) -> None:
    Experiment(workspace, "one")
    details = workspace.get_details()
    assert details["name"] == "test"
    assert details["experiment_count"] == 1
    assert details["store_uri"].startswith("sqlite:///")


def test_passwords_never_show(tmp_path: Path) -> None:
    ws = Workspace("x", "postgresql://user:s3cret@db.example/x", str(tmp_path))
    assert "s3cret" not in ws.store_uri and "s3cret" not in repr(ws)
    assert "***" in ws.store_uri


def test_a_workspace_where_a_file_stands_is_a_clear_error(tmp_path: Path) -> None:
    from runlab import RunlabError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(RunlabError, match=str(blocker)):
        Workspace.create("mine", path=blocker)
    assert blocker.read_text() == "x"


def test_a_missing_folder_is_not_searched_upwards(tmp_path: Path) -> None:
    Workspace.create("outer", path=tmp_path)
    with pytest.raises(NotFoundError, match="no such folder"):
        Workspace.from_config(tmp_path / "typo")


class _CountingCloses(FsspecArtifactStore):
    """A real artifact store that counts how often it is closed."""

    def __init__(self, uri: str) -> None:
        super().__init__(uri)
        self.closes = 0

    def close(self) -> None:
        self.closes += 1
        super().close()


def test_closing_a_workspace_closes_both_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(artifact_registry, "_factories", dict(artifact_registry._factories))
    opened: list[_CountingCloses] = []

    def open_counting(uri: str, **_options: object) -> _CountingCloses:
        opened.append(_CountingCloses("memory://" + uri.split("://", 1)[1]))
        return opened[-1]

    register_artifact_store("counting", open_counting)
    root = f"counting://{tmp_path.name}/artifacts"
    with Workspace("closing", f"sqlite:///{tmp_path / 'metadata.db'}", root) as workspace:
        workspace.store.create_experiment("kept")
        workspace.artifacts.put_bytes("a.txt", b"x")
        first_store = workspace.store
    assert [store.closes for store in opened] == [1]
    workspace.close()  # nothing left open: nothing closed twice
    assert [store.closes for store in opened] == [1]
    # Used again, the workspace opens its stores afresh.
    assert workspace.store is not first_store
    assert list(workspace.experiments) == ["kept"]
    assert workspace.artifacts.get_bytes("a.txt") == b"x"
