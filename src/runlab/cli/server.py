"""``runlab server`` and ``runlab token ...``: serve a workspace over HTTP, and its tokens."""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from typing import Annotated

import typer

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import error_console, say
from runlab.errors import ValidationError
from runlab.server.auth import TokenStore, tokens_file_of

__all__ = ["is_loopback", "serve", "token_app"]

token_app = typer.Typer(help="Tokens that let clients use this workspace's server.")


class TokenScope(StrEnum):
    """What a token allows."""

    READ = "read"
    WRITE = "write"


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (``127.0.0.1``, ``::1``,
    ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    workspace_path: WorkspaceOption = None,
    host: Annotated[
        str, typer.Option(help="The address to listen on; beyond loopback a token is required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8765,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level.")] = "info",
) -> None:
    """Serve the workspace's REST API (described at /docs) until Ctrl-C.

    On 127.0.0.1 the server is open until the first token exists (`runlab token create`),
    then every request needs one. Listening on any other address needs a token from the start,
    and the server refuses to start before one exists.
    """
    try:
        import uvicorn

        from runlab.server.app import create_app
    except ImportError as error:
        raise ValidationError(
            f"runlab server needs the server extra ({error.name} is missing):"
            " pip install 'runlab[server]'"
        ) from error
    workspace = open_workspace(ctx, workspace_path)
    tokens = TokenStore(tokens_file_of(workspace.config_path))
    loopback = is_loopback(host)
    if not loopback and not tokens.records():
        raise ValidationError(
            f"refusing to listen on {host}, beyond this machine, while no token exists: make one"
            " with `runlab token create --scope write`, or listen on 127.0.0.1"
        )
    app = create_app(workspace, tokens, require_token=not loopback)
    guarded = "tokens required" if not loopback or tokens.records() else "no token needed"
    say(f"Serving workspace {workspace.name!r} on http://{host}:{port} ({guarded}).")
    uvicorn.run(app, host=host, port=port, log_level=log_level)


@token_app.command("create")
def create_token(
    ctx: typer.Context,
    scope: Annotated[
        TokenScope, typer.Option(help="read: look only; write: change things too.")
    ] = TokenScope.READ,
    name: Annotated[str | None, typer.Option(help="A label for people.")] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Make a token and print it once (on stdout, alone): only its hash is kept."""
    workspace = open_workspace(ctx, workspace_path)
    store = TokenStore(tokens_file_of(workspace.config_path))
    token, record = store.create(scope.value, name)
    error_console().print(
        f"Token {record.name!r} ({record.scope}) for workspace {workspace.name!r}; it is shown"
        " only now. Clients send it as 'Authorization: Bearer <token>' (RUNLAB_TOKEN)."
    )
    typer.echo(token)
