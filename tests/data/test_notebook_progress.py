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


def test_a_transient_bar_ends_on_a_finished_frame_and_leaves_no_empty_output(
    tmp_path: Path,
) -> None:
    # A notebook cannot drop one output without clearing the cell: the spinner's last frame
    # stays, marked finished (its finished_text), rather than an empty output.
    transient = (
        "from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn\n"
        "from runlab._progress import Progress\n"
        "spin = SpinnerColumn(finished_text='DONE'), TextColumn('fitting'), TimeElapsedColumn()\n"
        "with Progress(*spin, transient=True) as progress:\n"
        "    progress.add_task('fitting', total=None)\n"
        "with Progress(TextColumn('{task.description} {task.completed}/{task.total}')) as p:\n"
        "    task = p.add_task('counted', total=7)\n"
        "    p.advance(task, 7)"
    )

    (outputs,) = _run(tmp_path, transient)

    assert len(outputs) == 2, json.dumps(outputs, indent=1)
    for output in outputs:
        data = output.get("data", {})
        assert data.get("text/plain", "").strip() and data.get("text/html", "").strip()
    assert "DONE fitting" in outputs[0]["data"]["text/plain"]
    assert "counted 7/7" in _shown(outputs[1:])


def test_a_bar_in_a_notebook_fits_the_page_width(tmp_path: Path) -> None:
    cell = (
        "from rich.progress import BarColumn, TextColumn\n"
        "from runlab._progress import Progress\n"
        "with Progress(TextColumn('{task.description}'), BarColumn(bar_width=30)) as p:\n"
        "    task = p.add_task('half', total=4)\n"
        "    p.advance(task, 2)"
    )

    (outputs,) = _run(tmp_path, cell)

    (page,) = [output["data"]["text/html"] for output in outputs if "data" in output]
    # The row spans the page and the bar takes what the text leaves, at its share done.
    assert "display:flex" in page and "width:100%" in page
    assert "flex:1 1 auto" in page and "width:50.0%" in page
    assert "<pre" not in page  # no fixed-width block of characters


def test_a_bar_outside_a_notebook_is_rich() -> None:
    from rich.progress import Progress as RichProgress

    from runlab._progress import Progress

    with Progress() as progress:
        assert isinstance(progress, RichProgress)
        assert not progress._notebook


def test_the_tutorials_spinner_ends_ticked_unless_what_it_watched_failed(tmp_path: Path) -> None:
    done = (
        "from rich.console import Console\n"
        "from runlab.tutorial.mnist import _spinner\n"
        "with _spinner(Console(), 'fitting a model'):\n"
        "    pass"
    )
    failed = (
        "try:\n"
        "    with _spinner(Console(), 'failing'):\n"
        "        raise ValueError('no')\n"
        "except ValueError:\n"
        "    pass"
    )

    finished, broken = _run(tmp_path, done, failed)

    (output,) = finished
    assert output["data"]["text/plain"].startswith("✓ fitting a model 0:00:0")
    assert "✓" in output["data"]["text/html"]
    (output,) = broken
    shown = output["data"]["text/plain"]
    assert "failing" in shown and "✓" not in shown
