"""What the fault tests share: `runlab server` as a child process that a test may kill and
start again on the same port, a PostgreSQL cluster of the test's own, and a free port."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from helpers import eventually

__all__ = ["OwnPostgres", "ServerProcess", "StallingProxy", "free_port", "stop_process"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """End a child process of the test: SIGTERM, then SIGKILL after ``grace_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


class ServerProcess:
    """`runlab server` over a workspace folder, as a child process on a fixed port, so that
    clients keep their URL when it is killed and started again.

    Args:
        folder: the workspace folder.
        log: where the server's output goes (appended across restarts).
        environment: extra environment variables (e.g. S3 credentials).
    """

    def __init__(self, folder: Path, log: Path, environment: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.environment = {k: v for k, v in os.environ.items() if k != "RUNLAB_TOKEN"}
        self.environment.update(environment or {})
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "runlab.cli", "server", "--workspace", str(self.folder),
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
                env=self.environment, stdin=subprocess.DEVNULL, stdout=output,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        process = self.process

        def answers() -> bool:
            assert process.poll() is None, self.log.read_text(errors="replace")
            return httpx.get(f"{self.url}/api/workspace", timeout=2).status_code == 200

        eventually(answers, ignoring=(httpx.HTTPError,), message=f"the server at {self.url}")

    def kill(self) -> None:
        """SIGKILL the server: no shutdown, no goodbye to its clients."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """End the server if it runs."""
        if self.process is not None:
            stop_process(self.process)


class OwnPostgres:
    """A PostgreSQL cluster of the test's own, in a temporary folder, on a free port."""

    def __init__(self, data: Path, binaries: Path) -> None:
        self.data = data
        self.binaries = binaries
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.log = data.parent / "postgres.log"

    def _command(self, *arguments: str) -> list[str]:
        command = [str(self.binaries / arguments[0]), *arguments[1:]]
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            return ["runuser", "-u", "postgres", "--", *command]
        return command

    def _run(self, *arguments: str) -> None:
        done = subprocess.run(
            self._command(*arguments), capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(arguments[:2])} failed: {done.stdout}{done.stderr}")

    def initdb(self) -> None:
        """Create the cluster: trust authentication on 127.0.0.1, this port."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                  "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``fast``: roll back and disconnect; ``immediate``: as a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "fast") -> None:
        """Stop and start again on the same port."""
        self.stop(mode)
        self.start()


class StallingProxy:
    """A TCP proxy on 127.0.0.1 to ``target_port`` that can stop forwarding: while stalled,
    it accepts connections and takes bytes in both directions but passes none on (what a
    half-dead network path or a hung load balancer looks like to a client); once resumed,
    what it holds goes through late, as a slow network would deliver it.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.flowing = threading.Event()
        self.flowing.set()
        self._closed = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, name="proxy-accept", daemon=True).start()

    def stall(self) -> None:
        """Stop forwarding (connections stay open)."""
        self.flowing.clear()

    def resume(self) -> None:
        """Forward again, what was held first."""
        self.flowing.set()

    def close(self) -> None:
        """Close the listener and every connection."""
        self._closed.set()
        self.flowing.set()
        for sock in [self.listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _address = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, target), name="proxy-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while not self.flowing.wait(0.1):
                    if self._closed.is_set():
                        return
                target.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                target.shutdown(socket.SHUT_WR)
