"""The SDK's ``azureml.opendatasets.MNIST``, backed by runlab's verified MNIST download
(:mod:`runlab.datasets.mnist`), so the tutorials' data cell runs unchanged.

``MNIST.get_file_dataset()`` gives an :class:`MnistFiles`: the four files as a file set that
can be downloaded into a folder. It is deliberately small: the workspace's versioned datasets
(``Dataset.File``, ``register``) are :mod:`runlab.data`'s.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from runlab.datasets import mnist
from runlab.errors import AlreadyExistsError

__all__ = ["MNIST", "MnistFiles"]


class MnistFiles:
    """The four MNIST files (gzip'd IDX), verified by their sha256, as a downloadable file set.

    Args:
        mirrors: base URLs to fetch from when runlab's MNIST cache lacks a file; default
            :data:`runlab.datasets.mnist.MIRRORS`.
    """

    def __init__(self, mirrors: Sequence[str] | None = None) -> None:
        self._mirrors = None if mirrors is None else tuple(mirrors)

    def to_path(self) -> list[str]:
        """The files' paths relative to a download folder (``/train-images-idx3-ubyte.gz``...)."""
        return [f"/{name}.gz" for name in mnist.FILES]

    def download(
        self, target_path: str | os.PathLike[str] | None = None, overwrite: bool = False
    ) -> list[str]:
        """Put the four files into ``target_path`` and return their paths.

        They come from runlab's MNIST cache (:func:`runlab.datasets.mnist.cache_dir`), which
        is filled from the mirrors first when a file is missing; every file is checked against
        its sha256 on the way.

        Args:
            target_path: the folder; default the current folder.
            overwrite: replace files already there; otherwise one there is an error.

        Raises:
            AlreadyExistsError: a file is already there and ``overwrite`` is False.
            DownloadError: a file is in neither the cache nor any mirror.
            ValidationError: a file is not the right one.
        """
        folder = Path(target_path if target_path is not None else ".")
        targets = [folder / f"{name}.gz" for name in mnist.FILES]
        existing = [str(path) for path in targets if path.exists()]
        if existing and not overwrite:
            raise AlreadyExistsError(
                f"{', '.join(existing)} already exist: pass overwrite=True to replace them"
            )
        cache = mnist.download(mnist.cache_dir(), self._mirrors, show_progress=False)
        mnist.from_folder(cache, folder)
        return [str(path) for path in targets]

    def __repr__(self) -> str:
        return f"MnistFiles({', '.join(path.lstrip('/') for path in self.to_path())})"


class MNIST:
    """``azureml.opendatasets.MNIST``: the handwritten digits of the tutorials."""

    @staticmethod
    def get_file_dataset(mirrors: Sequence[str] | None = None) -> MnistFiles:
        """The four MNIST files as a :class:`MnistFiles` (``.download(folder)``).

        Args:
            mirrors: base URLs to fetch from (runlab's choice, not the SDK's); default
                :data:`runlab.datasets.mnist.MIRRORS`.
        """
        return MnistFiles(mirrors)
