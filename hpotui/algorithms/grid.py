"""Grid search over lists of values and stepped ranges."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.registry import register
from hpotui.errors import ExperimentFileError


@register
class GridSearch(Algorithm):
    """Every configuration of a finite space, in order, the last parameter fastest."""

    name = "Grid"

    def __init__(self, space, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(space, **kwargs)
        continuous = [p.name for p in space.params if p.n_values is None]
        if continuous:
            raise ExperimentFileError(
                f"hyperparams.{continuous[0]}: Grid needs a finite space; give this "
                "range a step or a list of values, or use Random"
            )

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        start = len(history) + len(running)
        return [
            Suggestion(p) for p in itertools.islice(self.space.grid(), start, start + n)
        ]
