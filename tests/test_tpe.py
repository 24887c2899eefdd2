"""TPE: batches, duplicates, exhaustion and a quick quality check."""

from __future__ import annotations

import numpy as np
from algorithm_helpers import BRANIN_SPACE, best_regret, branin, run_search

from hpotui.algorithms import Observation, create_algorithm
from hpotui.algorithms.tpe.parzen import ParzenEstimator
from hpotui.space import ChoiceParam, RangeParam, SearchSpace
from hpotui.states import TrialState


def test_small_discrete_space_is_exhausted_without_repeats() -> None:
    """Six configurations, asked four at a time: six distinct trials, then []."""
    space = SearchSpace(
        (ChoiceParam("flag", (None, True)), RangeParam("depth", "int", 1, 3))
    )
    algorithm = create_algorithm("TPE", space, seed=0, options={"startup_trials": 2})
    history: list[Observation] = []
    while batch := algorithm.suggest(4, history, []):
        for suggestion in batch:
            loss = float(suggestion.params["depth"])
            history.append(
                Observation(len(history), suggestion.params, TrialState.FINISHED, loss)
            )
    assert len(history) == 6
    assert len({space.key(obs.params) for obs in history}) == 6


def test_running_trials_push_a_batch_apart() -> None:
    """After 30 trials the closest two of a batch of 4 sit well apart.

    Without the liar the median of that distance over these seeds is about 0.05
    of the unit square; with it about 0.17.
    """
    closest = []
    for seed in range(10):
        algorithm = create_algorithm("TPE", BRANIN_SPACE, seed=seed)
        history = run_search(algorithm, branin, 30)
        batch = algorithm.suggest(4, history, [])
        U = np.array([BRANIN_SPACE.encode(s.params) for s in batch])
        distances = np.sqrt(((U[:, None] - U[None]) ** 2).sum(axis=-1))
        closest.append(distances[np.triu_indices(4, k=1)].min())
    assert np.median(closest) > 0.1
    alone = algorithm.suggest(1, history, batch[:1])
    assert alone[0].params != batch[0].params


def test_beats_random_search_on_branin() -> None:
    """Median regret after 40 trials over 3 seeds, against random search's over 5."""
    tpe = np.median([best_regret("TPE", seed, 40) for seed in range(3)])
    random = np.median([best_regret("Random", seed, 40) for seed in range(5)])
    assert tpe < 0.5 * random


def test_parzen_estimator_density_integrates_to_one() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((6, 2))
    estimator = ParzenEstimator(X, np.array([False, False]), np.array([0, 0]))
    grid = np.stack(np.meshgrid(*[np.linspace(0, 1, 201)] * 2), -1).reshape(-1, 2)
    mass = np.exp(estimator.log_pdf(grid)).mean()
    assert abs(mass - 1.0) < 0.02


def test_parzen_samples_favour_the_observed_choice() -> None:
    X = np.array([[0.5 / 3, 0.2]] * 8)  # every observation picked the first of 3
    estimator = ParzenEstimator(X, np.array([True, False]), np.array([3, 0]))
    samples = estimator.sample(np.random.default_rng(1), 2000)
    first = np.mean(samples[:, 0] < 1 / 3)
    assert 0.7 < first < 0.95
    assert np.all((samples >= 0) & (samples <= 1))
