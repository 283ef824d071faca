"""Fixtures shared by every test package: a fresh workspace, real databases, and a job folder
of the test's own."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import fresh_workspace
from runlab import Workspace

POSTGRES_ADMIN_URL = os.environ.get(
    "RUNLAB_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


def _postgres_admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(
        POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"),
        autocommit=True,
        connect_timeout=3,
    )


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Skip (saying why) when no PostgreSQL server answers."""
    try:
        _postgres_admin_connection().close()
    except Exception as error:  # any failure to connect means: no server here
        pytest.skip(f"no PostgreSQL server answers at {POSTGRES_ADMIN_URL}: {error}")


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    name = f"runlab_test_{uuid.uuid4().hex[:12]}"
    with _postgres_admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with _postgres_admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def job_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``RUNLAB_JOB_ROOT`` in the test's own folder: where its jobs unpack and run."""
    root = tmp_path / "jobs"
    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(root))
    return root


@pytest.fixture
def workspace_name() -> str:
    """The name of the ``workspace`` fixture's workspace; a test module overrides it to check
    a name of its own."""
    return "test"


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    """Where the ``workspace`` fixture creates its workspace: ``tmp_path / "ws"``."""
    return tmp_path / "ws"


@pytest.fixture
def workspace(workspace_dir: Path, workspace_name: str) -> Iterator[Workspace]:
    """A fresh SQLite workspace in ``workspace_dir``, closed after the test."""
    with fresh_workspace(workspace_dir, workspace_name) as created:
        yield created
