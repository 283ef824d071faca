"""The ``runlab`` Typer app: global options, the command groups, and error handling."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

import runlab
from runlab.cli import jobs as _jobs  # noqa: F401  (adds run submit|logs|cancel)
from runlab.cli import lineage as _lineage  # noqa: F401  (adds run lineage|rerun|diff)
from runlab.cli.compat import compat_app
from runlab.cli.compute import compute_app
from runlab.cli.dataset import dataset_app
from runlab.cli.datastore import datastore_app
from runlab.cli.environment import environment_app
from runlab.cli.experiment import experiment_app
from runlab.cli.model import model_app
from runlab.cli.options import WORKSPACE_ENV, WORKSPACE_HELP, CliState
from runlab.cli.output import print_error, say
from runlab.cli.run import run_app
from runlab.cli.sample_data import sample_data_app
from runlab.cli.server import serve, token_app
from runlab.cli.service import service_app
from runlab.cli.sweep import sweep_app
from runlab.cli.tutorial import tutorial_app
from runlab.cli.workspace import init_workspace, workspace_app
from runlab.errors import RunlabError

__all__ = ["RunlabGroup", "app", "main"]


class RunlabGroup(TyperGroup):
    """The top-level command group; the one place where runlab's errors become exit codes.

    Every subcommand runs inside :meth:`invoke`, so a :class:`~runlab.errors.RunlabError`
    raised anywhere ends the command with one line on stderr (``Error: <message>``) and the
    error's ``exit_code``, and Ctrl-C with exit code 130. Doing it here rather than around
    ``app()`` in :func:`main` means the test runner, which calls the app directly, sees exactly
    what a user sees. Usage errors are Click's and keep its exit code 2; any other exception
    is a bug and keeps its traceback.
    """

    # ``ctx`` is Click's Context, which Typer keeps in a private module; ``Any`` keeps this
    # override compatible with the base signature without importing it.
    def invoke(self, ctx: Any) -> Any:
        """Run the command line's subcommand, turning runlab errors into exit codes."""
        try:
            return super().invoke(ctx)
        except RunlabError as error:
            print_error(error.message)
            raise typer.Exit(error.exit_code) from error
        except KeyboardInterrupt:
            print_error("interrupted (Ctrl-C)")
            raise typer.Exit(130) from None


app = typer.Typer(
    cls=RunlabGroup,
    name="runlab",
    help="runlab: experiments, runs, metrics and files in a workspace you control.",
    no_args_is_help=True,
    # Locals in a traceback could show a database URL with its password.
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        say(f"runlab {runlab.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    workspace_path: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            envvar=WORKSPACE_ENV,
            help=WORKSPACE_HELP,
            exists=True,
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """runlab: experiments, runs, metrics and files in a workspace you control."""
    ctx.obj = CliState(workspace_path=workspace_path)


app.command("init")(init_workspace)
app.add_typer(tutorial_app, name="tutorial")
app.add_typer(workspace_app, name="workspace")
app.add_typer(experiment_app, name="experiment")
app.add_typer(run_app, name="run")
app.add_typer(sweep_app, name="sweep")
app.add_typer(model_app, name="model")
app.add_typer(compute_app, name="compute")
app.add_typer(dataset_app, name="dataset")
app.add_typer(sample_data_app, name="sample-data")
app.add_typer(datastore_app, name="datastore")
app.add_typer(environment_app, name="environment")
app.add_typer(compat_app, name="compat")
app.add_typer(service_app, name="service")
app.command("server")(serve)
app.add_typer(token_app, name="token")


def main() -> None:
    """Run the ``runlab`` command line (the console script's entry point)."""
    app()
