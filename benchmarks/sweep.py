"""Per-trial platform overhead of a sweep: runlab against Ray Tune and Optuna alone.

    .venv/bin/python benchmarks/sweep.py                 # 100 trials of 0.3 s, 2 at a time
    .venv/bin/python benchmarks/sweep.py --trials 4 --cases optuna runlab-local   # a smoke run

Every case runs the same trial: a script (or function) that imports numpy and scikit-learn,
then works for ``--work`` seconds (sleeps) and reports a score; it measures its own work time.
For each case:

    overhead per trial = (sweep wall time x concurrency - sum of the trials' own work) / trials
    work share         = sum of the trials' own work / (sweep wall time x concurrency)

Cases (each in a fresh interpreter, so nothing is warm that the case would not warm itself):

* ``optuna``: Optuna alone in one process, ``study.optimize(n_jobs=concurrency)``: the floor.
* ``tune-default``: Ray Tune with ``OptunaSearch``, its defaults (a new worker per trial).
* ``tune-reuse``: the same with ``reuse_actors=True``.
* ``runlab-local``: a runlab sweep (``HyperDriveConfig``, random sampling) on the local
  target: the wall time is the parent run's start to end, each trial a child run with its
  snapshot, log, metrics and state.
* ``runlab-ray``: the same on a Ray cluster runlab starts on this machine (one node up
  before the sweep, deleted after): trials on the controller's warm Ray actors.

The ``steady`` column (runlab only) is the same formula from the first trial's start to the
last trial's end: the overhead once the workers are warm, without their one-time imports.

Targets (issue 14): <= 0.07 s per trial on the local target, <= 0.2 s on a Ray cluster.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

CASES = ("optuna", "tune-default", "tune-reuse", "runlab-local", "runlab-ray")
TARGETS = {"runlab-local": 0.07, "runlab-ray": 0.2}

TRIAL_SCRIPT = """
import argparse, time
started = time.perf_counter()
import numpy
import sklearn.linear_model
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float)
parser.add_argument("--work", type=float)
args = parser.parse_args()
work_started = time.perf_counter()
time.sleep(args.work)
run = Run.get_context()
run.log("work_s", time.perf_counter() - work_started)
run.log("score", -(args.x - 0.3) ** 2)
"""


def _figures(case: str, wall_s: float, work: list[float], concurrency: int) -> dict[str, Any]:
    trials = len(work)
    busy = wall_s * concurrency
    return {
        "case": case,
        "trials": trials,
        "wall_s": wall_s,
        "overhead_s": (busy - sum(work)) / trials if trials else float("nan"),
        "work_share": sum(work) / busy if busy else float("nan"),
    }


# -- the cases, each run in its own interpreter -----------------------------------------------


def case_optuna(trials: int, concurrency: int, work_s: float) -> dict[str, Any]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import numpy  # noqa: F401  the trial's imports, once
    import sklearn.linear_model  # noqa: F401

    works: list[float] = []

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", 0, 1)
        started = time.perf_counter()
        time.sleep(work_s)
        works.append(time.perf_counter() - started)
        return -((x - 0.3) ** 2)

    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(0))
    started = time.perf_counter()
    study.optimize(objective, n_trials=trials, n_jobs=concurrency)
    return _figures("optuna", time.perf_counter() - started, works, concurrency)


def case_tune(trials: int, concurrency: int, work_s: float, reuse: bool) -> dict[str, Any]:
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ["RAY_DEDUP_LOGS"] = "0"
    os.environ["TUNE_DISABLE_AUTO_CALLBACK_LOGGERS"] = "1"
    import ray
    from ray import tune
    from ray.tune.search.optuna import OptunaSearch

    temp = tempfile.mkdtemp(prefix="rt", dir="/tmp")
    ray.init(
        address="local",
        num_cpus=concurrency,
        include_dashboard=False,
        _temp_dir=temp,
        log_to_driver=False,
    )

    def trainable(config: dict[str, float]) -> dict[str, float]:
        import numpy  # noqa: F401  the trial's imports: paid again by each fresh worker
        import sklearn.linear_model  # noqa: F401

        started = time.perf_counter()
        time.sleep(work_s)
        work = time.perf_counter() - started
        return {"score": -((config["x"] - 0.3) ** 2), "work_s": work}

    try:
        tuner = tune.Tuner(
            trainable,
            param_space={"x": tune.uniform(0, 1)},
            tune_config=tune.TuneConfig(
                search_alg=OptunaSearch(metric="score", mode="max", seed=0),
                num_samples=trials,
                max_concurrent_trials=concurrency,
                reuse_actors=reuse,
            ),
            run_config=tune.RunConfig(
                storage_path=str(Path(temp) / "results"), verbose=0, log_to_file=False
            ),
        )
        started = time.perf_counter()
        results = tuner.fit()
        wall = time.perf_counter() - started
        works = [float(result.metrics["work_s"]) for result in results]
    finally:
        ray.shutdown()
    return _figures("tune-reuse" if reuse else "tune-default", wall, works, concurrency)


def case_runlab(trials: int, concurrency: int, work_s: float, ray: bool) -> dict[str, Any]:
    from runlab import Workspace

    folder = Path(tempfile.mkdtemp(prefix="runlab-sweep-bench-"))
    os.environ["RUNLAB_JOB_ROOT"] = str(folder / "jobs")
    source = folder / "src"
    source.mkdir()
    (source / "train.py").write_text(textwrap.dedent(TRIAL_SCRIPT))
    workspace = Workspace.create("bench", path=str(folder / "ws"), exist_ok=True)
    target = "local"
    cluster = None
    if ray:
        from runlab.compute.ray import RayCompute

        # One node up before the sweep starts (its start is the cluster's, not the sweep's).
        provisioning = RayCompute.provisioning_configuration(
            "STANDARD_D2_V2", min_nodes=1, max_nodes=2, idle_seconds_before_scaledown=30
        )
        cluster = RayCompute.create(workspace, "bench-cluster", provisioning)
        cluster.wait_for_completion()
        target = "bench-cluster"
    try:
        return _sweep(workspace, source, target, trials, concurrency, work_s)
    finally:
        if cluster is not None:
            cluster.delete()


def _sweep(
    workspace: Any, source: Path, target: str, trials: int, concurrency: int, work_s: float
) -> dict[str, Any]:
    from runlab import Experiment
    from runlab.jobs import ScriptRunConfig
    from runlab.sweeps import (
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        uniform,
    )

    config = HyperDriveConfig(
        run_config=ScriptRunConfig(
            source, "train.py", arguments=["--work", work_s], compute_target=target
        ),
        hyperparameter_sampling=RandomParameterSampling({"--x": uniform(0, 1)}, seed=0),
        primary_metric_name="score",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=trials,
        max_concurrent_runs=concurrency,
    )
    run = Experiment(workspace, "bench").submit(config)
    run.wait_for_completion()
    record = run._refresh()
    wall = (record.end_time or 0) - (record.start_time or 0)
    works = [float(metrics["work_s"]) for metrics in run.get_metrics().values()]
    statuses = {child.get_status() for child in run.get_children()}
    if statuses != {"Completed"} or len(works) != trials:
        raise SystemExit(f"the sweep did not complete every trial: {statuses}, {len(works)}")
    case = "runlab-local" if target == "local" else "runlab-ray"
    figures = _figures(case, wall, works, concurrency)
    # Also without the warm-up (the workers' imports): the first trial's start to the last end.
    children = [child._refresh() for child in run.get_children()]
    first = min(child.start_time or 0 for child in children)
    last = max(child.end_time or 0 for child in children)
    figures["steady_overhead_s"] = _figures("", last - first, works, concurrency)["overhead_s"]
    return figures


def run_case(case: str, trials: int, concurrency: int, work_s: float) -> dict[str, Any]:
    """One case's figures, measured in this interpreter."""
    if case == "optuna":
        return case_optuna(trials, concurrency, work_s)
    if case in ("tune-default", "tune-reuse"):
        return case_tune(trials, concurrency, work_s, reuse=case == "tune-reuse")
    return case_runlab(trials, concurrency, work_s, ray=case == "runlab-ray")


# -- the table ----------------------------------------------------------------------------------


def _row(figures: dict[str, Any]) -> str:
    case = figures["case"]
    if "error" in figures:
        return f"{case:<14} {figures['error']}"
    overhead = figures["overhead_s"]
    target = TARGETS.get(case)
    verdict = ""
    if target is not None:
        verdict = f"target <= {target:.2f} s: {'met' if overhead <= target else 'NOT met'}"
    steady = figures.get("steady_overhead_s")
    steady_text = f"{steady:>12.4f}" if steady is not None else f"{'-':>12}"
    wall, share = figures["wall_s"], figures["work_share"] * 100
    return (
        f"{case:<14} {figures['trials']:>6} {wall:>9.2f} {overhead:>12.4f} {steady_text}"
        f" {share:>9.1f}%  {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--work", type=float, default=0.3, help="seconds of work per trial")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)  # one case, in-process
    options = parser.parse_args()
    if options.case:
        figures = run_case(options.case, options.trials, options.concurrency, options.work)
        print("FIGURES " + json.dumps(figures), flush=True)
        return 0
    print(
        f"sweep overhead: {options.trials} trials of {options.work} s work (imports numpy and"
        f" scikit-learn), {options.concurrency} at a time, on {os.cpu_count()} cores"
    )
    print(
        f"{'case':<14} {'trials':>6} {'wall (s)':>9} {'overhead (s)':>12} {'steady (s)':>12}"
        f" {'work':>10}"
    )
    for case in options.cases:
        command = [
            sys.executable, __file__, "--case", case, "--trials", str(options.trials),
            "--concurrency", str(options.concurrency), "--work", str(options.work),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("FIGURES ")]
        if done.returncode != 0 or not lines:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            figures = {"case": case, "error": f"failed (code {done.returncode}): {tail}"}
        else:
            figures = json.loads(lines[-1][len("FIGURES ") :])
        print(_row(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
