"""The cache of built environments, seen and bounded: what is there, how big, when last used,
which jobs use it now; and pruning by age or total size, never an environment a job uses.

Each environment :class:`~runlab.environments.UvEnvironmentBuilder` builds lives in
``<cache>/<key>/``. Beside what uv put there, runlab keeps ``.runlab-ready`` (when it was
built, its spec hash and packages), ``.runlab-last-use`` (touched by every resolve) and
``.runlab-users/<pid>`` (one file per job running in it, removed when the job ends).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import filelock
import psutil

from runlab.errors import InvalidStateError, NotFoundError, ValidationError

__all__ = [
    "MAX_SIZE_ENV",
    "CachedEnvironment",
    "find_cached",
    "in_use",
    "list_cached",
    "parse_size",
    "prune_cache",
    "record_use",
]

MAX_SIZE_ENV = "RUNLAB_ENV_CACHE_MAX_SIZE"
"""Environment variable: after each build, the least recently used environments not in use
are removed until the cache holds at most this much (``5G``, ``500M``); unset: no bound."""
READY_MARKER = ".runlab-ready"
LAST_USE_MARKER = ".runlab-last-use"
USERS_DIR = ".runlab-users"


@dataclasses.dataclass(frozen=True)
class CachedEnvironment:
    """One built environment in the cache.

    Attributes:
        key: its folder's name (the hash of what determines it).
        path: its folder.
        size_bytes: the bytes of its files (links not followed).
        built_time: when it was built (seconds since the epoch).
        last_used_time: when a job last resolved it (its build time if never since).
        spec_hash: :meth:`Environment.spec_hash` of its spec; a run records the same hash
            (``runlab.environment_hash``), which finds the runs that used it.
        packages: the requirements it was built with.
        users: the process ids of the jobs running in it now.
    """

    key: str
    path: Path
    size_bytes: int
    built_time: float
    last_used_time: float
    spec_hash: str
    packages: tuple[str, ...]
    users: tuple[int, ...]


def parse_size(text: str) -> int:
    """Bytes from a size like ``500M``, ``2G``, ``2.5GB``, ``1024`` (powers of 1024).

    Raises:
        ValidationError: not such a size.
    """
    units = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    cleaned = text.strip().upper().removesuffix("IB").removesuffix("B")
    number = cleaned.rstrip("KMGT")
    unit = cleaned[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = -1.0
    if unit not in units or not value >= 0:
        raise ValidationError(f"size {text!r} is not like 500M, 2G or 2.5GB")
    return int(value * units[unit])


def _folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _alive(pid: int) -> bool:
    # psutil, not os.kill(pid, 0): on Windows that call ends the process.
    return bool(psutil.pid_exists(pid))


def _users(env_dir: Path) -> tuple[int, ...]:
    pids = []
    with contextlib.suppress(OSError):
        for entry in (env_dir / USERS_DIR).iterdir():
            if entry.name.isdigit() and _alive(int(entry.name)):
                pids.append(int(entry.name))
            else:
                with contextlib.suppress(OSError):  # a job that died without cleaning up
                    entry.unlink()
    return tuple(sorted(pids))


def _describe(env_dir: Path) -> CachedEnvironment | None:
    try:
        marker = json.loads((env_dir / READY_MARKER).read_text(encoding="utf-8"))
        built = datetime.datetime.fromisoformat(marker["built"]).timestamp()
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a finished environment (being built, or not runlab's)
    try:
        last_used = (env_dir / LAST_USE_MARKER).stat().st_mtime
    except OSError:
        last_used = built
    return CachedEnvironment(
        key=env_dir.name,
        path=env_dir,
        size_bytes=_folder_size(env_dir),
        built_time=built,
        last_used_time=max(last_used, built),
        spec_hash=str(marker.get("spec_hash", "")),
        packages=tuple(marker.get("packages", [])),
        users=_users(env_dir),
    )


def list_cached(cache_dir: Path) -> list[CachedEnvironment]:
    """Every finished environment in ``cache_dir``, most recently used first."""
    if not cache_dir.is_dir():
        return []
    found = [_describe(entry) for entry in cache_dir.iterdir() if entry.is_dir()]
    cached = [item for item in found if item is not None]
    return sorted(cached, key=lambda item: item.last_used_time, reverse=True)


def find_cached(cache_dir: Path, key_prefix: str) -> CachedEnvironment:
    """The environment whose key starts with ``key_prefix`` (as ``list`` shows it).

    Raises:
        ValidationError: an empty prefix, or one several environments share.
        NotFoundError: none has it.
    """
    if not key_prefix:
        raise ValidationError("give the start of an environment's key, as `list` shows it")
    matches = [item for item in list_cached(cache_dir) if item.key.startswith(key_prefix)]
    if not matches:
        raise NotFoundError(f"no built environment {key_prefix!r} in {cache_dir}")
    if len(matches) > 1:
        raise ValidationError(
            f"{key_prefix!r} is the start of {len(matches)} environments' keys: give more of it"
        )
    return matches[0]


def record_use(env_dir: Path) -> None:
    """Note that ``env_dir`` was just resolved for a job (its last use)."""
    with contextlib.suppress(OSError):  # a read-only cache still runs jobs
        (env_dir / LAST_USE_MARKER).touch()


@contextlib.contextmanager
def in_use(env_dir: Path | None) -> Iterator[None]:
    """Mark ``env_dir`` as used by this process while the ``with`` block runs, so
    :func:`prune_cache` leaves it; None (a user-managed environment) marks nothing."""
    if env_dir is None:
        yield
        return
    marker = env_dir / USERS_DIR / str(os.getpid())
    try:
        marker.parent.mkdir(exist_ok=True)
        marker.touch()
    except OSError:
        marker = None  # type: ignore[assignment]  # a read-only cache is never pruned here
    try:
        yield
    finally:
        if marker is not None:
            with contextlib.suppress(OSError):
                marker.unlink()


def _remove(cache_dir: Path, item: CachedEnvironment) -> bool:
    """Delete one environment unless a job uses it; under its build lock, so no build or
    reuse of the same key starts meanwhile. True when it was removed."""
    lock = filelock.FileLock(cache_dir / f"{item.key}.lock")
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return False  # being built right now
    try:
        if _users(item.path):
            return False
        # Renamed first: from this instant no one takes it for ready.
        doomed = cache_dir / f"{item.key}.pruning-{secrets.token_hex(8)}"
        item.path.rename(doomed)
        shutil.rmtree(doomed, ignore_errors=True)
        return True
    finally:
        lock.release()


def prune_cache(
    cache_dir: Path,
    *,
    unused_for_s: float | None = None,
    max_total_bytes: int | None = None,
    dry_run: bool = False,
    keep: tuple[str, ...] = (),
) -> list[CachedEnvironment]:
    """Remove environments unused for longer than ``unused_for_s``, then the least recently
    used ones until the cache holds at most ``max_total_bytes``; never one a job is running
    in (it stays, and counts towards the total).

    Args:
        cache_dir: the cache.
        unused_for_s: remove what has not been used for this many seconds.
        max_total_bytes: then remove the least recently used until the rest fits.
        dry_run: only say what would be removed.
        keep: keys never removed (an environment about to be used).

    Returns:
        What was (or would be) removed.

    Raises:
        ValidationError: neither limit given, or a negative one.
        InvalidStateError: the cache folder cannot be changed.
    """
    if unused_for_s is None and max_total_bytes is None:
        raise ValidationError("say what to prune: an age (unused for), a total size, or both")
    if (unused_for_s is not None and unused_for_s < 0) or (
        max_total_bytes is not None and max_total_bytes < 0
    ):
        raise ValidationError("prune limits must not be negative")
    now = time.time()
    cached = list_cached(cache_dir)  # most recently used first
    chosen: list[CachedEnvironment] = []
    if unused_for_s is not None:
        chosen = [
            item
            for item in cached
            if not item.users and item.key not in keep and now - item.last_used_time > unused_for_s
        ]
    if max_total_bytes is not None:
        kept = [item for item in cached if item not in chosen]
        total = sum(item.size_bytes for item in kept)
        for item in reversed(kept):  # least recently used first
            if total <= max_total_bytes:
                break
            if not item.users and item.key not in keep:
                chosen.append(item)
                total -= item.size_bytes
    if dry_run:
        return chosen
    removed = []
    for item in chosen:
        try:
            if _remove(cache_dir, item):
                removed.append(item)
        except OSError as error:
            raise InvalidStateError(f"cannot remove {item.path}: {error}") from error
    return removed
