"""A mounted file dataset: a folder holding its files while the context is entered."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.data.dataset import FileDataset

__all__ = ["MountContext"]


class MountContext:
    """A mounted :class:`FileDataset`: ``mount_point`` holds its files while entered."""

    def __init__(self, dataset: FileDataset, mount_point: Path | None) -> None:
        self._dataset = dataset
        self._given = mount_point
        self.mount_point: Path | None = None

    def start(self) -> Path:
        """Make the files available; returns the mount point."""
        target = self._given or Path(tempfile.mkdtemp(prefix="runlab-mount-"))
        self._dataset._fetch(target, "mount")
        self.mount_point = target
        return target

    def stop(self) -> None:
        """Remove the mount point (a given folder keeps existing, emptied of the files)."""
        if self.mount_point is None:
            return
        if self._given is None:
            shutil.rmtree(self.mount_point, ignore_errors=True)
        else:
            for item in self._dataset.files:
                (self.mount_point / item["path"]).unlink(missing_ok=True)
        self.mount_point = None

    def __enter__(self) -> MountContext:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __fspath__(self) -> str:
        if self.mount_point is None:
            raise ValidationError("the dataset is not mounted: use it inside `with`")
        return str(self.mount_point)

    def __str__(self) -> str:
        return str(self.mount_point)
