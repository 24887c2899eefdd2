"""Asynchronous successive halving (ASHA; Li et al., MLSys 2020).

ASHA runs the most aggressive bracket of the Hyperband schedule without waiting
for rungs to fill. Whenever a worker is free it looks from the top rung down for a
configuration that is among the best ``floor(m / eta)`` of the ``m`` results of its
rung and has not been promoted yet; it re-runs the best such one at the next rung's
resource. When none qualifies, it starts a new configuration at the smallest
resource. A rung therefore promotes as soon as it holds ``eta`` results, and no
worker ever idles waiting for a rung.

Configuration ``j`` is the ``j``-th to enter the first rung; its hyperparameters
come from a generator seeded by ``(seed, j)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hpotui.algorithms.base import Observation, Suggestion
from hpotui.algorithms.hyperband.ledger import Ledger, RungLedger
from hpotui.algorithms.hyperband.synchronous import HyperbandBase
from hpotui.algorithms.registry import register


@register
class ASHA(HyperbandBase):
    """Asynchronous successive halving over the most aggressive bracket."""

    name = "ASHA"

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        ledger = Ledger(history, running)
        bracket = self.brackets[0]
        key = (0, bracket.s)
        rungs = [ledger.rung(key, index) for index in range(len(bracket.rungs))]
        next_config = ledger.configs_started()
        suggestions: list[Suggestion] = []
        for _ in range(n):
            promotion = self._promotion(rungs)
            continues = None
            if promotion is not None:
                rung, config = promotion
                params = rungs[rung - 1].params[config]
                continues = rungs[rung - 1].trials[config]
            else:
                rung, config = 0, next_config
                params = self._random_params(config)
                next_config += 1
            # Record it at once so the rest of this batch sees it as taken.
            rungs[rung].issued.add(config)
            suggestions.append(self._suggestion(params, key, rung, config, continues))
        return suggestions

    def _promotion(self, rungs: list[RungLedger]) -> tuple[int, int] | None:
        """``(target rung, config id)`` of the best promotable result, or None."""
        eta = self.hyperband.eta
        for index in range(len(rungs) - 2, -1, -1):
            rung, upper = rungs[index], rungs[index + 1]
            quota = int(len(rung.losses) // eta)
            ready = [c for c in rung.best(quota) if c not in upper.issued]
            if ready:
                return index + 1, ready[0]
        return None
