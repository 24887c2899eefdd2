"""Stopping rules: end unpromising trials while they run, from their live values.

The scheduler asks the experiment's rule about a running trial each time new
intermediate values arrive. Values are losses (smaller is better) keyed by step.
A trial the rule stops ends PRUNED with the rule's reason; its last value still
counts as a partial observation (``Observation.state`` PRUNED with its loss).

Two rules exist, chosen by the experiment's ``early_stopping`` section::

    early_stopping: {rule: median, grace_steps: 3, min_trials: 5}
    early_stopping: {rule: successive_halving, eta: 3, min_step: 1}

Both compare a trial's *best value up to a step* with the other trials' best
values up to the same step, counting only trials that have reached that step.
Taking the best so far, rather than the value at the step, keeps one noisy epoch
from stopping a trial.
"""

from __future__ import annotations

import math
import statistics
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from hpotui.errors import ExperimentFileError

Curve = Sequence[tuple[int, float]]


class StoppingRule(ABC):
    """Decides whether a running trial should stop now.

    Rules compare losses, but their reasons are read by people, so values are
    shown in the objective's own direction: for ``goal: maximize`` a loss of
    -8.6 is an accuracy of 8.6, and a worse trial is *below* the others.
    """

    maximize: bool = False

    def _shown(self, loss: float) -> str:
        return f"{-loss if self.maximize else loss:.6g}"

    def _worse(self) -> str:
        return "below" if self.maximize else "above"

    @abstractmethod
    def should_stop(
        self, trial_id: int, curve: Curve, others: Mapping[int, Curve]
    ) -> str | None:
        """The reason to stop ``trial_id`` now, or None to let it run.

        Args:
            trial_id: The running trial.
            curve: Its ``(step, loss)`` pairs so far, in step order.
            others: The curves of every other trial of the experiment, running or
                ended (failed trials excluded).

        Returns:
            A reason naming the rule and the step, e.g.
            ``median stopping at step 5: best 0.81 above median 0.42 of 6 trials``.
        """


def best_up_to(curve: Curve, step: int) -> float | None:
    """The smallest loss of ``curve`` at steps ``<= step``, or None if ``curve``
    has not reached ``step`` yet."""
    if not curve or curve[-1][0] < step:
        return None
    return min(loss for at, loss in curve if at <= step)


def _others_at(others: Mapping[int, Curve], step: int) -> list[float]:
    values = (best_up_to(curve, step) for curve in others.values())
    return [value for value in values if value is not None]


class MedianStopping(StoppingRule):
    """Stop a trial whose best value is worse than the median of the others.

    Median stopping as in Google Vizier (Golovin et al., KDD 2017): at its latest
    step ``t``, a trial stops when its best value up to ``t`` is worse than the
    median of the other trials' best values up to ``t``.

    Args:
        grace_steps: No trial is stopped at a step below this.
        min_trials: How many other trials must have reached the step before the
            median means anything.
        maximize: Show values as the objective's (negated losses) in reasons.
    """

    def __init__(
        self, grace_steps: int = 3, min_trials: int = 5, *, maximize: bool = False
    ) -> None:
        self.grace_steps = grace_steps
        self.min_trials = min_trials
        self.maximize = maximize

    def should_stop(
        self, trial_id: int, curve: Curve, others: Mapping[int, Curve]
    ) -> str | None:
        if not curve:
            return None
        step = curve[-1][0]
        if step < self.grace_steps:
            return None
        values = _others_at(others, step)
        # No others at the step means no median, whatever min_trials says.
        if not values or len(values) < self.min_trials:
            return None
        own = best_up_to(curve, step)
        median = statistics.median(values)
        if own is None or own <= median:
            return None
        return (
            f"median stopping at step {step}: best {self._shown(own)} "
            f"{self._worse()} median {self._shown(median)} of {len(values)} trials"
        )


class SuccessiveHalvingStopping(StoppingRule):
    """Successive-halving rungs for any algorithm (asynchronous, as in ASHA).

    Rungs sit at steps ``min_step * eta**k``. When a trial first reaches a rung it
    goes on only if its best value there is among the best ``floor(m / eta)`` of
    the ``m`` trials (itself included) that reached the rung; with fewer than
    ``eta`` trials there, it goes on. A trial judged at a rung is never judged
    there again, so later arrivals cannot stop it retroactively.

    Args:
        eta: The reduction factor, greater than 1.
        min_step: The step of the first rung.
        maximize: Show values as the objective's (negated losses) in reasons.
    """

    def __init__(
        self, eta: float = 3, min_step: int = 1, *, maximize: bool = False
    ) -> None:
        self.eta = eta
        self.min_step = min_step
        self.maximize = maximize
        self._judged: dict[int, int] = {}

    def rung_steps(self, up_to: int) -> list[int]:
        """Rung steps ``<= up_to`` (rounded down to whole steps, no repeats)."""
        steps: list[int] = []
        k = 0
        while (step := int(self.min_step * self.eta**k)) <= up_to:
            if not steps or step > steps[-1]:
                steps.append(step)
            k += 1
        return steps

    def should_stop(
        self, trial_id: int, curve: Curve, others: Mapping[int, Curve]
    ) -> str | None:
        if not curve:
            return None
        judged = self._judged.get(trial_id, -1)
        for index, step in enumerate(self.rung_steps(curve[-1][0])):
            if index <= judged:
                continue
            self._judged[trial_id] = index
            reason = self._judge(index, step, curve, others)
            if reason:
                return reason
        return None

    def _judge(
        self, index: int, step: int, curve: Curve, others: Mapping[int, Curve]
    ) -> str | None:
        own = best_up_to(curve, step)
        values = [*_others_at(others, step), own]
        if own is None or len(values) < self.eta:
            return None
        keep = max(1, int(len(values) // self.eta))
        threshold = sorted(values)[keep - 1]
        if own <= threshold:
            return None
        return (
            f"successive halving at step {step} (rung {index}): best "
            f"{self._shown(own)} not among the best {keep} of {len(values)} trials "
            f"(cut {self._shown(threshold)})"
        )


_RULES = {"median": MedianStopping, "successive_halving": SuccessiveHalvingStopping}
_FIELDS = {
    "median": {"grace_steps": int, "min_trials": int},
    "successive_halving": {"eta": float, "min_step": int},
}

# A median needs at least one other trial, and rungs start at step 1.
_LEAST = {"grace_steps": 0, "min_trials": 1, "min_step": 1}


def create_stopping_rule(
    spec: Mapping[str, Any] | None, goal: str = "minimize"
) -> StoppingRule | None:
    """The rule an experiment's ``early_stopping`` section asks for, or None.

    Args:
        spec: The section as read from the experiment file.
        goal: The objective's goal; reasons show values in its direction.

    Raises:
        ExperimentFileError: Unknown rule or setting, or a value out of range; the
            message names the field.
    """
    if not spec:
        return None
    rule = spec.get("rule")
    if rule not in _RULES:
        raise ExperimentFileError(
            f"early_stopping.rule: {rule!r} is not a rule; use median or "
            "successive_halving"
        )
    settings = {key: value for key, value in spec.items() if key != "rule"}
    kwargs = {}
    for key, value in settings.items():
        kind = _FIELDS[rule].get(key)
        if kind is None:
            known = ", ".join(_FIELDS[rule])
            raise ExperimentFileError(
                f"early_stopping.{key}: not a setting of the {rule} rule; use {known}"
            )
        kwargs[key] = _checked(key, value, kind)
    return _RULES[rule](**kwargs, maximize=goal == "maximize")


def _checked(key: str, value: Any, kind: type) -> Any:
    field_name = f"early_stopping.{key}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ExperimentFileError(f"{field_name}: expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ExperimentFileError(
            f"{field_name}: must be a finite number (got {value})"
        )
    if kind is int and value != int(value):
        raise ExperimentFileError(f"{field_name}: {value} must be a whole number")
    if key == "eta" and value <= 1:
        raise ExperimentFileError(f"{field_name}: {value} must be greater than 1")
    least = _LEAST.get(key)
    if least is not None and value < least:
        raise ExperimentFileError(
            f"{field_name}: must be at least {least} (got {value})"
        )
    return kind(value)
