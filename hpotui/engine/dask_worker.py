"""One trial on a Dask worker, in plain blocking code run by the worker's thread.

The task prepares the trial's folder in the worker's local directory and starts
the command with the same functions a local trial uses
(:func:`hpotui.engine.trial_run.launch`, the same process group handling and
failure reasons). While it runs, new metric records and log lines go to the engine
as Dask events on the experiment's topic; at the end the outcome and the files of
``result/`` and ``log/`` travel back as the task's result, and the remote folder is
removed.

Two Dask events steer a trial from the engine: ``stop`` ends it (SIGTERM, then
SIGKILL after the grace period) and ``started`` tells a second run of the same
task (the scheduler re-runs a task whose worker died) that the trial was lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, replace
from itertools import count
from pathlib import Path

from distributed import Event, get_worker
from distributed.core import Status

from hpotui.engine.dask_bundle import bundle_dir
from hpotui.engine.dask_guard import GuardClient
from hpotui.engine.executor import TrialOutcome, TrialSpec
from hpotui.engine.gpus import GpuPool, visible_devices
from hpotui.engine.process import TrialProcess
from hpotui.engine.trial_files import TrialPaths
from hpotui.engine.trial_run import TrialRun, launch
from hpotui.errors import EngineError
from hpotui.states import TrialState

logger = logging.getLogger(__name__)

SHIP_BYTES = 16 * 1024 * 1024
"""The most of one file sent back; a longer log comes back as its last part."""
_LINES_PER_EVENT = 200
_TRIALS_FOLDER = "hpotui-trials"
_ENDED_STATES = frozenset({"cancelled", "released", "forgotten"})
_GONE_STATUSES = frozenset({Status.closing, Status.closed, Status.failed})
_WATCH_SECONDS = 1.0
"""How long one wait on the scheduler for a stop request lasts."""
STOP_WATCH_SECONDS = 2 * _WATCH_SECONDS + 1.0
"""Time enough for every ended trial's stop watcher to finish its last wait."""
_WATCHER_THREAD = "hpotui-stop-watcher"

_guard: GuardClient | None = None
_gpu_pools: dict[int, GpuPool] = {}
_holders = count(1)
_worker_lock = threading.Lock()


@dataclass(frozen=True)
class RemoteJob:
    """What the engine sends with each trial.

    Attributes:
        spec: The trial as the engine built it; its folders are replaced by ones
            on the worker.
        key: The Dask key of this task.
        attempt: 1, or 2 when the trial runs again after its worker was lost.
        topic: The Dask event topic for live records and log lines.
        stop_event: Name of the Dask event that ends the trial.
        started_event: Name of the Dask event set once the trial started.
        bundle: Digest of the uploaded model archive; None when ``spec.model_dir``
            is on a file system every worker reads.
        gpus_per_trial: Devices the trial gets from the worker's CUDA_VISIBLE_DEVICES.
        grace: Seconds between SIGTERM and SIGKILL.
        interval: Seconds between looks at the trial's files.
    """

    spec: TrialSpec
    key: str
    attempt: int
    topic: str
    stop_event: str
    started_event: str
    bundle: str | None
    gpus_per_trial: int
    grace: float
    interval: float


@dataclass(frozen=True)
class RemoteResult:
    """What a trial task returns.

    Attributes:
        outcome: How the trial ended; None when this run found that an earlier run
            of the task had started the trial on a worker that was then lost.
        files: The files of ``result/`` and ``log/`` by path relative to the folder.
        worker: The worker's address.
    """

    outcome: TrialOutcome | None
    files: dict[str, bytes]
    worker: str


def run_remote_trial(job: RemoteJob) -> RemoteResult:
    """Run one trial on this worker, blocking until it ends (the Dask task)."""
    # TODO: a no-op trial costs 45-85 ms more through Dask than locally on a
    # loaded 2-core machine, above the 50 ms aimed for; telling the scheduler
    # round trips (the started and stop events) from the file transfer and the
    # engine's poll needs profiling on an idle machine.
    worker = get_worker()
    started = Event(job.started_event)
    if started.is_set():
        return RemoteResult(None, {}, worker.address)
    started.set()
    # the engine learns where the trial runs, to notice when this worker leaves
    worker.log_event(job.topic, {"key": job.key, "worker": worker.address})

    holder, devices = _take_gpus(job, worker)
    spec = _worker_spec(job, worker, devices)
    try:
        run = launch(spec)
        outcome = _follow(run, job, worker)
        files = collect_files(run.paths)
    finally:
        _give_back_gpus(job, holder)
        shutil.rmtree(spec.workdir, ignore_errors=True)
    return RemoteResult(outcome, files, worker.address)


def _worker_spec(job: RemoteJob, worker, devices: list[str]) -> TrialSpec:  # type: ignore[no-untyped-def]
    spec = job.spec
    label = re.sub(r"[^A-Za-z0-9_.-]", "_", spec.experiment)
    folder = f"{label}-{spec.trial_id}-{job.attempt}-{job.key[-8:]}"
    workdir = Path(worker.local_directory) / _TRIALS_FOLDER / folder
    model_dir = spec.model_dir
    if job.bundle is not None:
        model_dir = bundle_dir(worker.local_directory, job.bundle)
    env = {**spec.env, **visible_devices(devices)} if devices else spec.env
    return replace(spec, workdir=workdir, model_dir=model_dir, env=env)


def _follow(run: TrialRun, job: RemoteJob, worker) -> TrialOutcome:  # type: ignore[no-untyped-def]
    process = run.process
    if process is None:
        return run.outcome()
    guard = _guard_client(job.grace)
    guard.add(process.pid)
    watcher = _StopWatcher(job, worker)
    exited = _exit_signal(process)
    stopped = None
    try:
        while process.returncode is None:
            # wakes the moment the command exits; the interval paces live updates
            exited.wait(job.interval)
            if watcher.reason and process.returncode is None:
                logger.info("ending trial %s: %s", job.spec.trial_id, watcher.reason)
                stopped = (TrialState.STOPPED, watcher.reason)
                break
            _publish(run, job, worker)
        process.terminate(job.grace)  # the command, or stragglers it left behind
    finally:
        watcher.finish()
        guard.remove(process.pid)
    return run.outcome(stopped)


def _exit_signal(process: TrialProcess) -> threading.Event:
    """An event set once ``process`` has exited.

    ``Popen.wait`` with a timeout polls in naps of up to 50 ms, which every trial
    would pay at its end; a thread blocked in a plain ``wait`` learns of the exit
    from the kernel at once.
    """
    exited = threading.Event()

    def wait() -> None:
        with contextlib.suppress(Exception):  # reaped elsewhere: the loop sees it
            process.wait()
        exited.set()

    threading.Thread(target=wait, daemon=True, name="hpotui-trial-exit").start()
    return exited


def _publish(run: TrialRun, job: RemoteJob, worker) -> None:  # type: ignore[no-untyped-def]
    records, lines = run.updates()
    if not (records or lines):
        return
    message = {
        "key": job.key,
        "records": [{"step": r.step, "values": r.values} for r in records],
        "lines": lines[-_LINES_PER_EVENT:],
    }
    worker.log_event(job.topic, message)


class _StopWatcher:
    """Waits on the trial's stop event in a thread of its own.

    It also notices when nobody waits for the trial any more: the engine released
    or cancelled the task (it closed, or died and its client timed out), or the
    worker is shutting down. The trial is then ended rather than left running.
    """

    def __init__(self, job: RemoteJob, worker) -> None:  # type: ignore[no-untyped-def]
        self.reason: str | None = None
        self._job = job
        self._worker = worker
        self._event = Event(job.stop_event)
        self._done = threading.Event()
        threading.Thread(target=self._watch, daemon=True, name=_WATCHER_THREAD).start()

    def finish(self) -> None:
        self._done.set()

    def _watch(self) -> None:
        while not self._done.is_set():
            try:
                if self._event.wait(timeout=_WATCH_SECONDS):
                    self.reason = "stopped on request"
                    return
            except Exception as err:  # the scheduler is unreachable for now
                logger.debug("stop event of %s unreadable: %s", self._job.key, err)
                time.sleep(_WATCH_SECONDS)
            if self._abandoned():
                self.reason = "the engine no longer waits for this trial"
                return

    def _abandoned(self) -> bool:
        if self._worker.status in _GONE_STATUSES:
            return True
        task = self._worker.state.tasks.get(self._job.key)
        return task is None or task.state in _ENDED_STATES


async def wait_for_stop_watchers(timeout: float) -> int:
    """Wait on a worker, in its event loop, until its stop watchers have ended.

    A watcher keeps a wait open on the scheduler for up to :data:`_WATCH_SECONDS`
    after its trial ended. A scheduler that closes meanwhile cancels the wait and
    logs that as an error with a traceback, so the engine calls this (through
    ``Client.run``) before it closes a cluster of its own.

    Returns:
        How many watchers still run after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while (left := _running_watchers()) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)  # the worker's loop answers the watchers' waits
    return left


def _running_watchers() -> int:
    return sum(thread.name == _WATCHER_THREAD for thread in threading.enumerate())


def collect_files(paths: TrialPaths) -> dict[str, bytes]:
    """The files of the trial's ``result/`` and ``log/`` folders, to send back.

    A file longer than :data:`SHIP_BYTES` is cut: a log keeps its end after a note
    of what was left out; any other file is left out with a warning.
    """
    files: dict[str, bytes] = {}
    for folder in (paths.result_dir, paths.log_dir):
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            name = path.relative_to(paths.workdir).as_posix()
            data = _read_capped(path, is_log=folder == paths.log_dir)
            if data is not None:
                files[name] = data
    return files


def _read_capped(path: Path, is_log: bool) -> bytes | None:
    size = path.stat().st_size
    if size <= SHIP_BYTES:
        return path.read_bytes()
    if not is_log:
        logger.warning(
            "%s is %d MB, more than a trial sends back; write large outputs to a "
            "shared file system",
            path,
            size // (1024 * 1024),
        )
        return None
    with open(path, "rb") as stream:
        stream.seek(size - SHIP_BYTES)
        tail = stream.read()
    note = f"[... {size - SHIP_BYTES} bytes left on the worker ...]\n".encode()
    return note + tail.split(b"\n", 1)[-1]


def _guard_client(grace: float) -> GuardClient:
    global _guard
    with _worker_lock:
        if _guard is None:
            _guard = GuardClient(grace)
        return _guard


def _take_gpus(job: RemoteJob, worker) -> tuple[int, list[str]]:  # type: ignore[no-untyped-def]
    if job.gpus_per_trial == 0:
        return 0, []
    holder = next(_holders)  # trial ids of two experiments may meet on one worker
    with _worker_lock:
        pool = _gpu_pools.get(job.gpus_per_trial)
        if pool is None:
            # TODO: experiments with different gpus_per_trial on one worker each
            # get a pool of their own and may hand out one device twice; a shared
            # pool needs variable-sized grants in GpuPool.
            pool = GpuPool(_worker_devices(worker), job.gpus_per_trial)
            _gpu_pools[job.gpus_per_trial] = pool
    devices = pool.acquire(holder)
    if devices is None:
        raise EngineError(
            f"worker {worker.address} has no free GPU although Dask granted one; "
            "its GPU resource is larger than its CUDA_VISIBLE_DEVICES list"
        )
    return holder, devices


def _worker_devices(worker) -> list[str]:  # type: ignore[no-untyped-def]
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").strip()
    if visible:
        return [device.strip() for device in visible.split(",")]
    count_ = int(worker.state.total_resources.get("GPU", 0))
    return [str(index) for index in range(count_)]


def _give_back_gpus(job: RemoteJob, holder: int) -> None:
    if holder:
        _gpu_pools[job.gpus_per_trial].release(holder)
