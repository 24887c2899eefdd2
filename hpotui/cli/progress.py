"""Headless progress of a run: a live bar on a terminal, plain lines elsewhere.

On a terminal (and without NO_COLOR) a rich progress bar counts ended trials and
each ended trial prints one line above it. Otherwise every line is plain text, one
per started and ended trial, with no escape codes, so logs and pipes stay readable.
"""

from __future__ import annotations

from typing import IO, Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from hpotui.cli.common import format_params, format_value, one_line
from hpotui.engine import events as ev
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary
from hpotui.states import TrialState


class RunPrinter:
    """Turns engine events into progress output.

    Args:
        experiment: The experiment being run.
        plain: Plain lines instead of the live bar.
        stream: Where plain lines go (stdout by default).
    """

    def __init__(
        self,
        experiment: Experiment,
        *,
        plain: bool,
        stream: IO[str] | None = None,
    ) -> None:
        self.experiment = experiment
        self.objective = experiment.objective
        self.plain = plain
        self.stream = stream
        self.done = 0
        self.best: tuple[int, float] | None = None
        self._progress: Progress | None = None
        self._task: Any = None
        if not plain:
            self._start_bar(_expected_total(experiment))

    def carry_on(self, summary: ExperimentSummary) -> None:
        """Count what earlier sessions finished, for a resumed run."""
        self.done = summary.completed
        if summary.best_trial is not None and summary.best_value is not None:
            self.best = (summary.best_trial, summary.best_value)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)

    def handle(self, event: ev.Event) -> None:
        """Show what the event means to someone watching the run."""
        if isinstance(event, ev.TrialEnded):
            self._trial_ended(event)
        elif isinstance(event, ev.BestChanged):
            self.best = (event.trial_id, event.value)
        elif isinstance(event, ev.TrialStarted) and self.plain:
            self._line(f"trial {event.trial_id} started: {format_params(event.params)}")
        elif isinstance(event, ev.ExperimentStateChanged) and event.state.is_final:
            self.close()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def _trial_ended(self, event: ev.TrialEnded) -> None:
        if event.state is not TrialState.INTERRUPTED:
            self.done += 1
        metric = self.objective.metric
        if event.value is not None:
            what = f"{metric} {format_value(event.value)} (step {event.best_step})"
        else:
            what = one_line(event.reason) or "no value"
        line = f"trial {event.trial_id} {event.state.value}: {what}"
        if event.value is not None and event.state is TrialState.FINISHED:
            improved = self.best is None or self.objective.better(
                event.value, self.best[1]
            )
            if improved:
                self.best = (event.trial_id, event.value)
        if self.best is not None:
            line += f"; best {format_value(self.best[1])} (trial {self.best[0]})"
        self._line(line, style=_STYLES.get(event.state))
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)

    def _line(self, text: str, style: str | None = None) -> None:
        if self._progress is not None:
            self._progress.console.print(text, style=style, highlight=False)
        else:
            click.echo(text, file=self.stream)

    def _start_bar(self, total: int | None) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(highlight=False),
            transient=False,
        )
        self._task = self._progress.add_task(
            self.experiment.name, total=total, completed=self.done
        )
        self._progress.start()


_STYLES = {
    TrialState.FAILED: "red",
    TrialState.PRUNED: "yellow",
    TrialState.STOPPED: "yellow",
}


def _expected_total(experiment: Experiment) -> int | None:
    """How many trials the run is expected to end with, for the bar's length."""
    totals = []
    if experiment.limits.max_jobs >= 0:
        totals.append(experiment.limits.max_jobs)
    if experiment.experiments is not None:
        totals.append(len(experiment.experiments))
    elif experiment.algorithm.name.lower() == "grid":
        size = experiment.search_space().size
        if size is not None:
            totals.append(size)
    return min(totals) if totals else None
