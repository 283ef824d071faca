"""``runlab sample-data ...``: get the data sets the tutorials use, verified, into a folder.

(``runlab dataset get`` was its name before ``runlab dataset`` became the command of
registered datasets; the old name still works and says where it went.)"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from runlab.cli.output import console, data_table, format_size, heading, say
from runlab.datasets import mnist
from runlab.errors import ValidationError

__all__ = ["get_sample_data", "sample_data_app"]

_DATASETS = ("mnist",)

sample_data_app = typer.Typer(
    help="Sample data: download the data sets the tutorials use, verified and cached.",
    no_args_is_help=True,
)


@sample_data_app.command("get")
def get_sample_data(
    name: Annotated[
        str, typer.Argument(help="The dataset: mnist.", metavar="DATASET", show_default=False)
    ],
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest",
            "-d",
            help="The folder to put the files in. Default: runlab's cache"
            f" (${mnist.CACHE_ENV}/mnist, else ~/.cache/runlab/datasets/mnist).",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Copy the files from this local folder instead of downloading them"
            " (gzip'd or raw; each is checked all the same).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Download a dataset from its public mirrors (or copy it from a folder) and verify it.

    Files already in the folder with the right checksum are kept, so running it again
    downloads nothing.
    """
    if name.lower() not in _DATASETS:
        raise ValidationError(f"unknown dataset {name!r}: known are {', '.join(_DATASETS)}")
    folder = (dest or mnist.cache_dir()).expanduser().resolve()
    if source is not None:
        mnist.from_folder(source, folder)
    else:
        mnist.download(folder)
    heading(f"MNIST in {folder}")
    table = data_table(["File", "Size", "sha256"])
    table.columns[1].justify = "right"
    for file_name, problem in mnist.verify(folder).items():
        stored = folder / f"{file_name}.gz"
        size = format_size(stored.stat().st_size) if stored.is_file() else "-"
        verdict = Text("ok", style="green") if problem is None else Text(problem, style="red")
        table.add_row(Text(stored.name), size, verdict)
    console().print(table)
    say(f"Load it in Python: runlab.datasets.mnist.load({str(folder)!r})")
