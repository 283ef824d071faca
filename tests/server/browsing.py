"""Helpers of the browser tests: Debian's Chromium driven by Playwright, a page whose script
errors and Content-Security-Policy refusals fail the test, screenshots, and waiting on the
page's state (polled from the test: the UI's policy forbids the ``eval`` that Playwright's
``wait_for_function`` runs in the page).

A test module calls :func:`require_browser` first, then imports the fixtures it uses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpers import eventually

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHARED_SCREENS = Path("/tmp/runlab-ui-screens")
TIMEOUT_MS = 15_000
WAIT_S = 30.0


def require_browser() -> Any:
    """Skip the calling module, saying why, without jinja2, Playwright or the chromium;
    return ``playwright.sync_api``."""
    pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need Playwright: pip install playwright"
    )
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"the browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium",
            allow_module_level=True,
        )
    return sync_api


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, for this module (no browser download)."""
    sync_api = require_browser()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What went wrong in a page: script errors, and what its policy refused."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.refused: list[str] = []


@pytest.fixture
def problems() -> PageProblems:
    """The page's problems; a test that expects refusals empties ``refused`` once checked."""
    return PageProblems()


@pytest.fixture
def page(browser: Any, problems: PageProblems) -> Iterator[Any]:
    """A fresh page (own cookies and downloads) whose failures show up in the test."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    new_page = context.new_page()
    new_page.set_default_timeout(TIMEOUT_MS)
    new_page.on("pageerror", lambda error: problems.errors.append(str(error)))

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            problems.refused.append(message.text)

    new_page.on("console", console)
    yield new_page
    context.close()
    assert not problems.errors, f"the page's script failed: {problems.errors}"
    assert not problems.refused, f"the page's policy refused something: {problems.refused}"


def screenshot(page: Any, tmp_path: Path, name: str) -> Path:
    """Save the whole page under the test's output (``screens/``), and a copy to look at
    under ``/tmp/runlab-ui-screens/``."""
    target = tmp_path / "screens" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    SHARED_SCREENS.mkdir(parents=True, exist_ok=True)
    shutil.copy(target, SHARED_SCREENS / target.name)
    return target


def wait_js(page: Any, expression: str, arg: Any = None, *, timeout: float = WAIT_S) -> Any:
    """Evaluate ``expression`` (a JS function of ``arg``) in the page until it is truthy;
    return its value."""
    return eventually(
        lambda: page.evaluate(expression, arg),
        timeout=timeout,
        interval=0.1,
        message=f"the page never made {expression} true",
    )
