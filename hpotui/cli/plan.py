"""``hpotui plan FILE [--json]``: the Hyperband schedule an experiment would run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from hpotui.algorithms.hyperband import Bracket, HyperbandSettings, parse_settings, plan
from hpotui.errors import ExperimentFileError
from hpotui.experiment.loader import load_experiment


@click.command("plan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the schedule as JSON.")
def plan_command(file: Path, as_json: bool) -> None:
    """Print the Hyperband brackets and rungs of experiment FILE.

    Each bracket is one run of successive halving; a rung runs n configurations
    at resource r, and the best 1/eta go on to the next rung.
    """
    algorithm, settings = _settings_of(file)
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    brackets = plan(settings)
    if algorithm.lower() == "asha":
        brackets = brackets[:1]  # ASHA runs only the most aggressive bracket
    if as_json:
        click.echo(json.dumps(schedule_json(brackets)))
        return
    click.echo("\n".join(schedule_lines(algorithm, settings, brackets)))


def schedule_json(brackets: list[Bracket]) -> list[dict[str, Any]]:
    """The schedule as ``[{"bracket": s, "rungs": [{"n": .., "r": ..}]}]``."""
    return [
        {"bracket": b.s, "rungs": [{"n": rung.n, "r": rung.r} for rung in b.rungs]}
        for b in brackets
    ]


def schedule_lines(
    algorithm: str, settings: HyperbandSettings, brackets: list[Bracket]
) -> list[str]:
    """The schedule as text: one line per bracket, then the totals of one pass."""
    name = settings.resource_name
    lines = [
        f"{algorithm} eta={_number(settings.eta)}, {name} from "
        f"{_number(settings.min_resource)} to {_number(settings.max_resource)}: "
        f"{len(brackets)} bracket{'s' if len(brackets) > 1 else ''}"
    ]
    for bracket in brackets:
        rungs = " -> ".join(f"{rung.n} x {_number(rung.r)}" for rung in bracket.rungs)
        lines.append(
            f"  bracket {bracket.s}: {rungs}   "
            f"({bracket.trials} trials, {_number(bracket.budget)} {name})"
        )
    trials = sum(bracket.trials for bracket in brackets)
    budget = sum(bracket.budget for bracket in brackets)
    lines.append(f"one pass: {trials} trials, {_number(budget)} {name}")
    return lines


_MULTI_FIDELITY = {"hyperband", "asha", "bohb"}


def _settings_of(file: Path) -> tuple[str, HyperbandSettings]:
    """The algorithm name and Hyperband settings of an experiment file."""
    experiment = load_experiment(file)
    name = experiment.algorithm.name
    if name.lower() not in _MULTI_FIDELITY:
        raise ExperimentFileError(
            f"algorithm.name: {file.name} uses {name!r}; plan shows the schedule of "
            "Hyperband, ASHA or BOHB"
        )
    return name, parse_settings(experiment.algorithm.options)


def _number(value: Any) -> str:
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else f"{as_float:g}"


commands = [plan_command]
