"""Plain records of experiments and trials, shared by the store, backends, CLI and UI.

Both backends (embedded and WML-A) describe what they hold with these, so nothing
above the backend layer knows which one is behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hpotui.states import ExperimentState, TrialState


@dataclass(frozen=True)
class MetricRecord:
    """One record of ``val_dict_list.json``: a step and its metric values."""

    step: int
    values: dict[str, float]


@dataclass(frozen=True)
class TrialRecord:
    """One trial.

    Attributes:
        id: Unique within its experiment, never reused.
        value: The objective by the experiment's value rule, or None (running, failed).
        best_step: The step that gave ``value``.
        reason: Why it failed or was stopped, in words a user can act on.
        config_path: Its config.json, where the backend keeps one on this machine.
        meta: The algorithm's bookkeeping (e.g. Hyperband bracket and rung).
        retry_of: The trial this one runs again (after an interruption or a
            retry of a failure); that trial is then left out of the history.
    """

    id: int
    state: TrialState
    params: dict[str, Any]
    value: float | None = None
    best_step: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reason: str | None = None
    config_path: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    retry_of: int | None = None


@dataclass(frozen=True)
class ExperimentSummary:
    """One line of an experiment list."""

    name: str
    state: ExperimentState
    algorithm: str
    metric: str
    goal: str
    completed: int
    failed: int
    running: int
    max_jobs: int
    best_value: float | None = None
    best_trial: int | None = None
    reason: str | None = None
    created_at: datetime | None = None
    ended_at: datetime | None = None
    owner: str | None = None

    @property
    def progress(self) -> str:
        """``completed/max_jobs`` as WML-A writes it, ``-`` for no limit."""
        total = "-" if self.max_jobs < 0 else str(self.max_jobs)
        return f"{self.completed}/{total}"
