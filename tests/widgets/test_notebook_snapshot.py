"""``RunDetails`` in a real Jupyter kernel (nbclient): the saved notebook keeps a static HTML
snapshot of the run's final state, so GitHub or nbviewer show it without a kernel; and an
upload of 200 files in the same notebook ends its progress output on ``200/200 files``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a Jupyter kernel

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module", autouse=True)
def notebook_tools() -> None:
    """Skip, saying why, when no notebook can be run here."""
    for module in ("nbclient", "nbformat", "ipykernel", "ipywidgets"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"running the widget in a notebook needs {module}: pip install {module}")


def test_a_saved_notebook_shows_the_runs_final_state_and_the_uploads_last_count(
    tmp_path: Path,
) -> None:
    import nbformat
    from nbclient import NotebookClient

    source = tmp_path / "source"
    source.mkdir()
    for index in range(200):
        (source / f"part{index:03d}.txt").write_bytes(b"x" * (100 + index))
    cells = [
        "from runlab import Workspace, Experiment\n"
        "from runlab.widgets import RunDetails\n"
        f"ws = Workspace.create('nb', path={str(tmp_path / 'ws')!r})\n"
        "run = Experiment(ws, 'nb').start_logging()\n"
        "run.add_properties({'param.lr': '0.001'})\n"
        "run.tag('team', 'vision')\n"
        "run.log('loss', 0.987654321)",
        "details = RunDetails(run, interval=lambda _: 0.2, server_url='http://127.0.0.1:8765')\n"
        "details.show()",
        "run.log('loss', 0.123456789)\n"
        "run.complete()\n"
        "assert details.wait(120), 'the widget never stopped'",
        f"manifest = ws.get_default_datastore().upload(src_dir={str(source)!r},"
        " target_path='parts', show_progress=True)",
    ]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(cell) for cell in cells]
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    saved = tmp_path / "run-details.ipynb"
    nbformat.write(notebook, saved)

    reread = nbformat.read(saved, as_version=4)
    shown = reread.cells[1].outputs
    assert len(shown) == 1, shown
    data = shown[0]["data"]
    assert WIDGET not in data, "the live widget was replaced by its snapshot"
    html = data["text/html"]
    assert 'data-status="Completed"' in html
    assert "<td>loss</td><td>0.123457</td><td>2</td>" in html
    assert "<td>lr</td><td>0.001</td>" in html and "<td>team</td><td>vision</td>" in html
    assert "<polyline" in html and "<title>loss step 1: 0.123457</title>" in html
    assert 'href="http://127.0.0.1:8765/ui/runs/nb_' in html  # the run's page in the web UI
    assert "Status: Completed" in data["text/plain"]

    # the live view charted the metric in one plotly FigureWidget: its model as first shown
    # (one point; later points went as updates), kept by nbclient
    state = reread.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (figure,) = [model["state"] for model in state.values() if model["model_name"] == "AnyModel"]
    (trace,) = figure["_widget_data"]
    assert trace["name"] == "loss" and trace["y"] == [0.987654321]

    progress = [output for output in reread.cells[3].outputs if output.get("data")]
    assert progress, "the upload left no progress output"
    assert all(output["data"].get("text/plain", "").strip() for output in progress)
    assert "200/200 files" in progress[-1]["data"]["text/plain"]
    assert "200/200 files" in progress[-1]["data"]["text/html"]
