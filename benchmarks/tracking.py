"""Compare runlab's tracking with MLflow's (SQLite backend) on the same workloads.

Each workload runs in a fresh interpreter and a fresh temporary folder: runlab's half with
this interpreter (``_runlab_worker.py``), MLflow's with ``benchmarks/.venv-mlflow``
(``_mlflow_worker.py``). The table gives both figures, their ratio, MLflow's published
reference, and runlab's target with whether it is met.

    bash benchmarks/setup-mlflow-env.sh     # once: MLflow in its own environment
    .venv/bin/python benchmarks/tracking.py # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/tracking.py --quick --only log history

Without ``benchmarks/.venv-mlflow`` it prints runlab's figures alone and says how to create it.
See ``benchmarks/README.md`` for what each row measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNLAB_WORKER = HERE / "_runlab_worker.py"
MLFLOW_WORKER = HERE / "_mlflow_worker.py"
MLFLOW_ENV = HERE / ".venv-mlflow"
MLFLOW_PYTHON = MLFLOW_ENV / "bin" / "python"
SETUP_HINT = "bash benchmarks/setup-mlflow-env.sh"
WORKER_TIMEOUT_S = 30 * 60

WORKLOADS = ("import", "log", "batch", "history", "search")


@dataclasses.dataclass(frozen=True)
class Sizes:
    """How much each workload does; MLflow gets less where it is too slow for the full size."""

    runlab_calls: int = 100_000
    mlflow_calls: int = 2_000
    points: int = 100_000
    runlab_batch: int = 10_000
    mlflow_batch: int = 1_000
    runlab_runs: int = 10_000
    mlflow_runs: int = 1_000
    repeat: int = 3
    import_repeat: int = 5

    def scaled(self, factor: int) -> Sizes:
        """Every count divided by ``factor`` (for a quick look, not for the record)."""
        return dataclasses.replace(
            self,
            runlab_calls=self.runlab_calls // factor,
            mlflow_calls=max(self.mlflow_calls // factor, 10),
            points=self.points // factor,
            runlab_batch=max(self.runlab_batch // factor, 1),
            runlab_runs=self.runlab_runs // factor,
            mlflow_runs=max(self.mlflow_runs // factor, 10),
        )


@dataclasses.dataclass
class Row:
    """One line of the table: the same figure for both libraries."""

    label: str
    sizes: str
    unit: str  # "/s" (higher is better) or "s" (lower is better)
    runlab: float | None
    mlflow: float | None
    reference: str
    target: float | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.unit == "/s"

    def met(self) -> str:
        if self.target is None:
            return ""
        if self.runlab is None:
            return "?"
        ok = self.runlab >= self.target if self.higher_is_better else self.runlab <= self.target
        return "yes" if ok else "NO"

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {format_figure(self.target, self.unit)}"

    def ratio_text(self) -> str:
        if self.runlab is None or not self.mlflow:
            return "-"
        ratio = self.runlab / self.mlflow
        return f"{ratio:,.0f}" if ratio >= 100 else f"{ratio:.3g}"


def format_figure(value: float | None, unit: str) -> str:
    """``123,456 /s`` or ``0.0123 s``; ``-`` when there is no figure."""
    if value is None:
        return "-"
    if unit == "/s":
        return f"{value:,.0f} /s"
    if value >= 10:
        return f"{value:,.1f} s"
    return f"{value:.3g} s"


def say(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the report."""
    print(message, file=sys.stderr, flush=True)


# -- measuring ---------------------------------------------------------------------------


def best_wall_time(python: Path | str, code: str, repeat: int, cwd: str) -> float:
    """The shortest wall time of ``python -c code`` over ``repeat`` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([str(python), "-c", code], cwd=cwd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def import_seconds(python: Path | str, module: str, repeat: int) -> float:
    """What ``import module`` adds to a bare interpreter start, best of ``repeat``."""
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        # Warm the disk cache and write bytecode once, as any second run of a program would.
        best_wall_time(python, f"import {module}", 1, folder)
        bare = best_wall_time(python, "pass", repeat, folder)
        loaded = best_wall_time(python, f"import {module}", repeat, folder)
    return max(loaded - bare, 0.0)


def import_figures(python: Path | str, module: str, repeat: int) -> dict[str, Any]:
    """The import workload's figures, in the shape the workers report theirs."""
    return {"seconds": import_seconds(python, module, repeat)}


def run_worker(python: Path | str, worker: Path, args: Sequence[str]) -> dict[str, Any]:
    """Run one workload in a fresh interpreter; its last stdout line is its JSON figures.

    Raises:
        RuntimeError: the worker failed; the message has the end of its stderr.
    """
    environment = os.environ | {"PYTHONUNBUFFERED": "1"}
    try:
        done = subprocess.run(
            [str(python), str(worker), *args],
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
            env=environment,
        )
    except subprocess.TimeoutExpired as error:
        command = f"{worker.name} {' '.join(args)}"
        raise RuntimeError(f"{command} ran over {WORKER_TIMEOUT_S} s") from error
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = "\n    ".join(done.stderr.strip().splitlines()[-8:])
        command = f"{worker.name} {' '.join(args)}"
        raise RuntimeError(f"{command} failed ({done.returncode}):\n    {tail}")
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


class Bench:
    """Runs the workloads on both libraries and keeps what came back, or why nothing did."""

    def __init__(self, sizes: Sizes, with_mlflow: bool) -> None:
        self.sizes = sizes
        self.with_mlflow = with_mlflow
        self.results: dict[str, dict[str, Any]] = {"runlab": {}, "mlflow": {}}
        self.errors: list[str] = []

    def _measure(self, library: str, workload: str, action: Callable[[], dict[str, Any]]) -> None:
        say(f"  {library:<7} {workload} ...")
        start = time.perf_counter()
        try:
            self.results[library][workload] = action()
        except (RuntimeError, subprocess.CalledProcessError) as error:
            self.errors.append(f"{library} {workload}: {error}")
            say(f"  {library:<7} {workload} FAILED: {error}")
            return
        say(f"  {library:<7} {workload} done in {time.perf_counter() - start:.1f} s")

    def run(self, workloads: Sequence[str]) -> None:
        """Measure each workload on runlab, then on MLflow."""
        sizes = self.sizes
        worker_args = {
            "log": (["--calls", str(sizes.runlab_calls)], ["--calls", str(sizes.mlflow_calls)]),
            "batch": (
                ["--points", str(sizes.points), "--batch-size", str(sizes.runlab_batch)],
                ["--points", str(sizes.points), "--batch-size", str(sizes.mlflow_batch)],
            ),
            "history": (
                ["--points", str(sizes.points), "--repeat", str(sizes.repeat)],
                ["--points", str(sizes.points), "--repeat", str(sizes.repeat)],
            ),
            "search": (
                ["--runs", str(sizes.runlab_runs), "--repeat", str(sizes.repeat)],
                ["--runs", str(sizes.mlflow_runs), "--repeat", str(sizes.repeat)],
            ),
        }
        sides = [("runlab", sys.executable, RUNLAB_WORKER, "runlab")]
        if self.with_mlflow:
            sides.append(("mlflow", str(MLFLOW_PYTHON), MLFLOW_WORKER, "mlflow"))
        for workload in workloads:
            for side, (library, python, worker, module) in enumerate(sides):
                if workload == "import":
                    action = functools.partial(import_figures, python, module, sizes.import_repeat)
                else:
                    args = [workload, *worker_args[workload][side]]
                    action = functools.partial(run_worker, python, worker, args)
                self._measure(library, workload, action)

    def figure(self, library: str, workload: str, key: str) -> float | None:
        """One figure a worker reported, or None when it has none."""
        value = self.results[library].get(workload, {}).get(key)
        return None if value is None else float(value)

    def both(self, workload: str, key: str) -> tuple[float | None, float | None]:
        """The same figure from runlab and from MLflow."""
        return self.figure("runlab", workload, key), self.figure("mlflow", workload, key)

    def rows(self, workloads: Sequence[str]) -> list[Row]:
        """The table's rows for the workloads that were run."""
        sizes = self.sizes
        both = self.both
        rows: list[Row] = []
        if "import" in workloads:
            rows.append(
                Row(
                    "import runlab / import mlflow",
                    "-",
                    "s",
                    *both("import", "seconds"),
                    "1.5 s",
                    0.3,
                )
            )
        if "log" in workloads:
            calls = f"{sizes.runlab_calls:,} / {sizes.mlflow_calls:,} calls"
            rows.append(
                Row(
                    "run.log / mlflow.log_metric calls",
                    calls,
                    "/s",
                    *both("log", "calls_per_s"),
                    "~260 /s",
                    100_000,
                )
            )
            rows.append(
                Row(
                    "  then all stored (flush; MLflow: sync)",
                    "",
                    "s",
                    *both("log", "flush_s"),
                    "-",
                    1.0,
                )
            )
        if "batch" in workloads:
            batches = f"{sizes.points:,} pts, batch {sizes.runlab_batch:,} / {sizes.mlflow_batch:,}"
            rows.append(
                Row(
                    "batch logging, points stored",
                    batches,
                    "/s",
                    *both("batch", "points_per_s"),
                    "10,000 /s",
                    100_000,
                )
            )
        if "history" in workloads:
            steps = f"{sizes.points:,} steps"
            mlflow_read = self.figure("mlflow", "history", "get_metric_history_s")
            for label, key in (
                ("history read: run.get_metrics(m)", "run_get_metrics_s"),
                ("history read: store.get_metric_histories", "store_histories_s"),
            ):
                rows.append(
                    Row(
                        label,
                        steps,
                        "s",
                        self.figure("runlab", "history", key),
                        mlflow_read,
                        "0.26 s @ 10k steps",
                        0.1,
                    )
                )
        if "search" in workloads:
            runs = f"{sizes.runlab_runs:,} / {sizes.mlflow_runs:,} runs"
            rows.append(
                Row(
                    "filtered ordered search (status+tag)",
                    runs,
                    "s",
                    *both("search", "filtered_s"),
                    "0.11 s @ 1k runs",
                    0.1,
                )
            )
            rows.append(Row("all runs, ordered", runs, "s", *both("search", "all_ordered_s"), "-"))
            rows.append(
                Row(
                    "  (set-up) runs created",
                    runs,
                    "/s",
                    *both("search", "runs_created_per_s"),
                    "-",
                )
            )
        return rows


# -- reporting ---------------------------------------------------------------------------


def versions(with_mlflow: bool) -> str:
    """One line naming what was measured and on what."""
    import runlab

    mlflow_version = "not installed"
    if with_mlflow:
        done = subprocess.run(
            [
                str(MLFLOW_PYTHON),
                "-c",
                "from importlib.metadata import version; print(version('mlflow'))",
            ],
            capture_output=True,
            text=True,
        )
        mlflow_version = done.stdout.strip() or "unknown"
    return (
        f"runlab {runlab.__version__} vs MLflow {mlflow_version} (sqlite backend);"
        f" Python {platform.python_version()}, SQLite {sqlite3.sqlite_version},"
        f" {os.cpu_count()} CPUs, {platform.machine()}"
    )


def table(rows: Sequence[Row]) -> str:
    """The rows as a plain-text table."""
    header = (
        "workload",
        "size (runlab / MLflow)",
        "runlab",
        "MLflow",
        "runlab/MLflow",
        "MLflow ref. (2 cores)",
        "runlab target",
        "met",
    )
    body = [
        (
            row.label,
            row.sizes,
            format_figure(row.runlab, row.unit),
            format_figure(row.mlflow, row.unit),
            row.ratio_text(),
            row.reference,
            row.target_text(),
            row.met(),
        )
        for row in rows
    ]
    return render_table(header, body, right={2, 3, 4})


def render_table(
    header: Sequence[str], body: Sequence[Sequence[str]], right: Collection[int] = ()
) -> str:
    """A plain-text table: ``header``, a rule, then ``body``; the columns numbered in
    ``right`` are right-aligned (figures), the others left-aligned."""
    widths = [max(len(line[column]) for line in (header, *body)) for column in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index in right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, help="run only these workloads")
    parser.add_argument("--quick", action="store_true", help="a tenth of every size (a smoke test)")
    parser.add_argument("--no-mlflow", action="store_true", help="measure runlab only")
    parser.add_argument("--json", metavar="PATH", help="also write every raw figure to PATH")
    options = parser.parse_args(argv)

    sizes = Sizes().scaled(10) if options.quick else Sizes()
    workloads = tuple(options.only or WORKLOADS)
    have_mlflow = MLFLOW_PYTHON.exists()
    with_mlflow = have_mlflow and not options.no_mlflow

    say(f"running {', '.join(workloads)}{' (quick sizes)' if options.quick else ''}")
    bench = Bench(sizes, with_mlflow)
    bench.run(workloads)
    rows = bench.rows(workloads)

    print(versions(with_mlflow))
    print()
    print(table(rows))
    print()
    print(
        "Ratios are runlab/MLflow of the figures shown: for /s rows higher favours runlab,"
        " for s rows lower does."
    )
    if "search" in workloads:
        print(
            "Search rows time runlab over 10x as many runs as MLflow (MLflow creates runs"
            " slowly); the ratio compares unlike sizes."
        )
    if "log" in workloads:
        print(
            "mlflow.log_metric is synchronous (each call has stored its point), so its"
            " 'then all stored' is 0."
        )
    unmet = [row.label.strip() for row in rows if row.met() == "NO"]
    print(f"runlab targets not met: {', '.join(unmet) if unmet else 'none'}")
    if not have_mlflow:
        print(
            f"\nMLflow figures are missing: no {MLFLOW_ENV.relative_to(HERE.parent)}."
            f" Create it with `{SETUP_HINT}`, then run this again."
        )
    for error in bench.errors:
        print(f"\nerror: {error}")
    if options.json:
        Path(options.json).write_text(
            json.dumps({"sizes": dataclasses.asdict(sizes), "results": bench.results}, indent=2)
        )
    return 1 if bench.errors else 0


if __name__ == "__main__":
    sys.exit(main())
