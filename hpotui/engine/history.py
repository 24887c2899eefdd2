"""What the engine knows about ended trials, in the forms algorithms and rules need.

A trial's value follows the objective's rule (see :func:`value_of`): the best step in
the goal's direction (``value: best``, the default, WML-A's ``metricVal``) or the last
step (``value: last``). Losses are values
turned so that smaller is better, which is what algorithms and stopping rules see.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from hpotui.algorithms import Observation, Suggestion
from hpotui.engine.metrics import trial_value
from hpotui.experiment.model import Objective
from hpotui.records import MetricRecord, TrialRecord
from hpotui.states import TrialState

Curve = list[tuple[int, float]]


def objective_curve(records: Iterable[MetricRecord], objective: Objective) -> Curve:
    """``(step, value)`` of every record that holds a finite objective value."""
    curve: Curve = []
    for record in records:
        value = record.values.get(objective.metric)
        if isinstance(value, int | float) and math.isfinite(value):
            curve.append((record.step, float(value)))
    return curve


def value_of(
    records: Sequence[MetricRecord], objective: Objective
) -> tuple[float, int] | None:
    """The trial's value by the objective's rule and the step it came from."""
    return trial_value(list(records), objective.metric, objective.goal, objective.value)


def loss_curve(curve: Curve, objective: Objective) -> Curve:
    return [(step, objective.loss(value)) for step, value in curve]


def superseded_ids(trials: Iterable[TrialRecord]) -> set[int]:
    """Ids of trials that another trial runs again; they leave the history."""
    return {t.retry_of for t in trials if t.retry_of is not None}


def observation(
    trial: TrialRecord, records: Sequence[MetricRecord], objective: Objective
) -> Observation:
    """An ended trial as algorithms see it; a failed one carries no loss."""
    curve = loss_curve(objective_curve(records, objective), objective)
    loss = None
    if trial.value is not None and trial.state is not TrialState.FAILED:
        loss = objective.loss(trial.value)
    return Observation(
        trial_id=trial.id,
        params=trial.params,
        state=trial.state,
        loss=loss,
        steps=tuple(curve),
        extra=trial.extra,
        meta=trial.meta,
    )


def suggestion_of(trial: TrialRecord) -> Suggestion:
    return Suggestion(dict(trial.params), dict(trial.extra), dict(trial.meta))
