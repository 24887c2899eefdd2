"""``hpotui validate FILE``: check an experiment file without running it.

Nothing is created or stored: the file is read, checked and reported on. Warnings
and notes go to stdout; errors end the command with exit code 2.
"""

from __future__ import annotations

import click

from hpotui.algorithms.registry import plugin_names
from hpotui.cli.common import workspace_of, workspace_option
from hpotui.experiment.validate import check_experiment_file
from hpotui.workspace import plugins_dir


def installed_plugins(workspace: str | None) -> list[str]:
    """Names of the plugins installed in the workspace ``run`` would use."""
    return plugin_names(plugins_dir(workspace, create=False))


@click.command("validate")
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@workspace_option
@click.pass_context
def validate_command(ctx: click.Context, file: str, verb_workspace: str | None) -> None:
    """Check FILE (friendly YAML or a WML-A request) and list every problem.

    An algorithm that is not built in must be a plugin installed in the workspace.
    """
    workspace = workspace_of(ctx, verb_workspace)
    report = check_experiment_file(file, installed_plugins(workspace))
    for line in report.warnings:
        click.echo(f"warning: {line}")
    for line in report.infos:
        click.echo(f"note: {line}")
    report.raise_for_errors()
    experiment = report.experiment
    assert experiment is not None
    if experiment.experiments is not None:
        space = f"{len(experiment.experiments)} configurations listed"
    else:
        size = experiment.search_space().size
        space = "continuous" if size is None else f"{size} configurations"
    click.echo(
        f"{file}: ok: {experiment.name}, {experiment.algorithm.name}, "
        f"{len(experiment.hyperparams)} hyperparameters ({space})"
    )


commands: list[click.Command] = [validate_command]
