"""What the monitor shows, kept apart from how it is drawn.

:class:`MonitorModel` folds backend events into trial rows and remembers which
trials changed since the last refresh tick, so the table touches only those rows.
It never imports Textual, which keeps it cheap to test and to benchmark.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hpotui.engine.events import (
    BestChanged,
    Event,
    ExperimentStateChanged,
    TrialEnded,
    TrialLog,
    TrialMetrics,
    TrialStarted,
)
from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import ExperimentState, TrialState

_LOG_LINES_KEPT = 500


@dataclass
class BestPoint:
    """One improvement of the best value: which trial, when, and its value."""

    trial_id: int
    value: float
    params: dict[str, Any]


@dataclass
class MonitorModel:
    """The live state of one experiment as seen through its events.

    Attributes:
        summary: The experiment's line from the backend (metric, goal, limits).
        trials: Every trial by id.
        curves: Each trial's objective per step, in arrival order.
        best: The best trial so far, or None.
        history: Every improvement of the best value, in order.
        dirty: Trials changed since :meth:`take_dirty` was last called.
    """

    summary: ExperimentSummary
    trials: dict[int, TrialRecord] = field(default_factory=dict)
    curves: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    logs: dict[int, list[str]] = field(default_factory=dict)
    best: BestPoint | None = None
    history: list[BestPoint] = field(default_factory=list)
    state: ExperimentState = ExperimentState.SUBMITTED
    reason: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    dirty: set[int] = field(default_factory=set)
    plots_dirty: bool = True
    header_dirty: bool = True

    @classmethod
    def from_detail(
        cls, summary: ExperimentSummary, trials: Iterable[TrialRecord]
    ) -> MonitorModel:
        """A model seeded with what the backend has stored."""
        model = cls(summary=summary, state=summary.state, reason=summary.reason)
        model.started_at = summary.created_at
        model.ended_at = summary.ended_at
        for trial in trials:
            model.trials[trial.id] = trial
            model.dirty.add(trial.id)
        if summary.best_trial is not None and summary.best_value is not None:
            params = model.trials.get(summary.best_trial)
            model.best = BestPoint(
                summary.best_trial,
                summary.best_value,
                params.params if params else {},
            )
        return model

    @property
    def metric(self) -> str:
        return self.summary.metric

    @property
    def maximize(self) -> bool:
        return self.summary.goal == "maximize"

    def apply(self, event: Event) -> None:
        """Fold one event in, marking what it changed."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def take_dirty(self) -> set[int]:
        """The trials changed since the last call, and forget them."""
        changed, self.dirty = self.dirty, set()
        return changed

    def completed(self) -> int:
        """Ended trials as the store counts them: not interrupted, not run again."""
        rerun = {t.retry_of for t in self.trials.values() if t.retry_of is not None}
        return sum(
            1
            for trial in self.trials.values()
            if trial.state.is_final
            and trial.state is not TrialState.INTERRUPTED
            and trial.id not in rerun
        )

    def values_in_order(self) -> list[tuple[int, float]]:
        """Each finished trial's value by trial id, NaNs and failures left out."""
        points = [
            (trial.id, trial.value)
            for trial in self.trials.values()
            if trial.value is not None and math.isfinite(trial.value)
        ]
        points.sort()  # trials arrive nearly in id order: close to linear
        return points

    def best_so_far(
        self, values: list[tuple[int, float]] | None = None
    ) -> list[tuple[int, float]]:
        """The running best over ``values`` in the goal's direction.

        Args:
            values: :meth:`values_in_order`, if the caller has it already.
        """
        if values is None:
            values = self.values_in_order()
        points: list[tuple[int, float]] = []
        for trial_id, value in values:
            if not points or _better(value, points[-1][1], self.maximize):
                points.append((trial_id, value))
            else:
                points.append((trial_id, points[-1][1]))
        return points

    def _touch(self, trial: TrialRecord) -> None:
        self.trials[trial.id] = trial
        self.dirty.add(trial.id)
        self.plots_dirty = True
        self.header_dirty = True


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def _on_state(model: MonitorModel, event: ExperimentStateChanged) -> None:
    model.state = event.state
    model.reason = event.reason
    if event.state in (ExperimentState.SUBMITTED, ExperimentState.RUNNING):
        model.started_at = model.started_at or event.at
        model.ended_at = None
    if event.state.is_final:
        model.ended_at = event.at
    model.header_dirty = True


def _on_started(model: MonitorModel, event: TrialStarted) -> None:
    known = model.trials.get(event.trial_id)
    if known is not None and known.state.is_final:
        return
    model.started_at = model.started_at or event.at
    model._touch(
        TrialRecord(
            id=event.trial_id,
            state=TrialState.RUNNING,
            params=event.params,
            started_at=event.at,
            extra=event.extra,
            meta=event.meta,
            retry_of=event.retry_of,
        )
    )


def _on_metrics(model: MonitorModel, event: TrialMetrics) -> None:
    curve = model.curves.setdefault(event.trial_id, [])
    for record in event.records:
        value = record.get(model.metric)
        if isinstance(value, int | float):
            curve.append((int(record.get("step", len(curve))), float(value)))
    model.plots_dirty = True


def _on_ended(model: MonitorModel, event: TrialEnded) -> None:
    known = model.trials.get(event.trial_id)
    if known is None:
        known = TrialRecord(id=event.trial_id, state=event.state, params={})
    ended = replace(
        known,
        state=event.state,
        value=event.value,
        best_step=event.best_step,
        ended_at=event.at,
        reason=event.reason,
    )
    # Replaying the stored events of a stored trial changes nothing: skip it, so
    # opening a large finished experiment does not redraw every row twice.
    if ended != known:
        model._touch(ended)


def _on_best(model: MonitorModel, event: BestChanged) -> None:
    point = BestPoint(event.trial_id, event.value, event.params)
    model.best = point
    model.history.append(point)
    model.header_dirty = True


def _on_log(model: MonitorModel, event: TrialLog) -> None:
    lines = model.logs.setdefault(event.trial_id, [])
    lines.extend(event.lines)
    del lines[:-_LOG_LINES_KEPT]


_HANDLERS: dict[type[Event], Callable[[MonitorModel, Any], None]] = {
    ExperimentStateChanged: _on_state,
    TrialStarted: _on_started,
    TrialMetrics: _on_metrics,
    TrialEnded: _on_ended,
    BestChanged: _on_best,
    TrialLog: _on_log,
}
