"""The model registry: versions under concurrency, lineage, downloads, bad input, metadata."""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import queue
from pathlib import Path
from typing import Any

import pytest

import runlab.models
from runlab import (
    AlreadyExistsError,
    BackendError,
    Experiment,
    Model,
    NotFoundError,
    Run,
    ValidationError,
    Workspace,
)

WORKERS = 10


def _files_below(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _stored_model_files(workspace: Workspace) -> list[str]:
    return workspace.artifacts.list_files("models")


# -- versions under concurrency --------------------------------------------------------------


def _register_at_once(config: str, index: int, barrier: Any, results: Any, scratch: str) -> None:
    """One of several processes registering the same name at the same moment."""
    model_file = Path(scratch, f"model_{index}.pkl")
    model_file.write_bytes(f"model of process {index}".encode())
    workspace = Workspace.from_config(config)
    workspace.store  # noqa: B018 - open (and migrate) before the race, not during it
    barrier.wait(timeout=120)
    try:
        results.put((index, Model.register(workspace, model_file, "shared").version))
    except Exception as error:  # reported to the test, which fails with it
        results.put((index, repr(error)))
    finally:
        workspace.close()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_processes_registering_one_name_at_once_get_versions_1_to_n(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    store_uri = None if backend == "sqlite" else request.getfixturevalue("postgres_url")
    workspace = Workspace.create("race", path=tmp_path / "ws", store_uri=store_uri)
    assert workspace.config_path is not None
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(WORKERS), context.Queue()
    processes = [
        context.Process(
            target=_register_at_once,
            args=(str(workspace.config_path), index, barrier, results, str(tmp_path)),
        )
        for index in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=180) for _ in processes)
    except queue.Empty:
        pytest.fail("a registering process never reported back")
    finally:
        for process in processes:
            process.join(timeout=60)
    assert sorted(outcomes.values()) == list(range(1, WORKERS + 1)), outcomes
    listed = Model.list(workspace, name="shared")
    assert [model.version for model in listed] == list(range(WORKERS, 0, -1))
    # Each version holds the files of the process that got its number.
    for index, version in outcomes.items():
        written = Model(workspace, "shared", version=version).download(tmp_path / f"v{version}")
        assert Path(written).read_bytes() == f"model of process {index}".encode()
    workspace.close()


# -- registering and lineage ---------------------------------------------------------------


def test_register_from_a_run_and_download_identical_bytes(
    workspace: Workspace, trained: Run, outputs: dict[str, bytes], tmp_path: Path
) -> None:
    model = trained.register_model(
        "sklearn_mnist", "outputs/sklearn_mnist_model.pkl", tags={"area": "vision"}
    )
    assert (model.name, model.id, model.version) == ("sklearn_mnist", "sklearn_mnist:1", 1)
    expected = outputs["outputs/sklearn_mnist_model.pkl"]
    assert model.content_hash == hashlib.sha256(expected).hexdigest()
    assert _stored_model_files(workspace) == ["models/sklearn_mnist/1/sklearn_mnist_model.pkl"]

    target = tmp_path / "new" / "folder"
    written = model.download(target_dir=target)
    assert written == str(target / "sklearn_mnist_model.pkl")
    assert _files_below(target) == {"sklearn_mnist_model.pkl": expected}

    # Lineage: back to the run and its experiment, also from a fresh lookup.
    found = Model(workspace, id="sklearn_mnist:1")
    assert found == model and found.tags == {"area": "vision"}
    assert found.run_id == trained.id and found.experiment_name == "tutorial"
    assert found.run is not None and found.run.id == trained.id
    assert found.run.experiment.name == "tutorial"
    assert found.run.get_metrics()["accuracy"] == 0.92
    assert found.created_time.tzinfo is not None


def test_register_a_folder_from_a_run(
    workspace: Workspace, trained: Run, outputs: dict[str, bytes], tmp_path: Path
) -> None:
    model = trained.register_model("net", "outputs/net", description="a small net")
    assert model.file_names == ["net/sub/config.json", "net/weights.bin"]
    written = Path(model.download(tmp_path / "out"))
    assert written == tmp_path / "out" / "net"
    assert _files_below(written) == {
        name.removeprefix("outputs/net/"): data
        for name, data in outputs.items()
        if name.startswith("outputs/net/")
    }
    assert model.description == "a small net" and model.run_id == trained.id


def test_model_path_defaults_to_the_model_name(workspace: Workspace) -> None:
    run = Experiment(workspace, "e").start_logging()
    run.upload_file("outputs/model.pkl", io.BytesIO(b"abc"))
    model = run.register_model("outputs")
    assert model.file_names == ["outputs/model.pkl"]
    run.complete()


def test_register_a_local_file_and_folder(workspace: Workspace, tmp_path: Path) -> None:
    model_file = tmp_path / "model.onnx"
    model_file.write_bytes(b"\x00onnx" * 1000)
    folder = tmp_path / "bundle"
    (folder / "deep" / "er").mkdir(parents=True)
    (folder / "a.txt").write_text("a")
    (folder / "deep" / "er" / "b.bin").write_bytes(b"\x01" * 10)

    first = Model.register(workspace, model_file, "onnx-model", properties={"framework": "onnx"})
    second = Model.register(workspace, str(folder), "onnx-model", tags={"n": 2})
    assert (first.version, second.version) == (1, 2)
    assert first.run is None and first.run_id is None and first.experiment_name is None
    assert first.content_hash == runlab.models.content_hash(model_file)
    assert second.content_hash == runlab.models.content_hash(folder)
    assert second.tags == {"n": "2"} and first.properties == {"framework": "onnx"}
    assert _stored_model_files(workspace) == [
        "models/onnx-model/1/model.onnx",
        "models/onnx-model/2/bundle/a.txt",
        "models/onnx-model/2/bundle/deep/er/b.bin",
    ]
    written = Model(workspace, "onnx-model").download(tmp_path / "got")
    assert _files_below(Path(written)) == _files_below(folder)


def test_the_folder_hash_is_what_sha256sum_prints(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    (folder / "s").mkdir(parents=True)
    (folder / "b.txt").write_bytes(b"b")
    (folder / "s" / "a.txt").write_bytes(b"a")
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted({"b.txt": b"b", "s/a.txt": b"a"}.items())
    )
    assert runlab.models.content_hash(folder) == hashlib.sha256(lines.encode()).hexdigest()
    renamed = tmp_path / "other"
    folder.rename(renamed)
    assert runlab.models.content_hash(renamed) == hashlib.sha256(lines.encode()).hexdigest()


def test_a_folder_with_a_link_leading_outside_is_refused(
    workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "weights.bin").write_bytes(b"\x02" * 10)
    folder = tmp_path / "bundle"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    (folder / "inside.txt").symlink_to(folder / "a.txt")
    inside = Model.register(workspace, folder, "linked")  # a link inside is its file
    assert inside.version == 1
    (folder / "weights.bin").symlink_to(tmp_path / "weights.bin")

    with pytest.raises(ValidationError, match=r"weights\.bin'.*outside"):
        Model.register(workspace, folder, "linked")
    assert _stored_model_files(workspace) == [
        "models/linked/1/bundle/a.txt",
        "models/linked/1/bundle/inside.txt",
    ]


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "-lead", ".hidden", "a/b", "a b", "a:b", "../x", "é", "x" * 256, 5, None]
)
def test_bad_names_are_refused(
    workspace: Workspace, trained: Run, tmp_path: Path, name: Any
) -> None:
    local = tmp_path / "m.pkl"
    local.write_bytes(b"m")
    with pytest.raises(ValidationError, match="model name"):
        Model.register(workspace, local, name)
    with pytest.raises(ValidationError, match="model name"):
        trained.register_model(name, "outputs/sklearn_mnist_model.pkl")
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []


def test_names_may_hold_dots_dashes_and_underscores(workspace: Workspace, trained: Run) -> None:
    model = trained.register_model("A.b-c_9", "outputs/sklearn_mnist_model.pkl")
    assert Model(workspace, "A.b-c_9").id == "A.b-c_9:1" == model.id
    assert trained.register_model("x" * 255, "outputs/net").version == 1


@pytest.mark.parametrize(
    "path", ["../x", "/etc/passwd", "outputs/../../secret", "..", "C:/x", "outputs\\x", "~/x"]
)
def test_paths_outside_the_run_are_refused(workspace: Workspace, trained: Run, path: str) -> None:
    with pytest.raises(ValidationError, match="unsafe artifact path"):
        trained.register_model("m", path)
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []


def test_a_path_not_among_the_run_files_names_them(workspace: Workspace, trained: Run) -> None:
    for path in ("outputs/missing.pkl", "outputs/ne", "outputs/sklearn_mnist_model.pkl/x"):
        with pytest.raises(NotFoundError) as raised:
            trained.register_model("m", path)
        message = str(raised.value)
        assert path in message and trained.id in message
        assert "outputs/sklearn_mnist_model.pkl" in message and "outputs/net/weights.bin" in message
    empty = Experiment(workspace, "e").start_logging()
    with pytest.raises(NotFoundError, match="no files"):
        empty.register_model("m", "outputs/model.pkl")
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []


def test_bad_local_paths(workspace: Workspace, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        Model.register(workspace, tmp_path / "missing.pkl", "m")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationError, match="empty"):
        Model.register(workspace, tmp_path / "empty", "m")
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []


def test_unknown_models_and_versions(workspace: Workspace, trained: Run) -> None:
    trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    with pytest.raises(NotFoundError, match="'ghost'"):
        Model(workspace, "ghost")
    with pytest.raises(NotFoundError, match="version 2"):
        Model(workspace, "m", version=2)
    with pytest.raises(NotFoundError, match="version 9"):
        Model(workspace, id="m:9")
    with pytest.raises(NotFoundError):
        Model.get_model_path("m", 3, _workspace=workspace)
    for bad_id in ("m", "m:", "m:0", "m:x", ":1", "m:-1"):
        with pytest.raises(ValidationError, match="model id"):
            Model(workspace, id=bad_id)
    with pytest.raises(ValidationError, match="disagrees"):
        Model(workspace, "other", id="m:1")
    with pytest.raises(ValidationError, match="which model"):
        Model(workspace)


def test_download_never_overwrites_without_exist_ok(
    workspace: Workspace, trained: Run, outputs: dict[str, bytes], tmp_path: Path
) -> None:
    model = trained.register_model("net", "outputs/net")
    target = tmp_path / "target"
    (target / "net").mkdir(parents=True)
    mine = target / "net" / "weights.bin"
    mine.write_bytes(b"my own weights")
    before = _files_below(target)
    with pytest.raises(AlreadyExistsError, match="exist_ok") as raised:
        model.download(target)
    assert str(mine) in str(raised.value)
    # Nothing changed: the file kept its bytes, and no other file (nor a stray temp) appeared.
    assert _files_below(target) == before
    assert sorted(p.name for p in target.iterdir()) == ["net"]

    written = Path(model.download(target, exist_ok=True))
    assert mine.read_bytes() == outputs["outputs/net/weights.bin"]
    assert (written / "sub" / "config.json").read_bytes() == outputs["outputs/net/sub/config.json"]


def test_download_refuses_files_and_folders_in_the_way(
    workspace: Workspace, trained: Run, tmp_path: Path
) -> None:
    folder_model = trained.register_model("net", "outputs/net")
    file_model = trained.register_model("pkl", "outputs/sklearn_mnist_model.pkl")
    target = tmp_path / "target"
    target.mkdir()
    (target / "net").write_bytes(b"a file where the model's folder goes")
    (target / "sklearn_mnist_model.pkl").mkdir()
    for model, what in ((folder_model, "where a folder goes"), (file_model, "where a file goes")):
        with pytest.raises(AlreadyExistsError, match=what):
            model.download(target, exist_ok=True)
    assert (target / "net").read_bytes() == b"a file where the model's folder goes"
    assert sorted(p.name for p in target.iterdir()) == ["net", "sklearn_mnist_model.pkl"]


def test_download_checks_the_content_hash(
    workspace: Workspace, trained: Run, tmp_path: Path
) -> None:
    model = trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    workspace.artifacts.put_bytes("models/m/1/sklearn_mnist_model.pkl", b"tampered")
    with pytest.raises(BackendError, match="do not match"):
        model.download(tmp_path / "new")
    assert not (tmp_path / "new").exists()


# -- tags, properties, description, deletion, lists ----------------------------------------


def test_tags_properties_and_description(workspace: Workspace, trained: Run) -> None:
    model = trained.register_model("m", "outputs/sklearn_mnist_model.pkl", tags={"a": "1"})
    model.add_tags({"b": "2", "a": "3"})
    model.remove_tags(["b"])
    with pytest.raises(NotFoundError, match="'b'"):
        model.remove_tags(["b"])
    model.add_properties({"accuracy": 0.92})
    model.add_properties({"accuracy": 0.92})
    with pytest.raises(AlreadyExistsError, match="accuracy"):
        model.add_properties({"accuracy": "0.5", "other": "x"})
    model.update(description="the tutorial's model")
    fresh = Model(workspace, "m")
    assert fresh.tags == {"a": "3"} == model.tags
    assert fresh.properties == {"accuracy": "0.92"}
    assert fresh.description == "the tutorial's model"
    with pytest.raises(ValidationError):
        model.add_tags(["not", "a", "dict"])  # type: ignore[arg-type]


def test_delete_removes_the_version_and_its_files_for_good(
    workspace: Workspace, trained: Run
) -> None:
    for _ in range(2):
        trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    Model(workspace, "m", version=2).delete()
    assert _stored_model_files(workspace) == ["models/m/1/sklearn_mnist_model.pkl"]
    assert Model(workspace, "m").version == 1
    with pytest.raises(NotFoundError):
        Model(workspace, "m", version=2)
    first = Model(workspace, "m", version=1)
    first.delete()
    with pytest.raises(NotFoundError):
        first.delete()
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []
    # A deleted number is never given out again, so m:2 can never mean other files.
    assert trained.register_model("m", "outputs/sklearn_mnist_model.pkl").version == 3


def test_list_filters_and_latest(workspace: Workspace, trained: Run, tmp_path: Path) -> None:
    local = tmp_path / "m.pkl"
    local.write_bytes(b"m")
    trained.register_model("a", "outputs/net", tags={"stage": "dev"})
    Model.register(workspace, local, "a", tags={"stage": "prod"}, properties={"kind": "sk"})
    Model.register(workspace, local, "b", tags={"stage": "prod"})

    def ids(**filters: Any) -> list[str]:
        return [model.id for model in Model.list(workspace, **filters)]

    assert ids() == ["a:2", "a:1", "b:1"]
    assert ids(name="a") == ["a:2", "a:1"]
    assert ids(latest=True) == ["a:2", "b:1"]
    assert ids(tags={"stage": "dev"}) == ["a:1"]
    assert ids(tags=[["stage", "prod"]]) == ["a:2", "b:1"]
    assert ids(tags=["stage"], name="b") == ["b:1"]
    assert ids(properties=["kind"]) == ["a:2"]
    assert ids(run_id=trained.id) == ["a:1"]
    assert ids(name="a", tags={"stage": "dev"}, latest=True) == ["a:1"]
    assert Model(workspace, tags={"stage": "prod"}).id == "b:1"
    assert Model(workspace, run_id=trained.id).id == "a:1"
    with pytest.raises(ValidationError, match="tag filter"):
        Model.list(workspace, tags=[["a", "b", "c"]])


def test_a_failed_registration_leaves_nothing_visible(
    workspace: Workspace, trained: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    artifacts = workspace.artifacts
    real_put_file = artifacts.put_file
    calls: list[str] = []

    def put_file_then_fail(local_path: Any, path: str) -> None:
        # A disk that fills up after the first file: hard to make for real in a test.
        calls.append(path)
        if len(calls) > 1:
            raise BackendError("disk full")
        real_put_file(local_path, path)

    monkeypatch.setattr(artifacts, "put_file", put_file_then_fail)
    with pytest.raises(BackendError, match="disk full"):
        trained.register_model("net", "outputs/net")
    monkeypatch.undo()
    assert len(calls) == 2
    assert Model.list(workspace) == [] and _stored_model_files(workspace) == []
    assert trained.register_model("net", "outputs/net").version == 2


# -- get_model_path --------------------------------------------------------------------------


def test_get_model_path_in_a_local_workspace(
    workspace: Workspace, trained: Run, outputs: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    trained.register_model("m", "outputs/net")
    path = Path(Model.get_model_path("m", 1, _workspace=workspace))
    assert path.read_bytes() == outputs["outputs/sklearn_mnist_model.pkl"]
    assert path.is_relative_to(workspace.artifact_uri)
    # Outside a job, the workspace is found from the current folder.
    assert workspace.config_path is not None
    monkeypatch.chdir(workspace.config_path.parent.parent)
    latest = Path(Model.get_model_path("m"))
    assert latest.name == "net" and (latest / "weights.bin").is_file()


def test_get_model_path_inside_a_job_uses_its_workspace(
    workspace: Workspace, trained: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    job_run = Experiment(workspace, "scoring").start_logging()
    monkeypatch.setenv("RUNLAB_RUN_ID", job_run.id)
    monkeypatch.setenv("RUNLAB_WORKSPACE", json.dumps(workspace.to_dict()))
    monkeypatch.chdir(tmp_path)  # no workspace config here: only the job's context can help
    assert Path(Model.get_model_path("m")).name == "sklearn_mnist_model.pkl"
    job_run.complete()


def test_get_model_path_downloads_once_from_a_remote_store(
    tmp_path: Path, outputs: dict[str, bytes]
) -> None:
    workspace = Workspace.create(
        "remote",
        path=tmp_path / "ws",
        artifact_uri=f"memory://runlab-test/{os.getpid()}/{id(tmp_path)}",
    )
    local = tmp_path / "model.pkl"
    local.write_bytes(outputs["outputs/sklearn_mnist_model.pkl"])
    Model.register(workspace, local, "m")
    path = Path(Model.get_model_path("m", _workspace=workspace))
    assert path.read_bytes() == local.read_bytes()
    assert workspace.config_path is not None
    assert path.is_relative_to(workspace.config_path.parent / "cache" / "models" / "m" / "1")
    # The second call uses the cached copy: it works even with the stored files gone.
    workspace.artifacts.delete("models/m/1")
    assert Path(Model.get_model_path("m", 1, _workspace=workspace)) == path
    workspace.close()
