"""Helpers of the server tests: a free port, and what the live server fixture gives."""

from __future__ import annotations

import socket
from typing import Any

import pytest

SKIP_REASON = "the server tests need the server extra: pip install 'runlab[server]'"


def require_server_extra() -> None:
    """Skip the calling test module, saying why, when fastapi, uvicorn or httpx is missing."""
    for module in ("fastapi", "uvicorn", "httpx"):
        pytest.importorskip(module, reason=f"{SKIP_REASON} ({module} is not importable)")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LiveServer:
    """The session's server: its URL and its app (whose state a test may swap)."""

    def __init__(self, url: str, app: Any) -> None:
        self.url = url
        self.app = app
