"""``RayCompute``: jobs on a Ray cluster, through the Ray Jobs API.

A cluster is either *owned*, started by :meth:`RayCompute.create` on this machine (a head
child process, nodes from Ray's autoscaler; see :mod:`runlab.compute.ray._head`), or
*attached* by :meth:`RayCompute.attach` to a Jobs API address. Either way it is recorded in
the workspace's metadata store under its name, so any process of the workspace finds it
(``ScriptRunConfig(compute_target="cpu-cluster")``, ``Run.cancel()``), and a monitor process
(:mod:`runlab.compute.ray._monitor`) reconciles its jobs' ends with their runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import shutil
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from runlab._files import write_atomic
from runlab.compute.base import ComputeTarget, WorkspaceLike
from runlab.compute.ray._client import JobsClient, JobState
from runlab.compute.ray._head import start_head, wait_for_jobs_api
from runlab.compute.ray._info import ClusterInfoMixin
from runlab.compute.ray._monitor import PENDING_TIMEOUT_KEY, RUN_ID_KEY
from runlab.compute.ray._processes import stop_cluster_processes
from runlab.compute.ray._workspace import (
    check_name,
    cluster_dir,
    monitor_alive,
    remove_folders,
    server_url,
    start_monitor,
)
from runlab.compute.ray.provisioning import RayProvisioningConfiguration
from runlab.entities import JobSpec, workspace_config
from runlab.entities.compute_target import ComputeTargetRecord
from runlab.entities.numbers import whole_number
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError

__all__ = ["KIND", "RayCompute", "WorkspaceLike"]

KIND = "ray"
CANCEL_TIMEOUT_S = 20.0
ATTACH_TIMEOUT_S = 5.0
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
# runlab.jobs sits above compute: the names the entry and the REST stores read, repeated.
_SPEC_ENV = "RUNLAB_JOB_SPEC"  # runlab.jobs.entry.SPEC_ENV
_TOKEN_ENV = "RUNLAB_TOKEN"  # runlab.store._http.TOKEN_ENV


class RayCompute(ClusterInfoMixin, ComputeTarget):
    """A Ray cluster that runs jobs, known to the workspace by name.

    Make one with :meth:`create` (a cluster on this machine that runlab starts and owns) or
    :meth:`attach` (an existing cluster); find one with ``RayCompute(ws, name)`` (the SDK's
    ``AmlCompute(ws, name)``), ``ComputeTarget(ws, name)`` or ``ws.compute_targets[name]``.

    Args:
        workspace: the workspace the cluster is recorded in.
        name: the cluster's name there.

    Raises:
        NotFoundError: the workspace has no Ray target of that name.

    Example:
        >>> config = RayCompute.provisioning_configuration(vm_size="STANDARD_D2_V2",
        ...                                                max_nodes=2)
        >>> cluster = RayCompute.create(ws, "cpu-cluster", config)  # doctest: +SKIP
        >>> cluster.wait_for_completion(show_output=True)  # doctest: +SKIP
    """

    def __init__(self, workspace: WorkspaceLike, name: str) -> None:
        record = workspace.store.get_compute_target(name)  # NotFoundError
        if record.kind != KIND:
            raise NotFoundError(f"compute target {name!r} is a {record.kind} target, not Ray")
        self._workspace = workspace
        self._record = record
        self._client: JobsClient | None = None

    @classmethod
    def of_record(cls, workspace: WorkspaceLike, record: ComputeTargetRecord) -> RayCompute:
        """The target a record of the workspace's store describes (no store read)."""
        target = cls.__new__(cls)
        target._workspace = workspace
        target._record = record
        target._client = None
        return target

    # -- making, finding, forgetting -----------------------------------------------------

    @staticmethod
    def provisioning_configuration(
        vm_size: str | None = "STANDARD_D2_V2",
        min_nodes: int | str = 0,
        max_nodes: int | str = 4,
        idle_seconds_before_scaledown: int | str = 120,
        vm_priority: str = "dedicated",
        *,
        cpu: int | None = None,
        memory_gb: float | None = None,
        gpu: int | None = None,
        pending_timeout_s: float = 600.0,
    ) -> RayProvisioningConfiguration:
        """What a cluster should look like; see :class:`RayProvisioningConfiguration`.

        Raises:
            ValidationError: an unknown ``vm_size``, ``min_nodes > max_nodes``, ...
        """
        return RayProvisioningConfiguration.build(
            vm_size,
            min_nodes,
            max_nodes,
            idle_seconds_before_scaledown,
            vm_priority,
            cpu=cpu,
            memory_gb=memory_gb,
            gpu=gpu,
            pending_timeout_s=pending_timeout_s,
        )

    @classmethod
    def create(
        cls,
        workspace: WorkspaceLike,
        name: str,
        provisioning_configuration: RayProvisioningConfiguration,
    ) -> RayCompute:
        """Start a Ray cluster on this machine, owned by the workspace, and record it.

        Returns once the head's Jobs API answers (nodes come as jobs ask for them, or
        ``min_nodes`` at once; see :meth:`wait_for_completion`). On failure nothing is left:
        no record, no process, no folder.

        Raises:
            ValidationError: a bad name or configuration.
            AlreadyExistsError: a compute target of that name exists.
            BackendError: Ray is missing or the head did not start.
        """
        config = provisioning_configuration
        if not isinstance(config, RayProvisioningConfiguration):
            raise ValidationError("config must come from RayCompute.provisioning_configuration")
        config.check()
        check_name(name)
        if workspace.config_path is None:
            where = server_url(workspace)
            raise ValidationError(
                "RayCompute.create starts the cluster's head on this machine and keeps its"
                " files (session folder, auth token, autoscaler config) in a local folder"
                " beside the workspace's config, which this workspace"
                + (f", served by the runlab server at {where}," if where else "")
                + " does not have: create the cluster where the workspace's folder is"
                " (`runlab compute create` there), or start a Ray cluster yourself and"
                " RayCompute.attach it"
            )
        folder = cluster_dir(workspace, name)
        workspace.store.create_compute_target(  # AlreadyExistsError before anything starts
            name, KIND, config=config.to_dict(), state={"owned": True, "phase": "Creating"}
        )
        cluster_id = os.urandom(4).hex()
        state: dict[str, Any] = {}
        try:
            shutil.rmtree(folder, ignore_errors=True)  # a leftover of an unrecorded cluster
            JobsClient.check_installed()
            state = start_head(folder, cluster_id, config)
            state["monitor_pid"] = start_monitor(workspace, folder, cluster_id, state)
            state["phase"] = "Succeeded"
            record = workspace.store.update_compute_target(name, state=state)
        except BaseException:
            if state:
                stop_cluster_processes(cluster_id, [state["head_pid"]])
            with contextlib.suppress(NotFoundError):
                workspace.store.delete_compute_target(name)
            remove_folders(folder, state)
            raise
        return cls.of_record(workspace, record)

    @classmethod
    def attach(
        cls,
        workspace: WorkspaceLike,
        name: str,
        address: str,
        token_file: str | os.PathLike[str] | None = None,
    ) -> RayCompute:
        """Record an existing Ray cluster by its Jobs API address (``http://HOST:8265``).

        Args:
            workspace: the workspace to record it in.
            name: the target's name.
            address: the cluster's Jobs API (dashboard) address.
            token_file: a file with the cluster's auth token, when it has token auth on.

        Raises:
            ValidationError: a bad name or address; a cluster on another machine with a
                workspace that is not served over HTTP (serve it with ``runlab server``) or
                whose artifacts are on this machine only.
            AlreadyExistsError: a compute target of that name exists.
            BackendError: nobody answers at ``address``.
        """
        check_name(name)
        address = address if "://" in address else f"http://{address}"
        host = urllib.parse.urlsplit(address).hostname
        if not host:
            raise ValidationError(f"bad Ray address {address!r}: give http://HOST:PORT")
        config = workspace.to_dict()
        if host not in _LOCAL_HOSTS and server_url(workspace) is None:
            raise ValidationError(
                f"the Ray cluster at {host} runs on another machine, where this workspace's"
                " local store cannot be reached: start `runlab server` and use a workspace"
                " that points at it"
            )
        if host not in _LOCAL_HOSTS and workspace_config.artifacts_on_this_machine(config):
            raise ValidationError(
                f"the Ray cluster at {host} runs on another machine, where this workspace's"
                f" artifacts ({config.get('artifact_uri')}) cannot be reached: serve them with"
                " `runlab server` too, or keep them in an object store"
            )
        with contextlib.suppress(NotFoundError):
            workspace.store.get_compute_target(name)
            raise AlreadyExistsError(f"a compute target named {name!r} exists in this workspace")
        token_path = str(Path(token_file).resolve()) if token_file is not None else None
        token = Path(token_path).read_text(encoding="utf-8").strip() if token_path else None
        wait_for_jobs_api(address, token, ATTACH_TIMEOUT_S)
        JobsClient.check_installed()
        folder = cluster_dir(workspace, name)
        cluster_id = os.urandom(4).hex()
        state = {
            "owned": False,
            "cluster_id": cluster_id,
            "address": address,
            "token_file": token_path,
            "cluster_dir": str(folder),
            "phase": "Succeeded",
        }
        workspace.store.create_compute_target(name, KIND, state=state)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            state["monitor_pid"] = start_monitor(workspace, folder, cluster_id, state)
            record = workspace.store.update_compute_target(name, state=state)
        except BaseException:
            stop_cluster_processes(cluster_id, [])
            with contextlib.suppress(NotFoundError):
                workspace.store.delete_compute_target(name)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return cls.of_record(workspace, record)

    @classmethod
    def get(cls, workspace: WorkspaceLike, name: str) -> RayCompute:
        """The Ray target ``name`` of the workspace (same as ``RayCompute(workspace, name)``).

        Raises:
            NotFoundError: there is none (or it is not a Ray target).
        """
        return cls(workspace, name)

    def delete(self) -> None:
        """Stop what runlab started for this cluster and forget it. An attached cluster is
        only detached (it keeps running).

        Raises:
            BackendError: a process of the cluster would not stop (the record is kept).
        """
        state = self._record.state
        if state.get("cluster_dir"):
            (Path(state["cluster_dir"]) / "monitor.json").unlink(missing_ok=True)
        leaders = [state["head_pid"]] if state.get("owned") and state.get("head_pid") else []
        left = stop_cluster_processes(str(state.get("cluster_id", "")), leaders)
        if left:
            raise BackendError(f"processes {left} of compute target {self.name!r} would not stop")
        with contextlib.suppress(NotFoundError):
            self._workspace.store.delete_compute_target(self.name)
        remove_folders(Path(state.get("cluster_dir", "")), state)

    def detach(self) -> None:
        """Forget an attached cluster, leaving it running (same as :meth:`delete` for one).

        Raises:
            ValidationError: the cluster was created by runlab (``delete()`` it instead).
        """
        if self.owned:
            raise ValidationError(f"{self.name!r} was created by runlab: delete() it instead")
        self.delete()

    def update(
        self,
        min_nodes: int | str | None = None,
        max_nodes: int | str | None = None,
        idle_seconds_before_scaledown: int | str | None = None,
    ) -> None:
        """Change the scale settings of a cluster runlab created; the autoscaler follows
        within a few seconds.

        Raises:
            ValidationError: bad settings, or an attached cluster (its owner scales it).
        """
        config = self.provisioning
        if config is None or not self.owned:
            raise ValidationError(f"{self.name!r} is attached: scale it where it was made")
        changed = dataclasses.replace(
            config,
            min_nodes=config.min_nodes
            if min_nodes is None
            else whole_number(min_nodes, "min_nodes"),
            max_nodes=config.max_nodes
            if max_nodes is None
            else whole_number(max_nodes, "max_nodes"),
            idle_seconds_before_scaledown=(
                config.idle_seconds_before_scaledown
                if idle_seconds_before_scaledown is None
                else whole_number(idle_seconds_before_scaledown, "idle_seconds_before_scaledown")
            ),
        )
        changed.check()
        from runlab.compute.ray._head import rewrite_autoscaling_config

        rewrite_autoscaling_config(Path(self._record.state["cluster_dir"]), changed)
        self._record = self._workspace.store.update_compute_target(
            self.name, config=changed.to_dict()
        )

    # -- what it is ----------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The target's name in the workspace."""
        return self._record.name

    @property
    def owned(self) -> bool:
        """Whether runlab started this cluster (else it is attached)."""
        return bool(self._record.state.get("owned"))

    @property
    def address(self) -> str:
        """The cluster's Jobs API address."""
        return str(self._record.state["address"])

    @property
    def provisioning(self) -> RayProvisioningConfiguration | None:
        """The configuration it was created with (None when attached)."""
        config = self._record.config
        return RayProvisioningConfiguration.from_dict(config) if config else None

    @property
    def client(self) -> JobsClient:
        """The Jobs API client (made on first use)."""
        if self._client is None:
            state = self._record.state
            self._client = JobsClient(state["address"], state.get("token_file"))
        return self._client

    def __repr__(self) -> str:
        kind = "owned" if self.owned else "attached"
        return f"RayCompute(name={self.name!r}, address={self.address!r}, {kind})"

    def has_gpu(self) -> bool:
        """Whether the cluster's nodes have GPUs (its node shape, capped by this machine's
        GPUs, for a cluster runlab created; its nodes' resources, when attached)."""
        if self.owned:
            return bool(self._record.state.get("node_gpus", 0))
        with contextlib.suppress(BackendError):
            return any(node.resources.get("GPU") for node in self.client.alive_worker_nodes())
        return False

    # -- jobs ----------------------------------------------------------------------------

    def submit(self, spec: JobSpec) -> dict[str, Any]:
        """Submit the job entry as a Ray job (``submission_id`` = the run id); returns
        ``{"submission_id", "target", "address"}``.

        Raises:
            ValidationError: a GPU asked of a cluster without.
            BackendError: the cluster refused or did not answer.
        """
        if spec.use_gpu and not self.has_gpu():
            raise ValidationError(f"use_gpu=True, but {self.name!r} has no GPU nodes")
        self._ensure_monitor()
        spec = dataclasses.replace(spec, max_concurrent_runs=0)  # Ray schedules the jobs
        config = self.provisioning
        entrypoint, runtime_env = self._entrypoint(spec)
        self.client.submit_job(
            entrypoint,
            submission_id=spec.run_id,
            runtime_env=runtime_env,
            num_cpus=1,
            # A GPU node shape means the job wants its GPU, as on the SDK's NC sizes.
            num_gpus=1 if spec.use_gpu or self._record.state.get("node_gpus") else 0,
            metadata={
                RUN_ID_KEY: spec.run_id,
                PENDING_TIMEOUT_KEY: str(config.pending_timeout_s if config else 600.0),
            },
        )
        return {"submission_id": spec.run_id, "target": self.name, "address": self.address}

    def _entrypoint(self, spec: JobSpec) -> tuple[str, dict[str, Any] | None]:
        """The Ray job's entrypoint, and its runtime env (None when it needs none).

        A cluster on this machine reads the spec from a 0600 file in the cluster's folder (a
        server-backed workspace's spec holds RUNLAB_TOKEN in its job variables). A cluster on
        another machine cannot read the submitter's files (only a server-backed workspace may
        use one): the spec, without the token, travels as ``RUNLAB_JOB_SPEC`` and the token as
        ``RUNLAB_TOKEN`` in the job's runtime env variables, and the entry is started with
        the ``python`` first on the node's PATH, which must have runlab installed.
        """
        host = urllib.parse.urlsplit(self.address).hostname
        if host not in _LOCAL_HOSTS and server_url(self._workspace) is not None:
            variables = dict(spec.environment_variables)
            token = variables.pop(_TOKEN_ENV, None)
            travelling = dataclasses.replace(spec, environment_variables=variables)
            env_vars = {_SPEC_ENV: travelling.to_json()}
            if token:
                env_vars[_TOKEN_ENV] = token
            return "exec python -m runlab.jobs.entry -", {"env_vars": env_vars}
        jobs_dir = Path(self._record.state["cluster_dir"]) / "jobs"
        spec_file = jobs_dir / f"{spec.run_id}.json"
        try:
            jobs_dir.mkdir(parents=True, exist_ok=True)
            # 0600 from the start: a server-backed workspace's spec holds RUNLAB_TOKEN. No
            # fsync: a crash of the machine loses the job with its spec.
            write_atomic(spec_file, spec.to_json(), mode=0o600, sync=False)
        except OSError as error:
            raise BackendError(f"cannot write the job spec of {spec.run_id}: {error}") from error
        # The job root as a shell assignment, not a runtime_env: a runtime env costs a round
        # through Ray's runtime env agent per job; raw variables cost nothing.
        entrypoint = f"RUNLAB_JOB_ROOT={shlex.quote(str(jobs_dir))} exec " + shlex.join(
            [sys.executable, "-m", "runlab.jobs.entry", str(spec_file)]
        )
        return entrypoint, None

    def _ensure_monitor(self) -> None:
        """Start the cluster's monitor again if it died (a reboot, a kill): without it a job
        that Ray fails before its entry starts would leave its run Queued."""
        state = dict(self._record.state)
        if monitor_alive(state) or not (Path(state["cluster_dir"]) / "monitor.json").exists():
            return
        folder = Path(state["cluster_dir"])
        state["monitor_pid"] = start_monitor(self._workspace, folder, state["cluster_id"], state)
        self._record = self._workspace.store.update_compute_target(self.name, state=state)

    def cancel(self, handle: dict[str, Any]) -> None:
        """``stop_job`` the Ray job and wait until Ray reports it ended. A job still PENDING
        cannot be stopped by Ray: the run is then ended by the caller, and the monitor stops
        the job if it ever starts. A job the cluster no longer knows (a head that restarted
        forgets its jobs) has nothing left to stop.

        Raises:
            BackendError: the cluster did not answer, or the job did not stop in time.
        """
        submission_id = str(handle["submission_id"])
        jobs = self.client
        try:
            if jobs.get_job_status(submission_id) is JobState.PENDING:
                return
            jobs.stop_job(submission_id)
            deadline = time.monotonic() + CANCEL_TIMEOUT_S
            while time.monotonic() < deadline:
                if jobs.get_job_status(submission_id).is_terminal:
                    return
                time.sleep(0.2)
        except NotFoundError:
            return
        raise BackendError(f"the Ray job {submission_id} did not stop within {CANCEL_TIMEOUT_S} s")
