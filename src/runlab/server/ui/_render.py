"""The UI's Jinja2 environment: templates shipped in this package, autoescaped, and the
Content-Security-Policy every page is sent with.

A page may run only scripts from the UI's own origin and the inline ``<script>`` elements its
templates wrote: each page gets a fresh nonce, and the loader gives every ``<script`` tag in
a template's source that nonce. What a run recorded (a name, a tag, a metric name, a file)
reaches a page only through autoescaped values, so it can never carry the nonce: a script
smuggled into it is not run by the browser.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from fastapi.responses import HTMLResponse

from runlab.server.ui.views import format_time

__all__ = ["SAFE_HEADERS", "content_security_policy", "render"]

_TEMPLATES = Path(__file__).parent / "templates"
_NONCED_SCRIPT = '<script nonce="{{ csp_nonce }}"'

SAFE_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}
"""Headers every UI answer carries: no content sniffing, no run ids leaked to other sites."""


def content_security_policy(nonce: str) -> str:
    """The policy of a page whose own inline scripts carry ``nonce``.

    Styles may be inline (plotly.js sets them on the charts it draws); images come from the
    UI (a run's images) or are drawn by the charts (``data:``); nothing may frame the page.
    """
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class _NoncingLoader(jinja2.FileSystemLoader):
    """Templates from the package folder, each ``<script`` tag given the page's nonce."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        return source.replace("<script", _NONCED_SCRIPT), filename, uptodate


def _number(value: Any) -> Any:
    """A float to 6 significant digits (``0.19999999999999996`` shows as ``0.2``)."""
    return f"{value:.6g}" if isinstance(value, float) else value


def _as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


_environment = jinja2.Environment(
    loader=_NoncingLoader(_TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_environment.filters["when"] = format_time
_environment.filters["as_json"] = _as_json
_environment.filters["num"] = _number


def render(name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The template ``name`` rendered with ``context`` as an HTML answer, with its own
    script nonce and the UI's Content-Security-Policy."""
    nonce = secrets.token_urlsafe(16)
    html = _environment.get_template(name).render(**context, csp_nonce=nonce)
    headers = {**SAFE_HEADERS, "Content-Security-Policy": content_security_policy(nonce)}
    return HTMLResponse(html, status_code=status_code, headers=headers)
