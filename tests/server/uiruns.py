"""Runs that hold every kind of value the web UI shows, for its tests: real runs logged
through ``runlab.tracking``, PNG images made here (no plotting library needed), and a tried
set of script-carrying names, tags, metric names and files."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

from runlab.tracking import Experiment, Run, Workspace

SCRIPTS = [
    "<script>window.__pwned = 'script'</script>",
    '"><img src=x onerror="window.__pwned=\'img\'">',
    "<svg onload=\"window.__pwned='svg'\">",
    "javascript:window.__pwned='link'",
    "'-window.__pwned='quote'-'",
    "</script><script>window.__pwned='close'</script>",
]
"""Texts that run a script wherever a page pastes them as markup."""

SCRIPT_FILES = {
    "outputs/report.html": b"<html><body><script>window.__pwned='html'</script>hi</body></html>",
    "outputs/drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>'
    b"window.__pwned='svgfile'</script></svg>",
    "outputs/tool.js": b"window.__pwned = 'js';",
    "outputs/page.png.html": b"<script>window.__pwned='double'</script>",
}
"""Files that run a script when a browser renders them."""


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def every_kind_run(workspace: Workspace, folder: Path) -> Run:
    """A completed run that logged every kind of value, with parameters, tags, properties,
    a child run and files to preview."""
    run = Experiment(workspace, "kinds").start_logging()
    run.add_properties({"param.lr": "0.01", "param.batch": "64", "owner.note": "kept apart"})
    run.tag("team", "vision")
    run.tag("stage", "")
    for step in range(5):
        run.log("loss", 1.0 / (step + 1))
    run.log("phase", "training")
    run.log_list("weights", [0.1, 0.5, 0.2])
    run.log_list("weights", [0.2, 0.4, 0.3])
    for epoch in range(3):
        run.log_row("per_epoch", epoch=epoch, accuracy=0.5 + epoch / 10, note=f"e{epoch}")
    run.log_table("confusion", {"label": ["cat", "dog"], "count": [7, 9], "recall": [0.7, 0.9]})
    for step, colour in enumerate([(200, 30, 30), (30, 30, 200)]):
        image = folder / f"sample{step}.png"
        image.write_bytes(png(16, 12, colour))
        run.log_image("samples", path=image)
    masks = folder / "mask.png"
    masks.write_bytes(png(16, 12, (30, 160, 30)))
    run.log_image("masks", path=masks)
    run.upload_file("outputs/metrics.json", io.BytesIO(b'{"accuracy": 0.9, "classes": [1, 2]}'))
    run.upload_file("outputs/config.yaml", io.BytesIO(b"lr: 0.01\nlayers:\n  - 64\n  - 10\n"))
    rows = "epoch,accuracy\n" + "".join(f"{i},{i / 100}\n" for i in range(1000))
    run.upload_file("outputs/history.csv", io.BytesIO(rows.encode()))
    big_log = "".join(f"line {i}\n" for i in range(60_000)).encode()
    run.upload_file("logs/driver.log", io.BytesIO(big_log))
    run.upload_file("outputs/model.bin", io.BytesIO(bytes(range(256)) * 8))
    child = run.child_run("fold-1")
    child.complete()
    run.complete()
    return run


def script_run(workspace: Workspace) -> Run:
    """A failed run whose every name, tag, metric name, value and file tries to run a
    script."""
    run = Experiment(workspace, "scripts").start_logging(display_name=SCRIPTS[0])
    for index, text in enumerate(SCRIPTS):
        run.tag(text, text)
        run.add_properties({f"param.{text}": text, f"note{index}": text})
        run.log(text, float(index))
        run.log(f"text{index}", text)
        run.log_row(f"row{index}", **{"col": text})
        run.log_list(f"list{index}", [text])
        run.log_table(f"table{index}", {text: [text]})
    for name, data in SCRIPT_FILES.items():
        run.upload_file(name, io.BytesIO(data))
    run.fail(SCRIPTS[1])
    return run


SPIKE_STEP = 77_777
"""The one step of each long history whose value (50) stands out: a downsampled chart must
keep it."""


def long_run(workspace: Workspace, metrics: int, steps: int) -> Run:
    """A completed run with ``metrics`` metrics (``m0``...) of ``steps`` steps each, written
    by one bulk SQL statement in the workspace's SQLite store (``log_metrics`` would take
    minutes); a falling curve with one spike at :data:`SPIKE_STEP`."""
    run = Experiment(workspace, "long").start_logging()
    run.complete()
    store: Any = workspace.store
    names = " UNION ALL ".join(f"SELECT 'm{index}' AS name" for index in range(metrics))
    sql = f"""
        INSERT INTO metrics (run_pk, name, step, kind, number, text, timestamp, description)
        WITH RECURSIVE steps(step) AS (
            SELECT 0 UNION ALL SELECT step + 1 FROM steps WHERE step + 1 < ?
        )
        SELECT r.id, n.name, steps.step, 0,
               CASE WHEN steps.step = {SPIKE_STEP} THEN 50.0 ELSE 1.0 / (1 + steps.step) END,
               NULL, r.created_time + steps.step, NULL
        FROM runs AS r CROSS JOIN ({names}) AS n CROSS JOIN steps
        WHERE r.run_id = ?
    """
    with store.engine.begin() as connection:
        connection.exec_driver_sql(sql, (steps, run.id))
    return run
