"""A trial running as a Dask task, seen from the engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from distributed import Future
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from hpotui.engine.dask_worker import RemoteJob, RemoteResult
from hpotui.engine.executor import TrialHandle, TrialOutcome, TrialSpec
from hpotui.engine.trial_files import trial_paths
from hpotui.records import MetricRecord
from hpotui.states import TrialState

if TYPE_CHECKING:
    from hpotui.engine.dask_executor import DaskExecutor

logger = logging.getLogger(__name__)

WORKER_LOST = "worker lost"
_EVENT_SECONDS = 5.0


class DaskTrialHandle(TrialHandle):
    """A trial submitted to a Dask cluster.

    Live records and log lines arrive as events (see :meth:`take`) and wait for
    the next :meth:`poll`.
    """

    def __init__(self, executor: DaskExecutor, spec: TrialSpec, job: RemoteJob) -> None:
        super().__init__(spec)
        self.executor = executor
        self.job = job
        self.worker: str | None = None
        """The worker running this trial, once it has said so."""
        self._given_up = asyncio.Event()
        """Set when the run cannot end on its own: its worker left the cluster,
        or it was ended before any worker took it."""
        self._run_lost = False
        self._records: list[MetricRecord] = []
        self._lines: list[str] = []
        self._stopped: tuple[TrialState, str] | None = None
        self._outcome: TrialOutcome | None = None
        self._finishing = asyncio.Lock()
        self._stdout = trial_paths(spec.workdir).stdout
        self._future: Future = executor.submit(job)

    def take(self, message: dict[str, Any]) -> None:
        """Keep one live message from the worker until the next poll."""
        if self._outcome is not None or message.get("key") != self.job.key:
            return  # late news of an ended trial, or of a lost first run
        if "worker" in message:
            self.worker = str(message["worker"])
        self._records.extend(
            MetricRecord(int(item["step"]), dict(item["values"]))
            for item in message.get("records", [])
        )
        lines = list(message.get("lines", []))
        self._lines.extend(lines)
        if lines:
            with contextlib.suppress(OSError), open(self._stdout, "a") as out:
                out.write("".join(line + "\n" for line in lines))

    def lose_worker(self, address: str) -> None:
        """Note that the worker ``address`` left the cluster."""
        if address == self.worker and self._outcome is None:
            self._given_up.set()

    async def poll(self) -> tuple[list[MetricRecord], list[str]]:
        records, lines = self._records, self._lines
        self._records, self._lines = [], []
        return records, lines

    async def terminate(self, state: TrialState, reason: str) -> None:
        if self._outcome is not None or self._stopped is not None:
            return
        self._stopped = (state, reason)
        logger.info("ending trial %s: %s", self.spec.trial_id, reason)
        if self.executor.fault is not None:
            return
        if self.worker is None:
            # not started (maybe no worker is there to take it): cancel the task
            self._given_up.set()
        try:
            event = self.executor.event(self.job.stop_event)
            await asyncio.wait_for(event.set(), _EVENT_SECONDS)
        except Exception as err:  # the scheduler went away meanwhile
            logger.warning("cannot stop trial %s: %s", self.spec.trial_id, err)

    async def wait(self) -> TrialOutcome:
        async with self._finishing:
            if self._outcome is None:
                try:
                    self._outcome = await self._finish()
                finally:
                    self.executor.ended(self)
                    forget = self._forget(self.job, self._future, self._run_lost)
                    self.executor.later(forget)
        return self._outcome

    async def _finish(self) -> TrialOutcome:
        while True:
            result = await self._result()
            if isinstance(result, TrialOutcome):
                return result
            if result.outcome is not None:
                self.worker = result.worker
                await asyncio.to_thread(_store_files, self.spec.workdir, result.files)
                return self._with_stop(result.outcome)
            if not self._rerun():
                return self._lost()

    async def _result(self) -> RemoteResult | TrialOutcome:
        """The task's result, or the outcome when there is none.

        A run whose worker leaves the cluster is lost at once: the scheduler would
        only notice when it hands the task to another free worker, which may take
        as long as the longest trial running there.
        """
        result = asyncio.ensure_future(self._task_result())
        gone = asyncio.ensure_future(self._given_up.wait())
        try:
            await asyncio.wait({result, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
            result.cancel()  # only while still waiting: a done task keeps its result
        if result.done() and not result.cancelled():
            return result.result()
        self._run_lost = True
        if self._stopped is None:
            logger.warning(
                "trial %s lost its Dask worker %s", self.spec.trial_id, self.worker
            )
        return RemoteResult(None, {}, self.worker or "")

    async def _task_result(self) -> RemoteResult | TrialOutcome:
        try:
            return await self._future
        except KilledWorker:
            return RemoteResult(None, {}, "")  # lost on more workers than allowed
        except FutureCancelledError as err:
            # hpotui never cancels a trial's future: the client did, having lost
            # the scheduler (reason scheduler-connection-lost) or closed after that
            reason = self.executor.lost_scheduler(err.reason)
            return TrialOutcome(TrialState.INTERRUPTED, [], reason)
        except Exception as err:  # raised by the task on the worker
            logger.warning("trial %s failed on Dask: %r", self.spec.trial_id, err)
            return TrialOutcome(TrialState.FAILED, [], f"the Dask task failed: {err}")

    def _rerun(self) -> bool:
        once = self.executor.settings.on_worker_lost == "retry"
        if not once or self.job.attempt > 1 or self._stopped is not None:
            return False
        logger.warning("trial %s lost its worker; running it again", self.spec.trial_id)
        self.executor.later(self._forget(self.job, self._future, self._run_lost))
        self.worker, self._run_lost = None, False
        self._given_up = asyncio.Event()
        self.job = self.executor.rerun(self)
        self._future = self.executor.submit(self.job)
        return True

    def _lost(self) -> TrialOutcome:
        if self._stopped is not None:
            state, reason = self._stopped
            return TrialOutcome(state, [], reason)
        again = " twice" if self.job.attempt > 1 else ""
        if not again:
            logger.warning(
                "trial %s ends FAILED: %s (executor.on_worker_lost: retry runs it "
                "once more)",
                self.spec.trial_id,
                WORKER_LOST,
            )
        return TrialOutcome(TrialState.FAILED, [], f"{WORKER_LOST}{again}")

    def _with_stop(self, outcome: TrialOutcome) -> TrialOutcome:
        # An outcome the trial reached on its own before the stop arrived stands.
        if self._stopped is None or outcome.state is not TrialState.STOPPED:
            return outcome
        state, reason = self._stopped
        return replace(outcome, state=state, reason=reason)

    async def _forget(self, job: RemoteJob, future: Future, lost: bool) -> None:
        """Drop a run's events and result from the cluster.

        A lost run's task is cancelled, so the scheduler does not hand it to
        another worker; its ``started`` event stays set, so that a copy already
        handed over sees the trial was lost instead of running it again.
        """
        client = self.executor.client
        if self.executor.fault is not None or client is None:
            return
        if lost:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.cancel([future]), _EVENT_SECONDS)
        else:
            future.release()
        # an unset event the worker no longer waits on is gone from the scheduler
        names = [] if lost else [job.started_event]
        if self._stopped is not None:
            names.append(job.stop_event)
        with contextlib.suppress(Exception):
            clears = (self.executor.event(name).clear() for name in names)
            await asyncio.wait_for(asyncio.gather(*clears), _EVENT_SECONDS)


class LostTrialHandle(TrialHandle):
    """A trial that could not start because the cluster is unreachable.

    It ends INTERRUPTED at once, so a resume runs it when the cluster is back.
    """

    def __init__(self, spec: TrialSpec, reason: str) -> None:
        super().__init__(spec)
        self.reason = reason

    async def poll(self) -> tuple[list[MetricRecord], list[str]]:
        return [], []

    async def terminate(self, state: TrialState, reason: str) -> None:
        return None

    async def wait(self) -> TrialOutcome:
        return TrialOutcome(TrialState.INTERRUPTED, [], self.reason)


def _store_files(workdir: Path, files: dict[str, bytes]) -> None:
    """Write the files a worker sent back into the local trial folder."""
    root = Path(workdir)
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            logger.warning("ignored a returned file outside the trial folder: %s", name)
            continue
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
