"""Environments built with uv, cached by what determines them, built once under a file lock."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import filelock

from runlab._files import write_atomic
from runlab.environments._uv import find_interpreter, find_uv, run_uv, venv_python
from runlab.environments.azureml_shim import (
    SHIM_DISTRIBUTION,
    azureml_requirements,
    build_shim_wheel,
    without_azureml,
)
from runlab.environments.base import EnvironmentBuilder, ResolvedEnvironment
from runlab.environments.cache import (
    MAX_SIZE_ENV,
    READY_MARKER,
    parse_size,
    prune_cache,
    record_use,
)
from runlab.environments.spec import Environment
from runlab.errors import BackendError, ValidationError

__all__ = ["UvEnvironmentBuilder", "runlab_requirement"]

LOCK_TIMEOUT_S = 30 * 60
Log = Callable[[str], None]


def runlab_requirement() -> list[str]:
    """The uv arguments that install, into a new environment, the runlab running now.

    A job's script does ``from runlab import Run``, so every environment gets runlab too, the
    same one the submitter has. Read from runlab's install record (PEP 610
    ``direct_url.json``): an editable install gives ``["-e", <project folder>]``, a local
    folder or file (wheel) that still exists gives its path, a remote archive or VCS checkout
    gives ``runlab @ <url>``; a release from an index, or anything else, ``runlab==<version>``.
    """
    try:
        distribution = importlib.metadata.distribution("runlab")
    except importlib.metadata.PackageNotFoundError:
        from runlab._version import __version__  # a source tree, not installed

        return [f"runlab=={__version__}"]
    record = json.loads(distribution.read_text("direct_url.json") or "{}")
    url = str(record.get("url", ""))
    if url.startswith("file://"):
        local = Path(unquote(urlparse(url).path))
        if local.exists():
            editable = bool(record.get("dir_info", {}).get("editable"))
            return ["-e", str(local)] if editable else [str(local)]
    elif "vcs_info" in record:
        vcs = record["vcs_info"]
        return [f"runlab @ {vcs['vcs']}+{url}@{vcs.get('commit_id', '')}".rstrip("@")]
    elif url:
        return [f"runlab @ {url}"]
    return [f"runlab=={distribution.version}"]


def _default_cache_dir() -> Path:
    configured = os.environ.get("RUNLAB_ENV_CACHE")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "runlab" / "environments"


class UvEnvironmentBuilder(EnvironmentBuilder):
    """Builds each distinct environment once, with uv, into a cache folder shared by processes.

    An environment lives in ``<cache>/<key>/``, where the key hashes the spec's
    :meth:`~Environment.spec_hash` together with what else decides its contents here: the
    runlab it installs (:func:`runlab_requirement`, version and dependencies), the Python
    (its version when the spec leaves it unset), the platform, and the bytes of local wheels.
    A marker file, written last, says it is complete. Builds happen in
    ``<cache>/<key>.building-<random>/`` under ``<cache>/<key>.lock`` and are renamed into
    place, so no one ever uses half an environment. Environments are made relocatable
    (``uv venv --relocatable``) so their scripts survive the rename.

    Args:
        cache_dir: where environments are kept; default ``$RUNLAB_ENV_CACHE``, else
            ``~/.cache/runlab/environments``.
        uv: the uv executable; default the one beside this interpreter, then ``uv`` on the
            ``PATH``, then the one the ``uv`` Python package ships. Looked for only when
            something must be built.
    """

    def __init__(self, cache_dir: Path | None = None, uv: str | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else _default_cache_dir()
        self._uv = uv

    def check(self, environment: Environment) -> None:
        """See :meth:`EnvironmentBuilder.check`: the interpreter it asks for exists here."""
        if environment.user_managed or environment.python_version is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        find_interpreter(find_uv(self._uv), environment.python_version, self.cache_dir)

    def resolve(self, environment: Environment, log: Log) -> ResolvedEnvironment:
        """See :meth:`EnvironmentBuilder.resolve`.

        With ``$RUNLAB_ENV_CACHE_MAX_SIZE`` set (``5G``), a build is followed by removing the
        least recently used environments that no job runs in until the cache fits.
        """
        spec_hash = environment.spec_hash()
        if environment.user_managed:
            if environment.interpreter_path is not None:
                interpreter = Path(environment.interpreter_path)
                if not interpreter.is_file():
                    raise ValidationError(
                        f"environment {environment.name}: its interpreter_path {interpreter} "
                        "does not exist on this machine"
                    )
                log(
                    f"environment {environment.name} is user-managed: using its interpreter "
                    f"{interpreter}, installing nothing"
                )
                return ResolvedEnvironment(interpreter, True, spec_hash, None)
            log(
                f"environment {environment.name} is user-managed: using the submitter's "
                f"interpreter {sys.executable}, installing nothing"
            )
            return ResolvedEnvironment(Path(sys.executable), True, spec_hash, None)
        asked = azureml_requirements(environment.install_requirements())
        if asked:
            log(
                f"environment {environment.name} asks for {', '.join(asked)}: runlab installs "
                f"its azureml shim ({SHIM_DISTRIBUTION}) in their place, so `azureml.X` is "
                "runlab.compat.azureml.X and the script logs to runlab"
            )
        limit = os.environ.get(MAX_SIZE_ENV)
        max_bytes = parse_size(limit) if limit else None  # a bad bound fails before building
        key = self._cache_key(environment)
        env_dir = self.cache_dir / key
        resolved = ResolvedEnvironment(venv_python(env_dir), True, spec_hash, env_dir)
        if self._reuse(env_dir, log):
            record_use(env_dir)
            return resolved
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with self._locked(key, log):
                if self._reuse(env_dir, log):  # built by another process while we waited
                    record_use(env_dir)
                    return resolved
                self._build(environment, key, env_dir, log)
        except OSError as error:
            message = f"environment cache {self.cache_dir} is unusable: {error}"
            raise BackendError(message) from error
        if max_bytes is not None:
            self._bound_cache(key, max_bytes, log)
        return ResolvedEnvironment(resolved.python, False, spec_hash, env_dir)

    def _bound_cache(self, built_key: str, max_bytes: int, log: Log) -> None:
        """Remove the least recently used environments (never one in use, nor the one just
        built) until the cache holds at most ``max_bytes``."""
        removed = prune_cache(self.cache_dir, max_total_bytes=max_bytes, keep=(built_key,))
        for item in removed:
            log(f"removed environment {item.key[:12]} from the cache ({MAX_SIZE_ENV} is set)")

    def _cache_key(self, environment: Environment) -> str:
        try:
            runlab = importlib.metadata.distribution("runlab")
            runlab_identity = [runlab.version, sorted(runlab.requires or [])]
        except importlib.metadata.PackageNotFoundError:
            runlab_identity = []
        wheels = {}
        for package in environment.install_requirements():
            # A rebuilt wheel keeps its path: its bytes, not its name, say what gets installed.
            path = unquote(urlparse(package).path) if package.startswith("file://") else package
            if path.startswith("/"):
                with contextlib.suppress(OSError):  # a missing wheel fails the build instead
                    wheels[package] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        identity = {
            "spec": environment.spec_hash(),
            "runlab": [runlab_requirement(), *runlab_identity],
            # Unset means "the submitter's Python": its exact version decides the build.
            "python": environment.python_version or platform.python_version(),
            "implementation": sys.implementation.name,
            "platform": [sys.platform, platform.machine()],
            "wheels": wheels,
        }
        text = json.dumps(identity, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @staticmethod
    def _reuse(env_dir: Path, log: Log) -> bool:
        try:
            built = json.loads((env_dir / READY_MARKER).read_text(encoding="utf-8"))["built"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        log(f"reusing environment {env_dir.name[:12]} (built {built})")
        return True

    @contextlib.contextmanager
    def _locked(self, key: str, log: Log) -> Iterator[None]:
        lock = filelock.FileLock(self.cache_dir / f"{key}.lock")
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            log(f"waiting for another build of environment {key[:12]} to finish")
            try:
                lock.acquire(timeout=LOCK_TIMEOUT_S)
            except filelock.Timeout as error:
                raise BackendError(
                    f"environment {key[:12]} has been building elsewhere for over "
                    f"{LOCK_TIMEOUT_S // 60} minutes; remove {lock.lock_file} if nothing is"
                ) from error
        try:
            yield
        finally:
            lock.release()

    def _build(self, environment: Environment, key: str, env_dir: Path, log: Log) -> None:
        """Build into a staging folder, move it into place, then mark it ready."""
        uv = find_uv(self._uv)
        interpreter = find_interpreter(uv, environment.python_version, self.cache_dir)
        # Under the lock no one else builds this key: leftovers are from builds that died.
        for leftover in self.cache_dir.glob(f"{key}.building-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if env_dir.exists():
            shutil.rmtree(env_dir)
        staging = self.cache_dir / f"{key}.building-{secrets.token_hex(8)}"
        try:
            # Relocatable: the scripts it installs keep working after the rename below.
            venv = [uv, "venv", "--relocatable", "--python", interpreter, str(staging)]
            run_uv(venv, log, self.cache_dir, environment.name)
            packages = environment.install_requirements()
            installed = without_azureml(packages)
            if len(installed) < len(packages):
                installed.append(str(build_shim_wheel(self.cache_dir / "shim")))
            if environment.conda_packages:
                log(
                    f"conda is not used: installing conda_packages {environment.conda_packages} "
                    "from PyPI by the same names"
                )
            install = [uv, "pip", "install", "--python", str(venv_python(staging))]
            install += [*installed, *runlab_requirement()]
            run_uv(install, log, self.cache_dir, environment.name)
            staging.rename(env_dir)
            marker = {
                "built": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "spec_hash": environment.spec_hash(),
                "packages": packages,
            }
            write_atomic(env_dir / READY_MARKER, json.dumps(marker, indent=2))
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            if not (env_dir / READY_MARKER).exists():
                shutil.rmtree(env_dir, ignore_errors=True)
            raise
