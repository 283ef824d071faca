"""The runlab server's web UI: server-rendered pages (Jinja2) and a little vanilla JS.

Pages live under ``/ui`` (``/`` redirects there): experiments, the runs table of each,
a run with live metric charts and log tail, compare runs, models, compute targets and
datastores. Charts use plotly.js from the installed ``plotly`` package. The UI needs
``jinja2`` (and ``plotly`` for charts); :func:`install_ui` adds it to an app.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from runlab.server.ui import data, lineage_pages, pages, services_page, sweep_page
from runlab.server.ui._auth import LoginNeededError
from runlab.server.ui._render import render

__all__ = ["install_ui"]


async def _login_form(_request: Request, error: Exception) -> Response:
    if not isinstance(error, LoginNeededError):  # registered for it only
        raise error
    return render("login.html", {"message": error.message, "next": error.next_url}, 401)


def install_ui(app: FastAPI) -> None:
    """Serve the web UI from ``app``: its pages, data, files and the redirect from ``/``."""
    app.include_router(pages.router)
    app.include_router(sweep_page.router)
    app.include_router(data.router)
    app.include_router(services_page.router)
    app.include_router(lineage_pages.router)
    app.add_exception_handler(LoginNeededError, _login_form)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/ui/", status_code=307)
