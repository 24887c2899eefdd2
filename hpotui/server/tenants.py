"""One workspace per user: what keeps users of ``hpotui serve`` apart.

Each account gets its own workspace folder (store, trial folders, plugins) and its
own :class:`LocalBackend`, so one user can neither see nor touch another's tasks.
"""

from __future__ import annotations

import secrets
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from hpotui.backends.local import LocalBackend
from hpotui.backends.wmla.archive import unpack_safely
from hpotui.engine.executor import Executor
from hpotui.experiment.model import Experiment


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


def unpack_upload(archive: Path, target: Path) -> Path:
    """Unpack an uploaded tar (gzip or plain) safely and return the model folder.

    Raises:
        ValueError: The upload is not a tar archive.
    """
    if not tarfile.is_tarfile(archive):
        raise ValueError("the file part is not a tar archive (gzip or plain)")
    unpack_safely(archive, target)
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

    async def close(self) -> None:
        for backend in self._backends.values():
            await backend.close()
        self._backends.clear()
