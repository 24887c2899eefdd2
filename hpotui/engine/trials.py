"""Starting, watching and recording the trials of one experiment.

:class:`TrialLauncher` turns a suggestion into a recorded, running trial (the store
has it before its process starts), forwards its live records as events, and records
how it ended in one commit.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hpotui.algorithms import Suggestion
from hpotui.engine import events as ev
from hpotui.engine.executor import Executor, TrialHandle, TrialOutcome, TrialSpec
from hpotui.engine.history import value_of
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment
from hpotui.records import MetricRecord, TrialRecord
from hpotui.states import TrialState
from hpotui.store import Store, trial_dir

logger = logging.getLogger(__name__)

_LOG_LINES_PER_EVENT = 200
"""Live log lines forwarded per poll; the full output stays in the log file."""


@dataclass(eq=False)
class ActiveTrial:
    """A trial between its start and its recorded end."""

    trial_id: int
    suggestion: Suggestion
    handle: TrialHandle | None
    ended: asyncio.Future[TrialOutcome]
    values: dict[int, dict[str, float]] = field(default_factory=dict)
    terminating: tuple[TrialState, str] | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def curve(self, metric: str) -> list[tuple[int, float]]:
        """``(step, value)`` of the objective metric so far, in step order."""
        records = [
            MetricRecord(step, self.values[step]) for step in sorted(self.values)
        ]
        return [(step, value) for step, value in _finite(records, metric)]

    def terminate(self, state: TrialState, reason: str) -> None:
        """Ask the trial's process group to end; the outcome carries ``state``."""
        if self.terminating is not None or self.handle is None or self.ended.done():
            return
        self.terminating = (state, reason)
        self._tasks.append(asyncio.ensure_future(self.handle.terminate(state, reason)))


class TrialLauncher:
    """Starts trials through an executor and records them in the store.

    Args:
        experiment: The experiment the trials belong to.
        store: Where trials and metrics are recorded.
        executor: Where trial processes run.
        emit: Receives every event.
    """

    def __init__(
        self,
        experiment: Experiment,
        store: Store,
        executor: Executor,
        emit: Callable[[ev.Event], None],
    ) -> None:
        self.experiment = experiment
        self.store = store
        self.executor = executor
        self.emit = emit
        self.active: dict[int, ActiveTrial] = {}
        self._starting: dict[int, tuple[TrialState, str] | None] = {}

    def config_of(self, suggestion: Suggestion) -> dict[str, Any]:
        """What the trial's config.json holds."""
        config = {**suggestion.params, **suggestion.extra}
        if self.experiment.data_fraction is not None:
            config["data_fraction"] = self.experiment.data_fraction
        return config

    async def launch(
        self, trial_id: int, suggestion: Suggestion, retry_of: int | None = None
    ) -> ActiveTrial | None:
        """Start a recorded QUEUED trial (``retry_of``: the trial it runs again).

        Returns:
            The trial when it could not start (its outcome is FAILED already), so
            the caller records it at once; None when it runs.
        """
        name = self.experiment.name
        workdir = trial_dir(self.store.workspace, name, trial_id)
        spec = TrialSpec(
            experiment=name,
            trial_id=trial_id,
            workdir=workdir,
            model_dir=self.experiment.model.dir,
            command=list(self.experiment.model.command),
            config=self.config_of(suggestion),
            metric=self.experiment.objective.metric,
        )
        self.store.start_trial(name, trial_id, workdir)
        self.emit(
            ev.TrialStarted(
                name,
                trial_id,
                suggestion.params,
                suggestion.extra,
                suggestion.meta,
                retry_of=retry_of,
            )
        )
        self._starting[trial_id] = None
        try:
            handle = await self.executor.start(spec)
        except (HpotuiError, OSError) as err:
            self._starting.pop(trial_id, None)
            failed: asyncio.Future[TrialOutcome] = asyncio.Future()
            failed.set_result(TrialOutcome(TrialState.FAILED, [], _start_error(err)))
            active = ActiveTrial(trial_id, suggestion, None, failed)
            self.active[trial_id] = active
            return active
        pid = getattr(handle, "pid", None)
        if isinstance(pid, int):
            self.store.set_trial_pid(name, trial_id, pid)
        ended = asyncio.ensure_future(handle.wait())
        active = ActiveTrial(trial_id, suggestion, handle, ended)
        self.active[trial_id] = active
        asked = self._starting.pop(trial_id, None)
        if asked is not None:
            active.terminate(*asked)
        return None

    def terminate(self, trial_id: int, state: TrialState, reason: str) -> bool:
        """End a running trial, or one still starting as soon as it has started.

        Returns:
            False when the trial is neither running nor starting.
        """
        active = self.active.get(trial_id)
        if active is not None:
            active.terminate(state, reason)
            return True
        if trial_id in self._starting:
            self._starting[trial_id] = self._starting[trial_id] or (state, reason)
            return True
        return False

    async def poll(self, active: ActiveTrial) -> bool:
        """Read a running trial's new records and log lines; True if records came."""
        if active.handle is None or active.ended.done():
            return False
        try:
            records, lines = await active.handle.poll()
        except (HpotuiError, OSError) as err:
            logger.warning(
                "cannot read live values of trial %d: %s", active.trial_id, err
            )
            return False
        name = self.experiment.name
        if lines:
            self.emit(ev.TrialLog(name, active.trial_id, lines[-_LOG_LINES_PER_EVENT:]))
        fresh = [r for r in records if active.values.get(r.step) != r.values]
        if not fresh:
            return False
        self.store.add_metrics(name, active.trial_id, fresh)
        self._note(active, fresh)
        return True

    def record_end(self, active: ActiveTrial) -> tuple[TrialRecord, list[MetricRecord]]:
        """Record the ended trial in one commit and announce it."""
        self.active.pop(active.trial_id, None)
        outcome = self._outcome_of(active)
        objective = self.experiment.objective
        found = value_of(outcome.records, objective)
        state, reason = outcome.state, outcome.reason
        if state is TrialState.FINISHED and found is None:
            state = TrialState.FAILED
            reason = reason or f"no finite {objective.metric!r} value was reported"
        value, step = (
            (None, None)
            if found is None or state in (TrialState.FAILED, TrialState.INTERRUPTED)
            else found
        )
        name = self.experiment.name
        self.store.end_trial(
            name,
            active.trial_id,
            state,
            value=value,
            best_step=step,
            reason=reason,
            exit_code=outcome.exit_code,
            records=outcome.records,
        )
        unsent = [r for r in outcome.records if active.values.get(r.step) != r.values]
        self._note(active, unsent)
        self.emit(ev.TrialEnded(name, active.trial_id, state, value, step, reason))
        record = self.store.trial(name, active.trial_id)
        assert record is not None
        return record, list(outcome.records)

    def _note(self, active: ActiveTrial, records: list[MetricRecord]) -> None:
        if not records:
            return
        for record in records:
            active.values[record.step] = record.values
        self.emit(
            ev.TrialMetrics(
                self.experiment.name,
                active.trial_id,
                [{"step": r.step, **r.values} for r in records],
            )
        )

    def _outcome_of(self, active: ActiveTrial) -> TrialOutcome:
        try:
            return active.ended.result()
        except Exception as err:
            # A broken executor must not end the experiment: the trial fails with
            # the error as its reason and the search goes on.
            logger.exception("trial %d could not be watched", active.trial_id)
            state, reason = active.terminating or (
                TrialState.FAILED,
                f"the trial could not be watched: {err}",
            )
            return TrialOutcome(state, [], reason)


def _finite(records: list[MetricRecord], metric: str) -> list[tuple[int, float]]:
    points = []
    for record in records:
        value = record.values.get(metric)
        if isinstance(value, int | float) and math.isfinite(value):
            points.append((record.step, float(value)))
    return points


def _start_error(err: Exception) -> str:
    return f"the trial could not start: {err}"
