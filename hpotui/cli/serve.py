"""``hpotui serve`` and ``hpotui users add``: a WML-A-compatible HPO service.

The server binds to 127.0.0.1 unless told otherwise; each account (from a file of
salted password hashes) works in its own folder under ``<workspace>/server``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hpotui.errors import HpotuiError
from hpotui.server.users import add_user, default_users_file
from hpotui.workspace import workspace_dir

_MEBIBYTE = 1024 * 1024


def _users_file(given: Path | None) -> Path:
    return given if given is not None else default_users_file()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 opens it to the network.")
@click.option("--port", default=9280, show_default=True, type=int)
@click.option("--users", "users_file", type=click.Path(path_type=Path),
              help="Accounts file (default: the per-user config folder).")
@click.option("--max-upload-mb", default=512, show_default=True, type=int,
              help="Largest upload accepted.")
@click.option("--max-unpacked-mb", type=click.IntRange(min=1),
              help="Largest total size an uploaded archive may unpack to "
              "(default: 20 times --max-upload-mb).")
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False))
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False))
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    users_file: Path | None,
    max_upload_mb: int,
    max_unpacked_mb: int | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> None:
    """Serve the embedded engine through WML-A's HPO REST API."""
    import uvicorn

    from hpotui.server.app import API, create_app

    users = _users_file(users_file)
    if not users.exists():
        raise HpotuiError(
            f"No accounts file at {users}; add a user first with "
            "`hpotui users add NAME` (password on stdin)."
        )
    root = workspace_dir((ctx.find_root().obj or {}).get("workspace")) / "server"
    unpacked = None if max_unpacked_mb is None else max_unpacked_mb * _MEBIBYTE
    app = create_app(
        root, users, max_upload=max_upload_mb * _MEBIBYTE, max_unpacked=unpacked
    )
    scheme = "https" if ssl_certfile else "http"
    click.echo(f"serving {scheme}://{host}:{port}{API} (Ctrl-C to stop)")
    uvicorn.run(
        app, host=host, port=port, log_level="warning",
        ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile,
    )


@click.group("users")
def users() -> None:
    """Accounts of `hpotui serve`."""


@users.command("add")
@click.argument("name")
@click.option("--users", "users_file", type=click.Path(path_type=Path),
              help="Accounts file (default: the per-user config folder).")
def add(name: str, users_file: Path | None) -> None:
    """Add (or reset) account NAME; the password is read from stdin."""
    if sys.stdin.isatty():
        password = click.prompt(f"Password for {name}", hide_input=True,
                                confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    path = _users_file(users_file)
    add_user(path, name, password)
    click.echo(f"user {name} saved in {path}")


commands: list[click.Command] = [serve, users]
