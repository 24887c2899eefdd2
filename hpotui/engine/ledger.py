"""The scheduler's memory of an experiment: history, budget, best and curves.

Loaded from the store when a session starts (so a resumed experiment sees its whole
history) and kept up to date as trials end.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from hpotui.algorithms import Observation
from hpotui.engine.history import Curve, observation, superseded_ids
from hpotui.experiment.model import Objective
from hpotui.records import MetricRecord, TrialRecord
from hpotui.states import TrialState


class Ledger:
    """Counts and history of the trials that count toward ``max_jobs``.

    A trial that another one runs again (interrupted, or a retried failure) leaves
    the count and the history: its successor takes its place.

    Args:
        objective: The experiment's objective.
        max_jobs: Trials to run in all; negative for no limit.
    """

    def __init__(self, objective: Objective, max_jobs: int) -> None:
        self.objective = objective
        self.max_jobs = max_jobs
        self.history: list[Observation] = []
        self.queued: list[TrialRecord] = []
        self.counted = 0
        self.succeeded = 0
        self.failed: dict[int, TrialRecord] = {}
        self.best: tuple[int, float] | None = None
        self.loss_curves: dict[int, Curve] = {}

    def load(
        self, trials: Sequence[TrialRecord], metrics: dict[int, list[MetricRecord]]
    ) -> None:
        """Take in what the store holds about the experiment."""
        superseded = superseded_ids(trials)
        for trial in trials:
            if trial.id in superseded or trial.state is TrialState.INTERRUPTED:
                continue
            self.counted += 1
            if trial.state is TrialState.QUEUED:
                self.queued.append(trial)
            elif trial.state.is_final:
                self.add_ended(trial, metrics.get(trial.id, []))

    @property
    def budget(self) -> int | None:
        """How many more trials may be created; None for no limit."""
        if self.max_jobs < 0:
            return None
        return max(0, self.max_jobs - self.counted)

    def add_ended(self, trial: TrialRecord, records: Sequence[MetricRecord]) -> bool:
        """Take in an ended trial; returns whether it is the new best."""
        seen = observation(trial, records, self.objective)
        if not self.history or self.history[-1].trial_id < trial.id:
            self.history.append(seen)
        else:
            bisect.insort(self.history, seen, key=lambda item: item.trial_id)
        if trial.state is TrialState.FAILED:
            self.failed[trial.id] = trial
            self.loss_curves.pop(trial.id, None)
            return False
        self.loss_curves[trial.id] = list(seen.steps)
        if seen.succeeded:
            self.succeeded += 1
        return self._consider_best(trial)

    def supersede(self, trial_id: int) -> None:
        """Drop a trial that is about to run again from the history and counts."""
        self.history = [item for item in self.history if item.trial_id != trial_id]
        if self.failed.pop(trial_id, None) is not None:
            self.counted -= 1

    def _consider_best(self, trial: TrialRecord) -> bool:
        # Only FINISHED trials can be best, as in WML-A: a pruned trial's value
        # comes from a shorter run than the others'.
        if trial.state is not TrialState.FINISHED or trial.value is None:
            return False
        if self.best is None or self.objective.better(trial.value, self.best[1]):
            self.best = (trial.id, trial.value)
            return True
        return False
