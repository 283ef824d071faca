"""Rich progress bars that show in a Jupyter notebook too.

Rich draws a live display in a notebook through an ipywidgets ``Output`` widget, filled from
its refresh thread; a kernel's output does not reach a widget from another thread reliably, so
the bar shows as an empty widget (and Rich does not draw the last frame when it stops). In a
Jupyter kernel, :class:`Progress` here draws itself instead into an ordinary display output
(``text/plain`` and ``text/html``) that it updates in place a few times a second, and draws
the final state when it stops. The HTML lays each task's columns out in a row as wide as the
notebook, the bar taking the room the text leaves, so it fits whatever width the page has.

A notebook cannot take one output away without clearing the cell's other outputs, so a
*transient* bar there does not vanish (which left an empty output behind): it ends on its final
frame, an indeterminate task marked finished when the ``with`` block ended without an error
(a spinner shows its ``finished_text``, elapsed time stops). Elsewhere it is Rich's own
:class:`rich.progress.Progress`.

Like :mod:`runlab._files`, this sits just above layer 0: any layer may import it.
"""

from __future__ import annotations

import io
import threading
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, ProgressColumn, Task, TextColumn
from rich.progress import Progress as RichProgress

__all__ = ["Progress", "in_notebook"]

_REFRESHES_PER_SECOND = 4.0
_FONT = "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace"
_ROW = f"display:flex;align-items:center;gap:1ch;width:100%;white-space:pre;{_FONT}"
_BAR = (
    "flex:1 1 auto;min-width:4em;height:0.55em;border-radius:0.3em;"
    "background:rgba(128,128,128,0.25);overflow:hidden"
)
_BAR_COLOURS = {"running": "#f92672", "finished": "#729c1f", "unknown": "rgba(249,38,114,0.45)"}


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (as Rich decides it)."""
    return Console(file=io.StringIO()).is_jupyter


def _console(width: int | None = None) -> Console:
    """A recording console that draws as a terminal would, for exporting."""
    return Console(
        file=io.StringIO(),
        record=True,
        width=width,
        force_jupyter=False,
        force_terminal=True,
        color_system="truecolor",
    )


def _notebook_columns() -> int:
    """Columns for the plain-text form: Rich's notebook width (``JUPYTER_COLUMNS``, else 115)."""
    return Console(file=io.StringIO(), force_jupyter=True).width


def _bar_html(task: Task) -> str:
    """A bar as wide as the row leaves it: done share filled, all of it faint when unknown."""
    if task.total is None:
        share, colour = 100.0, _BAR_COLOURS["finished" if task.finished else "unknown"]
    else:
        share = task.percentage
        colour = _BAR_COLOURS["finished" if task.finished else "running"]
    return (
        f'<div style="{_BAR}"><div style="width:{share:.1f}%;height:100%;'
        f'background:{colour}"></div></div>'
    )


def _cell_html(column: ProgressColumn, task: Task) -> str:
    """One column of one task as HTML with inline colours, on one line."""
    console = _console(width=10_000)
    console.print(column(task), end="", no_wrap=True, overflow="ignore")
    return console.export_html(inline_styles=True, code_format="{code}").strip()


def _row_html(columns: list[ProgressColumn], task: Task) -> str:
    cells = [
        _bar_html(task)
        if isinstance(column, BarColumn)
        else f'<span style="flex:none">{_cell_html(column, task)}</span>'
        for column in columns
    ]
    return f'<div style="{_ROW}">{"".join(cells)}</div>'


def _bundle(progress: RichProgress) -> dict[str, str]:
    """A display bundle of ``progress``: plain text, and HTML rows that fit the page's width."""
    console = _console(width=_notebook_columns())
    console.print(progress.get_renderable())
    text = console.export_text(clear=False).rstrip("\n")
    columns = [
        TextColumn(column) if isinstance(column, str) else column for column in progress.columns
    ]
    with progress._lock:
        tasks = [task for task in progress.tasks if task.visible]
    rows = "".join(_row_html(columns, task) for task in tasks)
    return {"text/plain": text, "text/html": f'<div style="width:100%">{rows}</div>'}


class Progress(RichProgress):
    """Rich's :class:`~rich.progress.Progress`, drawn as an updating display output in a
    Jupyter kernel (see the module's docstring); the same arguments.

    Example:
        >>> with Progress() as progress:  # doctest: +SKIP
        ...     task = progress.add_task("copy", total=3)
        ...     progress.advance(task, 3)
    """

    def __init__(self, *columns: str | ProgressColumn, **options: Any) -> None:
        self._notebook = not options.get("disable", False) and in_notebook()
        if self._notebook:
            # Rich's own live display stays silent; this class draws instead.
            options["console"] = Console(file=io.StringIO(), force_jupyter=False)
            options["auto_refresh"] = False
        super().__init__(*columns, **options)
        self._handle: Any = None
        self._stopping = threading.Event()
        self._drawer: threading.Thread | None = None
        self._draw_lock = threading.Lock()

    def start(self) -> None:
        """Start drawing (see :meth:`rich.progress.Progress.start`)."""
        super().start()
        if not self._notebook or self._handle is not None:
            return
        from IPython.display import display

        self._handle = display(  # type: ignore[no-untyped-call]
            _bundle(self), raw=True, display_id=True
        )
        self._stopping.clear()
        self._drawer = threading.Thread(target=self._draw_often, daemon=True)
        self._drawer.start()

    def _draw_often(self) -> None:
        while not self._stopping.wait(1 / _REFRESHES_PER_SECOND):
            self._draw()

    def _draw(self) -> None:
        with self._draw_lock:
            if self._handle is not None:
                self._handle.update(_bundle(self), raw=True)

    def _finish_open_ended(self) -> None:
        """Mark tasks of unknown size finished, stopping their clocks."""
        with self._lock:
            for task in self.tasks:
                if task.total is None and task.finished_time is None:
                    task.finished_time = task.elapsed

    def refresh(self) -> None:
        """Draw the current state now."""
        super().refresh()
        if self._notebook:
            self._draw()

    def stop(self) -> None:
        """Draw the final state and stop (see the module's docstring for transient bars)."""
        if self._notebook and self._drawer is not None:
            self._stopping.set()
            self._drawer.join()
            self._drawer = None
            self._draw()
            self._handle = None
        super().stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        """Stop; in a notebook an open-ended task that ended without an error ends finished."""
        if self._notebook and exc_type is None:
            self._finish_open_ended()
        self.stop()
