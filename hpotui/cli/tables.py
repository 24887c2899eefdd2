"""Tables of experiments and trials, as rich tables or plain aligned text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from hpotui.cli.common import format_value, one_line, param_text, plain_output
from hpotui.durations import format_duration
from hpotui.records import TrialRecord

TRIAL_SORT_KEYS = ("id", "value", "state", "started", "duration")


def sort_trials(
    trials: Sequence[TrialRecord], key: str, goal: str, descending: bool = False
) -> list[TrialRecord]:
    """Trials ordered by a column or a parameter name; missing values always last.

    ``value`` sorts best first in the objective's direction (largest first for
    ``maximize``); ``descending`` reverses the order of the present values only.
    """
    getter = _sort_getter(key)
    present = [t for t in trials if getter(t) is not None]
    missing = [t for t in trials if getter(t) is None]
    reverse = descending != (key == "value" and goal == "maximize")
    try:
        present.sort(key=lambda t: (getter(t), t.id), reverse=reverse)
    except TypeError:
        # Mixed types in one parameter (numbers and strings): compare as text.
        present.sort(key=lambda t: (str(getter(t)), t.id), reverse=reverse)
    return present + sorted(missing, key=lambda t: t.id)


def _sort_getter(key: str) -> Callable[[TrialRecord], Any]:
    if key == "id":
        return lambda t: t.id
    if key == "value":
        return lambda t: t.value
    if key == "state":
        return lambda t: t.state.value
    if key == "started":
        return lambda t: t.started_at
    if key == "duration":
        return _seconds
    return lambda t: t.params.get(key)


def _seconds(trial: TrialRecord) -> float | None:
    if trial.started_at is None or trial.ended_at is None:
        return None
    return (trial.ended_at - trial.started_at).total_seconds()


def trial_rows(
    trials: Sequence[TrialRecord], param_names: Sequence[str]
) -> tuple[list[str], list[list[str]]]:
    """Header and cells of a trial table."""
    header = ["id", "state", "value", "step", *param_names, "duration", "reason"]
    rows = []
    for trial in trials:
        seconds = _seconds(trial)
        rows.append(
            [
                str(trial.id),
                trial.state.value,
                format_value(trial.value),
                "-" if trial.best_step is None else str(trial.best_step),
                *(
                    param_text(trial.params[name], 6) if name in trial.params else "-"
                    for name in param_names
                ),
                "-" if seconds is None else format_duration(seconds),
                one_line(trial.reason),
            ]
        )
    return header, rows


def print_table(header: list[str], rows: list[list[str]], title: str = "") -> None:
    """A rich table on a terminal; plain columns without escape codes otherwise."""
    if plain_output():
        widths = [
            max(len(header[i]), *(len(row[i]) for row in rows)) if rows else len(h)
            for i, h in enumerate(header)
        ]
        for line in [header, *rows]:
            cells = zip(line, widths, strict=True)
            click.echo("  ".join(c.ljust(w) for c, w in cells).rstrip())
        return
    table = Table(title=title or None, header_style="bold")
    for name in header:
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(highlight=False).print(table)


def format_time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")
