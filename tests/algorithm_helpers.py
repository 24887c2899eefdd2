"""Shared pieces of the algorithm tests: Branin, a loop to run a search, checks."""

from __future__ import annotations

import math
from typing import Any

from hpotui.algorithms import Algorithm, Observation, create_algorithm
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

BRANIN_SPACE = SearchSpace(
    (RangeParam("x1", "double", -5, 10), RangeParam("x2", "double", 0, 15))
)
BRANIN_OPTIMUM = 0.397887


def branin(params: dict[str, Any]) -> float:
    x1, x2 = params["x1"], params["x2"]
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


def run_search(algorithm: Algorithm, objective, trials: int, batch: int = 1) -> list:  # type: ignore[no-untyped-def]
    """Runs ``trials`` trials, ``batch`` at a time, and returns the observations."""
    history: list[Observation] = []
    while len(history) < trials:
        batch_now = algorithm.suggest(min(batch, trials - len(history)), history, [])
        assert batch_now, "the search ended early"
        for suggestion in batch_now:
            history.append(
                Observation(
                    len(history),
                    suggestion.params,
                    TrialState.FINISHED,
                    objective(suggestion.params),
                )
            )
    return history


def best_regret(name: str, seed: int, trials: int) -> float:
    algorithm = create_algorithm(name, BRANIN_SPACE, seed=seed)
    return (
        min(obs.loss for obs in run_search(algorithm, branin, trials)) - BRANIN_OPTIMUM
    )


def type_problems(space: SearchSpace, params: dict[str, Any]) -> list[str]:
    """Values of the wrong Python type (an int range must give ``int``, not 3.0)."""
    problems = []
    for param in space.params:
        value = params[param.name]
        if isinstance(param, RangeParam):
            wanted = int if param.type == "int" else float
            if type(value) is not wanted:
                problems.append(f"{param.name}: {value!r} is not {wanted.__name__}")
        elif isinstance(param, ChoiceParam):
            choice = param.choices[param.index_of(value)]
            if type(choice) is not type(value):
                problems.append(f"{param.name}: {value!r} is not typed as {choice!r}")
    return problems
