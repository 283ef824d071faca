"""The tutorial's data: MNIST when it can be had, else scikit-learn's digits, said plainly.

Either way the data is a folder of four gzip'd IDX files named as MNIST's
(``train-images-idx3-ubyte.gz`` ...), so the tutorial's ``train.py`` and ``utils.py`` read it
unchanged, and :attr:`TutorialData.label` names what it really is in every figure and table.
"""

from __future__ import annotations

import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from runlab._files import partial_file
from runlab.datasets import mnist
from runlab.datasets._idx import require
from runlab.errors import BackendError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["DIGITS_FOLDER", "TutorialData", "get_data", "write_digits"]

DIGITS_FOLDER = "digits"
"""The folder, under the tutorial's data folder, that the digits fallback is written to."""

_IMAGES_MAGIC, _LABELS_MAGIC = 0x00000803, 0x00000801  # unsigned bytes, 3 and 1 dimensions
_DIGITS_TEST_SHARE, _DIGITS_SEED = 0.2, 0


@dataclass(frozen=True)
class TutorialData:
    """Where the tutorial's four files are, and what they hold.

    Attributes:
        folder: the folder holding the four gzip'd IDX files under MNIST's names.
        name: ``"mnist"`` or ``"digits"``; also the datastore folder the data is uploaded to.
        label: how figures and tables name the data, e.g. ``"MNIST"``.
        reason: why the digits stand in for MNIST (``None`` for MNIST).
    """

    folder: Path
    name: str
    label: str
    reason: str | None = None

    @property
    def is_mnist(self) -> bool:
        """Whether this is MNIST itself rather than the offline fallback."""
        return self.reason is None

    def load(
        self,
    ) -> tuple[
        npt.NDArray[np.float32],
        npt.NDArray[np.uint8],
        npt.NDArray[np.float32],
        npt.NDArray[np.uint8],
    ]:
        """``(X_train, y_train, X_test, y_test)``: pixels scaled to 0..1, labels as uint8."""
        return mnist.load(self.folder)


def get_data(
    workdir: str | os.PathLike[str],
    data: str | os.PathLike[str] | None = None,
    *,
    mirrors: list[str] | None = None,
    show_progress: bool = True,
) -> TutorialData:
    """MNIST for the tutorial: from ``data``, else downloaded (cached), else the digits.

    Args:
        workdir: the tutorial's folder; the digits fallback is written to
            ``<workdir>/data/digits``.
        data: a local folder holding MNIST's four files (``--data``), verified and copied
            into runlab's dataset cache. Its errors are raised: it was asked for.
        mirrors: where to download from (default :data:`runlab.datasets.mnist.MIRRORS`).
        show_progress: draw progress bars on standard error.

    Returns:
        MNIST in :func:`runlab.datasets.mnist.cache_dir`, or, when it can be neither found
        nor downloaded, scikit-learn's 1,797 8x8 digits with the download's failure as
        :attr:`TutorialData.reason`.

    Raises:
        NotFoundError, ValidationError: ``data`` is not a folder holding MNIST.
        BackendError: the cache cannot be written.
    """
    if data is not None:
        folder = mnist.from_folder(data, mnist.cache_dir())
        return TutorialData(folder, "mnist", "MNIST")
    try:
        folder = mnist.download(mnist.cache_dir(), mirrors, show_progress=show_progress)
    except mnist.DownloadError as error:
        folder = write_digits(Path(workdir) / "data" / DIGITS_FOLDER)
        return TutorialData(
            folder,
            DIGITS_FOLDER,
            "scikit-learn digits (offline fallback, not MNIST)",
            reason=str(error),
        )
    return TutorialData(folder, "mnist", "MNIST")


def write_digits(dest: str | os.PathLike[str]) -> Path:
    """Write scikit-learn's bundled digits as four IDX files named as MNIST's.

    The 8x8 images (values 0..16) are scaled to 0..255 like MNIST's pixels and split 80/20,
    stratified by digit, the same way every time. Nothing is downloaded: the digits ship
    with scikit-learn.

    Returns:
        ``dest`` as a Path.

    Raises:
        ValidationError: scikit-learn is missing.
        BackendError: ``dest`` cannot be written.
    """
    require("sklearn", "scikit-learn")
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = np.rint(digits.images * (255 / 16)).astype(np.uint8)
    labels = digits.target.astype(np.uint8)
    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_size=_DIGITS_TEST_SHARE, random_state=_DIGITS_SEED, stratify=labels
    )
    folder = Path(dest)
    arrays = {
        mnist.TRAIN_IMAGES: X_train,
        mnist.TRAIN_LABELS: y_train,
        mnist.TEST_IMAGES: X_test,
        mnist.TEST_LABELS: y_test,
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            magic = _IMAGES_MAGIC if array.ndim == 3 else _LABELS_MAGIC
            header = struct.pack(f">I{array.ndim}I", magic, *array.shape)
            with partial_file(folder / f"{name}.gz") as partial:
                with gzip.GzipFile(fileobj=partial.file, mode="wb", mtime=0) as out:
                    out.write(header + array.tobytes())
                partial.commit()
    except OSError as error:
        raise BackendError(f"cannot write the digits to {folder}: {error}") from error
    return folder
