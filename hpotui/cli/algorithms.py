"""``hpotui algorithms``: the built-in algorithms and the plugins of a workspace.

``install DIR --name N`` copies a plugin folder into the workspace, ``list`` shows
built-ins (BUILD_IN, WML-A's spelling) and plugins (USER_PLUGIN), ``delete N``
removes a plugin. An experiment then names the plugin as its algorithm. With the
root ``--profile`` option the same verbs act on a remote server's algorithms.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hpotui.algorithms.registry import builtin_names
from hpotui.cli.remote import remote_backend, run_with
from hpotui.errors import PluginStoreError
from hpotui.plugin_host.installed import PluginRegistry
from hpotui.workspace import plugins_dir


def _registry(ctx: click.Context) -> PluginRegistry:
    root = ctx.find_root().obj or {}
    return PluginRegistry(plugins_dir(root.get("workspace")))


@click.group("algorithms")
def algorithms() -> None:
    """Search algorithms: built-ins and installed plugins."""


@algorithms.command("install")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--name", "name", required=True, help="Name experiments will use.")
@click.option(
    "--python",
    default=None,
    help="Interpreter to run the plugin with (default: hpotui's own).",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    default=None,
    help="Level of the plugin's logger (default INFO).",
)
@click.option("--replace", is_flag=True, help="Replace a plugin of the same name.")
@click.pass_context
def install(
    ctx: click.Context,
    folder: Path,
    name: str,
    python: str | None,
    log_level: str | None,
    replace: bool,
) -> None:
    """Install the plugin in FOLDER (it holds optimizer.py) under --name."""
    remote = remote_backend(ctx)
    if remote is not None:
        run_with(
            remote, lambda b: b.install_algorithm(name, folder, log_level, replace)
        )
        click.echo(f"installed plugin {name} on {remote.label}")
        return
    plugin = _registry(ctx).install(
        folder,
        name,
        python=python,
        log_level=log_level,
        replace=replace,
    )
    click.echo(f"installed plugin {plugin.name} from {plugin.source}")


@algorithms.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print WML-A descriptors.")
@click.pass_context
def list_algorithms(ctx: click.Context, as_json: bool) -> None:
    """Built-in algorithms and installed plugins, with their type."""
    remote = remote_backend(ctx)
    if remote is not None:
        infos = run_with(remote, lambda b: b.list_algorithms())
        rows = [{**i.details, "name": i.name, "type": i.type} for i in infos]
    else:
        rows = _descriptors(_registry(ctx))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(row["name"]) for row in rows)
    click.echo(f"{'NAME':<{width}}  {'TYPE':<11}  PATH")
    for row in rows:
        line = f"{row['name']:<{width}}  {row['type']:<11}  {row.get('path', '')}"
        click.echo(line.rstrip())


@algorithms.command("delete")
@click.argument("name")
@click.pass_context
def delete(ctx: click.Context, name: str) -> None:
    """Delete the installed plugin NAME."""
    remote = remote_backend(ctx)
    if remote is not None:
        run_with(remote, lambda b: b.delete_algorithm(name))
        click.echo(f"deleted plugin {name} on {remote.label}")
        return
    if name.lower() in {builtin.lower() for builtin in builtin_names()}:
        raise PluginStoreError(
            f"{name} is a built-in algorithm and cannot be deleted; "
            "only plugins (USER_PLUGIN) can"
        )
    plugin = _registry(ctx).delete(name)
    click.echo(f"deleted plugin {plugin.name}")


def _descriptors(registry: PluginRegistry) -> list[dict[str, Any]]:
    builtins = [
        {"name": name, "type": "BUILD_IN", "remoteExec": False}
        for name in builtin_names()
    ]
    return builtins + [plugin.descriptor() for plugin in registry.installed()]


commands: list[click.Command] = [algorithms]
