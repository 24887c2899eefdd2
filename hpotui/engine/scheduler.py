"""The asyncio loop that runs one experiment's trials.

Each turn of the loop takes requests left in the store by other processes, starts
trials in free slots (queued re-runs first, then a batch from the algorithm, asked
WML-A style with the whole history and the running suggestions), waits for a trial
to end or for the next poll of live metrics, and records every ended trial (one
commit) before the next suggestion is made.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence

from hpotui.algorithms import Suggestion, create_algorithm
from hpotui.durations import format_duration
from hpotui.engine import events as ev
from hpotui.engine.control import Halt, RunResult, SchedulerControls
from hpotui.engine.executor import Executor
from hpotui.engine.history import loss_curve
from hpotui.engine.ledger import Ledger
from hpotui.engine.stopping import create_stopping_rule
from hpotui.engine.trials import ActiveTrial, TrialLauncher
from hpotui.errors import AlgorithmError
from hpotui.experiment.model import Experiment
from hpotui.states import ExperimentState, TrialState
from hpotui.store import Store, experiment_dir
from hpotui.store.owner import HEARTBEAT_SECONDS
from hpotui.workspace import plugins_dir

logger = logging.getLogger(__name__)

Listener = Callable[[ev.Event], None]

POLL_SECONDS = 0.5
"""How often running trials are read for live metrics and the store for requests."""

FAILURES_WITHOUT_LIMIT = 20
"""With ``max_jobs: -1``, this many failures and no success end the experiment."""


class Scheduler(SchedulerControls):
    """Runs one experiment until its limits, exhaustion, a stop or an interrupt.

    Args:
        experiment: The experiment, recorded in ``store`` already.
        store: The workspace store; this process must own the experiment.
        executor: Where trials run.
        listeners: Called with every event as it happens.
        poll_seconds: Interval of live-metric polls and request checks.
    """

    def __init__(
        self,
        experiment: Experiment,
        store: Store,
        executor: Executor,
        *,
        listeners: Sequence[Listener] = (),
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.experiment = experiment
        self.name = experiment.name
        self.store = store
        self.listeners = list(listeners)
        self.poll_seconds = poll_seconds
        self.ledger = Ledger(experiment.objective, experiment.limits.max_jobs)
        self.algorithm = create_algorithm(
            experiment.algorithm.name,
            experiment.search_space(),
            seed=experiment.algorithm.seed,
            options=experiment.algorithm_options(),
            max_parallel=experiment.limits.max_parallel_jobs,
            plugins_dir=plugins_dir(store.workspace, create=False),
            goal=experiment.objective.goal,
            plugin_log=experiment_dir(store.workspace, experiment.name) / "plugin.log",
        )
        self.rule = create_stopping_rule(
            experiment.early_stopping, experiment.objective.goal
        )
        self.executor = executor
        self.launcher = TrialLauncher(experiment, store, executor, self._emit)
        self._halt: Halt | None = None
        self._pending: list[ev.Event] = []
        self._saved_state: dict | None = None
        self._clock_start = time.monotonic()
        self._run_before = 0.0
        self._next_poll = 0.0
        self._next_beat = 0.0
        self._next_request_check = 0.0

    def unflushed(self) -> list[ev.Event]:
        """Events sent to listeners but not yet in the store."""
        return list(self._pending)

    # -- the loop ---------------------------------------------------------------

    async def run(self) -> RunResult:
        """Run until the experiment ends; the store holds everything on return."""
        self.ledger.load(self.store.trials(self.name), self.store.metrics(self.name))
        self._run_before = self.store.run_seconds(self.name)
        self._set_state(ExperimentState.RUNNING, None)
        try:
            self._restore_algorithm_state()
            state, reason = await self._loop()
        except asyncio.CancelledError:
            self.interrupt()
            await self._end_all()
            self._finish(self._halt.state, self._halt.reason)  # type: ignore[union-attr]
            self._close_algorithm()
            raise
        except AlgorithmError as err:
            logger.warning("algorithm failed on %s: %s", self.name, err.message)
            self.stop(err.message)
            await self._end_all()
            state, reason = ExperimentState.FAILED, err.message
        except Exception as err:
            logger.exception("engine failed on %s", self.name)
            self.stop(f"engine error: {err}")
            await self._end_all()
            state, reason = ExperimentState.FAILED, f"engine error: {err}"
        self._finish(state, reason)
        self._close_algorithm()
        interrupted = bool(self._halt and self._halt.interrupted)
        return RunResult(self.name, state, reason, interrupted)

    async def _loop(self) -> tuple[ExperimentState, str]:
        while True:
            self._tick()
            if self._halt is not None:
                await self._end_all()
                return self._halt.state, self._halt.reason
            if self._out_of_time():
                limit = format_duration(self.experiment.limits.max_run_time or 0)
                reason = f"max_run_time of {limit} reached"
                self._halt = Halt(
                    TrialState.STOPPED, reason, ExperimentState.FINISHED, reason
                )
                await self._end_all()
                return self._natural_end(reason)
            if self._hopeless():
                why = f"the first {FAILURES_WITHOUT_LIMIT} trials all failed"
                self._halt = Halt(
                    TrialState.STOPPED,
                    why,
                    ExperimentState.FAILED,
                    "no successful trials",
                )
                continue
            more = await self._fill_slots()
            if not self.launcher.active:
                if self.ledger.budget == 0:
                    return self._natural_end(
                        f"max_jobs reached: {self.ledger.counted} trials"
                    )
                if not more:
                    reason = self.algorithm.exhausted_reason(self.ledger.counted)
                    if self.ledger.counted == 0:
                        # Nothing ran, so nothing failed: an algorithm (a plugin
                        # returning []) may end the search before it starts.
                        return ExperimentState.FINISHED, reason
                    return self._natural_end(reason)
                continue
            await self._wait()
            self._flush()

    async def _fill_slots(self) -> bool:
        """Start trials in free slots; False when the algorithm has no more."""
        free = self.experiment.limits.max_parallel_jobs - len(self.launcher.active)
        while free > 0 and self.ledger.queued:
            await self._launch(self.ledger.queued.pop(0).id, None)
            free -= 1
        budget = self.ledger.budget
        wanted = free if budget is None else min(free, budget)
        if wanted <= 0 or self.ledger.queued:
            return True
        running = [active.suggestion for active in self.launcher.active.values()]
        # In a thread: a model fit or a plugin call must not stall live updates.
        batch = await asyncio.to_thread(
            self.algorithm.suggest, wanted, list(self.ledger.history), running
        )
        self._save_algorithm_state()
        for suggestion in batch[:wanted]:
            trial_id = self.store.add_trial(
                self.name, suggestion.params, suggestion.extra, suggestion.meta
            )
            self.ledger.counted += 1
            await self._launch(trial_id, suggestion)
        return bool(batch)

    async def _launch(self, trial_id: int, suggestion: Suggestion | None) -> None:
        retry_of = None
        if suggestion is None:
            record = self.store.trial(self.name, trial_id)
            assert record is not None
            suggestion = Suggestion(record.params, record.extra, record.meta)
            retry_of = record.retry_of
        ended = await self.launcher.launch(trial_id, suggestion, retry_of)
        if ended is not None:
            self._take_ended(ended)

    async def _wait(self) -> None:
        """Until a trial ends or the next poll is due; then record and poll."""
        tasks = [active.ended for active in self.launcher.active.values()]
        timeout = max(0.0, min(self._next_poll - time.monotonic(), self._time_left()))
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        for active in [a for a in self.launcher.active.values() if a.ended.done()]:
            self._take_ended(active)
        if time.monotonic() >= self._next_poll:
            await self._poll_live()

    def _take_ended(self, active: ActiveTrial) -> None:
        trial, records = self.launcher.record_end(active)
        is_best = self.ledger.add_ended(trial, records)
        self._log_trial(trial)
        if is_best and trial.value is not None:
            self._emit(ev.BestChanged(self.name, trial.id, trial.value, trial.params))

    async def _poll_live(self) -> None:
        self._next_poll = time.monotonic() + self.poll_seconds
        for active in list(self.launcher.active.values()):
            fresh = await self.launcher.poll(active)
            if fresh and self.rule is not None and not active.terminating:
                self._ask_rule(active)

    def _ask_rule(self, active: ActiveTrial) -> None:
        assert self.rule is not None
        objective = self.experiment.objective
        metric = objective.metric
        others = {
            tid: curve
            for tid, curve in self.ledger.loss_curves.items()
            if tid != active.trial_id
        }
        for other in self.launcher.active.values():
            if other is not active:
                others[other.trial_id] = loss_curve(other.curve(metric), objective)
        curve = loss_curve(active.curve(metric), objective)
        reason = self.rule.should_stop(active.trial_id, curve, others)
        if reason:
            active.terminate(TrialState.PRUNED, reason)

    async def _end_all(self) -> None:
        """Terminate every running trial by the halt's rule and record each one."""
        assert self._halt is not None
        for active in self.launcher.active.values():
            active.terminate(self._halt.trial_state, self._halt.trial_reason)
        while self.launcher.active:
            tasks = [active.ended for active in self.launcher.active.values()]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for active in [a for a in self.launcher.active.values() if a.ended.done()]:
                self._take_ended(active)
        self._flush()

    # -- bookkeeping -------------------------------------------------------------

    def _tick(self) -> None:
        """Requests from other processes and the heartbeat, each at its interval."""
        self._check_executor()
        now = time.monotonic()
        if now >= self._next_beat:
            self._next_beat = now + HEARTBEAT_SECONDS
            self.store.heartbeat(self.name, self._elapsed())
        if now >= self._next_request_check:
            self._next_request_check = now + self.poll_seconds
            for request in self.store.take_requests(self.name):
                self._obey(request.kind, request.trial_id)

    def _hopeless(self) -> bool:
        """Whether an experiment without a max_jobs limit only ever fails.

        Without this, a training script that always crashes would start trials
        forever; with a limit the limit ends it.
        """
        return (
            self.ledger.budget is None
            and self.ledger.succeeded == 0
            and self.ledger.failed_in_a_row >= FAILURES_WITHOUT_LIMIT
        )

    def _check_executor(self) -> None:
        fault = self.executor.fault
        if fault is None or self._halt is not None:
            return
        # Running trials end INTERRUPTED, so a resume runs them again.
        self._halt = Halt(
            TrialState.INTERRUPTED,
            fault,
            ExperimentState.STOPPED,
            f"{fault}; `hpotui resume {self.name}` continues",
        )

    def _natural_end(self, reason: str) -> tuple[ExperimentState, str]:
        if self.ledger.succeeded == 0:
            return ExperimentState.FAILED, "no successful trials"
        return ExperimentState.FINISHED, reason

    def _elapsed(self) -> float:
        return self._run_before + time.monotonic() - self._clock_start

    def _time_left(self) -> float:
        limit = self.experiment.limits.max_run_time
        if limit is None or limit <= 0:
            return math.inf
        return limit - self._elapsed()

    def _out_of_time(self) -> bool:
        return self._time_left() <= 0

    def _close_algorithm(self) -> None:
        try:
            self.algorithm.close()
        except Exception:
            # The experiment's outcome is recorded already; a plugin that fails
            # to shut down only leaves a log line.
            logger.exception("algorithm %s failed to close", self.algorithm.name)

    def _restore_algorithm_state(self) -> None:
        saved = self.store.algorithm_state(self.name)
        if saved:
            self.algorithm.set_state(saved)

    def _save_algorithm_state(self) -> None:
        state = self.algorithm.get_state()
        if state != self._saved_state and (state or self._saved_state):
            self.store.save_algorithm_state(self.name, state)
            self._saved_state = state

    def _set_state(self, state: ExperimentState, reason: str | None) -> None:
        self.store.set_state(self.name, state, reason)
        self._emit(ev.ExperimentStateChanged(self.name, state, reason))
        self._flush()

    def _finish(self, state: ExperimentState, reason: str) -> None:
        self.store.heartbeat(self.name, self._elapsed())
        self._set_state(state, reason)
        logger.info("%s %s: %s", self.name, state.value, reason)

    def _emit(self, event: ev.Event) -> None:
        # Log lines stay in the trial's log file; every other event is stored so
        # that a dashboard opened later replays the experiment.
        if not isinstance(event, ev.TrialLog):
            self._pending.append(event)
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("event listener failed on %s", event.kind)

    def _flush(self) -> None:
        if self._pending:
            self.store.add_events(self.name, self._pending)
            self._pending = []

    def _log_trial(self, trial) -> None:  # type: ignore[no-untyped-def]
        best = self.ledger.best
        logger.info(
            "trial %d %s value=%s params=%s best=%s",
            trial.id,
            trial.state.value,
            trial.value,
            trial.params,
            None if best is None else f"{best[1]} (trial {best[0]})",
        )
