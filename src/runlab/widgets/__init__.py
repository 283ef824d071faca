"""Layer 3: the notebook widget. ``RunDetails(run).show()`` shows a run and refreshes
itself until the run ends; outside a notebook it prints a text view.

ipywidgets, plotly and anywidget (its charts are plotly ``FigureWidget``s) are imported only
when a widget is built (``pip install 'runlab[notebook]'``).
"""

from __future__ import annotations

from runlab.widgets._details import RunDetails, in_notebook
from runlab.widgets._snapshot import RunSnapshot, refresh_interval, take_snapshot, text_view

__all__ = [
    "RunDetails",
    "RunSnapshot",
    "in_notebook",
    "refresh_interval",
    "take_snapshot",
    "text_view",
]
