"""PostgreSQL restarting, and dropping every connection (``pg_terminate_backend``), while runs
log through a runlab server over it and a model registers straight against it.

The cluster is the test's own (``own_postgres``): the shared one at 127.0.0.1:5432 is never
restarted, and only connections to this test's database are terminated. At the end every
point is stored exactly once, every run is Completed, and every model version that can be seen
is whole (its files all there, with the content registered); a registration the fault broke
either raised a ``BackendError`` or finished, and left no visible half version behind.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from faulting import OwnPostgres, ServerProcess, stop_process

from helpers import eventually
from runlab import Run, Workspace
from runlab.errors import BackendError
from runlab.models import Model

pytestmark = [pytest.mark.slow]

POINTS = 400

LOGGER = """
import sys, time
from runlab import Experiment, Workspace

url, points = sys.argv[1], int(sys.argv[2])
workspace = Workspace.connect(url)
run = Experiment(workspace, "pg").start_logging()
print(run.id, flush=True)
for step in range(points):
    run.log("step", step)
    time.sleep(0.02)
run.complete()
print("completed", flush=True)
"""


def _database(cluster: OwnPostgres) -> str:
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute("CREATE DATABASE runlab")
    return cluster.url.rsplit("/", 1)[0] + "/runlab"


def _terminate_connections(cluster: OwnPostgres) -> int:
    """Cut every connection to the test's database (on the test's own cluster)."""
    import psycopg

    with psycopg.connect(cluster.url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = 'runlab' AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


def _register_until(
    workspace: Workspace, model_file: Path, stop: threading.Event, outcomes: list[str]
) -> None:
    while not stop.is_set():
        try:
            Model.register(workspace, model_file, "pg-model")
            outcomes.append("registered")
        except BackendError as error:
            outcomes.append(f"BackendError: {error}")
            time.sleep(0.2)


def _check_models(workspace: Workspace, model_file: Path) -> list[int]:
    versions = [model.version for model in Model.list(workspace, name="pg-model")]
    for version in versions:
        model = Model(workspace, "pg-model", version=version)
        target = model_file.parent / f"check-{version}"
        model.download(str(target))
        assert (target / model_file.name).read_bytes() == model_file.read_bytes(), version
    return versions


@pytest.mark.parametrize("fault", ["restart", "terminate"])
def test_runs_log_and_a_model_registers_through_a_postgres_fault(
    fault: str, own_postgres: OwnPostgres, tmp_path: Path
) -> None:
    pytest.importorskip("uvicorn", reason="needs the server extra: pip install 'runlab[server]'")
    folder = tmp_path / "ws"
    Workspace.create("pg", folder, store_uri=_database(own_postgres)).close()
    server = ServerProcess(folder, tmp_path / "server.log")
    server.start()
    script = tmp_path / "logger.py"
    script.write_text(textwrap.dedent(LOGGER))
    loggers = [
        subprocess.Popen(
            [sys.executable, str(script), server.url, str(POINTS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    model_file = tmp_path / "model" / "weights.bin"
    model_file.parent.mkdir()
    model_file.write_bytes(bytes(range(256)) * 4000)
    workspace = Workspace.from_config(folder)
    stop, outcomes = threading.Event(), list[str]()
    registering = threading.Thread(
        target=_register_until, args=(workspace, model_file, stop, outcomes)
    )
    try:
        registering.start()
        # The runs exist before the faults: calls that are not buffered (creating a run)
        # fail with a BackendError while the database is away; logged points are retried.
        run_ids = [logger.stdout.readline().strip() for logger in loggers if logger.stdout]
        eventually(lambda: len(outcomes) >= 2, message="the first registrations")
        terminated = 0
        for _ in range(3):
            time.sleep(1.5)
            if fault == "restart":
                own_postgres.restart()
            else:
                terminated += _terminate_connections(own_postgres)
        time.sleep(1.0)
        stop.set()
        registering.join(timeout=300)
        results = [logger.communicate(timeout=600) for logger in loggers]
        for logger, (out, err) in zip(loggers, results, strict=True):
            assert logger.returncode == 0, out + err
            assert out.strip() == "completed", out + err
        for run_id in run_ids:
            run = Run.get(workspace, run_id)
            assert run.get_status() == "Completed"
            assert run.get_metrics()["step"] == list(range(POINTS))
        if fault == "restart":
            # The fault was felt: registrations taken down with the database said so.
            assert any(outcome.startswith("BackendError") for outcome in outcomes), outcomes
        else:
            assert terminated, "no connection to the test's database was there to cut"
        versions = _check_models(workspace, model_file)
        assert "registered" in outcomes and len(versions) == outcomes.count("registered")
    finally:
        stop.set()
        for logger in loggers:
            stop_process(logger)  # type: ignore[arg-type]
        server.stop()
        workspace.close()
