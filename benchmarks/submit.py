"""Time submitting a one-metric script as a runlab job, against ``mlflow run`` of the same script.

The script logs one metric and nothing else, so what is timed is the job machinery: runlab's
``experiment.submit(ScriptRunConfig(src, "train.py"))`` with the environment cached (None:
the submitting interpreter, nothing to build), and MLflow's ``mlflow run DIR --env-manager
local`` of an MLproject whose ``main`` entry point is ``python train.py``.

    bash benchmarks/setup-mlflow-env.sh    # once: MLflow in its own environment
    .venv/bin/python benchmarks/submit.py  # about a minute and a half on 2 cores
    .venv/bin/python benchmarks/submit.py --runs 5 --mlflow-runs 3 --no-mlflow

Every figure is the median (and p90) over sequential runs that follow one uncounted warm-up
run. Without ``benchmarks/.venv-mlflow`` it prints runlab's figures alone and says how to
create it. See ``benchmarks/README.md`` for what each row measures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tracking import (
    HERE,
    MLFLOW_ENV,
    MLFLOW_PYTHON,
    SETUP_HINT,
    format_figure,
    render_table,
    say,
    versions,
)

RUNLAB_SCRIPT = 'from runlab import Run\n\nRun.get_context().log("accuracy", 0.9)\n'
MLFLOW_SCRIPT = 'import mlflow\n\nmlflow.log_metric("accuracy", 0.9)\n'
MLPROJECT = "name: submit-bench\n\nentry_points:\n  main:\n    command: python train.py\n"

TARGET_RUNNING_S = 0.5
TARGET_COMPLETED_S = 1.5
TARGET_SHARE_OF_MLFLOW = 1 / 3
RUN_TIMEOUT_S = 120.0
"""A run that takes longer than this is reported as an error, not waited for."""
RUNLAB_VARIABLES = ("RUNLAB_RUN_ID", "RUNLAB_WORKSPACE", "RUNLAB_JOB_ROOT")


# -- figures -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Stats:
    """The median and p90 of some samples (p90 None where it means nothing)."""

    median: float
    p90: float | None = None

    @classmethod
    def of(cls, samples: Sequence[float] | None) -> Stats | None:
        """The samples' median and 90th percentile; None for no samples."""
        if not samples:
            return None
        if len(samples) == 1:
            return cls(samples[0], samples[0])
        p90 = statistics.quantiles(samples, n=10, method="inclusive")[8]
        return cls(statistics.median(samples), p90)


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the table: a figure on runlab and on MLflow, and runlab's target."""

    label: str
    runlab: Stats | None
    mlflow: Stats | None
    unit: str = "s"  # "s", or "x" for a ratio
    target: float | None = None
    target_label: str = ""

    def cells(self) -> tuple[str, ...]:
        """The row's cells, in the order of :data:`HEADER`."""
        return (
            self.label,
            self._format(self.runlab and self.runlab.median),
            self._format(self.runlab and self.runlab.p90),
            self._format(self.mlflow and self.mlflow.median),
            self._format(self.mlflow and self.mlflow.p90),
            self.ratio_text(),
            self.target_text(),
            self.met(),
        )

    def _format(self, value: float | None) -> str:
        if self.unit == "x":
            return "-" if value is None else f"{value:.3g}"
        return format_figure(value, self.unit)

    def ratio_text(self) -> str:
        if self.unit == "x" or self.runlab is None or not self.mlflow or not self.mlflow.median:
            return "-"
        return f"{self.runlab.median / self.mlflow.median:.3g}"

    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"<= {self.target_label or self._format(self.target)}"

    def met(self) -> str:
        if self.target is None:
            return ""
        if self.runlab is None:
            return "?"
        return "yes" if self.runlab.median <= self.target else "NO"


HEADER = (
    "figure",
    "runlab median",
    "p90",
    "MLflow median",
    "p90",
    "runlab/MLflow",
    "runlab target",
    "met",
)


# -- runlab ------------------------------------------------------------------------------


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without runlab's job variables, plus ``extra``."""
    environment = {k: v for k, v in os.environ.items() if k not in RUNLAB_VARIABLES}
    return environment | extra


def wait_for_exit(pid: int, timeout_s: float = 10.0) -> None:
    """Wait until process ``pid`` is gone (LocalCompute's reaper thread collects it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)


def time_runlab_submits(folder: Path, runs: int, poll_s: float) -> dict[str, Any]:
    """Submit the script ``runs + 1`` times, one after the other; the first is a warm-up.

    Each submit is timed from just before ``experiment.submit(config)`` to the first poll of
    the store that sees the run Running (or past it), and to the first that sees it
    Completed. Between runs (untimed) the metric is checked and the job's entry process is
    waited for, so runs never overlap.

    Raises:
        RuntimeError: a run failed, hung, or did not store its metric.
    """
    from runlab import Experiment, RunStatus, Workspace
    from runlab.jobs import ScriptRunConfig

    running_or_later = {RunStatus.RUNNING, RunStatus.FINALIZING, RunStatus.COMPLETED}
    source = folder / "src"
    source.mkdir()
    (source / "train.py").write_text(RUNLAB_SCRIPT)
    os.environ["RUNLAB_JOB_ROOT"] = str(folder / "jobs")
    workspace = Workspace.create("submit-bench", path=folder / "workspace")
    experiment = Experiment(workspace, "submit-bench")
    store = workspace.store
    to_running: list[float] = []
    to_completed: list[float] = []
    running_seen = 0
    phases: list[dict[str, float]] = []
    for index in range(runs + 1):
        config = ScriptRunConfig(source, "train.py")
        running_at = None
        saw_running = False
        start = time.perf_counter()
        run = experiment.submit(config)
        while True:
            record = store.get_run(run.id)
            elapsed = time.perf_counter() - start
            if running_at is None and record.status in running_or_later:
                running_at = elapsed
                saw_running = record.status is RunStatus.RUNNING
            if record.status.is_terminal:
                break
            if elapsed > RUN_TIMEOUT_S:
                raise RuntimeError(
                    f"run {run.id} still {record.status.value} after {elapsed:.0f} s"
                )
            time.sleep(poll_s)
        if record.status is not RunStatus.COMPLETED or running_at is None:
            raise RuntimeError(
                f"run {run.id} ended {record.status.value}: {record.error_details or ''}"
            )
        metrics = run.get_metrics()
        if metrics != {"accuracy": 0.9}:
            raise RuntimeError(f"run {run.id} stored {metrics!r}, not {{'accuracy': 0.9}}")
        wait_for_exit(int(json.loads(run.get_properties()["runlab.job_handle"])["pid"]))
        if index == 0:
            continue  # the warm-up
        to_running.append(running_at)
        to_completed.append(elapsed)
        running_seen += saw_running
        assert record.start_time is not None and record.end_time is not None
        phases.append(
            {
                "created_to_start_s": record.start_time - record.created_time,
                "start_to_end_s": record.end_time - record.start_time,
            }
        )
        say(f"  runlab  run {index:>2}: Running {running_at:.3f} s, Completed {elapsed:.3f} s")
    return {
        "to_running_s": to_running,
        "to_completed_s": to_completed,
        "running_seen": running_seen,
        "store_phases": phases,
    }


def time_bare(python: Path | str, folder: Path, runs: int, env: Mapping[str, str]) -> list[float]:
    """Wall times of ``python train.py`` in ``folder``, ``runs`` times after one warm-up.

    Raises:
        subprocess.CalledProcessError: the script failed.
    """
    samples = []
    for index in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(
            [str(python), "train.py"], cwd=folder, env=env, check=True, capture_output=True
        )
        if index:
            samples.append(time.perf_counter() - start)
    return samples


# -- MLflow ------------------------------------------------------------------------------


def mlflow_environment(database: Path) -> dict[str, str]:
    """The environment ``mlflow run`` gets: its venv's bin first on PATH, a SQLite store."""
    path = f"{MLFLOW_ENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return clean_environment(
        PATH=path,
        MLFLOW_TRACKING_URI=f"sqlite:///{database}",
        VIRTUAL_ENV=str(MLFLOW_ENV),
        PYTHONUNBUFFERED="1",
    )


def count_runs(database: Path) -> int:
    """How many runs MLflow's database holds (0 before it exists)."""
    if not database.exists():
        return 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        (count,) = connection.execute("SELECT count(*) FROM runs").fetchone()
    return int(count)


def check_mlflow_runs(database: Path, expected: int) -> None:
    """Raise unless the database holds ``expected`` finished runs, each with the metric."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        finished = connection.execute(
            "SELECT count(*) FROM runs r WHERE r.status = 'FINISHED' AND EXISTS"
            " (SELECT 1 FROM metrics m WHERE m.run_uuid = r.run_uuid"
            " AND m.key = 'accuracy' AND m.value = 0.9)"
        ).fetchone()[0]
    if finished != expected:
        raise RuntimeError(
            f"MLflow stored {finished} finished runs with the metric, not {expected}"
        )


def time_mlflow_runs(folder: Path, runs: int, poll_s: float) -> dict[str, Any]:
    """``mlflow run PROJECT --env-manager local``, ``runs + 1`` times; the first warms up
    (and creates and migrates the database).

    Each run is timed to the command's exit (Completed), and to the first poll of the
    database that finds its run (MLflow creates it Running, before it starts the script).

    Raises:
        RuntimeError: a run failed, hung, or did not store its metric.
    """
    project = folder / "project"
    project.mkdir()
    (project / "MLproject").write_text(MLPROJECT)
    (project / "train.py").write_text(MLFLOW_SCRIPT)
    database = folder / "mlflow.db"
    environment = mlflow_environment(database)
    command = [str(MLFLOW_ENV / "bin" / "mlflow"), "run", str(project), "--env-manager", "local"]
    to_running: list[float] = []
    to_completed: list[float] = []
    for index in range(runs + 1):
        before = count_runs(database)
        running_at = None
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=folder,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        while process.poll() is None:
            if index and running_at is None and count_runs(database) > before:
                running_at = time.perf_counter() - start
            if time.perf_counter() - start > RUN_TIMEOUT_S:
                process.kill()
                raise RuntimeError(f"mlflow run did not end within {RUN_TIMEOUT_S:.0f} s")
            time.sleep(poll_s)
        elapsed = time.perf_counter() - start
        output = process.stdout.read().decode(errors="replace") if process.stdout else ""
        if process.returncode != 0:
            tail = "\n    ".join(output.strip().splitlines()[-8:])
            raise RuntimeError(f"mlflow run failed ({process.returncode}):\n    {tail}")
        if index == 0:
            continue
        to_completed.append(elapsed)
        if running_at is not None:
            to_running.append(running_at)
        shown = "-" if running_at is None else f"{running_at:.3f} s"
        say(f"  MLflow  run {index:>2}: Running {shown}, Completed {elapsed:.3f} s")
    check_mlflow_runs(database, runs + 1)
    bare = time_bare(MLFLOW_PYTHON, project, runs, environment)
    return {"to_running_s": to_running, "to_completed_s": to_completed, "bare_s": bare}


# -- reporting ---------------------------------------------------------------------------


def difference(left: Stats | None, right: Stats | None) -> Stats | None:
    """``left.median - right.median`` (no p90: the samples are not paired)."""
    if left is None or right is None:
        return None
    return Stats(left.median - right.median)


def build_rows(runlab: Mapping[str, Any], mlflow: Mapping[str, Any] | None) -> list[Row]:
    """The table's rows from both sides' raw samples."""
    mlflow = mlflow or {}
    running = Stats.of(runlab["to_running_s"]), Stats.of(mlflow.get("to_running_s"))
    completed = Stats.of(runlab["to_completed_s"]), Stats.of(mlflow.get("to_completed_s"))
    bare = Stats.of(runlab["bare_s"]), Stats.of(mlflow.get("bare_s"))
    share = None
    if completed[0] and completed[1]:
        share = Stats(completed[0].median / completed[1].median)
    return [
        Row("submit -> Running", *running, target=TARGET_RUNNING_S),
        Row("submit -> Completed", *completed, target=TARGET_COMPLETED_S),
        Row(
            "  as a share of `mlflow run`",
            share,
            None,
            unit="x",
            target=TARGET_SHARE_OF_MLFLOW,
            target_label="1/3",
        ),
        Row("bare `python train.py`", *bare),
        Row(
            "overhead (Completed - bare)",
            difference(completed[0], bare[0]),
            difference(completed[1], bare[1]),
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    """Time both sides and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runlab runs (default 20)")
    parser.add_argument(
        "--mlflow-runs", type=int, default=10, help="timed `mlflow run`s (default 10)"
    )
    parser.add_argument(
        "--poll-ms", type=float, default=10.0, help="how often the store is polled (default 10)"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="measure runlab only")
    parser.add_argument("--json", metavar="PATH", help="also write every raw sample to PATH")
    options = parser.parse_args(argv)
    if options.runs < 1 or options.mlflow_runs < 1:
        parser.error("--runs and --mlflow-runs must be at least 1")
    poll_s = options.poll_ms / 1000
    have_mlflow = MLFLOW_PYTHON.exists()
    with_mlflow = have_mlflow and not options.no_mlflow

    errors: list[str] = []
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as temporary:
        folder = Path(temporary)
        (folder / "runlab").mkdir()
        say(f"runlab: {options.runs} submits after a warm-up")
        try:
            runlab = time_runlab_submits(folder / "runlab", options.runs, poll_s)
            say(f"runlab: {options.runs} bare `python train.py`")
            runlab["bare_s"] = time_bare(
                sys.executable, folder / "runlab" / "src", options.runs, clean_environment()
            )
            results["runlab"] = runlab
        except (RuntimeError, subprocess.CalledProcessError) as error:
            errors.append(f"runlab: {error}")
        if with_mlflow:
            (folder / "mlflow").mkdir()
            say(f"MLflow: {options.mlflow_runs} `mlflow run`s (and bare runs) after a warm-up")
            try:
                results["mlflow"] = time_mlflow_runs(folder / "mlflow", options.mlflow_runs, poll_s)
            except (RuntimeError, subprocess.CalledProcessError) as error:
                errors.append(f"MLflow: {error}")

    print(versions(with_mlflow))
    counts = f"{options.runs} runlab" + (f" / {options.mlflow_runs} MLflow" if with_mlflow else "")
    print(
        f"medians (and p90) over {counts} runs, each after a warm-up;"
        f" stores polled every {options.poll_ms:g} ms"
    )
    print()
    if "runlab" in results:
        rows = build_rows(results["runlab"], results.get("mlflow"))
        print(render_table(HEADER, [row.cells() for row in rows], right=set(range(1, 6))))
        print()
        seen = results["runlab"]["running_seen"]
        if seen < options.runs:
            print(
                f"Running was seen in {seen} of {options.runs} runlab runs; in the others the"
                " first poll past Queued found the run further on."
            )
        print(
            "runlab's bare run is the script offline (no job, nothing stored); MLflow's logs"
            " to the same SQLite store.\nMLflow's Running is its run's creation, before it"
            " starts the script; runlab's is set just before the entry spawns it."
        )
        unmet = [row.label.strip() for row in rows if row.met() == "NO"]
        print(f"runlab targets not met: {', '.join(unmet) if unmet else 'none'}")
    if not have_mlflow:
        print(
            f"\nMLflow figures are missing: no {MLFLOW_ENV.relative_to(HERE.parent)}."
            f" Create it with `{SETUP_HINT}`, then run this again."
        )
    for error in errors:
        print(f"\nerror: {error}")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
