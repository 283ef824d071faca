"""Time registering datasets against ``sha256sum`` of the same files, and what a re-run adds
to a submit.

Registering a dataset version lists its files and pins each one's sha256, so hashing every
byte is the floor for files no upload manifest vouches for: ``sha256sum`` of the same files is
the reference. Two data sets: ``--files`` small files (1-16 KiB) and one ``--big-mb`` file,
each registered twice: from a datastore that is a plain local folder (every file hashed) and
after ``Datastore.upload`` (the upload's manifest vouches for the hashes; nothing is read).

Then submit latency: ``experiment.submit(ScriptRunConfig(...))`` of a one-metric script
against ``run.rerun()`` of such a run (same snapshot, environment from its lock, already
cached), each the median of ``--submits`` calls, every job waited for, untimed, before the
next call.

    .venv/bin/python benchmarks/datasets.py                       # 10,000 files and 1 GB
    .venv/bin/python benchmarks/datasets.py --files 200 --big-mb 20 --submits 3   # quick
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from runlab import Experiment, Workspace
from runlab.data import Dataset, Datastore
from runlab.jobs import ScriptRunConfig
from tracking import render_table, say

SCRIPT = 'from runlab import Run\n\nRun.get_context().log("accuracy", 0.9)\n'
HEADER = ("workload", "size", "runlab", "sha256sum", "runlab/sha256sum")


def write_small(root: Path, count: int) -> int:
    generator = random.Random(11)
    total = 0
    for index in range(count):
        folder = root / f"part{index % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        size = generator.randint(1024, 16 * 1024)
        (folder / f"{index:05d}.bin").write_bytes(os.urandom(size))
        total += size
    return total


def write_big(root: Path, megabytes: int) -> int:
    root.mkdir(parents=True, exist_ok=True)
    with (root / "data.bin").open("wb") as out:
        for _chunk in range(megabytes):
            out.write(os.urandom(1000 * 1000))
    return megabytes * 1000 * 1000


def sha256sum_seconds(folder: Path) -> float:
    """Wall time of ``sha256sum`` over every file below ``folder`` (through xargs)."""
    start = time.perf_counter()
    find = subprocess.Popen(["find", str(folder), "-type", "f", "-print0"], stdout=subprocess.PIPE)
    subprocess.run(
        ["xargs", "-0", "-P", str(os.cpu_count() or 1), "-n", "500", "sha256sum"],
        stdin=find.stdout,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    find.wait()
    return time.perf_counter() - start


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def registration_rows(
    workspace: Workspace, data: Path, args: argparse.Namespace
) -> list[list[str]]:
    rows = []
    sets = {
        "small": (write_small(data / "small", args.files), f"{args.files:,} files"),
        "big": (write_big(data / "big", args.big_mb), f"1 file, {args.big_mb:,} MB"),
    }
    plain = Datastore.register(workspace, "plain", data)
    uploaded = workspace.get_default_datastore()
    for name, (total, label) in sets.items():
        os.sync()
        floor = sha256sum_seconds(data / name)
        seconds = timed(
            lambda name=name: Dataset.File.from_files((plain, name)).register(workspace, name)
        )
        rows.append(
            [f"register {name}, hashed", label, f"{seconds:.2f} s", f"{floor:.2f} s",
             f"{seconds / floor:.2f}"]
        )  # fmt: skip
        uploaded.upload(data / name, target_path=name, show_progress=False)
        seconds = timed(
            lambda name=name: Dataset.File.from_files((uploaded, name)).register(
                workspace, f"{name}-uploaded"
            )
        )
        rows.append(
            [f"register {name}, after upload", label, f"{seconds:.2f} s", f"{floor:.2f} s",
             f"{seconds / floor:.2f}"]
        )  # fmt: skip
        say(f"{name}: {total / 1e6:,.0f} MB done")
    return rows


def submit_rows(workspace: Workspace, source: Path, count: int) -> list[list[str]]:
    experiment = Experiment(workspace, "bench")
    config = ScriptRunConfig(source, "train.py")
    first = experiment.submit(config)
    first.wait_for_completion(raise_on_error=True)
    first.rerun().wait_for_completion(raise_on_error=True)  # warm: the locked env is cached
    submits, reruns = [], []
    for _round in range(count):
        start = time.perf_counter()
        run = experiment.submit(config)
        submits.append(time.perf_counter() - start)
        run.wait_for_completion(raise_on_error=True)
        start = time.perf_counter()
        again = first.rerun()
        reruns.append(time.perf_counter() - start)
        again.wait_for_completion(raise_on_error=True)
    submit, rerun = statistics.median(submits), statistics.median(reruns)
    return [
        ["submit", f"median of {count}", f"{submit * 1000:.0f} ms"],
        ["rerun (cached locked environment)", f"median of {count}", f"{rerun * 1000:.0f} ms"],
        ["rerun - submit", "target <= 200 ms", f"{(rerun - submit) * 1000:+.0f} ms"],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="small files (default 10000)")
    parser.add_argument("--big-mb", type=int, default=1000, help="the big file's MB (1000)")
    parser.add_argument("--submits", type=int, default=5, help="submits and reruns timed (5)")
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: tmp)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(
        dir=args.dir, prefix="runlab-bench-datasets-", ignore_cleanup_errors=True
    ) as scratch:
        root = Path(scratch)
        os.environ["RUNLAB_JOB_ROOT"] = str(root / "jobs")
        workspace = Workspace.create("bench", root / "ws")
        say("writing the data...")
        rows = registration_rows(workspace, root / "data", args)
        print(render_table(HEADER, rows, right={2, 3, 4}))
        print()
        source = root / "src"
        source.mkdir()
        (source / "train.py").write_text(SCRIPT)
        say("timing submits and re-runs...")
        print(render_table(("workload", "n", "time"), submit_rows(workspace, source, args.submits),
                           right={2}))  # fmt: skip
        workspace.close()
        shutil.rmtree(root / "jobs", ignore_errors=True)
    print(f"\npython {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
