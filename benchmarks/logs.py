"""Bytes written to upload and bytes read to follow a growing 100 MB log, before and after.

A job's log grows on its machine; the job entry uploads it to the artifact store every 0.5 s
and whoever watches the run (``wait_for_completion(show_output=True)``, ``runlab run logs
-f``, the web UI, ``RunDetails``) polls it. The script plays that out in ``--ticks`` steps:
at each the local log gains ``--mb / --ticks`` MB of text lines, is uploaded once and
followed once. It does it two ways, on a local-folder store and through a live runlab server
(uvicorn on 127.0.0.1 in this process, serving a local-folder workspace), and with
``--stores ... s3`` on S3 through s3fs against a local moto server:

- before: what runlab did until issue 12, reproduced here: each upload replaces the whole
  stored log (``put_file``), each poll reads the whole stored log (``get_bytes``) and keeps
  what lies past its offset;
- after: the job entry's ``LogUploader`` (the first upload puts the file, later ones
  ``append_bytes`` only the new bytes) and ``read_log_from`` (a ranged read from the offset).

It prints, per store and way, the MB written and read (what the store's write methods were
given and its reads returned, counted by a subclass of the real store), those as a multiple
of the log's size, and the seconds uploading and following took. Each way is checked: the
stored log and the followed text must equal the local log.

    .venv/bin/python benchmarks/logs.py                   # 100 MB in 50 steps: a few minutes
    .venv/bin/python benchmarks/logs.py --mb 10 --ticks 20 --stores local

The "before" figures grow with the square of the steps (about ``ticks / 2`` times the log),
so they depend on ``--ticks``; the "after" ones stay at about one log's size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from runlab.artifacts import ArtifactStore, FsspecArtifactStore
from runlab.artifacts.rest import RestArtifactStore
from runlab.jobs.entry import LogUploader
from runlab.tracking import Workspace
from runlab.tracking.monitoring import read_log_from
from tracking import render_table, say

RUN_ID = "bench_1700000000_0123abcd"
LOG = "logs/driver.log"
KEY = f"runs/{RUN_ID}/{LOG}"
MB = 1024 * 1024
HEADER = (
    "store",
    "way",
    "log MB",
    "MB written",
    "x log",
    "MB read",
    "x log",
    "upload s",
    "follow s",
)


class Counts:
    """What a store's writes were given and its reads returned."""

    def __init__(self) -> None:
        self.written = 0
        self.read = 0


def counting(base: type[ArtifactStore]) -> type[ArtifactStore]:
    """A subclass of the real store ``base`` that counts bytes in ``self.counts``."""

    class Counting(base):  # type: ignore[misc, valid-type]
        counts = Counts()

        def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
            self.counts.written += os.path.getsize(local_path)
            super().put_file(local_path, path)

        def put_bytes(self, path: str, data: bytes) -> None:
            self.counts.written += len(data)
            super().put_bytes(path, data)

        def append_bytes(self, path: str, data: bytes) -> None:
            self.counts.written += len(data)
            super().append_bytes(path, data)

        def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
            data: bytes = super().get_bytes(path, start, end)
            self.counts.read += len(data)
            return data

    Counting.__name__ = f"Counting{base.__name__}"
    return Counting


def log_lines(total_bytes: int) -> Iterator[bytes]:
    """Lines of a training script's output, ``total_bytes`` in all, in pieces of about 64 KiB."""
    step, produced = 0, 0
    while produced < total_bytes:
        piece = "".join(
            f"step {step + index:>8}: loss {1.0 / (step + index + 1):.6f} lr 0.001 ✓\n"
            for index in range(1000)
        ).encode()[: total_bytes - produced]
        step += 1000
        produced += len(piece)
        yield piece


# -- the two ways ------------------------------------------------------------------------


class Before:
    """The whole-file strategy: replace the stored log, read it whole at every poll."""

    def __init__(self, store: ArtifactStore, local_log: Path) -> None:
        self.store, self.local_log, self.offset = store, local_log, 0

    def upload(self) -> None:
        self.store.put_file(self.local_log, KEY)

    def follow(self, ended: bool) -> str:
        data = self.store.get_bytes(KEY)
        end = len(data) if ended else data.rfind(b"\n", self.offset) + 1
        text = data[self.offset : max(end, self.offset)].decode("utf-8", errors="replace")
        self.offset = max(end, self.offset)
        return text


class After:
    """Issue 12's: append the new bytes, read from the offset."""

    def __init__(self, store: ArtifactStore, local_log: Path) -> None:
        self.store, self.offset = store, 0
        self.uploader = LogUploader(store, RUN_ID, local_log.parent)

    def upload(self) -> None:
        self.uploader.upload()

    def follow(self, ended: bool) -> str:
        text, self.offset = read_log_from(self.store, RUN_ID, LOG, self.offset, ended=ended)
        return text


def play(
    way: Callable[[ArtifactStore, Path], Before | After],
    store: ArtifactStore,
    folder: Path,
    total_bytes: int,
    ticks: int,
) -> dict[str, float]:
    """Grow a local log in ``ticks`` steps, uploading and following it once per step."""
    counts: Counts = store.counts  # type: ignore[attr-defined]
    counts.written = counts.read = 0
    local_log = folder / "driver.log"
    local_log.unlink(missing_ok=True)
    with local_log.open("wb"):
        pass
    player = way(store, local_log)
    pieces = log_lines(total_bytes)
    per_tick = total_bytes / ticks
    followed: list[str] = []
    upload_s = follow_s = 0.0
    for tick in range(ticks):
        with local_log.open("ab") as out:
            while out.tell() < per_tick * (tick + 1) and (piece := next(pieces, None)):
                out.write(piece)
        started = time.perf_counter()
        player.upload()
        upload_s += time.perf_counter() - started
        started = time.perf_counter()
        followed.append(player.follow(ended=tick == ticks - 1))
        follow_s += time.perf_counter() - started
    local = local_log.read_bytes()
    text = local.decode("utf-8", errors="replace")  # the last line may end in a cut character
    if store.get_bytes(KEY) != local or "".join(followed) != text:
        raise SystemExit(f"{type(player).__name__} on {store!r}: the log came out wrong")
    return {
        "log_bytes": len(local),
        "written": counts.written,
        "read": counts.read - len(local),  # less the check's own read above
        "upload_s": upload_s,
        "follow_s": follow_s,
    }


# -- the stores --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def moto_bucket() -> Iterator[tuple[str, dict[str, Any]]]:
    """A bucket on a local S3 server (moto, started here); yields its URL and s3fs options."""
    import boto3

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(endpoint, timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        options = {
            "key": "bench",
            "secret": "bench",
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        ).create_bucket(Bucket="bench")
        yield "s3://bench/artifacts", options
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def live_server(folder: Path) -> Iterator[str]:
    """uvicorn serving a fresh local workspace from a thread; yields its URL."""
    import uvicorn

    from runlab.server import create_app

    workspace = Workspace.create("bench", folder)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(workspace), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        workspace.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--mb", type=float, default=100.0, help="the log's size in MB")
    parser.add_argument("--ticks", type=int, default=50, help="uploads (and polls) while it grows")
    parser.add_argument(
        "--stores",
        nargs="+",
        default=["local", "server"],
        help="local, server, s3 (a local moto S3 server: needs moto[server], boto3, s3fs)",
    )
    parser.add_argument("--dir", default=None, help="where the temporary folders go")
    parser.add_argument("--json", default=None, help="also write the raw figures here")
    options = parser.parse_args()
    total_bytes = int(options.mb * MB)
    rows: list[tuple[str, ...]] = []
    raw: list[dict[str, Any]] = []
    for store_name in options.stores:
        for way_name, way in (("before", Before), ("after", After)):
            root = Path(tempfile.mkdtemp(prefix="runlab-bench-logs-", dir=options.dir))
            try:
                (root / "job").mkdir()
                say(f"{store_name}, {way_name}: {options.mb:g} MB in {options.ticks} steps ...")
                if store_name == "local":
                    store = counting(FsspecArtifactStore)(os.fspath(root / "artifacts"))
                    figures = play(way, store, root / "job", total_bytes, options.ticks)
                elif store_name == "server":
                    with live_server(root / "served") as url:
                        store = counting(RestArtifactStore)(url)
                        figures = play(way, store, root / "job", total_bytes, options.ticks)
                        store.close()  # type: ignore[attr-defined]
                elif store_name == "s3":
                    with moto_bucket() as (url, s3_options):
                        store = counting(FsspecArtifactStore)(url, **s3_options)
                        figures = play(way, store, root / "job", total_bytes, options.ticks)
                else:
                    raise SystemExit(f"unknown store {store_name!r}: local, server or s3")
            finally:
                shutil.rmtree(root, ignore_errors=True)
            log_mb = figures["log_bytes"] / MB
            rows.append(
                (
                    store_name,
                    way_name,
                    f"{log_mb:.1f}",
                    f"{figures['written'] / MB:.1f}",
                    f"{figures['written'] / figures['log_bytes']:.2f}",
                    f"{figures['read'] / MB:.1f}",
                    f"{figures['read'] / figures['log_bytes']:.2f}",
                    f"{figures['upload_s']:.2f}",
                    f"{figures['follow_s']:.2f}",
                )
            )
            raw.append({"store": store_name, "way": way_name, "ticks": options.ticks, **figures})
    print(render_table(HEADER, rows, right=range(2, len(HEADER))))
    if options.json:
        Path(options.json).write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
