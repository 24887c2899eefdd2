"""Every registered algorithm: valid, typed values on random spaces; same seed, same
suggestions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from algorithm_helpers import type_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hpotui.algorithms import Observation, create_algorithm
from hpotui.algorithms.registry import builtin_names
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

# Algorithms that need more than a space: an explicit list of rows, a finite space,
# or a resource (the multi-fidelity ones, tested in test_hyperband_algorithms.py).
_NEED_MORE = ("ExperimentGridSearch", "Grid", "Hyperband", "ASHA", "BOHB")
_SEARCHERS = [n for n in builtin_names() if n not in _NEED_MORE]
_QUICK_OPTIONS = {"startup_trials": 3}

_choice_values = st.one_of(
    st.text(min_size=1, max_size=4),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
    st.floats(-10, 10, allow_nan=False).map(lambda x: round(x, 3)),
)


@st.composite
def params(draw: st.DrawFn, name: str) -> RangeParam | ChoiceParam:
    kind = draw(
        st.sampled_from(["double", "log", "int", "intlog", "step", "choice", "pin"])
    )
    if kind == "choice":
        values = draw(st.lists(_choice_values, min_size=1, max_size=5, unique_by=repr))
        return ChoiceParam(name, tuple(values))
    if kind == "pin":
        return RangeParam(name, draw(st.sampled_from(["int", "double"])), 3, 3)
    low = draw(st.integers(1, 50))
    high = low + draw(st.integers(1, 200))
    if kind == "log":
        return RangeParam(name, "double", low * 1e-4, high, log=True)
    if kind == "intlog":
        return RangeParam(name, "int", low, high, log=True)
    if kind == "step":
        return RangeParam(name, "double", low / 10, high / 10, step=0.25)
    return RangeParam(name, "int" if kind == "int" else "double", low, high)


@st.composite
def spaces(draw: st.DrawFn) -> SearchSpace:
    size = draw(st.integers(1, 4))
    return SearchSpace(tuple(draw(params(f"p{i}")) for i in range(size)))


def _random_history(space: SearchSpace, size: int, seed: int) -> list[Observation]:
    rng = np.random.default_rng(seed)
    history = []
    for trial in range(size):
        failed = rng.random() < 0.2
        state = TrialState.FAILED if failed else TrialState.FINISHED
        loss = None if failed else float(rng.normal())
        history.append(Observation(trial, space.sample(rng), state, loss))
    return history


@pytest.mark.parametrize("name", _SEARCHERS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    space=spaces(), size=st.integers(0, 12), seed=st.integers(0, 3), n=st.integers(1, 3)
)
def test_suggestions_are_in_bounds_on_step_and_typed(
    name: str, space: SearchSpace, size: int, seed: int, n: int
) -> None:
    algorithm = create_algorithm(name, space, seed=seed, options=_QUICK_OPTIONS)
    suggestions = algorithm.suggest(n, _random_history(space, size, seed), [])
    assert len(suggestions) <= n
    for suggestion in suggestions:
        assert space.problems_with(suggestion.params) == []
        assert type_problems(space, suggestion.params) == []
        numbers = [v for v in suggestion.params.values() if isinstance(v, float)]
        assert all(math.isfinite(v) for v in numbers)


_MIXED = SearchSpace(
    (
        RangeParam("lr", "double", 1e-5, 1e-1, log=True),
        RangeParam("layers", "int", 1, 6),
        RangeParam("dropout", "double", 0.0, 0.5, step=0.1),
        ChoiceParam("act", ("relu", None, True)),
    )
)


@pytest.mark.parametrize("name", _SEARCHERS)
def test_same_seed_and_history_give_the_same_suggestions(name: str) -> None:
    history = _random_history(_MIXED, 8, seed=1)
    running = [create_algorithm(name, _MIXED, seed=5).suggest(1, history, [])[0]]

    def suggestions() -> list[dict]:
        algorithm = create_algorithm(name, _MIXED, seed=5, options=_QUICK_OPTIONS)
        return [s.params for s in algorithm.suggest(3, history, running)]

    first, second = suggestions(), suggestions()
    assert first == second
    other = create_algorithm(name, _MIXED, seed=6, options=_QUICK_OPTIONS)
    assert [s.params for s in other.suggest(3, history, running)] != first
