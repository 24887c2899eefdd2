"""The embedded engine behind the Backend interface.

Experiments live in a workspace store; :meth:`LocalBackend.submit` and
:meth:`LocalBackend.resume` run the engine as a task in this process. Control of an
experiment run by another process (``hpotui run`` in another terminal) goes through
the store: a stop or retry is left there as a request for the owning engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from hpotui.backends.base import Backend, ExperimentDetail, LogTail
from hpotui.engine import events as ev
from hpotui.engine.executor import Executor
from hpotui.engine.history import superseded_ids
from hpotui.engine.logtail import TAIL_BYTES, tail_lines
from hpotui.engine.scheduler import RunResult, Scheduler
from hpotui.engine.session import record_experiment, run_session
from hpotui.engine.trial_files import trial_paths
from hpotui.errors import BackendError, EngineError, ExperimentFileError
from hpotui.experiment.executor_rules import describe_problems, executor_problems
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary
from hpotui.states import ExperimentState, TrialState
from hpotui.store import Store, experiment_dir, open_store

_REPLAY_PAGE = 5000
_STORE_POLL_SECONDS = 0.25


@dataclass(eq=False)
class _Run:
    """An experiment this process's engine is running."""

    task: asyncio.Task[RunResult]
    scheduler: Scheduler | None = None
    interrupted: bool = False
    subscribers: list[asyncio.Queue[ev.Event | None]] = field(default_factory=list)

    def publish(self, event: ev.Event) -> None:
        for queue in self.subscribers:
            queue.put_nowait(event)

    def attach(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        if self.interrupted:
            scheduler.interrupt()

    def close_streams(self, _task: object = None) -> None:
        for queue in self.subscribers:
            queue.put_nowait(None)


class LocalBackend(Backend):
    """Experiments in a workspace folder, run by the embedded engine.

    Args:
        workspace: The workspace folder; ``HPOTUI_HOME`` or the per-user data
            folder when None.
        executor_factory: Makes the executor of each run; by default the one the
            experiment asks for.
        poll_seconds: The engine's live-metric poll interval (None: its default).
    """

    label = "embedded"

    def __init__(
        self,
        workspace: str | Path | None = None,
        *,
        executor_factory: Callable[[Experiment], Executor] | None = None,
        poll_seconds: float | None = None,
    ) -> None:
        self.store: Store = open_store(workspace)
        self.workspace = self.store.workspace
        self._executor_factory = executor_factory
        self._poll_seconds = poll_seconds
        self._runs: dict[str, _Run] = {}

    async def list_experiments(self) -> list[ExperimentSummary]:
        return self.store.summaries()

    async def get_experiment(self, name: str) -> ExperimentDetail:
        return ExperimentDetail(
            summary=self.store.summary(name),
            trials=self.store.trials(name),
            experiment=self.store.definition(name),
        )

    async def submit(self, experiment: Experiment) -> str:
        """Record the experiment (or continue the stored one of that name) and run it.

        Raises:
            ExperimentFileError: A stored experiment of that name differs in more
                than its limits.
            EngineError: Another live engine runs it.
            ExperimentFileError: Its executor settings cannot run; nothing is stored.
        """
        _need_runnable_executor(experiment)
        recorded = record_experiment(self.store, experiment)
        self._start(recorded)
        return recorded.name

    async def resume(self, name: str) -> None:
        """Continue a stored experiment: ended trials stay, interrupted ones rerun."""
        self._start(self.store.definition(name))

    async def wait(self, name: str) -> RunResult:
        """Wait for this process's run of ``name`` to end and return how it ended."""
        run = self._runs.get(name)
        if run is None:
            raise BackendError(f"experiment {name!r} is not running in this process")
        return await asyncio.shield(run.task)

    def running(self) -> list[str]:
        """Names of the experiments this process's engine is running now."""
        return [name for name, run in self._runs.items() if not run.task.done()]

    def interrupt(self, name: str | None = None) -> None:
        """End this process's runs now, leaving them resumable (Ctrl-C)."""
        for run_name, run in self._runs.items():
            if name in (None, run_name) and not run.task.done():
                run.interrupted = True
                if run.scheduler is not None:
                    run.scheduler.interrupt()

    async def stop(self, name: str) -> None:
        """Stop the experiment wherever its engine runs.

        An experiment left RUNNING by an engine that died is marked STOPPED here,
        with its running trials INTERRUPTED (a resume runs them again).
        """
        run = self._runs.get(name)
        if run is not None and not run.task.done() and run.scheduler is not None:
            run.scheduler.stop()
            return
        state, _ = self.store.state(name)
        if self.store.live_owner(name) is not None:
            self.store.add_request(name, "stop")
        elif not state.is_final:
            self.store.interrupt_running(name, "its engine had stopped")
            self.store.set_state(name, ExperimentState.STOPPED, "stopped by user")

    async def delete(self, name: str) -> None:
        """Remove an experiment that is not running, with its trial folders."""
        owner = self.store.live_owner(name)
        if owner is not None:
            raise BackendError(
                f"experiment {name!r} is running ({owner.describe()}); stop it first "
                f"with `hpotui stop {name}`"
            )
        self.store.delete_experiment(name)
        shutil.rmtree(experiment_dir(self.workspace, name), ignore_errors=True)

    async def stop_trial(self, name: str, trial_id: int) -> None:
        run = self._runs.get(name)
        if run is not None and not run.task.done() and run.scheduler is not None:
            run.scheduler.stop_trial(trial_id)
        else:
            self._need_live_owner(name, f"stop trial {trial_id}")
            self.store.add_request(name, "stop_trial", trial_id)

    async def retry_failed(self, name: str) -> int:
        """Queue failed trials again; an experiment that has ended is resumed."""
        run = self._runs.get(name)
        if run is not None and not run.task.done() and run.scheduler is not None:
            return run.scheduler.retry_failed()
        trials = self.store.trials(name)
        rerun = superseded_ids(trials)
        failed = sum(
            1 for t in trials if t.state is TrialState.FAILED and t.id not in rerun
        )
        if failed:
            self.store.add_request(name, "retry_failed")
            if self.store.live_owner(name) is None:
                await self.resume(name)
        return failed

    async def trial_log(self, name: str, trial_id: int, lines: int = 200) -> LogTail:
        """The last lines of the trial's stdout, then of its stderr."""
        trial = self.store.trial(name, trial_id)
        if trial is None or trial.config_path is None:
            return LogTail([], None, False)
        paths = trial_paths(Path(trial.config_path).parent)
        # One line more than shown tells whether the files hold more than that.
        out = tail_lines(paths.stdout, lines + 1)
        err = tail_lines(paths.stderr, lines + 1)
        shown = out + (["── stderr ──", *err] if err else [])
        hidden = len(shown) > lines or any(
            _size(path) > TAIL_BYTES for path in (paths.stdout, paths.stderr)
        )
        return LogTail(shown[-lines:], str(paths.stdout), hidden)

    def events(self, name: str, *, replay: bool = True) -> AsyncIterator[ev.Event]:
        """Stored events from the start, then live ones until the run ends.

        Args:
            name: The experiment.
            replay: False to skip what happened before this call.
        """
        run = self._runs.get(name)
        if run is None or run.task.done():
            return self._stored_events(name, replay)
        # Subscribed, then the past read whole, with no await in between: no
        # event is missed and none is seen twice.
        queue: asyncio.Queue[ev.Event | None] = asyncio.Queue()
        run.subscribers.append(queue)
        past = self._past_events(name) if replay else []
        if replay and run.scheduler is not None:
            past.extend(run.scheduler.unflushed())
        return _drain(past, queue, run)

    async def close(self) -> None:
        """Interrupt runs of this process (resumable) and wait for them to end."""
        self.interrupt()
        for run in list(self._runs.values()):
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await run.task
        self.store.close()

    def _start(self, experiment: Experiment) -> None:
        name = experiment.name
        current = self._runs.get(name)
        if current is not None and not current.task.done():
            raise BackendError(f"experiment {name!r} is already running here")
        self._need_no_live_owner(name)
        executor = (
            self._executor_factory(experiment) if self._executor_factory else None
        )
        run = _Run(task=None)  # type: ignore[arg-type]
        run.task = asyncio.ensure_future(
            run_session(
                self.store,
                experiment,
                executor=executor,
                listeners=[run.publish],
                scheduler_ready=[run.attach],
                poll_seconds=self._poll_seconds,
            )
        )
        run.task.add_done_callback(run.close_streams)
        self._runs[name] = run

    def _need_no_live_owner(self, name: str) -> None:
        # Checked here too (the session checks again under a lock) so that a
        # refusal reaches the caller at once rather than from inside the task.
        owner = self.store.live_owner(name)
        if owner is not None and not owner.is_me():
            raise EngineError(
                f"experiment {name!r} is already run by {owner.describe()}; watch "
                f"it with `hpotui show {name}` or stop it with `hpotui stop {name}`"
            )

    def _need_live_owner(self, name: str, what: str) -> None:
        if self.store.live_owner(name) is None:
            raise BackendError(f"cannot {what}: experiment {name!r} is not running")

    def _past_events(self, name: str) -> list[ev.Event]:
        past: list[ev.Event] = []
        seq = 0
        while page := self.store.events_after(name, seq, _REPLAY_PAGE):
            seq = page[-1][0]
            past.extend(event for _, event in page)
        return past

    async def _stored_events(self, name: str, replay: bool) -> AsyncIterator[ev.Event]:
        seq = 0 if replay else self.store.last_event_seq(name)
        while True:
            page = self.store.events_after(name, seq, _REPLAY_PAGE)
            for _, event in page:
                yield event
            if page:
                seq = page[-1][0]
                continue
            state, _ = self.store.state(name)
            if state.is_final and self.store.live_owner(name) is None:
                return
            await asyncio.sleep(_STORE_POLL_SECONDS)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


async def _drain(
    past: list[ev.Event], queue: asyncio.Queue[ev.Event | None], run: _Run
) -> AsyncIterator[ev.Event]:
    try:
        for event in past:
            yield event
        while (event := await queue.get()) is not None:
            yield event
    finally:
        run.subscribers.remove(queue)


def _need_runnable_executor(experiment: Experiment) -> None:
    # Refused before the experiment is recorded: a run that cannot start would
    # otherwise stay SUBMITTED in the store.
    problems = executor_problems(experiment.executor, experiment.gpus_per_trial)
    if problems:
        raise ExperimentFileError(
            f"experiment {experiment.name!r} cannot run:\n"
            + describe_problems(problems)
        )
