"""How the web UI's pages are let in: the server's tokens, carried by an HttpOnly cookie.

A browser cannot add an ``Authorization`` header to a link, so the UI accepts the token
once, as ``?token=`` on any page or through the login form, checks it, keeps it in an
HttpOnly, SameSite=Strict cookie scoped to ``/ui``, and redirects to the same page without
it (so it leaves the address bar and the history). The token is never written into a page.
The UI only reads, so a read token is enough.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from runlab.server.auth import Authenticator, TokenMissingError

__all__ = [
    "COOKIE",
    "LoginNeededError",
    "check_reader",
    "check_reader_json",
    "login_redirect",
    "safe_next",
]

COOKIE = "runlab_ui_token"
"""The cookie that carries the UI's token."""


class LoginNeededError(TokenMissingError):
    """A UI page was asked for without a valid token: answered with the login form."""

    def __init__(self, message: str, next_url: str) -> None:
        super().__init__(message)
        self.next_url = next_url


def _header_of(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        return header
    cookie = request.cookies.get(COOKIE)
    return f"Bearer {cookie}" if cookie else None


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


def safe_next(url: str) -> str:
    """``url`` when it is a UI path of this server, else the UI's home (no open redirect)."""
    return url if url.startswith("/ui") and not url.startswith("//") else "/ui/"


def login_redirect(request: Request, token: str, next_url: str) -> Response:
    """Check ``token`` and answer with a redirect to ``next_url`` that sets the cookie.

    Raises:
        LoginNeededError: the token is not known to this server.
    """
    try:
        _authenticator(request).check(f"Bearer {token}", "read")
    except TokenMissingError:
        raise LoginNeededError("that token is not known to this server", next_url) from None
    answer = RedirectResponse(safe_next(next_url), status_code=303)
    answer.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui",
    )
    return answer


def check_reader(request: Request) -> Response | None:
    """Let a UI page's request in, or say what to answer instead.

    Returns:
        None when the request may read; a redirect setting the cookie when the address
        carried a valid ``?token=``.

    Raises:
        LoginNeededError: no valid token (the page answers with the login form).
    """
    query = parse_qs(request.url.query, keep_blank_values=True)
    next_url = request.url.path
    rest = {key: values for key, values in query.items() if key != "token"}
    if rest:
        next_url += "?" + urlencode(rest, doseq=True)
    if "token" in query:
        return login_redirect(request, query["token"][0], next_url)
    try:
        _authenticator(request).check(_header_of(request), "read")
    except TokenMissingError as error:
        raise LoginNeededError(error.message, next_url) from None
    return None


def check_reader_json(request: Request) -> None:
    """Let a UI data request in (header or cookie), or raise ``TokenMissingError`` (401)."""
    _authenticator(request).check(_header_of(request), "read")
