"""Runs: states, metrics in the SDK's shape, tags, properties, files, children."""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import pytest

from runlab import (
    AlreadyExistsError,
    Experiment,
    InvalidStateError,
    NotFoundError,
    OfflineRun,
    Run,
    ValidationError,
    Workspace,
)
from runlab.tracking.run import ENV_RUN_ID, ENV_WORKSPACE


def test_lifecycle(experiment: Experiment) -> None:
    run = experiment.start_logging(display_name="first")
    assert run.get_status() == "Running"
    assert run.display_name == "first" and run.number == 1
    run.complete()
    assert run.get_status() == "Completed"
    with pytest.raises(InvalidStateError, match="already ended"):
        run.complete()
    with pytest.raises(InvalidStateError):
        run.fail("late")
    details = run.get_details()
    assert details["status"] == "Completed"
    assert details["startTimeUtc"] <= details["endTimeUtc"]


def test_context_manager_ends_the_run(experiment: Experiment) -> None:
    with experiment.start_logging() as ok:
        ok.log("x", 1)
    assert ok.get_status() == "Completed"
    with pytest.raises(RuntimeError), experiment.start_logging() as broken:
        raise RuntimeError("boom")
    assert broken.get_status() == "Failed"
    assert "boom" in broken.get_details()["error"]["error"]["message"]
    with experiment.start_logging() as canceled:
        canceled.cancel()
    assert canceled.get_status() == "Canceled"


def test_metrics_come_back_as_logged(experiment: Experiment) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    with experiment.start_logging() as run:
        run.log("once", 0.92)
        for value in (math.nan, math.inf, -math.inf, 1.5):
            run.log("special", value)
        run.log("text", "hello")
        run.log("numpy", np.float32(0.5))
        run.log("count", np.int64(7))
        run.log_list("list", [1, 2.5, math.nan])
        run.log_list("array", np.arange(3))
        run.log_row("rows", epoch=1, loss=0.5)
        run.log_row("rows", epoch=2, loss=0.25)
        run.log_table("table", {"x": [1, 2], "y": ["a", "b"]})
        figure = plt.figure()
        plt.plot([1, 2, 3])
        run.log_image("curve", plot=figure)
        plt.close(figure)
        png = Path(
            run.download_file(
                run.get_metrics("curve")["curve"], experiment.workspace.config_path.parent
            )
        )  # type: ignore[union-attr]
        run.log_image("from_file", path=png)
    metrics = run.get_metrics()
    assert metrics["once"] == 0.92
    special = metrics["special"]
    assert math.isnan(special[0]) and special[1:] == [math.inf, -math.inf, 1.5]
    assert metrics["text"] == "hello"
    assert metrics["numpy"] == 0.5 and metrics["count"] == 7 and type(metrics["count"]) is int
    assert metrics["list"][:2] == [1, 2.5] and math.isnan(metrics["list"][2])
    assert metrics["array"] == [0, 1, 2]
    assert metrics["rows"] == {"epoch": [1, 2], "loss": [0.5, 0.25]}
    assert metrics["table"] == {"x": [1, 2], "y": ["a", "b"]}
    assert metrics["curve"] in run.get_file_names()
    image = experiment.workspace.artifacts.get_bytes(f"runs/{run.id}/{metrics['curve']}")
    assert image.startswith(b"\x89PNG")
    assert run.get_metrics("once") == {"once": 0.92}


def test_explicit_steps_and_resumed_counting(experiment: Experiment) -> None:
    run = experiment.start_logging()
    run.log("m", 1.0, step=10)
    run.log("m", 2.0)
    run.flush()
    reopened = Run(experiment, run.id)
    reopened.log("m", 3.0)
    reopened.flush()
    history = experiment.workspace.store.get_metric_histories(run.id, "m")["m"]
    assert history.steps == [10, 11, 12]
    with pytest.raises(ValidationError, match="step"):
        run.log("m", 1.0, step=-1)
    run.complete()


@pytest.mark.parametrize("value", [object(), [1, 2], {"a": 1}, None, b"bytes"])
def test_log_refuses_what_it_cannot_keep(experiment: Experiment, value: object) -> None:
    run = experiment.start_logging()
    with pytest.raises(ValidationError, match="cannot log"):
        run.log("m", value)
    run.complete()
    assert run.get_metrics() == {}


def test_bad_metric_calls(experiment: Experiment) -> None:
    run = experiment.start_logging()
    for call in (
        lambda: run.log("", 1),
        lambda: run.log("x" * 256, 1),
        lambda: run.log_list("l", "not a list"),
        lambda: run.log_row("r"),
        lambda: run.log_table("t", {"a": [1], "b": [1, 2]}),
        lambda: run.log_image("i"),
        lambda: run.log_image("i", plot="not a figure"),
    ):
        with pytest.raises(ValidationError):
            call()
    with pytest.raises(NotFoundError):
        run.log_image("i", path="/no/such/file.png")
    run.complete()


def test_tags_and_properties(experiment: Experiment) -> None:
    run = experiment.start_logging()
    run.tag("quick")
    run.set_tags({"lr": 0.1, "model": "lr"})
    assert run.get_tags() == {"quick": "", "lr": "0.1", "model": "lr"}
    run.remove_tags(["quick"])
    assert "quick" not in run.tags
    run.add_properties({"dataset": "mnist"})
    with pytest.raises(AlreadyExistsError, match="dataset"):
        run.add_properties({"dataset": "digits"})
    assert run.get_properties() == {"dataset": "mnist"}
    run.complete()


def test_files_round_trip(experiment: Experiment, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "deep").mkdir(parents=True)
    (source / "a.txt").write_bytes(b"a")
    (source / "deep" / "b.bin").write_bytes(os.urandom(1000))
    run = experiment.start_logging()
    run.upload_folder("outputs", source)
    run.upload_file("logs/extra.log", io.BytesIO(b"log"))
    run.upload_files(["x/one.txt"], [source / "a.txt"])
    assert run.get_file_names() == [
        "logs/extra.log",
        "outputs/a.txt",
        "outputs/deep/b.bin",
        "x/one.txt",
    ]
    out = tmp_path / "out"
    written = run.download_files(prefix="outputs", output_directory=out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == [
        "outputs/a.txt",
        "outputs/deep/b.bin",
    ]
    assert (out / "outputs" / "deep" / "b.bin").read_bytes() == (
        source / "deep" / "b.bin"
    ).read_bytes()
    flat = run.download_files(
        prefix="outputs", output_directory=tmp_path / "flat", append_prefix=False
    )
    assert {p.name for p in flat} == {"a.txt", "b.bin"}
    target = run.download_file("logs/extra.log", tmp_path)
    assert target.read_bytes() == b"log"
    assert run.get_details()["logFiles"] == {"logs/extra.log": "logs/extra.log"}
    with pytest.raises(NotFoundError, match="nope"):
        run.download_file("nope", tmp_path)
    run.complete()


BAD_PATHS = ["../x", "/etc/passwd", "a/../../b", "C:\\x", "a\\..\\..\\b", "a\x00b"]


@pytest.mark.parametrize("bad", BAD_PATHS)
def test_unsafe_file_names_are_refused(experiment: Experiment, tmp_path: Path, bad: str) -> None:
    before = sorted(p for p in tmp_path.rglob("*"))
    run = experiment.start_logging()
    source = tmp_path / "f.txt"
    source.write_text("x")
    with pytest.raises(ValidationError):
        run.upload_file(bad, source)
    with pytest.raises(ValidationError):
        run.download_file(bad, tmp_path / "dl")
    with pytest.raises(ValidationError):
        run.download_files(prefix=bad, output_directory=tmp_path / "dl")
    run.complete()
    after = {p for p in tmp_path.rglob("*")} - {source}
    new = sorted(p for p in after if p not in before)
    # Only the workspace's own files changed; nothing appeared anywhere else.
    workspace_root = experiment.workspace.config_path.parent.parent  # type: ignore[union-attr]
    assert all(workspace_root in p.parents for p in new), new
    assert not Path("/x").exists()


def test_download_never_follows_a_link_out_of_the_target(
    experiment: Experiment, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "outputs").symlink_to(outside)
    run = experiment.start_logging()
    run.upload_file("outputs/evil.txt", io.BytesIO(b"evil"))
    with pytest.raises(ValidationError, match="outside"):
        run.download_files(output_directory=target)
    assert list(outside.iterdir()) == []
    run.complete()


def test_unknown_runs(experiment: Experiment, workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        Run(experiment, "ghost")
    with pytest.raises(NotFoundError, match="ghost"):
        Run.get(workspace, "ghost")
    run = experiment.start_logging()
    with pytest.raises(NotFoundError, match="other"):
        Run(Experiment(workspace, "other"), run.id)
    run.complete()


def test_child_runs(experiment: Experiment) -> None:
    parent = experiment.start_logging()
    children = [parent.child_run(name=f"c{i}") for i in range(3)]
    grandchild = children[0].child_run()
    for i, child in enumerate(children):
        child.log("i", i)
    grandchild.log("g", 1)
    for run in (grandchild, *children):
        run.complete()
    assert [c.display_name for c in parent.get_children()] == ["c0", "c1", "c2"]
    assert len(list(parent.get_children(recursive=True))) == 4
    assert children[0].parent == parent and parent.parent is None
    every = parent.get_metrics(recursive=True)
    assert every[children[2].id] == {"i": 2} and every[grandchild.id] == {"g": 1}
    parent.complete()


def test_run_ids_are_readable(experiment: Experiment) -> None:
    run = experiment.start_logging()
    name, seconds, suffix = run.id.rsplit("_", 2)
    assert name == "exp" and seconds.isdigit() and len(suffix) == 8
    run.complete()


def test_get_context_inside_and_outside_a_job(
    experiment: Experiment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(ENV_RUN_ID, raising=False)
    offline = Run.get_context()
    assert isinstance(offline, OfflineRun)
    offline.log("accuracy", 0.9)
    assert "accuracy = 0.9" in capsys.readouterr().out
    assert offline.get_metrics() == {"accuracy": 0.9}
    with pytest.raises(InvalidStateError, match=ENV_RUN_ID):
        Run.get_context(allow_offline=False)

    job_run = experiment.start_logging()
    monkeypatch.setenv(ENV_RUN_ID, job_run.id)
    monkeypatch.setenv(ENV_WORKSPACE, __import__("json").dumps(experiment.workspace.to_dict()))
    context = Run.get_context()
    assert isinstance(context, Run) and context.id == job_run.id
    context.log("from_job", 1)
    context.flush()
    assert job_run.get_metrics() == {"from_job": 1}
    job_run.complete()


def test_an_offline_run_refuses_what_a_real_run_refuses(experiment: Experiment) -> None:
    offline, real = OfflineRun(), experiment.start_logging()
    for run in (offline, real):
        for call in (
            lambda run=run: run.log_list("l", "not a list"),
            lambda run=run: run.log_row("r"),
            lambda run=run: run.log_table("t", {"a": [1], "b": [1, 2]}),
            lambda run=run: run.log_image("i"),
            lambda run=run: run.log_image("i", plot="not a figure"),
        ):
            with pytest.raises(ValidationError):
                call()
    real.complete()
    assert real.get_metrics() == {} and offline.get_metrics() == {}


def test_a_failed_log_image_takes_no_step(experiment: Experiment, tmp_path: Path) -> None:
    run = experiment.start_logging()
    with pytest.raises(NotFoundError):
        run.log_image("curve", path=tmp_path / "missing.png")
    image = tmp_path / "curve.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n")
    run.log_image("curve", path=image)
    run.complete()
    assert run.get_metrics() == {"curve": "images/curve_0.png"}
