"""A run bare and a run in a job behave the same: ``Run`` and ``OfflineRun`` against ``RunLike``.

The first half compares the classes' public members with the protocol (mypy checks the types:
``runlab/tracking/run_like.py``). The second half makes the same calls on a stored run (a real
SQLite workspace) and on an offline run, and expects the same answers from both.
"""

from __future__ import annotations

import inspect
import io
import math
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runlab import (
    AlreadyExistsError,
    Experiment,
    InvalidStateError,
    NotFoundError,
    OfflineRun,
    Run,
    ValidationError,
)
from runlab.tracking import RunLike

# What Run has only because a workspace keeps it; a script run bare has none of it.
WORKSPACE_ONLY = {
    "experiment": "the experiment (and through it the workspace) the run is stored in",
    "number": "the run's position among its experiment's runs",
    "register_model": "registers into the workspace's model registry",
    "start": "moves a created, not yet started run to Running: a submitter's step",
    "wait_for_completion": "watches a submitted job from outside it",
    "get_snapshot_id": "the source snapshot of a submitted job",
    "restore_snapshot": "unpacks the snapshot of a submitted job",
    "get": "finds a stored run by id (a class method)",
    "get_context": "returns the run itself (a class method)",
    "get_portal_url": "the run's page in the web UI of the server serving its workspace",
    "get_lineage": "what a submitted job was traced to (snapshot, lock, datasets, models)",
    "get_environment_lock": "the packages a submitted job's script ran with",
    "diff": "compares two stored runs' lineage and metrics",
    "rerun": "submits a stored job again",
}

PROTOCOL_MEMBERS = sorted(
    name for name in vars(RunLike) if not name.startswith("_") or name in {"__enter__", "__exit__"}
)


def _public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def _parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any, Any]]:
    """Each parameter's name, kind, default and annotation (as written: these modules use
    ``from __future__ import annotations``, so annotations compare as text)."""
    return [
        (parameter.name, parameter.kind, parameter.default, parameter.annotation)
        for parameter in inspect.signature(function).parameters.values()
    ]


def test_the_protocol_declares_what_a_script_calls() -> None:
    assert {"log", "upload_folder", "child_run", "get_parameters", "remove_tags"} <= set(
        PROTOCOL_MEMBERS
    )
    assert "display_name" in PROTOCOL_MEMBERS and "__exit__" in PROTOCOL_MEMBERS


def test_every_public_name_of_run_is_in_the_protocol_or_workspace_only() -> None:
    run_names = _public(Run)
    unaccounted = run_names - set(PROTOCOL_MEMBERS) - set(WORKSPACE_ONLY)
    assert not unaccounted, (
        f"add these to RunLike (and OfflineRun) or to WORKSPACE_ONLY: {unaccounted}"
    )
    assert set(WORKSPACE_ONLY) <= run_names, "WORKSPACE_ONLY names something Run no longer has"
    assert not set(WORKSPACE_ONLY) & set(PROTOCOL_MEMBERS)


def test_offline_run_has_the_protocol_and_nothing_more() -> None:
    assert _public(OfflineRun) == {name for name in PROTOCOL_MEMBERS if not name.startswith("_")}


@pytest.mark.parametrize("cls", [Run, OfflineRun], ids=["Run", "OfflineRun"])
@pytest.mark.parametrize("name", PROTOCOL_MEMBERS)
def test_each_member_has_the_protocols_shape(cls: type, name: str) -> None:
    declared = inspect.getattr_static(RunLike, name)
    member = inspect.getattr_static(cls, name)
    if isinstance(declared, property):
        assert isinstance(member, property), f"{cls.__name__}.{name} must be a property"
        assert (member.fset is None) == (declared.fset is None), f"{cls.__name__}.{name} setter"
        return
    assert callable(member), f"{cls.__name__}.{name} must be a method"
    assert not isinstance(member, classmethod | staticmethod)
    assert _parameters(member) == _parameters(declared), f"{cls.__name__}.{name}"
    assert member.__doc__ or name.startswith("__"), f"{cls.__name__}.{name} has no docstring"


# -- the same calls, the same answers --------------------------------------------------------


@pytest.fixture(params=["stored", "offline"])
def new_run(
    request: pytest.FixtureRequest, experiment: Experiment, tmp_path: Path
) -> Callable[[], RunLike]:
    """Makes runs of one kind: stored in a SQLite workspace, or offline (files in a folder)."""
    if request.param == "stored":
        return experiment.start_logging
    return lambda: OfflineRun(folder=tmp_path / "offline")


@pytest.fixture
def run(new_run: Callable[[], RunLike]) -> Iterator[RunLike]:
    run = new_run()
    yield run
    if run.get_status() == "Running":
        run.complete()


def _error(call: Callable[[], object]) -> str | None:
    """The class name of the runlab error ``call`` raises, or None."""
    try:
        result = call()
        if isinstance(result, Iterator):
            list(result)
    except (ValidationError, NotFoundError, AlreadyExistsError, InvalidStateError) as error:
        return type(error).__name__
    return None


def test_metrics_come_back_the_same(run: RunLike, tmp_path: Path) -> None:
    import numpy as np

    image = tmp_path / "curve.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    run.log("accuracy", 0.5)
    run.log("accuracy", 0.75, description="on the test set")
    run.log("loss", 1, step=3)
    run.log("loss", 2, step=1)  # histories come back in step order
    run.log("flag", True)
    run.log("infinite", math.inf)
    run.log("numpy", np.float32(0.25))
    run.log("count", np.int64(3))
    run.log("text", "hello")
    run.log_list("list", (1, 2.5, "a"))
    run.log_row("rows", epoch=1, value=0.3)
    run.log_row("rows", epoch=2, value=0.2)
    run.log_table("table", {"a": [1, 2], "b": ["x", "y"]})
    run.log_image("curve", path=image)
    run.log_image("curve", path=image)
    run.flush()
    metrics = run.get_metrics()
    assert metrics == {
        "accuracy": [0.5, 0.75],
        "loss": [2, 1],
        "flag": True,
        "infinite": math.inf,
        "numpy": 0.25,
        "count": 3,
        "text": "hello",
        "list": [1, 2.5, "a"],
        "rows": {"epoch": [1, 2], "value": [0.3, 0.2]},
        "table": {"a": [1, 2], "b": ["x", "y"]},
        "curve": ["images/curve_0.png", "images/curve_1.png"],
    }
    assert type(metrics["count"]) is int and type(metrics["flag"]) is bool
    assert run.get_metrics("loss") == {"loss": [2, 1]}
    assert run.get_file_names() == ["images/curve_0.png", "images/curve_1.png"]


def test_bad_input_is_refused_the_same(run: RunLike, tmp_path: Path) -> None:
    present = tmp_path / "present.txt"
    present.write_text("here")
    run.add_properties({"fixed": "1"})
    calls: dict[str, Callable[[], object]] = {
        "log an object": lambda: run.log("m", object()),
        "log None": lambda: run.log("m", None),
        "empty name": lambda: run.log("", 1),
        "long name": lambda: run.log("x" * 256, 1),
        "negative step": lambda: run.log("m", 1, step=-1),
        "float step": lambda: run.log("m", 1, step=1.5),  # type: ignore[arg-type]
        "list of a string": lambda: run.log_list("l", "not a list"),
        "row of nothing": lambda: run.log_row("r"),
        "ragged table": lambda: run.log_table("t", {"a": [1], "b": [1, 2]}),
        "image of nothing": lambda: run.log_image("i"),
        "image of both": lambda: run.log_image("i", path=present, plot=object()),
        "plot without savefig": lambda: run.log_image("i", plot="not a figure"),
        "missing image": lambda: run.log_image("i", path=tmp_path / "missing.png"),
        "tags not a dict": lambda: run.set_tags(["a"]),  # type: ignore[arg-type]
        "empty tag name": lambda: run.set_tags({"": "v"}),
        "remove a missing tag": lambda: run.remove_tags(["missing"]),
        "change a property": lambda: run.add_properties({"fixed": "2"}),
        "re-add a property": lambda: run.add_properties({"fixed": "1"}),
        "upload outside": lambda: run.upload_file("../escape.txt", present),
        "upload absolute": lambda: run.upload_file("/etc/passwd", present),
        "upload a missing file": lambda: run.upload_file("a.txt", tmp_path / "missing"),
        "upload a text stream": lambda: run.upload_file("a.txt", io.StringIO("text")),  # type: ignore[arg-type]
        "names and paths differ": lambda: run.upload_files(["a", "b"], [present]),
        "upload a missing folder": lambda: run.upload_folder("f", tmp_path / "missing"),
        "download a missing file": lambda: run.download_file("missing.txt", tmp_path),
        "download a missing prefix": lambda: run.download_files("missing", tmp_path / "d"),
        "empty display name": lambda: setattr(run, "display_name", " "),
        "children of a bad status": lambda: run.get_children(status="Sleeping"),
    }
    errors = {label: _error(call) for label, call in calls.items()}
    assert errors == {
        "log an object": "ValidationError",
        "log None": "ValidationError",
        "empty name": "ValidationError",
        "long name": "ValidationError",
        "negative step": "ValidationError",
        "float step": "ValidationError",
        "list of a string": "ValidationError",
        "row of nothing": "ValidationError",
        "ragged table": "ValidationError",
        "image of nothing": "ValidationError",
        "image of both": "ValidationError",
        "plot without savefig": "ValidationError",
        "missing image": "NotFoundError",
        "tags not a dict": "ValidationError",
        "empty tag name": "ValidationError",
        "remove a missing tag": "NotFoundError",
        "change a property": "AlreadyExistsError",
        "re-add a property": None,
        "upload outside": "ValidationError",
        "upload absolute": "ValidationError",
        "upload a missing file": "NotFoundError",
        "upload a text stream": "ValidationError",
        "names and paths differ": "ValidationError",
        "upload a missing folder": "NotFoundError",
        "download a missing file": "NotFoundError",
        "download a missing prefix": "NotFoundError",
        "empty display name": "ValidationError",
        "children of a bad status": "ValidationError",
    }
    # Nothing refused was kept, and no refused call took a step.
    assert run.get_metrics() == {} and run.get_file_names() == []
    assert run.get_properties() == {"fixed": "1"} and run.get_tags() == {}
    run.log("m", 1)
    run.log("i", 2)
    assert run.get_metrics() == {"m": 1, "i": 2}


def test_tags_properties_and_parameters_are_encoded_the_same(run: RunLike) -> None:
    run.tag("plain")
    run.tag("k", "v")
    run.set_tags({"flag": True, "n": 3, "ratio": 0.5, "nested": {"a": [1, None]}, "s": "True"})
    run.remove_tags(["k"])
    run.add_properties({"p": 1, "yes": True, "param.lr": "0.1", "param.epochs": 10})
    run.add_properties({"p": 1})  # the same value again: nothing changes
    with pytest.raises(AlreadyExistsError, match="already has property 'p'"):
        run.add_properties({"p": 2, "other": "x"})
    expected_tags = {
        "plain": "",
        "flag": "true",
        "n": "3",
        "ratio": "0.5",
        "nested": '{"a": [1, null]}',
        "s": "True",
    }
    assert run.get_tags() == run.tags == expected_tags
    expected_properties = {"p": "1", "yes": "true", "param.lr": "0.1", "param.epochs": "10"}
    assert run.get_properties() == run.properties == expected_properties
    assert run.get_parameters() == {"lr": "0.1", "epochs": "10"}


def test_files_are_kept_and_given_back_the_same(run: RunLike, tmp_path: Path) -> None:
    source = tmp_path / "source"
    (source / "deep").mkdir(parents=True)
    (source / "top.txt").write_text("top")
    (source / "deep" / "low.txt").write_text("low")
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("1")
    two.write_text("2")
    assert run.upload_file("outputs/model.pkl", one) == "outputs/model.pkl"
    assert run.upload_file("outputs/./stream.bin", io.BytesIO(b"\x00\x01")) == "outputs/stream.bin"
    assert run.upload_files(["pair/1.txt", "pair/2.txt"], [one, two]) == [
        "pair/1.txt",
        "pair/2.txt",
    ]
    assert sorted(run.upload_folder("folder", source)) == ["folder/deep/low.txt", "folder/top.txt"]
    assert run.get_file_names() == [
        "folder/deep/low.txt",
        "folder/top.txt",
        "outputs/model.pkl",
        "outputs/stream.bin",
        "pair/1.txt",
        "pair/2.txt",
    ]
    written = run.download_file("outputs/stream.bin", tmp_path / "down")
    assert written == tmp_path / "down" and written.read_bytes() == b"\x00\x01"
    (tmp_path / "into").mkdir()
    assert run.download_file("pair/2.txt", tmp_path / "into").read_text() == "2"
    out = tmp_path / "all"
    paths = run.download_files("folder", out, append_prefix=False)
    assert sorted(path.relative_to(out).as_posix() for path in paths) == ["deep/low.txt", "top.txt"]
    assert (out / "deep" / "low.txt").read_text() == "low"
    details = run.get_details()
    assert details["logFiles"] == {}


def test_identity_details_and_ending_are_the_same(run: RunLike) -> None:
    assert run.display_name == run.id and run.parent is None
    assert run.status == run.get_status() == "Running"
    run.display_name = "renamed"
    run.tag("t", "1")
    details = run.get_details()
    assert details["runId"] == run.id and details["displayName"] == "renamed"
    assert details["status"] == "Running" and details["parentRunId"] is None
    assert details["tags"] == {"t": "1"} and details["properties"] == {}
    assert details["startTimeUtc"].endswith("Z") and details["endTimeUtc"] is None
    assert "error" not in details
    run.fail(ValueError("bad data"), error_code="E42")
    details = run.get_details()
    assert details["status"] == "Failed" and details["endTimeUtc"] >= details["startTimeUtc"]
    assert details["error"] == {"error": {"message": "ValueError: bad data", "code": "E42"}}
    for end in (run.complete, run.fail, run.cancel):
        with pytest.raises(InvalidStateError, match="already ended"):
            end()
    assert run.get_status() == "Failed"


def test_the_context_manager_ends_the_same(new_run: Callable[[], RunLike]) -> None:
    with new_run() as ok:
        ok.log("x", 1)
    assert ok.get_status() == "Completed"
    with pytest.raises(RuntimeError), new_run() as broken:
        raise RuntimeError("boom")
    assert broken.get_status() == "Failed"
    assert broken.get_details()["error"]["error"]["message"] == "RuntimeError: boom"
    with new_run() as canceled:
        canceled.cancel()
    assert canceled.get_status() == "Canceled"


def test_child_runs_are_the_same(run: RunLike) -> None:
    first = run.child_run("first")
    second = run.child_run(name="second")
    grandchild = first.child_run("grandchild")
    first.tag("fold", "1")
    grandchild.tag("fold", "1")
    second.tag("fold", "2")
    first.log("m", 1)
    grandchild.log("m", 2)
    second.complete()
    assert first.parent is not None and first.parent.id == run.id
    assert grandchild.parent is not None and grandchild.parent.id == first.id
    assert grandchild.get_details()["parentRunId"] == first.id

    def names(runs: Iterator[RunLike]) -> list[str]:
        return [child.display_name for child in runs]

    assert names(run.get_children()) == ["first", "second"]
    assert names(run.get_children(recursive=True)) == ["first", "grandchild", "second"]
    assert names(run.get_children(tags="fold")) == ["first", "second"]
    assert names(run.get_children(recursive=True, tags={"fold": "1"})) == ["first", "grandchild"]
    assert names(run.get_children(recursive=True, tags={"fold": None})) == [
        "first",
        "grandchild",
        "second",
    ]
    assert names(run.get_children(status="completed")) == ["second"]
    assert names(run.get_children(recursive=True, status="Running")) == ["first", "grandchild"]
    every = run.get_metrics(recursive=True)
    assert every == {run.id: {}, first.id: {"m": 1}, grandchild.id: {"m": 2}, second.id: {}}
    with pytest.raises(AlreadyExistsError):
        run.child_run("again", run_id=first.id)
    grandchild.complete()
    first.complete()


# -- what only an offline run does ------------------------------------------------------------


def test_an_offline_run_prints_what_it_logs(capsys: pytest.CaptureFixture[str]) -> None:
    run = OfflineRun()
    run.log("accuracy", 0.9)
    run.log_list("list", [1, 2])
    run.log_row("rows", epoch=1)
    run.log_table("table", {"a": [1], "b": [2]})
    run.upload_file("outputs/x.bin", io.BytesIO(b"x"))
    out = capsys.readouterr().out
    assert "[offline run] accuracy = 0.9\n" in out
    assert "[offline run] list = [1, 2]\n" in out
    assert "[offline run] rows row {'epoch': 1}\n" in out
    assert "[offline run] table table with columns a, b\n" in out
    assert "[offline run] uploaded outputs/x.bin\n" in out
    assert run.id.startswith("OfflineRun_") and run.type == "offline"


def test_an_offline_runs_files_leave_with_its_process(tmp_path: Path) -> None:
    script = (
        "import io, runlab.tracking.offline as offline\n"
        "run = offline.OfflineRun()\n"
        "run.upload_file('outputs/model.pkl', io.BytesIO(b'weights'))\n"
        "print(offline._process_folder)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.name.startswith("runlab-offline-")
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []  # nothing written to the current folder either
