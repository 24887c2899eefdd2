"""Trials as processes on this machine, driven from the engine's event loop.

The blocking pieces (folder, process group, metrics and log readers) live in
:mod:`hpotui.engine.trial_run`; this module waits on them without blocking the loop:
a process's exit is awaited through a pidfd where Linux offers one, so a finished
trial is noticed at once and no thread is held per trial.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace

from hpotui.engine.executor import Executor, TrialHandle, TrialOutcome, TrialSpec
from hpotui.engine.gpus import GpuPool, visible_devices
from hpotui.engine.process import GRACE_SECONDS, TrialProcess
from hpotui.engine.trial_files import TrialPaths
from hpotui.engine.trial_run import TrialRun, launch
from hpotui.errors import EngineError
from hpotui.records import MetricRecord
from hpotui.states import TrialState

logger = logging.getLogger(__name__)

_POLL_SECONDS = 0.02


class LocalTrialHandle(TrialHandle):
    """A trial running as a process group on this machine.

    Attributes:
        paths: Where its folder, config.json, results and logs are.
        devices: The GPUs it holds (empty without a pool).
    """

    def __init__(
        self,
        run: TrialRun,
        grace: float,
        devices: list[str],
        on_end: Callable[[LocalTrialHandle], None],
    ) -> None:
        super().__init__(run.spec)
        self.run = run
        self.paths: TrialPaths = run.paths
        self.devices = devices
        self._grace = grace
        self._on_end = on_end
        self._stopped: tuple[TrialState, str] | None = None
        self._outcome: TrialOutcome | None = None
        self._finishing = asyncio.Lock()
        self._exited: asyncio.Future[None] | None = None
        if run.process is not None:
            self._exited = asyncio.ensure_future(_wait_exit(run.process))

    @property
    def pid(self) -> int | None:
        """The command's process id (also its process group id)."""
        return self.run.process.pid if self.run.process else None

    async def poll(self) -> tuple[list[MetricRecord], list[str]]:
        return self.run.updates()

    async def terminate(self, state: TrialState, reason: str) -> None:
        process = self.run.process
        if process is None or self._exited is None or process.returncode is not None:
            return  # it already ended on its own; that outcome stands
        if self._stopped is None:
            self._stopped = (state, reason)
            logger.info("ending trial %s: %s", self.spec.trial_id, reason)
        await self._end_group(process, self._exited)

    async def wait(self) -> TrialOutcome:
        async with self._finishing:
            if self._outcome is None:
                self._outcome = await self._finish()
                self._on_end(self)
        return self._outcome

    async def _finish(self) -> TrialOutcome:
        process = self.run.process
        if process is not None and self._exited is not None:
            await asyncio.shield(self._exited)
            await self._end_group(process, self._exited)  # stragglers it left behind
        return self.run.outcome(self._stopped)

    async def _end_group(
        self, process: TrialProcess, exited: asyncio.Future[None]
    ) -> None:
        process.remember_family()
        if not process.alive():
            await asyncio.shield(exited)
            return
        process.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        while process.alive() and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_SECONDS)
        if process.alive():
            trial = self.spec.trial_id
            logger.info("trial %s outlived SIGTERM; sending SIGKILL", trial)
            process.signal_all(signal.SIGKILL)
        await asyncio.shield(exited)


async def _wait_exit(process: TrialProcess) -> None:
    """Return once the command has exited and been reaped."""
    loop = asyncio.get_running_loop()
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        pidfd = None  # no pidfd here, or the process is already reaped
    if pidfd is None:
        while process.returncode is None:
            await asyncio.sleep(_POLL_SECONDS)
        return
    readable: asyncio.Future[None] = loop.create_future()
    loop.add_reader(pidfd, _settle, readable)
    try:
        if process.returncode is None:
            await readable
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)
    process.wait()  # readable pidfd: it exited, so this returns at once


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class LocalExecutor(Executor):
    """Runs each trial as a process group on this machine.

    Args:
        grace: Seconds between SIGTERM and SIGKILL when a trial is ended.
        gpus: The GPU pool; each trial then gets its own CUDA_VISIBLE_DEVICES and
            :meth:`start` waits while too few devices are free.
        base_env: The environment trials start from; this process's by default.
    """

    def __init__(
        self,
        grace: float = GRACE_SECONDS,
        gpus: GpuPool | None = None,
        base_env: dict[str, str] | None = None,
    ) -> None:
        self.grace = grace
        self.gpus = gpus
        self.base_env = base_env
        self._running: set[LocalTrialHandle] = set()
        self._gpu_freed = asyncio.Condition()
        self._closed = False

    @property
    def capacity(self) -> int | None:
        """How many trials can run at once, or None when only the caller limits it."""
        return self.gpus.capacity if self.gpus else None

    @property
    def running(self) -> list[LocalTrialHandle]:
        """Trials started and not yet waited for."""
        return sorted(self._running, key=lambda handle: handle.spec.trial_id)

    async def start(self, spec: TrialSpec) -> LocalTrialHandle:
        """Prepare the trial's folder and start its process.

        Raises:
            EngineError: The executor is closed, the trial folder already holds
                files, or the model folder is missing.
        """
        if self._closed:
            raise EngineError("the local executor is closed; no trial can start")
        devices = await self._take_gpus(spec.trial_id)
        if devices:
            spec = replace(spec, env={**spec.env, **visible_devices(devices)})
        try:
            run = await asyncio.to_thread(launch, spec, self.base_env)
        except BaseException:
            await self._give_back_gpus(spec.trial_id)
            raise
        handle = LocalTrialHandle(run, self.grace, devices, self._ended)
        self._running.add(handle)
        return handle

    async def close(self) -> None:
        """End every running trial (STOPPED) and wait for their processes."""
        self._closed = True
        handles = list(self._running)
        reason = "the engine shut down"
        await asyncio.gather(
            *(handle.terminate(TrialState.STOPPED, reason) for handle in handles)
        )
        await asyncio.gather(*(handle.wait() for handle in handles))

    async def _take_gpus(self, trial_id: int) -> list[str]:
        if self.gpus is None:
            return []
        async with self._gpu_freed:
            while (devices := self.gpus.acquire(trial_id)) is None:
                await self._gpu_freed.wait()
        return devices

    async def _give_back_gpus(self, trial_id: int) -> None:
        if self.gpus is None:
            return
        self.gpus.release(trial_id)
        await self._wake_gpu_waiters()

    async def _wake_gpu_waiters(self) -> None:
        async with self._gpu_freed:
            self._gpu_freed.notify_all()

    def _ended(self, handle: LocalTrialHandle) -> None:
        self._running.discard(handle)
        if self.gpus is not None:
            self.gpus.release(handle.spec.trial_id)  # at once: no await in between
            task = asyncio.ensure_future(self._wake_gpu_waiters())
            task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Future[None]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        if task.exception() is not None:
            logger.error("releasing GPUs failed", exc_info=task.exception())
