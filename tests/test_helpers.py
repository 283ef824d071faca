"""The shared test helpers do what the tests rely on: ``eventually`` returns what it waited
for and fails saying what it waited for and what it last saw; the ``workspace`` fixture is a
fresh workspace of the test's own."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from helpers import eventually
from runlab import Experiment, Workspace


def test_eventually_returns_the_awaited_value() -> None:
    counter = itertools.count()
    assert eventually(lambda: next(counter), until=lambda seen: seen >= 3, interval=0) == 3
    assert eventually(lambda: "ready") == "ready"


def test_eventually_fails_naming_what_it_awaited_and_the_last_value() -> None:
    statuses = iter(["Queued", "Queued", "Preparing"] + ["Preparing"] * 1000)
    with pytest.raises(AssertionError) as failed:
        eventually(
            lambda: next(statuses),
            until=lambda status: status == "Running",
            timeout=0.2,
            interval=0.01,
            message="the run to start",
        )
    assert str(failed.value) == "waited 0.2 s for the run to start; last seen: 'Preparing'"


def test_eventually_waits_through_ignored_errors_only() -> None:
    attempts = itertools.count()

    def connect() -> str:
        if next(attempts) < 2:
            raise ConnectionRefusedError("not yet")
        return "connected"

    def refuse() -> str:
        raise ConnectionRefusedError("down")

    def break_down() -> str:
        raise ValueError("broken")

    assert eventually(connect, ignoring=(OSError,), interval=0) == "connected"
    with pytest.raises(AssertionError, match=r"last seen: ConnectionRefusedError\('down'\)"):
        eventually(refuse, ignoring=(OSError,), timeout=0.05)
    with pytest.raises(ValueError, match="broken"):  # anything else ends the wait at once
        eventually(break_down, ignoring=(OSError,))


def test_the_workspace_fixture_is_fresh_and_in_the_tests_folder(
    workspace: Workspace, tmp_path: Path
) -> None:
    assert workspace.config_path == tmp_path / "ws" / ".runlab" / "config.json"
    assert list(workspace.experiments) == []
    Experiment(workspace, "mine").start_logging().complete()
    assert list(Workspace.from_config(tmp_path / "ws").experiments) == ["mine"]
