"""``set_diagnostics_collection``: runlab sends no telemetry anywhere, and says so once."""

from __future__ import annotations

__all__ = ["set_diagnostics_collection"]

_said = False


def set_diagnostics_collection(send_diagnostics: bool = True, *, reset: bool = False) -> None:
    """Does nothing but say so, the first time: runlab collects and sends no diagnostics.

    Args:
        send_diagnostics: ignored (nothing is ever sent).
        reset: ignored.
    """
    global _said
    if not _said:
        _said = True
        print("runlab collects no diagnostics: set_diagnostics_collection changes nothing")
