"""``OfflineRun``: what ``Run.get_context()`` returns outside a job.

A training script written for runlab also runs bare (``python train.py``): its ``run.log``
calls print what they would have logged, and nothing is stored.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import IO, Any

from runlab.artifacts import vet_path
from runlab.entities import MetricHistory, MetricKind
from runlab.errors import InvalidStateError
from runlab.tracking.values import (
    check_image,
    check_list,
    check_metric_name,
    check_row,
    check_table,
    metrics_in_sdk_shape,
    normalise_scalar,
)

__all__ = ["OfflineRun"]


class OfflineRun:
    """A run that is not stored anywhere: it prints what it logs and keeps it in memory.

    It has the logging, tagging and ending methods of :class:`runlab.Run`, so a script that
    calls ``Run.get_context()`` runs unchanged outside a job.
    """

    def __init__(self) -> None:
        self.id = f"OfflineRun_{uuid.uuid4()}"
        self._histories: dict[str, MetricHistory] = {}
        self._tags: dict[str, str] = {}
        self._properties: dict[str, str] = {}
        self._status = "Running"

    def _say(self, text: str) -> None:
        print(f"[offline run] {text}", file=sys.stdout, flush=True)

    def _keep(self, kind: MetricKind, name: str, value: Any) -> None:
        check_metric_name(name)
        history = self._histories.setdefault(name, MetricHistory(name, kind, [], [], []))
        history.steps.append(len(history.steps))
        history.values.append(value)
        history.timestamps.append(time.time())

    @property
    def status(self) -> str:
        """``Running`` until ended."""
        return self._status

    def get_status(self) -> str:
        """``Running`` until ended."""
        return self._status

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Print ``name = value`` and keep it."""
        value = normalise_scalar(value)
        self._keep(MetricKind.SCALAR, name, value)
        self._say(f"{name} = {value!r}")

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        """Print and keep a list."""
        values = check_list(name, value)
        self._keep(MetricKind.LIST, name, values)
        self._say(f"{name} = {values!r}")

    def log_row(self, name: str, description: str = "", **kwargs: Any) -> None:
        """Print and keep one row of a table."""
        row = check_row(name, kwargs)
        self._keep(MetricKind.ROW, name, row)
        self._say(f"{name} row {row!r}")

    def log_table(
        self, name: str, value: Mapping[str, Sequence[Any]], description: str = ""
    ) -> None:
        """Print and keep a table."""
        table = check_table(name, value)
        self._keep(MetricKind.TABLE, name, table)
        self._say(f"{name} table with columns {', '.join(table)}")

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Say that an image would have been logged (its arguments are still checked)."""
        check_image(name, path, plot)
        self._keep(MetricKind.IMAGE, name, str(path) if path is not None else "<plot>")
        self._say(f"{name}: image {'from ' + str(path) if path is not None else '(a plot)'}")

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        """What was logged, in the same shape as :meth:`runlab.Run.get_metrics`."""
        histories = (
            self._histories
            if name is None
            else {key: value for key, value in self._histories.items() if key == name}
        )
        return metrics_in_sdk_shape(histories)

    def flush(self) -> None:
        """Nothing to store."""

    def tag(self, key: str, value: str | None = None) -> None:
        """Keep a tag."""
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Keep tags."""
        self._tags.update({key: str(value) for key, value in tags.items()})

    def get_tags(self) -> dict[str, str]:
        """The tags set so far."""
        return dict(self._tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Keep properties."""
        self._properties.update({key: str(value) for key, value in properties.items()})

    def get_properties(self) -> dict[str, str]:
        """The properties added so far."""
        return dict(self._properties)

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> str:
        """Say that a file would have been uploaded (the name is still checked)."""
        name = vet_path(name)
        self._say(f"would upload {name}")
        return name

    def get_file_names(self) -> list[str]:
        """Nothing is stored offline."""
        return []

    def complete(self) -> None:
        """Mark the offline run Completed."""
        self._end("Completed")

    def fail(self, error_details: object = None, error_code: str | None = None) -> None:
        """Mark the offline run Failed."""
        self._end("Failed")

    def cancel(self) -> None:
        """Mark the offline run Canceled."""
        self._end("Canceled")

    def _end(self, status: str) -> None:
        if self._status != "Running":
            raise InvalidStateError(f"the offline run has already ended ({self._status})")
        self._status = status

    def __enter__(self) -> OfflineRun:
        return self

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if self._status == "Running":
            self._end("Completed" if error is None else "Failed")
