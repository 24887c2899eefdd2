"""Where a trial's process runs: the interface shared by the local and Dask executors.

The scheduler hands an executor a :class:`TrialSpec` and gets back a
:class:`TrialHandle`: it polls the handle for live metric records and log lines while
the trial runs, may terminate it, and awaits its :class:`TrialOutcome`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpotui.records import MetricRecord
from hpotui.states import TrialState


@dataclass(frozen=True)
class TrialSpec:
    """Everything needed to run one trial, on this machine or another.

    Attributes:
        experiment: The experiment's name.
        trial_id: The trial's id, unique within the experiment.
        workdir: The trial's own folder; the model files are copied into it and the
            command runs there, next to its ``config.json``.
        model_dir: The folder whose files the trial runs.
        command: The training command, split into words (never run by a shell).
        config: What ``config.json`` holds: hyperparameters plus extra keys.
        env: Variables added to the trial's environment (e.g. CUDA_VISIBLE_DEVICES).
        metric: The objective metric key, checked in every metrics file.
    """

    experiment: str
    trial_id: int
    workdir: Path
    model_dir: Path
    command: list[str]
    config: dict[str, Any]
    metric: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended.

    Attributes:
        state: FINISHED, FAILED, STOPPED or PRUNED.
        records: Every record of its ``val_dict_list.json``, sorted by step.
        reason: Why it failed or stopped, in words a user can act on.
        exit_code: The process's exit status, negative for a signal; None if it
            never ran.
    """

    state: TrialState
    records: list[MetricRecord]
    reason: str | None = None
    exit_code: int | None = None


class TrialHandle(ABC):
    """A running trial."""

    def __init__(self, spec: TrialSpec) -> None:
        self.spec = spec

    @abstractmethod
    async def poll(self) -> tuple[list[MetricRecord], list[str]]:
        """The metric records and log lines that appeared since the last poll.

        A half-written or empty metrics file means no new records, never an error.
        """

    @abstractmethod
    async def terminate(self, state: TrialState, reason: str) -> None:
        """End the trial's whole process group: SIGTERM, then SIGKILL after a grace.

        The outcome then carries ``state`` and ``reason``.
        """

    @abstractmethod
    async def wait(self) -> TrialOutcome:
        """Wait for the trial to end and read its final metrics."""


class Executor(ABC):
    """Starts trials somewhere."""

    @property
    def capacity(self) -> int | None:
        """How many trials can run here at once (e.g. GPUs per trial allow), or
        None when only the experiment's ``max_parallel_jobs`` limits it.

        :meth:`start` waits for room when more are asked for, so a scheduler
        should keep ``min(max_parallel_jobs, capacity)`` trials running.
        """
        return None

    @property
    def fault(self) -> str | None:
        """Why no trial can run here any more (e.g. a cluster's scheduler is gone),
        or None. The scheduler then stops the experiment with this reason, leaving
        it resumable.
        """
        return None

    @abstractmethod
    async def start(self, spec: TrialSpec) -> TrialHandle:
        """Prepare the trial's folder and start its process."""

    async def close(self) -> None:
        """Stop everything still running and release resources."""
