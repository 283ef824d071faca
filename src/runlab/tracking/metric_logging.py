"""``Run.log`` and its siblings: checked and stepped once for ``Run`` and ``OfflineRun``."""

from __future__ import annotations

import abc
import io
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runlab.entities import IMAGES_DIR, Metric, MetricKind
from runlab.errors import BackendError, NotFoundError, ValidationError
from runlab.tracking.files import RunFiles
from runlab.tracking.values import (
    PLAIN_SCALARS,
    check_image,
    check_list,
    check_metric_name,
    check_row,
    check_table,
    normalise_scalar,
)

__all__ = ["MetricLogging"]

_SCALAR = MetricKind.SCALAR


def _file_name_for(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "image"


class MetricLogging(abc.ABC):
    """The logging methods of :class:`runlab.Run` and :class:`runlab.OfflineRun` (a mixin).

    Everything a log call checks, the step it takes and the file an image becomes is decided
    here, once for both; where the point goes is the class's :meth:`_append`: ``Run`` queues it
    for the background writer, ``OfflineRun`` keeps it in memory and prints it.

    Subclasses set ``_files`` (the run's files, where images go) and ``_steps`` (the next
    step of each metric, or None to ask :meth:`_stored_steps` first).
    """

    _files: RunFiles
    _steps: dict[str, int] | None

    @abc.abstractmethod
    def _stored_steps(self) -> dict[str, int]:
        """The last step stored of each metric, for a run opened here but not started here."""

    @abc.abstractmethod
    def _append(self, metric: Metric) -> None:
        """Keep one checked point."""

    @abc.abstractmethod
    def flush(self) -> None:
        """Wait until every point logged so far is stored."""

    def _next_step(self, name: str, step: int | None) -> int:
        steps = self._steps
        if steps is None:
            # A run opened here, not started here: go on after what is stored.
            steps = self._steps = {key: last + 1 for key, last in self._stored_steps().items()}
        if step is None:
            step = steps.get(name, 0)
        elif type(step) is not int or step < 0:
            raise ValidationError(f"bad step {step!r} for metric {name!r}: use an int >= 0")
        if step >= steps.get(name, 0):
            steps[name] = step + 1
        return step

    def log(self, name: str, value: Any, description: str = "", step: int | None = None) -> None:
        """Log a number, a bool or a string under ``name``; returns at once.

        NaN and infinities are kept. Each call adds a step (0, 1, ...) unless ``step`` is
        given.

        Raises:
            ValidationError: a bad name, value or step.
        """
        if type(value) not in PLAIN_SCALARS:
            value = normalise_scalar(value)
        if type(name) is not str or not 0 < len(name) <= 255:
            check_metric_name(name)
        self._append(
            Metric(
                name, value, self._next_step(name, step), time.time(), _SCALAR, description or None
            )
        )

    def _log_structured(self, kind: MetricKind, name: str, value: Any, description: str) -> None:
        self._append(
            Metric(name, value, self._next_step(name, None), time.time(), kind, description or None)
        )

    def log_list(self, name: str, value: Sequence[Any], description: str = "") -> None:
        """Log a list of numbers or strings under ``name``."""
        self._log_structured(MetricKind.LIST, name, check_list(name, value), description)

    def log_row(self, name: str, description: str = "", **kwargs: Any) -> None:
        """Log one row of the table ``name``: ``run.log_row("loss", epoch=1, value=0.3)``."""
        self._log_structured(MetricKind.ROW, name, check_row(name, kwargs), description)

    def log_table(
        self, name: str, value: Mapping[str, Sequence[Any]], description: str = ""
    ) -> None:
        """Log a table as a dict of equally long columns."""
        self._log_structured(MetricKind.TABLE, name, check_table(name, value), description)

    def log_image(
        self,
        name: str,
        path: str | os.PathLike[str] | None = None,
        plot: Any = None,
        description: str = "",
    ) -> None:
        """Log an image: a file at ``path``, or a matplotlib figure (or ``pyplot``) as
        ``plot``. It is stored among the run's files and its name logged as the metric."""
        check_image(name, path, plot)
        if path is not None:
            source = Path(path)
            if not source.is_file():
                raise NotFoundError(f"log_image({name!r}): no image file at {source}")
            suffix = source.suffix.lower() or ".png"
            try:
                data = source.read_bytes()
            except OSError as error:
                raise BackendError(f"log_image({name!r}): cannot read {source}: {error}") from error
        else:
            buffer = io.BytesIO()
            plot.savefig(buffer, format="png")
            suffix, data = ".png", buffer.getvalue()
        step = self._next_step(name, None)  # only once there is an image to store
        file_name = self._files.upload_bytes(
            f"{IMAGES_DIR}/{_file_name_for(name)}_{step}{suffix}", data
        )
        self._append(
            Metric(name, file_name, step, time.time(), MetricKind.IMAGE, description or None)
        )
