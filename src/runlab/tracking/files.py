"""The files of a run: ``runs/<run_id>/...`` in the workspace's artifact store."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from runlab.artifacts import ArtifactStore, safe_local_path, vet_path
from runlab.entities import run_file_key, run_prefix
from runlab.errors import BackendError, NotFoundError, ValidationError

__all__ = ["RunFiles"]


class RunFiles:
    """Upload and download the files of one run. Every name is vetted as a relative path.

    Args:
        artifacts: the workspace's artifact store.
        run_id: the run whose files these are.
    """

    def __init__(self, artifacts: ArtifactStore, run_id: str) -> None:
        self._artifacts = artifacts
        self._root = run_prefix(run_id)
        self._run_id = run_id

    def key(self, name: str) -> str:
        """The artifact-store path of the run's file ``name``.

        Raises:
            ValidationError: ``name`` is not a safe relative path.
        """
        return run_file_key(self._run_id, vet_path(name))

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> str:
        """Store a local file (or a binary stream) as the run's file ``name``."""
        key = self.key(name)
        if isinstance(path_or_stream, str | os.PathLike):
            source = Path(path_or_stream)
            if not source.is_file():
                raise NotFoundError(f"cannot upload {source}: no such file")
            self._artifacts.put_file(source, key)
        else:
            data = path_or_stream.read()
            if not isinstance(data, bytes):
                raise ValidationError(f"cannot upload {name!r}: open the stream in binary mode")
            self._artifacts.put_bytes(key, data)
        return vet_path(name)

    def upload_files(
        self, names: Sequence[str], paths: Sequence[str | os.PathLike[str]]
    ) -> list[str]:
        """Store several local files, ``paths[i]`` as the run's file ``names[i]``.

        Raises:
            ValidationError: not as many names as paths, or a name that is not a safe
                relative path.
            NotFoundError: no such local file.
        """
        if len(names) != len(paths):
            raise ValidationError("upload_files needs as many names as paths")
        return [self.upload_file(name, path) for name, path in zip(names, paths, strict=True)]

    def upload_bytes(self, name: str, data: bytes) -> str:
        """Store ``data`` as the run's file ``name``."""
        return self.upload_file(name, io.BytesIO(data))

    def upload_folder(self, name: str, path: str | os.PathLike[str]) -> list[str]:
        """Store every file under the local folder ``path`` as ``name/...``."""
        source = Path(path)
        if not source.is_dir():
            raise NotFoundError(f"cannot upload {source}: no such folder")
        stored = self._artifacts.put_folder(source, self.key(name))
        return [key[len(self._root) :] for key in stored]

    def names(self, prefix: str | None = None) -> list[str]:
        """The run's file names (relative to the run), sorted."""
        folder = self._root.rstrip("/") if not prefix else self.key(prefix)
        return [key[len(self._root) :] for key in self._artifacts.list_files(folder)]

    def read_bytes(self, name: str) -> bytes:
        """The bytes of the run's file ``name``."""
        try:
            return self._artifacts.get_bytes(self.key(name))
        except NotFoundError:
            raise NotFoundError(f"run {self._run_id!r} has no file {name!r}") from None

    def download_file(
        self, name: str, output_file_path: str | os.PathLike[str] | None = None
    ) -> Path:
        """Copy the run's file ``name`` to ``output_file_path`` (a file, or a folder to put
        it in; default: the current folder) and return where it went."""
        key = self.key(name)
        if not self._artifacts.exists(key):
            raise NotFoundError(f"run {self._run_id!r} has no file {name!r}")
        target = Path(output_file_path) if output_file_path is not None else Path.cwd()
        if target.is_dir():
            target = target / Path(key).name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BackendError(f"cannot create {target.parent}: {error}") from error
        self._artifacts.get_file(key, target)
        return target

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | os.PathLike[str] | None = None,
        append_prefix: bool = True,
    ) -> list[Path]:
        """Copy every run file under ``prefix`` (default: all) into ``output_directory``
        (default: the current folder), keeping their relative paths.

        With ``append_prefix=False`` the prefix is dropped from the paths written. No file is
        ever written outside ``output_directory``, even through a symbolic link in it.
        """
        names = self.names(prefix)
        if prefix and not names:
            raise NotFoundError(f"run {self._run_id!r} has no files under {prefix!r}")
        root = Path(output_directory) if output_directory is not None else Path.cwd()
        strip = len(vet_path(prefix)) + 1 if prefix and not append_prefix else 0
        written = []
        for name in names:
            target = safe_local_path(root, name[strip:] or Path(name).name)
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise BackendError(f"cannot create {target.parent}: {error}") from error
            self._artifacts.get_file(run_file_key(self._run_id, name), target)
            written.append(target)
        return written
