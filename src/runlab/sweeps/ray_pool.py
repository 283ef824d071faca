"""Slots on a Ray cluster: one warm Ray actor per slot, each hosting a sweep worker.

The controller connects to the cluster as a Ray driver and creates ``max_concurrent_runs``
actors (one CPU each, so Ray's autoscaler brings nodes up for them). Each actor starts
``python -m runlab.sweeps.worker`` once on its node, in the sweep's environment resolved
there, and hands it one trial after another: each trial is a process forked from that warm
worker, as on the local target, not a Ray job submission. The actors belong to the
controller: they end with it.

Only clusters that runlab started (``RayCompute.create``) are supported: the driver needs
their GCS address and token.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from runlab.compute.ray import ONE_MACHINE_CLUSTER
from runlab.errors import BackendError, ValidationError
from runlab.sweeps.pool import TrialPool

__all__ = ["RayActorPool", "SlotActor"]


@contextlib.contextmanager
def _ray_errors(what: str) -> Iterator[None]:
    """Ray's exceptions, as runlab's: nothing above this module sees a ``ray`` exception."""
    try:
        yield
    except (BackendError, ValidationError):
        raise
    except Exception as error:
        raise BackendError(f"{what}: {type(error).__name__}: {error}") from error


class SlotActor:
    """The body of a slot's Ray actor: a warm sweep worker on the actor's node.

    Args:
        setup: the worker's setup line (see :mod:`runlab.sweeps.worker`).
        environment: the sweep's environment, as data (resolved on this node).
        variables: environment variables for the worker.
    """

    def __init__(
        self, setup: dict[str, Any], environment: dict[str, Any], variables: dict[str, str]
    ) -> None:
        from runlab.environments import Environment, UvEnvironmentBuilder

        resolved = UvEnvironmentBuilder().resolve(
            Environment.from_dict(environment), lambda line: print(line, flush=True)
        )
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._process = subprocess.Popen(
            [str(resolved.python), "-m", "runlab.sweeps.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=os.environ | variables,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._send(setup)
        self._answer()  # ready: the imports are done

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        if stdin is None:
            raise RuntimeError("the sweep worker has no input pipe")
        stdin.write(json.dumps(message) + "\n")
        stdin.flush()

    def _answer(self) -> dict[str, Any]:
        stdout = self._process.stdout
        if stdout is None:
            raise RuntimeError("the sweep worker has no output pipe")
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"the sweep worker ended (code {self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def run(self, run_id: str, arguments: list[Any]) -> list[dict[str, Any]]:
        """Run one trial; returns the worker's answers (``started``, ``ended``)."""
        self._send({"run_id": run_id, "arguments": arguments})
        answers = []
        while True:
            answer = self._answer()
            answers.append(answer)
            if "started" in answer:
                with self._lock:
                    self._pid = int(answer["pid"])
            if "ended" in answer:
                with self._lock:
                    self._pid = None
                return answers

    def stop(self) -> None:
        """Ask the running trial's process to end."""
        from runlab.compute.processes import terminate

        with self._lock:
            if self._pid is not None:
                terminate([self._pid])


class RayActorPool(TrialPool):
    """``slots`` warm :class:`SlotActor` actors on a Ray cluster runlab started.

    Args:
        state: the cluster's recorded state (``gcs_address``, ``token_file``, ``temp_dir``).
        setup: the workers' setup line.
        environment: the sweep's environment, as data.
        variables: environment variables for the workers.
        slots: how many trials run at once.

    Raises:
        ValidationError: a cluster runlab did not start (attached).
        BackendError: Ray could not be reached.
    """

    def __init__(
        self,
        state: Mapping[str, Any],
        setup: dict[str, Any],
        environment: dict[str, Any],
        variables: dict[str, str],
        slots: int,
    ) -> None:
        if not state.get("gcs_address") or not state.get("token_file"):
            raise ValidationError(
                "sweeps run on Ray clusters that runlab started (RayCompute.create), not on"
                " attached ones"
            )
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(state["token_file"])
        if state.get("temp_dir"):
            os.environ["RAY_TMPDIR"] = str(state["temp_dir"])
        os.environ.pop("RAY_ADDRESS", None)
        # Else ray.init dials the GCS at this machine's outward address, where it does not listen.
        os.environ.update(ONE_MACHINE_CLUSTER)
        with _ray_errors("cannot connect to the Ray cluster"):
            import ray as ray_module

            ray: Any = ray_module  # used untyped: its overloads do not fit an actor class
            self._ray = ray
            ray.init(address=str(state["gcs_address"]), log_to_driver=False)
            self._actor_class = ray.remote(num_cpus=1, max_concurrency=2)(SlotActor)
            self._arguments = (setup, environment, variables)
            self._actors = [self._actor_class.remote(*self._arguments) for _ in range(slots)]
        self._running: dict[Any, tuple[int, str]] = {}  # object ref -> (slot, run id)
        self._slot_of_run: dict[str, int] = {}

    def idle_slots(self) -> int:
        """How many actors have no trial."""
        return len(self._actors) - len(self._running)

    def start(self, run_id: str, arguments: list[Any]) -> None:
        """Hand the trial to an idle actor."""
        busy = {slot for slot, _run_id in self._running.values()}
        for slot, actor in enumerate(self._actors):
            if slot not in busy:
                with _ray_errors("cannot start a trial on the Ray cluster"):
                    reference = actor.run.remote(run_id, arguments)
                self._running[reference] = (slot, run_id)
                self._slot_of_run[run_id] = slot
                return
        raise BackendError("no sweep actor is idle")

    def events(self, timeout_s: float) -> list[dict[str, Any]]:
        """The trials that ended (see :class:`TrialPool`)."""
        if not self._running:
            if timeout_s > 0:
                threading.Event().wait(timeout_s)
            return []
        with _ray_errors("cannot follow the trials on the Ray cluster"):
            done, _ = self._ray.wait(
                list(self._running), num_returns=len(self._running), timeout=timeout_s
            )
        found: list[dict[str, Any]] = []
        for reference in done:
            slot, run_id = self._running.pop(reference)
            self._slot_of_run.pop(run_id, None)
            try:
                found.extend(self._ray.get(reference))
            except Exception as error:  # the actor or its node died under the trial
                found.append({"lost": run_id, "message": f"the trial's Ray actor failed: {error}"})
                with _ray_errors("cannot replace a sweep actor"):
                    self._actors[slot] = self._actor_class.remote(*self._arguments)
        return found

    def stop_trial(self, run_id: str) -> None:
        """Ask the trial's process to end, through its actor."""
        slot = self._slot_of_run.get(run_id)
        if slot is not None:
            with contextlib.suppress(Exception):
                self._actors[slot].stop.remote()

    def close(self) -> None:
        """End the actors (and their workers) and leave the cluster."""
        with contextlib.suppress(Exception):
            for actor in self._actors:
                self._ray.kill(actor)
            self._ray.shutdown()
