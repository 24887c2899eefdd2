"""The interface every search algorithm implements.

It has the shape of WML-A's plugin call ``search(number_samples, last_exp_results)``:
the engine asks for up to ``n`` configurations, handing over everything that has
finished and everything still running. Algorithms are pure: no I/O, no clocks, and
a seeded random generator, so the same seed and history give the same suggestions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hpotui.algorithms.options import Rule, defaults
from hpotui.space import SearchSpace
from hpotui.states import TrialState


@dataclass(frozen=True)
class Suggestion:
    """A configuration to run.

    Attributes:
        params: Hyperparameter name to value, exactly as config.json receives them.
        extra: Keys added to config.json besides the hyperparameters (e.g. the
            Hyperband resource ``{"epochs": 9}``).
        meta: Bookkeeping the algorithm wants back with the result (bracket, rung);
            stored with the trial, never shown to the training script.
    """

    params: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """A trial that ran, as an algorithm sees it.

    Attributes:
        trial_id: The engine's id of the trial.
        params: Its hyperparameters.
        state: FINISHED, FAILED, PRUNED or STOPPED.
        loss: Its value turned into a quantity to minimise, or None when it has
            none (failed). Never NaN.
        steps: ``(step, loss)`` pairs of the intermediate values, in step order.
        extra: The extra config.json keys it ran with.
        meta: What the algorithm attached to its suggestion.
    """

    trial_id: int
    params: dict[str, Any]
    state: TrialState
    loss: float | None
    steps: tuple[tuple[int, float], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.loss is not None and self.state in (
            TrialState.FINISHED,
            TrialState.PRUNED,
        )


class Algorithm(ABC):
    """A search algorithm over one search space.

    Args:
        space: The search space, in its normalised form.
        seed: Seed of the random generator; None for a fresh one each run.
        options: Algorithm settings from the experiment file.
        max_parallel: How many trials the engine runs at once, for batch planning.
    """

    name: str = ""
    # The options this algorithm accepts, checked when a file loads; None: any.
    option_rules: ClassVar[Mapping[str, Rule] | None] = None

    def __init__(
        self,
        space: SearchSpace,
        *,
        seed: int | None = None,
        options: dict[str, Any] | None = None,
        max_parallel: int = 1,
    ) -> None:
        self.space = space
        self.seed = seed
        self.options = dict(options or {})
        # The options with the declared defaults filled in.
        self.settings = {**defaults(self.option_rules or {}), **self.options}
        self.max_parallel = max_parallel

    @abstractmethod
    def suggest(
        self,
        n: int,
        history: Sequence[Observation],
        running: Sequence[Suggestion],
    ) -> list[Suggestion]:
        """Up to ``n`` new configurations to run.

        Args:
            n: How many the engine can start now (at least 1).
            history: Every trial that has ended, in id order.
            running: The suggestions of trials still running.

        Returns:
            At most ``n`` suggestions. An empty list while trials are running means
            "nothing yet, ask again when one ends" (a Hyperband rung filling up); an
            empty list with nothing running means the search is exhausted and the
            experiment ends.
        """

    def exhausted_reason(self, configurations: int) -> str:
        """Why the experiment ended when :meth:`suggest` had nothing more to offer.

        Args:
            configurations: How many configurations the experiment ran.
        """
        return f"search space exhausted after {configurations} configurations"

    def get_state(self) -> dict[str, Any]:
        """State to store so that a resumed experiment continues where it was."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""

    def close(self) -> None:
        """Release what the algorithm holds (a plugin's process); called once at the
        end of an experiment. Built-in algorithms hold nothing."""
