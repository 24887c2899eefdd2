"""Stopping, interrupting and retrying a running experiment, and how a run ended.

These are the scheduler's controls, reached directly from the process that runs it
or, from any other process, through requests left in the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hpotui.engine import events as ev
from hpotui.states import ExperimentState, TrialState

if TYPE_CHECKING:
    from hpotui.engine.ledger import Ledger
    from hpotui.engine.trials import TrialLauncher
    from hpotui.store import Store

logger = logging.getLogger(__name__)

_INTERRUPTED = "engine interrupted while the trial ran; resume re-runs it"


@dataclass(frozen=True)
class RunResult:
    """How a session of the engine ended."""

    name: str
    state: ExperimentState
    reason: str | None
    interrupted: bool = False


@dataclass(frozen=True)
class Halt:
    """Why the loop ends early: the state running trials and the experiment get."""

    trial_state: TrialState
    trial_reason: str
    state: ExperimentState
    reason: str
    interrupted: bool = False


class SchedulerControls:
    """The scheduler's controls; the scheduler provides the attributes below."""

    name: str
    store: Store
    ledger: Ledger
    launcher: TrialLauncher
    _halt: Halt | None

    def _emit(self, event: ev.Event) -> None:
        raise NotImplementedError

    def stop(self, reason: str = "stopped by user") -> None:
        """End the experiment STOPPED; running trials are terminated as STOPPED."""
        self._halt = self._halt or Halt(
            TrialState.STOPPED, reason, ExperimentState.STOPPED, reason
        )

    def interrupt(self) -> None:
        """End now, leaving the experiment resumable: running trials re-run later."""
        reason = f"interrupted; `hpotui resume {self.name}` continues it"
        self._halt = Halt(
            TrialState.INTERRUPTED,
            _INTERRUPTED,
            ExperimentState.STOPPED,
            reason,
            interrupted=True,
        )

    def stop_trial(self, trial_id: int, reason: str = "stopped by user") -> None:
        """Terminate one running trial (STOPPED), or drop a queued one."""
        if self.launcher.terminate(trial_id, TrialState.STOPPED, reason):
            return
        for queued in list(self.ledger.queued):
            if queued.id == trial_id:
                self.ledger.queued.remove(queued)
                self.store.end_trial(
                    self.name, trial_id, TrialState.STOPPED, reason=reason
                )
                self._emit(
                    ev.TrialEnded(
                        self.name, trial_id, TrialState.STOPPED, reason=reason
                    )
                )

    def retry_failed(self) -> int:
        """Queue every failed trial again under a new id; returns how many."""
        failed = sorted(self.ledger.failed.values(), key=lambda trial: trial.id)
        for trial in failed:
            self.ledger.supersede(trial.id)
            new_id = self.store.add_trial(
                self.name, trial.params, trial.extra, trial.meta, retry_of=trial.id
            )
            self.ledger.counted += 1
            queued = self.store.trial(self.name, new_id)
            assert queued is not None
            self.ledger.queued.append(queued)
        return len(failed)

    def _obey(self, kind: str, trial_id: int | None) -> None:
        logger.info("request %s for %s (trial %s)", kind, self.name, trial_id)
        if kind == "stop":
            self.stop()
        elif kind == "stop_trial" and trial_id is not None:
            self.stop_trial(trial_id)
        elif kind == "retry_failed":
            self.retry_failed()
