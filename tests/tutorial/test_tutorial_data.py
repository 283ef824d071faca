"""The tutorial's data: MNIST from a folder or a mirror, else scikit-learn's digits, labelled."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from runlab.datasets import mnist
from runlab.errors import NotFoundError, ValidationError
from runlab.tutorial import get_data
from runlab.tutorial.data import write_digits

REAL_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
needs_real_mnist = pytest.mark.skipif(
    not (REAL_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"the real MNIST files are not in {REAL_MNIST}",
)
UNREACHABLE = ["http://mnist.runlab-test.invalid/"]  # .invalid never resolves (RFC 2606)


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "cache"))


@pytest.fixture
def real_mnist_mirror() -> Iterator[str]:
    """A local HTTP server serving the real MNIST files, as a mirror's base URL."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(REAL_MNIST))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_the_digits_are_written_as_idx_files_named_as_mnist(tmp_path: Path) -> None:
    folder = write_digits(tmp_path / "digits")
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        f"{name}.gz" for name in mnist.FILES
    )
    X_train, y_train, X_test, y_test = mnist.load(folder)
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert X_train.min() >= 0.0 and X_train.max() == 1.0
    assert sorted(set(y_train.tolist())) == list(range(10))
    # Stratified: every digit is in the test set in its share.
    assert min(np.bincount(y_test)) >= 35
    again = write_digits(tmp_path / "again")
    for name in mnist.FILES:
        assert (folder / f"{name}.gz").read_bytes() == (again / f"{name}.gz").read_bytes()


def test_offline_the_digits_stand_in_and_say_why(tmp_path: Path) -> None:
    data = get_data(tmp_path, mirrors=UNREACHABLE, show_progress=False)
    assert not data.is_mnist and data.name == "digits"
    assert data.folder == tmp_path / "data" / "digits"
    assert "not MNIST" in data.label and "offline" in data.label
    assert data.reason is not None and "mnist.runlab-test.invalid" in data.reason
    assert data.load()[0].shape == (1437, 64)
    assert not list((tmp_path / "cache" / "mnist").glob("*.gz"))


@needs_real_mnist
def test_mnist_is_downloaded_verified_and_cached(tmp_path: Path, real_mnist_mirror: str) -> None:
    data = get_data(tmp_path / "work", mirrors=[real_mnist_mirror], show_progress=False)
    assert data.is_mnist and data.label == "MNIST" and data.name == "mnist"
    assert data.folder == mnist.cache_dir()
    assert all(problem is None for problem in mnist.verify(data.folder).values())
    # Cached: a second call is offline and still MNIST.
    assert get_data(tmp_path / "work", mirrors=UNREACHABLE, show_progress=False).is_mnist


@needs_real_mnist
def test_a_data_folder_is_verified_into_the_cache(tmp_path: Path) -> None:
    data = get_data(tmp_path, REAL_MNIST, mirrors=UNREACHABLE)
    assert data.is_mnist and data.folder == mnist.cache_dir()
    X_train, y_train, X_test, y_test = data.load()
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784)
    assert np.bincount(y_train).tolist()[:3] == [5923, 6742, 5958] and len(y_test) == 10000


def test_a_data_folder_that_is_not_mnist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such folder"):
        get_data(tmp_path, tmp_path / "nowhere")
    digits = write_digits(tmp_path / "digits")
    with pytest.raises(ValidationError, match="expected 47,040,016; not copied"):
        get_data(tmp_path, digits)  # IDX files, but not MNIST's
    assert not list((tmp_path / "cache" / "mnist").glob("*.gz"))
