"""Snapshots: a run's source folder, packed once and stored by content hash.

A snapshot is a gzip'd tar of the folder's files, made deterministic (sorted names, zeroed
times and owners) so the same files always give the same bytes and the same id. It is stored
as ``snapshots/<sha256>.tar.gz``; runs with the same sources share one.

Ignore rules come from ``.runlabignore`` (gitignore syntax), else ``.gitignore``; ``.git``,
``.runlab`` and Python caches are always left out.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import os
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

import pathspec

from runlab._files import walk_files
from runlab.artifacts.base import ArtifactStore
from runlab.errors import BackendError, NotFoundError, ValidationError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_FILES",
    "Snapshot",
    "pack_folder",
    "restore_snapshot",
    "store_snapshot",
]

DEFAULT_MAX_BYTES = 300 * 1024 * 1024
DEFAULT_MAX_FILES = 2000
IGNORE_FILES = (".runlabignore", ".gitignore")
ALWAYS_IGNORED = (".git/", ".runlab/", "__pycache__/", "*.pyc", ".ipynb_checkpoints/")


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A packed source folder.

    Attributes:
        snapshot_id: the sha256 of the packed bytes.
        data: the gzip'd tar.
        files: the packed files' relative paths, sorted.
        total_bytes: the files' size before packing.
    """

    snapshot_id: str
    data: bytes
    files: tuple[str, ...]
    total_bytes: int


def _ignore_spec(source: Path) -> tuple[pathspec.PathSpec[Any], str | None]:
    lines = list(ALWAYS_IGNORED)
    used = None
    for name in IGNORE_FILES:
        rules = source / name
        if rules.is_file():
            lines += rules.read_text(encoding="utf-8", errors="replace").splitlines()
            used = name
            break
    return pathspec.GitIgnoreSpec.from_lines(lines), used


def _collect(source: Path, spec: pathspec.PathSpec[Any]) -> list[tuple[str, Path, int]]:
    """The files to pack; ignored folders are pruned, so a huge ignored tree (data/, .venv/)
    is never walked, and an ignored link is never checked.

    Raises:
        ValidationError: a link that is not ignored leads outside the folder.
    """

    def ignored(relative: str, is_folder: bool) -> bool:
        return spec.match_file(relative + "/" if is_folder else relative)

    try:
        found = walk_files(source, links="refuse", ignore=ignored)
    except ValidationError as error:
        raise ValidationError(
            f"cannot snapshot {source}: {error} (or ignore it in .runlabignore)"
        ) from error
    return [(file.relative, file.path, file.size) for file in found]


def _too_big(
    source: Path, found: list[tuple[str, Path, int]], limit: str, ignore_file: str | None
) -> ValidationError:
    by_file = sorted(found, key=lambda item: -item[2])[:5]
    by_folder: Counter[str] = Counter()
    for relative, _path, size in found:
        top = relative.split("/", 1)[0] if "/" in relative else "."
        by_folder[top] += size
    files = ", ".join(f"{relative} ({size / 1e6:.1f} MB)" for relative, _path, size in by_file)
    folders = ", ".join(f"{name}/ ({size / 1e6:.1f} MB)" for name, size in by_folder.most_common(5))
    where = ignore_file or ".runlabignore"
    return ValidationError(
        f"the source folder {source} is too big to snapshot: {limit}. Largest files: {files}."
        f" Largest folders: {folders}. Leave data and outputs out of the source folder, or"
        f" ignore them in {source / where} (gitignore syntax, e.g. 'data/')"
    )


def pack_folder(
    source: str | os.PathLike[str],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_files: int = DEFAULT_MAX_FILES,
) -> Snapshot:
    """Pack a source folder into a snapshot, honouring its ignore rules.

    Raises:
        NotFoundError: ``source`` is not a folder.
        ValidationError: it holds more than ``max_files`` files or ``max_bytes`` bytes once
            ignored files are left out (the message names the largest files and folders and
            how to ignore them), or a link that is not ignored leads outside it (links to
            files inside are packed as those files; links to folders are not followed).
    """
    folder = Path(source).expanduser().resolve()
    if not folder.is_dir():
        raise NotFoundError(f"the source folder {folder} does not exist")
    spec, ignore_file = _ignore_spec(folder)
    try:
        found = _collect(folder, spec)
    except OSError as error:
        raise BackendError(f"cannot read the source folder {folder}: {error}") from error
    total = sum(size for _relative, _path, size in found)
    if len(found) > max_files:
        raise _too_big(folder, found, f"{len(found)} files, more than {max_files}", ignore_file)
    if total > max_bytes:
        limit = f"{total / 1e6:.1f} MB, more than {max_bytes / 1e6:.1f} MB"
        raise _too_big(folder, found, limit, ignore_file)
    buffer = io.BytesIO()
    # mtime=0 and zeroed owners: the same files always pack to the same bytes.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for relative, path, size in found:
            info = tarfile.TarInfo(relative)
            info.size = size
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            try:
                with path.open("rb") as handle:
                    archive.addfile(info, handle)
            except OSError as error:
                raise BackendError(f"cannot read {path} for the snapshot: {error}") from error
    data = buffer.getvalue()
    return Snapshot(
        snapshot_id=hashlib.sha256(data).hexdigest(),
        data=data,
        files=tuple(relative for relative, _path, _size in found),
        total_bytes=total,
    )


def snapshot_path(snapshot_id: str) -> str:
    """Where a snapshot lives in the artifact store."""
    if len(snapshot_id) != 64 or any(char not in "0123456789abcdef" for char in snapshot_id):
        raise ValidationError(f"{snapshot_id!r} is not a snapshot id (64 hex digits)")
    return f"snapshots/{snapshot_id}.tar.gz"


def store_snapshot(artifacts: ArtifactStore, snapshot: Snapshot) -> bool:
    """Store a snapshot unless one with its id is there already; True if it was stored."""
    key = snapshot_path(snapshot.snapshot_id)
    if artifacts.exists(key):
        return False
    artifacts.put_bytes(key, snapshot.data)
    return True


def restore_snapshot(
    artifacts: ArtifactStore, snapshot_id: str, target: str | os.PathLike[str]
) -> list[Path]:
    """Unpack a stored snapshot into the folder ``target`` (created if missing).

    Members are unpacked with tarfile's ``data`` filter, so nothing lands outside ``target``.

    Raises:
        NotFoundError: no snapshot with that id.
        AlreadyExistsError: never; existing files are replaced.
    """
    data = artifacts.get_bytes(snapshot_path(snapshot_id))
    folder = Path(target)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            members = archive.getmembers()
            archive.extractall(folder, filter="data")
    except (OSError, tarfile.TarError) as error:
        message = f"cannot unpack snapshot {snapshot_id} into {folder}: {error}"
        raise BackendError(message) from error
    return [folder / member.name for member in members if member.isfile()]
