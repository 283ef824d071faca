"""What a submitted run records to be traced and re-run: its environment lock and git state.

The **environment lock** lists every distribution installed in the interpreter that runs the
script, with its version, plus the Python version and the platform; it is read by that
interpreter itself (``importlib.metadata``), so it is what ran, not what was asked for. For an
environment runlab built, that is uv's resolution of the spec. The **git state** is the commit
of the repository holding the source folder and whether it had uncommitted changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from runlab.errors import BackendError

__all__ = ["LOCK_FORMAT", "environment_lock", "git_state", "lock_hash", "lock_requirements"]

LOCK_FORMAT = "runlab.environment-lock/1"

# Run by the script's interpreter: only the standard library, so any Python 3.8+ answers.
_LOCK_CODE = r"""
import importlib.metadata as metadata, json, platform, sys, sysconfig
packages, direct = {}, {}
for distribution in metadata.distributions():
    name = distribution.metadata["Name"]
    if not name:
        continue
    key = name.lower().replace("_", "-").replace(".", "-")
    packages[key] = distribution.version
    try:
        url = json.loads(distribution.read_text("direct_url.json") or "{}").get("url")
    except ValueError:
        url = None
    if url:
        direct[key] = url
print(json.dumps({
    "python": platform.python_version(),
    "implementation": sys.implementation.name,
    "platform": sysconfig.get_platform(),
    "packages": dict(sorted(packages.items())),
    "direct": dict(sorted(direct.items())),
}))
"""

# Never pinned by version when an environment is rebuilt from a lock: runlab itself is
# installed by the builder (the runlab running now), and uv's venvs get no pip.
_NOT_PINNED = {"runlab", "pip", "setuptools", "wheel"}


def environment_lock(python: str, environment: dict[str, Any]) -> dict[str, Any]:
    """The lock of the interpreter ``python``: distributions and versions, Python, platform.

    Args:
        python: the interpreter that runs the script.
        environment: the environment spec it was made from (``Environment.to_dict()``); its
            requirements are kept beside the resolution, its variables' values are not.

    Raises:
        BackendError: the interpreter could not be asked.
    """
    try:
        answer = subprocess.run(
            [python, "-c", _LOCK_CODE],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            check=True,
        )
        lock: dict[str, Any] = json.loads(answer.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as error:
        detail = getattr(error, "stderr", "") or error
        raise BackendError(f"could not read the packages of {python}: {detail}") from error
    lock["format"] = LOCK_FORMAT
    lock["user_managed"] = bool(environment.get("user_managed"))
    lock["requested"] = {
        "pip_packages": list(environment.get("pip_packages", [])),
        "conda_packages": list(environment.get("conda_packages", [])),
        "python_version": environment.get("python_version"),
    }
    return lock


def lock_hash(lock: dict[str, Any]) -> str:
    """The sha256 of a lock's canonical JSON."""
    text = json.dumps(lock, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lock_requirements(lock: dict[str, Any]) -> list[str]:
    """The requirements that rebuild a locked environment exactly: ``name==version`` for
    each distribution (a direct URL for those installed from one), runlab aside."""
    direct = lock.get("direct", {})
    requirements = []
    for name, version in sorted(lock.get("packages", {}).items()):
        if name in _NOT_PINNED:
            continue
        url = direct.get(name)
        if url and url.startswith("file://"):
            path = url[len("file://") :]
            requirements.append(path if path.endswith(".whl") else f"{name}=={version}")
        elif url:
            requirements.append(f"{name} @ {url}")
        else:
            requirements.append(f"{name}=={version}")
    return requirements


def git_state(folder: str | os.PathLike[str]) -> tuple[str, bool] | None:
    """The commit checked out in the git repository holding ``folder`` and whether it has
    uncommitted changes (untracked files included); None outside a repository or without
    git."""
    path = Path(folder)

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(path), *arguments],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=30,
            check=True,
        ).stdout

    try:
        commit = git("rev-parse", "--verify", "HEAD").strip()
        dirty = bool(git("status", "--porcelain").strip())
    except (OSError, subprocess.SubprocessError):
        return None
    return commit, dirty
