"""The table ``runlab tutorial mnist`` ends with: accuracies, stage times, where to look next."""

from __future__ import annotations

import shlex

from rich import box
from rich.console import Console
from rich.table import Table

from runlab.tutorial import TUTORIAL_ACCURACY
from runlab.tutorial.mnist import REGULARIZATION, STAGES, Outcome

__all__ = ["overhead_s", "print_report"]


def overhead_s(outcome: Outcome) -> float:
    """Seconds spent on everything but the two fits (the remote one counted as its run's
    whole running time: imports and data loading included)."""
    fits = sum(result.fit_s for result in (outcome.local, outcome.cluster) if result)
    return sum(outcome.stage_s.values()) - fits


def print_report(outcome: Outcome, console: Console) -> None:
    """Print the closing tables; see the module's docstring."""
    console.rule("[bold]The tutorial, in one table")
    mnist = outcome.data is None or outcome.data.is_mnist
    label = outcome.data.label if outcome.data else "MNIST"
    results = Table(box=box.SIMPLE_HEAD, title=f"Test accuracy on {label}")
    results.add_column("Model")
    results.add_column("Run")
    results.add_column("Accuracy", justify="right")
    results.add_column("Tutorial (2018, MNIST)", justify="right")
    trained_on = "local" if outcome.no_cluster else "cluster"
    for key, model, result in (
        ("local", "LogisticRegression(), here", outcome.local),
        ("cluster", f"train.py --regularization {REGULARIZATION}, {trained_on}", outcome.cluster),
    ):
        results.add_row(
            model,
            result.run_id if result else "-",
            f"{result.accuracy:.4f}" if result else "-",
            f"{TUTORIAL_ACCURACY[key]:.4f}" + ("" if mnist else " (other data)"),
        )
    console.print(results)

    times = Table(box=box.SIMPLE_HEAD, title="Time per stage")
    times.add_column("Stage")
    times.add_column("Seconds", justify="right")
    times.add_column("Of which fitting", justify="right")
    fits = {"local": outcome.local, "remote": outcome.cluster}
    for key, title in STAGES.items():
        if key in outcome.stage_s:
            fit = fits.get(key)
            times.add_row(title, f"{outcome.stage_s[key]:.1f}", f"{fit.fit_s:.1f}" if fit else "")
    times.add_row("[bold]Total", f"[bold]{sum(outcome.stage_s.values()):.1f}", "")
    times.add_row("Everything but the two fits", f"{overhead_s(outcome):.1f}", "")
    console.print(times)
    if outcome.cluster_start_s is not None:
        console.print(
            f"The cluster's start took {outcome.cluster_start_s:.1f} s, in the background"
            " during the local fit: its stage shows only what was left to wait."
        )

    where = shlex.quote(str(outcome.workspace_folder))
    console.print("Look next:")
    lines = []
    for result in (outcome.local, outcome.cluster):
        if result:
            lines.append(f"runlab -w {where} run show {result.run_id}")
    if outcome.cluster:
        lines.append(f"runlab -w {where} run logs {outcome.cluster.run_id}")
    if outcome.model:
        name, version = outcome.model
        lines.append(f"runlab -w {where} model show {name}:{version}")
    lines.append(f"runlab -w {where} server   # then open http://127.0.0.1:8765/")
    for line in lines:
        console.print(f"  {line}", markup=False, highlight=False)
    if outcome.figure:
        console.print(f"  the sample digits: {outcome.figure}", markup=False, highlight=False)
