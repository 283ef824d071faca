"""Deciding what a transfer will do, on the local side, before anything is written.

Every name is vetted here: local files to upload must stay inside the folder given (links
leading out of it are refused), their paths in the datastore pass
:func:`runlab.artifacts.vet_path`, and local destinations of a download pass
:func:`runlab.artifacts.safe_local_path` and are checked against what is already there.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from runlab._files import walk_files
from runlab.artifacts import safe_local_path, vet_path
from runlab.data._storage import MANIFEST_FOLDER
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError

__all__ = [
    "LocalFile",
    "check_local_targets",
    "explicit_files",
    "folder_files",
    "in_the_way_message",
    "join",
    "target_folder",
]

LocalFile = tuple[str, Path, int]
"""A local file to upload: its path relative to what is uploaded, where it is, its size."""

_SHOWN = 3


def join(folder: str, relative: str) -> str:
    """``folder/relative`` (``relative`` alone at the root), both already vetted: the join of
    two paths in normal form is in normal form, so it is not vetted again."""
    return f"{folder}/{relative}" if folder else relative


def target_folder(target_path: str | None) -> str:
    """A vetted target folder in a datastore; runlab's manifest folder is refused."""
    folder = vet_path(target_path or "", allow_empty=True)
    if folder == MANIFEST_FOLDER or folder.startswith(MANIFEST_FOLDER + "/"):
        raise ValidationError(f"{MANIFEST_FOLDER!r} is where runlab keeps upload manifests")
    return folder


def folder_files(src_dir: str | os.PathLike[str]) -> list[LocalFile]:
    """Every file below a local folder, as it will be uploaded.

    Walked by :func:`runlab._files.walk_files`: links to files are uploaded as the files they
    point to; links to folders inside the folder are skipped (what they show is uploaded under
    its own name); dangling links are skipped.

    Raises:
        NotFoundError: ``src_dir`` is not a folder.
        ValidationError: a link leads outside ``src_dir``, or a name cannot be stored.
    """
    top = Path(src_dir)
    if not top.is_dir():
        raise NotFoundError(f"no local folder {os.fspath(src_dir)!r} to upload")
    return [
        (vet_path(file.relative), file.path, file.size) for file in walk_files(top, links="refuse")
    ]


def explicit_files(
    files: Iterable[str | os.PathLike[str]], relative_root: str | os.PathLike[str] | None
) -> list[LocalFile]:
    """The files ``upload_files`` was given, with their paths relative to ``relative_root``
    (default: the folder all of them are in, so files of one folder keep their bare names).

    Raises:
        NotFoundError: a file is missing or not a file.
        ValidationError: no files, a file outside ``relative_root``, or two files that would
            be stored at the same path.
    """
    paths = [Path(os.path.abspath(file)) for file in files]
    if not paths:
        raise ValidationError("upload_files needs at least one file")
    for path in paths:
        if not path.is_file():
            raise NotFoundError(f"no local file {os.fspath(path)!r} to upload")
    if relative_root is None:
        root = Path(os.path.commonpath([path.parent for path in paths]))
    else:
        root = Path(os.path.abspath(relative_root))
    found: dict[str, LocalFile] = {}
    for path in paths:
        relative = os.path.relpath(path, root)
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            raise ValidationError(
                f"cannot upload {os.fspath(path)!r}: it is not inside relative_root"
                f" {os.fspath(root)!r}"
            )
        name = vet_path(Path(relative).as_posix())
        if name in found and found[name][1] != path:
            raise ValidationError(f"two files would be stored as {name!r}: give a relative_root")
        found[name] = (name, path, path.stat().st_size)
    return sorted(found.values())


def in_the_way_message(what: str, existing: Sequence[str]) -> str:
    """Why an upload or download without ``overwrite`` was refused."""
    shown = ", ".join(repr(path) for path in sorted(existing)[:_SHOWN])
    more = f" and {len(existing) - _SHOWN} more" if len(existing) > _SHOWN else ""
    return (
        f"{what} would overwrite {len(existing)} existing file(s): {shown}{more}; nothing was"
        " written (pass overwrite=True, or --overwrite on the command line, to replace them)"
    )


def check_local_targets(
    root: Path, relatives: Sequence[str], *, overwrite: bool, what: str
) -> list[Path]:
    """The local destinations of ``relatives`` below ``root``, checked before any is written.

    Raises:
        ValidationError: a destination leads outside ``root`` (through ``..`` or a link).
        AlreadyExistsError: a file is in the way and ``overwrite`` is false, or a folder is
            where a file goes, or a file where a folder goes.
    """
    if root.exists() and not root.is_dir():
        raise AlreadyExistsError(f"{what}: {os.fspath(root)!r} is a file, not a folder")
    folders: set[str] = set()
    for relative in relatives:
        parts = relative.split("/")
        folders.update("/".join(parts[:end]) for end in range(1, len(parts)))
    for folder in sorted(folders):
        local = safe_local_path(root, folder)  # refuses links out, once per folder
        try:
            mode = os.stat(local).st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISDIR(mode):
            raise AlreadyExistsError(f"{what}: {os.fspath(local)!r} is a file where a folder goes")
    targets: list[Path] = []
    existing: list[str] = []
    for relative in relatives:
        target = root.joinpath(*vet_path(relative).split("/"))
        try:
            mode = os.lstat(target).st_mode
        except FileNotFoundError:
            targets.append(target)
            continue
        if stat.S_ISLNK(mode):
            safe_local_path(root, relative)
        if target.is_dir():
            raise AlreadyExistsError(f"{what}: {os.fspath(target)!r} is a folder where a file goes")
        existing.append(relative)
        targets.append(target)
    if existing and not overwrite:
        raise AlreadyExistsError(in_the_way_message(what, existing))
    return targets
