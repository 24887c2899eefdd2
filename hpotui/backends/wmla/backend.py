"""The WML-A backend: hpotui's Backend interface over the HPO REST API.

Remote tasks become the same summaries, trials and events as local experiments, so
the dashboard and the command line work unchanged on a cluster.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from hpotui.backends.base import AlgorithmInfo, Backend, ExperimentDetail
from hpotui.backends.profiles import Profile
from hpotui.backends.wmla.archive import pack_folder
from hpotui.backends.wmla.auth import Credentials
from hpotui.backends.wmla.book import RemoteTask, TaskBook
from hpotui.backends.wmla.errors import (
    AuthenticationError,
    MonitoringDetachedError,
    MonitoringGaveUpError,
    MonitoringLostServerError,
    RemoteError,
    RemoteRefusedError,
    RemoteUnreachableError,
)
from hpotui.backends.wmla.execs import ExecFiles
from hpotui.backends.wmla.http import WmlaHttp, insecure_warning
from hpotui.backends.wmla.monitor import (
    PollPacer,
    TaskDiff,
    UnknownStateWatch,
)
from hpotui.backends.wmla.parse import (
    TaskFacts,
    parse_submit_response,
    task_from_json,
)
from hpotui.backends.wmla.upload import MultipartUpload, check_request
from hpotui.engine.events import Event, ExperimentStateChanged
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary
from hpotui.states import TrialState

logger = logging.getLogger(__name__)


def _task_path(name: str) -> str:
    return f"/hypersearch/{quote(name, safe='')}"


def _record_of(body: dict[str, Any], profile: str) -> RemoteTask:
    """What a raw request body tells of its task, for the local record."""
    algo = body.get("algoDef", {})
    params = {p.get("name"): p.get("value") for p in algo.get("algoParams") or ()
              if isinstance(p, dict)}
    resource = params.get("ResourceName")
    return RemoteTask(
        "", profile, "", algo.get("algorithm", ""), algo.get("objectiveMetric", ""),
        algo.get("objective", ""), algo.get("maxJobNum"),
        resource=resource if isinstance(resource, str) else None,
    )  # fmt: skip


class WmlaBackend(ExecFiles, Backend):
    """A WML-A cluster (or ``hpotui serve``) reached through one profile.

    Args:
        profile: The endpoint, user and logon mode.
        password: Kept in memory only; Basic mode needs it, token and session modes
            use it to log on again when the saved session expires.
        transport: Replaces the network in tests.
        book: The local record of submitted tasks.
        fastest_poll: The shortest wait between two polls, in seconds.
        sleep: The wait function between polls and retries.
        clock: Seconds from a monotonic clock (tests pass a fake one).
        **http_options: ``retries``, ``backoff``, ``timeout`` for :class:`WmlaHttp`.
    """

    def __init__(
        self,
        profile: Profile,
        password: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        book: TaskBook | None = None,
        fastest_poll: float = 2.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        **http_options: Any,
    ) -> None:
        self.profile = profile
        self.label = profile.name
        self.warning = insecure_warning(profile)
        self.credentials = Credentials.from_store(profile, password)
        self.http = WmlaHttp(
            self.credentials, transport=transport, sleep=sleep, clock=clock,
            **http_options,
        )
        self.book = book or TaskBook()
        self.fastest_poll = fastest_poll
        self._sleep = sleep
        self._clock = clock

    async def close(self) -> None:
        await self.http.close()

    async def log_on(self) -> None:
        """Log on now, or for Basic and bearer check the credentials with a call."""
        if self.profile.auth in ("session", "token"):
            await self.http.log_on()
        else:
            await self.http.json("GET", "/hypersearch/algorithm")

    def _facts(self, name: str) -> TaskFacts:
        task = self.book.get(self.profile.name, name)
        return task.facts() if task else TaskFacts()

    async def list_experiments(self) -> list[ExperimentSummary]:
        body = await self.http.json("GET", "/hypersearch")
        items = body if isinstance(body, list) else []
        facts = {task.name: task.facts() for task in self.book.all(self.profile.name)}
        return [
            task_from_json(item, facts.get(str(item.get("hpoName")), TaskFacts()))[0]
            for item in items
            if isinstance(item, dict)
        ]

    async def get_experiment(self, name: str) -> ExperimentDetail:
        return await self._detail(name)

    async def _detail(self, name: str, reconnect: float = 0.0) -> ExperimentDetail:
        body = await self.http.json(
            "GET", _task_path(name), reconnect_window=reconnect
        )
        if not isinstance(body, dict):
            raise RemoteError(
                f"The server has no task named {name}; `hpotui --profile "
                f"{self.profile.name} list` shows the ones it has."
            )
        summary, trials = task_from_json(body, self._facts(name))
        return ExperimentDetail(summary, trials)

    async def submit(self, experiment: Experiment) -> str:
        # Imported here: the converter belongs to the experiment package and is
        # only needed when submitting.
        from hpotui.experiment.wmla import to_wmla_request

        body = to_wmla_request(experiment)
        record = RemoteTask(
            name="",
            profile=self.profile.name,
            experiment=experiment.name,
            algorithm=experiment.algorithm.name,
            metric=experiment.objective.metric,
            goal=experiment.objective.goal,
            max_jobs=experiment.limits.max_jobs,
            param_types={hp.name: hp.type for hp in experiment.hyperparams},
            resource=(experiment.algorithm.options.get("resource") or {}).get("name"),
        )
        source = str(experiment.source or experiment.name)
        return await self.submit_request(body, experiment.model.dir, source, record)

    async def submit_request(
        self,
        body: dict[str, Any],
        model_dir: Path,
        source: str = "the request",
        record: RemoteTask | None = None,
    ) -> str:
        """Submit a ready WML-A request body with its model folder.

        The task is recorded locally only after the server accepted it.

        Raises:
            ExperimentFileError: The body or folder is unusable; nothing was sent.
            RemoteError: The server refused or could not be reached.
        """
        check_request(body, model_dir, source)
        archive = pack_folder(model_dir, ".modelDir.tar")
        upload = MultipartUpload(body, archive, f"{model_dir.name}.modelDir.tar")
        try:
            answer = await self.http.json("POST", "/hypersearch", files=upload)
        finally:
            upload.close()
            archive.unlink(missing_ok=True)
        try:
            name = parse_submit_response(answer)
        except ValueError as err:
            raise RemoteError(f"The server accepted the task but {err}.") from err
        record = record or _record_of(body, self.profile.name)
        record.name = name
        record.experiment = record.experiment or name
        self.book.put(record)
        logger.info("submitted %s to %s as %s", source, self.profile.name, name)
        return name

    async def stop(self, name: str) -> None:
        await self.request_stop(name)

    async def request_stop(self, name: str) -> bool:
        """Ask the server to stop the task.

        Returns:
            False when the server answered that it had already stopped.
        """
        try:
            await self.http.send("PUT", _task_path(name))
        except RemoteRefusedError as err:
            if err.status == 400 and "already stopped" in err.excerpt:
                logger.info("%s was already stopped", name)
                return False
            raise
        return True

    async def delete(self, name: str) -> None:
        await self.http.send("DELETE", _task_path(name))
        self.book.remove(self.profile.name, name)

    async def events(self, name: str) -> AsyncIterator[Event]:
        """Poll the task until it reaches a known end state, yielding what changed.

        A state hpotui does not know (RECOVERPEND, ...) is shown as the server
        words it and polled on; after the profile's ``unknown_state_notice`` a
        message says how long it has lasted, and after ``unknown_state_limit``
        monitoring stops without marking the task failed.

        Raises:
            MonitoringDetachedError: The session expired and logging on again
                failed; the task and its local record are left as they are.
            MonitoringGaveUpError: The task stayed in one unknown state past the
                limit; the task and its local record are left as they are.
        """
        diff = TaskDiff(name)
        pacer = PollPacer(self.fastest_poll, self.profile.poll_interval)
        watch = UnknownStateWatch(
            self.profile.unknown_state_notice, self.profile.unknown_state_limit
        )
        while True:
            detail = await self._poll(name)
            summary = detail.summary
            changes = diff.update(summary, detail.trials)
            for event in changes:
                yield event
            self.book.set_state(self.profile.name, name, summary.state.value)
            if summary.state.is_final and summary.remote_state is None:
                return
            now = self._clock()
            notice = watch.observe(summary.remote_state, now)
            if watch.gave_up(now):
                raise MonitoringGaveUpError(
                    name, self.profile.name, str(watch.state), watch.elapsed(now)
                )
            if notice is not None:
                logger.warning("%s: %s", name, notice)
                yield ExperimentStateChanged(name, summary.state, notice)
            waiting = any(t.state is TrialState.QUEUED for t in detail.trials)
            await self._sleep(pacer.next_wait(bool(changes), waiting))

    async def _poll(self, name: str) -> ExperimentDetail:
        try:
            # A server restarting refuses connections for a moment; ride it out.
            return await self._detail(name, self.profile.reconnect_window)
        except AuthenticationError as err:
            raise MonitoringDetachedError(name, self.profile.name) from err
        except RemoteUnreachableError as err:
            raise MonitoringLostServerError(name, self.profile.name, err) from err

    async def list_algorithms(self) -> list[AlgorithmInfo]:
        body = await self.http.json("GET", "/hypersearch/algorithm")
        return [
            AlgorithmInfo(str(item.get("name", "")), str(item.get("type", "")), item)
            for item in (body if isinstance(body, list) else [])
            if isinstance(item, dict)
        ]

    async def get_algorithm(self, name: str) -> AlgorithmInfo | None:
        """One algorithm's descriptor; None when the server has none by that name."""
        try:
            body = await self.http.json("GET", f"/hypersearch/algorithm/{quote(name)}")
        except RemoteRefusedError as err:
            if err.status == 404:
                return None
            raise
        # Some builds answer an unknown name with an empty 2xx body, not 404.
        if not isinstance(body, dict) or not body:
            return None
        return AlgorithmInfo(str(body.get("name", name)), str(body.get("type")), body)

    async def install_algorithm(
        self,
        name: str,
        folder: Path,
        log_level: str | None = None,
        replace: bool = False,
    ) -> None:
        """Upload ``folder`` (with optimizer.py at its root) as the plugin ``name``.

        Args:
            name: The plugin's name.
            folder: The plugin folder.
            log_level: The plugin logger's level; the server's default if None.
            replace: Replace a plugin of that name. WML-A has no such option;
                this sends hpotui's own query parameter ``replace=true``, which
                ``hpotui serve`` honours.
        """
        if not (folder / "optimizer.py").is_file():
            raise RemoteError(
                f"{folder} has no optimizer.py; a plugin folder holds optimizer.py "
                "with a PluginOptimizer class."
            )
        archive = pack_folder(folder, ".tar", flatten=True)
        data = {"name": name} if log_level is None else {
            "name": name, "logLevel": log_level.upper()
        }
        upload = MultipartUpload(data, archive, f"{name}.tar")
        try:
            # TODO: a WML-A cluster ignores replace=true and may refuse a name in
            # use; deleting first would lose the old plugin if the upload then
            # failed, so it waits on seeing how a cluster words that refusal.
            params = {"replace": "true"} if replace else None
            await self.http.send(
                "POST", "/hypersearch/algorithm/install", params=params, files=upload
            )
        finally:
            upload.close()
            archive.unlink(missing_ok=True)

    async def delete_algorithm(self, name: str) -> None:
        await self.http.send("DELETE", f"/hypersearch/algorithm/{quote(name)}")
