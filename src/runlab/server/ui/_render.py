"""The UI's Jinja2 environment: templates shipped in this package, autoescaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from runlab.server.ui.views import format_time

__all__ = ["render"]

_TEMPLATES = Path(__file__).parent / "templates"


def _as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_environment.filters["when"] = format_time
_environment.filters["as_json"] = _as_json


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The template ``name`` rendered with ``context`` as an HTML answer."""
    html = _environment.get_template(name).render(**context)
    return HTMLResponse(html, status_code=status_code)
