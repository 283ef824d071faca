"""Time datastore uploads and downloads against ``shutil.copytree`` of the same data.

Two data sets, both in a temporary folder on one file system: one 200 MB file of random
bytes, and 1,000 small files (1-16 KiB) in a nested tree. For each, runlab's
``Datastore.upload`` into a local-folder datastore and ``Datastore.download`` back out are
timed beside ``shutil.copytree`` of the same folder, the physical reference: the table gives
MB/s for the big file and files/s for the small ones, the ratio to copytree, and the target.

    .venv/bin/python benchmarks/datastore.py            # about half a minute
    .venv/bin/python benchmarks/datastore.py --repeat 5 --profile /tmp/upload.prof

Every figure is the best of ``--repeat`` runs, each into a fresh destination (removed between
runs, then ``sync``, untimed: writeback of the previous run's files would otherwise slow the
next), and each round runs all three in turn so that they meet the same state of the disk.
Progress bars are off. An upload also hashes every file (sha256, for its manifest), so the
table adds sha256 of the big file alone: the ceiling for any hashed upload. ``--dir
/dev/shm`` runs on tmpfs, where no disk is involved and only the CPU's work counts.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tracking import render_table, say

BIG_BYTES = 200 * 1000 * 1000
SMALL_FILES = 1000
TARGET_BIG = 0.7
TARGET_SMALL = 0.5
HEADER = ("workload", "size", "runlab", "copytree", "runlab/copytree", "target", "met")


def write_data(root: Path) -> tuple[Path, Path]:
    """The two data sets: ``big/data.bin`` and ``small/<a>/<b>/<n>.bin``."""
    big = root / "big"
    big.mkdir()
    with (big / "data.bin").open("wb") as out:
        remaining = BIG_BYTES
        while remaining:
            chunk = min(remaining, 4 * 1024 * 1024)
            out.write(os.urandom(chunk))
            remaining -= chunk
    small = root / "small"
    generator = random.Random(5)
    for index in range(SMALL_FILES):
        folder = small / f"part{index % 10}" / f"group{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.bin").write_bytes(os.urandom(generator.randint(1024, 16 * 1024)))
    return big, small


def timed(run: Callable[[], object], clean: Callable[[], None]) -> float:
    """Seconds ``run`` takes, after ``clean`` and a ``sync`` (both untimed)."""
    clean()
    # Dirty pages of the last run (or of writing the data) are written back in the background
    # and slow down whatever creates files next; start every run from a clean page cache.
    os.sync()
    start = time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    clean()
    return seconds


def best_of_rounds(
    runs: dict[str, tuple[Callable[[], object], Callable[[], None]]], repeat: int
) -> dict[str, float]:
    """The best time of each run over ``repeat`` rounds; each round runs every one once, in
    turn, so that all meet the same state of the disk (on a virtual machine its writeback
    speed drifts over seconds)."""
    best = dict.fromkeys(runs, float("inf"))
    for _round in range(repeat):
        for name, (run, clean) in runs.items():
            best[name] = min(best[name], timed(run, clean))
    return best


def remove(*paths: Path) -> Callable[[], None]:
    def clean() -> None:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    return clean


def hash_seconds(path: Path, repeat: int) -> float:
    def run() -> None:
        digest = hashlib.sha256()
        with path.open("rb", buffering=0) as source:
            while chunk := source.read(8 * 1024 * 1024):
                digest.update(chunk)

    return best_of_rounds({"hash": (run, lambda: None)}, repeat)["hash"]


def measure(root: Path, repeat: int, profile: str | None) -> list[tuple[str, ...]]:
    from runlab import Workspace
    from runlab.data import Datastore

    big, small = write_data(root)
    workspace = Workspace.create("bench", path=root / "ws")
    store_dir = root / "datastore"
    datastore = Datastore.register(workspace, "bench", os.fspath(store_dir))
    copies = root / "copies"
    profiler = cProfile.Profile() if profile else None

    def upload(source: Path, target: str) -> Callable[[], object]:
        def run() -> object:
            if profiler:
                profiler.enable()
            try:
                return datastore.upload(source, target_path=target, show_progress=False)
            finally:
                if profiler:
                    profiler.disable()

        return run

    rows: list[tuple[str, ...]] = []
    for label, key, source, count_unit in (
        ("200 MB file", "big", big, False),
        ("1,000 small files", "small", small, True),
    ):
        size_bytes = sum(path.stat().st_size for path in source.rglob("*") if path.is_file())
        files = sum(1 for path in source.rglob("*") if path.is_file())
        amount = files if count_unit else size_bytes / 1e6
        unit = "files/s" if count_unit else "MB/s"
        target = TARGET_SMALL if count_unit else TARGET_BIG
        say(f"{label}: copytree, upload, download (best of {repeat} rounds)")
        stored = store_dir / key

        def upload_again(source: Path = source, key: str = key, stored: Path = stored) -> None:
            # The download's source: uploaded once more, untimed, after each clean.
            shutil.rmtree(copies, ignore_errors=True)
            if not stored.exists():
                datastore.upload(source, target_path=key, show_progress=False)

        def download(key: str = key) -> object:
            return datastore.download(copies / "down", prefix=key, show_progress=False)

        best = best_of_rounds(
            {
                "copytree": (
                    lambda source=source: shutil.copytree(source, copies / "tree"),
                    remove(copies),
                ),
                "upload": (upload(source, key), remove(store_dir)),
                "download": (download, upload_again),
            },
            repeat,
        )
        copytree_s, upload_s, download_s = best["copytree"], best["upload"], best["download"]
        shutil.rmtree(store_dir, ignore_errors=True)
        reference = amount / copytree_s
        for verb, seconds in (("upload", upload_s), ("download", download_s)):
            figure = amount / seconds
            rows.append(
                (
                    f"{verb} {label}",
                    f"{size_bytes / 1e6:,.0f} MB in {files:,} file{'s' if files > 1 else ''}",
                    f"{figure:,.0f} {unit}",
                    f"{reference:,.0f} {unit}",
                    f"{figure / reference:.2f}x",
                    f">= {target}x",
                    "yes" if figure / reference >= target else "NO",
                )
            )
    hash_s = hash_seconds(big / "data.bin", repeat)
    rows.append(
        (
            "sha256 of the 200 MB file",
            f"{BIG_BYTES / 1e6:,.0f} MB",
            f"{BIG_BYTES / 1e6 / hash_s:,.0f} MB/s",
            "",
            "",
            "-",
            "",
        )
    )
    if profiler and profile:
        profiler.dump_stats(profile)
    workspace.close()
    return rows


def file_system_of(path: Path) -> str:
    """The type of the file system ``path`` is on (``ext4``, ``tmpfs``, ...), from /proc/mounts."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    real = os.path.realpath(path)
    best = ("", "unknown")
    for line in mounts:
        fields = line.split()
        point = fields[1] if len(fields) > 2 else ""
        if point and (real == point or real.startswith(point.rstrip("/") + "/")):
            best = max(best, (point, fields[2]), key=lambda entry: len(entry[0]))
    return best[1]


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--profile", metavar="PATH", help="write a cProfile of the uploads")
    parser.add_argument("--dir", metavar="DIR", help="where to put the data (default: a temp dir)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-datastore-", dir=options.dir) as temporary:
        file_system = file_system_of(Path(temporary))
        rows = measure(Path(temporary), options.repeat, options.profile)
    import runlab

    print(
        f"runlab {runlab.__version__}; Python {platform.python_version()}, {os.cpu_count()} CPUs,"
        f" {platform.machine()}; data, copies and the local-folder datastore on {file_system}"
        f" ({options.dir or tempfile.gettempdir()}); best of {options.repeat} rounds"
    )
    print()
    print(render_table(HEADER, rows, right={2, 3, 4}))
    print()
    unmet = [row[0] for row in rows if row[-1] == "NO"]
    print(f"targets not met: {', '.join(unmet) if unmet else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
