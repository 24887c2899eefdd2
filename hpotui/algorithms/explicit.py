"""ExperimentGridSearch: the explicit list of configurations, in order."""

from __future__ import annotations

from collections.abc import Sequence

from hpotui.algorithms.base import Algorithm, Observation, Suggestion
from hpotui.algorithms.registry import register


@register
class ExperimentGridSearch(Algorithm):
    """Runs ``options["experiments"]`` one row at a time; identical rows run twice."""

    name = "ExperimentGridSearch"

    def suggest(
        self, n: int, history: Sequence[Observation], running: Sequence[Suggestion]
    ) -> list[Suggestion]:
        rows = self.options.get("experiments", [])
        start = len(history) + len(running)
        return [Suggestion(dict(row)) for row in rows[start : start + n]]
