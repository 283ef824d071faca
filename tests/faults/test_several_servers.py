"""Several servers, one workspace: two `runlab server` processes over one PostgreSQL database
and one S3 bucket (moto's server), as behind a load balancer.

Clients log, upload files and register versions of one model through both at once; at the end
every point, file and version is there exactly once and reads the same through either server;
version numbers are distinct; a run ended through one server is ended for the other.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from faulting import ServerProcess, stop_process

from runlab import Experiment, Run, Workspace
from runlab.errors import InvalidStateError
from runlab.models import Model

pytestmark = [pytest.mark.slow]

POINTS = 500
FILES = 5
MODELS = 3

CLIENT = f"""
import hashlib, io, sys
from pathlib import Path
from runlab import Experiment, Workspace
from runlab.models import Model

url, label, scratch = sys.argv[1], sys.argv[2], Path(sys.argv[3])
workspace = Workspace.connect(url)
run = Experiment(workspace, "shared").start_logging()
print(run.id, flush=True)
for step in range({POINTS}):
    run.log("step", step)
    if step % 100 == 0:
        index = step // 100
        run.upload_file(f"outputs/{{index}}.txt", io.BytesIO(f"{{label}} file {{index}}".encode()))
for version in range({MODELS}):
    model = scratch / f"{{label}}-{{version}}.bin"
    model.write_bytes(f"{{label}} model {{version}}".encode() * 1000)
    registered = Model.register(workspace, model, "shared-model", tags={{"by": label}})
    print(registered.version, hashlib.sha256(model.read_bytes()).hexdigest(), flush=True)
run.complete()
print("completed", flush=True)
"""


@pytest.fixture
def two_servers(
    tmp_path: Path, postgres_url: str, s3_environment: dict[str, str]
) -> Iterator[list[ServerProcess]]:
    pytest.importorskip("uvicorn", reason="needs the server extra: pip install 'runlab[server]'")
    folder = tmp_path / "ws"
    bucket = s3_environment["RUNLAB_TEST_BUCKET"]
    Workspace.create(
        "shared", folder, store_uri=postgres_url, artifact_uri=f"s3://{bucket}/workspace"
    ).close()
    servers = [
        ServerProcess(folder, tmp_path / f"server-{index}.log", s3_environment)
        for index in range(2)
    ]
    for server in servers:
        server.start()
    yield servers
    for server in servers:
        server.stop()


def test_two_servers_over_one_database_and_bucket_serve_one_consistent_workspace(
    tmp_path: Path, two_servers: list[ServerProcess]
) -> None:
    script = tmp_path / "client.py"
    script.write_text(textwrap.dedent(CLIENT))
    clients = [
        subprocess.Popen(
            [sys.executable, str(script), server.url, f"client{index}", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index, server in enumerate(two_servers * 2)
    ]
    try:
        results = [client.communicate(timeout=600) for client in clients]
    finally:
        for client in clients:
            stop_process(client)  # type: ignore[arg-type]
    registered: dict[int, str] = {}
    run_ids = []
    for client, (out, err) in zip(clients, results, strict=True):
        assert client.returncode == 0, out + err
        lines = out.split("\n")
        assert lines[-2] == "completed", out + err
        run_ids.append(lines[0])
        for line in lines[1:-2]:
            version, digest = line.split()
            assert int(version) not in registered, "one version number given twice"
            registered[int(version)] = digest
    assert sorted(registered) == list(range(1, 1 + MODELS * len(clients)))
    for server in two_servers:
        with Workspace.connect(server.url) as workspace:
            for index, run_id in enumerate(run_ids):
                run = Run.get(workspace, run_id)
                assert run.get_status() == "Completed"
                assert run.get_metrics()["step"] == list(range(POINTS))
                names = [name for name in run.get_file_names() if name.startswith("outputs/")]
                assert names == [f"outputs/{i}.txt" for i in range(FILES)]
                for i in range(FILES):
                    stored = workspace.artifacts.get_bytes(f"runs/{run_id}/outputs/{i}.txt")
                    assert stored == f"client{index} file {i}".encode()
            versions = Model.list(workspace, name="shared-model")
            assert sorted(model.version for model in versions) == sorted(registered)
            for model in versions:
                target = tmp_path / f"download-{server.port}-{model.version}"
                model.download(str(target))
                (downloaded,) = list(target.iterdir())
                digest = hashlib.sha256(downloaded.read_bytes()).hexdigest()
                assert digest == registered[model.version]


def test_a_run_ended_through_one_server_is_ended_for_the_other(
    two_servers: list[ServerProcess],
) -> None:
    first, second = two_servers
    with Workspace.connect(first.url) as one, Workspace.connect(second.url) as other:
        run = Experiment(one, "shared").start_logging()
        run.log("x", 1.0)
        seen = Run.get(other, run.id)
        assert seen.get_status() == "Running"
        run.complete()
        assert seen.get_status() == "Completed"
        assert seen.get_metrics()["x"] == 1.0
        with pytest.raises(InvalidStateError):
            seen.cancel()
        canceled = Experiment(other, "shared").start_logging()
        Run.get(one, canceled.id).cancel()
        assert canceled.get_status() == "Canceled"
