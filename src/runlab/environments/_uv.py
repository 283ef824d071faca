"""Running uv: finding the executable and an interpreter, streaming a command's output."""

from __future__ import annotations

import collections
import contextlib
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from runlab.environments.errors import EnvironmentBuildError
from runlab.errors import BackendError, ValidationError

__all__ = ["find_interpreter", "find_uv", "run_uv", "venv_python"]

_INSTALL_UV = "install it with `pip install uv`"


def venv_python(venv_dir: Path, platform: str = sys.platform) -> Path:
    """The interpreter of the virtual environment in ``venv_dir``.

    Args:
        venv_dir: the environment's folder (the one holding ``pyvenv.cfg``).
        platform: a :data:`sys.platform` value; default this machine's. Windows
            (``"win32"``) puts the interpreter in ``Scripts\\python.exe``, every other
            platform in ``bin/python``.

    Example:
        >>> venv_python(Path("env"), platform="win32").parts
        ('env', 'Scripts', 'python.exe')
    """
    if platform == "win32":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def find_uv(explicit: str | None) -> str:
    """The uv executable: ``explicit`` if given, else the one beside this interpreter, then
    ``uv`` on the ``PATH``, then the one the ``uv`` Python package ships.

    Raises:
        BackendError: none found; the message says how to install uv.
    """
    beside_python = Path(sys.executable).parent / ("uv.exe" if os.name == "nt" else "uv")
    for candidate in [explicit] if explicit else [str(beside_python), "uv"]:
        if found := shutil.which(candidate):
            return found
    if not explicit:
        with contextlib.suppress(ImportError, FileNotFoundError):
            import uv  # the PyPI package ships the binary

            return str(uv.find_uv_bin())
    where = f" at {explicit}" if explicit else ""
    raise BackendError(f"uv not found{where}: runlab builds environments with it; {_INSTALL_UV}")


def _environment() -> dict[str, str]:
    # Nothing may be downloaded but packages; plain text for the log. The rest of the caller's
    # environment passes through, so UV_INDEX_URL, UV_OFFLINE, proxies etc. work as usual.
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1", "UV_NO_PROGRESS": "1"}


def find_interpreter(uv: str, python_version: str | None, cwd: Path) -> str:
    """The interpreter to base an environment on; the current one when its version fits.

    Raises:
        ValidationError: this machine has no such Python (none is ever downloaded).
    """
    current = platform.python_version()
    if python_version is None or f"{current}.".startswith(f"{python_version}."):
        return sys.executable
    try:
        found = subprocess.run(
            [uv, "python", "find", python_version],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=_environment(),
            cwd=cwd,
            check=False,
        )
    except OSError as error:
        raise BackendError(f"cannot run uv ({uv}): {error}; {_INSTALL_UV}") from error
    if found.returncode == 0 and found.stdout.strip():
        return found.stdout.strip().splitlines()[-1]
    said = next((line for line in found.stderr.splitlines() if line.strip()), "")
    raise ValidationError(
        f"no Python {python_version} on this machine (runlab does not download interpreters): "
        f"install it, or leave python_version unset to use {current}"
        + (f" (uv: {said.removeprefix('error: ').strip()})" if said else "")
    )


def _masked(command: list[str]) -> str:
    """The command line for the log, without passwords in URLs."""
    return re.sub(r"://[^/@\s]+@", "://***@", shlex.join(command))


def _why_it_failed(output: collections.deque[str]) -> str:
    """The lines of uv's output that say why it failed, joined into one."""
    reasons = [
        line.strip()
        for line in output
        if re.match(r"\s*(?:(?:error|cause|hint|help)\b|\u00d7|\u2570)", line)
        or "No solution found" in line
        or "not found in the package registry" in line
    ]
    chosen = reasons or [line.strip() for line in output if line.strip()][-5:]
    return " ".join(dict.fromkeys(chosen)) or "uv ended without saying why"


def run_uv(command: list[str], log: Callable[[str], None], cwd: Path, what: str) -> None:
    """Run a uv command, its command line first, then its output into ``log`` as it comes.

    Args:
        command: the uv executable and its arguments.
        log: called with each line, without its line ending.
        cwd: where uv runs; not a project folder, whose uv settings would leak in.
        what: the environment's name, for the error message.

    Raises:
        EnvironmentBuildError: uv failed; the message quotes the lines that say why.
        BackendError: uv could not be started.
    """
    log(_masked(command))
    tail: collections.deque[str] = collections.deque(maxlen=60)
    try:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=_environment(),
            cwd=cwd,
        )
    except OSError as error:
        raise BackendError(f"cannot run uv ({command[0]}): {error}; {_INSTALL_UV}") from error
    with process:
        try:
            for line in process.stdout or ():
                line = line.rstrip("\r\n")
                tail.append(line)
                log(line)
        except BaseException:  # the log failed, or Ctrl-C: do not leave uv running
            process.kill()
            raise
    if process.wait() != 0:
        raise EnvironmentBuildError(f"building environment {what} failed: {_why_it_failed(tail)}")
