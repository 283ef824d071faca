"""The boundary to Ray's Jobs API: the one place runlab imports ``ray`` and sees its errors.

``ray`` is an optional dependency (the ``ray`` extra), imported only when a Ray target is used.
"""

from __future__ import annotations

import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runlab.errors import BackendError, RunlabError

__all__ = ["JobsClient", "ray_errors"]

RAY_EXTRA_HINT = 'install Ray with: pip install "runlab[ray]" (or pip install "ray[default]")'


@contextlib.contextmanager
def ray_errors(what: str) -> Iterator[None]:
    """Turn every error Ray or the network raises inside the block into ``BackendError``."""
    try:
        yield
    except RunlabError:
        raise
    except Exception as error:  # Ray raises RuntimeError, requests' errors, its own ...
        raise BackendError(f"cannot {what}: {type(error).__name__}: {error}") from error


class JobsClient:
    """A Ray Jobs API client for one cluster, with runlab's token when it has one.

    Args:
        address: the Jobs API's address (``http://127.0.0.1:8265``).
        token_file: a file holding the cluster's auth token, or None for a cluster without.

    Raises:
        BackendError: Ray is not installed (the message names the extra) or nobody answers.
    """

    def __init__(self, address: str, token_file: str | None = None) -> None:
        try:
            from ray.job_submission import JobSubmissionClient
        except ImportError as error:
            raise BackendError(f"Ray is not installed: {RAY_EXTRA_HINT}") from error
        self.address = address
        token = Path(token_file).read_text(encoding="utf-8").strip() if token_file else None
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        with ray_errors(f"reach the Ray cluster at {address}"):
            self.client: Any = JobSubmissionClient(address, headers=self.headers)

    @staticmethod
    def check_installed() -> None:
        """Raise ``BackendError`` naming the extra to install unless Ray can be imported."""
        try:
            import ray.job_submission  # noqa: F401
        except ImportError as error:
            raise BackendError(f"Ray is not installed: {RAY_EXTRA_HINT}") from error

    def get_json(self, path: str) -> Any:
        """GET ``path`` from the cluster's HTTP API, as JSON.

        Raises:
            BackendError: no answer, or not JSON.
        """
        request = urllib.request.Request(f"{self.address}{path}", headers=self.headers)
        try:
            with urllib.request.urlopen(request, timeout=10.0) as response:
                return json.loads(response.read())
        except (OSError, ValueError, urllib.error.URLError) as error:
            raise BackendError(f"cannot read {path} from {self.address}: {error}") from error

    def alive_worker_nodes(self) -> list[dict[str, Any]]:
        """The cluster's nodes that are alive, with their resources (the head included when
        it has CPUs, since jobs then run on it)."""
        answer = self.get_json("/api/v0/nodes?limit=1000&detail=true")
        rows = answer.get("data", {}).get("result", {}).get("result", [])
        nodes = []
        for row in rows:
            if row.get("state") != "ALIVE":
                continue
            resources = row.get("resources_total", {})
            if row.get("is_head_node") and not resources.get("CPU"):
                continue
            nodes.append(row)
        return nodes
