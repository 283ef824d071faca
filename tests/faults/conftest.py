"""Fixtures of the fault tests: `runlab server` as a child process that a test may kill and
start again on the same port, and a PostgreSQL server of the test's own.

The shared PostgreSQL at 127.0.0.1:5432 serves other tests at the same time, so nothing here
ever restarts it or cuts its connections: a test that restarts PostgreSQL gets its own cluster
(``initdb`` into a temporary folder, run as the ``postgres`` user when this is root) on a free
port, and skips, saying why, where the binaries are missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from faulting import OwnPostgres, ServerProcess, free_port, stop_process

from helpers import eventually


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """A fresh SQLite workspace served by a `runlab server` child process (not started: call
    ``start``), stopped after the test."""
    pytest.importorskip("uvicorn", reason="needs the server extra: pip install 'runlab[server]'")
    from runlab import Workspace

    folder = tmp_path / "served"
    Workspace.create("faults", folder).close()
    server = ServerProcess(folder, tmp_path / "server.log")
    yield server
    server.stop()


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    """A running PostgreSQL cluster of this test alone; skipped, saying why, when PostgreSQL's
    server binaries (``initdb``, ``pg_ctl``) are not installed."""
    pytest.importorskip("psycopg", reason="needs psycopg: pip install 'runlab[postgres]'")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = Path(found[-1]) if found else None
    if initdb is None and shutil.which("initdb"):
        initdb = Path(str(shutil.which("initdb")))
    if initdb is None or not (initdb.parent / "pg_ctl").exists():
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed here")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root, and no runuser to start PostgreSQL as its own user")
    # Not below pytest's temporary folder: that one is closed to other users (0700).
    folder = Path(tempfile.mkdtemp(prefix="runlab-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = OwnPostgres(folder / "data", initdb.parent)
    cluster.initdb()
    cluster.start()
    try:
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def small_tmpfs() -> Iterator[Path]:
    """A 4 MiB tmpfs mounted for the test (as root), unmounted after; skipped, saying why,
    where mounting is not permitted."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    folder = Path(tempfile.mkdtemp(prefix="runlab-full-"))
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        folder.rmdir()
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on 127.0.0.1 (a child process), for the session."""
    for module in ("moto", "boto3", "s3fs"):
        pytest.importorskip(
            module, reason="needs moto[server], boto3 and s3fs", exc_type=ImportError
        )
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def answered() -> bool:
            assert server.poll() is None, "the moto S3 server exited"
            with urllib.request.urlopen(endpoint, timeout=1):
                return True

        eventually(answered, ignoring=(OSError,), message=f"the moto S3 server at {endpoint}")
        yield endpoint
    finally:
        stop_process(server)


@pytest.fixture
def s3_environment(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A new bucket on the S3 server, and the environment that reaches it (set in this
    process too): ``{"RUNLAB_TEST_BUCKET": name, "AWS_...": ...}``."""
    import boto3

    environment = {
        "AWS_ACCESS_KEY_ID": "test-key",
        "AWS_SECRET_ACCESS_KEY": "test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    bucket = f"runlab-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return environment | {"RUNLAB_TEST_BUCKET": bucket}
