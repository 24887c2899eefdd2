"""A read-only backend over an ``--events`` file: watch a headless run later.

A run on a cluster node writes one JSON line per engine event; this backend reads
such a file back and serves it through the same :class:`Backend` interface as the
live backends, so the dashboard shows a replay exactly as it showed the live run.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

from hpotui.backends.base import Backend, ExperimentDetail
from hpotui.engine.events import (
    BestChanged,
    Event,
    ExperimentStateChanged,
    TrialEnded,
    TrialMetrics,
    TrialStarted,
    event_from_json,
)
from hpotui.errors import BackendError
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary, TrialRecord
from hpotui.states import ExperimentState, TrialState


def read_events(path: Path) -> list[Event]:
    """Every event in an events file, in order.

    Raises:
        BackendError: The file is missing or a line is not an hpotui event.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise BackendError(
            f"cannot read events file {path}: {err.strerror}; "
            "pass the file written by `hpotui run --events FILE`",
            title="Replay",
        ) from err
    events: list[Event] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(event_from_json(line))
        except (ValueError, KeyError, TypeError) as err:
            raise BackendError(
                f"{path}:{number}: not an hpotui event ({err}); "
                "the file must hold the JSON lines of `hpotui run --events`",
                title="Replay",
            ) from err
    return events


class ReplayBackend(Backend):
    """Serves the experiments recorded in one events file.

    Args:
        path: The events file.
        speed: How much faster than real time to replay; ``0`` sends every event at
            once, as for a stored experiment.
        max_jobs: The experiment's trial limit if known; the file does not carry it.
    """

    label = "replay"

    def __init__(self, path: Path, speed: float = 0.0, max_jobs: int = -1) -> None:
        self.path = path
        self.speed = speed
        self.max_jobs = max_jobs
        self._events = read_events(path)
        if not self._events:
            raise BackendError(
                f"events file {path} is empty; nothing to replay", title="Replay"
            )

    def first_experiment(self) -> str:
        """The name of the first experiment in the file."""
        return self._events[0].experiment

    async def list_experiments(self) -> list[ExperimentSummary]:
        names = dict.fromkeys(event.experiment for event in self._events)
        return [self._summarise(name)[0] for name in names]

    async def get_experiment(self, name: str) -> ExperimentDetail:
        """The recorded end state; at a replay speed, the run's first moment.

        Replayed in time, the monitor starts where the run started and watches
        every trial arrive, as it would have live.
        """
        upto = 1 if self.speed > 0 else None
        summary, trials = self._summarise(name, upto)
        return ExperimentDetail(summary=summary, trials=trials)

    async def events(self, name: str) -> AsyncIterator[Event]:  # type: ignore[override]
        mine = self._of(name)
        previous = mine[0].at
        for event in mine:
            if self.speed > 0:
                gap = (event.at - previous).total_seconds() / self.speed
                await asyncio.sleep(max(0.0, gap))
                previous = event.at
            yield event

    async def submit(self, experiment: Experiment) -> str:
        raise self._read_only("submit")

    async def stop(self, name: str) -> None:
        raise self._read_only("stop")

    async def delete(self, name: str) -> None:
        raise self._read_only("delete")

    def _read_only(self, action: str) -> BackendError:
        return BackendError(
            f"cannot {action}: {self.path} is a replay of a recorded run; "
            "open the workspace (`hpotui`) to change experiments",
            title="Replay",
        )

    def _of(self, name: str) -> list[Event]:
        mine = [event for event in self._events if event.experiment == name]
        if not mine:
            raise BackendError(
                f"no experiment {name!r} in {self.path}", title="Replay"
            )
        return mine

    def _summarise(
        self, name: str, upto: int | None = None
    ) -> tuple[ExperimentSummary, list[TrialRecord]]:
        """The experiment as its first ``upto`` events left it (None: all of them).

        The metric and the goal come from the whole file either way.
        """
        events = self._of(name)
        seen = events[:upto]
        trials = _fold_trials(seen)
        states = [e for e in seen if isinstance(e, ExperimentStateChanged)]
        bests = [e for e in seen if isinstance(e, BestChanged)]
        final = states[-1] if states else None
        every_best = [e for e in events if isinstance(e, BestChanged)]
        summary = ExperimentSummary(
            name=name,
            state=final.state if final else ExperimentState.RUNNING,
            algorithm="replay",
            metric=_guess_metric(events),
            goal=_guess_goal(every_best),
            completed=_count(trials, TrialState.FINISHED, TrialState.PRUNED),
            failed=_count(trials, TrialState.FAILED),
            running=_count(trials, TrialState.RUNNING),
            max_jobs=self.max_jobs,
            best_value=bests[-1].value if bests else None,
            best_trial=bests[-1].trial_id if bests else None,
            reason=final.reason if final else None,
            created_at=events[0].at,
            ended_at=final.at if final and final.state.is_final else None,
        )
        return summary, list(trials.values())


def _fold_trials(events: list[Event]) -> dict[int, TrialRecord]:
    trials: dict[int, TrialRecord] = {}
    for event in events:
        if isinstance(event, TrialStarted):
            trials[event.trial_id] = TrialRecord(
                id=event.trial_id,
                state=TrialState.RUNNING,
                params=event.params,
                started_at=event.at,
                extra=event.extra,
                meta=event.meta,
            )
        elif isinstance(event, TrialEnded) and event.trial_id in trials:
            trials[event.trial_id] = replace(
                trials[event.trial_id],
                state=event.state,
                value=event.value,
                best_step=event.best_step,
                ended_at=event.at,
                reason=event.reason,
            )
    return trials


def _count(trials: dict[int, TrialRecord], *states: TrialState) -> int:
    return sum(1 for trial in trials.values() if trial.state in states)


def _guess_metric(events: list[Event]) -> str:
    """The metric whose value at the best step equals a trial's recorded value.

    The events file does not name the objective, so the replay finds it the way a
    person would: the key of the records that matches the reported values.
    """
    records: dict[int, dict[int, dict[str, object]]] = {}
    for event in events:
        if isinstance(event, TrialMetrics):
            steps = records.setdefault(event.trial_id, {})
            for record in event.records:
                steps[int(record.get("step", len(steps)))] = record
        elif isinstance(event, TrialEnded) and event.value is not None:
            record = records.get(event.trial_id, {}).get(event.best_step or -1, {})
            for key, value in record.items():
                if key != "step" and value == event.value:
                    return key
    return "objective"


def _guess_goal(bests: list[BestChanged]) -> str:
    if len(bests) >= 2 and bests[-1].value > bests[0].value:
        return "maximize"
    return "minimize"
