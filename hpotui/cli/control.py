"""``hpotui stop`` and ``hpotui delete``: acting on an experiment from any process."""

from __future__ import annotations

import click

from hpotui.backends.base import Backend
from hpotui.backends.local import LocalBackend
from hpotui.cli.common import with_backend, workspace_option


@click.command()
@click.argument("name")
@workspace_option
@click.pass_context
def stop(ctx: click.Context, name: str, verb_workspace: str | None) -> None:
    """Stop experiment NAME; its running trials are terminated."""

    async def work(backend: LocalBackend) -> None:
        if not isinstance(backend, LocalBackend):
            await _stop_remote(backend, name)
            return
        owner = backend.store.live_owner(name)
        state, _ = backend.store.state(name)
        if owner is None and state.is_final:
            click.echo(f"{name} is not running ({state.value}); nothing to stop")
            return
        await backend.stop(name)
        if owner is None:
            click.echo(f"{name} had no running engine; marked STOPPED")
        else:
            click.echo(f"stop sent to {name} ({owner.describe()})")

    with_backend(ctx, verb_workspace, work)


@click.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@workspace_option
@click.pass_context
def delete(
    ctx: click.Context, name: str, yes: bool, verb_workspace: str | None
) -> None:
    """Delete experiment NAME, its records and its trial folders."""
    if not yes:
        click.confirm(f"delete {name} and its trial folders?", abort=True)

    async def work(backend: LocalBackend) -> None:
        await backend.delete(name)
        click.echo(f"deleted {name}")

    with_backend(ctx, verb_workspace, work)


commands = [stop, delete]


async def _stop_remote(backend: Backend, name: str) -> None:
    from hpotui.backends.wmla import WmlaBackend

    if not isinstance(backend, WmlaBackend):
        await backend.stop(name)
    elif not await backend.request_stop(name):
        click.echo(f"{name} was already stopped on {backend.label}; nothing to stop")
        return
    click.echo(f"stop sent to {name} on {backend.label}")
