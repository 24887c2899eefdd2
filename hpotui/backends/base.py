"""The one async interface that the dashboard and the command line talk to.

:class:`LocalBackend` drives the embedded engine; :class:`WmlaBackend` speaks the
WML-A REST API. Nothing above this layer knows which one it has.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpotui.engine.events import Event
from hpotui.experiment.model import Experiment
from hpotui.records import ExperimentSummary, TrialRecord


@dataclass(frozen=True)
class ExperimentDetail:
    """An experiment with its trials and, where known, its definition."""

    summary: ExperimentSummary
    trials: list[TrialRecord]
    experiment: Experiment | None = None


@dataclass(frozen=True)
class LogTail:
    """The last lines of a trial's log, and where the whole file is."""

    lines: list[str]
    path: str | None
    truncated: bool


@dataclass(frozen=True)
class AlgorithmInfo:
    name: str
    type: str
    """``BUILD_IN`` or ``USER_PLUGIN``, as WML-A spells them."""
    details: dict[str, Any]


class Backend(ABC):
    """Where experiments live and run."""

    label: str = ""
    """Shown in the status bar: ``embedded`` or the remote profile's name."""
    warning: str | None = None
    """A caution to keep in view while this backend is in use (TLS checks off)."""

    @abstractmethod
    async def list_experiments(self) -> list[ExperimentSummary]: ...

    @abstractmethod
    async def get_experiment(self, name: str) -> ExperimentDetail: ...

    @abstractmethod
    async def submit(self, experiment: Experiment) -> str:
        """Start an experiment; returns its name (which may differ from the file's)."""

    @abstractmethod
    async def stop(self, name: str) -> None: ...

    @abstractmethod
    async def delete(self, name: str) -> None: ...

    @abstractmethod
    def events(self, name: str) -> AsyncIterator[Event]:
        """Every event of the experiment from the start, then live ones to its end."""

    async def resume(self, name: str) -> None:
        raise NotImplementedError(f"{self.label} cannot resume experiments")

    async def stop_trial(self, name: str, trial_id: int) -> None:
        raise NotImplementedError(f"{self.label} cannot stop single trials")

    async def retry_failed(self, name: str) -> int:
        """Queue the failed trials again; returns how many."""
        raise NotImplementedError(f"{self.label} cannot retry trials")

    async def trial_log(self, name: str, trial_id: int, lines: int = 200) -> LogTail:
        raise NotImplementedError(f"{self.label} keeps no trial logs")

    async def download_results(self, name: str, trial_id: int, dest: Path) -> Path:
        raise NotImplementedError(f"{self.label} has no results to download")

    async def list_algorithms(self) -> list[AlgorithmInfo]:
        raise NotImplementedError(f"{self.label} lists no algorithms")

    async def install_algorithm(self, name: str, folder: Path) -> None:
        raise NotImplementedError(f"{self.label} cannot install algorithms")

    async def delete_algorithm(self, name: str) -> None:
        raise NotImplementedError(f"{self.label} cannot delete algorithms")

    async def close(self) -> None:
        """Release connections and stop owned tasks."""
