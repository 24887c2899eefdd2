"""A tiny in-memory engine for driving algorithms in tests: no processes, no clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hpotui.algorithms import Algorithm, Observation, Suggestion
from hpotui.states import TrialState

LossFn = Callable[[dict[str, Any], dict[str, Any]], float | None]


@dataclass
class SimRun:
    """What a simulated experiment did.

    Attributes:
        started: Every suggestion in the order it started.
        history: Every ended trial, in the order it ended.
        batches: The size of every non-empty batch the algorithm returned.
        waits: How many times it returned nothing while trials ran.
        busy: Trials running right after each batch was started.
        ended_when_started: For each started trial, how many had ended by then.
    """

    started: list[Suggestion] = field(default_factory=list)
    history: list[Observation] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    waits: int = 0
    busy: list[int] = field(default_factory=list)
    ended_when_started: list[int] = field(default_factory=list)


def simulate(
    algorithm: Algorithm, loss: LossFn, *, workers: int, max_jobs: int
) -> SimRun:
    """Run ``algorithm`` with ``workers`` slots; the oldest running trial ends first."""
    run = SimRun()
    running: list[tuple[int, Suggestion]] = []
    while True:
        free = min(workers - len(running), max_jobs - len(run.started))
        if free > 0:
            batch = algorithm.suggest(free, run.history, [s for _, s in running])
            assert len(batch) <= free
            if batch:
                run.batches.append(len(batch))
            elif running:
                run.waits += 1
            for suggestion in batch:
                running.append((len(run.started), suggestion))
                run.started.append(suggestion)
                run.ended_when_started.append(len(run.history))
            run.busy.append(len(running))
        if not running:
            return run
        trial_id, suggestion = running.pop(0)
        value = loss(suggestion.params, suggestion.extra)
        state = TrialState.FAILED if value is None else TrialState.FINISHED
        run.history.append(
            Observation(
                trial_id,
                suggestion.params,
                state,
                value,
                extra=suggestion.extra,
                meta=suggestion.meta,
            )
        )
