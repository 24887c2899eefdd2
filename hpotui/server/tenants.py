"""One workspace per user: what keeps users of ``hpotui serve`` apart.

Each account gets its own workspace folder (store, trial folders, plugins) and its
own :class:`LocalBackend`, so one user can neither see nor touch another's tasks.

A task outlives the server: when the server stops it notes the tasks it was
running, and on start-up it resumes those and any task a killed server left
RUNNING, so clients that follow a task see it finish.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from hpotui.backends.local import LocalBackend
from hpotui.backends.wmla.archive import unpack_safely
from hpotui.engine.executor import Executor
from hpotui.errors import HpotuiError
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary
from hpotui.states import ExperimentState
from hpotui.store.workspace import DB_NAME

logger = logging.getLogger(__name__)

_RESUME_FILE = "resume_on_start.json"
"""In a user's workspace: the tasks the server was running when it stopped."""


def new_task_name(user: str) -> str:
    """A fresh ``<user>-hpo-<16 digits>`` name, the form WML-A uses."""
    return f"{user}-hpo-{secrets.randbelow(9 * 10**15) + 10**15}"


def model_root(folder: Path) -> Path:
    """The model folder of an unpacked upload: its single top-level folder, if any.

    Notebooks tar the model folder itself, so the archive holds one folder; an
    archive of loose files is the model folder as it is.
    """
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return folder


def unpack_upload(archive: Path, target: Path, max_bytes: int | None = None) -> Path:
    """Unpack an uploaded tar (gzip or plain) safely and return the model folder.

    This reads the whole archive; call it in a thread, not on the event loop.

    Raises:
        ValueError: The upload is not a tar archive.
        UnpackedSizeError: It would unpack to more than ``max_bytes``.
    """
    if not tarfile.is_tarfile(archive):
        raise ValueError("the file part is not a tar archive (gzip or plain)")
    unpack_safely(archive, target, max_bytes)
    return model_root(target)


class Tenants:
    """The backends of every user, created when first needed.

    Args:
        root: The server's folder; user ``u`` works in ``root/users/u``.
        executor_factory: Passed to each LocalBackend (tests run trials inline).
    """

    def __init__(
        self,
        root: Path,
        executor_factory: Callable[[Experiment], Executor] | None = None,
    ) -> None:
        self.root = root
        self._executor_factory = executor_factory
        self._backends: dict[str, LocalBackend] = {}

    def workspace(self, user: str) -> Path:
        return self.root / "users" / user

    def backend(self, user: str) -> LocalBackend:
        if user not in self._backends:
            self._backends[user] = LocalBackend(
                self.workspace(user), executor_factory=self._executor_factory
            )
        return self._backends[user]

    def upload_dir(self, user: str, task: str) -> Path:
        """Where the model folder of ``task`` is unpacked; it stays for re-runs."""
        return self.workspace(user) / "uploads" / task

    def scratch(self, user: str) -> Path:
        """A fresh temporary folder inside the user's workspace."""
        base = self.workspace(user) / "tmp"
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))

    @staticmethod
    def discard(folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    async def resume_all(self) -> list[str]:
        """Continue every task that was running when the server last went down.

        Returns:
            The names of the tasks resumed.
        """
        users = self.root / "users"
        folders = sorted(users.iterdir()) if users.is_dir() else []
        resumed: list[str] = []
        for folder in folders:
            if (folder / DB_NAME).is_file():
                resumed += await self._resume_user(folder.name)
        return resumed

    async def _resume_user(self, user: str) -> list[str]:
        backend = self.backend(user)
        noted = _take_noted(self.workspace(user) / _RESUME_FILE)
        resumed: list[str] = []
        for summary in await backend.list_experiments():
            if not _was_running(summary, noted):
                continue
            try:
                await backend.resume(summary.name)
            except HpotuiError as err:
                logger.warning("cannot resume %s: %s", summary.name, err.message)
                continue
            logger.info("resumed %s of %s after a restart", summary.name, user)
            resumed.append(summary.name)
        return resumed

    async def close(self) -> None:
        """Interrupt every running task, noting it so the next start resumes it."""
        for user, backend in self._backends.items():
            running = backend.running()
            if running:
                path = self.workspace(user) / _RESUME_FILE
                path.write_text(json.dumps(running))
            await backend.close()
        self._backends.clear()


def _take_noted(path: Path) -> set[str]:
    """The task names in ``path``, which is removed; a damaged file is logged."""
    if not path.exists():
        return set()
    try:
        names = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        logger.warning("ignoring %s: %s", path, err)
        names = []
    path.unlink(missing_ok=True)
    if not isinstance(names, list):
        return set()
    return {n for n in names if isinstance(n, str)}


def _was_running(summary: ExperimentSummary, noted: set[str]) -> bool:
    """Left RUNNING by a killed server, or interrupted by a server that stopped."""
    if summary.owner is not None:
        return False
    if not summary.state.is_final:
        return True
    return summary.name in noted and summary.state is ExperimentState.STOPPED
