"""Keeps a search on a finite space from repeating configurations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hpotui.algorithms.base import Observation, Suggestion
from hpotui.space import SearchSpace

_ATTEMPTS_PER_SUGGESTION = 50


class UniqueFilter:
    """Admits each configuration of a finite space once.

    On a continuous space every configuration is admitted (repeats have probability
    zero). On a finite one, a configuration already tried or running is refused, and
    :attr:`exhausted` tells when nothing new is left.
    """

    def __init__(
        self,
        space: SearchSpace,
        history: Sequence[Observation],
        running: Sequence[Suggestion],
    ) -> None:
        self.space = space
        self.size = space.size
        # A continuous space never repeats, so the history need not be keyed there.
        items = [*history, *running] if self.size is not None else []
        self._seen = {space.key(item.params) for item in items}

    @property
    def exhausted(self) -> bool:
        return self.size is not None and len(self._seen) >= self.size

    def attempts_for(self, n: int) -> int:
        """How many random draws to allow before falling back to enumeration."""
        return n * _ATTEMPTS_PER_SUGGESTION

    def admit(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` is new; if so it counts as seen from now on."""
        if self.size is None:
            return True
        key = self.space.key(params)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def remaining(self, n: int) -> list[Suggestion]:
        """Up to ``n`` untried configurations in grid order (for nearly full spaces)."""
        if self.size is None:
            return []
        found: list[Suggestion] = []
        for params in self.space.grid():
            if len(found) == n:
                break
            if self.admit(params):
                found.append(Suggestion(params))
        return found
