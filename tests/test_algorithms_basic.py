"""Random, Grid and ExperimentGridSearch through the common interface."""

from __future__ import annotations

from hpotui.algorithms import Observation, create_algorithm
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState

SPACE = SearchSpace(
    (RangeParam("lr", "double", 1e-4, 1e-1, log=True), ChoiceParam("a", (1, 2)))
)


def _done(suggestions, start=0):
    return [
        Observation(start + i, s.params, TrialState.FINISHED, 1.0)
        for i, s in enumerate(suggestions)
    ]


def test_random_same_seed_same_trials_across_batches() -> None:
    one = create_algorithm("Random", SPACE, seed=7).suggest(4, [], [])
    algo = create_algorithm("random", SPACE, seed=7)
    first = algo.suggest(2, [], [])
    second = algo.suggest(2, _done(first), [])
    assert [s.params for s in one] == [s.params for s in first + second]


def test_random_exhausts_a_finite_space_without_repeats() -> None:
    space = SearchSpace((ChoiceParam("a", (1, 2)), ChoiceParam("b", ("x", "y"))))
    algo = create_algorithm("Random", space, seed=1)
    history: list[Observation] = []
    while batch := algo.suggest(3, history, []):
        history += _done(batch, len(history))
    assert len(history) == 4
    assert len({(o.params["a"], o.params["b"]) for o in history}) == 4


def test_grid_walks_the_whole_grid_then_stops() -> None:
    space = SearchSpace((RangeParam("x", "int", 1, 3), ChoiceParam("b", (True, False))))
    algo = create_algorithm("Grid", space)
    first = algo.suggest(4, [], [])
    rest = algo.suggest(4, _done(first), [])
    assert [s.params for s in first + rest][:3] == [
        {"x": 1, "b": True},
        {"x": 1, "b": False},
        {"x": 2, "b": True},
    ]
    assert len(first + rest) == 6
    assert algo.suggest(4, _done(first + rest), []) == []


def test_explicit_list_runs_duplicate_rows_twice() -> None:
    rows = [{"lr": 0.01, "a": 1}, {"lr": 0.01, "a": 1}]
    algo = create_algorithm(
        "ExperimentGridSearch", SPACE, options={"experiments": rows}
    )
    assert [s.params for s in algo.suggest(5, [], [])] == rows
