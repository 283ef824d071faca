"""Fixtures for the datastore tests: data folders and a local S3 server.

The S3 server is moto's (``moto[server]``), started once per test session as a child process
on 127.0.0.1 and stopped by its pid; each test gets a bucket of its own. Tests that need it
are skipped, saying why, when moto, boto3 or s3fs is not installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import eventually

S3_SKIP_REASON = "the S3 tests need moto[server], boto3 and s3fs: pip install 'moto[server]' s3fs"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def tree_hashes(root: Path) -> dict[str, str]:
    """The sha256 of every file below ``root``, by '/'-separated relative path."""
    return {
        path.relative_to(root).as_posix(): sha256_of(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def make_tree(root: Path, files: int = 40, big_bytes: int = 0) -> dict[str, str]:
    """A nested folder of small files (and one big one when ``big_bytes``); its hashes."""
    for index in range(files):
        folder = root / f"part{index % 4}" / f"group{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.bin").write_bytes(os.urandom(100 + (index * 37) % 4000))
    if big_bytes:
        with (root / "big.bin").open("wb") as out:
            remaining = big_bytes
            while remaining:
                chunk = min(remaining, 8 * 1024 * 1024)
                out.write(os.urandom(chunk))
                remaining -= chunk
    return tree_hashes(root)


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A nested folder of 40 small files, and their hashes."""
    root = tmp_path / "src"
    return root, make_tree(root)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of a moto S3 server on 127.0.0.1, running for the whole session."""
    for module in ("moto", "boto3", "s3fs"):
        pytest.importorskip(module, reason=S3_SKIP_REASON, exc_type=ImportError)
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def answered() -> bool:
            if server.poll() is not None:
                pytest.skip(f"the moto S3 server exited instead of serving on {endpoint}")
            with urllib.request.urlopen(endpoint, timeout=1):
                return True

        eventually(answered, ignoring=(OSError,), message=f"the moto S3 server at {endpoint}")
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, 9)
            server.wait()


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket on the local S3 server (created with boto3: s3fs's mkdir asks for a
    location constraint that moto refuses)."""
    import boto3

    name = f"runlab-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test-key",
        aws_secret_access_key="test-secret",
    )
    client.create_bucket(Bucket=name)
    return name


def s3_options(endpoint: str, secret: str = "test-secret") -> dict[str, Any]:
    """Storage options for s3fs against the local server."""
    return {
        "key": "test-key",
        "secret": secret,
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }


# Test modules here are imported as top-level modules (there is no tests/__init__.py), so they
# cannot import this file by name: the helpers reach them as fixtures.


@pytest.fixture(name="tree_hashes")
def tree_hashes_fixture() -> Any:
    """:func:`tree_hashes`."""
    return tree_hashes


@pytest.fixture(name="make_tree")
def make_tree_fixture() -> Any:
    """:func:`make_tree`."""
    return make_tree


@pytest.fixture(name="s3_options")
def s3_options_fixture(s3_endpoint: str) -> Any:
    """:func:`s3_options` for the session's server: call it (optionally with a secret)."""
    return lambda secret="test-secret": s3_options(s3_endpoint, secret)
