"""The job entry SIGKILLed while it uploads ``./outputs``: the run ends Failed with the reason
(its heartbeat stopped) within the heartbeat timeout, and every output file it lists is whole:
a file the kill cut short is never listed (it was being written under a hidden partial name).
"""

from __future__ import annotations

import json
import os
import signal
import textwrap
from pathlib import Path

import pytest

from helpers import eventually
from runlab import Experiment, Workspace
from runlab.entities import JOB_HANDLE_KEY
from runlab.jobs import ScriptRunConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("job_root")]

FILES = 1000
SIZE = 32 * 1024

SCRIPT = f"""
import os
os.makedirs("outputs", exist_ok=True)
for index in range({FILES}):
    with open(f"outputs/part-{{index:04d}}.bin", "wb") as handle:
        handle.write(bytes([index % 256]) * {SIZE})
"""


def test_an_entry_killed_while_uploading_outputs_fails_its_run_and_lists_only_whole_files(
    tmp_path: Path, workspace: Workspace
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "job.py").write_text(textwrap.dedent(SCRIPT))
    config = ScriptRunConfig(source, "job.py", heartbeat_timeout_s=4.0)
    run = Experiment(workspace, "killed").submit(config)
    eventually(
        run.get_status, until=lambda status: status == "Finalizing", interval=0.005, timeout=120
    )
    entry_pid = int(json.loads(run.get_properties()[JOB_HANDLE_KEY])["pid"])
    os.kill(entry_pid, signal.SIGKILL)
    status = eventually(
        run.get_status,
        until=lambda status: status in ("Failed", "Completed"),
        message="the run to end after its entry was killed",
    )
    assert status == "Failed"
    error = run.get_details()["error"]["error"]
    assert "no heartbeat" in error["message"], error
    outputs = [name for name in run.get_file_names() if name.startswith("outputs/")]
    assert len(outputs) < FILES, "the kill came after the upload: nothing was cut short"
    for name in outputs:
        index = int(name.removeprefix("outputs/part-").removesuffix(".bin"))
        stored = workspace.artifacts.get_bytes(f"runs/{run.id}/{name}")
        assert stored == bytes([index % 256]) * SIZE, name
