"""Stopping rules: end unpromising trials while they run, from their live values.

The scheduler asks the experiment's rule about a running trial each time new
intermediate values arrive. Values are losses (smaller is better) keyed by step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

Curve = Sequence[tuple[int, float]]


class StoppingRule(ABC):
    """Decides whether a running trial should stop now."""

    @abstractmethod
    def should_stop(
        self, trial_id: int, curve: Curve, others: Mapping[int, Curve]
    ) -> str | None:
        """The reason to stop ``trial_id`` now, or None to let it run.

        Args:
            trial_id: The running trial.
            curve: Its ``(step, loss)`` pairs so far, in step order.
            others: The curves of every other trial of the experiment, running or
                ended (failed trials excluded).

        Returns:
            A reason naming the rule and the step, e.g.
            ``median stopping at step 5: 0.81 worse than median 0.42``.
        """


def create_stopping_rule(spec: Mapping[str, Any] | None) -> StoppingRule | None:
    """The rule an experiment's ``early_stopping`` section asks for, or None."""
    if not spec:
        return None
    # TODO: median and successive-halving rules; the scheduler already asks this.
    return None
