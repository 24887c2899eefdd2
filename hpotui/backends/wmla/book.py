"""The local record of tasks submitted to remote servers from this account.

A task is recorded only once the server has accepted it, so a refused submit leaves
nothing behind. The record keeps what the server does not echo (the metric, the goal,
each parameter's type, the Hyperband resource) and the last state seen; losing the
session never marks a task failed here, because the task keeps running on the
cluster.

The record lives in the per-user config folder, next to the profiles and tokens it
belongs with, rather than in a workspace's store: a task on a cluster is reached
through a profile from any folder, and the server itself is the source of truth
for its trials. Updates take a lock, so that ``run --detach`` in one terminal and
``attach`` in another cannot lose each other's entries; records written by other
versions of hpotui (fields missing or added) are read with what they have.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from hpotui.backends.profiles import config_dir, write_private_json
from hpotui.backends.wmla.parse import TaskFacts

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    # TODO: lock the record on Windows too (msvcrt.locking); until then two
    # hpotui processes submitting at the same instant may lose one entry there.
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)


@dataclass
class RemoteTask:
    """One submitted task as remembered on this machine."""

    name: str
    profile: str
    experiment: str
    algorithm: str = ""
    metric: str = ""
    goal: str = ""
    max_jobs: int | None = None
    param_types: dict[str, str] = field(default_factory=dict)
    state: str = "SUBMITTED"
    resource: str | None = None
    """The Hyperband resource key, listed by WML-A among each trial's parameters."""

    def facts(self) -> TaskFacts:
        return TaskFacts(
            self.algorithm, self.metric, self.goal, self.max_jobs, self.param_types,
            self.resource,
        )  # fmt: skip


_FIELDS = {f.name for f in fields(RemoteTask)}


def _record(key: str, entry: Any) -> RemoteTask | None:
    """A record read back, tolerating fields older or newer versions wrote."""
    if not isinstance(entry, dict):
        return None
    profile, _, name = key.partition("/")
    known = {k: v for k, v in entry.items() if k in _FIELDS}
    known.setdefault("profile", profile)
    known.setdefault("name", name)
    known.setdefault("experiment", name)
    try:
        return RemoteTask(**known)
    except TypeError as err:
        logger.warning("skipping the unreadable remote-task record %s: %s", key, err)
        return None


class TaskBook:
    """Remote tasks by profile and name, in an owner-only JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "remote_tasks.json"

    def _load(self) -> tuple[dict[str, Any], bool]:
        """The entries, and whether the file exists but could not be read."""
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}, False
        except (OSError, ValueError) as err:
            logger.warning(
                "cannot read the record of remote tasks %s (%s); hpotui starts a new "
                "one and keeps the old file beside it as .unreadable", self.path, err,
            )  # fmt: skip
            return {}, True
        if not isinstance(data, dict):
            logger.warning("%s is not a JSON object; it is kept as .unreadable",
                           self.path)
            return {}, True
        return data, False

    @contextmanager
    def _locked(self) -> Iterator[None]:
        if fcntl is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = self.path.with_name(f".{self.path.name}.lock")
        with lock.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _update(self, change: Callable[[dict[str, Any]], bool]) -> None:
        """Apply ``change`` to the entries under the lock; write if it says so."""
        with self._locked():
            data, unreadable = self._load()
            if not change(data):
                return
            if unreadable:
                self.path.replace(self.path.with_name(f"{self.path.name}.unreadable"))
            write_private_json(self.path, data)

    @staticmethod
    def _key(profile: str, name: str) -> str:
        return f"{profile}/{name}"

    def get(self, profile: str, name: str) -> RemoteTask | None:
        key = self._key(profile, name)
        return _record(key, self._load()[0].get(key))

    def all(self, profile: str) -> list[RemoteTask]:
        data = self._load()[0]
        tasks = [_record(key, entry) for key, entry in data.items()
                 if key.startswith(f"{profile}/")]
        return [task for task in tasks if task is not None]

    def put(self, task: RemoteTask) -> None:
        def change(data: dict[str, Any]) -> bool:
            data[self._key(task.profile, task.name)] = asdict(task)
            return True

        self._update(change)

    def set_state(self, profile: str, name: str, state: str) -> None:
        key = self._key(profile, name)

        def change(data: dict[str, Any]) -> bool:
            entry = data.get(key)
            if not isinstance(entry, dict) or entry.get("state") == state:
                return False
            entry["state"] = state
            return True

        if (known := self.get(profile, name)) is not None and known.state != state:
            self._update(change)

    def remove(self, profile: str, name: str) -> None:
        key = self._key(profile, name)
        self._update(lambda data: data.pop(key, None) is not None)
