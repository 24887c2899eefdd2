"""How trial values, states and durations read on screen.

States carry a symbol as well as a colour so they stay readable on monochrome
terminals and under ``NO_COLOR``. Sorting puts trials without a value (running,
queued) and failed ones last in both directions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from hpotui.records import TrialRecord
from hpotui.states import ExperimentState, TrialState

STATE_SYMBOLS: dict[str, str] = {
    TrialState.QUEUED: "…",
    TrialState.RUNNING: "▶",
    TrialState.FINISHED: "✔",
    TrialState.FAILED: "✘",
    TrialState.PRUNED: "✂",
    TrialState.STOPPED: "■",
    TrialState.INTERRUPTED: "↯",
    ExperimentState.SUBMITTED: "…",
}


def state_label(state: str) -> str:
    """The state as a symbol and its name, e.g. ``✔ FINISHED``."""
    return f"{STATE_SYMBOLS.get(state, '?')} {state}"


def format_value(value: float | None) -> str:
    """An objective value in at most 10 characters; ``-`` when there is none."""
    if value is None:
        return "-"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


def format_param(value: Any) -> str:
    """A hyperparameter value as it would read in config.json."""
    if isinstance(value, float):
        return f"{value:.5g}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_duration(seconds: float | None) -> str:
    """``59s``, ``1m 01s``, ``1h 00m 00s``, ``1d 01h 01m 01s``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h {minutes:02d}m {secs:02d}s"
    if hours:
        return f"{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def trial_duration(trial: TrialRecord, now: datetime) -> float | None:
    """Seconds the trial ran, or has run so far."""
    if trial.started_at is None:
        return None
    end = trial.ended_at or now
    return (end - trial.started_at).total_seconds()


def _column_value(trial: TrialRecord, column: str, now: datetime) -> Any:
    if column == "id":
        return trial.id
    if column == "state":
        return str(trial.state)
    if column == "objective":
        return trial.value
    if column == "best_step":
        return trial.best_step
    if column == "duration":
        return trial_duration(trial, now)
    return trial.params.get(column.removeprefix("param:"))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def sort_trials(
    trials: Iterable[TrialRecord], column: str, descending: bool, now: datetime
) -> list[int]:
    """Trial ids ordered by ``column``; missing values and failures last either way.

    A failed trial's objective counts as missing even if a value was recorded,
    because it is never a candidate for best.
    """
    present: list[tuple[Any, int]] = []
    missing: list[int] = []
    for trial in trials:
        value = _column_value(trial, column, now)
        failed = column == "objective" and trial.state == TrialState.FAILED
        if _missing(value) or failed:
            missing.append(trial.id)
        else:
            present.append((_comparable(value), trial.id))
    present.sort(reverse=descending)
    return [trial_id for _, trial_id in present] + sorted(missing)


def _comparable(value: Any) -> tuple[int, Any]:
    # Numbers before strings, so a mixed column never compares int with str.
    if isinstance(value, bool):
        return (1, str(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value))


def column_getter(column: str) -> Callable[[TrialRecord, datetime], Any]:
    """A function reading ``column`` from a trial."""
    return lambda trial, now: _column_value(trial, column, now)
