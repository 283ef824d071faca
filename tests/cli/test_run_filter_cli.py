"""``runlab run list --filter/--order-by``: the run filter language on the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from runlab import Experiment, Workspace
from runlab.cli import app

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def test_run_list_filters_and_orders(workspace: Workspace) -> None:
    assert workspace.config_path is not None
    ws_dir = Path(workspace.config_path).parent.parent
    experiment = Experiment(workspace, "sweep")
    ids = []
    for rate, accuracy in (("0.1", 0.7), ("0.2", 0.9), ("0.3", 0.8)):
        run = experiment.start_logging(display_name=f"lr-{rate}")
        workspace.store.add_properties(run.id, {"param.lr": rate})
        run.log("accuracy", accuracy)
        run.complete()
        ids.append(run.id)

    def run_list(*args: str) -> str:
        result = runner.invoke(app, ["-w", str(ws_dir), "run", "list", *args])
        assert result.exit_code == 0, result.output
        return result.stdout

    shown = run_list("--filter", "metrics.accuracy > 0.75", "--order-by", "metrics.accuracy DESC")
    assert ids[0] not in shown
    assert shown.index(ids[1]) < shown.index(ids[2])
    assert ids[2] in run_list("--filter", "params.lr = '0.3'")
    assert ids[2] not in run_list("--filter", "params.lr = '0.2'")
    assert "No runs match." in run_list("--filter", "params.lr = '9'")

    bad = runner.invoke(app, ["-w", str(ws_dir), "run", "list", "--filter", "params.lr = 0.3"])
    assert bad.exit_code != 0
    lines = bad.stderr.strip().splitlines()
    assert lines[0].startswith("Error: ") and "position 13" in lines[0]
    assert "Traceback" not in bad.output
