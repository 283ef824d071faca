"""The artifact storage full (a 4 MiB tmpfs mounted for the test, nearly filled) during a
run's upload, a job's ``./outputs`` upload and a model registration.

Each fails with a ``BackendError`` that names the place and says the device is full; no half
file can be read as whole (nothing of it is listed or readable, no hidden partial file is left
on the device); the metadata stays consistent (no model version, a Failed run with the
reason); once space returns, the next upload and registration work.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from runlab import Experiment, Workspace
from runlab.errors import BackendError, NotFoundError
from runlab.jobs import ScriptRunConfig
from runlab.models import Model

pytestmark = [pytest.mark.usefixtures("job_root")]

BIG = 3 * 1024 * 1024

OUTPUTS_SCRIPT = """
import os
os.makedirs("outputs", exist_ok=True)
with open("outputs/small.txt", "w") as handle:
    handle.write("small and whole")
with open("outputs/big.bin", "wb") as handle:
    handle.write(os.urandom(3 * 1024 * 1024))
"""


def _fill(device: Path, leave: int = 1024 * 1024) -> Path:
    """Fill ``device`` up to ``leave`` free bytes; returns the filler file."""
    filler = device / "filler"
    stats = os.statvfs(device)
    with filler.open("wb") as out:
        out.write(b"\0" * max(stats.f_bavail * stats.f_frsize - leave, 0))
    return filler


def _partial_files(device: Path) -> list[str]:
    return [path.name for path in device.rglob("*") if "partial" in path.name]


def _check_full_error(error: BackendError, device: Path) -> None:
    message = str(error)
    assert str(device) in message, message
    assert "No space left on device" in message, message


def test_a_run_upload_on_a_full_device_fails_clearly_and_works_once_space_returns(
    tmp_path: Path, small_tmpfs: Path
) -> None:
    with Workspace.create(
        "full", tmp_path / "ws", artifact_uri=str(small_tmpfs / "artifacts")
    ) as workspace:
        run = Experiment(workspace, "full").start_logging()
        big = tmp_path / "big.bin"
        big.write_bytes(os.urandom(BIG))
        run.upload_file("outputs/before.txt", str(_write(tmp_path / "b.txt", b"before")))
        filler = _fill(small_tmpfs)
        with pytest.raises(BackendError) as caught:
            run.upload_file("outputs/big.bin", str(big))
        _check_full_error(caught.value, small_tmpfs)
        assert run.get_file_names() == ["outputs/before.txt"]
        with pytest.raises(NotFoundError):
            workspace.artifacts.get_bytes(f"runs/{run.id}/outputs/big.bin")
        assert _partial_files(small_tmpfs) == []
        filler.unlink()
        run.upload_file("outputs/big.bin", str(big))
        assert workspace.artifacts.get_bytes(f"runs/{run.id}/outputs/big.bin") == big.read_bytes()
        run.complete()


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_a_job_whose_outputs_meet_a_full_device_fails_with_the_reason(
    tmp_path: Path, small_tmpfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The entry retries a failed upload for the retry horizon: keep it short here.
    monkeypatch.setenv("RUNLAB_RETRY_HORIZON_S", "1")
    source = tmp_path / "src"
    source.mkdir()
    (source / "job.py").write_text(textwrap.dedent(OUTPUTS_SCRIPT))
    with Workspace.create(
        "full", tmp_path / "ws", artifact_uri=str(small_tmpfs / "artifacts")
    ) as workspace:
        filler = _fill(small_tmpfs)
        run = Experiment(workspace, "full").submit(ScriptRunConfig(source, "job.py"))
        run.wait_for_completion(raise_on_error=False)
        assert run.get_status() == "Failed"
        message = run.get_details()["error"]["error"]["message"]
        assert "No space left on device" in message and str(small_tmpfs) in message, message
        for name in run.get_file_names():
            if name.startswith("outputs/"):
                # Whatever is listed is whole.
                size = {"outputs/small.txt": 15, "outputs/big.bin": BIG}[name]
                stored = workspace.artifacts.get_bytes(f"runs/{run.id}/{name}")
                assert len(stored) == size, name
        assert _partial_files(small_tmpfs) == []
        filler.unlink()
        again = Experiment(workspace, "full").submit(ScriptRunConfig(source, "job.py"))
        again.wait_for_completion()
        assert {"outputs/small.txt", "outputs/big.bin"} <= set(again.get_file_names())


def test_a_model_registration_on_a_full_device_leaves_no_version(
    tmp_path: Path, small_tmpfs: Path
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "a.txt").write_bytes(b"first file, small")
    (model / "weights.bin").write_bytes(os.urandom(BIG))
    with Workspace.create(
        "full", tmp_path / "ws", artifact_uri=str(small_tmpfs / "artifacts")
    ) as workspace:
        filler = _fill(small_tmpfs)
        with pytest.raises(BackendError) as caught:
            Model.register(workspace, model, "full-model")
        _check_full_error(caught.value, small_tmpfs)
        assert Model.list(workspace, name="full-model") == []
        assert workspace.artifacts.list_files("models") == []
        assert _partial_files(small_tmpfs) == []
        filler.unlink()
        registered = Model.register(workspace, model, "full-model")
        assert [m.version for m in Model.list(workspace, name="full-model")] == [registered.version]
        target = tmp_path / "download"
        registered.download(str(target))
        assert (target / "model" / "weights.bin").read_bytes() == (
            model / "weights.bin"
        ).read_bytes()
