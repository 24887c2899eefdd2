"""The local record of tasks submitted to remote servers from this account.

A task is recorded only once the server has accepted it, so a refused submit leaves
nothing behind. The record keeps what the server does not echo (the metric, the goal,
each parameter's type) and the last state seen; losing the session never marks a
task failed here, because the task keeps running on the cluster.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hpotui.backends.profiles import config_dir, write_private_json
from hpotui.backends.wmla.parse import TaskFacts

# TODO: keep these records in the workspace store next to local experiments, so
# that `list` shows both in one table; waits for the store's remote-task table.


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

    def facts(self) -> TaskFacts:
        return TaskFacts(
            self.algorithm, self.metric, self.goal, self.max_jobs, self.param_types
        )


class TaskBook:
    """Remote tasks by profile and name, in an owner-only JSON file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "remote_tasks.json"

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _key(profile: str, name: str) -> str:
        return f"{profile}/{name}"

    def get(self, profile: str, name: str) -> RemoteTask | None:
        entry = self._load().get(self._key(profile, name))
        try:
            return RemoteTask(**entry) if isinstance(entry, dict) else None
        except TypeError:
            return None

    def all(self, profile: str) -> list[RemoteTask]:
        tasks = [self.get(profile, key.split("/", 1)[1]) for key in self._load()
                 if key.startswith(f"{profile}/")]
        return [task for task in tasks if task is not None]

    def put(self, task: RemoteTask) -> None:
        data = self._load()
        data[self._key(task.profile, task.name)] = asdict(task)
        write_private_json(self.path, data)

    def set_state(self, profile: str, name: str, state: str) -> None:
        task = self.get(profile, name)
        if task is not None and task.state != state:
            task.state = state
            self.put(task)

    def remove(self, profile: str, name: str) -> None:
        data = self._load()
        if data.pop(self._key(profile, name), None) is not None:
            write_private_json(self.path, data)
