"""``runlab server`` and ``runlab token ...``: serve a workspace over HTTP, and its tokens."""

from __future__ import annotations

import ipaddress
import time
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, data_table, error_console, format_time, heading, say
from runlab.errors import ValidationError
from runlab.server.auth import TokenStore, parse_duration, tokens_file_of

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
    name: Annotated[
        str | None, typer.Option(help="A label for people, unique; revoke the token by it.")
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(help="Refused after this long: 30d, 12h, 90m, 2w (default: never)."),
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Make a token and print it once (on stdout, alone): only its hash is kept."""
    lifetime = parse_duration(expires) if expires is not None else None
    workspace = open_workspace(ctx, workspace_path)
    store = TokenStore(tokens_file_of(workspace.config_path))
    token, record = store.create(scope.value, name, expires_in=lifetime)
    until = f", expires {format_time(record.expires_time)}" if record.expires_time else ""
    error_console().print(
        f"Token {record.name!r} ({record.scope}{until}) for workspace {workspace.name!r}; it is"
        " shown only now. Clients send it as 'Authorization: Bearer <token>' (RUNLAB_TOKEN)."
    )
    typer.echo(token)


@token_app.command("list")
def list_tokens(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List the workspace's tokens: name, scope, created, last used, expiry (never the token;
    only its hash is kept)."""
    workspace = open_workspace(ctx, workspace_path)
    records = TokenStore(tokens_file_of(workspace.config_path)).records()
    if not records:
        say("No tokens yet; `runlab token create` makes one.")
        return
    heading(f"Tokens of workspace {workspace.name}")
    table = data_table(["Name", "Scope", "Created", "Last used", "Expires"])
    now = time.time()
    for record in sorted(records, key=lambda r: r.created_time):
        expiry = format_time(record.expires_time) if record.expires_time else "never"
        scope = f"run {record.run_id}" if record.run_id else record.scope
        table.add_row(
            Text(record.name),
            Text(scope),
            format_time(record.created_time),
            format_time(record.last_used_time),
            Text(f"{expiry} (expired)" if record.expired(now) else expiry),
        )
    console().print(table)


@token_app.command("revoke")
def revoke_token(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The token's name (see `runlab token list`).")],
    workspace_path: WorkspaceOption = None,
) -> None:
    """Revoke a token: every server of the workspace refuses it from its next request on."""
    workspace = open_workspace(ctx, workspace_path)
    record = TokenStore(tokens_file_of(workspace.config_path)).revoke(name)
    say(f"Revoked token {record.name!r} ({record.scope}) of workspace {workspace.name!r}.")
