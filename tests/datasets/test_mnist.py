"""runlab.datasets.mnist: IDX files, downloads from mirrors on a local HTTP server, the cache,
the figure and ``runlab sample-data get``.

No test here reaches the internet: the default mirrors point at a closed local port, and every
download names mirrors on the local server. The files are small synthetic ones (``FILES`` is
patched to their checksums); only the tests of the real MNIST read the 55 MB.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import socket
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from runlab.cli import app
from runlab.datasets import mnist
from runlab.errors import BackendError, NotFoundError, ValidationError

REAL_MNIST = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mnist"


def idx_bytes(array: np.ndarray) -> bytes:
    """An array of uint8 as the bytes of an IDX file."""
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(size.to_bytes(4, "big") for size in array.shape)
    return header + array.astype(np.uint8).tobytes()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens at (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Synthetic:
    """Four small IDX files standing in for MNIST, and the FILES entries that match them."""

    raw: dict[str, bytes]
    folder: Path  # the four files, gzip'd, as <name>.gz

    def gz(self, name: str) -> bytes:
        return gzip.compress(self.raw[name], mtime=0)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real mirror, no user cache, no proxy between the tests and 127.0.0.1."""
    monkeypatch.setattr(mnist, "MIRRORS", (f"http://127.0.0.1:{closed_port()}/mnist/",))
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setattr(mnist, "_BACKOFF_SECONDS", 0.0)
    for variable in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(variable, raising=False)
        monkeypatch.delenv(variable.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def synthetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Synthetic:
    """Synthetic MNIST (12 training and 5 test digits) that ``mnist.FILES`` now describes."""
    rng = np.random.default_rng(7)
    raw = {
        mnist.TRAIN_IMAGES: idx_bytes(rng.integers(0, 256, (12, 28, 28))),
        mnist.TRAIN_LABELS: idx_bytes(rng.integers(0, 10, 12)),
        mnist.TEST_IMAGES: idx_bytes(rng.integers(0, 256, (5, 28, 28))),
        mnist.TEST_LABELS: idx_bytes(rng.integers(0, 10, 5)),
    }
    files = {
        name: mnist.FileSpec(hashlib.sha256(data).hexdigest(), len(data))
        for name, data in raw.items()
    }
    monkeypatch.setattr(mnist, "FILES", files)
    folder = tmp_path / "synthetic"
    folder.mkdir()
    data = Synthetic(raw, folder)
    for name in raw:
        (folder / f"{name}.gz").write_bytes(data.gz(name))
    return data


@dataclass
class CutShort:
    """An answer that promises ``body`` but closes the connection halfway through it."""

    body: bytes


Answer = bytes | int | CutShort


@dataclass
class Mirrors:
    """Mirrors on one local HTTP server: ``GET /<mirror>/<file>`` gets what was set for it.

    An answer is a body (200), a status code, or a list of those given out one per request
    (the last one repeats). Anything not set is a 404. ``requests`` lists every path asked for.
    """

    base: str
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, mirror: str) -> str:
        return f"{self.base}/{mirror}/"

    def serve(self, mirror: str, files: Mapping[str, Answer | list[Answer]]) -> str:
        """Set the answers of one mirror (file names with ``.gz``) and return its URL."""
        for name, answer in files.items():
            self.answers[f"/{mirror}/{name}"] = answer if isinstance(answer, list) else [answer]
        return self.url(mirror)

    def serve_good(self, mirror: str, data: Synthetic) -> str:
        return self.serve(mirror, {f"{name}.gz": data.gz(name) for name in data.raw})

    def asked(self, mirror: str) -> list[str]:
        return [path for path in self.requests if path.startswith(f"/{mirror}/")]


@pytest.fixture
def mirrors() -> Iterator[Mirrors]:
    """A local HTTP server on 127.0.0.1 (a free port) serving mirrors set by the test."""
    state: Mirrors

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            queue = state.answers.get(self.path, [404])
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, int):
                self.send_error(answer)
                return
            body = answer.body if isinstance(answer, CutShort) else answer
            self.send_response(200)
            self.send_header("Content-Type", "application/gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if isinstance(answer, CutShort) else body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Mirrors(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": None})

needs_real_mnist = pytest.mark.skipif(
    not (REAL_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"the real MNIST files are not in {REAL_MNIST.resolve()}",
)


def altered(data: bytes) -> bytes:
    """The same bytes but the last, which is different (and still a digit's label)."""
    return data[:-1] + bytes([(data[-1] + 1) % 10])


def files_in(folder: Path) -> list[str]:
    """Every entry in a folder, hidden ones included."""
    return sorted(path.name for path in folder.iterdir())


def assert_holds(folder: Path, data: Synthetic) -> None:
    """The folder holds exactly the four files, gzip'd, with the synthetic bytes."""
    assert files_in(folder) == sorted(f"{name}.gz" for name in data.raw)
    for name, raw in data.raw.items():
        assert gzip.decompress((folder / f"{name}.gz").read_bytes()) == raw


# The real MNIST


@needs_real_mnist
def test_load_idx_reads_the_real_mnist() -> None:
    train = mnist.load_idx(REAL_MNIST / "train-images-idx3-ubyte.gz")
    test = mnist.load_idx(REAL_MNIST / "t10k-images-idx3-ubyte.gz")
    labels = mnist.load_idx(REAL_MNIST / "train-labels-idx1-ubyte.gz", label=True)
    assert train.shape == (60000, 784) and train.dtype == np.uint8
    assert test.shape == (10000, 784)
    assert labels.shape == (60000,) and labels.dtype == np.uint8
    assert np.bincount(labels).tolist() == TRAIN_COUNTS


@needs_real_mnist
def test_load_scales_the_real_mnist_to_0_1() -> None:
    x_train, y_train, x_test, y_test = mnist.load(REAL_MNIST)
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float32 and x_test.dtype == np.float32
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert y_train.dtype == np.uint8 and y_test.shape == (10000,)
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


@needs_real_mnist
def test_the_checksums_in_files_are_those_of_the_real_mnist() -> None:
    assert mnist.verify(REAL_MNIST) == dict.fromkeys(mnist.FILES)


# IDX files


def test_load_idx_reads_gzipped_and_raw_files_alike(synthetic: Synthetic, tmp_path: Path) -> None:
    raw_file = tmp_path / "images.idx"
    raw_file.write_bytes(synthetic.raw[mnist.TRAIN_IMAGES])
    from_gz = mnist.load_idx(synthetic.folder / f"{mnist.TRAIN_IMAGES}.gz")
    assert from_gz.shape == (12, 784)
    assert np.array_equal(mnist.load_idx(raw_file), from_gz)
    assert from_gz.tobytes() == synthetic.raw[mnist.TRAIN_IMAGES][16:]
    labels = mnist.load_idx(synthetic.folder / f"{mnist.TRAIN_LABELS}.gz", label=True)
    assert labels.shape == (12,)


def _broken_files(images: bytes) -> dict[str, tuple[bytes, str | None]]:
    """Broken versions of an images file, each with what its error must say."""
    packed = gzip.compress(images, mtime=0)
    return {
        "truncated raw": (images[:-100], "truncated"),
        "truncated gzip": (packed[: len(packed) // 2], "cannot be read"),
        "gzip checksum wrong": (packed[:-8] + bytes(4) + packed[-4:], "CRC check failed"),
        "gzip stream garbled": (packed[:20] + bytes(200) + packed[220:], None),
        "bytes after the end": (images + b"\x00", "more bytes"),
        "labels, not images": (idx_bytes(np.zeros(5, np.uint8)), "0x00000801"),
        "not IDX": (b"hello, world" * 10, "magic"),
        "header cut short": (images[:10], "header"),
        "empty": (b"", "too short"),
    }


@pytest.mark.parametrize("kind", list(_broken_files(b"")))
def test_load_idx_rejects_broken_files(kind: str, synthetic: Synthetic, tmp_path: Path) -> None:
    content, fragment = _broken_files(synthetic.raw[mnist.TRAIN_IMAGES])[kind]
    broken = tmp_path / "broken-images.gz"
    broken.write_bytes(content)
    with pytest.raises(ValidationError, match=fragment) as raised:
        mnist.load_idx(broken)
    assert str(broken) in str(raised.value)


def test_load_idx_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no such file"):
        mnist.load_idx(tmp_path / "nothing.gz")


def test_load_reads_raw_files_and_the_tutorial_names(synthetic: Synthetic, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / mnist.TRAIN_IMAGES).write_bytes(synthetic.raw[mnist.TRAIN_IMAGES])
    (folder / "train-labels.gz").write_bytes(synthetic.gz(mnist.TRAIN_LABELS))
    (folder / "test-images.gz").write_bytes(synthetic.gz(mnist.TEST_IMAGES))
    (folder / mnist.TEST_LABELS).write_bytes(synthetic.raw[mnist.TEST_LABELS])
    x_train, y_train, x_test, y_test = mnist.load(folder)
    assert x_train.shape == (12, 784) and x_train.dtype == np.float32
    assert x_train.min() >= 0.0 and x_train.max() <= 1.0
    assert np.allclose(x_train * 255, mnist.load_idx(folder / mnist.TRAIN_IMAGES))
    assert y_train.shape == (12,) and x_test.shape == (5, 784) and y_test.shape == (5,)


def test_load_finds_missing_and_mismatched_files(synthetic: Synthetic) -> None:
    (synthetic.folder / f"{mnist.TEST_LABELS}.gz").unlink()
    with pytest.raises(NotFoundError, match=mnist.TEST_LABELS):
        mnist.load(synthetic.folder)
    (synthetic.folder / mnist.TEST_LABELS).write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValidationError, match=r"5 images .* but 4 labels"):
        mnist.load(synthetic.folder)


def test_load_without_a_path_downloads_into_the_cache(
    synthetic: Synthetic, mirrors: Mirrors, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(mnist, "MIRRORS", (mirrors.serve_good("m1", synthetic),))
    assert mnist.cache_dir() == tmp_path / "cache" / "mnist"
    x_train, *_ = mnist.load()
    assert x_train.shape == (12, 784)
    assert_holds(mnist.cache_dir(), synthetic)


# Downloads from local mirrors


def test_download_fetches_and_verifies_every_file(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    dest = tmp_path / "new" / "dest"
    assert mnist.download(dest, [mirrors.serve_good("m1", synthetic)]) == dest
    assert_holds(dest, synthetic)
    assert len(mirrors.requests) == 4


def test_download_shows_progress(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mnist.download(tmp_path / "dest", [mirrors.serve_good("m1", synthetic)])
    progress = capsys.readouterr().err
    assert all(f"{name}.gz" in progress for name in synthetic.raw)
    assert "bytes" in progress


def _corrupted(synthetic: Synthetic, kind: str) -> bytes:
    good = synthetic.gz(mnist.TRAIN_IMAGES)
    return {
        "other bytes": gzip.compress(altered(synthetic.raw[mnist.TRAIN_IMAGES])),
        "broken gzip": good[: len(good) - 30],
        "not gzip'd": synthetic.raw[mnist.TRAIN_IMAGES],
    }[kind]


@pytest.mark.parametrize("kind", ["other bytes", "broken gzip", "not gzip'd"])
def test_a_corrupted_file_falls_back_to_the_next_mirror(
    kind: str, synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    first = mirrors.serve_good("m1", synthetic)
    mirrors.serve("m1", {f"{mnist.TRAIN_IMAGES}.gz": _corrupted(synthetic, kind)})
    second = mirrors.serve_good("m2", synthetic)
    mnist.download(tmp_path / "dest", [first, second], show_progress=False)
    assert_holds(tmp_path / "dest", synthetic)
    # A wrong file is not asked for again: the next mirror is.
    assert mirrors.asked("m2") == [f"/m2/{mnist.TRAIN_IMAGES}.gz"]
    assert len(mirrors.asked("m1")) == 4


def test_a_404_falls_back_to_the_next_mirror(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    second = mirrors.serve_good("m2", synthetic)
    mnist.download(tmp_path / "dest", [mirrors.url("m1"), second], show_progress=False)
    assert_holds(tmp_path / "dest", synthetic)
    assert len(mirrors.asked("m1")) == 4  # once per file: a 404 is not retried


def test_a_passing_error_is_retried_on_the_same_mirror(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    first = mirrors.serve_good("m1", synthetic)
    name = f"{mnist.TRAIN_LABELS}.gz"
    mirrors.serve(
        "m1",
        {name: [503, CutShort(synthetic.gz(mnist.TRAIN_LABELS)), synthetic.gz(mnist.TRAIN_LABELS)]},
    )
    mnist.download(tmp_path / "dest", [first, mirrors.url("m2")], show_progress=False)
    assert_holds(tmp_path / "dest", synthetic)
    assert mirrors.asked("m1").count(f"/m1/{name}") == 3
    assert mirrors.asked("m2") == []


def test_every_mirror_failing_is_one_error_and_leaves_nothing(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    # A bad file where a good one belongs goes too: it would be taken for whole.
    (dest / f"{mnist.TRAIN_IMAGES}.gz").write_bytes(b"\x1f\x8b half a download")
    bad_checksum = mirrors.serve(
        "m2", {f"{mnist.TRAIN_IMAGES}.gz": _corrupted(synthetic, "other bytes")}
    )
    cut_short = mirrors.serve(
        "m3", {f"{mnist.TRAIN_IMAGES}.gz": CutShort(synthetic.gz(mnist.TRAIN_IMAGES))}
    )
    unreachable = f"http://127.0.0.1:{closed_port()}/m4/"
    urls = [mirrors.url("m1"), bad_checksum, cut_short, unreachable]
    with pytest.raises(BackendError) as raised:
        mnist.download(dest, urls, retries=2, timeout=5, show_progress=False)
    message = str(raised.value)
    assert f"{mnist.TRAIN_IMAGES}.gz" in message
    assert f"{urls[0]} (HTTP 404" in message
    assert f"{urls[1]} (sha256 mismatch" in message
    assert f"{urls[2]} (connection closed after" in message and "2 attempts" in message
    assert f"{urls[3]} (" in message and "refused" in message.lower()
    assert files_in(dest) == []
    assert mirrors.asked("m3") == [f"/m3/{mnist.TRAIN_IMAGES}.gz"] * 2


def test_a_second_download_uses_the_cache(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    url = mirrors.serve_good("m1", synthetic)
    mnist.download(dest, [url], show_progress=False)
    times = {path.name: path.stat().st_mtime_ns for path in dest.iterdir()}
    mirrors.requests.clear()
    mnist.download(dest, [url], show_progress=False)
    assert mirrors.requests == []
    assert {path.name: path.stat().st_mtime_ns for path in dest.iterdir()} == times


def test_download_replaces_a_bad_cached_file(
    synthetic: Synthetic, mirrors: Mirrors, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    url = mirrors.serve_good("m1", synthetic)
    mnist.download(dest, [url], show_progress=False)
    (dest / f"{mnist.TEST_LABELS}.gz").write_bytes(gzip.compress(b"not the labels"))
    mirrors.requests.clear()
    mnist.download(dest, [url], show_progress=False)
    assert mirrors.requests == [f"/m1/{mnist.TEST_LABELS}.gz"]
    assert_holds(dest, synthetic)


@pytest.mark.parametrize(
    ("mirror_list", "retries", "fragment"),
    [
        (["ftp://example.org/mnist/"], 3, "http"),
        (["file:///tmp/mnist/"], 3, "http"),
        ([], 3, "no mirrors"),
        (None, 0, "retries"),
    ],
)
def test_download_rejects_bad_arguments(
    mirror_list: list[str] | None, retries: int, fragment: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=fragment):
        mnist.download(tmp_path / "dest", mirror_list, retries=retries)
    assert not (tmp_path / "dest").exists()


# Copying from a local folder


def test_from_folder_gzips_raw_files_reproducibly(synthetic: Synthetic, tmp_path: Path) -> None:
    source = tmp_path / "raw"
    source.mkdir()
    for name, raw in synthetic.raw.items():
        (source / name).write_bytes(raw)
    first, second = tmp_path / "first", tmp_path / "second"
    assert mnist.from_folder(source, first) == first
    mnist.from_folder(source, second)
    assert_holds(first, synthetic)
    for name in synthetic.raw:
        assert (first / f"{name}.gz").read_bytes() == (second / f"{name}.gz").read_bytes()


def test_from_folder_refuses_a_wrong_file(synthetic: Synthetic, tmp_path: Path) -> None:
    (synthetic.folder / f"{mnist.TEST_IMAGES}.gz").write_bytes(gzip.compress(b"\x00" * 50))
    dest = tmp_path / "dest"
    with pytest.raises(ValidationError, match="not copied"):
        mnist.from_folder(synthetic.folder, dest)
    assert f"{mnist.TEST_IMAGES}.gz" not in files_in(dest)
    assert not [name for name in files_in(dest) if name.startswith(".")]


# The figure


def test_sample_grid_writes_a_png(tmp_path: Path) -> None:
    from matplotlib.image import imread

    rng = np.random.default_rng(1)
    images, labels = rng.random((40, 784), dtype=np.float32), rng.integers(0, 10, 40)
    path = mnist.sample_grid(images, labels, path=tmp_path / "figs" / "sample.png", seed=3)
    assert path == tmp_path / "figs" / "sample.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(path).shape
    assert width > 10 * height > 0  # one row of 30 digits


def test_sample_grid_draws_small_digits_with_a_title(tmp_path: Path) -> None:
    from matplotlib.image import imread

    images = np.arange(5 * 64).reshape(5, 64) % 17  # like scikit-learn's 8x8 digits
    path = mnist.sample_grid(
        images, np.arange(5), path=tmp_path / "digits.png", title="scikit-learn digits"
    )
    assert imread(path).shape[0] > 0


@pytest.mark.parametrize(
    ("images", "labels", "n"),
    [
        (np.zeros((3, 50)), np.zeros(3), 30),  # not square
        (np.zeros((3, 784)), np.zeros(4), 30),  # labels do not pair up
        (np.zeros((3, 784)), np.zeros(3), 0),
    ],
)
def test_sample_grid_rejects_what_it_cannot_draw(
    images: np.ndarray, labels: np.ndarray, n: int, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError):
        mnist.sample_grid(images, labels, n=n, path=tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(("missing", "install"), [("numpy", "numpy"), ("matplotlib", "images")])
def test_a_missing_optional_package_is_named(
    missing: str, install: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else find_spec(name)
    )
    with pytest.raises(ValidationError, match=f"pip install .*{install}"):
        mnist.sample_grid(np.zeros((3, 784)), np.zeros(3), path=tmp_path / "x.png")
    if missing == "numpy":
        with pytest.raises(ValidationError, match="pip install numpy"):
            mnist.load(tmp_path)


# The command line


def test_cli_gets_mnist_from_a_folder(synthetic: Synthetic, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    result = runner.invoke(
        app, ["sample-data", "get", "mnist", "--from", str(synthetic.folder), "--dest", str(dest)]
    )
    assert result.exit_code == 0, result.output
    assert_holds(dest, synthetic)
    rows = [line.split() for line in result.stdout.splitlines()]
    for name in synthetic.raw:
        assert any(row[:1] == [f"{name}.gz"] and row[-1] == "ok" for row in rows)


def test_the_old_name_dataset_get_still_works_and_says_where_it_went(
    synthetic: Synthetic, tmp_path: Path
) -> None:
    dest = tmp_path / "dest"
    result = runner.invoke(
        app, ["dataset", "get", "mnist", "--from", str(synthetic.folder), "--dest", str(dest)]
    )
    assert result.exit_code == 0, result.output
    assert "runlab sample-data get" in result.stderr
    assert_holds(dest, synthetic)


@pytest.mark.parametrize(
    ("args", "exit_code", "fragment"),
    [
        (["mnist", "--from", "{bad}"], 2, "sha256 mismatch"),
        (["mnist", "--from", "{missing}"], 3, "no such folder"),
        (["cifar"], 2, "unknown dataset 'cifar'"),
    ],
)
def test_cli_errors_are_one_line(
    args: list[str], exit_code: int, fragment: str, synthetic: Synthetic, tmp_path: Path
) -> None:
    bad = synthetic.folder
    bad.joinpath(f"{mnist.TRAIN_LABELS}.gz").write_bytes(
        gzip.compress(altered(synthetic.raw[mnist.TRAIN_LABELS]))
    )
    filled = [arg.format(bad=bad, missing=tmp_path / "missing") for arg in args]
    result = runner.invoke(app, ["sample-data", "get", *filled, "--dest", str(tmp_path / "dest")])
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and fragment in lines[0], lines
    assert "Traceback" not in result.output
    dest = tmp_path / "dest"
    left = files_in(dest) if dest.exists() else []
    assert f"{mnist.TRAIN_LABELS}.gz" not in left and not [n for n in left if n[0] == "."]


def test_an_unknown_host_is_asked_once_and_a_refusal_again(tmp_path: Path) -> None:
    unknown = "http://mnist.runlab-test.invalid/"  # .invalid never resolves (RFC 2606)
    refused = f"http://127.0.0.1:{closed_port()}/m/"
    with pytest.raises(mnist.DownloadError) as raised:
        mnist.download(tmp_path / "dest", [unknown, refused], retries=3, show_progress=False)
    unknown_part, refused_part = str(raised.value).split(f"; {refused} (")
    assert f"{unknown} (" in unknown_part and "attempts" not in unknown_part
    assert refused_part.endswith("; 3 attempts)")
    assert isinstance(raised.value, BackendError)  # what callers that predate it catch
