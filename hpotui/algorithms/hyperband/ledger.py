"""What has run in each rung, rebuilt from the trials' metadata on every call.

Hyperband algorithms keep no state of their own: each suggestion carries its
bracket, rung and configuration id in ``Suggestion.meta``, and the engine hands
that back with every observation. Rebuilding the ledger from history makes a
resumed experiment continue exactly where it stopped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hpotui.algorithms.base import Observation, Suggestion

BracketKey = tuple[int, int]
"""``(iteration, s)``: which pass over the brackets, and which bracket."""


@dataclass
class RungLedger:
    """The trials of one rung.

    Attributes:
        issued: Configuration ids suggested at this rung (ended or running).
        ended: How many of them have ended, in any state.
        losses: Configuration id to loss, for the trials that gave one.
        params: Configuration id to its hyperparameters.
        trials: Configuration id to the trial that ran it here.
    """

    issued: set[int] = field(default_factory=set)
    ended: int = 0
    losses: dict[int, float] = field(default_factory=dict)
    params: dict[int, dict[str, Any]] = field(default_factory=dict)
    trials: dict[int, int] = field(default_factory=dict)

    def best(self, count: int) -> list[int]:
        """The ``count`` configuration ids with the smallest loss, ties by id."""
        ranked = sorted(self.losses, key=lambda config: (self.losses[config], config))
        return ranked[:count]


class Ledger:
    """Rungs of every bracket touched so far, keyed by ``(iteration, s)``."""

    def __init__(
        self, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> None:
        self._rungs: dict[BracketKey, dict[int, RungLedger]] = defaultdict(
            lambda: defaultdict(RungLedger)
        )
        for observation in history:
            rung = self._rung_of(observation.meta)
            if rung is None:
                continue
            config = int(observation.meta["config_id"])
            rung.issued.add(config)
            rung.ended += 1
            rung.params[config] = observation.params
            rung.trials[config] = observation.trial_id
            if observation.succeeded and observation.loss is not None:
                rung.losses[config] = observation.loss
        for suggestion in running:
            rung = self._rung_of(suggestion.meta)
            if rung is not None:
                rung.issued.add(int(suggestion.meta["config_id"]))

    def rung(self, key: BracketKey, index: int) -> RungLedger:
        """The ledger of rung ``index`` of bracket ``key`` (empty if untouched)."""
        return self._rungs[key][index]

    def configs_started(self) -> int:
        """How many distinct configurations entered any first rung."""
        return sum(len(rungs[0].issued) for rungs in self._rungs.values())

    def _rung_of(self, meta: dict[str, Any]) -> RungLedger | None:
        # Trials without Hyperband metadata (another algorithm before a resume,
        # or an explicit re-run) are not part of any bracket.
        if not {"bracket", "rung", "config_id"} <= meta.keys():
            return None
        key = (int(meta.get("iteration", 0)), int(meta["bracket"]))
        return self._rungs[key][int(meta["rung"])]
