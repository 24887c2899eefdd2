"""The one stream of small typed events that every view consumes.

The dashboard, the headless printer and ``--events FILE`` all read these, for both
backends. Each event turns into one JSON line and back, so a run on a cluster node can
be replayed in the dashboard later.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, ClassVar

from hpotui.states import ExperimentState, TrialState


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Event:
    """Base of all events: which experiment, and when (timezone-aware UTC)."""

    kind: ClassVar[str] = ""
    experiment: str
    at: datetime = field(default_factory=utcnow, kw_only=True)

    def to_json(self) -> str:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return json.dumps({"event": self.kind, **data}, default=str)


@dataclass(frozen=True)
class ExperimentStateChanged(Event):
    kind: ClassVar[str] = "experiment_state"
    state: ExperimentState
    reason: str | None = None


@dataclass(frozen=True)
class TrialStarted(Event):
    kind: ClassVar[str] = "trial_started"
    trial_id: int
    params: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    retry_of: int | None = None
    """The trial this one runs again, which then no longer counts."""


@dataclass(frozen=True)
class TrialMetrics(Event):
    """New intermediate records of a running trial (only the ones not sent before)."""

    kind: ClassVar[str] = "trial_metrics"
    trial_id: int
    records: list[dict[str, Any]]
    """Each ``{"step": int, **metric values}``."""


@dataclass(frozen=True)
class TrialEnded(Event):
    kind: ClassVar[str] = "trial_ended"
    trial_id: int
    state: TrialState
    value: float | None = None
    best_step: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class BestChanged(Event):
    kind: ClassVar[str] = "best_changed"
    trial_id: int
    value: float
    params: dict[str, Any]


@dataclass(frozen=True)
class TrialLog(Event):
    """New lines at the end of a trial's output."""

    kind: ClassVar[str] = "trial_log"
    trial_id: int
    lines: list[str]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        ExperimentStateChanged,
        TrialStarted,
        TrialMetrics,
        TrialEnded,
        BestChanged,
        TrialLog,
    )
}


def event_from_json(line: str) -> Event:
    """The event written by :meth:`Event.to_json`.

    Raises:
        ValueError: The line is not such an event.
    """
    data = json.loads(line)
    cls = EVENT_TYPES.get(data.pop("event", None))
    if cls is None:
        raise ValueError(f"not an hpotui event: {line[:80]!r}")
    data["at"] = datetime.fromisoformat(data["at"])
    names = {f.name for f in fields(cls)}
    kwargs = {key: value for key, value in data.items() if key in names}
    if "state" in kwargs:
        state_type = ExperimentState if cls is ExperimentStateChanged else TrialState
        kwargs["state"] = state_type(kwargs["state"])
    return cls(**kwargs)
