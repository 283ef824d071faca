"""Datasets through a workspace served by a live ``runlab server``: registered, read, given to
a job and re-run, all over ``Workspace.connect(url, token=...)``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import eventually
from runlab import Experiment, Workspace
from runlab.data import Dataset, FileDataset, TabularDataset
from runlab.entities.run_layout import RERUN_OF_KEY
from runlab.jobs import ScriptRunConfig
from runlab.server.auth import TokenStore, tokens_file_of
from runlab.tracking import Run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("job_root")]

COUNT = """
import pathlib, sys
from runlab import Run
run = Run.get_context()
folder = pathlib.Path(run.input_datasets["digits"])
run.log("bytes", sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()))
run.log("scale", float(sys.argv[sys.argv.index("--scale") + 1]))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    url: str
    token: str
    folder: Path


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """`runlab server` as a child process over a fresh workspace that requires a token."""
    httpx = pytest.importorskip(
        "httpx", reason="needs the server extra: pip install 'runlab[server]'"
    )
    pytest.importorskip("uvicorn", reason="needs the server extra: pip install 'runlab[server]'")

    folder = tmp_path / "served"
    backing = Workspace.create("served", folder)
    token, _record = TokenStore(tokens_file_of(backing.config_path)).create("write", "datasets")
    backing.close()
    port = _free_port()
    log = tmp_path / "server.log"
    environment = {k: v for k, v in os.environ.items() if k != "RUNLAB_TOKEN"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "runlab.cli", "server", "--workspace", str(folder),
             "--host", "127.0.0.1", "--port", str(port)],
            env=environment, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def refuses_without_a_token() -> bool:
            assert server.poll() is None, log.read_text()
            return httpx.get(f"{url}/api/workspace", timeout=2).status_code == 401

        eventually(
            refuses_without_a_token, ignoring=(httpx.HTTPError,), message="the server to start"
        )
        yield Served(url, token, folder)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def connected(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.delenv("RUNLAB_TOKEN", raising=False)
    workspace = Workspace.connect(served.url, token=served.token)
    yield workspace
    workspace.close()


def test_datasets_registered_read_given_to_a_job_and_rerun_over_http(
    connected: Workspace, served: Served, tmp_path: Path
) -> None:
    pytest.importorskip("pyarrow", reason="TabularDataset reads through pyarrow")
    upload = tmp_path / "upload"
    (upload / "digits").mkdir(parents=True)
    (upload / "digits" / "a.bin").write_bytes(b"first file")
    (upload / "digits" / "b.bin").write_bytes(b"second, longer file")
    big = os.urandom(9 * 1024 * 1024)  # over 8 MiB: streamed both ways, not sent whole
    (upload / "digits" / "c.bin").write_bytes(big)
    (upload / "table.csv").write_text("x,y\n1,a\n2,b\n3,c\n")
    # The workspace's own datastore: its files go through the server's artifact API.
    datastore = connected.get_default_datastore()
    datastore.upload(upload, target_path="data", show_progress=False)

    files = Dataset.File.from_files((datastore, "data/digits/*.bin"))
    digits = files.register(connected, "digits", description="two files")
    table = Dataset.Tabular.from_delimited_files((datastore, "data/table.csv"))
    rows = table.register(connected, "rows")
    assert (digits.id, rows.id) == ("digits:1", "rows:1")
    assert sorted(connected.datasets) == ["digits", "rows"]

    # Read back through the server, and straight from the backing workspace: the same versions.
    found = Dataset.get_by_name(connected, "digits")
    assert isinstance(found, FileDataset) and found.content_hash == digits.content_hash
    downloaded = found.download(tmp_path / "down")
    assert (tmp_path / "down" / "c.bin").read_bytes() == big
    assert sorted(Path(path).name for path in downloaded) == ["a.bin", "b.bin", "c.bin"]
    tabular = Dataset.get_by_id(connected, "rows:1")
    assert isinstance(tabular, TabularDataset)
    frame = tabular.to_pandas_dataframe()
    assert list(frame["x"]) == [1, 2, 3] and list(frame["y"]) == ["a", "b", "c"]
    backing = Workspace.from_config(served.folder)
    try:
        assert Dataset.get_by_name(backing, "rows").content_hash == rows.content_hash
    finally:
        backing.close()

    source = tmp_path / "src"
    source.mkdir()
    (source / "count.py").write_text(COUNT)
    arguments = [digits.as_named_input("digits").as_download(), "--scale", 1.5]
    run = Experiment(connected, "over-http").submit(
        ScriptRunConfig(source, "count.py", arguments=arguments)
    )
    run.wait_for_completion(raise_on_error=True)
    total = len(b"first file") + len(b"second, longer file") + len(big)
    assert run.get_metrics()["bytes"] == total
    inputs = run.get_lineage()["datasets"]
    assert [(item["name"], item["version"]) for item in inputs] == [("digits", 1)]

    again = run.rerun(parameters={"scale": 2.5})
    again.wait_for_completion(raise_on_error=True)
    assert again.get_properties()[RERUN_OF_KEY] == run.id
    assert again.get_snapshot_id() == run.get_snapshot_id()
    assert again.get_metrics() == {"bytes": total, "scale": 2.5}
    assert Run.get(connected, again.id).get_metrics()["scale"] == 2.5
