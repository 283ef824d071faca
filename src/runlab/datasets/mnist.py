"""MNIST, the handwritten digits of the tutorial: download, verify, cache, load, look at.

The four files are gzip'd IDX files. A file is identified by the sha256 of its *decompressed*
bytes: mirrors compress differently, so their ``.gz`` bytes differ while the IDX bytes do not.
:func:`download` fetches each file from the first mirror that serves it whole and moves it into
place atomically once verified, so a ``<name>.gz`` it leaves behind is always complete and
right. :func:`load` returns numpy arrays, :func:`sample_grid` draws a few digits.

numpy is needed to load (``pip install numpy``), matplotlib to draw (``pip install
'runlab[images]'``); neither is a dependency of runlab itself.

Example:
    >>> from runlab.datasets import mnist
    >>> X_train, y_train, X_test, y_test = mnist.load()  # doctest: +SKIP
    >>> X_train.shape, y_train[:5]  # doctest: +SKIP
    ((60000, 784), array([5, 0, 4, 1, 9], dtype=uint8))
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from runlab._progress import Progress
from runlab.datasets._http import fetch, mirror_urls
from runlab.datasets._idx import (
    FileSpec,
    StrPath,
    copy_gzipped,
    file_problem,
    load_idx,
    partial_file,
    require,
)
from runlab.errors import BackendError, NotFoundError, ValidationError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    UInt8Array = npt.NDArray[np.uint8]
    Float32Array = npt.NDArray[np.float32]

__all__ = [
    "CACHE_ENV",
    "FILES",
    "MIRRORS",
    "DownloadError",
    "FileSpec",
    "cache_dir",
    "download",
    "from_folder",
    "load",
    "load_idx",
    "sample_grid",
    "verify",
]

TRAIN_IMAGES, TRAIN_LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
TEST_IMAGES, TEST_LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"

FILES: Mapping[str, FileSpec] = {
    TRAIN_IMAGES: FileSpec(
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db", 47_040_016
    ),
    TRAIN_LABELS: FileSpec(
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5", 60_008
    ),
    TEST_IMAGES: FileSpec(
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7", 7_840_016
    ),
    TEST_LABELS: FileSpec(
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2", 10_008
    ),
}
"""The four files by name (without ``.gz``): sha256 and size of their decompressed bytes."""

MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
"""Public mirrors, tried in this order; each serves ``<name>.gz`` for every name in FILES."""

CACHE_ENV = "RUNLAB_DATA_CACHE"
"""Environment variable: the root of runlab's dataset cache (MNIST goes in ``<root>/mnist``)."""


class DownloadError(BackendError):
    """No mirror served a file whole: the machine is offline, or every mirror failed.

    The message says how each mirror failed. Files already in place are kept.
    """


# The names the 2018 tutorial saved the files under, accepted by load() and from_folder().
_TUTORIAL_NAMES = {
    TRAIN_IMAGES: "train-images.gz",
    TRAIN_LABELS: "train-labels.gz",
    TEST_IMAGES: "test-images.gz",
    TEST_LABELS: "test-labels.gz",
}
# Seconds before the second attempt at a mirror; doubles with each attempt after it.
_BACKOFF_SECONDS = 0.5


def cache_dir() -> Path:
    """The folder :func:`load` keeps MNIST in when given no path.

    Returns:
        ``$RUNLAB_DATA_CACHE/mnist`` when that variable is set, else
        ``~/.cache/runlab/datasets/mnist``.
    """
    root = os.environ.get(CACHE_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "runlab" / "datasets"
    return base / "mnist"


def download(
    dest: StrPath,
    mirrors: Sequence[str] | None = None,
    *,
    retries: int = 3,
    timeout: float = 30,
    show_progress: bool = True,
) -> Path:
    """Download the four files into ``dest`` as ``<name>.gz``, verified; keep good ones.

    A file already in ``dest`` whose decompressed sha256 matches is kept. Otherwise each mirror
    is tried in turn, up to ``retries`` times on errors that may pass (network errors, timeouts,
    HTTP 5xx) with a short backoff; a wrong checksum or another HTTP error moves on to the next
    mirror. The download goes to a hidden ``.partial`` file in ``dest``, renamed into place
    atomically only once its decompressed sha256 matches, so no partial or wrong file is ever
    left under a name that would be taken for whole (a bad one found there is deleted).

    Args:
        dest: the folder, created if missing.
        mirrors: base URLs, each serving ``<name>.gz``; default :data:`MIRRORS`.
        retries: attempts per mirror and file (at least 1).
        timeout: seconds to wait for a mirror to answer or to send more bytes.
        show_progress: draw a progress bar over the bytes of each file (on standard error).

    Returns:
        ``dest`` as a Path.

    Raises:
        ValidationError: a mirror is not an http(s) URL, or ``retries`` is below 1.
        DownloadError: every mirror failed for a file (the message says how each failed).
        BackendError: ``dest`` cannot be written.
    """
    urls = mirror_urls(MIRRORS if mirrors is None else mirrors)
    if retries < 1:
        raise ValidationError(f"retries must be at least 1, not {retries}")
    folder = _make_folder(dest)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not show_progress,
    )
    with progress:
        for name, expected in FILES.items():
            target = folder / f"{name}.gz"
            if target.exists():
                if file_problem(target, expected, gzipped=True) is None:
                    continue
                _remove(target)  # known bad: it must not be taken for whole
            task = progress.add_task(target.name, total=None)
            failures = []
            for url in urls:
                reason = fetch(
                    url + target.name,
                    target,
                    expected,
                    retries=retries,
                    timeout=timeout,
                    backoff=_BACKOFF_SECONDS,
                    progress=progress,
                    task=task,
                )
                if reason is None:
                    break
                failures.append(f"{url} ({reason})")
            else:
                raise DownloadError(
                    f"could not download {target.name} from any mirror: {'; '.join(failures)}"
                )
    return folder


def load(
    path: StrPath | None = None,
) -> tuple[Float32Array, UInt8Array, Float32Array, UInt8Array]:
    """MNIST as arrays: ``(X_train, y_train, X_test, y_test)``.

    Args:
        path: a folder holding the four files, gzip'd (``<name>.gz``, or the tutorial's
            ``train-images.gz`` ...) or raw (``<name>``). Default: :func:`cache_dir`, after
            :func:`download` into it (nothing is fetched when the cache is whole).

    Returns:
        Images as float32 ``(n, 784)`` arrays scaled to 0..1, labels as uint8 ``(n,)`` arrays:
        60,000 for training, 10,000 for testing.

    Raises:
        NotFoundError: the folder or one of the files is missing.
        ValidationError: numpy is missing, or a file is not a whole IDX file, or images and
            labels do not pair up.
        BackendError: the download failed (see :func:`download`).
    """
    require("numpy", "numpy")  # before a download that would be of no use
    folder = download(cache_dir()) if path is None else Path(path).expanduser()
    if not folder.is_dir():
        raise NotFoundError(f"no such folder: {folder}")
    X_train, y_train = _load_pair(folder, TRAIN_IMAGES, TRAIN_LABELS)
    X_test, y_test = _load_pair(folder, TEST_IMAGES, TEST_LABELS)
    return X_train, y_train, X_test, y_test


def sample_grid(
    X: npt.ArrayLike,
    y: npt.ArrayLike,
    n: int = 30,
    path: StrPath = "mnist-sample.png",
    title: str | None = None,
    *,
    seed: int | None = None,
) -> Path:
    """Draw ``n`` random digits in one row, each labelled above, as a PNG (the tutorial's figure).

    Drawn with matplotlib's Agg backend: no window ever opens.

    Args:
        X: images, as rows of square images (``(n, 784)``, or ``(n, 64)`` for scikit-learn's
            digits) or as ``(n, height, width)``.
        y: their labels.
        n: how many to draw (fewer when there are fewer images).
        path: the PNG to write; its folder is created if missing.
        title: a title over the row, e.g. ``"scikit-learn digits (offline fallback)"``.
        seed: pick the same digits every time.

    Returns:
        ``path`` as a Path.

    Raises:
        ValidationError: numpy or matplotlib is missing, or the arrays do not fit.
        BackendError: the file cannot be written.
    """
    require("numpy", "numpy")
    require("matplotlib", "'runlab[images]'")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    images, labels = np.asarray(X), np.asarray(y).reshape(-1)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ValidationError(f"rows of {images.shape[1]} pixels are not square images")
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or len(images) != len(labels) or len(images) == 0:
        raise ValidationError(
            f"need (n, pixels) images and n labels, got shapes {images.shape} and {labels.shape}"
        )
    if n < 1:
        raise ValidationError(f"n must be at least 1, not {n}")
    count = min(n, len(images))
    figure = Figure(figsize=(max(0.55 * count, 2.5), 1.9 if title else 1.4), dpi=100)
    FigureCanvasAgg(figure)
    figure.subplots_adjust(left=0.01, right=0.99, bottom=0.02, top=0.7 if title else 0.8)
    if title:
        figure.suptitle(title)
    chosen = np.random.default_rng(seed).permutation(len(images))[:count]
    for position, index in enumerate(chosen, start=1):
        axes = figure.add_subplot(1, count, position)
        axes.imshow(images[index], cmap="Greys")
        axes.set_title(str(labels[index].item()), fontsize=14)
        axes.axis("off")
    target = Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(target, format="png")
    except OSError as error:
        raise BackendError(f"cannot write {target}: {error}") from error
    return target


def from_folder(source: StrPath, dest: StrPath) -> Path:
    """Copy the four files from a local folder into ``dest`` as ``<name>.gz``, verified.

    For machines without internet access. Raw files are gzip'd on the way (with mtime 0, so
    the same input gives the same bytes). Each file lands atomically, only once its sha256
    matches.

    Args:
        source: a folder with the four files, as :func:`load` accepts them.
        dest: the folder to copy into, created if missing.

    Returns:
        ``dest`` as a Path.

    Raises:
        NotFoundError: ``source`` or one of the files in it is missing.
        ValidationError: a file is not the right one (checksum, size, not readable).
        BackendError: ``dest`` cannot be written.
    """
    source_folder = Path(source).expanduser()
    if not source_folder.is_dir():
        raise NotFoundError(f"no such folder: {source_folder}")
    found = {name: _find(source_folder, name) for name in FILES}
    folder = _make_folder(dest)
    for name, expected in FILES.items():
        target = folder / f"{name}.gz"
        with partial_file(target) as partial:
            try:
                copy_gzipped(found[name], Path(partial.path))
            except OSError as error:
                raise BackendError(f"cannot copy {found[name]} to {folder}: {error}") from error
            problem = file_problem(Path(partial.path), expected, gzipped=True)
            if problem is not None:
                raise ValidationError(f"{found[name]}: {problem}; not copied")
            partial.commit()
    return folder


def verify(folder: StrPath) -> dict[str, str | None]:
    """Check the four files in a folder against their sha256 and size.

    Args:
        folder: a folder with the files, as :func:`load` accepts them.

    Returns:
        Each file's name and what is wrong with it (``"missing"``, a checksum mismatch, ...),
        or ``None`` when it is right.
    """
    results: dict[str, str | None] = {}
    for name, expected in FILES.items():
        try:
            found = _find(Path(folder), name)
        except NotFoundError:
            results[name] = "missing"
            continue
        results[name] = file_problem(found, expected, gzipped=found.suffix == ".gz")
    return results


def _load_pair(folder: Path, images_name: str, labels_name: str) -> tuple[Float32Array, UInt8Array]:
    """Images scaled to 0..1 and their labels, checked to pair up."""
    import numpy as np

    images = load_idx(_find(folder, images_name))
    labels = load_idx(_find(folder, labels_name), label=True)
    if len(images) != len(labels):
        raise ValidationError(
            f"{folder}: {len(images):,} images in {images_name}"
            f" but {len(labels):,} labels in {labels_name}"
        )
    scaled = images.astype(np.float32)
    scaled /= 255
    return scaled, labels


def _find(folder: Path, name: str) -> Path:
    """The file of that name in the folder: gzip'd, raw, or under the tutorial's name."""
    names = [f"{name}.gz", name] + ([_TUTORIAL_NAMES[name]] if name in _TUTORIAL_NAMES else [])
    for candidate in names:
        if (folder / candidate).is_file():
            return folder / candidate
    raise NotFoundError(f"no {' or '.join(names)} in {folder}")


def _make_folder(dest: StrPath) -> Path:
    folder = Path(dest).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackendError(f"cannot create the folder {folder}: {error}") from error
    return folder


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise BackendError(f"cannot remove the bad file {path}: {error}") from error
