"""``runlab tutorial mnist``: the Azure ML SDK's MNIST tutorial, end to end, on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runlab.cli.output import console

__all__ = ["tutorial_app"]

tutorial_app = typer.Typer(
    help="Tutorials that run end to end on this machine.", no_args_is_help=True
)


@tutorial_app.command("mnist")
def mnist(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="A folder holding MNIST's four files (e.g. train-images-idx3-ubyte.gz),"
            " used instead of downloading them.",
            show_default=False,
        ),
    ] = None,
    workdir: Annotated[
        Path,
        typer.Option(
            "--workdir",
            "-d",
            help="The tutorial's folder: its workspace, scripts and figure; reused if it exists.",
        ),
    ] = Path("runlab-tutorial"),
) -> None:
    """Train scikit-learn's logistic regression on MNIST here and on a Ray cluster, track both,
    register the model: the Azure ML SDK v1 tutorial, end to end.

    Offline and without --data, it says so and uses scikit-learn's bundled digits instead.
    """
    from runlab.tutorial.mnist import run_tutorial
    from runlab.tutorial.report import print_report

    out = console()
    outcome = run_tutorial(workdir, data, console=out)
    print_report(outcome, out)


@tutorial_app.command("mnist-deploy")
def mnist_deploy(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="A folder holding MNIST's four files, for part 1 when it must run first.",
            show_default=False,
        ),
    ] = None,
    workdir: Annotated[
        Path,
        typer.Option("--workdir", "-d", help="Part 1's folder (its workspace and model)."),
    ] = Path("runlab-tutorial"),
) -> None:
    """Part 2: deploy part 1's registered model as a web service, score the test set through
    it, check it answers as the local model does, and delete it."""
    from runlab.tutorial.deploy import print_deploy_report, run_deploy_tutorial

    out = console()
    print_deploy_report(run_deploy_tutorial(workdir, data, console=out), out)
