"""Experiments: names, listing, runs."""

from __future__ import annotations

import pytest

from runlab import Experiment, RunStatus, ValidationError, Workspace


@pytest.mark.parametrize(
    "name", ["", "has space", "a/b", "../x", "é", "a" * 256, "x;drop", None, 3]
)
def test_bad_names_are_refused(workspace: Workspace, name: object) -> None:
    with pytest.raises(ValidationError, match="experiment name"):
        Experiment(workspace, name)  # type: ignore[arg-type]
    assert workspace.experiments == {}


@pytest.mark.parametrize("name", ["a", "sklearn-mnist", "A_b-9", "x" * 255])
def test_good_names(workspace: Workspace, name: str) -> None:
    assert Experiment(workspace, name).name == name
    assert name in workspace.experiments


def test_list_and_get_runs(workspace: Workspace) -> None:
    experiment = Experiment(workspace, "e")
    Experiment(workspace, "f")
    first = experiment.start_logging(tags={"kind": "a"})
    first.complete()
    second = experiment.start_logging()
    second.child_run().complete()
    assert [e.name for e in Experiment.list(workspace)] == ["e", "f"]
    assert [e.name for e in Experiment.list(workspace, experiment_name="f")] == ["f"]
    assert [r.id for r in experiment.get_runs()] == [second.id, first.id]
    assert len(list(experiment.get_runs(include_children=True))) == 3
    assert [r.id for r in experiment.get_runs(tags="kind")] == [first.id]
    assert [r.id for r in experiment.get_runs(status="Running")] == [second.id]
    assert [r.id for r in experiment.get_runs(status=RunStatus.COMPLETED)] == [first.id]
    second.complete()


def test_submit_needs_a_run_config(experiment: Experiment) -> None:
    with pytest.raises(ValidationError, match="ScriptRunConfig"):
        experiment.submit("train.py")  # type: ignore[arg-type]
