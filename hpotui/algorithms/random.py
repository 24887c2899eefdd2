"""Random search: each configuration drawn uniformly from the unit cube."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.registry import register
from hpotui.algorithms.unique import UniqueFilter


@register
class RandomSearch(Algorithm):
    """Uniform random sampling, seeded per trial.

    The configuration of the ``i``-th suggestion depends only on the seed and ``i``,
    so a resumed experiment continues the same sequence. On a finite space repeated
    configurations are skipped and the search ends once every one has been tried.
    """

    name = "Random"

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        unique = UniqueFilter(self.space, history, running)
        start = len(history) + len(running)
        suggestions: list[Suggestion] = []
        for index in range(start, start + unique.attempts_for(n)):
            if len(suggestions) == n or unique.exhausted:
                break
            params = self.space.sample(self._rng(index))
            if unique.admit(params):
                suggestions.append(Suggestion(params))
        return suggestions or unique.remaining(n)

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng(None if self.seed is None else [self.seed, index])
