"""Entry point: ``hpotui [--no-ui] [--workspace DIR] [--profile P] VERB ...``.

``hpotui`` alone opens the dashboard and ``hpotui FILE.yaml`` opens the editor on that
file. Each verb lives in its own module and is registered in :data:`_VERB_MODULES`.
"""

from __future__ import annotations

import importlib
import sys

import click

from hpotui.errors import HpotuiError

_VERB_MODULES = [
    # each module defines `commands: list[click.Command]`
    "hpotui.cli.validate",
    "hpotui.cli.run",
    "hpotui.cli.inspect",
    "hpotui.cli.control",
    "hpotui.cli.algorithms",
]


class _Root(click.Group):
    """A group that treats an experiment file in place of a verb as ``edit FILE``."""

    def resolve_command(self, ctx: click.Context, args: list[str]):  # type: ignore[override]
        if (
            args
            and args[0].endswith((".yaml", ".yml", ".json"))
            and args[0] not in self.commands
        ):
            args = ["edit", *args]
        return super().resolve_command(ctx, args)


@click.group(cls=_Root, invoke_without_command=True)
@click.option("--no-ui", is_flag=True, help="Run headless: plain output, no dashboard.")
@click.option(
    "--workspace",
    envvar="HPOTUI_HOME",
    type=click.Path(file_okay=False),
    help="Folder of the experiment store (default: per-user data folder).",
)
@click.option(
    "--profile", default=None, help="Backend profile; default: the embedded engine."
)
@click.pass_context
def cli(
    ctx: click.Context, no_ui: bool, workspace: str | None, profile: str | None
) -> None:
    """hpotui: hyperparameter search from the terminal."""
    ctx.ensure_object(dict)
    ctx.obj.update(no_ui=no_ui, workspace=workspace, profile=profile)
    if ctx.invoked_subcommand is None:
        if no_ui:
            click.echo(ctx.get_help())
            return
        ctx.invoke(cli.commands["ui"]) if "ui" in cli.commands else click.echo(
            ctx.get_help()
        )


def _register_verbs() -> None:
    for module_name in _VERB_MODULES:
        module = importlib.import_module(module_name)
        for command in module.commands:
            cli.add_command(command)


def main() -> None:
    """Run the command line; a user error prints its message and sets the exit code."""
    _register_verbs()
    try:
        cli.main(standalone_mode=False)
    except HpotuiError as err:
        click.echo(f"error: {err.message}", err=True)
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
