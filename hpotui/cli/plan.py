"""``hpotui plan FILE [--json]``: the Hyperband schedule an experiment would run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from hpotui.algorithms.hyperband import Bracket, HyperbandSettings, parse_settings, plan
from hpotui.errors import ExperimentFileError


@click.command("plan")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the schedule as JSON.")
def plan_command(file: Path, as_json: bool) -> None:
    """Print the Hyperband brackets and rungs of experiment FILE.

    Each bracket is one run of successive halving; a rung runs n configurations
    at resource r, and the best 1/eta go on to the next rung.
    """
    settings = _settings_of(file)
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    brackets = plan(settings)
    if as_json:
        click.echo(json.dumps(schedule_json(brackets)))
        return
    click.echo("\n".join(schedule_lines(settings, brackets)))


def schedule_json(brackets: list[Bracket]) -> list[dict[str, Any]]:
    """The schedule as ``[{"bracket": s, "rungs": [{"n": .., "r": ..}]}]``."""
    return [
        {"bracket": b.s, "rungs": [{"n": rung.n, "r": rung.r} for rung in b.rungs]}
        for b in brackets
    ]


def schedule_lines(settings: HyperbandSettings, brackets: list[Bracket]) -> list[str]:
    """The schedule as text: one line per bracket, then the totals of one pass."""
    name = settings.resource_name
    lines = [
        f"Hyperband eta={_number(settings.eta)}, {name} from "
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


def _settings_of(file: Path) -> HyperbandSettings:
    """The Hyperband settings of an experiment file, in either form.

    Only the algorithm section is read, so a schedule can be planned before the
    rest of the file is written.
    """
    # TODO: read through the experiment loader (file:line messages) once it lands;
    # until then the two forms of the algorithm section are read here.
    document = _read(file)
    if "algoDef" in document:
        name, options = _wmla_algorithm(document["algoDef"])
    else:
        name, options = _yaml_algorithm(document.get("algorithm"))
    if str(name).lower() not in _MULTI_FIDELITY:
        raise ExperimentFileError(
            f"algorithm.name: {file.name} uses {name!r}; plan shows the schedule of "
            "Hyperband, ASHA or BOHB"
        )
    return parse_settings(options)


def _read(file: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ExperimentFileError(
            f"{file}: cannot be read as YAML or JSON ({err}); fix the syntax"
        ) from err
    if not isinstance(document, dict):
        raise ExperimentFileError(f"{file}: expected a mapping at the top level")
    return document


def _yaml_algorithm(section: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(section, str):
        return section, {}
    if not isinstance(section, dict):
        raise ExperimentFileError(
            "algorithm: missing; write {name: Hyperband, eta: 3, "
            "resource: {name: epochs, max: 81}}"
        )
    options = {k: v for k, v in section.items() if k not in ("name", "seed")}
    options.update(options.pop("options", None) or {})
    return str(section.get("name", "Random")), options


def _wmla_algorithm(algo_def: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params = {p.get("name"): p.get("value") for p in algo_def.get("algoParams") or []}
    resource = {"name": params.get("ResourceName"), "max": params.get("ResourceValue")}
    options = {"eta": algo_def.get("hyperbandEta", 3), "resource": resource}
    return str(algo_def.get("algorithm", "Random")), options


def _number(value: Any) -> str:
    as_float = float(value)
    return str(int(as_float)) if as_float.is_integer() else f"{as_float:g}"


commands = [plan_command]
