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
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from faulting import OwnPostgres, ServerProcess


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
