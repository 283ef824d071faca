"""Rich progress bars that show in a Jupyter notebook too.

Rich draws a live display in a notebook through an ipywidgets ``Output`` widget, filled from
its refresh thread; a kernel's output does not reach a widget from another thread reliably, so
the bar shows as an empty widget (and Rich does not draw the last frame when it stops). In a
Jupyter kernel, :class:`Progress` here draws itself instead into an ordinary display output
(``text/plain`` and ``text/html``) that it updates in place a few times a second, and draws
the final state when it stops. Elsewhere it is Rich's own :class:`rich.progress.Progress`.

Like :mod:`runlab._files`, this sits just above layer 0: any layer may import it.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import Progress as RichProgress
from rich.progress import ProgressColumn

__all__ = ["Progress", "in_notebook"]

_NOTEBOOK_WIDTH = 100
_REFRESHES_PER_SECOND = 4.0


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (as Rich decides it)."""
    return Console(file=io.StringIO()).is_jupyter


def _bundle(renderable: RenderableType | None) -> dict[str, str]:
    """A display bundle of ``renderable``: plain text and HTML with inline colours."""
    if renderable is None:
        return {"text/plain": ""}
    console = Console(
        file=io.StringIO(),
        record=True,
        width=_NOTEBOOK_WIDTH,
        force_jupyter=False,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(renderable)
    text = console.export_text(clear=False).rstrip("\n")
    html = console.export_html(
        inline_styles=True,
        code_format=(
            '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
            "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">"
            "{code}</pre>"
        ),
    )
    return {"text/plain": text, "text/html": html}


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
            _bundle(self.get_renderable()), raw=True, display_id=True
        )
        self._stopping.clear()
        self._drawer = threading.Thread(target=self._draw_often, daemon=True)
        self._drawer.start()

    def _draw_often(self) -> None:
        while not self._stopping.wait(1 / _REFRESHES_PER_SECOND):
            self._draw()

    def _draw(self, final: bool = False) -> None:
        with self._draw_lock:
            if self._handle is None:
                return
            shown = None if final and self.live.transient else self.get_renderable()
            self._handle.update(_bundle(shown), raw=True)

    def refresh(self) -> None:
        """Draw the current state now."""
        super().refresh()
        if self._notebook:
            self._draw()

    def stop(self) -> None:
        """Draw the final state (nothing, when transient) and stop."""
        if self._notebook and self._drawer is not None:
            self._stopping.set()
            self._drawer.join()
            self._drawer = None
            self._draw(final=True)
            self._handle = None
        super().stop()
