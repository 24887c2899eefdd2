"""States of experiments and trials, spelled as WML-A spells them."""

from __future__ import annotations

from enum import StrEnum


class ExperimentState(StrEnum):
    """Where an experiment is in its life; the names are WML-A's task states."""

    SUBMITTED = "SUBMITTED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_EXPERIMENT_STATES


_FINAL_EXPERIMENT_STATES = frozenset(
    {ExperimentState.FINISHED, ExperimentState.FAILED, ExperimentState.STOPPED}
)


class TrialState(StrEnum):
    """Where one trial is.

    ``PRUNED`` is a trial stopped early by a stopping rule or a Hyperband rung: its
    last value still counts as a partial observation. ``STOPPED`` is a trial ended by
    the user or by the experiment stopping; ``INTERRUPTED`` is one whose engine died
    while it ran, re-queued once on resume.
    """

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    PRUNED = "PRUNED"
    STOPPED = "STOPPED"
    INTERRUPTED = "INTERRUPTED"

    @property
    def is_final(self) -> bool:
        return self not in (TrialState.QUEUED, TrialState.RUNNING)
