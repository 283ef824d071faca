"""``RunLike``: what a training script may call on the run ``Run.get_context()`` gives it.

Inside a submitted job that run is a :class:`runlab.Run`; in a script run bare
(``python train.py``) it is an :class:`runlab.OfflineRun`. Both implement this protocol, with
the same signatures, checks and encodings, so the script behaves the same either way
(``tests/tracking/test_run_parity.py`` holds them to it, and mypy checks both below).

What a run has only because a workspace keeps it (its experiment, its number, registering a
model, watching or re-running a submitted job) is on :class:`runlab.Run` alone.
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Protocol, Self

__all__ = ["RunLike"]


class RunLike(Protocol):
    """A run as a training script uses it: log metrics, label it, keep files, start child
    runs, end it. See :class:`runlab.Run` for what each member does and raises."""

    # -- identity and state --------------------------------------------------------------

    @property
    def id(self) -> str:
        """The run's id (``OfflineRun_<uuid>`` for an offline run, as in the SDK)."""
        ...

    @property
    def display_name(self) -> str:
        """A name for people (the run id unless set)."""
        ...

    @display_name.setter
    def display_name(self, value: str) -> None: ...

    @property
    def type(self) -> str:
        """Where the run runs: ``local``, a compute target's name, or ``offline``."""
        ...

    @property
    def status(self) -> str:
        """The run's current state, e.g. ``"Running"``."""
        ...

    @property
    def parent(self) -> RunLike | None:
        """The run this one is a child of, or None."""
        ...

    @property
    def tags(self) -> dict[str, str]:
        """The run's tags."""
        ...

    @property
    def properties(self) -> dict[str, str]:
        """The run's properties."""
        ...

    def get_status(self) -> str:
        """The run's current state."""
        ...

    def get_details(self) -> dict[str, Any]:
        """The run's details in the SDK's shape."""
        ...

    def get_parameters(self) -> dict[str, str]:
        """The run's named parameters (its ``param.<name>`` properties)."""
        ...

    @property
    def input_datasets(self) -> dict[str, Any]:
        """A job's input datasets by input name; empty elsewhere."""
        ...

    # -- metrics -------------------------------------------------------------------------

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Log a number, a bool or a string under ``name``."""
        ...

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        """Log a list of numbers or strings."""
        ...

    def log_row(self, name: str, description: str = "", **kwargs: Any) -> None:
        """Log one row of a table."""
        ...

    def log_table(
        self, name: str, value: Mapping[str, Sequence[Any]], description: str = ""
    ) -> None:
        """Log a table as a dict of equally long columns."""
        ...

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Log an image file or a matplotlib figure."""
        ...

    def flush(self) -> None:
        """Wait until every point logged so far is kept."""
        ...

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        """The run's metrics in the SDK's shape."""
        ...

    # -- tags and properties -------------------------------------------------------------

    def tag(self, key: str, value: str | None = None) -> None:
        """Set one tag."""
        ...

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set several tags."""
        ...

    def remove_tags(self, keys: Sequence[str]) -> None:
        """Remove tags."""
        ...

    def get_tags(self) -> dict[str, str]:
        """The run's tags."""
        ...

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties, which cannot change once added."""
        ...

    def get_properties(self) -> dict[str, str]:
        """The run's properties."""
        ...

    # -- files ---------------------------------------------------------------------------

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> str:
        """Keep a local file or a binary stream as the run's file ``name``."""
        ...

    def upload_files(
        self, names: Sequence[str], paths: Sequence[str | os.PathLike[str]]
    ) -> list[str]:
        """Keep several local files."""
        ...

    def upload_folder(self, name: str, path: str | os.PathLike[str]) -> list[str]:
        """Keep every file under a local folder as ``name/...``."""
        ...

    def get_file_names(self) -> list[str]:
        """The names of the run's files, sorted."""
        ...

    def download_file(
        self, name: str, output_file_path: str | os.PathLike[str] | None = None
    ) -> Path:
        """Copy one of the run's files to a local file or folder."""
        ...

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | os.PathLike[str] | None = None,
        append_prefix: bool = True,
    ) -> list[Path]:
        """Copy the run's files (under ``prefix``) into a local folder."""
        ...

    # -- child runs ----------------------------------------------------------------------

    def child_run(
        self, name: str | None = None, run_id: str | None = None, outputs: str | None = None
    ) -> RunLike:
        """Start a child run of this run."""
        ...

    def get_children(
        self,
        recursive: bool = False,
        tags: str | Mapping[str, str | None] | None = None,
        properties: str | Mapping[str, str | None] | None = None,
        status: str | None = None,
    ) -> Iterator[RunLike]:
        """The run's child runs."""
        ...

    # -- ending --------------------------------------------------------------------------

    def complete(self) -> None:
        """Mark the run Completed."""
        ...

    def fail(
        self, error_details: BaseException | str | None = None, error_code: str | None = None
    ) -> None:
        """Mark the run Failed with what went wrong."""
        ...

    def cancel(self) -> None:
        """Mark the run Canceled."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: builtins.type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


if TYPE_CHECKING:
    from runlab.tracking.offline import OfflineRun
    from runlab.tracking.run import Run

    def _both_are_run_like(run: Run, offline: OfflineRun) -> tuple[RunLike, RunLike]:
        # mypy --strict fails here the day either class stops satisfying the protocol.
        return run, offline
