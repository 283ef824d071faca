"""The boundary to Ray's Jobs API: the one place runlab imports ``ray`` and sees its errors.

:class:`JobsClient` wraps Ray's ``JobSubmissionClient``, which stays private to it: every call
runs inside :func:`ray_errors`, the one place that turns what Ray (or the network) raises into
runlab's errors, and every answer comes back as runlab's own small values (:class:`JobState`,
:class:`RayJob`, :class:`RayNode`), never as Ray's objects.

``ray`` is an optional dependency (the ``ray`` extra), imported only when a Ray target is used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from runlab.errors import BackendError, NotFoundError, RunlabError

__all__ = ["JobState", "JobsClient", "RayJob", "RayNode", "ray_errors"]

AGENT_WAIT_S = 60.0
"""How long a submit waits for a cluster whose head has no agent to take a job yet."""

RAY_EXTRA_HINT = 'install Ray with: pip install "runlab[ray]" (or pip install "ray[default]")'


@contextlib.contextmanager
def ray_errors(what: str) -> Iterator[None]:
    """Turn every error Ray or the network raises inside the block into runlab's.

    Ray's client reports every failed request as a ``RuntimeError`` carrying the HTTP status:
    a 404 (no such job) becomes ``NotFoundError``, everything else ``BackendError``.
    """
    try:
        yield
    except RunlabError:
        raise
    except Exception as error:  # Ray raises RuntimeError, requests' errors, its own ...
        message = f"cannot {what}: {type(error).__name__}: {error}"
        if isinstance(error, RuntimeError) and "status code 404" in str(error):
            raise NotFoundError(message) from error
        raise BackendError(message) from error


class JobState(enum.Enum):
    """The state of a Ray job (Ray's ``JobStatus``, as runlab's own enum)."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"

    @property
    def is_terminal(self) -> bool:
        """Whether the job has ended (stopped, succeeded or failed)."""
        return self in _TERMINAL

    @classmethod
    def of(cls, status: object) -> JobState:
        """The state Ray's ``JobStatus`` (a str enum) names.

        Raises:
            BackendError: a state this version of runlab does not know.
        """
        value = str(getattr(status, "value", status))
        try:
            return cls(value)
        except ValueError as error:
            raise BackendError(f"Ray reported an unknown job state {value!r}") from error


_TERMINAL = frozenset({JobState.STOPPED, JobState.SUCCEEDED, JobState.FAILED})


@dataclasses.dataclass(frozen=True)
class RayJob:
    """What runlab reads of one Ray job.

    Attributes:
        submission_id: the id it was submitted under (empty for a driver started with
            ``ray.init`` rather than through the Jobs API).
        state: its state now.
        message: Ray's word on it, e.g. why a runtime environment could not be set up.
        metadata: the metadata it was submitted with.
        start_time: when it was submitted, in seconds since the epoch (None if unknown).
        driver_node_id: the node its driver runs on, once it runs.
        env_vars: the variables of its runtime environment.
    """

    submission_id: str
    state: JobState
    message: str = ""
    metadata: Mapping[str, str] = dataclasses.field(default_factory=dict)
    start_time: float | None = None
    driver_node_id: str | None = None
    env_vars: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, details: Any) -> RayJob:
        """The job Ray's ``JobDetails`` describes."""
        runtime_env = details.runtime_env or {}
        start_ms = details.start_time
        return cls(
            submission_id=str(details.submission_id or ""),
            state=JobState.of(details.status),
            message=str(details.message or ""),
            metadata=dict(details.metadata or {}),
            start_time=start_ms / 1000.0 if start_ms else None,
            driver_node_id=details.driver_node_id,
            env_vars={str(k): str(v) for k, v in (runtime_env.get("env_vars") or {}).items()},
        )


@dataclasses.dataclass(frozen=True)
class RayNode:
    """A node of a Ray cluster that is alive.

    Attributes:
        node_id: Ray's id of the node.
        ip_address: its address.
        is_head: whether it is the head node.
        resources: its resources in total (``CPU``, ``GPU``, ``memory``, ...).
    """

    node_id: str
    ip_address: str
    is_head: bool
    resources: Mapping[str, float]


class JobsClient:
    """A Ray Jobs API client for one cluster, with runlab's token when it has one.

    Every method raises ``BackendError`` when the cluster does not answer or refuses, and
    ``NotFoundError`` for a job the cluster does not know.

    Args:
        address: the Jobs API's address (``http://127.0.0.1:8265``).
        token_file: a file holding the cluster's auth token, or None for a cluster without.

    Raises:
        BackendError: Ray is not installed (the message names the extra) or nobody answers.
    """

    def __init__(self, address: str, token_file: str | None = None) -> None:
        self.check_installed()
        from ray.job_submission import JobSubmissionClient

        self.address = address
        token = Path(token_file).read_text(encoding="utf-8").strip() if token_file else None
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        with ray_errors(f"reach the Ray cluster at {address}"):
            self._jobs: Any = JobSubmissionClient(address, headers=self._headers)

    @staticmethod
    def check_installed() -> None:
        """Raise ``BackendError`` naming the extra to install unless Ray can be imported."""
        try:
            import ray.job_submission  # noqa: F401
        except ImportError as error:
            raise BackendError(f"Ray is not installed: {RAY_EXTRA_HINT}") from error

    # -- jobs ----------------------------------------------------------------------------

    def submit_job(
        self,
        entrypoint: str,
        *,
        submission_id: str | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        num_cpus: float = 0,
        num_gpus: float = 0,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Submit a shell command as a Ray job; returns its submission id.

        Args:
            entrypoint: the command, run by a shell on the node Ray picks.
            submission_id: the id to give it (Ray makes one up when None).
            runtime_env: Ray's runtime environment for it, if any.
            num_cpus: CPUs its entrypoint reserves.
            num_gpus: GPUs its entrypoint reserves (it then sees ``CUDA_VISIBLE_DEVICES``).
            metadata: strings kept with the job (:meth:`list_jobs` returns them).
        """
        # A head that has just started (or is busy) may have no agent to take the job yet:
        # Ray answers 500 "No available agent ... try again later", having taken nothing.
        deadline = time.monotonic() + AGENT_WAIT_S
        while True:
            try:
                with ray_errors(f"submit a job to the Ray cluster at {self.address}"):
                    return str(
                        self._jobs.submit_job(
                            entrypoint=entrypoint,
                            submission_id=submission_id,
                            runtime_env=dict(runtime_env) if runtime_env is not None else None,
                            entrypoint_num_cpus=num_cpus,
                            entrypoint_num_gpus=num_gpus,
                            metadata=dict(metadata) if metadata is not None else None,
                        )
                    )
            except BackendError as error:
                if "No available agent" not in error.message or time.monotonic() > deadline:
                    raise
            time.sleep(0.5)

    def get_job(self, submission_id: str) -> RayJob:
        """The job ``submission_id``: its state, Ray's message, metadata, runtime variables."""
        with ray_errors(f"read the Ray job {submission_id}"):
            return RayJob.of(self._jobs.get_job_info(submission_id))

    def get_job_status(self, submission_id: str) -> JobState:
        """The state of the job ``submission_id`` now."""
        with ray_errors(f"read the state of the Ray job {submission_id}"):
            return JobState.of(self._jobs.get_job_status(submission_id))

    def list_jobs(self) -> list[RayJob]:
        """Every job the cluster knows, ended ones included."""
        with ray_errors(f"list the jobs of the Ray cluster at {self.address}"):
            return [RayJob.of(details) for details in self._jobs.list_jobs()]

    def stop_job(self, submission_id: str) -> bool:
        """Ask Ray to stop the job; returns whether it was still running (Ray cannot stop a
        PENDING job: it says True and nothing happens)."""
        with ray_errors(f"stop the Ray job {submission_id}"):
            return bool(self._jobs.stop_job(submission_id))

    def get_job_logs(self, submission_id: str) -> str:
        """Everything the job's entrypoint has written so far (stdout and stderr)."""
        with ray_errors(f"read the log of the Ray job {submission_id}"):
            return str(self._jobs.get_job_logs(submission_id))

    # -- nodes ---------------------------------------------------------------------------

    def alive_worker_nodes(self) -> list[RayNode]:
        """The cluster's nodes that are alive, with their resources (the head included when
        it has CPUs, since jobs then run on it)."""
        path = "/api/v0/nodes?limit=1000&detail=true"
        request = urllib.request.Request(f"{self.address}{path}", headers=self._headers)
        with ray_errors(f"read the nodes of the Ray cluster at {self.address}"):
            with urllib.request.urlopen(request, timeout=10.0) as response:
                answer = json.loads(response.read())
            nodes = []
            for row in answer.get("data", {}).get("result", {}).get("result", []):
                resources = {str(k): float(v) for k, v in row.get("resources_total", {}).items()}
                if row.get("state") != "ALIVE":
                    continue
                if row.get("is_head_node") and not resources.get("CPU"):
                    continue
                node = RayNode(
                    node_id=str(row.get("node_id", "")),
                    ip_address=str(row.get("node_ip", "")),
                    is_head=bool(row.get("is_head_node")),
                    resources=resources,
                )
                nodes.append(node)
            return nodes
