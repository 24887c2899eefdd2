"""One trial from folder to outcome, in plain blocking code.

:func:`launch` prepares the folder and starts the command; the returned
:class:`TrialRun` hands out live metrics and log lines and, once the command has
ended, the :class:`~hpotui.engine.executor.TrialOutcome`. The local executor drives
it from asyncio; :func:`run_trial` drives it in a loop for a worker process (e.g.
on a Dask cluster) where no event loop runs.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hpotui.engine.executor import TrialOutcome, TrialSpec
from hpotui.engine.logtail import LogFollower
from hpotui.engine.metrics import MetricsError, MetricsReader
from hpotui.engine.process import (
    GRACE_SECONDS,
    TrialProcess,
    TrialStartError,
    exit_reason,
)
from hpotui.engine.trial_files import (
    TrialPaths,
    prepare_trial,
    trial_environment,
    trial_paths,
)
from hpotui.records import MetricRecord
from hpotui.states import TrialState

logger = logging.getLogger(__name__)

Updates = tuple[list[MetricRecord], list[str]]


@dataclass
class TrialRun:
    """A started (or failed-to-start) trial and the readers of its files.

    Attributes:
        spec: What was asked for.
        paths: Where its files are.
        process: The running command; None when it could not start.
        start_error: Why it could not start, as a failure reason.
    """

    spec: TrialSpec
    paths: TrialPaths
    process: TrialProcess | None
    start_error: str | None = None
    metrics: MetricsReader = field(init=False)
    _logs: list[LogFollower] = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = MetricsReader(self.paths.metrics, self.spec.metric)
        self._logs = [LogFollower(self.paths.stdout), LogFollower(self.paths.stderr)]

    def updates(self) -> Updates:
        """New metric records and new log lines (stdout's, then stderr's).

        Once the command has exited, a last line without a newline is included.
        """
        ended = self.process is None or self.process.returncode is not None
        lines = [line for log in self._logs for line in log.read_new(final=ended)]
        return self.metrics.read_new(), lines

    def outcome(self, stopped: tuple[TrialState, str] | None = None) -> TrialOutcome:
        """How the trial ended; call once its command has exited.

        Args:
            stopped: The state and reason when the engine ended the trial (stop,
                time limit, pruning); its records are then read leniently.
        """
        if self.process is None:
            return TrialOutcome(TrialState.FAILED, [], self.start_error)
        code = self.process.returncode
        if stopped is not None:
            state, reason = stopped
            return TrialOutcome(state, self.metrics.read_lenient(), reason, code)
        if code is None:
            raise RuntimeError("TrialRun.outcome called before the command exited")
        if code != 0:
            reason = exit_reason(code, self.paths.stderr)
            records = self.metrics.read_lenient()
            return TrialOutcome(TrialState.FAILED, records, reason, code)
        try:
            records = self.metrics.read_final()
        except MetricsError as err:
            return TrialOutcome(
                TrialState.FAILED, self.metrics.read_lenient(), str(err), code
            )
        return TrialOutcome(TrialState.FINISHED, records, None, code)


def launch(spec: TrialSpec, base_env: dict[str, str] | None = None) -> TrialRun:
    """Prepare the trial's folder and start its command.

    A command that cannot start gives a :class:`TrialRun` whose outcome is FAILED
    with the reason, so the experiment goes on.

    Args:
        spec: The trial.
        base_env: The environment to start from; this process's by default.

    Raises:
        EngineError: The folder is already used, or the model folder is missing.
    """
    # TODO: copying a large model folder here holds up the event loop (and every
    # request of `hpotui serve`) for as long as the copy takes; moving it to a
    # thread waits on the launcher handling a stop that arrives mid-copy.
    try:
        paths = prepare_trial(spec)
    except OSError as err:
        reason = f"could not prepare the trial folder {spec.workdir}: {err}"
        return TrialRun(spec, trial_paths(spec.workdir), None, reason)
    env = trial_environment(spec, paths, base_env)
    try:
        process = TrialProcess.start(
            spec.command, paths.workdir, env, paths.stdout, paths.stderr
        )
    except TrialStartError as err:
        return TrialRun(spec, paths, None, str(err))
    logger.debug("trial %s started as process %s", spec.trial_id, process.pid)
    return TrialRun(spec, paths, process)


def run_trial(
    spec: TrialSpec,
    *,
    grace: float = GRACE_SECONDS,
    stop: threading.Event | None = None,
    on_updates: Callable[[list[MetricRecord], list[str]], None] | None = None,
    interval: float = 0.5,
) -> TrialOutcome:
    """Run one trial to its end, blocking; for worker processes without asyncio.

    Args:
        spec: The trial.
        grace: Seconds between SIGTERM and SIGKILL when it is stopped.
        stop: Set it to end the trial; the outcome is then STOPPED.
        on_updates: Called with new records and log lines while it runs.
        interval: Seconds between looks at its files.
    """
    run = launch(spec)
    if run.process is None:
        return run.outcome()
    stopped = None
    while run.process.returncode is None:
        _wait_quietly(run.process, interval)
        if stop is not None and stop.is_set() and run.process.returncode is None:
            run.process.terminate(grace)
            stopped = (TrialState.STOPPED, "stopped on request")
            break
        if on_updates is not None:
            _report(run, on_updates)
    run.process.terminate(grace)  # stragglers the command left in its group
    if on_updates is not None:
        _report(run, on_updates)
    return run.outcome(stopped)


def _wait_quietly(process: TrialProcess, interval: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(interval)


def _report(
    run: TrialRun, on_updates: Callable[[list[MetricRecord], list[str]], None]
) -> None:
    records, lines = run.updates()
    if records or lines:
        on_updates(records, lines)
