"""Run states and the one function that owns the allowed transitions."""

from __future__ import annotations

import enum

from runlab.errors import InvalidStateError

__all__ = ["RunStatus", "allowed_sources", "check_transition"]


class RunStatus(enum.StrEnum):
    """The states of a run, in the order a run moves through them.

    A run moves forward only; it may skip states (an interactive run goes from NotStarted
    straight to Running). Completed, Failed and Canceled are terminal.
    """

    NOT_STARTED = "NotStarted"
    QUEUED = "Queued"
    PREPARING = "Preparing"
    STARTING = "Starting"
    RUNNING = "Running"
    FINALIZING = "Finalizing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELED = "Canceled"

    @property
    def is_terminal(self) -> bool:
        """Whether the run has ended in this state for good."""
        return self in _TERMINAL

    @classmethod
    def parse(cls, value: str | RunStatus) -> RunStatus:
        """The status named ``value``, case-insensitively.

        Raises:
            ValidationError: ``value`` names no status.
        """
        from runlab.errors import ValidationError

        if isinstance(value, RunStatus):
            return value
        for status in cls:
            if status.value.lower() == str(value).lower():
                return status
        names = ", ".join(status.value for status in cls)
        raise ValidationError(f"unknown run status {value!r}: use one of {names}")


_TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELED})
_ORDER = {status: index for index, status in enumerate(RunStatus)}


def allowed_sources(target: RunStatus) -> frozenset[RunStatus]:
    """Every state from which a run may move to ``target``.

    The store uses this as a compare-and-set condition, so two processes racing to move a
    run cannot both succeed where only one transition is allowed.
    """
    if target is RunStatus.COMPLETED:
        # A run completes only once it has actually run.
        return frozenset({RunStatus.RUNNING, RunStatus.FINALIZING})
    if target in _TERMINAL:
        return frozenset(status for status in RunStatus if not status.is_terminal)
    return frozenset(
        status for status in RunStatus if not status.is_terminal and _ORDER[status] < _ORDER[target]
    )


def check_transition(current: RunStatus, target: RunStatus) -> None:
    """Raise unless a run in state ``current`` may move to ``target``.

    Raises:
        InvalidStateError: the move is not allowed (terminal states are final; states only
            move forward; Completed needs a run that was Running or Finalizing).
    """
    if current not in allowed_sources(target):
        if current.is_terminal:
            raise InvalidStateError(
                f"the run has already ended ({current.value}); it cannot become {target.value}"
            )
        raise InvalidStateError(f"a run cannot move from {current.value} to {target.value}")
