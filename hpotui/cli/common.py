"""What the verbs share: the workspace option, the backend, and output modes."""

from __future__ import annotations

import asyncio
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
        envvar="HPOTUI_HOME",
        type=click.Path(file_okay=False),
        help="Folder of the experiment store (default: per-user data folder).",
    )(command)


def workspace_of(ctx: click.Context, verb_workspace: str | None) -> str | None:
    root = (ctx.find_root().obj or {}).get("workspace")
    return verb_workspace or root


def with_backend(
    ctx: click.Context,
    verb_workspace: str | None,
    work: Callable[[LocalBackend], Awaitable[T]],
) -> T:
    """Run ``work`` with a backend on the chosen workspace, then close it."""

    async def main() -> T:
        backend = LocalBackend(workspace_of(ctx, verb_workspace))
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
    return " ".join(f"{key}={_short(value)}" for key, value in params.items())


def one_line(text: str | None) -> str:
    """A reason on one line: multi-line stderr excerpts joined with `` | ``."""
    if not text:
        return ""
    return " | ".join(part.strip() for part in text.splitlines() if part.strip())


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
