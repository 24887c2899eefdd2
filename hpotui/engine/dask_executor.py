"""Trials on a Dask cluster: an existing scheduler, or a LocalCluster started here.

Each trial is one Dask task (:func:`hpotui.engine.dask_worker.run_remote_trial`)
that runs the command on a worker exactly as a local trial runs, in a folder of
the worker's local directory. The engine keeps the usual trial folder on this
machine: ``config.json`` is written there at the start, live log lines are appended
to ``log/stdout.log`` while the trial runs (stdout and stderr interleaved), and
when the trial ends the worker's ``result/`` and ``log/`` files replace them, so
``show``, ``best`` and the dashboard's log view read the same layout as locally.

Faults: a trial whose worker dies ends FAILED (``worker lost``) or runs once more,
as ``executor.on_worker_lost`` says; losing the scheduler ends running trials
INTERRUPTED and sets :attr:`DaskExecutor.fault`, which stops the experiment, so
``hpotui resume`` re-runs them later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distributed import Client, Event, Future, LocalCluster

from hpotui.engine.dask_bundle import ModelFiles, pack_model
from hpotui.engine.dask_handle import DaskTrialHandle, LostTrialHandle
from hpotui.engine.dask_worker import (
    STOP_WATCH_SECONDS,
    RemoteJob,
    run_remote_trial,
    wait_for_stop_watchers,
)
from hpotui.engine.executor import Executor, TrialHandle, TrialSpec
from hpotui.engine.process import GRACE_SECONDS
from hpotui.engine.trial_files import trial_paths, write_config
from hpotui.errors import EngineError
from hpotui.experiment.executor_rules import describe_problems, executor_problems
from hpotui.experiment.model import ExecutorSpec, Experiment
from hpotui.states import TrialState

logger = logging.getLogger(__name__)

CONNECT_SECONDS = 10.0
"""How long to try reaching a scheduler before the experiment stops."""
INTERVAL_SECONDS = 0.2
"""How often a worker looks at a running trial's files."""


@dataclass(frozen=True)
class _Uploaded:
    digest: str | None


class DaskExecutor(Executor):
    """Runs each trial as a task on a Dask cluster.

    Args:
        settings: The experiment's ``executor`` section (``type: dask``).
        gpus_per_trial: Each trial asks Dask for this many ``GPU`` resources, and
            the worker hands it that many of its devices.
        max_parallel_jobs: Workers of a LocalCluster when ``settings.workers`` is
            unset.
        grace: Seconds between SIGTERM and SIGKILL when a trial is ended.
        interval: Seconds between a worker's looks at a trial's files.
    """

    def __init__(
        self,
        settings: ExecutorSpec,
        *,
        gpus_per_trial: int = 0,
        max_parallel_jobs: int = 1,
        grace: float = GRACE_SECONDS,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        problems = executor_problems(settings, gpus_per_trial)
        if problems:
            raise EngineError(describe_problems(problems))
        self.settings = settings
        self.gpus_per_trial = gpus_per_trial
        self.workers = settings.workers or max_parallel_jobs
        self.grace = grace
        self.interval = interval
        self.client: Client | None = None
        self.cluster: LocalCluster | None = None
        self.topic = f"hpotui-{uuid.uuid4().hex}"
        self._fault: str | None = None
        self._closed = False
        self._connecting = asyncio.Lock()
        self._uploads: dict[Path, _Uploaded] = {}
        self._running: dict[str, DaskTrialHandle] = {}
        self._workers: set[str] = set()
        self._cleanups: set[asyncio.Future[None]] = set()

    @classmethod
    def for_experiment(cls, experiment: Experiment) -> DaskExecutor:
        """The executor an experiment with ``executor.type: dask`` asks for."""
        return cls(
            experiment.executor,
            gpus_per_trial=experiment.gpus_per_trial,
            max_parallel_jobs=experiment.limits.max_parallel_jobs,
        )

    @property
    def capacity(self) -> int | None:
        """A LocalCluster's worker count; None for a cluster of unknown size."""
        return self.workers if self.settings.cluster == "local" else None

    @property
    def fault(self) -> str | None:
        """Why no trial can run any more (the scheduler is gone), or None."""
        return self._fault

    @property
    def address(self) -> str:
        """The scheduler's address, once known."""
        if self.cluster is not None:
            return str(self.cluster.scheduler_address)
        return self.settings.address or "a LocalCluster"

    async def start(self, spec: TrialSpec) -> TrialHandle:
        """Write the trial's config.json here and submit it to the cluster.

        Raises:
            EngineError: The executor is closed or the model folder is missing.
        """
        if self._closed:
            raise EngineError("the Dask executor is closed; no trial can start")
        await self._connect()
        if self._fault is not None:
            return LostTrialHandle(spec, self._fault)
        uploaded = await self._upload(spec)
        await asyncio.to_thread(_prepare_local_folder, spec)
        handle = DaskTrialHandle(self, spec, self._job(spec, uploaded, attempt=1))
        self._running[handle.job.key] = handle
        return handle

    async def close(self) -> None:
        """End every running trial (STOPPED), then the client and any LocalCluster."""
        self._closed = True
        handles = list(self._running.values())
        reason = "the engine shut down"
        stopped = TrialState.STOPPED
        await asyncio.gather(*(h.terminate(stopped, reason) for h in handles))
        await asyncio.gather(*(h.wait() for h in handles), return_exceptions=True)
        await asyncio.gather(*self._cleanups, return_exceptions=True)
        if self.client is not None:
            await self._close_client(self.client)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                await self.cluster.close()

    async def _close_client(self, client: Client) -> None:
        # The order matters: the workers' waits on the scheduler end first (a
        # LocalCluster closing under them logs each as an error), then the
        # subscriptions (else the scheduler tells this closing client of its own
        # leaving), then the client.
        if self.cluster is not None and self._fault is None:
            await self._let_stop_watchers_end(client)
        for topic in (self.topic, "all"):
            try:
                client.unsubscribe_topic(topic)
            except Exception as err:  # the client already lost the scheduler
                logger.debug("cannot unsubscribe from %s: %s", topic, err)
        with contextlib.suppress(Exception):
            await client.close()

    async def _let_stop_watchers_end(self, client: Client) -> None:
        wait = client.run(wait_for_stop_watchers, STOP_WATCH_SECONDS, on_error="return")
        try:
            left = await asyncio.wait_for(wait, STOP_WATCH_SECONDS + CONNECT_SECONDS)
        except Exception as err:  # a worker too busy or gone: close regardless
            logger.debug("the Dask workers' stop watchers did not end: %s", err)
            return
        for worker, running in left.items():
            if running:  # an int, or the error the worker raised
                logger.debug("stop watchers left on %s: %s", worker, running)

    # -- used by the trial handles ----------------------------------------------

    def submit(self, job: RemoteJob) -> Future:
        """Send one run of a trial to the cluster."""
        assert self.client is not None
        resources = {"GPU": self.gpus_per_trial} if self.gpus_per_trial else None
        return self.client.submit(
            run_remote_trial, job, key=job.key, pure=False, resources=resources
        )

    def rerun(self, handle: DaskTrialHandle) -> RemoteJob:
        """A second run of a trial whose worker was lost, under a new key."""
        job = self._job(handle.spec, _Uploaded(handle.job.bundle), attempt=2)
        self._running.pop(handle.job.key, None)
        self._running[job.key] = handle
        return job

    def lost_scheduler(self, why: str) -> str:
        """Note that the scheduler is gone; returns the reason trials carry."""
        if self._fault is None:
            self._fault = (
                f"lost the Dask scheduler at {self.address} ({why}); finished "
                "trials are stored and running ones run again on resume"
            )
            logger.error("%s", self._fault)
            # The client retries the lost scheduler and, once closed, logs the
            # cancelled retry with a traceback; the fault is reported in words.
            for name in ("distributed.client", "distributed.utils"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        return self._fault

    def later(self, cleanup: Coroutine[Any, Any, None]) -> None:
        """Run a cleanup on the cluster without making the caller wait for it."""
        task = asyncio.ensure_future(cleanup)
        self._cleanups.add(task)
        task.add_done_callback(self._cleanups.discard)

    def ended(self, handle: DaskTrialHandle) -> None:
        """Forget a trial that has ended."""
        self._running.pop(handle.job.key, None)

    def event(self, name: str) -> Event:
        """The Dask event ``name`` on this executor's client."""
        return Event(name, client=self.client)

    # -- connection and uploads ---------------------------------------------------

    async def _connect(self) -> None:
        async with self._connecting:
            if self.client is not None or self._fault is not None:
                return
            try:
                if self.settings.cluster == "local":
                    self.cluster = await _local_cluster(self.workers)
                self.client = await _client(self.address)
            except Exception as err:  # OSError, TimeoutError, a bad address, ...
                self._fault = (
                    f"cannot reach the Dask scheduler at {self.address}: {err}; "
                    "check executor.address (or --dask-address) and that the "
                    "scheduler runs"
                )
                logger.error("%s", self._fault)
                return
            self.client.subscribe_topic(self.topic, self._on_event)
            # the scheduler's own events: workers joining and leaving
            self.client.subscribe_topic("all", self._on_cluster_event)
            logger.info("trials run on the Dask cluster at %s", self.address)
            await self._look_at_workers()

    async def _look_at_workers(self) -> None:
        assert self.client is not None
        # Client.scheduler_info() cannot be awaited, and for an asynchronous
        # client it returns a cached summary that may list no workers; the
        # scheduler's identity call lists every worker with its resources.
        try:
            info = await self.client.scheduler.identity()
        except Exception as err:  # only for warnings; the trials show the rest
            logger.warning("cannot list the Dask workers: %s", err)
            return
        workers = info.get("workers", {})
        self._workers.update(workers)
        if not workers:
            self._warn_no_workers()
        if not self.gpus_per_trial:
            return
        offered = [w.get("resources", {}).get("GPU", 0) for w in workers.values()]
        if not any(gpus >= self.gpus_per_trial for gpus in offered):
            logger.warning(
                "no Dask worker offers %d GPU resources yet; trials wait until one "
                "joins (start workers with --resources GPU=<count>)",
                self.gpus_per_trial,
            )

    async def _upload(self, spec: TrialSpec) -> _Uploaded:
        if self.settings.shared_path:
            return _Uploaded(None)
        model_dir = Path(spec.model_dir).absolute()
        known = self._uploads.get(model_dir)
        if known is not None:
            return known
        avoid = Path(spec.workdir).parent
        digest, payload = await asyncio.to_thread(pack_model, model_dir, avoid)
        assert self.client is not None
        plugin = ModelFiles(digest, payload)
        await self.client.register_plugin(plugin, name=plugin.name)  # type: ignore[misc]
        size = len(payload) // 1024
        logger.info("model folder %s sent to the workers (%d kB)", model_dir, size)
        self._uploads[model_dir] = _Uploaded(digest)
        return self._uploads[model_dir]

    def _job(self, spec: TrialSpec, uploaded: _Uploaded, attempt: int) -> RemoteJob:
        token = uuid.uuid4().hex
        key = f"hpotui-trial-{spec.trial_id}-{attempt}-{token}"
        return RemoteJob(
            spec=spec,
            key=key,
            attempt=attempt,
            topic=self.topic,
            stop_event=f"{key}-stop",
            started_event=f"{key}-started",
            bundle=uploaded.digest,
            gpus_per_trial=self.gpus_per_trial,
            grace=self.grace,
            interval=self.interval,
        )

    def _on_cluster_event(self, event: tuple[float, dict]) -> None:
        _, message = event
        action, worker = message.get("action"), message.get("worker")
        if self._closed or not isinstance(worker, str):
            return
        if action == "add-worker":
            self._workers.add(worker)
        elif action == "remove-worker":
            self._workers.discard(worker)
            logger.info("Dask worker %s left the cluster", worker)
            for handle in list(self._running.values()):
                handle.lose_worker(worker)
            if not self._workers:
                self._warn_no_workers()

    def _warn_no_workers(self) -> None:
        logger.warning(
            "no Dask worker is left at %s; the experiment waits for workers to "
            "join (start one with `dask worker %s`)",
            self.address,
            self.address,
        )

    def _on_event(self, event: tuple[float, dict]) -> None:
        _, message = event
        handle = self._running.get(message.get("key", ""))
        if handle is not None:
            handle.take(message)


async def _client(address: str) -> Client:
    client = Client(address, asynchronous=True, timeout=CONNECT_SECONDS)
    try:
        await client
    except BaseException:
        # an unawaited close would warn "coroutine never awaited" when collected
        with contextlib.suppress(Exception):
            await client.close()
        raise
    return client


async def _local_cluster(workers: int) -> LocalCluster:
    # One thread per worker: a worker runs one trial at a time, like a GPU box.
    return await LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        asynchronous=True,
        scheduler_port=0,
        # The scheduler always serves its health and metrics routes over HTTP, on
        # port 8787 when no address is given (a warning if that port is taken);
        # bind them to a free loopback port and leave the dashboard off.
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
    )


def _prepare_local_folder(spec: TrialSpec) -> None:
    paths = trial_paths(spec.workdir)
    paths.workdir.mkdir(parents=True, exist_ok=True)
    write_config(paths.config, spec.config)
    paths.result_dir.mkdir(exist_ok=True)
    paths.log_dir.mkdir(exist_ok=True)
