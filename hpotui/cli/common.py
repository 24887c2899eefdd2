"""What the verbs share: the workspace option, the backend, and output modes."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from hpotui.backends.local import LocalBackend

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def workspace_option(command: F) -> F:
    """``--workspace DIR`` on a verb too, so it may follow the verb's arguments."""
    return click.option(
        "--workspace",
        "verb_workspace",
        # No envvar here: the root option reads HPOTUI_HOME, and a verb's copy of
        # it would win over the root's --workspace.
        type=click.Path(file_okay=False),
        help="Folder of the experiment store (default: per-user data folder).",
    )(command)


def workspace_of(ctx: click.Context, verb_workspace: str | None) -> str | None:
    root = (ctx.find_root().obj or {}).get("workspace")
    return verb_workspace or root


def with_backend(
    ctx: click.Context,
    verb_workspace: str | None,
    work: Callable[[Any], Awaitable[T]],
) -> T:
    """Run ``work`` with the chosen backend, then close it.

    The backend is the remote server of the root ``--profile`` option when one is
    given, else the embedded engine on the chosen workspace.
    """
    from hpotui.cli.remote import remote_backend

    remote = remote_backend(ctx)

    async def main() -> T:
        backend = remote or LocalBackend(workspace_of(ctx, verb_workspace))
        try:
            return await work(backend)
        finally:
            await backend.close()

    return asyncio.run(main())


def plain_output() -> bool:
    """Plain lines without escape codes: stdout is no terminal, or NO_COLOR is set."""
    return not sys.stdout.isatty() or "NO_COLOR" in os.environ


def format_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def format_params(params: dict[str, Any]) -> str:
    return " ".join(f"{key}={param_text(value)}" for key, value in params.items())


def one_line(text: str | None) -> str:
    """A reason on one line: multi-line stderr excerpts joined with `` | ``."""
    if not text:
        return ""
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def param_text(value: Any, digits: int = 4) -> str:
    """A hyperparameter value in config.json's spelling (true, null), floats short.

    Types stay told apart: the float 1.0 reads ``1.0``, not the int ``1``, and a
    string that would read as another value (``"1"``, ``"true"``) keeps quotes.
    """
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        text = f"{value:.{digits}g}"
        return text if any(mark in text for mark in ".ein") else f"{text}.0"
    if isinstance(value, str) and _reads_as_json_value(value):
        return json.dumps(value)
    return str(value)


def _reads_as_json_value(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True

