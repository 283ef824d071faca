"""Progress bars in a Jupyter notebook: ``ds.upload`` shows its progress as cell output.

Rich's own live display in a kernel is an ipywidgets ``Output`` filled from a thread, which
shows as an empty widget; runlab's bars are display outputs updated in place, ending on the
final counts.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # each test starts a Jupyter kernel

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module", autouse=True)
def notebook_tools() -> None:
    """Skip, saying why, when no notebook can be run here."""
    for module in ("nbclient", "nbformat", "ipykernel"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"running a notebook needs {module}: pip install {module}")


def _run(tmp_path: Path, *cells: str) -> list[list[dict[str, Any]]]:
    """Execute the cells in a fresh kernel; each cell's outputs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return [list(cell.outputs) for cell in notebook.cells]


def _shown(outputs: list[dict[str, Any]]) -> str:
    """Everything a reader sees in a cell's outputs, as text."""
    parts = []
    for output in outputs:
        if output.get("output_type") == "stream":
            parts.append(output["text"])
        data = output.get("data", {})
        parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def test_upload_shows_its_final_progress_in_a_notebook(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for index in range(3):
        (source / f"file{index}.txt").write_bytes(b"x" * (1000 + index))
    setup = (
        "from runlab import Workspace\n"
        f"ws = Workspace.create('progress', path={str(tmp_path / 'ws')!r})\n"
        "ds = ws.get_default_datastore()"
    )
    upload = f"manifest = ds.upload(src_dir={str(source)!r}, target_path='d', show_progress=True)"

    _setup, uploaded = _run(tmp_path, setup, upload)

    assert all(output["output_type"] in ("display_data", "stream") for output in uploaded)
    assert not [output for output in uploaded if WIDGET in output.get("data", {})]
    shown = _shown(uploaded)
    assert "3/3 files" in shown, json.dumps(uploaded, indent=1)
    assert "Uploading to" in shown
    pages = [output.get("data", {}).get("text/html") for output in uploaded]
    html = [page for page in pages if page]
    assert html and all("3/3 files" in page for page in html)


def test_a_transient_bar_leaves_nothing_and_a_bar_outside_a_notebook_is_rich(
    tmp_path: Path,
) -> None:
    transient = (
        "from rich.progress import SpinnerColumn, TextColumn\n"
        "from runlab._progress import Progress\n"
        "with Progress(SpinnerColumn(), TextColumn('fitting'), transient=True) as progress:\n"
        "    progress.add_task('fitting', total=None)\n"
        "with Progress(TextColumn('{task.description} {task.completed}/{task.total}')) as p:\n"
        "    task = p.add_task('counted', total=7)\n"
        "    p.advance(task, 7)"
    )

    (outputs,) = _run(tmp_path, transient)

    shown = _shown(outputs)
    assert "fitting" not in shown
    assert "counted 7/7" in shown
