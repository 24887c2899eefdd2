"""Turning successive polls of a remote task into hpotui's event stream.

Each poll gives the whole task; :class:`TaskDiff` compares it with the previous one
and emits only what changed, so a steady task produces no events and the views
re-render nothing. :class:`PollPacer` spaces the polls: quick while trials start or
end, then slower, up to the profile's ``poll_interval``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hpotui.engine.events import (
    BestChanged,
    Event,
    ExperimentStateChanged,
    TrialEnded,
    TrialStarted,
)
from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import TrialState


@dataclass
class TaskDiff:
    """The state of a task as last reported, and the events that lead to a new one."""

    name: str
    _state: tuple[str, str | None] | None = None
    _trials: dict[int, TrialState] = field(default_factory=dict)
    _best: tuple[int | None, float | None] = (None, None)

    def update(
        self, summary: ExperimentSummary, trials: list[TrialRecord]
    ) -> list[Event]:
        """The events between the last snapshot and this one, in a sensible order."""
        events: list[Event] = []
        state = (summary.state.value, summary.remote_state)
        if state != self._state:
            self._state = state
            events.append(
                ExperimentStateChanged(self.name, summary.state, summary.reason)
            )
        for trial in trials:
            events.extend(self._trial_events(trial))
        best = (summary.best_trial, summary.best_value)
        if best != self._best and best[0] is not None and best[1] is not None:
            self._best = best
            params = next((t.params for t in trials if t.id == best[0]), {})
            events.append(BestChanged(self.name, best[0], best[1], params))
        return events

    def _trial_events(self, trial: TrialRecord) -> list[Event]:
        events: list[Event] = []
        before = self._trials.get(trial.id)
        if before is None:
            events.append(
                TrialStarted(self.name, trial.id, trial.params, extra=trial.extra)
            )
        if trial.state.is_final and (before is None or not before.is_final):
            events.append(
                TrialEnded(
                    self.name, trial.id, trial.state, trial.value, reason=trial.reason
                )
            )
        self._trials[trial.id] = trial.state
        return events


class PollPacer:
    """How long to wait before the next poll.

    Args:
        fastest: The wait right after something changed, in seconds.
        slowest: The longest wait of a steady task.
        growth: How much the wait grows after each poll that changed nothing.
    """

    def __init__(self, fastest: float, slowest: float, growth: float = 1.5) -> None:
        self.fastest = min(fastest, slowest)
        self.slowest = slowest
        self.growth = growth
        self.current = self.fastest

    def next_wait(self, changed: bool, trials_waiting: bool) -> float:
        """The wait after a poll; trials about to start keep the pace quick."""
        if changed or trials_waiting:
            self.current = self.fastest
        else:
            self.current = min(self.current * self.growth, self.slowest)
        return self.current


def _span(seconds: float) -> str:
    """``2 h 05 min`` or ``12 min`` or ``40 s``, for messages."""
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
    return f"{whole // 60} min" if whole >= 60 else f"{whole} s"


class UnknownStateWatch:
    """How long a task has stayed in a state hpotui does not know, and what to say.

    WML-A has states it never documented (RECOVERPEND after a service restart,
    maybe others); the task may still end well, so such a state is never taken as
    a failure. Instead the watch says so after ``notice`` seconds (and again each
    further ``notice``), and after ``limit`` seconds monitoring gives up, leaving
    the task and its record as they are.

    Args:
        notice: Seconds in one unknown state before the first message.
        limit: Seconds in one unknown state before monitoring stops; 0 never stops.
    """

    def __init__(self, notice: float, limit: float) -> None:
        self.notice = notice
        self.limit = limit
        self._state: str | None = None
        self._since = 0.0
        self._told = 0

    def observe(self, remote_state: str | None, now: float) -> str | None:
        """A message when the time in ``remote_state`` passes another notice mark."""
        if remote_state != self._state:
            self._state, self._since, self._told = remote_state, now, 0
            return None
        if remote_state is None or self.notice <= 0:
            return None
        marks = int((now - self._since) // self.notice)
        if marks <= self._told:
            return None
        self._told = marks
        return (
            f"the server has reported {remote_state} for {self.elapsed(now)}, a "
            "state hpotui does not know; the task is not taken as failed and "
            "polling goes on"
        )

    def elapsed(self, now: float) -> str:
        return _span(now - self._since)

    def gave_up(self, now: float) -> bool:
        """Whether the task has been in one unknown state past the limit."""
        return (
            self._state is not None and self.limit > 0
            and now - self._since >= self.limit
        )  # fmt: skip

    @property
    def state(self) -> str | None:
        return self._state
