"""``runlab tutorial mnist``: the reference workflow of DESIGN.md, one timed stage at a time.

Every stage prints a numbered heading when it starts and its time when it ends; long ones
show their own progress (download and upload bars, a spinner over the local fit, the
cluster's state, the job's log as it grows). :func:`run_tutorial` returns an
:class:`Outcome` that :mod:`runlab.tutorial.report` turns into the closing table.

The cluster is deleted however the tutorial ends, Ctrl-C included, so no Ray process is
left behind; a run still going when that happens is canceled first. Where no Ray cluster
can start (Ray not installed, a platform Ray does not run on, or a head that fails to
start), the tutorial says so and why, and submits the same ``train.py`` as a local job.
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import sys
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from runlab._progress import Progress
from runlab.datasets import mnist
from runlab.datasets._idx import require
from runlab.entities import OUTPUTS_DIR, RunStatus
from runlab.errors import NotFoundError, RunlabError
from runlab.tracking import Experiment, Run, Workspace
from runlab.tracking.workspace import CONFIG_DIR, CONFIG_FILE
from runlab.tutorial import scripts_folder
from runlab.tutorial.data import TutorialData, get_data

if TYPE_CHECKING:
    from runlab.compute.ray import RayCompute
    from runlab.data import Datastore

__all__ = [
    "CLUSTER_NAME",
    "EXPERIMENT_NAME",
    "MODEL_FILE",
    "REGULARIZATION",
    "STAGES",
    "Outcome",
    "TrainingResult",
    "model_name",
    "run_tutorial",
    "why_no_cluster",
]

EXPERIMENT_NAME = "Tutorial-sklearn-mnist"
"""The experiment both runs belong to (the tutorial's name)."""
CLUSTER_NAME = "cpu-cluster"
"""The Ray cluster the tutorial creates, and deletes at the end."""
REGULARIZATION = 0.8
"""``train.py --regularization``: the inverse of scikit-learn's ``C``."""
MODEL_FILE = f"{OUTPUTS_DIR}/sklearn_mnist_model.pkl"
"""Where ``train.py`` saves the model, among the run's files."""
SAMPLE_SIZE = 30
RAY_PLATFORMS = {"linux": "Linux", "darwin": "macOS", "win32": "Windows (beta in Ray)"}
"""The platforms Ray publishes wheels for, by :data:`sys.platform`."""

STAGES: dict[str, str] = {
    "workspace": "Create or reuse the workspace",
    "data": "Get the data",
    "figure": "Draw 30 sample digits",
    "upload": "Upload the data to the default datastore",
    "local": "Train LogisticRegression() here, as a tracked run",
    "cluster": "Create a Ray cluster (min 0, max 2 nodes)",
    "submit": "Submit train.py to the cluster",
    "remote": "Train on the cluster (its log, as it grows)",
    "results": "Read the run's metrics and files",
    "register": "Register the model",
    "delete": "Delete the cluster",
}
"""The stages in order, by key: what each does."""


def model_name(data: TutorialData) -> str:
    """The registered model's name: ``sklearn_mnist``, or ``sklearn_digits`` offline."""
    return f"sklearn_{data.name}"


@dataclass
class TrainingResult:
    """One trained model: its run, its test accuracy, and how long its fit took."""

    run_id: str
    accuracy: float
    fit_s: float


@dataclass
class Outcome:
    """What the tutorial did, for the closing table."""

    workspace_folder: Path
    data: TutorialData | None = None
    figure: Path | None = None
    local: TrainingResult | None = None
    cluster: TrainingResult | None = None
    model: tuple[str, int] | None = None  # name, version
    stage_s: dict[str, float] = field(default_factory=dict)
    cluster_start_s: float | None = None  # the cluster's start, behind the local fit
    no_cluster: str | None = None  # why train.py ran as a local job, where it did


class _Stages:
    """Numbered, timed stage headings on one console."""

    def __init__(self, console: Console, outcome: Outcome) -> None:
        self._console = console
        self._outcome = outcome

    @contextmanager
    def stage(self, key: str) -> Iterator[None]:
        number = list(STAGES).index(key) + 1
        self._console.rule(f"[bold][{number}/{len(STAGES)}] {STAGES[key]}", align="left")
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self._outcome.stage_s[key] = elapsed
        self._console.print(f"[dim]{STAGES[key]}: {elapsed:.1f} s[/dim]")


def run_tutorial(
    workdir: Path, data_dir: Path | None = None, *, console: Console | None = None
) -> Outcome:
    """Run the MNIST tutorial in ``workdir``; see the module's docstring.

    Args:
        workdir: the tutorial's folder: its workspace, data fallback, figure and scripts.
        data_dir: a local folder holding MNIST's four files, instead of downloading them.
        console: where the stages print (default: standard output).

    Returns:
        What was trained and registered, and how long each stage took.

    Raises:
        RunlabError: a stage failed (the message says which and why); the cluster, if it
            was created, is deleted first.
    """
    for module, install in (
        ("numpy", "numpy"),
        ("sklearn", "scikit-learn"),
        ("matplotlib", "'runlab[images]'"),
    ):
        require(module, f"{install} (or everything at once: pip install 'runlab[tutorial]')")
    out = console or Console()
    outcome = Outcome(workspace_folder=workdir.expanduser().resolve())
    stages = _Stages(out, outcome)
    with stages.stage("workspace"):
        workspace = _open_or_create(outcome.workspace_folder, out)
    try:
        _run_stages(workspace, data_dir, stages, outcome, out)
    finally:
        workspace.close()
    return outcome


def why_no_cluster(platform: str = sys.platform) -> str | None:
    """Why no Ray cluster can start on this machine, or None where one can be tried.

    Args:
        platform: a :data:`sys.platform` value; default this machine's.

    Returns:
        One line for the user: Ray is not installed, or Ray does not run on ``platform``.
        A head that fails to start is found only by starting it.
    """
    if importlib.util.find_spec("ray") is None:
        return "Ray is not installed (pip install 'runlab[ray]')"
    if platform not in RAY_PLATFORMS:
        supported = ", ".join(RAY_PLATFORMS.values())
        return f"Ray does not run on {platform} (it runs on {supported})"
    return None


def _open_or_create(folder: Path, out: Console) -> Workspace:
    """The workspace in ``folder`` itself (never a parent's), created if missing."""
    config_file = folder / CONFIG_DIR / CONFIG_FILE
    if config_file.is_file():
        workspace = Workspace.from_config(config_file)
        _say(out, f"Reusing workspace {workspace.name!r} in {folder}")
    else:
        workspace = Workspace.create("runlab-tutorial", path=folder)
        _say(out, f"Created workspace {workspace.name!r} in {folder}")
    return workspace


def _run_stages(
    workspace: Workspace,
    data_dir: Path | None,
    stages: _Stages,
    outcome: Outcome,
    out: Console,
) -> None:
    with stages.stage("data"):
        data = outcome.data = get_data(outcome.workspace_folder, data_dir)
        if data.reason is not None:
            out.print(
                "[bold yellow]MNIST could not be downloaded, so this tutorial goes on with"
                " scikit-learn's bundled 8x8 digits instead.[/] Every figure and table says"
                " so. To use MNIST, run again on a machine with internet access, or give"
                " its four files with --data DIR.",
            )
            out.print(Text(f"Why: {data.reason}", style="dim"))
        arrays = data.load()
        _say(
            out,
            f"{data.label}: {len(arrays[0]):,} training and {len(arrays[2]):,} test images"
            f" in {data.folder}",
        )
    with stages.stage("figure"):
        outcome.figure = mnist.sample_grid(
            arrays[0],
            arrays[1],
            SAMPLE_SIZE,
            outcome.workspace_folder / f"{data.name}-sample.png",
            title=f"{data.label}: {SAMPLE_SIZE} random training images",
        )
        _say(out, f"Saved {outcome.figure}")
    with stages.stage("upload"):
        datastore = workspace.get_default_datastore()
        datastore.upload_files(
            [data.folder / f"{name}.gz" for name in mnist.FILES],
            relative_root=data.folder,
            target_path=data.name,
            overwrite=True,
        )
        _say(out, f"Uploaded to datastore {datastore.name!r}, folder {data.name}/")
    experiment = Experiment(workspace, EXPERIMENT_NAME)
    outcome.no_cluster = why_no_cluster()
    # The cluster starts while the local model fits, as the SDK's ComputeTarget.create
    # provisions in the background; the cluster stage then waits for what is left.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="runlab-tutorial") as pool:
        starting = None
        if outcome.no_cluster is None:
            _delete_leftover(workspace, out)
            starting = pool.submit(_create_cluster, workspace)
        cluster = None
        try:
            with stages.stage("local"):
                if starting is not None:
                    _say(out, f"(meanwhile {CLUSTER_NAME!r} starts in the background)")
                outcome.local = _train_locally(experiment, data, arrays, outcome.figure, out)
            with stages.stage("cluster"):
                if starting is not None:
                    cluster = _wait_for_cluster(starting, outcome, out)
                if outcome.no_cluster is not None:
                    _say_no_cluster(outcome.no_cluster, out)
            target: RayCompute | str = (
                cluster if outcome.no_cluster is None and cluster else "local"
            )
            _train_on_cluster(experiment, target, datastore, data, stages, outcome, out)
        finally:
            if starting is not None:
                with contextlib.suppress(Exception):  # a failed start cleaned up after itself
                    cluster = starting.result()[0]
            if cluster is not None:
                with stages.stage("delete"):
                    cluster.delete()
                    _say(out, f"Deleted {CLUSTER_NAME!r}: none of its processes is left")


def _wait_for_cluster(
    starting: Future[tuple[RayCompute, float]], outcome: Outcome, out: Console
) -> RayCompute | None:
    """The started cluster once it is up; on a start that failed, None (or the cluster, to be
    deleted) with the reason in ``outcome.no_cluster``."""
    cluster = None
    try:
        cluster, outcome.cluster_start_s = starting.result()
        cluster.wait_for_completion(show_output=True)
    except RunlabError as error:
        outcome.no_cluster = f"the cluster's head did not start: {error}"
        return cluster
    _say(
        out,
        f"Cluster {CLUSTER_NAME!r} is up at {cluster.address}; its start took"
        f" {outcome.cluster_start_s:.1f} s during the local fit. Its nodes"
        " start as jobs ask for them.",
    )
    return cluster


def _say_no_cluster(reason: str, out: Console) -> None:
    out.print(
        "[bold yellow]No Ray cluster can start here, so train.py runs as a local job on this"
        " machine instead[/] (the stages that name the cluster use the local job). Every"
        " other step is the same. To use a cluster, run on Linux or macOS with"
        " pip install 'runlab\\[ray]'.",
    )
    out.print(Text(f"Why: {reason}", style="dim"))


def _train_locally(
    experiment: Experiment,
    data: TutorialData,
    arrays: tuple[Any, ...],
    figure: Path,
    out: Console,
) -> TrainingResult:
    """Fit ``LogisticRegression()`` in this process, tracked as a run of the experiment."""
    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    X_train, y_train, X_test, y_test = arrays
    with experiment.start_logging(
        display_name="LogisticRegression() on this machine",
        tags={"dataset": data.label, "where": "local"},
    ) as run:
        run.log_image("sample digits", path=figure)
        clf = LogisticRegression()
        with (
            _spinner(out, f"fitting LogisticRegression() to {len(X_train):,} images"),
            warnings.catch_warnings(record=True) as caught,
        ):
            warnings.simplefilter("always", ConvergenceWarning)
            start = time.perf_counter()
            clf.fit(X_train, y_train)
            fit_s = time.perf_counter() - start
        if any(issubclass(warning.category, ConvergenceWarning) for warning in caught):
            out.print(
                "[dim]lbfgs stopped at its limit of 100 iterations (scikit-learn's"
                " ConvergenceWarning), as it did in the tutorial[/dim]"
            )
        accuracy = float(np.average(clf.predict(X_test) == y_test))
        run.log("accuracy", accuracy)
        _say(out, f"Run {run.id}: accuracy {accuracy:.4f}, fit in {fit_s:.1f} s")
        return TrainingResult(run.id, accuracy, fit_s)


def _delete_leftover(workspace: Workspace, out: Console) -> None:
    """Delete the tutorial's cluster if an interrupted tutorial left it behind."""
    from runlab.compute.ray import RayCompute

    try:
        leftover = RayCompute(workspace, CLUSTER_NAME)
    except NotFoundError:
        return
    _say(out, f"Deleting {CLUSTER_NAME!r}, left over from an earlier tutorial")
    leftover.delete()


def _create_cluster(workspace: Workspace) -> tuple[RayCompute, float]:
    """The tutorial's cluster, STANDARD_D2_V2 nodes (2 CPUs) between 0 and 2 of them, and
    the seconds its start took."""
    from runlab.compute.ray import RayCompute

    config = RayCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2", min_nodes=0, max_nodes=2, idle_seconds_before_scaledown=60
    )
    start = time.perf_counter()
    cluster = RayCompute.create(workspace, CLUSTER_NAME, config)
    return cluster, time.perf_counter() - start


def _train_on_cluster(
    experiment: Experiment,
    cluster: RayCompute | str,
    datastore: Datastore,
    data: TutorialData,
    stages: _Stages,
    outcome: Outcome,
    out: Console,
) -> None:
    """Submit ``train.py`` to ``cluster`` (or ``"local"``), follow it to its end, read it,
    and register its model."""
    from runlab.jobs import ScriptRunConfig

    run: Run | None = None
    try:
        with stages.stage("submit"):
            source = _copy_scripts(outcome.workspace_folder / "sklearn-mnist")
            config = ScriptRunConfig(
                source_directory=source,
                script="train.py",
                arguments=[
                    "--data-folder",
                    datastore.path(data.name).as_mount(),
                    "--regularization",
                    REGULARIZATION,
                ],
                compute_target=cluster,
            )
            where = "local job" if cluster == "local" else "cluster"
            run = experiment.submit(config, tags={"dataset": data.label, "where": where})
            _wait_until_running(run, out)
        with stages.stage("remote"):
            run.wait_for_completion(show_output=True)
    except BaseException:
        if run is not None and not RunStatus(run.get_status()).is_terminal:
            run.cancel()
        raise
    metrics = run.get_metrics()
    with stages.stage("results"):
        _say(out, f"Metrics: {metrics}")
        _say(out, f"Files: {run.get_file_names()}")
    record = experiment.workspace.store.get_run(run.id)
    running_s = record.duration() or 0.0
    outcome.cluster = TrainingResult(run.id, float(metrics["accuracy"]), running_s)
    with stages.stage("register"):
        model = run.register_model(
            model_name=model_name(data),
            model_path=MODEL_FILE,
            tags={"dataset": data.label, "regularization": str(REGULARIZATION)},
        )
        _say(out, f"Registered {model.name}, id {model.id}, version {model.version}")
        outcome.model = (model.name, model.version)


def _copy_scripts(folder: Path) -> Path:
    """Put the tutorial's scripts in the tutorial's folder, as the tutorial writes them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train.py", "utils.py"):
        shutil.copyfile(scripts_folder() / name, folder / name)
    return folder


def _wait_until_running(run: Run, out: Console) -> None:
    """Print each state the run passes through until it runs (or ends)."""
    start, last = time.perf_counter(), None
    while True:
        status = RunStatus(run.get_status())
        if status != last:
            _say(out, f"  {time.perf_counter() - start:5.1f} s  {run.id}: {status.value}")
            last = status
        if status is RunStatus.RUNNING or status.is_terminal:
            return
        time.sleep(0.1)


def _say(out: Console, line: str) -> None:
    """Print a line as it is: paths and values in it are never taken for Rich markup."""
    out.print(line, markup=False, highlight=False)


@contextmanager
def _spinner(out: Console, what: str) -> Iterator[None]:
    progress = Progress(
        SpinnerColumn(finished_text="✓"),
        TextColumn(what),
        TimeElapsedColumn(),
        console=out,
        transient=True,
    )
    with progress:
        progress.add_task(what, total=None)
        yield
