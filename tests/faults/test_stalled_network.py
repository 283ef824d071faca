"""A network path that stalls: a TCP proxy between the clients and the server stops
forwarding for a while (connections stay open, nothing passes), then delivers what it held.

Clients wait ``RUNLAB_HTTP_TIMEOUT_S`` (2 s here; 60 s for metadata and 300 s for files by
default) and fail with a ``BackendError`` instead of hanging; the buffered points are sent
again, and the requests the proxy delivers late (after the client gave up and retried) are
not stored twice. The logging run ends Completed with every point once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from faulting import ServerProcess, StallingProxy, stop_process

from helpers import eventually
from runlab import Run, Workspace
from runlab.errors import BackendError
from runlab.store.rest import RestMetadataStore

pytestmark = [pytest.mark.slow]

POINTS = 800

LOGGER = """
import sys, time
from runlab import Experiment, Workspace

url, points = sys.argv[1], int(sys.argv[2])
run = Experiment(Workspace.connect(url), "stall").start_logging()
print(run.id, flush=True)
for step in range(points):
    run.log("step", step)
    time.sleep(0.01)
run.complete()
print("completed", flush=True)
"""


def test_clients_time_out_and_retry_through_a_stalled_network_path(
    tmp_path: Path, server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_process.start()
    proxy = StallingProxy(server_process.port)
    monkeypatch.setenv("RUNLAB_HTTP_TIMEOUT_S", "2")
    script = tmp_path / "logger.py"
    script.write_text(textwrap.dedent(LOGGER))
    logger = subprocess.Popen(
        [sys.executable, str(script), proxy.url, str(POINTS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"RUNLAB_HTTP_TIMEOUT_S": "2"},
    )
    direct = Workspace.connect(server_process.url)
    try:
        assert logger.stdout is not None
        run_id = logger.stdout.readline().strip()
        run = Run.get(direct, run_id)
        eventually(
            lambda: len(run.get_metrics().get("step", [])) >= 50,
            message="the first points through the proxy",
        )
        proxy.stall()
        # A call through the stalled path gives up after the timeout, saying why.
        through = RestMetadataStore(proxy.url)
        with pytest.raises(BackendError, match="Timeout"):
            through.get_run(run_id)
        through.close()
        time.sleep(6.0)
        assert run.get_status() == "Running"
        proxy.resume()
        out, err = logger.communicate(timeout=600)
        assert logger.returncode == 0, out + err
        assert out.strip() == "completed", out + err
        assert run.get_status() == "Completed"
        assert run.get_metrics()["step"] == list(range(POINTS))
    finally:
        stop_process(logger)  # type: ignore[arg-type]
        proxy.close()
        direct.close()
